"""`python -m tools.openapi [--output FILE]`: write the OpenAPI document (default: openapi.json)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.openapi", description=__doc__)
    parser.add_argument("--output", type=Path, default=ROOT / "openapi.json")
    args = parser.parse_args(argv)
    sys.path[:0] = [str(ROOT), str(ROOT / "layers" / "common")]  # the functions and their layer
    from tools.openapi.document import render

    args.output.write_text(render())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
