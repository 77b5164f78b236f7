"""`ETag` / `If-Match`: a client's version as an entity tag, and what an If-Match asks of it.

Each client item carries an integer `version` (1 at registration, +1 on every change of the
profile or the password). Its ETag is the strong tag `"<version>"`. A write asked with If-Match
happens only if the client's version is one the header names (`*`: any existing client); the
domain compares against the version it read, and the write itself is conditioned on that same
version, so a change in between is caught by the database, never by a second read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from clients_api.errors import PreconditionFailed

_STRONG_TAG = re.compile(r'"(\d{1,18})"')


def etag(version: int) -> str:
    return f'"{version}"'


@dataclass(frozen=True, slots=True)
class Precondition:
    """An If-Match header: the versions it accepts, or None for `*` (any existing client)."""

    versions: frozenset[int] | None

    @classmethod
    def from_header(cls, value: str) -> Precondition:
        """`*`, or a comma-separated list of entity tags. Weak tags (`W/"1"`) and anything that
        is no tag of ours match nothing (RFC 9110: If-Match compares strongly)."""
        if value.strip() == "*":
            return cls(None)
        versions = set()
        for tag in value.split(","):
            match = _STRONG_TAG.fullmatch(tag.strip())
            if match:
                versions.add(int(match[1]))
        return cls(frozenset(versions))

    def check(self, version: int) -> None:
        """Raise PreconditionFailed unless a client at `version` satisfies the header."""
        if self.versions is not None and version not in self.versions:
            raise PreconditionFailed()
