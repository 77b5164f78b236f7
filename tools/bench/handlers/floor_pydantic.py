"""Dependency floor, rung 4: pydantic, one model of a client profile built and used once."""

from datetime import date

from pydantic import BaseModel, ConfigDict


class Profile(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)

    client_id: str
    first_name: str
    last_name: str
    email: str
    phone: str
    additional_info: str | None
    birthday: date | None
    sex: str | None
    registration_date: str


Profile.model_validate(
    {
        "client_id": "7febf16f-651b-43b0-a5e3-0da8da49e90d",
        "first_name": "имя",
        "last_name": "фамилия",
        "email": "pochta@mail.ru",
        "phone": "+79092479999",
        "additional_info": None,
        "birthday": "2004-10-08",
        "sex": None,
        "registration_date": "2024-02-25 03:14:07",
    }
).model_dump_json()
