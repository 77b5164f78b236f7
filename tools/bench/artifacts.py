"""What the benchmark runs and weighs: `sam build`'s output and the folders that stand for Lambda.

- `sam build` (arm64, as deployed) gives the functions' folders and the layer that is weighed.
- Its arm64 wheels cannot load on an x86_64 machine, so the layer is built a second time by the
  same Makefile for this machine's CPU: same requirements, same pruning, same bytecode. That twin
  is what the measured processes import. A copy without bytecode shows what a plain `sam build`
  layer costs.
- Lambda's python3.13 runtime brings its own boto3 (compiled, in /var/runtime, after the layers
  on sys.path). A folder with the venv's copies of boto3 and its dependencies stands for it; the
  baselines import boto3 from there, our functions from the layer that shadows it, as on Lambda.
"""

from __future__ import annotations

import compileall
import csv
import io
import os
import platform
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import boto3

from tools.bench.scenarios import ROOT

WORK = ROOT / ".aws-sam" / "bench"
LAYER_SOURCE = ROOT / "layers" / "common"
HANDLERS = Path(__file__).with_name("handlers")
# What Lambda's runtime provides next to CPython: boto3 and the packages it needs.
RUNTIME_PACKAGES = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six.py")
# Lambda's name for this machine's CPU: the layer Makefile builds its twin's wheels for it.
_HOST_ARCHITECTURES = {"x86_64": "x86_64", "aarch64": "arm64"}


class BuildFailed(Exception):
    pass


@dataclass(frozen=True)
class Artifacts:
    build: Path  # sam build's output: one folder per function, CommonLayer/python
    layer: Path  # python/ of the layer's twin for this machine
    layer_without_bytecode: Path
    runtime: Path  # stands for the runtime's boto3
    handlers: Path  # baselines and dependency-floor rungs, without bytecode
    python: Path  # the CPython 3.13 the venv was made from: no site-packages of ours

    def function(self, logical_id: str) -> Path:
        return self.build / logical_id


def prepare(log: io.TextIOBase) -> Artifacts:
    build = WORK / "build"
    _run(
        [
            str(Path(sys.executable).with_name("sam")),
            "build",
            "--build-dir",
            str(build),
            "--cache-dir",
            str(WORK / "cache"),
            "--cached",
            "--parallel",
        ],
        cwd=ROOT,
        log=log,
    )
    for function in build.iterdir():
        # As on Lambda: app.py is compiled at each cold start (the layer ships its bytecode).
        if function.is_dir() and function.name != "CommonLayer" and any(function.rglob("*.pyc")):
            raise BuildFailed(f"{function} holds bytecode that a plain sam build never ships")
    layer = _layer_twin(log)
    without_bytecode = WORK / "layer-without-bytecode"
    _replace_tree(layer, without_bytecode, ignore=shutil.ignore_patterns("__pycache__"))
    handlers = WORK / "handlers"
    _replace_tree(HANDLERS, handlers, ignore=shutil.ignore_patterns("__pycache__"))
    return Artifacts(
        build=build,
        layer=layer,
        layer_without_bytecode=without_bytecode,
        runtime=_runtime(),
        handlers=handlers,
        python=Path(sys.base_prefix) / "bin" / f"python{sys.version_info.major}.{sys.version_info.minor}",
    )


def _layer_twin(log: io.TextIOBase) -> Path:
    out = WORK / "layer-host"
    shutil.rmtree(out, ignore_errors=True)
    architecture = _HOST_ARCHITECTURES.get(platform.machine())
    if architecture is None:
        raise BuildFailed(f"Lambda has no architecture for a {platform.machine()} machine")
    _run(
        ["make", "-C", str(LAYER_SOURCE), "build-CommonLayer", f"ARTIFACTS_DIR={out}", f"ARCHITECTURE={architecture}"],
        cwd=ROOT,
        log=log,
    )
    return out / "python"


def _runtime() -> Path:
    out = WORK / "runtime"
    site = Path(boto3.__file__).resolve().parents[1]
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    for name in RUNTIME_PACKAGES:
        if name.endswith(".py"):
            shutil.copy2(site / name, out / name)
        else:
            shutil.copytree(site / name, out / name)
    # The runtime's copy is compiled; make sure ours is, whatever pip did in the venv.
    compileall.compile_dir(out, quiet=1)
    return out


def _replace_tree(source: Path, target: Path, *, ignore: object) -> None:
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(source, target, ignore=ignore)


def _run(command: list[str], *, cwd: Path, log: io.TextIOBase) -> None:
    env = os.environ | {"SAM_CLI_TELEMETRY": "0"}
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    log.write(f"$ {' '.join(command)}\n{done.stdout}{done.stderr}\n")
    if done.returncode != 0:
        raise BuildFailed(f"{' '.join(command[:2])} failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}")


# ---------------------------------------------------------------- sizes


@dataclass(frozen=True)
class Size:
    unzipped: int  # bytes of all files, as Lambda's 250 MB quota counts them
    zipped: int  # bytes of the deployment zip (deflate, as sam packages it)


def size_of(root: Path) -> Size:
    files = sorted(path for path in root.rglob("*") if path.is_file())
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in files:
            archive.write(path, path.relative_to(root))
    return Size(unzipped=sum(path.stat().st_size for path in files), zipped=buffer.tell())


def size_by_distribution(site: Path) -> dict[str, int]:
    """Unzipped bytes of a layer's site folder by the distribution that installed them (from each
    dist-info's RECORD, with the bytecode compiled for its modules); the rest under "(ours)"."""
    owner: dict[Path, str] = {}
    for record in site.glob("*.dist-info/RECORD"):
        name = record.parent.name.split("-")[0]
        with record.open(newline="", encoding="utf-8") as file:
            for row in csv.reader(file):
                path = (site / row[0]).resolve()
                owner[path] = name
                if path.suffix == ".py":
                    tag = sys.implementation.cache_tag
                    owner[path.parent / "__pycache__" / f"{path.stem}.{tag}.pyc"] = name
    sizes: dict[str, int] = {}
    for path in site.rglob("*"):
        if path.is_file():
            name = owner.get(path.resolve(), "(ours)")
            sizes[name] = sizes.get(name, 0) + path.stat().st_size
    return dict(sorted(sizes.items(), key=lambda item: -item[1]))
