"""Registration's Idempotency-Key records, in a table of their own (template: IdempotencyTable).

powertools' DynamoDB persistence layer reads and writes them: a conditional PutItem claims a key
(and, when it is taken, returns the record in the same call), UpdateItem keeps the answer,
DeleteItem frees the key of a registration that failed, GetItem reads a record in the rare case
the PutItem returned none. This module gives it our DynamoDB client (its retries and short
timeouts) and, as every repository does, turns throttling and outages into DatabaseUnavailable.

A record holds `id` (the operation and a SHA-256 of the caller's scope and key: never the key),
`status`, `expiration` (epoch seconds, the table's TTL attribute), `in_progress_expiration`,
`validation` (a SHA-256 of the request's fingerprint: never the body) and `data` (the answer,
`{"client_id"}`).

Not exported by the package: only the registration function loads powertools' idempotency utility.
"""

from __future__ import annotations

from functools import cache

from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer
from aws_lambda_powertools.utilities.idempotency.persistence.datarecord import DataRecord

from clients_api.repository._dynamo import database_errors, dynamodb_client
from clients_api.settings import get_settings


class IdempotencyStore(DynamoDBPersistenceLayer):
    """powertools' DynamoDB persistence layer, DynamoDB's failures reported as the domain's."""

    def _get_record(self, idempotency_key: str) -> DataRecord:
        with database_errors():
            return super()._get_record(idempotency_key)

    def _put_record(self, data_record: DataRecord) -> None:
        with database_errors():
            super()._put_record(data_record)

    def _update_record(self, data_record: DataRecord) -> None:
        with database_errors():
            super()._update_record(data_record)

    def _delete_record(self, data_record: DataRecord) -> None:
        with database_errors():
            super()._delete_record(data_record)


@cache
def idempotency_store() -> IdempotencyStore:
    """The store of this container. Only the registration function is given the table's name."""
    table = get_settings().idempotency_table
    if not table:
        raise RuntimeError("IDEMPOTENCY_TABLE is not set")
    return IdempotencyStore(table, boto3_client=dynamodb_client())
