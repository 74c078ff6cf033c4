"""The code examples in docstrings (shown in the API reference) still fit the code.

They are sketches with placeholders (``client_key``, ``redirect_user_to(...)``), so
they cannot run as they stand; the runnable versions are the tested files in
``docs/examples``. What can drift is checked here: each sketch must parse as (async)
Python, each class it names must exist in the package's public namespaces, and each
attribute it uses on such a class must exist.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import textwrap
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest

import quart_oauthlib

NAMESPACES = (
    "quart_oauthlib",
    "quart_oauthlib.client.oidc",
    "quart_oauthlib.client.dpop",
    "quart_oauthlib.compliance_fixes",
    "quart_oauthlib.storage",
    "quart_oauthlib.storage.sqla",
    "quart_oauthlib.storage.redis",
    "quart_oauthlib.storage.encryption",
)


def public_names() -> dict[str, Any]:
    names: dict[str, Any] = {}
    for module_name in NAMESPACES:
        module = importlib.import_module(module_name)
        for name in getattr(module, "__all__", dir(module)):
            names.setdefault(name, getattr(module, name))
    return names


def modules() -> Iterator[ModuleType]:
    yield quart_oauthlib
    prefix = quart_oauthlib.__name__ + "."
    for info in pkgutil.walk_packages(quart_oauthlib.__path__, prefix):
        yield importlib.import_module(info.name)


def docstrings(module: ModuleType) -> Iterator[tuple[str, str]]:
    if module.__doc__:
        yield module.__name__, module.__doc__
    for name, value in vars(module).items():
        if getattr(value, "__module__", None) != module.__name__:
            continue
        if inspect.isclass(value):
            if value.__doc__:
                yield f"{module.__name__}.{name}", value.__doc__
            for attr, member in vars(value).items():
                doc = getattr(member, "__doc__", None)
                if callable(member) or isinstance(member, property):
                    if doc:
                        yield f"{module.__name__}.{name}.{attr}", doc
        elif inspect.isfunction(value) and value.__doc__:
            yield f"{module.__name__}.{name}", value.__doc__


def literal_blocks(doc: str) -> Iterator[str]:
    """The indented blocks after a line ending in ``::`` (reST literal blocks)."""
    lines = inspect.cleandoc(doc).splitlines()
    for i, line in enumerate(lines):
        if not line.rstrip().endswith("::"):
            continue
        base = len(line) - len(line.lstrip())
        block: list[str] = []
        for following in lines[i + 1 :]:
            if following.strip() and len(following) - len(following.lstrip()) <= base:
                break
            block.append(following)
        code = textwrap.dedent("\n".join(block)).strip()
        if code:
            yield code


#: Literal blocks that are not Python: route tables, class trees, SQL, signatures.
NOT_PYTHON = {
    "quart_oauthlib.extension.views#0",
    "quart_oauthlib.errors#0",
    "quart_oauthlib.extension.http_errors#0",
    "quart_oauthlib.signals#0",
    "quart_oauthlib.storage.sqla#0",
}
ALL_BLOCKS = {
    f"{where}#{n}": code
    for module in modules()
    for where, doc in docstrings(module)
    for n, code in enumerate(literal_blocks(doc))
}
EXAMPLES = [pytest.param(code, id=key) for key, code in ALL_BLOCKS.items() if key not in NOT_PYTHON]


def test_there_are_docstring_examples() -> None:
    assert len(EXAMPLES) >= 8
    assert set(ALL_BLOCKS) >= NOT_PYTHON  # the exemptions name blocks that still exist


@pytest.mark.parametrize("code", EXAMPLES)
def test_docstring_example_fits_the_code(code: str) -> None:
    wrapped = "async def _example():\n" + textwrap.indent(code, "    ")
    tree = ast.parse(wrapped)  # a SyntaxError fails the test with the example's line
    known = public_names()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id[:1].isupper() and node.id.isidentifier():
            assert node.id in known, f"the example names {node.id}, which is not exported"
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            owner = known.get(node.value.id)
            if inspect.isclass(owner):
                assert hasattr(owner, node.attr), f"{node.value.id} has no {node.attr}"
