"""Normalisation rules of the contract's fields, on the request models directly."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from clients_api.models import ClientUpdate, FullNameUpdate, PhoneNumberUpdate, RegisterClient
from tests.support.data import registration


@pytest.mark.parametrize(
    "phone", ["+79092479999", "89092479999", "+7 (909) 247-99-99", "8 909 247 99 99", "9092479999", "+7-909-247-99-99"]
)
def test_russian_phone_forms_normalise_to_e164(phone):
    assert PhoneNumberUpdate.model_validate({"phone_number": phone}).changes() == {"phone": "+79092479999"}


def test_foreign_numbers_in_international_form_are_accepted():
    assert PhoneNumberUpdate.model_validate({"phone": "+44 20 7946 0958"}).changes() == {"phone": "+442079460958"}


def test_email_is_lower_cased_and_names_trimmed():
    model = RegisterClient.model_validate(registration(email="Pochta@MAIL.ru", last_name="  Иванова \u00a0"))
    assert model.email == "pochta@mail.ru"
    assert model.last_name == "Иванова"


def test_internationalised_email_is_accepted():
    assert ClientUpdate.model_validate({"email": "Почта@Пример.рф"}).changes()["email"] == "почта@пример.рф"


def test_normalisation_is_idempotent():
    first = RegisterClient.model_validate(registration(email="A.B@Mail.RU", phone="8 (909) 247-99-99"))
    again = RegisterClient.model_validate(first.model_dump(mode="json"))
    assert again == first


def test_the_string_null_is_null_only_on_full_name():
    assert FullNameUpdate.model_validate({"first_name": "null", "last_name": "Петрова"}).changes() == {
        "last_name": "Петрова"
    }
    assert ClientUpdate.model_validate({"first_name": "null"}).changes() == {"first_name": "null"}


def test_full_name_of_only_null_strings_is_invalid():
    with pytest.raises(ValidationError):
        FullNameUpdate.model_validate({"first_name": "null", "last_name": "null"})


def test_strict_types_do_not_coerce():
    with pytest.raises(ValidationError) as caught:
        ClientUpdate.model_validate({"first_name": 5, "sex": True})
    assert {e["loc"][0] for e in caught.value.errors()} == {"first_name", "sex"}


def test_validation_errors_hide_the_input():
    with pytest.raises(ValidationError) as caught:
        ClientUpdate.model_validate({"email": "private-address"})
    assert "private-address" not in str(caught.value)


@pytest.mark.parametrize("phone", ["+7 (909) 247-00-10 доб. 5", "89092470010 ext. 12", "+79092470010;ext=7"])
def test_a_phone_with_an_extension_is_refused_not_cut(phone):
    with pytest.raises(ValidationError) as caught:
        PhoneNumberUpdate.model_validate({"phone_number": phone})
    assert "extension" in caught.value.errors()[0]["msg"]
