"""Request bodies the tests start from."""

from __future__ import annotations

import itertools
from typing import Any

_counter = itertools.count(1)
STRONG_PASSWORD = "паучикапау-2024"


def registration(**overrides: Any) -> dict[str, Any]:
    """A valid registration with an email and phone no other call of this function uses."""
    n = next(_counter)
    body = {
        "first_name": "имя",
        "last_name": "фамилия",
        "email": f"client{n}@mail.ru",
        "password": STRONG_PASSWORD,
        "phone": f"+7909{n:07d}",
        "additional_info": "я люблю собак",
        "birthday": "2004-10-08",
        "sex": "женщина",
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not ...}
