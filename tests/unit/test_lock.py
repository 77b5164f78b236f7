"""requirements-dev.lock (what `make` installs) agrees with the pins people edit: a pin changed in
requirements-dev.txt or the layer's requirements.txt without `make lock` fails here."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;#]+)")


def _name(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(path: Path) -> dict[str, str]:
    """Every `name==version` in a requirements file, following `-r` includes."""
    found: dict[str, str] = {}
    for line in map(str.strip, path.read_text(encoding="utf-8").splitlines()):
        if line.startswith("-r "):
            found |= pins(path.parent / line[3:].strip())
        elif match := PIN.match(line):
            found[_name(match[1])] = match[2]
    return found


def test_the_lock_holds_every_pin_of_the_requirements_files():
    wanted = pins(ROOT / "requirements-dev.txt")
    locked = pins(ROOT / "requirements-dev.lock")

    assert {"aws-sam-cli", "moto", "aws-lambda-powertools", "pydantic"} <= wanted.keys()
    assert {name: locked.get(name) for name in wanted} == wanted
