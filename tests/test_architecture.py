"""The import graph of ``quart_oauthlib``: no circles, and each layer imports only those below it.

The layers, bottom up (docs/architecture.rst draws them):

- ``errors``, ``profile``: plain Python, no framework.
- ``client/``: the async OAuth client on aiohttp + oauthlib. Never Quart, never the
  stores, presets or the Quart layer.
- ``providers/``: preset data and provider settings; may use the client.
- ``storage/``: token stores; may use the client's types.
- ``signals``, ``extension/``: the Quart layer, which may import everything below.
- ``testing/``: helpers for apps' tests; may import everything, and nothing imports it.

The graph is read from the source (every ``import``, also those under
``TYPE_CHECKING``, since a circle of types is still a circle a reader must follow).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = "quart_oauthlib"
ROOT = Path(__file__).resolve().parent.parent / PACKAGE

#: For each layer (a top-level module or subpackage), the layers it may import.
ALLOWED: dict[str, set[str]] = {
    "errors": set(),
    "profile": {"errors"},
    "client": {"errors"},
    "compliance_fixes": {"client"},
    "providers": {"errors", "profile", "client"},
    "storage": {"errors", "client"},
    "signals": set(),
    "cli": {"errors", "profile", "client", "providers"},
    "__main__": {"cli"},
    "extension": {"errors", "profile", "client", "providers", "storage", "signals"},
    "__init__": {"errors", "profile", "client", "extension", "signals", "storage"},
    # apps' test helpers (login_as, the fake provider, the pytest plugin): on top of
    # everything, and imported by nothing of the package (test_nothing_imports_testing)
    "testing": {
        "errors",
        "profile",
        "client",
        "compliance_fixes",
        "providers",
        "storage",
        "signals",
        "extension",
        "__init__",
    },
}
#: Third-party frameworks a layer must never import.
FORBIDDEN_THIRD_PARTY: dict[str, set[str]] = {
    "errors": {"quart", "werkzeug", "aiohttp"},
    "profile": {"quart", "werkzeug"},
    "client": {"quart", "werkzeug", "sqlalchemy", "redis"},
    "providers": {"quart", "werkzeug"},
    "cli": {"quart", "werkzeug"},
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(ROOT.rglob("*.py"))}


def imports_of(name: str, path: Path, known: set[str]) -> Iterator[str]:
    """The modules of this package (or third-party top-level names) that ``name`` imports."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            submodules = [f"{target}.{a.name}" for a in node.names if f"{target}.{a.name}" in known]
            # ``from . import flows`` is an import of the submodule, not of names of the package
            yield from submodules or [target]


def graph() -> dict[str, set[str]]:
    found = modules()
    known = set(found)
    edges: dict[str, set[str]] = {}
    for name, path in found.items():
        targets = set()
        for target in imports_of(name, path, known):
            # ``from .a.b import c`` where a.b is a module: the edge is to a.b.
            while target and target not in known and target.startswith(PACKAGE + "."):
                target = target.rpartition(".")[0]
            if target != name:
                targets.add(target)
        edges[name] = targets
    return edges


def layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    inner = {name: {t for t in targets if t in edges} for name, targets in edges.items()}
    colour: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        colour[node] = 1
        stack.append(node)
        for nxt in sorted(inner[node]):
            if colour.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in colour and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        colour[node] = 2
        return None

    for node in sorted(inner):
        if node not in colour and (cycle := visit(node)):
            return cycle
    return None


def test_there_is_no_import_cycle() -> None:
    cycle = find_cycle(graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_each_layer_imports_only_the_layers_below() -> None:
    wrong = []
    for name, targets in graph().items():
        here = layer(name)
        allowed = ALLOWED.get(here)
        assert allowed is not None, f"{name}: a new layer {here!r}: add it to ALLOWED"
        for target in targets:
            if target.startswith(PACKAGE + ".") or target == PACKAGE:
                there = layer(target)
                if there != here and there not in allowed:
                    wrong.append(f"{name} imports {target}")
            elif target.split(".")[0] in FORBIDDEN_THIRD_PARTY.get(here, set()):
                wrong.append(f"{name} imports {target}")
    assert not wrong, "\n".join(sorted(wrong))


def test_nothing_imports_testing() -> None:
    """Apps' test helpers stay out of the library: importing it never loads them."""
    wrong = sorted(
        f"{name} imports {target}"
        for name, targets in graph().items()
        if layer(name) != "testing"
        for target in targets
        if target.startswith(PACKAGE + ".") and layer(target) == "testing"
    )
    assert not wrong, "\n".join(wrong)
    assert all("testing" not in allowed for here, allowed in ALLOWED.items() if here != "testing")


def test_the_root_keeps_only_the_public_face() -> None:
    top = sorted(p.name for p in ROOT.glob("*.py"))
    assert top == [
        "__init__.py",
        *(["__main__.py"] if (ROOT / "__main__.py").exists() else []),
        "compliance_fixes.py",
        "errors.py",
        "profile.py",
        "signals.py",
    ]


@pytest.mark.parametrize(
    ("edges", "expected"),
    [
        ({"a": {"b"}, "b": {"c"}, "c": set()}, None),
        ({"a": {"b"}, "b": {"c"}, "c": {"a"}}, ["a", "b", "c", "a"]),
        ({"a": {"a.x"}, "a.x": {"b"}, "b": {"a.x"}}, ["a.x", "b", "a.x"]),
    ],
)
def test_the_cycle_finder_finds_cycles(
    edges: dict[str, set[str]], expected: list[str] | None
) -> None:
    assert find_cycle(edges) == expected
