"""Domain errors: what went wrong, in the domain's words. `http.py` maps them to HTTP."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error the domain raises on purpose."""


class Unauthenticated(DomainError):
    """No caller was authenticated where one must be."""


class Forbidden(DomainError):
    """The caller is known, and may not do this."""


class ClientNotFound(DomainError):
    pass


class EmailTaken(DomainError):
    pass


class PhoneTaken(DomainError):
    pass


class WrongPassword(DomainError):
    pass


class CurrentPasswordRequired(DomainError):
    """A client changing its own password must prove it knows the current one."""


class WeakPassword(DomainError):
    """A new password the policy refuses; `reason` is safe to show (it never holds the password)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class VerificationLocked(DomainError):
    def __init__(self, retry_after_seconds: int) -> None:
        super().__init__("password verification is locked")
        self.retry_after_seconds = max(1, retry_after_seconds)


class ConcurrentUpdate(DomainError):
    """Another write won a condition we depend on (the client's version, a transaction conflict)
    more often than we are willing to retry."""


class InvalidCursor(DomainError):
    """A sessions cursor that is not a position in this client's list."""


class DatabaseUnavailable(DomainError):
    """The database throttled us or could not be reached, after botocore's own retries."""


class StoredItemInvalid(Exception):
    """An item in a table that does not fit its model (written by another part of the platform,
    or by hand). Not a DomainError: a fault in our data, answered like any other fault (500)."""

    def __init__(self, model: str, fields: list[str]) -> None:
        super().__init__(f"stored {model} invalid in {', '.join(fields)}")
        self.model = model
        self.fields = fields
