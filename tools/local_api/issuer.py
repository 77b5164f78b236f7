"""The local token issuer: what an OIDC provider (Cognito, Auth0, Keycloak) is on AWS.

An ES256 signing key, made on first use and kept in `.local/issuer/` (never committed); its
public key set, which `make run` serves at /.well-known/jwks.json for the authorizer to fetch
(and which lies beside the key as jwks.json, for `sam local` users to serve); and tokens signed
with it, for `make token`. `make run` points the template's JwtIssuer, JwtAudience and JwksUrl
here, so the authorizer checks local tokens exactly as it checks real ones.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import time
import uuid
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

ISSUER = "urn:clients-api:local-issuer"
AUDIENCE = "clients-api-local"
SERVICE_SCOPE = "clients:admin"
SERVICE_SUBJECT = "local-service"
JWKS_PATH = "/.well-known/jwks.json"
# A working day: long enough not to expire during a session of trying the API.
TOKEN_LIFETIME_SECONDS = 12 * 3600
_KEY_FILE = "signing-key.pem"
KEY_SET_FILE = "jwks.json"


class LocalIssuer:
    def __init__(self, directory: Path) -> None:
        self._key = _load_or_create_key(directory / _KEY_FILE)
        public = ECAlgorithm.to_jwk(self._key.public_key(), as_dict=True)
        self.key_id = _thumbprint(public)
        self._public_jwk = public | {"kid": self.key_id, "alg": "ES256", "use": "sig"}
        _write_atomically(directory / KEY_SET_FILE, json.dumps(self.jwks(), indent=2) + "\n")

    def jwks(self) -> dict[str, Any]:
        return {"keys": [self._public_jwk]}

    def token(
        self, *, client_id: str | None = None, service: bool = False, lifetime_seconds: int = TOKEN_LIFETIME_SECONDS
    ) -> str:
        """A client's token (its id in `sub`, the template's default ClientIdClaim) or a service's
        (`scope` holding ServiceScope's default)."""
        if service == (client_id is not None):
            raise ValueError("a token is either a client's or a service's")
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "iat": now,
            "nbf": now,
            "exp": now + lifetime_seconds,
            "jti": str(uuid.uuid4()),
        }
        if service:
            claims |= {"sub": SERVICE_SUBJECT, "scope": SERVICE_SCOPE}
        else:
            claims |= {"sub": client_id, "scope": "openid"}
        return self.sign(claims)

    def sign(self, claims: dict[str, Any], headers: dict[str, Any] | None = None) -> str:
        return jwt.encode(claims, self._key, algorithm="ES256", headers={"kid": self.key_id} | (headers or {}))


def _load_or_create_key(path: Path) -> ec.EllipticCurvePrivateKey:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        key = ec.generate_private_key(ec.SECP256R1())
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        draft = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        draft.touch(mode=0o600)
        draft.write_bytes(pem)
        try:
            # A link is made whole or not at all: of two commands starting at once (make run,
            # make token) one key wins, and nobody reads a half-written one.
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ValueError(f"{path} is not an EC private key: delete it to make a new one")
    return key


def _write_atomically(path: Path, text: str) -> None:
    draft = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    draft.write_text(text)
    draft.replace(path)


def _thumbprint(jwk: dict[str, Any]) -> str:
    """RFC 7638: the key's id is the hash of its required members, so it names the key itself."""
    members = {name: jwk[name] for name in ("crv", "kty", "x", "y")}
    digest = hashlib.sha256(json.dumps(members, separators=(",", ":"), sort_keys=True).encode()).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")
