"""Where the API tries again, and where it does not.

- Transient faults of DynamoDB (throttling, 5xx, timeouts, dropped connections) are retried by
  botocore, with backoff, in the data access layer alone (repository/_dynamo.py). What outlives
  those retries is DatabaseUnavailable: the caller gets a 503 with Retry-After.
- A lost condition (another writer changed the client between our read and our conditional
  write, or started a new verification window first) is retried here, in the domain, which alone
  can tell whether its change still makes sense once it has read again. The repository reports
  each loss as ConcurrentUpdate and never loops.
- Nothing else is retried: a caller's retry of a whole request is the caller's.
"""

from __future__ import annotations

from collections.abc import Callable

from clients_api.errors import ConcurrentUpdate
from clients_api.settings import get_settings


def on_conflict[T](attempt: Callable[[], T]) -> T:
    """Run `attempt` (which reads what it needs, then writes conditionally) again each time its
    write loses to another writer, up to settings.conflict_rounds times in all; the last
    ConcurrentUpdate then reaches the caller (503)."""
    for _ in range(get_settings().conflict_rounds - 1):
        try:
            return attempt()
        except ConcurrentUpdate:
            continue
    return attempt()
