"""Client items and their uniqueness guards, in the clients table (key `client_id`).

- The client item is keyed by the client's UUID and carries a `version`, bumped by every change of
  the profile or the password: each change is conditioned on the version it read.
- One guard item per unique value, keyed `EMAIL#<email>` and `PHONE#<e164>`, holds its `owner`.
  A guard is created with `attribute_not_exists` in the same transaction as the client item it
  belongs to, so two clients can never hold one email or phone, whatever the interleaving.
- Erasing a client deletes its item and its guards, and puts its erasure record (id and time) in
  the erasures table, in one transaction.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from clients_api.errors import ConcurrentUpdate, EmailTaken, PhoneTaken
from clients_api.models import StoredClient
from clients_api.repository._dynamo import Table, Write, expression_values, parse_item, to_item

_GUARDED = (("email", "EMAIL#", EmailTaken), ("phone", "PHONE#", PhoneTaken))
_NEW_KEY = "attribute_not_exists(client_id)"
# An erasure record's `erased_at`: ISO 8601, UTC, to the second.
_ERASED_AT_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


class ClientRepository:
    def __init__(self, table: Table, erasures_table: str) -> None:
        self._table = table
        self._erasures_table = erasures_table

    def get(self, client_id: str) -> StoredClient | None:
        item = self._table.get({"client_id": client_id}, ConsistentRead=True)
        return parse_item(StoredClient, item) if item else None

    def exists(self, client_id: str) -> bool:
        # Consistent: a client registered a moment ago must not be a 404 on its sessions.
        item = self._table.get({"client_id": client_id}, ProjectionExpression="client_id", ConsistentRead=True)
        return item is not None

    def create(self, client: StoredClient) -> None:
        """The client item and its email and phone guards, all or nothing. Raises EmailTaken or
        PhoneTaken."""
        item = to_item(client.model_dump(mode="json", exclude_none=True))
        guards = [_new_guard(prefix + getattr(client, field), client, taken) for field, prefix, taken in _GUARDED]
        self._table.write([Write("Put", {"Item": item, "ConditionExpression": _NEW_KEY}, ConcurrentUpdate), *guards])

    def update(self, current: StoredClient, changes: dict[str, Any]) -> None:
        """Apply `changes` to the client read as `current`; an email or phone change moves its
        guard in the same transaction. Raises ConcurrentUpdate if the client changed since it was
        read, EmailTaken or PhoneTaken if another client holds the new value."""
        values = StoredClient.model_validate({**current.model_dump(), **changes}).model_dump(mode="json")
        names = sorted(changes)
        client = Write(
            "Update",
            {
                "Key": to_item({"client_id": current.client_id}),
                "UpdateExpression": "SET " + ", ".join(f"#{n} = :{n}" for n in names) + ", #version = :next_version",
                "ConditionExpression": version_is(current.version),
                "ExpressionAttributeNames": {f"#{n}": n for n in [*names, "version"]},
                "ExpressionAttributeValues": expression_values(
                    **{n: values[n] for n in names}, version=current.version, next_version=current.version + 1
                ),
            },
            ConcurrentUpdate,
        )
        new_guards, old_guards = [], []
        for field, prefix, taken in _GUARDED:
            if field not in changes:
                continue
            new_guards.append(_new_guard(prefix + changes[field], current, taken))
            old_guards.append(_released_guard(prefix + getattr(current, field), current))
        # Of several failed conditions the first is reported: the client changed since it was read
        # (then what its guards said is stale too: a retried change meets its own new guard), then
        # a value another client holds, then an old guard that is no longer ours.
        self._table.write([client, *new_guards, *old_guards])

    def erase(self, current: StoredClient, erased_at: datetime) -> None:
        """Delete the client read as `current` and its email and phone guards, and record the
        erasure (the client's id and `erased_at`, nothing else), all or nothing: the email and
        phone are free at once. Raises ConcurrentUpdate if the client changed or went since it
        was read (a changed email or phone has moved its guard: the read names the wrong one)."""
        client = Write(
            "Delete",
            {
                "Key": to_item({"client_id": current.client_id}),
                "ConditionExpression": version_is(current.version),
                "ExpressionAttributeNames": {"#version": "version"},
                "ExpressionAttributeValues": expression_values(version=current.version),
            },
            ConcurrentUpdate,
        )
        guards = [_released_guard(prefix + getattr(current, field), current) for field, prefix, _ in _GUARDED]
        record = {"client_id": current.client_id, "erased_at": erased_at.astimezone(UTC).strftime(_ERASED_AT_FORMAT)}
        # Unconditional: a client back from a restored backup has a record already; the new time
        # replaces it.
        erasure = Write("Put", {"Item": to_item(record)}, ConcurrentUpdate, table=self._erasures_table)
        self._table.write([client, *guards, erasure])


def version_is(version: int) -> str:
    """A condition: the client item is at `version` (an item written before versions existed,
    without the attribute, counts as version 1). Uses `#version` and `:version`.

    A missing item is at no version: an update conditioned on version 1 would otherwise create a
    one-field client where another request had just erased it."""
    if version == 1:
        return "(#version = :version OR (attribute_exists(client_id) AND attribute_not_exists(#version)))"
    return "#version = :version"


def _new_guard(key: str, owner: StoredClient, taken: type[EmailTaken | PhoneTaken]) -> Write:
    """The guard of one unique value, created only where none exists yet."""
    item = to_item({"client_id": key, "owner": owner.client_id})
    return Write("Put", {"Item": item, "ConditionExpression": _NEW_KEY}, taken)


def _released_guard(key: str, owner: StoredClient) -> Write:
    """The removal of a guard, only while it is still `owner`'s."""
    params = {
        "Key": to_item({"client_id": key}),
        "ConditionExpression": "#owner = :owner",
        "ExpressionAttributeNames": {"#owner": "owner"},
        "ExpressionAttributeValues": expression_values(owner=owner.client_id),
    }
    return Write("Delete", params, ConcurrentUpdate)
