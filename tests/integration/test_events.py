"""The committed events/ are real API Gateway proxy events our handlers serve as they are."""

from __future__ import annotations

import json

import pytest

from tests.support.apigw import EVENTS, invoke, load_event
from tests.support.template import route_for

EVENT_FILES = sorted(p.stem for p in EVENTS.glob("*.json"))
CLIENT_ID = "7febf16f-651b-43b0-a5e3-0da8da49e90d"
PASSWORD = "паучикапау-2024"  # the password in events/register_client.json


def test_there_is_an_event_for_every_route():
    routes = {route_for(e["httpMethod"], e["path"])[0] for e in map(load_event, EVENT_FILES)}
    from tests.support.template import ANY
    from tests.support.template import routes as all_routes

    # Every route a function serves; of the 405 function's (ANY on every path), one.
    assert {r for r in routes if r.method != ANY} == {r for r in all_routes() if r.method != ANY}
    assert len([r for r in routes if r.method == ANY]) == 1


@pytest.fixture
def registered(api, store):
    """The client the events talk about, registered through the register event itself."""
    event = load_event("register_client")
    response, _ = invoke(event, route_for("POST", event["path"])[0].module)
    created = json.loads(response.body)["client_id"]
    # The events name a fixed id; move the stored client there.
    item = store.ddb.get_item(TableName=store.clients_table, Key={"client_id": {"S": created}})["Item"]
    item["client_id"] = {"S": CLIENT_ID}
    store.ddb.put_item(TableName=store.clients_table, Item=item)
    for kind, key in (("EMAIL#", item["email"]["S"]), ("PHONE#", item["phone"]["S"])):
        store.ddb.put_item(
            TableName=store.clients_table, Item={"client_id": {"S": kind + key}, "owner": {"S": CLIENT_ID}}
        )
    store.ddb.delete_item(TableName=store.clients_table, Key={"client_id": {"S": created}})
    store.put_session(CLIENT_ID, "2024-02-25T10:00:00Z", status="проведена")
    return CLIENT_ID


# What each event answers, but 2xx: the 405 function's event is a method the path does not serve.
NOT_2XX = {"method_not_allowed": 405}


@pytest.mark.parametrize("name", [n for n in EVENT_FILES if n != "register_client"])
def test_each_event_is_served_with_a_2xx(registered, name):
    event = load_event(name)
    response, raw = invoke(event, route_for(event["httpMethod"], event["path"])[0].module)

    assert 200 <= response.status < 300 or response.status == NOT_2XX.get(name), response.body
    assert raw["multiValueHeaders"]["X-Correlation-Id"] == [event["requestContext"]["requestId"]]


def test_register_event_gives_201_and_a_location_behind_the_stage(api):
    event = load_event("register_client")
    response, _ = invoke(event, route_for("POST", event["path"])[0].module)
    assert response.status == 201
    assert response.headers["location"].startswith("/dev/api/v1/clients/")
