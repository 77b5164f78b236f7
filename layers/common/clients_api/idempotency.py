"""Safe retries of a registration: the first answer to a caller's Idempotency-Key, given again.

A registration whose answer was lost (a gateway timeout, a dropped connection) and is sent again
with the same Idempotency-Key and body, within IdempotencyHours, gets the first answer (the same
client id) instead of a second client or a 409 `email_taken`. Built on powertools' Idempotency
utility, called inside the route (`idempotent_function`), so that its errors become our
problems; `@idempotent` on the Lambda handler would raise them past the resolver, as 5xx.

What powertools is given, per request, and what it keeps of it:
- `caller` and `key`: the key's scope (a client's id, `service`, or `anonymous` with open
  registration) and the key. Keys of different callers never meet. The record's id is a SHA-256
  of the two: the key itself is never stored.
- `fingerprint`: an HMAC-SHA256 of the validated request (canonical JSON, so `8909...` and
  `+7 909...` are one phone) keyed with scope and key. The record keeps a SHA-256 of it and
  compares it on every reuse of the key: never the body, and nothing that would let whoever reads
  the table test guesses of the password in it without the key.

A registration that fails (409, 422, 503) keeps no record: its retry runs again. Records are
stored by repository/idempotency.py; this module is imported by the registration function only.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyInconsistentStateError,
    IdempotencyPersistenceLayerError,
    IdempotencyValidationError,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from clients_api import registration
from clients_api.access import Principal
from clients_api.errors import ConcurrentUpdate, DomainError, IdempotencyKeyReused, RequestInProgress
from clients_api.models import RegisterClient
from clients_api.observability import Metric, count, logger
from clients_api.repository import ClientRepository
from clients_api.repository.idempotency import idempotency_store
from clients_api.settings import get_settings

# Records are named after the operation, not the Lambda function (powertools' default), whose
# name changes with the stack: a key keeps its record across deployments and local runs.
_OPERATION = "register_client"


def register_once(
    request: RegisterClient, key: str, caller: Principal, repo: ClientRepository, context: LambdaContext
) -> str:
    """The id of the client registered under this caller's `key`: now, or by the first request
    with this key and body. Raises RequestInProgress while that one is still running,
    IdempotencyKeyReused for another body, DatabaseUnavailable when the records are out of reach
    (nothing registered), and registration.register's errors (the key is then free again)."""
    scope = caller.client_id or caller.kind.value
    # The record's in-progress claim lasts as long as this invocation may (powertools reads
    # the time left from the context): a registration that dies with its Lambda frees the key.
    _config().register_lambda_context(context)
    data = {"caller": scope, "key": key, "fingerprint": _fingerprint(request, scope, key)}
    registered: list[str] = []  # the client id, once this request itself registered one
    try:
        answer = _idempotent_register()(idempotency=data, request=request, repo=repo, registered=registered)
    except IdempotencyAlreadyInProgressError:
        raise RequestInProgress() from None
    except IdempotencyValidationError:
        raise IdempotencyKeyReused() from None
    except IdempotencyInconsistentStateError:
        # The record kept changing between powertools' write and its read: as for any lost race.
        raise ConcurrentUpdate() from None
    except IdempotencyPersistenceLayerError as exc:
        if registered:
            # The client exists; only its answer could not be kept. Answering it beats a 503,
            # whose retry would meet the client's own email: the very 409 this module prevents.
            logger.warning("idempotency record not completed", exc_info=exc)
            return registered[0]
        if isinstance(exc.__cause__, DomainError):  # DatabaseUnavailable (repository/idempotency.py)
            raise exc.__cause__ from exc
        raise
    if not registered:
        count(Metric.REGISTRATIONS_REPLAYED)
        logger.info("registration replayed", extra={"client_id": answer["client_id"]})
    return answer["client_id"]


def _register(
    *, idempotency: dict[str, str], request: RegisterClient, repo: ClientRepository, registered: list[str]
) -> dict[str, str]:
    """What runs once per key: the registration, and the answer powertools keeps."""
    client_id = registration.register(request, repo)
    registered.append(client_id)
    return {"client_id": client_id}


def _fingerprint(request: RegisterClient, scope: str, key: str) -> str:
    canonical = json.dumps(request.model_dump(mode="json"), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    # Neither part holds a newline (a scope is an id or a word, a key visible ASCII).
    secret = f"{scope}\n{key}".encode()
    return hmac.new(secret, canonical.encode(), hashlib.sha256).hexdigest()


@cache
def _config() -> IdempotencyConfig:
    return IdempotencyConfig(
        event_key_jmespath="[caller, key]",
        payload_validation_jmespath="fingerprint",
        raise_on_no_idempotency_key=True,
        expires_after_seconds=get_settings().idempotency_hours * 3600,
        hash_function="sha256",
    )


@cache
def _idempotent_register() -> Callable[..., Any]:
    return idempotent_function(
        _register,
        data_keyword_argument="idempotency",
        persistence_store=idempotency_store(),
        config=_config(),
        key_prefix=_OPERATION,
    )
