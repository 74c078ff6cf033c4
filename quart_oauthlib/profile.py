"""One small user record for every provider: :class:`Profile`, and the mapping to it.

Each preset says where the user's id, e-mail, name and avatar sit in its
userinfo answer (a :class:`ProfileMapping`): a dotted path such as
``"data.id"`` or ``"emails.0.value"``, or a small function for odd shapes
(Discord builds its avatar URL from the id and a hash). Paths that find
nothing give None; only the id is required.

This module is framework-free: it never imports Quart.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, TypedDict

from .errors import ConfigurationError, UserInfoError

__all__ = [
    "OIDC_MAPPING",
    "Profile",
    "ProfileField",
    "ProfileMapping",
    "checked_mapping",
    "lookup",
    "map_profile",
]

#: A dotted path into the answer, or a function of the whole answer.
ProfileField = str | Callable[[Mapping[str, Any]], Any]


class ProfileMapping(TypedDict, total=False):
    """Where each :class:`Profile` field sits in a provider's userinfo answer."""

    id: ProfileField
    email: ProfileField
    email_verified: ProfileField
    name: ProfileField
    avatar_url: ProfileField


#: OpenID Connect's standard claims (OIDC Core §5.1): the default mapping.
OIDC_MAPPING: ProfileMapping = {
    "id": "sub",
    "email": "email",
    "email_verified": "email_verified",
    "name": "name",
    "avatar_url": "picture",
}


@dataclass(frozen=True)
class Profile:
    """The signed-in user, the same shape for every provider.

    Attributes:
        id: The provider's stable id of the user, as a string.
        email: The e-mail address, when the provider tells it.
        email_verified: Whether the provider verified it (None: it does not say).
        name: A display name.
        avatar_url: A picture URL.
        raw: The provider's whole answer, for anything else.
    """

    id: str
    email: str | None = None
    email_verified: bool | None = None
    name: str | None = None
    avatar_url: str | None = None
    raw: Mapping[str, Any] = field(
        default_factory=lambda: MappingProxyType({}), repr=False, hash=False
    )


def lookup(data: Any, path: str) -> Any:
    """The value at dotted ``path`` in ``data`` (list indexes as digits), or None."""
    value = data
    for part in path.split("."):
        if isinstance(value, Mapping):
            value = value.get(part)
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
        if value is None:
            return None
    return value


def _get(data: Mapping[str, Any], spec: ProfileField | None) -> Any:
    if spec is None:
        return None
    return spec(data) if callable(spec) else lookup(data, spec)


def _text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return str(value)


def _flag(value: Any) -> bool | None:
    if isinstance(value, str):  # some providers answer "true" / "false"
        return {"true": True, "false": False}.get(value.lower())
    return None if value is None else bool(value)


def map_profile(data: Any, mapping: Mapping[str, Any], *, provider: str = "") -> Profile:
    """Turn a userinfo answer into a :class:`Profile`.

    Args:
        data: The decoded userinfo answer.
        mapping: A :class:`ProfileMapping`; missing fields fall back to :data:`OIDC_MAPPING`.
        provider: The provider's name, for error messages.

    Raises:
        UserInfoError: The answer is no JSON object, or holds no user id.
    """
    if not isinstance(data, Mapping):
        raise UserInfoError(f"The userinfo answer of {provider!r} is not a JSON object.")
    spec: dict[str, Any] = {**OIDC_MAPPING, **mapping}
    user_id = _text(_get(data, spec["id"]))
    if user_id is None:
        raise UserInfoError(f"The userinfo answer of {provider!r} holds no user id.")
    return Profile(
        id=user_id,
        email=_text(_get(data, spec["email"])),
        email_verified=_flag(_get(data, spec["email_verified"])),
        name=_text(_get(data, spec["name"])),
        avatar_url=_text(_get(data, spec["avatar_url"])),
        raw=MappingProxyType(dict(data)),
    )


def checked_mapping(where: str, mapping: Any) -> ProfileMapping:
    """``mapping`` checked as a :class:`ProfileMapping` (a provider's ``profile`` setting).

    Raises:
        ConfigurationError: An unknown field, or a value that is no path or callable.
    """
    if mapping is None:
        return ProfileMapping()
    fields = ProfileMapping.__annotations__
    if not isinstance(mapping, Mapping) or any(
        key not in fields or not (isinstance(spec, str) or callable(spec))
        for key, spec in mapping.items()
    ):
        raise ConfigurationError(
            f"{where}: profile must map {', '.join(fields)} to dotted paths or callables."
        )
    result = ProfileMapping()
    result.update(mapping)  # type: ignore[typeddict-item]  # keys checked just above
    return result
