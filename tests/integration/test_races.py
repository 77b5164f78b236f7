"""Uniqueness, the lockout, Idempotency-Key and If-Match hold when requests race: every caller
reads (or skips reading) before any of them writes, as two Lambda containers would."""

from __future__ import annotations

import json
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from clients_api.repository import clients_table
from clients_api.repository.idempotency import idempotency_store
from tests.support.apigw import build_event, lambda_context
from tests.support.concurrency import SerialisedDynamoDB, isolated_handler, one_metrics_writer_at_a_time
from tests.support.data import STRONG_PASSWORD, registration


def race(requests, meet_at, monkeypatch, headers=None):
    """Run each (method, path, body[, headers]) in its own handler copy and thread, with its own
    headers or else `headers`; all meet before `meet_at`. The statuses, sorted."""
    return sorted(r["statusCode"] for r in race_answers(requests, meet_at, monkeypatch, headers))


def race_answers(requests, meet_at, monkeypatch, headers=None):
    """The handlers' answers, in the order of `requests`."""
    table, records = clients_table(), idempotency_store()
    serialised = SerialisedDynamoDB(table.client, meet_at=meet_at, parties=len(requests))

    def send(numbered):
        number, (method, path, body, *own) = numbered
        event, module = build_event(method, path, body=body, headers=own[0] if own else headers)
        return isolated_handler(module, number)(event, lambda_context())

    with monkeypatch.context() as patch, ThreadPoolExecutor(len(requests)) as pool:
        # One client, one lock: the idempotency records and the clients table alike.
        patch.setattr(table, "client", serialised)
        patch.setattr(records, "client", serialised)
        one_metrics_writer_at_a_time(patch)
        return list(pool.map(send, enumerate(requests)))


@pytest.mark.parametrize("shared", ["email", "phone"])
def test_two_registrations_with_one_email_or_phone_give_one_201_and_one_409(api, store, monkeypatch, shared):
    first, second = registration(), registration()
    second[shared] = first[shared]

    statuses = race(
        [("POST", "/api/v1/clients", first), ("POST", "/api/v1/clients", second)], {"transact_write_items"}, monkeypatch
    )

    assert statuses == [201, 409]
    profiles = [i for i in store.items() if "owner" not in i]
    assert len(profiles) == 1
    guards = [i for i in store.items() if "owner" in i]
    assert {g["owner"] for g in guards} == {profiles[0]["client_id"]}


def test_two_clients_changing_to_one_email_leave_exactly_one_owner(api, store, monkeypatch):
    a = api.call("POST", "/api/v1/clients", body=registration()).json()["client_id"]
    b = api.call("POST", "/api/v1/clients", body=registration()).json()["client_id"]

    statuses = race(
        [
            ("PATCH", f"/api/v1/clients/{a}", {"email": "wanted@mail.ru"}),
            ("PATCH", f"/api/v1/clients/{b}", {"email": "wanted@mail.ru"}),
        ],
        {"transact_write_items"},
        monkeypatch,
    )

    assert statuses == [200, 409]
    owner = store.guard_owner("email", "wanted@mail.ru")
    assert store.client(owner)["email"] == "wanted@mail.ru"
    emails = [store.client(c)["email"] for c in (a, b)]
    assert all(store.guard_owner("email", e) in (a, b) for e in emails)
    assert len([i for i in store.items() if i["client_id"].startswith("EMAIL#")]) == 2


def test_two_clients_swapping_emails_never_share_or_lose_a_guard(api, store, monkeypatch):
    a_body, b_body = registration(), registration()
    a = api.call("POST", "/api/v1/clients", body=a_body).json()["client_id"]
    b = api.call("POST", "/api/v1/clients", body=b_body).json()["client_id"]

    statuses = race(
        [
            ("PATCH", f"/api/v1/clients/{a}", {"email": b_body["email"]}),
            ("PATCH", f"/api/v1/clients/{b}", {"email": a_body["email"]}),
        ],
        {"transact_write_items"},
        monkeypatch,
    )

    assert statuses == [409, 409]  # each email is held by its owner until the owner's change lands
    for client_id, body in ((a, a_body), (b, b_body)):
        email = store.client(client_id)["email"]
        assert email == body["email"]
        assert store.guard_owner("email", email) == client_id
    assert len([i for i in store.items() if i["client_id"].startswith("EMAIL#")]) == 2


def test_concurrent_updates_of_one_client_both_land(api, store, monkeypatch):
    client_id = api.call("POST", "/api/v1/clients", body=registration()).json()["client_id"]

    statuses = race(
        [
            ("PATCH", f"/api/v1/clients/{client_id}", {"email": "one@mail.ru"}),
            ("PATCH", f"/api/v1/clients/{client_id}/full_name", {"last_name": "Новая"}),
        ],
        {"update_item", "transact_write_items"},
        monkeypatch,
    )

    assert statuses == [200, 200]
    item = store.client(client_id)
    assert item["email"] == "one@mail.ru"
    assert item["last_name"] == "Новая"
    assert store.guard_owner("email", "one@mail.ru") == client_id


@pytest.mark.parametrize(
    ("path", "body"), [("", {"email": "retried@mail.ru"}), ("/phone_number", {"phone": "89165550101"})]
)
def test_a_retried_change_of_email_or_phone_is_200_twice_not_a_conflict_with_itself(
    api, store, monkeypatch, path, body
):
    client_id = api.call("POST", "/api/v1/clients", body=registration()).json()["client_id"]

    # A client app retries after a timeout: both requests read before either writes.
    statuses = race([("PATCH", f"/api/v1/clients/{client_id}{path}", body)] * 2, {"transact_write_items"}, monkeypatch)

    assert statuses == [200, 200]
    [(field, value)] = store.client(client_id).items() & {("email", "retried@mail.ru"), ("phone", "+79165550101")}
    assert store.guard_owner(field, value) == client_id
    assert store.client(client_id)["version"] == 2


def test_parallel_wrong_passwords_never_get_more_attempts_than_the_lockout_allows(api, store, monkeypatch):
    client_id = api.call("POST", "/api/v1/clients", body=registration()).json()["client_id"]
    path = f"/api/v1/clients/{client_id}/password/verify"

    statuses = race([("POST", path, {"password": f"guess-{n}"}) for n in range(8)], {"update_item"}, monkeypatch)

    assert statuses == [200] * 5 + [429] * 3
    assert store.client(client_id)["verify_failures"] == 5
    assert api.call("POST", path, body={"password": STRONG_PASSWORD}).status == 429


def test_parallel_wrong_passwords_after_the_window_ran_out_start_one_new_window(api, store, monkeypatch, clock):
    client_id = api.call("POST", "/api/v1/clients", body=registration()).json()["client_id"]
    path = f"/api/v1/clients/{client_id}/password/verify"
    for _ in range(4):
        api.call("POST", path, body={"password": "wrong"})
    clock.advance(900)

    statuses = race([("POST", path, {"password": f"guess-{n}"}) for n in range(8)], {"update_item"}, monkeypatch)

    assert statuses == [200] * 5 + [429] * 3
    assert store.client(client_id)["verify_failures"] == 5
    assert api.call("POST", path, body={"password": STRONG_PASSWORD}).status == 429


def test_parallel_registrations_with_one_key_register_one_client_and_each_gets_its_id_or_409_in_progress(
    api, store, monkeypatch
):
    answers = race_answers(
        [("POST", "/api/v1/clients", registration(email="once@mail.ru", phone="+79160000001"))] * 6,
        {"put_item"},  # every request claims the key before any of them registers
        monkeypatch,
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )

    [client] = [item for item in store.items() if "owner" not in item]
    for answer in answers:
        body = json.loads(answer["body"])
        if answer["statusCode"] == 201:
            assert body == {"client_id": client["client_id"]}
        else:
            assert (answer["statusCode"], body["code"]) == (409, "request_in_progress")
            assert answer["multiValueHeaders"]["Retry-After"] == ["1"]
    assert 201 in [answer["statusCode"] for answer in answers]


@pytest.mark.parametrize(
    "edits",
    [
        [("/full_name", {"last_name": "Новая"}), ("/additional_info", {"additional_info": "новое"})],
        [("", {"email": "race@mail.ru"}), ("/phone_number", {"phone": "+79160000002"})],
        [("/password", {"password": "совсем-другой-пароль-77"}), ("", {"first_name": "Олег"})],
    ],
    ids=["two updates", "two guard moves", "password and profile"],
)
def test_two_edits_with_one_if_match_give_one_200_and_one_412_and_only_the_winners_change(
    api, store, monkeypatch, edits
):
    client_id = api.call("POST", "/api/v1/clients", body=registration()).json()["client_id"]
    before = store.client(client_id)

    answers = race_answers(
        [("PATCH", f"/api/v1/clients/{client_id}{path}", body) for path, body in edits],
        {"update_item", "transact_write_items"},  # both read version 1 before either writes
        monkeypatch,
        headers={"If-Match": '"1"'},
    )

    assert sorted(answer["statusCode"] for answer in answers) == [200, 412]
    [winner] = [edit for edit, answer in zip(edits, answers, strict=True) if answer["statusCode"] == 200]
    after = store.client(client_id)
    changed = {name for name in after.keys() | before.keys() if after.get(name) != before.get(name)}
    winner_fields = {"password": "password_hash", "phone": "phone"}
    expected = {winner_fields.get(name, name) for name in winner[1]}
    assert changed == expected | {"version"}
    assert after["version"] == 2
    guards = {item["client_id"]: item["owner"] for item in store.items() if "owner" in item}
    assert guards == {f"EMAIL#{after['email']}": client_id, f"PHONE#{after['phone']}": client_id}


def assert_erased_or_whole(store, client_id):
    """Either the client is gone with every guard it held, or it is there with exactly the guards
    of its current email and phone: never a guard without its client, nor a client without one."""
    guards = {item["client_id"] for item in store.owned_by(client_id)}
    item = store.client(client_id)
    if item is None:
        assert guards == set()
        assert store.erasure(client_id) is not None
    else:
        assert guards == {f"EMAIL#{item['email']}", f"PHONE#{item['phone']}"}
        assert store.erasure(client_id) is None


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("", {"email": "moved@mail.ru"}),
        ("/phone_number", {"phone": "89165550102"}),
        ("", {"first_name": "Олег"}),
        ("/full_name", {"last_name": "Новая"}),
    ],
)
def test_an_erasure_racing_a_profile_change_leaves_no_guard_or_client_behind(api, store, monkeypatch, path, body):
    client_id = api.call("POST", "/api/v1/clients", body=registration()).json()["client_id"]

    statuses = race(
        [("DELETE", f"/api/v1/clients/{client_id}", None), ("PATCH", f"/api/v1/clients/{client_id}{path}", body)],
        {"update_item", "transact_write_items"},
        monkeypatch,
    )

    # The change first: the erasure reads the changed client again and erases it. The erasure
    # first: the change finds no client.
    assert statuses in ([200, 204], [204, 404])
    assert store.client(client_id) is None
    assert_erased_or_whole(store, client_id)
    assert [i for i in store.items() if "owner" in i] == []  # the new email or phone is free too


def test_an_erasure_with_if_match_racing_an_email_change_leaves_one_whole_outcome(api, store, monkeypatch):
    client_id = api.call("POST", "/api/v1/clients", body=registration()).json()["client_id"]

    statuses = race(
        [
            ("DELETE", f"/api/v1/clients/{client_id}", None, {"If-Match": '"1"'}),
            ("PATCH", f"/api/v1/clients/{client_id}", {"email": "moved@mail.ru"}),
        ],
        {"transact_write_items"},
        monkeypatch,
    )

    # The change first: the client is no longer at the version If-Match names, and stays whole.
    assert statuses in ([200, 412], [204, 404])
    assert_erased_or_whole(store, client_id)


def test_an_erasure_racing_a_password_change_leaves_no_guard_or_client_behind(api, store, monkeypatch):
    client_id = api.call("POST", "/api/v1/clients", body=registration()).json()["client_id"]

    statuses = race(
        [
            ("DELETE", f"/api/v1/clients/{client_id}", None),
            ("PATCH", f"/api/v1/clients/{client_id}/password", {"password": "совсем-новый-пароль-42"}),
        ],
        {"update_item", "transact_write_items"},
        monkeypatch,
    )

    assert statuses in ([200, 204], [204, 404])
    assert store.client(client_id) is None
    assert_erased_or_whole(store, client_id)
