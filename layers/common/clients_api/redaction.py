"""Last line of defence for logs: no personal data in any record.

The code never logs an email, phone, password or hash on purpose (it logs the client id). This
filter, on the layer's logger, catches what slips through anyway:
- exception messages are dropped (type and traceback stay): they can carry request values;
- emails, E.164 phone numbers and Argon2 hashes are masked in the message, in string extras and
  in lists of strings.
"""

from __future__ import annotations

import logging
import re
import traceback

_PATTERNS = (
    re.compile(r"\$argon2[\w$=,+/.-]*"),  # password hashes
    re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"),  # emails
    re.compile(r"\+\d{10,15}\b"),  # E.164 phone numbers
)
_MASK = "***"
_STANDARD_ATTRIBUTES = frozenset(vars(logging.makeLogRecord({})))


def redact(text: str) -> str:
    for pattern in _PATTERNS:
        text = pattern.sub(_MASK, text)
    return text


class PersonalDataFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            record.error_type = f"{type(error).__module__}.{type(error).__qualname__}"
            record.traceback = "".join(traceback.format_tb(error.__traceback__))
            record.exc_info = None
            record.exc_text = None
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        for name, value in vars(record).items():
            if name in _STANDARD_ATTRIBUTES:
                continue
            if isinstance(value, str):
                setattr(record, name, redact(value))
            elif isinstance(value, list | tuple):
                setattr(record, name, [redact(item) if isinstance(item, str) else item for item in value])
        return True
