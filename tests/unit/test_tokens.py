"""The authorizer's token check, against tokens made here and a key set served over HTTP."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import RSAAlgorithm

from clients_api.access import CallerKind, Principal
from clients_api.tokens import (
    LEEWAY_SECONDS,
    UNKNOWN_KEY_REFETCH_SECONDS,
    InvalidToken,
    KeysUnavailable,
    TokenSettings,
    TokenVerifier,
    allow_whole_api,
)
from tools.local_api.issuer import AUDIENCE, ISSUER, LocalIssuer
from tools.local_api.jwks import ServedKeySet, served

CLIENT_ID = "7febf16f-651b-43b0-a5e3-0da8da49e90d"


@pytest.fixture
def issuer(tmp_path: Path) -> LocalIssuer:
    return LocalIssuer(tmp_path / "issuer")


@pytest.fixture
def keys(issuer: LocalIssuer) -> Iterator[ServedKeySet]:
    with served(issuer.jwks()) as key_set:
        yield key_set


def settings(url: str, **changes: str) -> TokenSettings:
    env = {"JWT_ISSUER": ISSUER, "JWT_AUDIENCE": AUDIENCE, "JWKS_URL": url} | changes
    return TokenSettings.from_environment(env)


@pytest.fixture
def verifier(keys: ServedKeySet) -> TokenVerifier:
    return TokenVerifier(settings(keys.url))


def claims(**changes: Any) -> dict[str, Any]:
    now = int(time.time())
    values = {"iss": ISSUER, "aud": AUDIENCE, "sub": CLIENT_ID, "iat": now, "nbf": now, "exp": now + 600}
    return {name: value for name, value in (values | changes).items() if value is not None}


def refused(verifier: TokenVerifier, token: str) -> str:
    with pytest.raises(InvalidToken) as refusal:
        verifier.principal(f"Bearer {token}")
    return refusal.value.reason


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


# ---------------------------------------------------------------- accepted


def test_a_clients_token_names_the_client(verifier, issuer):
    principal = verifier.principal(f"Bearer {issuer.token(client_id=CLIENT_ID.upper())}")
    assert principal == Principal(CallerKind.CLIENT, CLIENT_ID, ("openid",))


def test_a_token_with_the_service_scope_is_a_services(verifier, issuer):
    assert verifier.principal(f"Bearer {issuer.token(service=True)}").kind is CallerKind.SERVICE


@pytest.mark.parametrize("scp", [["read", "clients:admin"], "read clients:admin"])
def test_the_service_scope_may_come_in_scp_as_a_list_or_a_string(verifier, issuer, scp):
    token = issuer.sign(claims(sub="app", scp=scp))
    assert verifier.principal(f"Bearer {token}").kind is CallerKind.SERVICE


def test_the_client_id_claim_and_service_scope_are_settings(keys, issuer):
    verifier = TokenVerifier(settings(keys.url, CLIENT_ID_CLAIM="custom:client_id", SERVICE_SCOPE="booking"))
    client = issuer.sign(claims(sub="someone", **{"custom:client_id": CLIENT_ID}))
    assert verifier.principal(f"Bearer {client}") == Principal(CallerKind.CLIENT, CLIENT_ID)
    service = issuer.sign(claims(scope="booking"))
    assert verifier.principal(f"Bearer {service}").kind is CallerKind.SERVICE
    assert refused(verifier, issuer.sign(claims(scope="clients:admin"))) == "no custom:client_id claim naming a client"


def test_the_scheme_is_case_insensitive(verifier, issuer):
    assert verifier.principal(f"bearer {issuer.token(client_id=CLIENT_ID)}").client_id == CLIENT_ID


def test_clock_skew_within_the_leeway_is_tolerated(verifier, issuer):
    now = int(time.time())
    token = issuer.sign(claims(exp=now - LEEWAY_SECONDS + 5, nbf=now + LEEWAY_SECONDS - 5))
    assert verifier.principal(f"Bearer {token}").client_id == CLIENT_ID


def test_a_cognito_access_token_names_the_audience_in_client_id(verifier, issuer):
    token = issuer.sign(claims(aud=None, client_id=AUDIENCE, token_use="access"))
    assert verifier.principal(f"Bearer {token}").client_id == CLIENT_ID
    assert refused(verifier, issuer.sign(claims(aud=None, client_id="another-app", token_use="access"))) == (
        "another audience"
    )
    assert refused(verifier, issuer.sign(claims(aud=None, client_id=AUDIENCE, token_use="id"))) == "another audience"


def test_an_rsa_key_of_the_issuer_works_too(tmp_path):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = RSAAlgorithm.to_jwk(key.public_key(), as_dict=True) | {"kid": "rsa-1", "alg": "RS256", "use": "sig"}
    with served({"keys": [jwk]}) as keys:
        verifier = TokenVerifier(settings(keys.url))
        token = jwt.encode(claims(), key, algorithm="RS256", headers={"kid": "rsa-1"})
        assert verifier.principal(f"Bearer {token}").client_id == CLIENT_ID
        # The key is RS256's: the same key under another algorithm is refused.
        other = jwt.encode(claims(), key, algorithm="RS512", headers={"kid": "rsa-1"})
        assert refused(verifier, other) == "an algorithm other than its key's"


# ---------------------------------------------------------------- refused


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"iss": "https://evil.example.com/"}, "another issuer"),
        ({"aud": "another-api"}, "another audience"),
        ({"exp": -LEEWAY_SECONDS - 60}, "expired"),
        ({"nbf": LEEWAY_SECONDS + 60}, "not valid yet"),
        ({"exp": None}, "a required claim (exp, iss, aud) is missing"),
        ({"iss": None}, "a required claim (exp, iss, aud) is missing"),
        ({"sub": None}, "no sub claim naming a client"),
        ({"sub": ""}, "no sub claim naming a client"),
    ],
)
def test_a_token_with_a_wrong_claim_is_refused(verifier, issuer, changes, reason):
    now = int(time.time())  # exp and nbf are given from now
    changes = {
        name: now + value if name in ("exp", "nbf") and value is not None else value for name, value in changes.items()
    }
    assert refused(verifier, issuer.sign(claims(**changes))) == reason


def test_a_token_with_alg_none_is_refused(verifier, issuer):
    header = b64(json.dumps({"alg": "none", "typ": "JWT", "kid": issuer.key_id}).encode())
    payload = b64(json.dumps(claims(scope="clients:admin")).encode())
    assert refused(verifier, f"{header}.{payload}.") == "an algorithm other than its key's"


def test_a_token_signed_with_hs256_and_the_public_key_as_secret_is_refused(verifier, issuer, keys):
    # The classic confusion: the public key (which anyone can fetch) used as an HMAC secret.
    public_pem = jwt.PyJWK(keys.document["keys"][0]).key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": issuer.key_id}).encode())
    payload = b64(json.dumps(claims(scope="clients:admin")).encode())
    signature = b64(hmac.new(public_pem, f"{header}.{payload}".encode(), hashlib.sha256).digest())
    assert refused(verifier, f"{header}.{payload}.{signature}") == "an algorithm other than its key's"


def test_a_tampered_payload_is_refused(verifier, issuer):
    header, _, signature = issuer.token(client_id=CLIENT_ID).split(".")
    forged = b64(json.dumps(claims(scope="clients:admin")).encode())
    assert refused(verifier, f"{header}.{forged}.{signature}") == "bad signature"


def test_a_token_signed_by_another_key_under_the_issuers_kid_is_refused(verifier, issuer):
    impostor = ec.generate_private_key(ec.SECP256R1())
    token = jwt.encode(claims(), impostor, algorithm="ES256", headers={"kid": issuer.key_id})
    assert refused(verifier, token) == "bad signature"


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Bearer a b", "Bearer not-a-jwt", "Bearer a.b.c", "Token x"],
)
def test_garbage_is_refused(verifier, authorization):
    with pytest.raises(InvalidToken):
        verifier.principal(authorization)


def test_a_key_set_holding_a_shared_secret_is_never_used(tmp_path):
    secret = {"kty": "oct", "kid": "shared", "k": b64(b"s" * 32), "alg": "HS256"}
    with served({"keys": [secret]}) as keys:
        verifier = TokenVerifier(settings(keys.url))
        token = jwt.encode(claims(), b"s" * 32, algorithm="HS256", headers={"kid": "shared"})
        assert refused(verifier, token) == "the issuer's key is not for an asymmetric algorithm"


def test_no_issuer_or_audience_configured_authenticates_nobody(keys):
    with pytest.raises(ValueError, match="JWT_ISSUER"):
        TokenVerifier(settings(keys.url, JWT_ISSUER=""))
    with pytest.raises(ValueError, match="JWT_AUDIENCE"):
        TokenVerifier(settings(keys.url, JWT_AUDIENCE=""))


def test_the_key_set_url_defaults_to_the_issuers_well_known_place():
    assert TokenSettings.from_environment({"JWT_ISSUER": "https://tenant.auth0.com/"}).jwks_url == (
        "https://tenant.auth0.com/.well-known/jwks.json"
    )


# ---------------------------------------------------------------- the issuer's keys


def test_the_key_set_is_fetched_once_per_container(verifier, issuer, keys):
    for _ in range(5):
        verifier.principal(f"Bearer {issuer.token(client_id=CLIENT_ID)}")
    assert keys.fetches == 1


def test_an_unknown_kid_refetches_the_key_set_at_most_once_a_minute(verifier, issuer, keys, monkeypatch):
    clock = [time.monotonic()]
    monkeypatch.setattr(jwt.jwks_client.time, "monotonic", lambda: clock[0])
    verifier.principal(f"Bearer {issuer.token(client_id=CLIENT_ID)}")
    assert keys.fetches == 1

    # A rotation: the issuer publishes a new key and signs with it.
    rotated = ec.generate_private_key(ec.SECP256R1())
    jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(rotated.public_key())) | {"kid": "next", "alg": "ES256"}
    keys.document = {"keys": [*keys.document["keys"], jwk]}
    new_token = jwt.encode(claims(), rotated, algorithm="ES256", headers={"kid": "next"})

    # Within the cooldown, made-up or new kids do not reach the issuer...
    for kid in ("made-up-1", "made-up-2", "next"):
        refused(verifier, issuer.sign(claims(), headers={"kid": kid}) if kid != "next" else new_token)
    assert keys.fetches == 1

    # ...after it, one refetch picks up the new key.
    clock[0] += UNKNOWN_KEY_REFETCH_SECONDS + 1
    assert verifier.principal(f"Bearer {new_token}").client_id == CLIENT_ID
    assert keys.fetches == 2


def test_a_key_set_that_cannot_be_fetched_authenticates_nobody(issuer):
    with served({}) as gone:
        url = gone.url
    verifier = TokenVerifier(settings(url))
    with pytest.raises(KeysUnavailable):
        verifier.principal(f"Bearer {issuer.token(service=True)}")


# ---------------------------------------------------------------- the answer


def test_the_policy_allows_the_whole_stage_so_the_cached_answer_serves_every_route():
    arn = "arn:aws:execute-api:eu-central-1:123456789012:abc123/dev/GET/api/v1/clients/x"
    answer = allow_whole_api(Principal(CallerKind.CLIENT, CLIENT_ID, ("openid",)), arn)
    assert answer["principalId"] == CLIENT_ID
    [statement] = answer["policyDocument"]["Statement"]
    assert statement == {
        "Action": "execute-api:Invoke",
        "Effect": "Allow",
        "Resource": "arn:aws:execute-api:eu-central-1:123456789012:abc123/dev/*/*",
    }
    assert answer["context"] == {"kind": "client", "client_id": CLIENT_ID, "scopes": "openid"}
