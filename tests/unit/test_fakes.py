"""The fakes the domain's unit tests use offer exactly the repositories' methods, with the same
parameters: a fake that drifted would let a unit test pass against an interface nothing has."""

from __future__ import annotations

import inspect

import pytest

from clients_api.repository import ClientRepository, SessionRepository, VerificationRepository
from tests.support.fakes import FakeClients, FakeSessions, FakeVerification


def public_methods(cls: type) -> dict[str, list[str]]:
    return {
        name: list(inspect.signature(member).parameters)
        for name, member in vars(cls).items()
        if callable(member) and not name.startswith("_")
    }


@pytest.mark.parametrize(
    ("fake", "real"),
    [(FakeClients, ClientRepository), (FakeVerification, VerificationRepository), (FakeSessions, SessionRepository)],
)
def test_a_fake_has_the_methods_of_its_repository(fake, real):
    assert public_methods(fake) == public_methods(real)
