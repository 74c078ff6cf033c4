"""RFC 8707 resource indicators: one ``resource`` parameter per target, absolute URIs only."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from yarl import URL

from ..errors import ConfigurationError

#: What ``resource=`` accepts: one URI, or several.
Resource = str | Sequence[str]


def resource_list(resource: Resource | None) -> list[str]:
    """The resource URIs, checked (RFC 8707 §2: absolute, no fragment).

    Raises:
        ConfigurationError: A value is not an absolute URI, or has a fragment.
    """
    if resource is None:
        return []
    values = [resource] if isinstance(resource, str) else list(resource)
    for value in values:
        if not isinstance(value, str):
            raise ConfigurationError("resource must be a URI string or a list of them.")
        url = URL(value)
        if not url.scheme:
            raise ConfigurationError(f"resource {value!r} is not an absolute URI (RFC 8707 §2).")
        if url.raw_fragment:
            raise ConfigurationError(f"resource {value!r} must not have a fragment (RFC 8707 §2).")
    return values


def add_to_uri(uri: str, resources: Iterable[str]) -> str:
    """``uri`` with one ``resource`` query parameter per resource, after the others."""
    extra = list(resources)
    if not extra:
        return uri
    url = URL(uri, encoded=True)
    return str(url.extend_query([("resource", value) for value in extra]))


def add_to_form(form: Mapping[str, str], resources: Iterable[str]) -> list[tuple[str, str]]:
    """A form (as pairs, so that ``resource`` may repeat) with the resources added."""
    return [*form.items(), *(("resource", value) for value in resources)]
