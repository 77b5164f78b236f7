"""The OpenAPI document's field patterns against the validators they describe: a pattern that says
exactly what a field accepts must agree with it on every value, read by Python (as a full match:
JSON Schema's `$` is the very end, Python's also before a final newline) and by the Rust validator
schemathesis uses."""

from __future__ import annotations

import re
import uuid

import jsonschema_rs
import phonenumbers
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from clients_api import fields


def _pattern(field: object) -> str:
    return TypeAdapter(field).json_schema()["pattern"]


def _accepts(field: object, value: str) -> bool:
    try:
        TypeAdapter(field).validate_python(value)
    except ValidationError:
        return False
    return True


def _both_dialects(pattern: str) -> tuple[re.Pattern[str], jsonschema_rs.Validator]:
    return re.compile(pattern), jsonschema_rs.validator_for({"type": "string", "pattern": pattern})


def _assert_the_pattern_says_exactly(
    dialects: tuple[re.Pattern[str], jsonschema_rs.Validator], field: object, value: str
) -> None:
    python, rust = dialects
    accepted = _accepts(field, value)
    assert bool(python.fullmatch(value)) == accepted
    assert rust.is_valid(value) == accepted


# No lone surrogate: a JSON Schema validator works on Unicode scalar values, and pydantic refuses one.
CHARACTERS = st.characters(exclude_categories=["Cs"])
NAME = _both_dialects(fields.name_pattern())
# Characters of every kind the name rules tell apart: visible (Latin, Cyrillic, Persian, an emoji
# above U+FFFF), spaces, whitespace that is trimmed but refused inside (tab, NEL, U+2028), the
# joiners, other format characters (U+200B, U+202E, U+FEFF, a tag character), controls.
_NAME_CHARACTERS = (
    st.sampled_from(
        "aЯ ی\U0001f469\u00a0\u3000\t\n\x85\u2028\u2029\u200c\u200d\u200b\u202e\ufeff\U000e0041\x00\x1f\x7f"
    )
    | CHARACTERS
)


@given(st.text(_NAME_CHARACTERS, max_size=12) | st.text(st.sampled_from("a \t\u200d"), min_size=95, max_size=110))
@example("a" * 100)
@example(" " + "a" * 100 + "\t")
@example("a" * 101)
@example("\u2028Мария\u2029")
@example("علی\u200cپور")
@example("\U0001f469\u200d\U0001f4bb")
@example("a\u200c\u200cb")
@example("a\u200c b")
@settings(max_examples=3000)
def test_the_name_pattern_says_exactly_what_a_name_accepts(name: str) -> None:
    _assert_the_pattern_says_exactly(NAME, fields.Name, name)


UUID4 = _both_dialects(_pattern(fields.ClientId))


@given(
    st.uuids().map(str)
    | st.uuids(version=4).map(str)
    | st.uuids(version=4).map(lambda value: str(value).upper())
    | st.text("0123456789abcdefABCDEF-", min_size=35, max_size=37)
)
@example(str(uuid.uuid4()) + "\n")
@example(str(uuid.uuid1()))
def test_the_client_id_pattern_says_exactly_what_an_id_accepts(client_id: str) -> None:
    _assert_the_pattern_says_exactly(UUID4, fields.ClientId, client_id)


INFO = _both_dialects(_pattern(fields.AdditionalInfo))


@given(st.text(CHARACTERS | st.sampled_from("\t\n\r\x00\x85\u202a\u202e\u2066\u2069\u200e\u061c"), max_size=40))
@example("")
def test_the_additional_info_pattern_says_what_the_info_may_hold(info: str) -> None:
    _assert_the_pattern_says_exactly(INFO, fields.AdditionalInfo, info)


EMAIL = _both_dialects(_pattern(fields.Email))


@given(st.emails() | st.builds("{}.{}".format, st.emails(), st.sampled_from(["test", "Local", "ONION", "home.arpa"])))
@example("почта@почта.рф")
@example("a@test")
def test_an_email_the_pattern_refuses_is_refused(email: str) -> None:
    # The pattern is a necessary condition only: the library checks much more.
    python, rust = EMAIL
    assert bool(python.search(email)) == rust.is_valid(email)
    if not rust.is_valid(email):
        assert not _accepts(fields.Email, email)


@given(st.from_regex(_pattern(fields.Phone), fullmatch=True))
def test_every_phone_the_pattern_admits_is_accepted(phone: str) -> None:
    assert _accepts(fields.Phone, phone)


@pytest.mark.parametrize("operator", [operator for operator in range(900, 1000) if operator != 930])
def test_every_mobile_operator_code_the_pattern_admits_is_all_valid(operator: int) -> None:
    python, _ = _both_dialects(_pattern(fields.Phone))
    for line in ("0000000", "0050000", "5555555", "9999999"):
        number = f"+7{operator}{line}"
        assert python.fullmatch(number)
        assert phonenumbers.is_valid_number(phonenumbers.parse(number))


def test_the_phone_pattern_leaves_out_the_block_libphonenumber_holds_partly_invalid() -> None:
    python, _ = _both_dialects(_pattern(fields.Phone))
    assert not phonenumbers.is_valid_number(phonenumbers.parse("+79300000000"))
    assert not python.fullmatch("+79300050000")  # valid, but the pattern names whole blocks only


def test_the_phone_pattern_names_the_contracts_forms() -> None:
    python, rust = _both_dialects(_pattern(fields.Phone))
    for phone in ("+79092479999", "89092479999", "+7 (909) 247-99-99"):
        assert python.fullmatch(phone)
        assert rust.is_valid(phone)
    assert not rust.is_valid("+79092479999\n")


def test_the_enums_carry_ascii_names_for_generators() -> None:
    assert TypeAdapter(fields.Sex).json_schema()["x-enum-varnames"] == ["MALE", "FEMALE"]
    status = TypeAdapter(fields.SessionStatus).json_schema()
    assert dict(zip(status["enum"], status["x-enum-varnames"], strict=True))["проведена"] == "HELD"
