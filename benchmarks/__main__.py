"""Run the benchmarks, one after the other.

``python -m benchmarks`` runs every one; ``python -m benchmarks oauth2 dpop`` only
``bench_oauth2`` and ``bench_dpop``; ``--list`` names them.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    here = Path(__file__).parent
    names = sorted(m.name for m in pkgutil.iter_modules([str(here)]) if m.name.startswith("bench_"))
    if args and args[0] in {"-h", "--help", "--list"}:
        print(__doc__)
        print("benchmarks:", ", ".join(name.removeprefix("bench_") for name in names))
        return 0
    if args:
        wanted = [a if a.startswith("bench_") else f"bench_{a}" for a in args]
        unknown = [a for a in wanted if a not in names]
        if unknown:
            print(f"no such benchmark: {', '.join(unknown)} (see --list)", file=sys.stderr)
            return 2
        names = wanted
    sys.argv = sys.argv[:1]  # the benchmarks read no arguments of ours
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
