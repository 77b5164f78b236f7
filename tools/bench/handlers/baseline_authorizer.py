"""The authorizer's baseline: a bearer token checked with PyJWT alone.

What a REQUEST authorizer cannot do without: the issuer's key set fetched once per container
(PyJWT's own client, which keeps it), the signature, issuer, audience and expiry checked, and a
policy allowing the whole stage (the gateway caches it for every route) with the caller in its
context. No logging, no metrics, no reason given for a refusal: the floor functions/authorize is
measured against.
"""

from __future__ import annotations

import os
from typing import Any

import jwt

ISSUER = os.environ["JWT_ISSUER"]
AUDIENCE = os.environ["JWT_AUDIENCE"]
keys = jwt.PyJWKClient(os.environ["JWKS_URL"])


def authorize(event: dict[str, Any], context: object) -> dict[str, Any]:
    # HTTP/2 clients send header names in lower case; API Gateway passes them on as sent.
    header = next(value for name, value in event["headers"].items() if name.lower() == "authorization")
    token = header.removeprefix("Bearer ")
    key = keys.get_signing_key_from_jwt(token)
    claims = jwt.decode(
        token, key.key, [key.algorithm_name], audience=AUDIENCE, issuer=ISSUER, options={"require": ["exp"]}
    )
    api, _, route = event["methodArn"].partition("/")
    statement = {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": f"{api}/{route.split('/')[0]}/*/*"}
    return {
        "principalId": claims["sub"],
        "policyDocument": {"Version": "2012-10-17", "Statement": [statement]},
        "context": {"sub": claims["sub"], "scope": claims.get("scope", "")},
    }
