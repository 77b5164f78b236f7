"""What the local server prints: each log record starts one line at column 0, and nothing a
request carries can start another one.

A path is printed as the request sent it, decoded: `%0a` in it would write a fake access line,
`%00` a raw NUL, `%1b` a terminal escape sequence. Every character that is not printable is
escaped as `repr()` escapes it (`\\n`, `\\x00`, `\\u202e`); a traceback keeps its lines, indented
under its record.
"""

from __future__ import annotations

import logging
from types import TracebackType

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None] | tuple[None, None, None]

TRACEBACK_INDENT = "    "


def printable(text: str) -> str:
    """`text` with every non-printable character escaped, as `repr()` writes it."""
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else repr(char)[1:-1] for char in text)


class ConsoleFormatter(logging.Formatter):
    def formatMessage(self, record: logging.LogRecord) -> str:
        return printable(super().formatMessage(record))

    def formatException(self, ei: ExcInfo) -> str:
        return _indented(super().formatException(ei))

    def formatStack(self, stack_info: str) -> str:
        return _indented(super().formatStack(stack_info))


def _indented(text: str) -> str:
    return "\n".join(TRACEBACK_INDENT + printable(line) for line in text.splitlines())
