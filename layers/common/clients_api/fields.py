"""Field types of the contract: each validates and normalises one kind of value, and tells the
OpenAPI document what it accepts (JSON schema annotations, read only when a schema is made).

Error messages never echo the input: they end up in responses and logs.
"""

from __future__ import annotations

import itertools
import re
import sys
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field, StringConstraints, TypeAdapter
from pydantic_core import PydanticCustomError

if TYPE_CHECKING:
    from pydantic import GetJsonSchemaHandler
    from pydantic.json_schema import JsonSchemaValue
    from pydantic_core import CoreSchema

# Regex class contents, shared by the validators and the patterns of the OpenAPI document.
_CONTROLS_BUT_LINE_BREAKS = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"  # Cc but \t \n \r
# Bidi embeddings, overrides and isolates reorder the text around them: "report" + U+202E +
# "fdp.exe" reads "reportexe.pdf". The marks (U+200E, U+200F, U+061C) stay: they only place a
# neutral character next to them, and mixed right-to-left and left-to-right text needs them.
_BIDI_EMBEDDINGS = r"\u202a-\u202e\u2066-\u2069"
_CONTROL_CHARS_BUT_LINE_BREAKS = re.compile(f"[{_CONTROLS_BUT_LINE_BREAKS}]")
_BIDI_CONTROLS = re.compile(f"[{_BIDI_EMBEDDINGS}]")
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
# Either case; spelled out rather than re.IGNORECASE, so that the document's pattern is the same.
_UUID4 = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-4[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}"
_CANONICAL_UUID4 = re.compile(_UUID4)
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# An Idempotency-Key: printable ASCII without spaces, as header values travel safely everywhere,
# and short enough to bound what a caller makes us hash.
IDEMPOTENCY_KEY_PATTERN = r"^[\x21-\x7E]{1,255}$"
_IDEMPOTENCY_KEY = re.compile(IDEMPOTENCY_KEY_PATTERN)  # fullmatch: no final newline either
_OLDEST_BIRTHDAY = date(1900, 1, 1)
_NAME_MAX = 100
_ADDITIONAL_INFO_MAX = 2000
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


# ---------------------------------------------------------------- what the OpenAPI document says


@dataclass(frozen=True, slots=True)
class _Documented:
    """Keys a field's JSON schema gains beyond pydantic's own, and those it loses (`drop`: what
    pydantic derives from a constraint that does not apply to the value as sent). For the OpenAPI
    document only: validation never reads them, and `keys` runs only when a schema is made
    (tools/openapi, tests), never at a function's cold start."""

    keys: Callable[[], dict[str, Any]]
    drop: tuple[str, ...] = ()

    def __get_pydantic_json_schema__(self, core_schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        schema = {key: value for key, value in handler(core_schema).items() if key not in self.drop}
        return schema | self.keys()


@dataclass(frozen=True, slots=True)
class _EnumNames:
    """ASCII names for an enum's members, for the classes client generators make of it
    (`x-enum-varnames`, read by openapi-generator and openapi-python-client)."""

    names: tuple[str, ...]
    description: str

    def __get_pydantic_json_schema__(self, core_schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        schema = handler(core_schema)
        if len(schema["enum"]) != len(self.names):
            raise ValueError(f"{len(schema['enum'])} members but {len(self.names)} names: {self.names}")
        return schema | {"description": self.description, "x-enum-varnames": list(self.names)}


def _regex_class(chars: Iterable[str], *, negated: bool = False) -> str:
    """A regex character class of exactly `chars` (or of every character but them), in ranges.
    Literal characters, escaped where a class needs it, read alike by Python, ECMA-262 with the
    `u` flag and Rust's regex: the dialects of the tools that read the document."""
    codes = sorted(map(ord, chars))
    ranges: list[list[int]] = []
    for code in codes:
        if ranges and code == ranges[-1][1] + 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])

    def literal(code: int) -> str:
        char = chr(code)
        return "\\" + char if char in "\\]-[^" else char

    body = "".join(literal(low) if low == high else f"{literal(low)}-{literal(high)}" for low, high in ranges)
    return f"[^{body}]" if negated else f"[{body}]"


@cache
def name_pattern() -> str:
    """The pattern of a Name, exactly what Name accepts: whitespace pydantic trims at both ends,
    then 1-100 characters that start and end visible, hold no control, format or line/paragraph
    separator characters, but for a joiner between two visible ones (_name_characters).

    Computed from the rules themselves (_NOT_IN_NAMES, _JOINERS, _visible, and what pydantic's
    strip_whitespace removes) over every code point but the surrogates, which no JSON text carries
    as characters and no regex dialect but Python's accepts in a pattern."""
    chars = [chr(code) for code in itertools.chain(range(0xD800), range(0xE000, sys.maxunicode + 1))]
    stripped = TypeAdapter(list[Annotated[str, StringConstraints(strip_whitespace=True)]]).validate_python(chars)
    trimmed = {char for char, rest in zip(chars, stripped, strict=True) if not rest}
    refused = {char for char in chars if unicodedata.category(char) in _NOT_IN_NAMES}
    visible = {char for char in chars if _visible(char)}
    spaces = set(chars) - refused - visible
    # The grammar below holds only while a visible character is never trimmed and every space is:
    # a name starts and ends visible once trimmed, and spaces may stand only between visible ones.
    if visible & trimmed or not spaces <= trimmed:
        raise RuntimeError("pydantic's whitespace and ours disagree: the name pattern needs another grammar")
    v = _regex_class(chars=set(chars) - visible, negated=True)
    s, j, w = _regex_class(spaces), _regex_class(_JOINERS), _regex_class(trimmed)
    held = _regex_class(refused - _JOINERS, negated=True)  # what the trimmed name may hold
    # The lookahead counts the trimmed name (trailing whitespace is never part of it: it ends visible).
    return f"^{w}*(?={held}{{1,{_NAME_MAX}}}{w}*$){v}(?:{j}?{v}|{s}+{v})*{w}*$"


_NAME_SCHEMA = _Documented(
    lambda: {
        "pattern": name_pattern(),
        "description": f"1-{_NAME_MAX} characters once whitespace at both ends is trimmed (the trimmed form is"
        " stored); no control (Cc), format (Cf) or line/paragraph separator characters, but a zero-width"
        " (non-)joiner between two visible characters. The pattern says exactly this, in code points.",
    },
    # They count the trimmed name: the pattern does, the name as sent may be longer.
    drop=("minLength", "maxLength"),
)
_CLIENT_ID_SCHEMA = _Documented(
    lambda: {
        "format": "uuid",
        "pattern": f"^{_UUID4}$",
        "description": "A client id: a random UUID (version 4), as registration returns it, in either case.",
    }
)
# The contract's own forms (docs/api.md) of a Russian mobile number: a subset of what the API
# accepts, so that every value the pattern admits is accepted. libphonenumber holds all of 9XX
# valid but for part of the 930 block, which the pattern leaves out.
_MOBILE_OPERATOR = "9(?:[0-24-9][0-9]|3[1-9])"
_PHONE_FORMS = (
    rf"^(?:\+7{_MOBILE_OPERATOR}[0-9]{{7}}|8{_MOBILE_OPERATOR}[0-9]{{7}}"
    rf"|\+7 \({_MOBILE_OPERATOR}\) [0-9]{{3}}-[0-9]{{2}}-[0-9]{{2}})$"
)
_PHONE_SCHEMA = _Documented(
    lambda: {
        "pattern": _PHONE_FORMS,
        "description": "A Russian mobile number as +79XXXXXXXXX, 89XXXXXXXXX or +7 (9XX) XXX-XX-XX (9XX not 930),"
        " the forms the pattern names; the API accepts every other number libphonenumber finds valid too (any"
        " country in international form, other national Russian forms such as 8 909 247 99 99), without an"
        " extension. Stored and returned as E.164 (+79092479999).",
        "examples": ["+79092479999"],
    }
)


def _email_pattern() -> str:
    """A necessary condition: the address does not end in a special-use domain (.test, .local, ...,
    in any case), which the email-validator library refuses; from the library's own list."""
    from email_validator import SPECIAL_USE_DOMAIN_NAMES  # noqa: PLC0415 (schema time only)

    def any_case(name: str) -> str:
        return "".join(f"[{char.upper()}{char}]" if char.isalpha() else re.escape(char) for char in name)

    return f"^(?!.*[.@](?:{'|'.join(map(any_case, SPECIAL_USE_DOMAIN_NAMES))})$)"


_EMAIL_SCHEMA = _Documented(
    lambda: {
        "format": "idn-email",
        "pattern": _email_pattern(),
        "description": "A valid address, internationalised too (почта@почта.рф), normalised to NFKC first;"
        " checked for syntax only, never by DNS, and no special-use domain (.test, .local, ...: the pattern)."
        " Not in the schema: the rest of what the email-validator library checks beyond the format (a domain"
        " with a dot, ...), and that a local part must not mix letters of different scripts (Latin with"
        " Cyrillic). Stored lower-cased.",
        "examples": ["pochta@mail.ru"],
    }
)
_NEW_PASSWORD_SCHEMA = _Documented(
    lambda: {
        "description": f"{_PASSWORD_MIN}-{_PASSWORD_MAX} characters as sent, and still {_PASSWORD_MIN} after"
        " NFKC normalisation. Not in the schema (a 422 when broken): not one of the 19,640 most common"
        " passwords, and not containing the local part of the client's email (3 characters or more)."
    }
)
_PASSWORD_ATTEMPT_SCHEMA = _Documented(
    lambda: {"description": "The password as the client typed it (compared after NFKC normalisation)."}
)
_ADDITIONAL_INFO_SCHEMA = _Documented(
    lambda: {
        "pattern": f"^[^{_CONTROLS_BUT_LINE_BREAKS}{_BIDI_EMBEDDINGS}]*$",
        "description": 'Free text; "" clears it. Line breaks and tabs, but no other control characters and no'
        " bidirectional embeddings, overrides or isolates (U+202A-U+202E, U+2066-U+2069).",
    }
)
_BIRTHDAY_SCHEMA = _Documented(
    lambda: {
        "pattern": "^(?:19|20)[0-9]{2}-[0-9]{2}-[0-9]{2}$",
        "description": "From 1900-01-01 to today (UTC). Not in the schema, which cannot know today: a date in the"
        " future is refused.",
    }
)

ClientId = Annotated[str, BeforeValidator(parse_client_id), _CLIENT_ID_SCHEMA]
Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=_NAME_MAX),
    AfterValidator(_name_characters),
    _NAME_SCHEMA,
]
Email = Annotated[str, StringConstraints(max_length=_EMAIL_MAX), AfterValidator(_normalise_email), _EMAIL_SCHEMA]
Phone = Annotated[str, StringConstraints(max_length=_PHONE_INPUT_MAX), AfterValidator(_normalise_phone), _PHONE_SCHEMA]
AdditionalInfo = Annotated[
    str, Field(max_length=_ADDITIONAL_INFO_MAX), AfterValidator(_info_characters), _ADDITIONAL_INFO_SCHEMA
]
Birthday = Annotated[date, BeforeValidator(_parse_birthday), AfterValidator(_plausible_birthday), _BIRTHDAY_SCHEMA]
# Named aliases: each is one component of the document, which every use refers to.
type Sex = Annotated[
    Literal["мужчина", "женщина"], _EnumNames(("MALE", "FEMALE"), "A client's sex: male (мужчина) or female (женщина).")
]
# Passwords are counted as sent (code points of the string received), new ones and attempts alike,
# so that every password accepted can be sent back exactly as typed; then NFKC, the form hashed
# and checked. A new one must also still be 8 long after NFKC (strength).
NewPassword = Annotated[
    str,
    StringConstraints(min_length=_PASSWORD_MIN, max_length=_PASSWORD_MAX),
    AfterValidator(_normalise_password),
    AfterValidator(_still_long_enough),
    _NEW_PASSWORD_SCHEMA,
]
# A password to check against the stored hash: "any string of 1-128 chars"; no strength policy.
PasswordAttempt = Annotated[
    str,
    StringConstraints(min_length=1, max_length=_PASSWORD_MAX),
    AfterValidator(_normalise_password),
    _PASSWORD_ATTEMPT_SCHEMA,
]
type SessionStatus = Annotated[
    Literal["на согласовании", "подтверждена", "проведена", "отменена"],
    _EnumNames(
        ("PENDING_APPROVAL", "CONFIRMED", "HELD", "CANCELLED"),
        "A session's status: pending approval (на согласовании), confirmed (подтверждена), held (проведена)"
        " or cancelled (отменена).",
    ),
]
# In answers: what the API wrote, or other parts of the platform did (session and spot ids, start
# times), typed for clients but never validated again on the way out.
AnsweredUuid = Annotated[str, _Documented(lambda: {"format": "uuid"})]
AnsweredDateTime = Annotated[str, _Documented(lambda: {"format": "date-time"})]
