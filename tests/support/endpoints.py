"""The endpoints that name a client, each with a request that succeeds for its owner: for tests
that go through all of them (who may call, what an erased client gets)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tests.support.data import STRONG_PASSWORD

NEW_PASSWORD = "совсем-другой-пароль-77"


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # {id} is the client's id
    success: int
    body: dict[str, Any] | None = None
    query: dict[str, str] | None = None
    lookup_body: bool = False  # GET /clients with {"client_id": ...} as its body

    def call(self, api: Any, client_id: str, caller: Any) -> Any:
        query = {key: value.format(id=client_id) for key, value in (self.query or {}).items()} or None
        body = {"client_id": client_id} if self.lookup_body else self.body
        return api.call(self.method, self.path.format(id=client_id), body=body, query=query, caller=caller)


# Every endpoint that names a client, with a request that succeeds for its owner.
ON_A_CLIENT = {
    "profile": Endpoint("GET", "/api/v1/clients/{id}", 200),
    "profile by query": Endpoint("GET", "/api/v1/clients", 200, query={"client_id": "{id}"}),
    "profile by body": Endpoint("GET", "/api/v1/clients", 200, lookup_body=True),
    "update": Endpoint("PATCH", "/api/v1/clients/{id}", 200, {"additional_info": "новое"}),
    "full name": Endpoint("PATCH", "/api/v1/clients/{id}/full_name", 200, {"last_name": "Петрова"}),
    "password": Endpoint(
        "PATCH", "/api/v1/clients/{id}/password", 200, {"password": NEW_PASSWORD, "current_password": STRONG_PASSWORD}
    ),
    "verify": Endpoint("POST", "/api/v1/clients/{id}/password/verify", 200, {"password": STRONG_PASSWORD}),
    "phone": Endpoint("PATCH", "/api/v1/clients/{id}/phone_number", 200, {"phone_number": "+79990001122"}),
    "additional info": Endpoint("PATCH", "/api/v1/clients/{id}/additional_info", 200, {"additional_info": ""}),
    "sessions": Endpoint("GET", "/api/v1/clients/{id}/sessions", 200),
}
CLEAR_LOCK = Endpoint("DELETE", "/api/v1/clients/{id}/password/lock", 204)
ERASE = Endpoint("DELETE", "/api/v1/clients/{id}", 204)
