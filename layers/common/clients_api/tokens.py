"""Bearer tokens from the configured OIDC issuer: who the caller is (for functions/authorize).

Authentication only: what a caller may do is decided by the functions (access.py). This module
imports PyJWT and the standard library, never pydantic, the resolver or boto3: the authorizer
runs in front of every request the gateway's cache does not answer, so its cold start is small.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import jwt
from jwt import PyJWKClient, PyJWKClientConnectionError

from clients_api.access import CallerKind, Principal

# Asymmetric algorithms only: never `none`, never HS* (a shared secret would let anyone who
# holds it mint tokens; and HS* "signed" with a public key is the classic confusion attack).
ALGORITHMS = frozenset({"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"})
# Clock skew tolerated on exp / nbf / iat between the issuer and Lambda.
LEEWAY_SECONDS = 30
# The issuer's key set is kept for this long by each container...
KEY_SET_LIFESPAN_SECONDS = 3600
# ...and refetched early for a token signed with a key it does not hold (a rotation), at most
# once per this many seconds: a flood of made-up `kid`s cannot hammer the issuer.
UNKNOWN_KEY_REFETCH_SECONDS = 60
JWKS_TIMEOUT_SECONDS = 3


class InvalidToken(Exception):
    """No usable token. `reason` is safe to log: it never holds the token or a claim."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class KeysUnavailable(Exception):
    """The issuer's key set could not be fetched: nobody can be authenticated right now."""


@dataclass(frozen=True, slots=True)
class TokenSettings:
    issuer: str
    audience: str
    jwks_url: str
    client_id_claim: str
    service_scope: str

    @classmethod
    def from_environment(cls, env: Mapping[str, str] = os.environ) -> TokenSettings:
        """The template's JwtIssuer, JwtAudience, JwksUrl, ClientIdClaim and ServiceScope."""
        issuer = env.get("JWT_ISSUER", "")
        return cls(
            issuer=issuer,
            audience=env.get("JWT_AUDIENCE", ""),
            # OIDC's usual place (Cognito, Auth0, Keycloak publish their keys there or say where).
            jwks_url=env.get("JWKS_URL") or f"{issuer.rstrip('/')}/.well-known/jwks.json",
            client_id_claim=env.get("CLIENT_ID_CLAIM") or "sub",
            service_scope=env.get("SERVICE_SCOPE") or "clients:admin",
        )


class TokenVerifier:
    """Checks `Authorization: Bearer <JWT>` and names the caller. Create one per container: it
    keeps the issuer's keys."""

    def __init__(self, settings: TokenSettings, keys: PyJWKClient | None = None) -> None:
        if not (settings.issuer and settings.audience):
            # Fail closed: a stack without an issuer or audience authenticates nobody.
            raise ValueError("JWT_ISSUER and JWT_AUDIENCE must be set")
        self._settings = settings
        self._keys = keys or PyJWKClient(
            settings.jwks_url,
            lifespan=KEY_SET_LIFESPAN_SECONDS,
            cooldown_duration=UNKNOWN_KEY_REFETCH_SECONDS,
            timeout=JWKS_TIMEOUT_SECONDS,
        )

    def principal(self, authorization: str | None) -> Principal:
        """The caller of a request with this Authorization header. Raises InvalidToken or
        KeysUnavailable."""
        claims = self._claims(_bearer_token(authorization))
        scopes = _scopes(claims)
        if self._settings.service_scope in scopes:
            return Principal(CallerKind.SERVICE, scopes=scopes)
        client_id = claims.get(self._settings.client_id_claim)
        if not isinstance(client_id, str) or not client_id:
            raise InvalidToken(f"no {self._settings.client_id_claim} claim naming a client")
        return Principal(CallerKind.CLIENT, client_id.lower(), scopes)

    def _claims(self, token: str) -> dict[str, Any]:
        key = self._signing_key(token)
        settings = self._settings
        verify = {
            "key": key.key,
            # The token must use the algorithm of the key it names, nothing else.
            "algorithms": [key.algorithm_name],
            "issuer": settings.issuer,
            "leeway": LEEWAY_SECONDS,
        }
        try:
            try:
                return jwt.decode(token, audience=settings.audience, options={"require": _REQUIRED}, **verify)
            except jwt.MissingRequiredClaimError as exc:
                if exc.claim != "aud":
                    raise
                # Cognito's access tokens carry no `aud`: they name the app client in `client_id`.
                claims = jwt.decode(token, options={"require": ["exp", "iss"], "verify_aud": False}, **verify)
                if claims.get("token_use") != "access" or claims.get("client_id") != settings.audience:
                    raise jwt.InvalidAudienceError() from None
                return claims
        except jwt.PyJWTError as exc:
            raise InvalidToken(_reason(exc)) from None

    def _signing_key(self, token: str) -> jwt.PyJWK:
        try:
            key = self._keys.get_signing_key_from_jwt(token)
        except PyJWKClientConnectionError as exc:
            raise KeysUnavailable() from exc
        except jwt.PyJWKClientError:
            raise InvalidToken("signed with a key the issuer does not publish") from None
        except jwt.PyJWTError:
            raise InvalidToken("not a JWT") from None
        if key.algorithm_name not in ALGORITHMS:
            raise InvalidToken("the issuer's key is not for an asymmetric algorithm")
        return key


_REQUIRED = ["exp", "iss", "aud"]
# Why a token was refused, for the log: never the token or a claim's value.
_REASONS: tuple[tuple[type[jwt.PyJWTError], str], ...] = (
    (jwt.ExpiredSignatureError, "expired"),
    (jwt.ImmatureSignatureError, "not valid yet"),
    (jwt.InvalidIssuerError, "another issuer"),
    (jwt.InvalidAudienceError, "another audience"),
    (jwt.MissingRequiredClaimError, "a required claim (exp, iss, aud) is missing"),
    (jwt.InvalidSignatureError, "bad signature"),
    (jwt.InvalidAlgorithmError, "an algorithm other than its key's"),
)


def _reason(error: jwt.PyJWTError) -> str:
    return next((reason for kind, reason in _REASONS if isinstance(error, kind)), "not a valid JWT")


def _bearer_token(authorization: str | None) -> str:
    scheme, _, token = (authorization or "").strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or " " in token:
        raise InvalidToken("no bearer token")
    return token


def _scopes(claims: Mapping[str, Any]) -> tuple[str, ...]:
    """OAuth scopes: `scope` (Cognito, Auth0, Keycloak: space-separated) or `scp` (Azure AD, Okta:
    a list or space-separated)."""
    found: list[str] = []
    for name in ("scope", "scp"):
        value = claims.get(name)
        if isinstance(value, str):
            found += value.split()
        elif isinstance(value, list):
            found += [item for item in value if isinstance(item, str)]
    return tuple(found)


def allow_whole_api(principal: Principal, method_arn: str) -> dict[str, Any]:
    """The authorizer's answer for an authenticated caller. The policy allows every route of the
    stage, because API Gateway caches it per token for every route (AuthCacheSeconds); each
    function then decides what this caller may do there."""
    api, _, stage_and_route = method_arn.partition("/")
    stage = stage_and_route.split("/", 1)[0]
    return {
        "principalId": principal.client_id or principal.kind.value,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": f"{api}/{stage}/*/*"}],
        },
        "context": principal.to_context(),
    }
