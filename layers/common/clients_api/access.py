"""Who is calling, and what they may do: the one place that decides access.

The authorizer in front of the API (functions/authorize, AUTH_MODE=jwt) or API Gateway's own
SigV4 check (AUTH_MODE=iam) authenticates the caller; the functions authorize it here, from what
API Gateway hands them in the request context. The rules are the contract's:

| operation                                   | client (its own id only) | service | no caller            |
|---------------------------------------------|--------------------------|---------|----------------------|
| register                                    | no (403)                 | yes     | with OpenRegistration |
| read, change, verify, erase its own record  | yes; another id is 404   | yes     | no (401)             |
| change its password                         | with current_password    | yes     | no (401)             |
| clear a verification lock                   | no (403)                 | yes     | no (401)             |

With AUTH_MODE=none every caller may do everything: an explicit opt-out for demos.
Stdlib only: the authorizer imports this module too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from clients_api.errors import ClientNotFound, CurrentPasswordRequired, Forbidden, Unauthenticated


class AuthMode(StrEnum):
    """The template's AuthMode, as the functions see it in AUTH_MODE."""

    JWT = "jwt"
    IAM = "iam"
    NONE = "none"


class CallerKind(StrEnum):
    CLIENT = "client"  # an end user, acting on its own record
    SERVICE = "service"  # a trusted backend (or, with AUTH_MODE=none, anyone)
    ANONYMOUS = "anonymous"  # no caller was authenticated


class Rule(StrEnum):
    """Who may call an operation."""

    OWNER_OR_SERVICE = "the client itself or a service"
    SERVICE = "a service"
    # Registration: a service, or anyone when the stack is deployed with OpenRegistration=true.
    REGISTRATION = "a service (anyone with open registration)"


@dataclass(frozen=True, slots=True)
class Principal:
    kind: CallerKind
    client_id: str | None = None  # a client's own id
    scopes: tuple[str, ...] = ()

    # The keys the authorizer's context uses; API Gateway passes them on unchanged (strings only).
    def to_context(self) -> dict[str, str]:
        context = {"kind": self.kind.value, "scopes": " ".join(self.scopes)}
        if self.client_id is not None:
            context["client_id"] = self.client_id
        return context

    @classmethod
    def from_request_context(cls, request_context: Mapping[str, Any], mode: AuthMode) -> Principal:
        """The caller as API Gateway describes it. Fails closed: whatever is missing or odd is an
        anonymous caller, refused by every rule but open registration."""
        if mode is AuthMode.NONE:
            return cls(CallerKind.SERVICE)
        if mode is AuthMode.IAM:
            # API Gateway verified the SigV4 signature and the caller's IAM permission.
            signed = (request_context.get("identity") or {}).get("userArn")
            return cls(CallerKind.SERVICE) if signed else cls(CallerKind.ANONYMOUS)
        context = request_context.get("authorizer") or {}
        kind = context.get("kind")
        scopes = tuple(str(context.get("scopes") or "").split())
        if kind == CallerKind.SERVICE:
            return cls(CallerKind.SERVICE, scopes=scopes)
        client_id = context.get("client_id")
        if kind == CallerKind.CLIENT and isinstance(client_id, str) and client_id:
            return cls(CallerKind.CLIENT, client_id.lower(), scopes)
        return cls(CallerKind.ANONYMOUS)

    def log_keys(self) -> dict[str, str]:
        """What a log line may say of the caller: its kind, and a client's id. Never the token or
        any other claim (they may hold personal data)."""
        keys = {"caller": self.kind.value}
        if self.client_id is not None:
            keys["caller_client_id"] = self.client_id
        return keys


def authorize(
    principal: Principal, rule: Rule, client_id: str | None = None, *, open_registration: bool = False
) -> None:
    """Raise unless `principal` may do an operation under `rule` (on `client_id`'s record).

    Raises Unauthenticated (no caller), ClientNotFound (a client naming another client's id: the
    answer must not tell whether that client exists) or Forbidden.
    """
    if principal.kind is CallerKind.ANONYMOUS:
        if rule is Rule.REGISTRATION and open_registration:
            return
        raise Unauthenticated()
    if principal.kind is CallerKind.SERVICE:
        return
    if client_id is not None and client_id != principal.client_id:
        raise ClientNotFound()
    if rule is not Rule.OWNER_OR_SERVICE:
        raise Forbidden()


def require_current_password(principal: Principal, current_password: str | None) -> None:
    """A client changing its own password proves it knows the current one; a service need not."""
    if principal.kind is CallerKind.CLIENT and current_password is None:
        raise CurrentPasswordRequired()
