"""The local server's console: one record, one line at column 0, whatever a request carries."""

from __future__ import annotations

import logging
import sys

from tools.local_api.console import ConsoleFormatter


def record(message: str, *args: object, exc_info: object = None) -> logging.LogRecord:
    return logging.LogRecord("clients_api.local", logging.ERROR, __file__, 1, message, args, exc_info)


def test_non_printable_characters_are_escaped_as_repr_writes_them():
    formatted = ConsoleFormatter("%(message)s").format(record("%s 404", "/a\nb\x00\x1b[2J\u202e\u2028"))
    assert formatted == r"/a\nb\x00\x1b[2J\u202e\u2028 404"


def test_printable_text_is_left_as_it_is():
    assert ConsoleFormatter("%(message)s").format(record("GET /api/v1/clients/почта 200")) == (
        "GET /api/v1/clients/почта 200"
    )


def test_a_traceback_keeps_its_lines_indented_under_its_record_even_when_its_message_has_a_newline():
    try:
        raise ValueError("bad\n12:00:00 GET /api/v1/clients/forged 200")
    except ValueError:
        formatted = ConsoleFormatter("%(message)s").format(record("failed", exc_info=sys.exc_info()))

    first, *rest = formatted.split("\n")
    assert first == "failed"
    assert rest
    assert all(line.startswith("    ") for line in rest)
    assert "    12:00:00 GET /api/v1/clients/forged 200" in rest
