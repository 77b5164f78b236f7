"""DynamoDB plumbing shared by the repositories: the client, the codecs, and the translation of
DynamoDB's failures into the domain's errors. Nothing here knows what a table holds.

Retries of transient faults (throttling, 5xx, timeouts, dropped connections) happen here and only
here: botocore's standard mode below. A lost condition is not transient: it means another writer
got there first, and only the domain knows whether its change still makes sense (retries.py).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from typing import Any

import boto3
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from pydantic import BaseModel, ValidationError

from clients_api.errors import ConcurrentUpdate, DatabaseUnavailable, DomainError, StoredItemInvalid
from clients_api.observability import logger

# botocore's standard mode: exponential backoff with jitter on throttling and 5xx, 3 attempts in
# all; short timeouts, so that a stuck call fails fast inside the Lambda timeout and becomes a 503.
_BOTO_CONFIG = Config(
    retries={"mode": "standard", "total_max_attempts": 3},
    connect_timeout=2,
    read_timeout=3,
    tcp_keepalive=True,
)
# Errors that outlive botocore's retries because the table is busy or out of reach.
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
# The same, as a transaction's cancellation reasons name them.
_UNAVAILABLE_REASONS = frozenset({"ThrottlingError", "ProvisionedThroughputExceeded"})
_SINGLE_WRITES = {"Put": "put_item", "Update": "update_item", "Delete": "delete_item"}
_SERIALIZER = TypeSerializer()
_DESERIALIZER = TypeDeserializer()


@cache
def dynamodb_client() -> Any:
    """One client per container. `AWS_ENDPOINT_URL_DYNAMODB` points it elsewhere (local runs)."""
    return boto3.client("dynamodb", config=_BOTO_CONFIG)


def to_item(values: dict[str, Any]) -> dict[str, Any]:
    return {name: _SERIALIZER.serialize(value) for name, value in values.items()}


def from_item(item: dict[str, Any]) -> dict[str, Any]:
    return {name: _DESERIALIZER.deserialize(value) for name, value in item.items()}


def expression_values(**values: Any) -> dict[str, Any]:
    """`ExpressionAttributeValues` for placeholders named after the keywords (`:name`)."""
    return {f":{name}": _SERIALIZER.serialize(value) for name, value in values.items()}


def parse_item[M: BaseModel](model: type[M], item: dict[str, Any]) -> M:
    """An item read from a table, as `model`. One that does not fit is a fault in the data, not
    in the request: StoredItemInvalid (a 500 and an alarm), never a 422 blaming the caller."""
    values = from_item(item)
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        fields = sorted({".".join(map(str, e["loc"])) for e in exc.errors(include_url=False, include_input=False)})
        # Field names and the item's id: the values may be personal data.
        item_id = values.get("session_id") or values.get("client_id")
        logger.error("stored item invalid", extra={"model": model.__name__, "fields": fields, "item_id": item_id})
        raise StoredItemInvalid(model.__name__, fields) from None


class ConditionFailed(Exception):
    """A write's condition did not hold. `item` is the item as it was then (when the write asked
    for it with ReturnValuesOnConditionCheckFailure), None when there was none. The repositories
    say what it means in the domain's words; it never leaves them."""

    def __init__(self, item: dict[str, Any] | None) -> None:
        super().__init__("condition failed")
        self.item = item


@dataclass(frozen=True, slots=True)
class Write:
    """One item of a write that succeeds or fails as a whole, paired with the domain error that
    its condition failing means (EmailTaken for an email guard, ...)."""

    action: str  # Put, Update or Delete
    params: dict[str, Any]  # the action's parameters, but the table name
    conflict: type[DomainError]
    table: str | None = None  # the item's table, if not the one written to (a transaction may span two)


@contextmanager
def database_errors() -> Iterator[None]:
    """Throttling and outages (after botocore's retries) become the domain's DatabaseUnavailable."""
    try:
        yield
    except ClientError as exc:
        if _error_code(exc) in _UNAVAILABLE_CODES:
            raise DatabaseUnavailable() from exc
        raise
    except BotoCoreError as exc:  # connection refused, timeouts, endpoint unreachable
        raise DatabaseUnavailable() from exc


def _error_code(exc: ClientError) -> str:
    return exc.response.get("Error", {}).get("Code", "")


class Table:
    """One table and the calls the repositories make on it, DynamoDB's failures translated."""

    def __init__(self, name: str, client: Any) -> None:
        self.name = name
        self.client = client

    def get(self, key: dict[str, Any], **options: Any) -> dict[str, Any] | None:
        with database_errors():
            response = self.client.get_item(TableName=self.name, Key=to_item(key), **options)
        return response.get("Item")

    def query(self, **params: Any) -> dict[str, Any]:
        with database_errors():
            return self.client.query(TableName=self.name, **params)

    def update(self, key: dict[str, Any], **params: Any) -> dict[str, Any]:
        """One UpdateItem. Raises ConditionFailed when its condition does not hold."""
        try:
            with database_errors():
                return self.client.update_item(TableName=self.name, Key=to_item(key), **params)
        except ClientError as exc:
            if _error_code(exc) != "ConditionalCheckFailedException":
                raise
            raise ConditionFailed(exc.response.get("Item")) from None

    def write(self, writes: Sequence[Write]) -> None:
        """All of `writes` or none: a single write as itself, several as one transaction (which
        costs twice the capacity). A failed condition raises the error its Write is paired with;
        of several, the first in `writes`."""
        if len(writes) == 1:
            [write] = writes
            try:
                with database_errors():
                    getattr(self.client, _SINGLE_WRITES[write.action])(
                        TableName=write.table or self.name, **write.params
                    )
            except ClientError as exc:
                if _error_code(exc) == "ConditionalCheckFailedException":
                    raise write.conflict() from exc
                raise
            return
        items = [{write.action: {"TableName": write.table or self.name, **write.params}} for write in writes]
        try:
            with database_errors():
                self.client.transact_write_items(TransactItems=items)
        except ClientError as exc:
            if _error_code(exc) != "TransactionCanceledException":
                raise
            reasons = [reason.get("Code", "None") for reason in exc.response.get("CancellationReasons", [])]
            for write, reason in zip(writes, reasons, strict=False):
                if reason == "ConditionalCheckFailed":
                    raise write.conflict() from exc
            if _UNAVAILABLE_REASONS & set(reasons):
                raise DatabaseUnavailable() from exc
            # Another transaction touched the same items at the same moment: nothing was written,
            # and the caller's read is as good as stale.
            raise ConcurrentUpdate() from exc
