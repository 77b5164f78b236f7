"""The Lambda REQUEST authorizer (AuthMode=jwt): `Authorization: Bearer <JWT>` in, the caller out.

It authenticates; the functions authorize (clients_api.access). Fails closed: a token it cannot
verify is a 401, a key set it cannot fetch an authorizer failure (503), never an Allow.
"""

from typing import Any

from clients_api.observability import Metric, count, logger, metrics
from clients_api.tokens import InvalidToken, KeysUnavailable, TokenSettings, TokenVerifier, allow_whole_api

verifier = TokenVerifier(TokenSettings.from_environment())


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    logger.set_correlation_id((event.get("requestContext") or {}).get("requestId"))
    headers = {name.lower(): value for name, value in (event.get("headers") or {}).items()}
    try:
        principal = verifier.principal(headers.get("authorization"))
    except InvalidToken as exc:
        count(Metric.TOKENS_REFUSED)
        logger.info("token refused", extra={"reason": exc.reason})
        raise Exception("Unauthorized") from None  # API Gateway's one way to answer 401
    except KeysUnavailable:
        logger.exception("the issuer's signing keys cannot be fetched")
        raise
    logger.info("caller authenticated", extra=principal.log_keys())
    return allow_whole_api(principal, event["methodArn"])
