"""DynamoDB access: the only module that speaks boto3.

Clients table layout (key `client_id`):
- the client item, keyed by the client's UUID;
- one guard item per unique value, keyed `EMAIL#<email>` and `PHONE#<e164>`, holding `owner`.
  A guard is created with `attribute_not_exists`, inside the same transaction as the client
  item, so two clients can never hold one email or phone, whatever the interleaving.

Sessions table: key `session_id`, GSI `by_client` (`client_id`, `starts_at`).
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

import boto3
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from pydantic import BaseModel, ValidationError

from clients_api.errors import (
    ClientNotFound,
    ConcurrentUpdate,
    DatabaseUnavailable,
    EmailTaken,
    InvalidCursor,
    PhoneTaken,
    StoredItemInvalid,
    VerificationLocked,
)
from clients_api.models import Session, StoredClient
from clients_api.observability import logger
from clients_api.settings import get_settings

# Bounded retries in one place: botocore's standard mode (exponential backoff with jitter,
# retries throttling and 5xx), 3 attempts in all, short timeouts so a stuck call fails fast
# inside the Lambda timeout and becomes a 503.
_BOTO_CONFIG = Config(
    retries={"mode": "standard", "total_max_attempts": 3},
    connect_timeout=2,
    read_timeout=3,
    tcp_keepalive=True,
)
_UNAVAILABLE_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
        "LimitExceededException",
    }
)
_SESSIONS_BY_CLIENT = "by_client"
_EMAIL_GUARD = "EMAIL#"
_PHONE_GUARD = "PHONE#"
# The verification window is over, so the next attempt starts a new one: the lock ended (:now), or
# the last attempt is a lock's length ago (:stale = now - lock), whether it used up the budget and
# never reported (StoredClient.verification_locked_until) or left failures that no longer count.
_LOCK_RUN_OUT = (
    "(verify_locked_until <= :now OR (attribute_not_exists(verify_locked_until)"
    " AND (attribute_not_exists(verify_attempted_at) OR verify_attempted_at <= :stale)))"
)
_SERIALIZER = TypeSerializer()
_DESERIALIZER = TypeDeserializer()


@cache
def dynamodb_client() -> Any:
    """One client per container. `AWS_ENDPOINT_URL_DYNAMODB` points it elsewhere (local runs)."""
    return boto3.client("dynamodb", config=_BOTO_CONFIG)


def _to_item(values: dict[str, Any]) -> dict[str, Any]:
    return {name: _SERIALIZER.serialize(value) for name, value in values.items()}


def _from_item(item: dict[str, Any]) -> dict[str, Any]:
    return {name: _DESERIALIZER.deserialize(value) for name, value in item.items()}


def _stored[M: BaseModel](model: type[M], item: dict[str, Any]) -> M:
    """An item read from a table, as `model`. One that does not fit is a fault in the data, not
    in the request: StoredItemInvalid (a 500 and an alarm), never a 422 blaming the caller."""
    values = _from_item(item)
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        fields = sorted({".".join(map(str, e["loc"])) for e in exc.errors(include_url=False, include_input=False)})
        # Field names and the item's id: the values may be personal data.
        item_id = values.get("session_id") or values.get("client_id")
        logger.error("stored item invalid", extra={"model": model.__name__, "fields": fields, "item_id": item_id})
        raise StoredItemInvalid(model.__name__, fields) from None


def _values(**values: Any) -> dict[str, Any]:
    return {f":{name}": _SERIALIZER.serialize(value) for name, value in values.items()}


def _error_code(exc: ClientError) -> str:
    return exc.response.get("Error", {}).get("Code", "")


@contextmanager
def _database_errors() -> Iterator[None]:
    """Throttling and outages (after botocore's retries) become the domain's DatabaseUnavailable."""
    try:
        yield
    except ClientError as exc:
        if _error_code(exc) in _UNAVAILABLE_CODES:
            raise DatabaseUnavailable() from exc
        raise
    except BotoCoreError as exc:  # connection refused, timeouts, endpoint unreachable
        raise DatabaseUnavailable() from exc


def _cancellation_codes(exc: ClientError) -> list[str]:
    return [reason.get("Code", "None") for reason in exc.response.get("CancellationReasons", [])]


def _stored_item(client: StoredClient) -> dict[str, Any]:
    values = client.model_dump(mode="json", exclude_none=True)
    return _to_item(values)


@dataclass(frozen=True, slots=True)
class SessionPosition:
    """Where a sessions page ended: the GSI key of its last session."""

    client_id: str
    starts_at: str
    session_id: str

    def encode(self) -> str:
        raw = json.dumps([self.client_id, self.starts_at, self.session_id], separators=(",", ":"))
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, cursor: str, client_id: str) -> SessionPosition:
        """The position a cursor names in this client's list; anything else is InvalidCursor."""
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
            values = json.loads(raw)
        except ValueError:
            raise InvalidCursor() from None
        if not (isinstance(values, list) and len(values) == 3 and all(isinstance(v, str) and v for v in values)):
            raise InvalidCursor()
        position = cls(*values)
        try:  # a position in the GSI: a start time (ISO 8601) and a session id (a UUID)
            datetime.fromisoformat(position.starts_at)
            uuid.UUID(position.session_id)
        except ValueError:
            raise InvalidCursor() from None
        # A cursor made for another client is refused here: the database would not notice.
        if position.client_id != client_id:
            raise InvalidCursor()
        return position


class ClientRepository:
    def __init__(self, table_name: str, ddb: Any) -> None:
        self._table = table_name
        self._ddb = ddb

    def get(self, client_id: str) -> StoredClient | None:
        with _database_errors():
            response = self._ddb.get_item(
                TableName=self._table, Key=_to_item({"client_id": client_id}), ConsistentRead=True
            )
        item = response.get("Item")
        return _stored(StoredClient, item) if item else None

    def create(self, client: StoredClient) -> None:
        """Client item plus its email and phone guards, all or nothing."""
        new_key = "attribute_not_exists(client_id)"
        items = [
            {"Put": {"TableName": self._table, "Item": _stored_item(client), "ConditionExpression": new_key}},
            {
                "Put": {
                    "TableName": self._table,
                    "Item": self._guard(_EMAIL_GUARD, client.email, client.client_id),
                    "ConditionExpression": new_key,
                }
            },
            {
                "Put": {
                    "TableName": self._table,
                    "Item": self._guard(_PHONE_GUARD, client.phone, client.client_id),
                    "ConditionExpression": new_key,
                }
            },
        ]
        self._transact(items, conflicts={1: EmailTaken, 2: PhoneTaken})

    def update(self, current: StoredClient, changes: dict[str, Any]) -> None:
        """Apply `changes` to the client read as `current`; moves email/phone guards in the same
        transaction. Raises ConcurrentUpdate if the client changed since it was read."""
        values = StoredClient.model_validate({**current.model_dump(), **changes}).model_dump(mode="json")
        names = sorted(changes)
        update = "SET " + ", ".join(f"#{n} = :{n}" for n in names) + ", #version = :next_version"
        items: list[dict[str, Any]] = [
            {
                "Update": {
                    "TableName": self._table,
                    "Key": _to_item({"client_id": current.client_id}),
                    "UpdateExpression": update,
                    "ConditionExpression": "#version = :version",
                    "ExpressionAttributeNames": {f"#{n}": n for n in [*names, "version"]},
                    "ExpressionAttributeValues": _values(
                        **{n: values[n] for n in names}, version=current.version, next_version=current.version + 1
                    ),
                }
            }
        ]
        conflicts: dict[int, type[Exception]] = {}
        for field, prefix, error in (("email", _EMAIL_GUARD, EmailTaken), ("phone", _PHONE_GUARD, PhoneTaken)):
            if field not in changes:
                continue
            conflicts[len(items)] = error
            items.append(
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": self._guard(prefix, changes[field], current.client_id),
                        "ConditionExpression": "attribute_not_exists(client_id)",
                    }
                }
            )
            items.append(
                {
                    "Delete": {
                        "TableName": self._table,
                        "Key": _to_item({"client_id": prefix + getattr(current, field)}),
                        "ConditionExpression": "#owner = :owner",
                        "ExpressionAttributeNames": {"#owner": "owner"},
                        "ExpressionAttributeValues": _values(owner=current.client_id),
                    }
                }
            )
        if len(items) == 1:
            self._update_single(items[0]["Update"])
        else:
            self._transact(items, conflicts=conflicts)

    def set_password(
        self, client_id: str, password_hash: str, *, now: int, max_failures: int, lock_seconds: int
    ) -> None:
        """New hash; the verification counter and lock are cleared. Refused, in the same write,
        while verification is locked (StoredClient.verification_locked_until). Raises
        ClientNotFound or VerificationLocked."""
        try:
            with _database_errors():
                self._ddb.update_item(
                    TableName=self._table,
                    Key=_to_item({"client_id": client_id}),
                    UpdateExpression="SET password_hash = :hash, verify_failures = :zero"
                    " REMOVE verify_locked_until ADD version :one",
                    # Never locked (no lock, budget not used up), or the lock has run out.
                    ConditionExpression="attribute_exists(client_id) AND ((attribute_not_exists(verify_locked_until)"
                    f" AND (attribute_not_exists(verify_failures) OR verify_failures < :max)) OR {_LOCK_RUN_OUT})",
                    ExpressionAttributeValues=_values(
                        hash=password_hash, zero=0, one=1, now=now, max=max_failures, stale=now - lock_seconds
                    ),
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                )
        except ClientError as exc:
            if _error_code(exc) != "ConditionalCheckFailedException":
                raise
            old = exc.response.get("Item")
            if not old:
                raise ClientNotFound() from None
            locked_until = _stored(StoredClient, old).verification_locked_until(
                max_failures=max_failures, lock_seconds=lock_seconds
            )
            raise VerificationLocked((locked_until or now) - now) from None

    def reserve_verification_attempt(
        self, client_id: str, *, now: int, max_failures: int, lock_seconds: int
    ) -> StoredClient:
        """Count one verification attempt *before* it is checked, and return the client.

        Counting first is what makes the lockout hold under parallel guesses: at most
        `max_failures` attempts get a slot until a match resets the counter. Each attempt also
        stamps its time: failures count only while each attempt follows the last within
        `lock_seconds` (a client left at 4 failures is not locked out by a typo weeks later), and
        a budget used up by attempts that never reported back (a crash between the count and the
        outcome) locks for `lock_seconds` from the last one, not for ever.
        Raises ClientNotFound or VerificationLocked.
        """
        key = _to_item({"client_id": client_id})
        for _ in range(3):  # each pass either reserves or observes a newer state
            try:
                with _database_errors():
                    response = self._ddb.update_item(
                        TableName=self._table,
                        Key=key,
                        UpdateExpression="SET verify_failures = if_not_exists(verify_failures, :zero) + :one,"
                        " verify_attempted_at = :now",
                        # One more attempt in the current window: nothing counted yet (a 0 is never
                        # locked), or budget left and the last attempt recent.
                        ConditionExpression="attribute_exists(client_id) AND (attribute_not_exists(verify_failures)"
                        " OR verify_failures = :zero OR (verify_failures < :max AND verify_attempted_at > :stale))",
                        ExpressionAttributeValues=_values(
                            zero=0, one=1, max=max_failures, now=now, stale=now - lock_seconds
                        ),
                        ReturnValues="ALL_NEW",
                        ReturnValuesOnConditionCheckFailure="ALL_OLD",
                    )
                return _stored(StoredClient, response["Attributes"])
            except ClientError as exc:
                if _error_code(exc) != "ConditionalCheckFailedException":
                    raise
                old = exc.response.get("Item")
            if not old:
                raise ClientNotFound()
            locked_until = _stored(StoredClient, old).verification_locked_until(
                max_failures=max_failures, lock_seconds=lock_seconds
            )
            if locked_until is not None and locked_until > now:
                raise VerificationLocked(locked_until - now)
            reserved = self._start_new_window(key, now=now, lock_seconds=lock_seconds)
            if reserved is not None:
                return reserved
        raise ConcurrentUpdate()

    def _start_new_window(self, key: dict[str, Any], *, now: int, lock_seconds: int) -> StoredClient | None:
        """The window is over: this attempt is the first of a new one (counter 1, lock cleared), in
        one write whose condition lets only one of several parallel attempts do it. None when
        another attempt started the window first (the caller counts itself into it)."""
        try:
            with _database_errors():
                response = self._ddb.update_item(
                    TableName=self._table,
                    Key=key,
                    UpdateExpression="SET verify_failures = :one, verify_attempted_at = :now"
                    " REMOVE verify_locked_until",
                    ConditionExpression=f"attribute_exists(client_id) AND {_LOCK_RUN_OUT}",
                    ExpressionAttributeValues=_values(one=1, now=now, stale=now - lock_seconds),
                    ReturnValues="ALL_NEW",
                )
        except ClientError as exc:
            if _error_code(exc) != "ConditionalCheckFailedException":
                raise
            return None
        return _stored(StoredClient, response["Attributes"])

    def record_verification_failure(self, client_id: str, *, locked_until: int, max_failures: int) -> None:
        """A mismatch keeps its counted attempt; the one that exhausted the budget starts the lock."""
        self._update_unless_changed(
            TableName=self._table,
            Key=_to_item({"client_id": client_id}),
            UpdateExpression="SET verify_locked_until = :until",
            ConditionExpression="verify_failures >= :max AND attribute_not_exists(verify_locked_until)",
            ExpressionAttributeValues=_values(until=locked_until, max=max_failures),
        )

    def record_verification_match(self, client: StoredClient, upgraded_hash: str | None) -> None:
        """A match resets the counter; a hash made with older parameters is replaced, unless the
        password changed meanwhile."""
        update = "SET verify_failures = :zero REMOVE verify_locked_until"
        values = {"zero": 0}
        condition = "attribute_exists(client_id)"
        if upgraded_hash is not None:
            update = "SET verify_failures = :zero, password_hash = :new_hash REMOVE verify_locked_until"
            values |= {"new_hash": upgraded_hash, "old_hash": client.password_hash}
            condition = "password_hash = :old_hash"
        self._update_unless_changed(
            TableName=self._table,
            Key=_to_item({"client_id": client.client_id}),
            UpdateExpression=update,
            ConditionExpression=condition,
            ExpressionAttributeValues=_values(**values),
        )

    def clear_verification_lock(self, client_id: str) -> None:
        """Forget every counted attempt and any lock. Raises ClientNotFound."""
        try:
            with _database_errors():
                self._ddb.update_item(
                    TableName=self._table,
                    Key=_to_item({"client_id": client_id}),
                    UpdateExpression="SET verify_failures = :zero REMOVE verify_locked_until, verify_attempted_at",
                    ConditionExpression="attribute_exists(client_id)",
                    ExpressionAttributeValues=_values(zero=0),
                )
        except ClientError as exc:
            if _error_code(exc) == "ConditionalCheckFailedException":
                raise ClientNotFound() from None
            raise

    def exists(self, client_id: str) -> bool:
        with _database_errors():
            response = self._ddb.get_item(
                TableName=self._table,
                Key=_to_item({"client_id": client_id}),
                ProjectionExpression="client_id",
                # A client registered a moment ago must not be a 404 on its sessions.
                ConsistentRead=True,
            )
        return "Item" in response

    # ------------------------------------------------------------ helpers

    @staticmethod
    def _guard(prefix: str, value: str, owner: str) -> dict[str, Any]:
        return _to_item({"client_id": prefix + value, "owner": owner})

    def _update_unless_changed(self, **update: Any) -> None:
        """An UpdateItem whose condition failing means someone else already did it (or made it
        moot): nothing to do then."""
        try:
            with _database_errors():
                self._ddb.update_item(**update)
        except ClientError as exc:
            if _error_code(exc) != "ConditionalCheckFailedException":
                raise

    def _update_single(self, update: dict[str, Any]) -> None:
        try:
            with _database_errors():
                self._ddb.update_item(**update)
        except ClientError as exc:
            if _error_code(exc) == "ConditionalCheckFailedException":
                raise ConcurrentUpdate() from exc
            raise

    def _transact(self, items: list[dict[str, Any]], *, conflicts: dict[int, type[Exception]]) -> None:
        """Run one transaction; a failed uniqueness condition becomes its domain error."""
        try:
            with _database_errors():
                self._ddb.transact_write_items(TransactItems=items)
        except ClientError as exc:
            if _error_code(exc) != "TransactionCanceledException":
                raise
            codes = _cancellation_codes(exc)
            if codes[:1] == ["ConditionalCheckFailed"]:
                # The client's own item (always first) changed since it was read: what the guards
                # said is stale too (a retried PATCH meets its own new guard). Re-read and retry.
                raise ConcurrentUpdate() from exc
            for index, error in conflicts.items():
                if index < len(codes) and codes[index] == "ConditionalCheckFailed":
                    raise error() from exc
            if "ThrottlingError" in codes or "ProvisionedThroughputExceeded" in codes:
                raise DatabaseUnavailable() from exc
            # The client item's condition failed, a guard changed hands, or another transaction
            # touched the same items: the caller re-reads and tries again.
            raise ConcurrentUpdate() from exc


class SessionRepository:
    def __init__(self, table_name: str, ddb: Any) -> None:
        self._table = table_name
        self._ddb = ddb

    def page(
        self, client_id: str, *, limit: int, status: str | None, after: SessionPosition | None
    ) -> tuple[list[Session], SessionPosition | None]:
        """One page of a client's sessions, newest first, and where the next page starts."""
        query: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": _SESSIONS_BY_CLIENT,
            "KeyConditionExpression": "client_id = :client_id",
            "ExpressionAttributeValues": _values(client_id=client_id),
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if status is not None:
            query["FilterExpression"] = "#status = :status"
            query["ExpressionAttributeNames"] = {"#status": "status"}
            query["ExpressionAttributeValues"] |= _values(status=status)
        if after is not None:
            query["ExclusiveStartKey"] = _to_item(
                {"client_id": after.client_id, "starts_at": after.starts_at, "session_id": after.session_id}
            )
        with _database_errors():
            response = self._ddb.query(**query)
        sessions = [_stored(Session, item) for item in response.get("Items", [])]
        last = response.get("LastEvaluatedKey")
        if last is None:
            return sessions, None
        key = _from_item(last)
        return sessions, SessionPosition(key["client_id"], key["starts_at"], key["session_id"])


@cache
def client_repository() -> ClientRepository:
    return ClientRepository(get_settings().clients_table, dynamodb_client())


@cache
def session_repository() -> SessionRepository:
    return SessionRepository(get_settings().sessions_table, dynamodb_client())
