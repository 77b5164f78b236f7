"""The layer as `sam build` leaves it in .aws-sam/build (`make test` builds it before the tests):
bytecode for every module, and nothing pruned that our code needs."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

from tests.support.template import ROOT
from tools.local_api.server import LAYER_SITE

BUILT = ROOT / ".aws-sam" / "build" / "CommonLayer" / "python"
CACHE_TAG = "cpython-313"
# PEP 552: flags 0b01 mean "hash-based, do not check against the source".
UNCHECKED_HASH = 0b01

pytestmark = pytest.mark.skipif(not BUILT.is_dir(), reason="no built layer: run `make template` first")


def _bytecode_of(source: Path) -> Path:
    return source.parent / "__pycache__" / f"{source.stem}.{CACHE_TAG}.pyc"


def test_every_module_of_clients_api_ships_bytecode_lambda_loads_without_its_source():
    sources = sorted((BUILT / "clients_api").rglob("*.py"))
    assert sources
    for source in sources:
        header = _bytecode_of(source).read_bytes()[:8]
        assert header[:4] == importlib.util.MAGIC_NUMBER, source
        assert int.from_bytes(header[4:8], "little") == UNCHECKED_HASH, source


def test_every_module_in_the_layer_ships_bytecode():
    missing = [str(p.relative_to(BUILT)) for p in BUILT.rglob("*.py") if not _bytecode_of(p).exists()]
    assert not missing


def test_the_layer_keeps_the_model_of_every_aws_service_our_code_makes_a_client_for():
    code = [*(ROOT / "layers" / "common" / "clients_api").rglob("*.py"), *(ROOT / "functions").rglob("*.py")]
    services = {
        match
        for path in code
        for match in re.findall(r"boto3\.(?:client|resource)\(\s*[\"']([\w-]+)[\"']", path.read_text())
    }
    assert "dynamodb" in services  # the scan finds the client repository/_dynamo.py makes
    kept = {p.name for p in (BUILT / "botocore" / "data").iterdir() if p.is_dir()}
    assert services <= kept


def test_the_layer_keeps_every_powertools_utility_our_code_imports():
    code = [*(ROOT / "layers" / "common" / "clients_api").rglob("*.py"), *(ROOT / "functions").rglob("*.py")]
    imported = {
        match for path in code for match in re.findall(r"aws_lambda_powertools\.utilities\.(\w+)", path.read_text())
    }
    assert "idempotency" in imported  # registration's Idempotency-Key (clients_api/idempotency.py)
    kept = {p.name for p in (BUILT / "aws_lambda_powertools" / "utilities").iterdir()}
    assert imported <= kept


def test_nothing_left_in_powertools_imports_a_utility_the_build_leaves_out():
    import aws_lambda_powertools  # the same pinned version as the layer's

    def utilities(package: Path) -> set[str]:
        return {p.name for p in (package / "utilities").iterdir() if (p / "__init__.py").exists()}

    powertools = BUILT / "aws_lambda_powertools"
    left_out = utilities(Path(aws_lambda_powertools.__file__).parent) - utilities(powertools)
    assert "parser" in left_out
    names = "|".join(sorted(left_out))
    importers = re.compile(rf"(?:aws_lambda_powertools\.utilities(?:\.| import )|from \.+)({names})\b")
    offenders = [str(p.relative_to(BUILT)) for p in powertools.rglob("*.py") if importers.search(p.read_text())]
    assert not offenders


def _loadable_files(site: Path) -> set[str]:
    """Every file code can load from `site`, extension modules named without their platform tag
    (the built layer's are arm64, this machine's may not be); installers' records left out."""
    return {
        re.sub(r"\.cpython-\d+-[^.]+\.so$", ".so", str(path.relative_to(site)))
        for path in site.rglob("*")
        if path.is_file()
        and not path.name.startswith(".")
        and not any(part.endswith(".dist-info") or part == "__pycache__" for part in path.relative_to(site).parts)
    }


@pytest.mark.skipif(not LAYER_SITE.is_dir(), reason="no .venv/layer-site: `make unit` makes it")
def test_make_run_gives_the_functions_what_the_built_layer_holds_beside_our_code_and_nothing_else():
    built = {path for path in _loadable_files(BUILT) if not path.startswith("clients_api/")}

    assert _loadable_files(LAYER_SITE) == built
