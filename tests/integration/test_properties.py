"""Property tests: normalisation is idempotent, valid text round-trips exactly, invalid input is
always a 422 naming the field."""

from __future__ import annotations

import string
import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from clients_api.models import ClientUpdate, PasswordChange, PasswordCheck, PhoneNumberUpdate
from tests.support.data import registration

# Function-scoped fixtures (moto, a registered client) are shared across examples on purpose:
# each example is a PATCH and a GET of one client.
# derandomize: CI runs the same examples every time; a new failure shows up with a new example set.
PROPERTY = settings(
    max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

# Any visible text (no control or format characters, no line or paragraph separators): Cyrillic,
# emoji, RTL scripts, combining marks included.
printable = st.characters(blacklist_categories=["Cc", "Cf", "Cs", "Zl", "Zp"])
name = st.text(printable, min_size=1, max_size=100).filter(lambda s: s.strip() and s == s.strip())
info = st.text(
    st.characters(
        blacklist_categories=["Cs"],
        blacklist_characters=[
            *(c for c in map(chr, range(0x00, 0xA0)) if unicodedata.category(c) == "Cc" and c not in "\t\n\r"),
            *map(chr, [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]),  # bidi embeddings, overrides, isolates
        ],
    ),
    max_size=300,
)
fixed = st.sampled_from(
    ["Анна-Мария", "👩‍🚀 Zoë", "שלום עליכם", "مرحبا", "e\u0301\u0301", "O'Brien; DROP TABLE clients;--"]
)


@pytest.fixture
def client_id(api):
    return api.call("POST", "/api/v1/clients", body=registration()).json()["client_id"]


@PROPERTY
@given(first=st.one_of(name, fixed), last=st.one_of(name, fixed), additional=st.one_of(info, fixed))
def test_valid_text_round_trips_exactly(api, client_id, first, last, additional):
    body = {"first_name": first, "last_name": last, "additional_info": additional}
    assert api.call("PATCH", f"/api/v1/clients/{client_id}", body=body).status == 200

    profile = api.call("GET", f"/api/v1/clients/{client_id}").json()

    assert (profile["first_name"], profile["last_name"], profile["additional_info"]) == (first, last, additional)


@PROPERTY
@given(padding=st.text(" \t", max_size=3), core=name)
def test_names_are_trimmed_once_and_trimming_is_idempotent(padding, core):
    once = ClientUpdate.model_validate({"first_name": padding + core + padding}).changes()["first_name"]
    assert once == core
    assert ClientUpdate.model_validate({"first_name": once}).changes()["first_name"] == once


@PROPERTY
@given(
    digits=st.text(string.digits, min_size=7, max_size=7),
    style=st.sampled_from(["+7 9{c} {d}", "89{c}{d}", "+7 (9{c}) {d}", "8-9{c}-{d}", "9{c}{d}"]),
)
def test_phone_normalisation_is_idempotent(digits, style):
    raw = style.format(c="09", d=digits)
    first = PhoneNumberUpdate.model_validate({"phone": raw}).changes()["phone"]
    assert first == f"+7909{digits}"
    assert PhoneNumberUpdate.model_validate({"phone": first}).changes()["phone"] == first


@PROPERTY
@given(
    local=st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._%+-]{0,20}[A-Za-z0-9]", fullmatch=True).filter(lambda s: ".." not in s)
)
def test_email_normalisation_is_idempotent(local):
    first = ClientUpdate.model_validate({"email": f"{local}@Mail.RU"}).changes()["email"]
    assert first == f"{local.lower()}@mail.ru"
    assert ClientUpdate.model_validate({"email": first}).changes()["email"] == first


@PROPERTY
@given(
    field=st.sampled_from(["first_name", "last_name", "additional_info", "email", "phone", "birthday", "sex"]),
    value=st.one_of(
        st.integers(),
        st.floats(allow_nan=False),
        st.booleans(),
        # Text without lone surrogates: those make the body invalid UTF-8, a 400 by design.
        st.lists(st.text(printable), max_size=2),
        st.dictionaries(st.text(printable, max_size=3), st.integers(), max_size=2),
    ),
)
def test_wrong_json_types_are_always_422_naming_the_field(api, store, client_id, field, value):
    before = store.snapshot()

    response = api.call("PATCH", f"/api/v1/clients/{client_id}", body={field: value})

    assert response.status == 422
    assert {e["field"].split(".")[0] for e in response.json()["errors"]} == {field}
    assert store.snapshot() == before


@PROPERTY
@given(
    field=st.sampled_from(["first_name", "last_name"]),
    # The joiners U+200C and U+200D between two visible characters are the one exception.
    control=st.characters(whitelist_categories=["Cc", "Cf", "Zl", "Zp"], blacklist_characters=["\u200c", "\u200d"]),
    around=st.text(printable, max_size=10),
)
def test_control_format_and_separator_characters_in_names_are_always_422(api, store, client_id, field, control, around):
    before = store.snapshot()

    response = api.call("PATCH", f"/api/v1/clients/{client_id}", body={field: f"a{around}{control}{around}b"})

    assert response.status == 422
    assert [e["field"] for e in response.json()["errors"]] == [field]
    assert store.snapshot() == before


# Passwords of 1 to 100 pieces (1 to 200 characters as sent), rich in what NFKC shortens
# (combining accents, Hangul jamo) and lengthens (ligatures).
password_piece = st.one_of(
    st.sampled_from(["e\u0301", "\u1100\u1161", "o\u0308", "\ufb03", "Ａ"]),
    st.characters(blacklist_categories=["Cs"]),
)
password = st.integers(1, 100).flatmap(lambda n: st.lists(password_piece, min_size=n, max_size=n)).map("".join)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(sent=password)
def test_every_password_accepted_as_new_is_accepted_as_typed_when_checked(sent):
    try:
        new = PasswordChange.model_validate({"password": sent}).password
    except ValidationError:
        return
    assert PasswordCheck.model_validate({"password": sent}).password == new
    assert (
        PasswordChange.model_validate({"password": "новый-пароль-2025", "current_password": sent}).current_password
        == new
    )
