"""tools/erasures: after the clients table is restored from a backup, the recorded erasures are
made again. The restore is simulated as PITR does it: a new table holding the items as they were
before the erasures."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.support.data import registration
from tests.support.store import Store
from tests.support.template import create_table_kwargs
from tools.erasures import __main__ as cli
from tools.erasures.reapply import reapply

RESTORED = "clients-restored"


@pytest.fixture
def clients(api):
    """Three registered clients' ids."""
    return [api.call("POST", "/api/v1/clients", body=registration()).json()["client_id"] for _ in range(3)]


@pytest.fixture
def restored(store, ddb):
    """`restored()`: a new table holding the clients table's items as they are now (the backup)."""

    def restore() -> Store:
        ddb.create_table(**create_table_kwargs("ClientsTable", RESTORED))
        for item in ddb.scan(TableName=store.clients_table)["Items"]:
            ddb.put_item(TableName=RESTORED, Item=item)
        return Store(ddb, clients_table=RESTORED)

    return restore


def erase(api, client_id):
    assert api.call("DELETE", f"/api/v1/clients/{client_id}").status == 204


def items_of(table: Store, client_id: str) -> list[dict]:
    return [item for item in table.items() if client_id in (item["client_id"], item.get("owner"))]


def test_a_restored_table_loses_the_erased_clients_and_their_guards_again(api, store, ddb, clients, restored):
    kept, *erased = clients
    backup = restored()
    before_kept = items_of(backup, kept)
    for client_id in erased:
        erase(api, client_id)

    done = reapply(ddb, RESTORED, store.erasures_table)

    assert done.erasures == 2
    assert done.deleted == 6  # each: the client item, its email guard, its phone guard
    for client_id in erased:
        assert items_of(backup, client_id) == []
    assert items_of(backup, kept) == before_kept


def test_reapplying_again_deletes_nothing(api, store, ddb, clients, restored):
    restored()
    erase(api, clients[0])
    reapply(ddb, RESTORED, store.erasures_table)

    assert reapply(ddb, RESTORED, store.erasures_table).deleted == 0


def test_since_leaves_erasures_before_it_to_the_backup(api, store, ddb, clients, restored):
    backup = restored()
    older, newer = clients[:2]
    erase(api, older)
    erase(api, newer)
    store.ddb.put_item(
        TableName=store.erasures_table,
        Item={"client_id": {"S": older}, "erased_at": {"S": "2026-01-01T00:00:00Z"}},
    )

    done = reapply(ddb, RESTORED, store.erasures_table, since=datetime(2026, 1, 2, tzinfo=UTC))

    assert done.erasures == 1
    assert items_of(backup, newer) == []
    assert len(items_of(backup, older)) == 3


def test_a_guard_without_its_client_is_found_and_deleted(api, store, ddb, clients, restored):
    backup = restored()
    erase(api, clients[0])
    ddb.delete_item(TableName=RESTORED, Key={"client_id": {"S": clients[0]}})

    assert reapply(ddb, RESTORED, store.erasures_table).deleted == 2
    assert items_of(backup, clients[0]) == []


def test_a_guard_another_client_took_meanwhile_is_left_to_it(api, store, ddb, clients, restored):
    backup = restored()
    erased, newcomer = clients[0], "0f0e0d0c-0b0a-4908-8706-050403020100"
    erase(api, erased)
    [email_guard] = [i["client_id"] for i in items_of(backup, erased) if i["client_id"].startswith("EMAIL#")]

    class TakenBetweenScanAndDelete:
        """The restored table serves again: a new client takes the email while the tool runs."""

        def __getattr__(self, name):
            return getattr(ddb, name)

        def delete_item(self, **params):
            if params["Key"]["client_id"]["S"] == email_guard:
                ddb.put_item(TableName=RESTORED, Item={"client_id": {"S": email_guard}, "owner": {"S": newcomer}})
            return ddb.delete_item(**params)

    done = reapply(TakenBetweenScanAndDelete(), RESTORED, store.erasures_table)

    assert (done.deleted, done.kept) == (2, 1)
    assert backup.client(email_guard)["owner"] == newcomer


def test_a_dry_run_counts_and_deletes_nothing(api, store, ddb, clients, restored):
    backup = restored()
    before = backup.items()
    erase(api, clients[0])

    done = reapply(ddb, RESTORED, store.erasures_table, dry_run=True)

    assert done.deleted == 3
    assert backup.items() == before


def test_the_command_prints_counts_and_no_email_or_phone(api, store, clients, restored, capsys):
    restored()
    erase(api, clients[0])
    capsys.readouterr()

    assert cli.main(["reapply", "--clients-table", RESTORED, "--erasures-table", store.erasures_table]) == 0

    out = capsys.readouterr().out
    assert out == f"erasure records: 1; items deleted from {RESTORED}: 3\n"
