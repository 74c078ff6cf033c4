"""Provider configuration: the settings users write, and the checked result.

``app.config["OAUTH_PROVIDERS"]`` maps a provider name to
:class:`ProviderSettings`. :func:`resolve_provider` lays those over the
preset of the same name (or ``preset=``), checks them once at ``init_app``,
and returns a frozen :class:`ProviderConfig`. Every error names the provider
and the key, and never quotes a secret.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property, partial
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal, TypedDict, get_args
from urllib.parse import urlsplit

from ..client.oauth2_session import OAuth2Session, PKCEMethod
from ..client.oidc.discovery import ProviderMetadata, expected_issuer
from ..errors import ConfigurationError, DiscoveryError
from ..profile import ProfileMapping, checked_mapping
from .foreign_names import FOREIGN_KEYS, check_update_token, translate_foreign

if TYPE_CHECKING:
    from ..client.dpop import DPoPKey

__all__ = [
    "PLACEHOLDERS",
    "AuthMethod",
    "UpdateTokenCallback",
    "ClientSecretFactory",
    "ComplianceFix",
    "ProviderConfig",
    "ProviderSettings",
    "resolve_provider",
]

AuthMethod = Literal[
    "client_secret_basic",
    "client_secret_post",
    "client_secret_jwt",
    "private_key_jwt",
    "tls_client_auth",
    "none",
]
SecurityProfile = Literal["fapi2"]
ComplianceFix = Callable[[OAuth2Session], Any]
OAuthVersion = Literal[1, 2]
UserinfoToken = Literal["header", "query"]
#: Authlib's ``update_token(token, refresh_token=None, access_token=None)``, sync or async.
UpdateTokenCallback = Callable[..., Any]
#: Makes a client secret at request time (Apple's is a short-lived signed JWT).
ClientSecretFactory = Callable[["ProviderConfig"], str]

#: Settings that fill ``{tenant}``, ``{shop}``... in a preset's URLs.
PLACEHOLDERS: tuple[str, ...] = ("tenant", "shop", "domain", "region", "realm", "api_key")
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")

#: The client authentication methods only ``ClientAuthentication`` speaks.
_MODERN_METHODS = frozenset({"client_secret_jwt", "private_key_jwt", "tls_client_auth"})
#: The client authentication methods that need no client secret.
_NO_SECRET = frozenset({"none", "private_key_jwt", "tls_client_auth"})
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_OAUTH2_URLS = ("authorize_url", "token_url")
_OAUTH1_URLS = ("request_token_url", "authorize_url", "access_token_url")
_URL_KEYS = (
    "authorize_url",
    "token_url",
    "refresh_url",
    "revoke_url",
    "userinfo_url",
    "request_token_url",
    "access_token_url",
    "server_metadata_url",
    "issuer",
    "end_session_url",
    "api_base_url",
)


class ProviderSettings(TypedDict, total=False):
    """The keys of one ``OAUTH_PROVIDERS`` entry (and of a preset). All optional here.

    ``client_key`` is OAuth 1's name for ``client_id``; either is accepted.
    """

    preset: str
    version: OAuthVersion
    client_id: str
    client_key: str
    client_secret: str
    authorize_url: str
    token_url: str
    refresh_url: str | None
    revoke_url: str | None
    userinfo_url: str | None
    request_token_url: str
    access_token_url: str
    server_metadata_url: str | None
    issuer: str | None
    end_session_url: str | None
    api_base_url: str | None
    update_token: UpdateTokenCallback | None
    refresh_on_invalid_token: bool
    scope: str | list[str] | tuple[str, ...] | None
    pkce: PKCEMethod | Literal[False] | None
    token_endpoint_auth_method: AuthMethod
    compliance_fix: ComplianceFix | None
    authorize_params: Mapping[str, str]
    token_params: Mapping[str, str]
    signature_method: str
    tenant: str
    shop: str
    domain: str
    region: str
    realm: str
    api_key: str
    scope_separator: str
    profile: ProfileMapping
    userinfo_method: Literal["GET", "POST"]
    userinfo_headers: Mapping[str, str]
    userinfo_token: UserinfoToken
    client_secret_factory: ClientSecretFactory | None
    team_id: str
    key_id: str
    private_key: str
    redirect_uri: str | None
    redirect_to: str | None
    url_prefix: str
    client_jwk: Mapping[str, Any] | str | None
    client_jwk_kid: str
    par: bool | None
    dpop: bool
    dpop_key: Mapping[str, Any] | None
    request_object: bool
    security_profile: SecurityProfile | None


_KNOWN_KEYS = frozenset(ProviderSettings.__annotations__) | FOREIGN_KEYS


@dataclass(frozen=True)
class ProviderConfig:
    """One provider's checked settings, made once at ``init_app``.

    The secret is kept out of ``repr``, so logging a config is safe.
    """

    name: str
    version: OAuthVersion
    client_id: str
    client_secret: str | None = field(default=None, repr=False)
    authorize_url: str = ""
    token_url: str | None = None
    refresh_url: str | None = None
    revoke_url: str | None = None
    userinfo_url: str | None = None
    request_token_url: str | None = None
    access_token_url: str | None = None
    scope: tuple[str, ...] | None = None
    pkce: PKCEMethod | None = "S256"
    token_endpoint_auth_method: AuthMethod = "client_secret_basic"
    compliance_fix: ComplianceFix | None = None
    authorize_params: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    token_params: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    signature_method: str = "HMAC-SHA1"
    redirect_uri: str | None = None
    redirect_to: str | None = None
    url_prefix: str = ""
    scope_separator: str = " "
    profile: ProfileMapping = field(default_factory=lambda: ProfileMapping())
    userinfo_method: Literal["GET", "POST"] = "GET"
    userinfo_headers: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    userinfo_token: UserinfoToken = "header"
    client_secret_factory: ClientSecretFactory | None = None
    #: Values for the secret factory (Apple: team_id, key_id, private_key).
    secret_params: Mapping[str, str] = field(
        default_factory=lambda: MappingProxyType({}), repr=False
    )
    #: OpenID Connect Discovery / RFC 8414: endpoints left out are discovered on first use.
    server_metadata_url: str | None = None
    #: The issuer expected in the metadata and ID tokens (by default, the URL's prefix).
    issuer: str | None = None
    #: RP-initiated logout (the provider's ``end_session_endpoint``).
    end_session_url: str | None = None
    #: Where relative URLs of API calls (``oauth.github.get("/user")``) are resolved.
    api_base_url: str | None = None
    #: Called after a refresh, as Authlib's ``update_token`` (see ``extension/token_hooks``).
    update_token: UpdateTokenCallback | None = field(default=None, compare=False)
    #: On an RFC 6750 ``invalid_token`` answer to a bound session's call: refresh once
    #: and retry, or drop the token (``extension/bound.py``). False: the app sees the 401.
    refresh_on_invalid_token: bool = True
    #: The discovered metadata, once discovered (``extension.provider.Provider.resolve``).
    metadata: ProviderMetadata | None = field(default=None, repr=False, compare=False)
    #: Whether logins are OpenID Connect ones (ID token checked), once discovered.
    openid: bool = False
    #: The client's private key (a joserfc key) for private_key_jwt and request objects.
    client_jwk: Any = field(default=None, repr=False, compare=False)
    #: Push authorization requests (RFC 9126): True always, None when the metadata
    #: requires it, False never.
    par: bool | None = None
    #: The provider's one DPoP key (RFC 9449), shared by its logins and bound sessions.
    dpop_key: DPoPKey | None = field(default=None, repr=False, compare=False)
    #: Whether ``dpop_key`` came from the settings (else generated at ``init_app``).
    dpop_key_configured: bool = False
    #: Sign authorization requests (JAR, RFC 9101) with ``client_jwk``.
    request_object: bool = False
    #: ``"fapi2"``: the FAPI 2.0 Security Profile, checked at ``init_app``.
    security_profile: SecurityProfile | None = None

    @cached_property  # the config never changes: worked out once, not per request
    def modern_client(self) -> bool:
        """Whether calls to the provider go through ``ClientAuthentication``.

        True for the JWT and mTLS methods, and whenever PAR, DPoP or signed requests
        are on; else the long-standing Basic / form-field handling is kept.
        """
        return (
            self.token_endpoint_auth_method in _MODERN_METHODS
            or self.uses_par
            or self.dpop_key is not None
            or self.request_object
        )

    @cached_property
    def uses_par(self) -> bool:
        """Whether this login is pushed (RFC 9126): ``par=True``, or the metadata requires it."""
        if self.par is not None:
            return self.par
        return self.metadata is not None and bool(
            self.metadata.get("require_pushed_authorization_requests")
        )

    @property
    def assertion_audience(self) -> str | None:
        """The ``aud`` of client assertions and request objects: the discovered issuer."""
        if self.metadata is not None:
            return self.metadata.issuer
        return self.issuer

    @property
    def scope_param(self) -> str | list[str] | None:
        """The scope as the authorization request sends it, with this provider's separator."""
        if not self.scope:
            return None
        return (
            list(self.scope)
            if self.scope_separator == " "
            else self.scope_separator.join(self.scope)
        )

    def current_client_secret(self) -> str | None:
        """The client secret to send now: configured, or made by the secret factory."""
        if self.client_secret_factory is not None:
            return self.client_secret_factory(self)
        return self.client_secret


def resolve_provider(
    name: str,
    settings: Mapping[str, Any],
    presets: Mapping[str, ProviderSettings],
    *,
    insecure_transport: bool,
) -> ProviderConfig:
    """Lay ``settings`` over their preset and check the result.

    Args:
        name: The provider's name (its key in ``OAUTH_PROVIDERS``).
        settings: The user's settings for it.
        presets: Known presets by name.
        insecure_transport: Whether ``OAUTHLIB_INSECURE_TRANSPORT`` allows http endpoints.

    Raises:
        ConfigurationError: naming the provider and the offending key.
    """
    where = f"OAUTH_PROVIDERS[{name!r}]"
    if not _NAME.match(name):
        raise ConfigurationError(
            f"{where}: provider names must start with a letter and hold only letters, "
            "digits and '_' (they name a blueprint and an attribute)."
        )
    if not isinstance(settings, Mapping):
        raise ConfigurationError(f"{where} must be a dict of settings.")
    _check_keys(where, settings)
    merged: dict[str, Any] = dict(_preset_for(where, name, settings, presets))
    merged.update(settings)
    version = _version(where, merged)
    merged = translate_foreign(where, merged, settings, version)
    _fill_placeholders(where, merged)
    client_id = merged.get("client_id") or merged.get("client_key")
    if not client_id or not isinstance(client_id, str):
        key = "client_key" if version == 1 else "client_id"
        raise ConfigurationError(f"{where}: missing {key!r} (the id your provider issued).")
    required: tuple[str, ...] = _OAUTH1_URLS if version == 1 else _OAUTH2_URLS
    if version == 2 and merged.get("server_metadata_url"):
        required = ()  # discovered on first use
    for key in required:
        if not merged.get(key):
            raise ConfigurationError(_missing_endpoint(where, name, key, settings, presets))
    for key in _URL_KEYS:
        if merged.get(key):
            _check_url(where, key, merged[key], insecure_transport)
    if merged.get("server_metadata_url"):
        _check_issuer(where, merged)
        _check_jose(where)
    if merged.get("redirect_uri"):
        _check_url(where, "redirect_uri", merged["redirect_uri"], insecure_transport)
    modern = _modern_settings(where, version, merged)
    auth_method: Any = merged.get("token_endpoint_auth_method") or (
        "private_key_jwt" if modern.client_jwk is not None else "client_secret_basic"
    )
    if auth_method not in get_args(AuthMethod):
        raise ConfigurationError(
            f"{where}: token_endpoint_auth_method must be one of {get_args(AuthMethod)}."
        )
    if auth_method == "private_key_jwt" and modern.client_jwk is None:
        raise ConfigurationError(
            f"{where}: token_endpoint_auth_method 'private_key_jwt' needs 'client_jwk' (a "
            "private JWK dict, or a PEM file path with 'client_jwk_kid')."
        )
    secret = merged.get("client_secret")
    factory = merged.get("client_secret_factory")
    if factory is not None and not callable(factory):
        raise ConfigurationError(f"{where}: client_secret_factory must be a callable.")
    secret_params = {
        k: str(merged[k]) for k in ("team_id", "key_id", "private_key") if merged.get(k)
    }
    if factory is not None and not secret:
        missing = [k for k in ("team_id", "key_id", "private_key") if k not in secret_params]
        if missing:
            raise ConfigurationError(
                f"{where}: missing {', '.join(map(repr, missing))} (the client secret is a JWT "
                "signed with your key), or set 'client_secret'."
            )
    if factory is not None and secret:
        factory = None  # a configured secret wins
    if not secret and factory is None and (version == 1 or auth_method not in _NO_SECRET):
        raise ConfigurationError(
            f"{where}: missing 'client_secret' (or set token_endpoint_auth_method='none' "
            "for a public client)."
        )
    pkce = merged.get("pkce", "S256") or None
    if pkce is not None and pkce not in get_args(PKCEMethod):
        raise ConfigurationError(f"{where}: pkce must be 'S256', 'plain' or None.")
    fix = merged.get("compliance_fix")
    if fix is not None and not callable(fix):
        raise ConfigurationError(f"{where}: compliance_fix must be a callable taking a session.")
    return ProviderConfig(
        name=name,
        version=version,
        client_id=client_id,
        client_secret=secret or None,
        authorize_url=merged.get("authorize_url") or "",
        token_url=merged.get("token_url"),
        refresh_url=merged.get("refresh_url") or merged.get("token_url"),
        revoke_url=merged.get("revoke_url"),
        userinfo_url=merged.get("userinfo_url"),
        request_token_url=merged.get("request_token_url"),
        access_token_url=merged.get("access_token_url"),
        scope=_scope(where, merged.get("scope")),
        pkce=pkce if version == 2 else None,
        token_endpoint_auth_method=auth_method,
        compliance_fix=fix,
        authorize_params=MappingProxyType(dict(merged.get("authorize_params") or {})),
        token_params=MappingProxyType(dict(merged.get("token_params") or {})),
        signature_method=merged.get("signature_method", "HMAC-SHA1"),
        redirect_uri=merged.get("redirect_uri"),
        redirect_to=merged.get("redirect_to"),
        url_prefix=(merged.get("url_prefix") or "").rstrip("/"),
        scope_separator=str(merged.get("scope_separator") or " "),
        profile=checked_mapping(where, merged.get("profile")),
        userinfo_method=merged.get("userinfo_method", "GET"),
        userinfo_headers=MappingProxyType(dict(merged.get("userinfo_headers") or {})),
        userinfo_token=merged.get("userinfo_token", "header"),
        client_secret_factory=factory,
        secret_params=MappingProxyType(secret_params),
        server_metadata_url=merged.get("server_metadata_url") or None,
        issuer=merged.get("issuer") or None,
        end_session_url=merged.get("end_session_url") or None,
        api_base_url=merged.get("api_base_url") or None,
        update_token=check_update_token(where, merged.get("update_token")),
        refresh_on_invalid_token=_flag(where, merged, "refresh_on_invalid_token", True),
        client_jwk=modern.client_jwk,
        par=modern.par,
        dpop_key=modern.dpop_key,
        dpop_key_configured=modern.dpop_key_configured,
        request_object=modern.request_object,
        security_profile=modern.security_profile,
    )


def _flag(where: str, settings: Mapping[str, Any], key: str, default: bool) -> bool:
    value = settings.get(key, default)
    if not isinstance(value, bool):
        raise ConfigurationError(f"{where}: {key!r} must be True or False, not {value!r}.")
    return value


def _missing_endpoint(
    where: str, name: str, key: str, settings: Mapping[str, Any], presets: Mapping[str, Any]
) -> str:
    """Say which endpoint is missing, and (for an unknown name) the nearest preset."""
    text = f"{where}: missing {key!r}."
    if key == "token_url":
        text += " (Authlib's 'access_token_url' is accepted too.)"
    if "preset" in settings or name in presets:
        return text
    close = difflib.get_close_matches(name, sorted(presets), n=1, cutoff=0.8)
    hint = f"did you mean preset {close[0]!r}? Or " if close else ""
    return (
        f"{text} {name!r} is no known preset, so its endpoints must be configured: "
        f"{hint}set 'preset' to a preset's name (listed in the docs' Providers page)."
    )


@dataclass(frozen=True)
class _Modern:
    """The issue-13 settings, checked: keys loaded, the DPoP key made."""

    client_jwk: Any = None
    par: bool | None = None
    dpop_key: DPoPKey | None = None
    dpop_key_configured: bool = False
    request_object: bool = False
    security_profile: SecurityProfile | None = None


def _modern_settings(where: str, version: int, merged: dict[str, Any]) -> _Modern:
    """Check client_jwk, par, dpop, dpop_key, request_object and security_profile.

    With ``security_profile="fapi2"``, what FAPI 2.0 needs and the settings leave
    unset is switched on (PAR, DPoP unless mTLS, private_key_jwt when a key is
    given); a setting that contradicts it raises.
    """
    keys = ("client_jwk", "par", "dpop", "dpop_key", "request_object", "security_profile")
    if version == 1:
        for key in keys:
            if merged.get(key):
                raise ConfigurationError(f"{where}: {key!r} is for OAuth 2 providers only.")
        return _Modern()
    for key in ("par", "dpop", "request_object"):
        if merged.get(key) is not None and not isinstance(merged[key], bool):
            raise ConfigurationError(f"{where}: {key!r} must be True or False.")
    profile = merged.get("security_profile")
    if profile is not None and profile not in get_args(SecurityProfile):
        raise ConfigurationError(
            f"{where}: security_profile must be 'fapi2' or None, not {profile!r} (the "
            "userinfo mapping is 'profile')."
        )
    client_jwk = _client_jwk(where, merged)
    if profile == "fapi2":
        _apply_fapi2_defaults(merged, client_jwk)
    dpop_setting = merged.get("dpop_key")
    if merged.get("dpop") is False and dpop_setting is not None:
        raise ConfigurationError(f"{where}: dpop_key is set but dpop is False.")
    dpop_key = None
    if merged.get("dpop") or dpop_setting is not None:
        dpop_key = _dpop_key(where, dpop_setting)
    request_object = bool(merged.get("request_object"))
    if request_object and client_jwk is None:
        raise ConfigurationError(
            f"{where}: request_object=True signs the authorization request with the "
            "client's private key: set 'client_jwk'."
        )
    if profile == "fapi2":
        _check_fapi2(where, merged, client_jwk)
    return _Modern(
        client_jwk=client_jwk,
        par=merged.get("par"),
        dpop_key=dpop_key,
        dpop_key_configured=dpop_setting is not None,
        request_object=request_object,
        security_profile=profile,
    )


def _client_jwk(where: str, merged: Mapping[str, Any]) -> Any:
    """The private key of ``client_jwk``: a JWK dict, or a PEM path with ``client_jwk_kid``."""
    value = merged.get("client_jwk")
    if value is None:
        if merged.get("client_jwk_kid"):
            raise ConfigurationError(f"{where}: client_jwk_kid is set but client_jwk is not.")
        return None
    source: Any
    if isinstance(value, str):
        kid = merged.get("client_jwk_kid")
        if not kid or not isinstance(kid, str):
            raise ConfigurationError(
                f"{where}: client_jwk is a PEM file path: set 'client_jwk_kid' (the key id "
                "registered with the provider) too."
            )
        source = (value, kid)
    elif isinstance(value, Mapping):
        source = dict(value)
    else:
        raise ConfigurationError(f"{where}: client_jwk must be a JWK dict or a PEM file path.")
    try:
        from ..client.jose_keys import load_private_key
    except ImportError as exc:
        raise ConfigurationError(
            f"{where}: client_jwk needs joserfc; install the jose extra."
        ) from exc
    try:
        key = load_private_key(source)
    except ConfigurationError as exc:
        raise ConfigurationError(f"{where}: client_jwk: {exc}") from exc
    if key.key_type == "oct":
        raise ConfigurationError(
            f"{where}: client_jwk must be an asymmetric private key (EC, RSA or OKP); "
            "client_secret_jwt signs with 'client_secret' instead."
        )
    return key


def _dpop_key(where: str, jwk: Any) -> DPoPKey:
    """The provider's DPoP key: ``dpop_key``, or a new ES256 one."""
    if jwk is not None and not isinstance(jwk, Mapping):
        raise ConfigurationError(f"{where}: dpop_key must be a private JWK dict.")
    try:
        from ..client.dpop import DPoPKey
    except ImportError as exc:
        raise ConfigurationError(f"{where}: dpop needs joserfc; install the jose extra.") from exc
    try:
        return DPoPKey(dict(jwk) if jwk is not None else None)
    except ConfigurationError as exc:
        raise ConfigurationError(f"{where}: dpop_key: {exc}") from exc


def _apply_fapi2_defaults(merged: dict[str, Any], client_jwk: Any) -> None:
    """Switch on what FAPI 2.0 needs and the settings leave unset."""
    if merged.get("par") is None:
        merged["par"] = True
    method = merged.get("token_endpoint_auth_method")
    if method is None and client_jwk is not None:
        merged["token_endpoint_auth_method"] = method = "private_key_jwt"
    if merged.get("dpop") is None and method != "tls_client_auth":
        merged["dpop"] = True


def _check_fapi2(where: str, merged: Mapping[str, Any], client_jwk: Any) -> None:
    """FAPI 2.0's demands (``client.fapi2``), as a ConfigurationError naming the key."""
    from ..client.fapi2 import check_fapi2_settings
    from ..client.jose_keys import algorithm_for
    from ..errors import FAPI2ProfileError

    pkce = merged.get("pkce", "S256")
    view: dict[str, Any] = {
        "par": merged.get("par"),
        "pkce": pkce,
        "token_endpoint_auth_method": merged.get("token_endpoint_auth_method"),
        "dpop": merged.get("dpop") or merged.get("dpop_key") is not None,
        "dpop_key": merged.get("dpop_key"),
        # The loaded key's algorithm, so a PEM file's is checked too.
        "client_jwk": None if client_jwk is None else {"alg": algorithm_for(client_jwk)},
    }
    if view["client_jwk"] is not None and isinstance(merged.get("client_jwk"), Mapping):
        alg = merged["client_jwk"].get("alg")
        if alg is not None:
            view["client_jwk"] = {"alg": alg}
    try:
        check_fapi2_settings(view)
    except FAPI2ProfileError as exc:
        raise FAPI2ProfileError(f"{where}: {exc} (security_profile 'fapi2')", key=exc.key) from exc


def _check_issuer(where: str, merged: Mapping[str, Any]) -> None:
    """The issuer must be configured, or follow from the metadata URL."""
    url = merged["server_metadata_url"]
    if merged.get("issuer") or not isinstance(url, str):
        return
    try:
        expected_issuer(url)
    except DiscoveryError as exc:
        raise ConfigurationError(
            f"{where}: server_metadata_url has no /.well-known/ path, so the issuer cannot "
            "be told from it; set 'issuer'."
        ) from exc


def _check_jose(where: str) -> None:
    """ID tokens need the JOSE library: say so now, not after a user's code is spent."""
    try:
        import joserfc  # noqa: F401
    except ImportError as exc:
        raise ConfigurationError(
            f"{where}: an OpenID provider's ID tokens are checked with joserfc; install "
            "the jose extra (pip install 'quart-oauthlib[jose]')."
        ) from exc


def _check_keys(where: str, settings: Mapping[str, Any]) -> None:
    for key in settings:
        if key not in _KNOWN_KEYS:
            close = difflib.get_close_matches(str(key), sorted(_KNOWN_KEYS), n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise ConfigurationError(f"{where}: unknown key {key!r}.{hint}")


def _preset_for(
    where: str, name: str, settings: Mapping[str, Any], presets: Mapping[str, ProviderSettings]
) -> ProviderSettings:
    preset_name = settings.get("preset")
    if preset_name is None:
        return presets.get(name, ProviderSettings())
    if preset_name not in presets:
        close = difflib.get_close_matches(str(preset_name), sorted(presets), n=1)
        hint = f" Did you mean {close[0]!r}?" if close else " See the docs' Providers page."
        raise ConfigurationError(f"{where}: unknown preset {preset_name!r}.{hint}")
    return presets[preset_name]


def _version(where: str, merged: Mapping[str, Any]) -> OAuthVersion:
    version = merged.get("version")
    if version is None:
        oauth1 = "request_token_url" in merged or "client_key" in merged
        return 1 if oauth1 else 2
    if version not in (1, 2):
        raise ConfigurationError(f"{where}: version must be 1 or 2.")
    return 1 if version == 1 else 2


def _fill_placeholders(where: str, merged: dict[str, Any]) -> None:
    """Fill ``{tenant}``, ``{shop}``... in the URLs from the provider's settings."""
    values = {key: str(merged[key]) for key in PLACEHOLDERS if merged.get(key)}
    values.setdefault("tenant", "common")  # Microsoft's "any account"

    def fill(key: str, match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in PLACEHOLDERS:
            return match.group(0)  # filled from the token by profile(): {access_token}, {uid}
        if name not in values:
            raise ConfigurationError(
                f"{where}: {key} needs {name!r}; set {name!r} in this provider's settings."
            )
        return values[name]

    for key in _URL_KEYS:
        value = merged.get(key)
        if isinstance(value, str) and "{" in value:
            merged[key] = _PLACEHOLDER.sub(partial(fill, key), value)


def _check_url(where: str, key: str, url: Any, insecure_transport: bool) -> None:
    parts = urlsplit(url) if isinstance(url, str) else None
    if parts is None or parts.scheme not in ("https", "http") or not parts.netloc:
        raise ConfigurationError(f"{where}: {key} must be an absolute https:// URL.")
    if parts.scheme == "http" and not insecure_transport:
        raise ConfigurationError(
            f"{where}: {key} uses http://, which would send credentials in clear text. "
            "Use https://, or set OAUTHLIB_INSECURE_TRANSPORT=1 for local development only."
        )


def _scope(where: str, scope: Any) -> tuple[str, ...] | None:
    if scope is None:
        return None
    if isinstance(scope, str):
        return tuple(scope.split())
    if isinstance(scope, list | tuple) and all(isinstance(s, str) for s in scope):
        return tuple(scope)
    raise ConfigurationError(f"{where}: scope must be a list of strings or a space-separated str.")
