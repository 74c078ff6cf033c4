"""Small profile-mapping functions for userinfo answers of odd shapes."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ..profile import lookup

__all__ = ["first", "full_name", "template"]

Getter = Callable[[Mapping[str, Any]], Any]


def first(*specs: str | Getter) -> Getter:
    """The first of ``specs`` (paths or getters) that holds a value.

    GitHub's ``name`` may be null, say: ``first("name", "login")``.
    """

    def get(data: Mapping[str, Any]) -> Any:
        for spec in specs:
            value = spec(data) if callable(spec) else lookup(data, spec)
            if value not in (None, ""):
                return value
        return None

    return get


def full_name(*paths: str) -> Getter:
    """The values at ``paths`` joined by spaces (first and last name, say)."""

    def get(data: Mapping[str, Any]) -> str | None:
        parts = [str(v) for v in (lookup(data, p) for p in paths) if v not in (None, "")]
        return " ".join(parts) or None

    return get


def template(url: str, *required: str) -> Getter:
    """``url`` formatted with dotted paths of the answer: ``"https://x/{data.id}.png"``.

    None when any of ``required`` paths is missing (a user without an avatar, say).
    """

    def get(data: Mapping[str, Any]) -> str | None:
        if any(lookup(data, path) in (None, "") for path in required):
            return None
        values = {path: lookup(data, path) for path in required}
        text = url
        for path, value in values.items():
            text = text.replace("{" + path + "}", str(value))
        return text

    return get
