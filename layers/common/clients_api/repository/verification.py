"""The password verification lock's writes, on the client item of the clients table.

The item keeps `verify_failures` (attempts counted since the last match), `verify_attempted_at`
(the last attempt, epoch seconds) and `verify_locked_until` (the end of a lock). The rule is
settings.Lockout; the conditions below say it in DynamoDB's words, so that it holds however
attempts race (`:now`, `:max`, and `:stale` = Lockout.stale_before(now)):

- _OPEN: checking is not locked at :now (Lockout.locked_until is None, or past);
- _WINDOW_OVER: the lock has run out, or, with no lock, the last attempt is stale: the next
  attempt starts counting afresh;
- _ROOM_IN_WINDOW: nothing counted yet, or budget left and the last attempt recent: the next
  attempt counts on.

tests/integration/test_passwords.py checks them against Lockout on every reachable state.
"""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from clients_api.errors import ClientNotFound, ConcurrentUpdate
from clients_api.models import StoredClient
from clients_api.repository._dynamo import ConditionFailed, Table, expression_values, parse_item
from clients_api.repository.clients import version_is
from clients_api.settings import Lockout

_WINDOW_OVER = (
    "(verify_locked_until <= :now OR (attribute_not_exists(verify_locked_until)"
    " AND (attribute_not_exists(verify_attempted_at) OR verify_attempted_at <= :stale)))"
)
_OPEN = (
    "((attribute_not_exists(verify_locked_until) AND (attribute_not_exists(verify_failures)"
    f" OR verify_failures < :max)) OR {_WINDOW_OVER})"
)
# A 0 is never locked: cleared counters count on whatever the last attempt's time.
_ROOM_IN_WINDOW = (
    "(attribute_not_exists(verify_failures) OR verify_failures = :zero"
    " OR (verify_failures < :max AND verify_attempted_at > :stale))"
)
_EXISTS = "attribute_exists(client_id)"


class VerificationRepository:
    def __init__(self, table: Table, lockout: Lockout) -> None:
        self._table = table
        self._lockout = lockout

    def count_attempt(self, client_id: str, *, now: int) -> StoredClient:
        """Count one verification attempt *before* it is checked, and return the client.

        Counting first is what makes the lock hold under parallel guesses: at most `max_failures`
        attempts get a slot until a match resets the counter. An attempt after the window is over
        starts a new one, in a second write that only one of several parallel attempts can make.
        Raises ClientNotFound, VerificationLocked, or ConcurrentUpdate when another attempt
        started the new window first (counting again then counts into it).
        """
        try:
            return self._counted(
                client_id,
                UpdateExpression="SET verify_failures = if_not_exists(verify_failures, :zero) + :one,"
                " verify_attempted_at = :now",
                ConditionExpression=f"{_EXISTS} AND {_ROOM_IN_WINDOW}",
                ExpressionAttributeValues=expression_values(
                    zero=0, one=1, max=self._lockout.max_failures, **self._clock(now)
                ),
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ConditionFailed as failed:
            self._lockout.refuse_while_locked(_client_or_not_found(failed.item), now)
        try:
            return self._counted(
                client_id,
                UpdateExpression="SET verify_failures = :one, verify_attempted_at = :now REMOVE verify_locked_until",
                ConditionExpression=f"{_EXISTS} AND {_WINDOW_OVER}",
                ExpressionAttributeValues=expression_values(one=1, **self._clock(now)),
            )
        except ConditionFailed:
            raise ConcurrentUpdate() from None

    def record_mismatch(self, client_id: str, *, now: int) -> None:
        """A mismatch keeps its counted attempt; the one that used up the budget starts the lock
        (if a parallel one has not already)."""
        self._update_unless_moot(
            client_id,
            UpdateExpression="SET verify_locked_until = :until",
            ConditionExpression="verify_failures >= :max AND attribute_not_exists(verify_locked_until)",
            ExpressionAttributeValues=expression_values(
                until=now + self._lockout.lock_seconds, max=self._lockout.max_failures
            ),
        )

    def record_match(self, client: StoredClient, upgraded_hash: str | None) -> None:
        """A match resets the counter; a hash made with older parameters is replaced, unless the
        password changed meanwhile."""
        update = "SET verify_failures = :zero REMOVE verify_locked_until"
        values: dict[str, Any] = {"zero": 0}
        condition = _EXISTS
        if upgraded_hash is not None:
            update = "SET verify_failures = :zero, password_hash = :new_hash REMOVE verify_locked_until"
            values |= {"new_hash": upgraded_hash, "old_hash": client.password_hash}
            condition = "password_hash = :old_hash"
        self._update_unless_moot(
            client.client_id,
            UpdateExpression=update,
            ConditionExpression=condition,
            ExpressionAttributeValues=expression_values(**values),
        )

    def set_password(self, current: StoredClient, password_hash: str, *, now: int) -> None:
        """A new hash for the client read as `current`, and the next version; the counter and any
        lock are cleared. Refused in the same write while verification is locked. Raises
        ClientNotFound, VerificationLocked, or ConcurrentUpdate if the client changed since it was
        read."""
        try:
            self._table.update(
                {"client_id": current.client_id},
                UpdateExpression="SET password_hash = :hash, verify_failures = :zero, #version = :next_version"
                " REMOVE verify_locked_until",
                ConditionExpression=f"{_EXISTS} AND {_OPEN} AND {version_is(current.version)}",
                ExpressionAttributeNames={"#version": "version"},
                ExpressionAttributeValues=expression_values(
                    hash=password_hash,
                    zero=0,
                    max=self._lockout.max_failures,
                    version=current.version,
                    next_version=current.version + 1,
                    **self._clock(now),
                ),
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ConditionFailed as failed:
            # Locked, or gone; else the version moved on.
            self._lockout.refuse_while_locked(_client_or_not_found(failed.item), now)
            raise ConcurrentUpdate() from None

    def clear(self, client_id: str) -> None:
        """Forget every counted attempt and any lock. Raises ClientNotFound."""
        try:
            self._table.update(
                {"client_id": client_id},
                UpdateExpression="SET verify_failures = :zero REMOVE verify_locked_until, verify_attempted_at",
                ConditionExpression=_EXISTS,
                ExpressionAttributeValues=expression_values(zero=0),
            )
        except ConditionFailed:
            raise ClientNotFound() from None

    def _clock(self, now: int) -> dict[str, int]:
        return {"now": now, "stale": self._lockout.stale_before(now)}

    def _counted(self, client_id: str, **params: Any) -> StoredClient:
        response = self._table.update({"client_id": client_id}, ReturnValues="ALL_NEW", **params)
        return parse_item(StoredClient, response["Attributes"])

    def _update_unless_moot(self, client_id: str, **params: Any) -> None:
        """An update whose condition failing means a parallel request already did it, or made it
        moot: nothing to do then."""
        with suppress(ConditionFailed):
            self._table.update({"client_id": client_id}, **params)


def _client_or_not_found(item: dict[str, Any] | None) -> StoredClient:
    """The item a refused write returned (ReturnValuesOnConditionCheckFailure): none, no client."""
    if not item:
        raise ClientNotFound()
    return parse_item(StoredClient, item)
