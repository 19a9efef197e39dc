"""`make bench`: every benchmark module in this folder, in turn."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path


def main() -> int:
    here = Path(__file__).parent
    names = sorted(m.name for m in pkgutil.iter_modules([str(here)]) if m.name.startswith("bench_"))
    for name in names:
        print(f"\n== {name}")  # noqa: T201 - a benchmark reports on stdout
        module = importlib.import_module(f"tests.bench.{name}")
        module.main()
    return 0


if __name__ == "__main__":
    sys.exit(main())
