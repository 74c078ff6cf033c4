"""Run every benchmark, one after the other: ``python -m benchmarks``."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path


def main() -> int:
    here = Path(__file__).parent
    names = sorted(m.name for m in pkgutil.iter_modules([str(here)]) if m.name.startswith("bench_"))
    for name in names:
        print(f"\n### {name}")
        module = importlib.import_module(f"benchmarks.{name}")
        module.main_sync() if hasattr(module, "main_sync") else _run(module)
    return 0


def _run(module: object) -> None:
    import asyncio

    main = getattr(module, "main", None)
    if main is None:
        raise SystemExit(f"{module!r} has no main()")
    result = main()
    if asyncio.iscoroutine(result):
        asyncio.run(result)


if __name__ == "__main__":
    sys.exit(main())
