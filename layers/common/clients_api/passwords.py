"""The password primitives: Argon2id hashing and checking, and the strength policy. No storage,
no lock: the use cases that apply them (verify, change) are credentials.py.

Imported only by the functions that hash or check passwords: argon2 and the common-password
list stay out of every other function's cold start.
"""

from __future__ import annotations

import gzip
import unicodedata
from functools import cache
from importlib import resources

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from clients_api.errors import StoredItemInvalid

# OWASP's Argon2id baseline (m=19 MiB, t=2, p=1): ~14 ms and ~36 MB per hash on a Lambda-sized
# CPU. argon2-cffi's own default (64 MiB, t=3, p=4) costs ~90 ms and ~82 MB.
_HASHER = PasswordHasher(time_cost=2, memory_cost=19_456, parallelism=1, hash_len=32, salt_len=16, type=Type.ID)


def normalise(password: str) -> str:
    """The form that is hashed and checked: NFKC, so visually equal input matches."""
    return unicodedata.normalize("NFKC", password)


def hash_password(password: str) -> str:
    return _HASHER.hash(normalise(password))


def matches(password_hash: str, password: str) -> bool:
    """Constant-time check (libargon2 compares the full digest). A stored hash that libargon2
    cannot read is a fault in our data (a 500), not a mismatch that would lock the client out."""
    try:
        return _HASHER.verify(password_hash, normalise(password))
    except VerifyMismatchError:
        return False
    except (VerificationError, InvalidHashError):
        raise StoredItemInvalid("StoredClient", ["password_hash"]) from None


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's."""
    return _HASHER.check_needs_rehash(password_hash)


@cache
def _common_passwords() -> frozenset[str]:
    data = resources.files(__package__).joinpath("data/common-passwords.txt.gz").read_bytes()
    return frozenset(gzip.decompress(data).decode().splitlines())


def policy_violation(password: str, email: str | None) -> str | None:
    """Why this new password is refused, or None when it is acceptable."""
    folded = normalise(password).casefold()
    if folded.strip() in _common_passwords():
        return "is one of the most common passwords; choose a less predictable one"
    local_part = email.partition("@")[0].casefold() if email else ""
    if len(local_part) >= 3 and local_part in folded:
        return "must not contain the email address"
    return None
