"""Domain errors: what went wrong, in the domain's words. problems.py says how each is answered.

An error carries what only it knows: the request field at fault and a message safe to show about
it, and when the caller may try again. Stdlib only: the authorizer imports this module too.
"""

from __future__ import annotations

# A throttled table or a hot client calms down within about a second, and botocore has already
# backed off and retried by the time we give up (repository/_dynamo.py).
BUSY_RETRY_AFTER_SECONDS = 1


class DomainError(Exception):
    """Base of every error the domain raises on purpose."""

    # The request field at fault, and what to tell the caller about it (None: the problem's
    # own detail).
    field: str | None = None
    field_message: str | None = None
    # Seconds after which trying again may succeed (sent as Retry-After), or None.
    retry_after_seconds: int | None = None


class Unauthenticated(DomainError):
    """No caller was authenticated where one must be."""


class Forbidden(DomainError):
    """The caller is known, and may not do this."""


class ClientNotFound(DomainError):
    pass


class EmailTaken(DomainError):
    field = "email"


class PhoneTaken(DomainError):
    field = "phone"


class WrongPassword(DomainError):
    pass


class CurrentPasswordRequired(DomainError):
    """A client changing its own password must prove it knows the current one."""

    field = "current_password"


class WeakPassword(DomainError):
    """A new password the policy refuses; `reason` is safe to show (it never holds the password)."""

    field = "password"

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.field_message = reason


class VerificationLocked(DomainError):
    def __init__(self, retry_after_seconds: int) -> None:
        super().__init__("password verification is locked")
        self.retry_after_seconds = max(1, retry_after_seconds)


class PreconditionFailed(DomainError):
    """If-Match named no version the client has: nothing was written."""


class PreconditionRequired(DomainError):
    """The stack requires If-Match on every change (RequireIfMatch) and the request sent none."""


class RequestInProgress(DomainError):
    """A registration with this caller's Idempotency-Key is still running: its answer is not
    known yet, and running a second one could register the client twice."""

    # A registration takes well under a second (one hash, one transaction).
    retry_after_seconds = BUSY_RETRY_AFTER_SECONDS


class IdempotencyKeyReused(DomainError):
    """This caller already sent this Idempotency-Key with another request body."""

    field = "Idempotency-Key"


class InvalidCursor(DomainError):
    """A sessions cursor that is not a position in this client's list."""

    field = "cursor"


class ConcurrentUpdate(DomainError):
    """Another write won a condition we depend on (the client's version, a transaction conflict).
    Raised by the repository each time; escapes the domain once retries.py stops re-trying."""

    retry_after_seconds = BUSY_RETRY_AFTER_SECONDS


class DatabaseUnavailable(DomainError):
    """The database throttled us or could not be reached, after botocore's own retries."""

    retry_after_seconds = BUSY_RETRY_AFTER_SECONDS


class StoredItemInvalid(Exception):
    """An item in a table that does not fit its model (written by another part of the platform,
    or by hand). Not a DomainError: a fault in our data, answered like any other fault (500)."""

    def __init__(self, model: str, fields: list[str]) -> None:
        super().__init__(f"stored {model} invalid in {', '.join(fields)}")
        self.model = model
        self.fields = fields
