"""If-Match as RFC 9110 reads it: strong comparison, `*` for any existing client."""

from __future__ import annotations

import pytest

from clients_api.errors import PreconditionFailed
from clients_api.preconditions import Precondition, etag


def test_a_version_is_a_strong_entity_tag():
    assert etag(7) == '"7"'


@pytest.mark.parametrize(("header", "version"), [('"3"', 3), ('"1", "3"', 3), (' "3" ', 3), ("*", 1), ("*", 42)])
def test_a_header_naming_the_version_is_satisfied(header, version):
    Precondition.from_header(header).check(version)


@pytest.mark.parametrize("header", ['"2"', 'W/"3"', "3", '"3', "", "garbage", '"x"', '"1", W/"3"'])
def test_anything_else_fails_the_precondition(header):
    with pytest.raises(PreconditionFailed):
        Precondition.from_header(header).check(3)
