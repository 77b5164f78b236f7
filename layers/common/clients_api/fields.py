"""Field types of the contract: each validates and normalises one kind of value.

Error messages never echo the input: they end up in responses and logs.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BeforeValidator, Field, StringConstraints
from pydantic_core import PydanticCustomError

_CONTROL_CHARS_BUT_LINE_BREAKS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # Cc but \t \n \r
# Bidi embeddings, overrides and isolates reorder the text around them: "report" + U+202E +
# "fdp.exe" reads "reportexe.pdf". The marks (U+200E, U+200F, U+061C) stay: they only place a
# neutral character next to them, and mixed right-to-left and left-to-right text needs them.
_BIDI_CONTROLS = re.compile(r"[\u202a-\u202e\u2066-\u2069]")
# What a name must not hold: control and format characters (invisible, or reordering text) and the
# line and paragraph separators.
_NOT_IN_NAMES = frozenset({"Cc", "Cf", "Zl", "Zp"})
# Zero-width non-joiner and joiner: Persian names need the first (Alipour is "علی" + U+200C +
# "پور"), emoji sequences the second. Allowed only between two visible characters: never alone,
# at an end or doubled.
_JOINERS = frozenset("\u200c\u200d")
_LETTERS = frozenset({"Lu", "Ll", "Lt", "Lo"})
_SCRIPT_ALIASES = {"IDEOGRAPHIC": "CJK", "HENTAIGANA": "HIRAGANA"}
_SCRIPT_MIXES = (
    frozenset({"LATIN", "CJK", "HIRAGANA", "KATAKANA"}),
    frozenset({"LATIN", "CJK", "BOPOMOFO"}),
    frozenset({"LATIN", "CJK", "HANGUL"}),
)
_CANONICAL_UUID4 = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", re.IGNORECASE)
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# An Idempotency-Key: printable ASCII without spaces, as header values travel safely everywhere,
# and short enough to bound what a caller makes us hash.
IDEMPOTENCY_KEY_PATTERN = r"^[\x21-\x7E]{1,255}$"
_IDEMPOTENCY_KEY = re.compile(IDEMPOTENCY_KEY_PATTERN)  # fullmatch: no final newline either
_OLDEST_BIRTHDAY = date(1900, 1, 1)
# Longest input worth handing to the phone parser; E.164 allows 15 digits, people add spaces,
# brackets and dashes.
_PHONE_INPUT_MAX = 32
_EMAIL_MAX = 254
_PASSWORD_MIN = 8
_PASSWORD_MAX = 128


def _error(kind: str, message: str) -> PydanticCustomError:
    return PydanticCustomError(kind, message)


def _visible(char: str) -> bool:
    return not char.isspace() and unicodedata.category(char) not in _NOT_IN_NAMES


def _name_characters(value: str) -> str:
    for index, char in enumerate(value):
        category = unicodedata.category(char)
        if category == "Cc":
            raise _error("control_characters", "must not contain control characters")
        if category not in _NOT_IN_NAMES:
            continue
        if (
            char in _JOINERS
            and 0 < index < len(value) - 1
            and _visible(value[index - 1])
            and _visible(value[index + 1])
        ):
            continue
        raise _error(
            "invisible_characters",
            "must not contain invisible or direction-changing characters (such as U+200B or U+202E) or line breaks",
        )
    return value


def _info_characters(value: str) -> str:
    if _CONTROL_CHARS_BUT_LINE_BREAKS.search(value):
        raise _error("control_characters", "must not contain control characters other than line breaks and tabs")
    if _BIDI_CONTROLS.search(value):
        raise _error(
            "bidi_controls",
            "must not contain bidirectional embeddings, overrides or isolates (U+202A-U+202E, U+2066-U+2069)",
        )
    return value


def parse_client_id(value: object) -> str:
    """A client id in canonical, lower-case form; anything but a UUIDv4 is refused."""
    if not isinstance(value, str) or not _CANONICAL_UUID4.fullmatch(value):
        raise _error("uuid4", "must be a UUID version 4 (xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx)")
    return value.lower()


def parse_idempotency_key(value: str) -> str:
    """An Idempotency-Key header's value, as sent (keys are compared exactly)."""
    if not _IDEMPOTENCY_KEY.fullmatch(value):
        raise _error("idempotency_key", "must be 1 to 255 visible ASCII characters (a UUID is a good key)")
    return value


def _script(letter: str) -> str:
    # The standard library has no script property; a letter's name starts with its script
    # ("CYRILLIC SMALL LETTER A", "CJK UNIFIED IDEOGRAPH-4E00"), but for a few aliases.
    word = unicodedata.name(letter, "").partition(" ")[0]
    return _SCRIPT_ALIASES.get(word, word)


def _mixes_scripts(text: str) -> bool:
    """Whether the letters of `text` come from more than one script (digits, punctuation and
    modifier letters belong to none), beyond the mixes a language writes (UTS #39's "highly
    restrictive" level: Latin with Japanese, Chinese or Korean)."""
    scripts = {_script(char) for char in text if unicodedata.category(char) in _LETTERS}
    return len(scripts) > 1 and not any(scripts <= mix for mix in _SCRIPT_MIXES)


def _normalise_email(value: str) -> str:
    # Imported on first use: only the functions that accept an email pay for the library.
    from email_validator import EmailNotValidError, validate_email  # noqa: PLC0415

    # One mailbox, one spelling: NFKC folds compatibility forms first, so fullwidth "ａｄｍｉｎ" and
    # the ligature in "ﬁle" are "admin" and "file" (the domain gets the same from IDNA).
    try:
        checked = validate_email(unicodedata.normalize("NFKC", value), check_deliverability=False)
    except EmailNotValidError:
        raise _error("email", "must be a valid email address") from None
    # A Cyrillic "а" in "pаypal" is another mailbox that reads the same: refused, while an address
    # written in one script ("почта@почта.рф") is welcome.
    if _mixes_scripts(checked.local_part):
        raise _error("email", "must not mix letters of different scripts (such as Latin and Cyrillic) before the @")
    return checked.normalized.lower()


def _normalise_phone(value: str) -> str:
    # Imported on first use: phone parsing costs ~20 ms of cold start the other functions skip.
    import phonenumbers  # noqa: PLC0415

    try:
        number = phonenumbers.parse(value, "RU")
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise _error("phone", "must be a valid phone number, e.g. +79092479999 or 89092479999")
    if number.extension:  # E.164 has no room for one: refused, never silently dropped
        raise _error("phone", "must be a number without an extension")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _normalise_password(value: str) -> str:
    return unicodedata.normalize("NFKC", value)


def _still_long_enough(value: str) -> str:
    # NFKC can shorten what was sent ("e" + U+0301 becomes one "é"): the form that is hashed must
    # still meet the minimum, or eight characters as sent could hash as four.
    if len(value) < _PASSWORD_MIN:
        raise _error("string_too_short", f"must be at least {_PASSWORD_MIN} characters")
    return value


def _parse_birthday(value: object) -> object:
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        raise _error("date_format", "must be a date as YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _error("date_format", "must be a real calendar date as YYYY-MM-DD") from None


def _plausible_birthday(value: date) -> date:
    if value < _OLDEST_BIRTHDAY:
        raise _error("date_range", "must not be before 1900-01-01")
    if value > datetime.now(UTC).date():
        raise _error("date_range", "must not be in the future")
    return value


ClientId = Annotated[str, BeforeValidator(parse_client_id)]
Name = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), AfterValidator(_name_characters)
]
Email = Annotated[str, StringConstraints(max_length=_EMAIL_MAX), AfterValidator(_normalise_email)]
Phone = Annotated[str, StringConstraints(max_length=_PHONE_INPUT_MAX), AfterValidator(_normalise_phone)]
AdditionalInfo = Annotated[str, Field(max_length=2000), AfterValidator(_info_characters)]
Birthday = Annotated[date, BeforeValidator(_parse_birthday), AfterValidator(_plausible_birthday)]
Sex = Literal["мужчина", "женщина"]
# Passwords are counted as sent (code points of the string received), new ones and attempts alike,
# so that every password accepted can be sent back exactly as typed; then NFKC, the form hashed
# and checked. A new one must also still be 8 long after NFKC (strength).
NewPassword = Annotated[
    str,
    StringConstraints(min_length=_PASSWORD_MIN, max_length=_PASSWORD_MAX),
    AfterValidator(_normalise_password),
    AfterValidator(_still_long_enough),
]
# A password to check against the stored hash: "any string of 1-128 chars"; no strength policy.
PasswordAttempt = Annotated[
    str, StringConstraints(min_length=1, max_length=_PASSWORD_MAX), AfterValidator(_normalise_password)
]
SessionStatus = Literal["на согласовании", "подтверждена", "проведена", "отменена"]
