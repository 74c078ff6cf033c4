"""ID token validation (OIDC Core §3.1.3.7): one test per check, each with its own error class."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from cryptography.hazmat.primitives import serialization
from joserfc.jwk import OctKey, RSAKey

from quart_oauthlib.client.oidc import (
    IDTokenValidator,
    ProviderDiscovery,
    ProviderMetadata,
    token_hash,
)
from quart_oauthlib.errors import (
    ConfigurationError,
    IDTokenAlgorithmError,
    IDTokenAudienceError,
    IDTokenAuthorizedPartyError,
    IDTokenAuthTimeError,
    IDTokenError,
    IDTokenExpiredError,
    IDTokenHashError,
    IDTokenIssuedAtError,
    IDTokenIssuerError,
    IDTokenKeyNotFoundError,
    IDTokenMalformedError,
    IDTokenNonceError,
    IDTokenSignatureError,
)
from tests.fake_provider.oidc import (
    CLIENT_ID,
    CLIENT_SECRET,
    OpenIDProvider,
    b64url,
    running_oidc_provider,
)
from tests.fake_provider.serving import TLS

NONCE = "n-0S6_WzA2Mj"


@pytest.fixture
async def provider(tls: TLS) -> AsyncIterator[OpenIDProvider]:
    async with running_oidc_provider(tls) as p:
        yield p


@pytest.fixture
async def metadata(provider: OpenIDProvider, http: aiohttp.ClientSession) -> ProviderMetadata:
    return await ProviderDiscovery(provider.metadata_url).load(http)


@pytest.fixture
def validator(metadata: ProviderMetadata) -> IDTokenValidator:
    return IDTokenValidator.for_provider(metadata, client_id=CLIENT_ID, client_secret=CLIENT_SECRET)


def unsigned(claims: dict[str, Any], header: dict[str, Any]) -> str:
    return ".".join([b64url(json.dumps(header).encode()), b64url(json.dumps(claims).encode()), ""])


def public_pem(provider: OpenIDProvider) -> bytes:
    public = provider.rsa.get_op_key("verify")
    return public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def hs256_with(secret: bytes, claims: dict[str, Any], kid: str | None = None) -> str:
    """What an attacker builds: HS256 "signed" with whatever bytes they have."""
    header: dict[str, Any] = {"alg": "HS256", "typ": "JWT"}
    if kid:
        header["kid"] = kid
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}"
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(mac)}"


async def rejects(
    validator: IDTokenValidator,
    http: aiohttp.ClientSession,
    token: str,
    error: type[IDTokenError],
    **kwargs: Any,
) -> IDTokenError:
    with pytest.raises(IDTokenError) as caught:
        await validator.validate(http, token, **kwargs)
    assert type(caught.value) is error, repr(caught.value)
    assert token not in str(caught.value)
    assert token.split(".")[1] not in str(caught.value)
    return caught.value


# -- accepted ------------------------------------------------------------------


@pytest.mark.parametrize("alg", ["RS256", "ES256"])
async def test_good_id_token_validates(
    provider: OpenIDProvider, validator: IDTokenValidator, http: aiohttp.ClientSession, alg: str
) -> None:
    access_token = "at-123"
    claims = provider.claims(at_hash=token_hash(access_token, alg))
    result = await validator.validate(
        http, provider.sign(claims, alg=alg), nonce=NONCE, access_token=access_token
    )
    assert result.sub == provider.sub
    assert result.issuer == provider.issuer
    assert result["aud"] == CLIENT_ID
    assert result.header["alg"] == alg
    assert dict(result) == claims
    assert provider.calls["jwks"] == 1


async def test_hs256_with_the_client_secret_validates(
    provider: OpenIDProvider, validator: IDTokenValidator, http: aiohttp.ClientSession
) -> None:
    secret = OctKey.import_key(CLIENT_SECRET.encode())
    token = provider.sign(provider.claims(), key=secret, alg="HS256", kid=None)
    assert (await validator.validate(http, token, nonce=NONCE)).sub == provider.sub
    assert provider.calls["jwks"] == 0  # never looked for a public key


async def test_multiple_audiences_with_azp_and_trusted_audience(
    provider: OpenIDProvider, metadata: ProviderMetadata, http: aiohttp.ClientSession
) -> None:
    validator = IDTokenValidator.for_provider(
        metadata, client_id=CLIENT_ID, trusted_audiences=["api"]
    )
    token = provider.sign(provider.claims(aud=[CLIENT_ID, "api"], azp=CLIENT_ID))
    assert (await validator.validate(http, token)).sub == provider.sub


async def test_leeway_tolerates_small_skew(
    provider: OpenIDProvider, validator: IDTokenValidator, http: aiohttp.ClientSession
) -> None:
    now = int(time.time())
    token = provider.sign(provider.claims(exp=now - 30, iat=now + 30))
    await validator.validate(http, token, nonce=NONCE)


# -- one test per failed check ----------------------------------------------------


async def test_bad_signature(
    provider: OpenIDProvider, validator: IDTokenValidator, http: aiohttp.ClientSession
) -> None:
    forger = RSAKey.generate_key(2048)
    token = provider.sign(provider.claims(), key=forger, kid=provider.rsa.kid)
    await rejects(validator, http, token, IDTokenSignatureError, nonce=NONCE)


async def test_tampered_payload(
    provider: OpenIDProvider, validator: IDTokenValidator, http: aiohttp.ClientSession
) -> None:
    header, _, signature = provider.sign(provider.claims()).split(".")
    payload = b64url(json.dumps(provider.claims(sub="admin")).encode())
    await rejects(
        validator, http, f"{header}.{payload}.{signature}", IDTokenSignatureError, nonce=NONCE
    )


async def test_wrong_issuer(
    provider: OpenIDProvider, validator: IDTokenValidator, http: aiohttp.ClientSession
) -> None:
    token = provider.sign(provider.claims(iss=provider.issuer + "/"))
    await rejects(validator, http, token, IDTokenIssuerError, nonce=NONCE)


async def test_audience_without_client_id(
    provider: OpenIDProvider, validator: IDTokenValidator, http: aiohttp.ClientSession
) -> None:
    token = provider.sign(provider.claims(aud="someone-else"))
    await rejects(validator, http, token, IDTokenAudienceError, nonce=NONCE)


async def test_untrusted_extra_audience(
    provider: OpenIDProvider, validator: IDTokenValidator, http: aiohttp.ClientSession
) -> None:
    token = provider.sign(provider.claims(aud=[CLIENT_ID, "stranger"], azp=CLIENT_ID))
    await rejects(validator, http, token, IDTokenAudienceError, nonce=NONCE)


async def test_several_audiences_without_azp(
    provider: OpenIDProvider, metadata: ProviderMetadata, http: aiohttp.ClientSession
) -> None:
    validator = IDTokenValidator.for_provider(
        metadata, client_id=CLIENT_ID, trusted_audiences=["api"]
    )
    token = provider.sign(provider.claims(aud=[CLIENT_ID, "api"]))
    await rejects(validator, http, token, IDTokenAuthorizedPartyError)


async def test_azp_of_another_client(
    provider: OpenIDProvider, validator: IDTokenValidator, http: aiohttp.ClientSession
) -> None:
    token = provider.sign(provider.claims(azp="other-client"))
    await rejects(validator, http, token, IDTokenAuthorizedPartyError, nonce=NONCE)


async def test_expired(
    provider: OpenIDProvider, validator: IDTokenValidator, http: aiohttp.ClientSession
) -> None:
    now = int(time.time())
    token = provider.sign(provider.claims(exp=now - 120, iat=now - 400))
    await rejects(validator, http, token, IDTokenExpiredError, nonce=NONCE)
    missing = provider.sign(provider.claims(exp=None))
    await rejects(validator, http, missing, IDTokenExpiredError, nonce=NONCE)


async def test_issued_in_the_future(
    provider: OpenIDProvider, validator: IDTokenValidator, http: aiohttp.ClientSession
) -> None:
    token = provider.sign(provider.claims(iat=int(time.time()) + 600))
    await rejects(validator, http, token, IDTokenIssuedAtError, nonce=NONCE)


async def test_issued_too_long_ago(
    provider: OpenIDProvider, validator: IDTokenValidator, http: aiohttp.ClientSession
) -> None:
    now = int(time.time())
    token = provider.sign(provider.claims(iat=now - 3600, exp=now + 3600))
    await rejects(validator, http, token, IDTokenIssuedAtError, nonce=NONCE)


async def test_auth_time_older_than_max_age(
    provider: OpenIDProvider, validator: IDTokenValidator, http: aiohttp.ClientSession
) -> None:
    token = provider.sign(provider.claims(auth_time=int(time.time()) - 3600))
    await rejects(validator, http, token, IDTokenAuthTimeError, nonce=NONCE, max_age=300)
    missing = provider.sign(provider.claims())
    await rejects(validator, http, missing, IDTokenAuthTimeError, nonce=NONCE, max_age=300)


async def test_wrong_nonce(
    provider: OpenIDProvider, validator: IDTokenValidator, http: aiohttp.ClientSession
) -> None:
    token = provider.sign(provider.claims(nonce="replayed"))
    error = await rejects(validator, http, token, IDTokenNonceError, nonce=NONCE)
    assert NONCE not in str(error) and "replayed" not in str(error)


async def test_missing_nonce(
    provider: OpenIDProvider, validator: IDTokenValidator, http: aiohttp.ClientSession
) -> None:
    token = provider.sign(provider.claims(nonce=None))
    await rejects(validator, http, token, IDTokenNonceError, nonce=NONCE)


async def test_wrong_at_hash(
    provider: OpenIDProvider, validator: IDTokenValidator, http: aiohttp.ClientSession
) -> None:
    token = provider.sign(provider.claims(at_hash=token_hash("another-token", "RS256")))
    await rejects(validator, http, token, IDTokenHashError, nonce=NONCE, access_token="at-1")


async def test_at_hash_uses_the_algs_hash(
    provider: OpenIDProvider, metadata: ProviderMetadata, http: aiohttp.ClientSession
) -> None:
    validator = IDTokenValidator.for_provider(
        metadata.replace(id_token_signing_alg_values_supported=("RS384",)), client_id=CLIENT_ID
    )
    sha256_hash = token_hash("at-1", "RS256")
    token = provider.sign(provider.claims(at_hash=sha256_hash), alg="RS384")
    await rejects(validator, http, token, IDTokenHashError, access_token="at-1")
    good = provider.sign(provider.claims(at_hash=token_hash("at-1", "RS384")), alg="RS384")
    await validator.validate(http, good, access_token="at-1")


async def test_implicit_flow_requires_at_hash(
    provider: OpenIDProvider, validator: IDTokenValidator, http: aiohttp.ClientSession
) -> None:
    token = provider.sign(provider.claims())
    await rejects(
        validator, http, token, IDTokenHashError, nonce=NONCE, access_token="at-1", flow="implicit"
    )
    await rejects(  # "code id_token token": the hybrid flow's front-channel token
        validator, http, token, IDTokenHashError, nonce=NONCE, access_token="at-1", flow="hybrid"
    )
    with pytest.raises(ValueError, match="requires a nonce"):
        await validator.validate(http, token, flow="implicit")


async def test_hybrid_flow_requires_a_matching_c_hash(
    provider: OpenIDProvider, validator: IDTokenValidator, http: aiohttp.ClientSession
) -> None:
    token = provider.sign(provider.claims())
    await rejects(validator, http, token, IDTokenHashError, nonce=NONCE, code="c", flow="hybrid")
    wrong = provider.sign(provider.claims(c_hash=token_hash("other", "RS256")))
    await rejects(validator, http, wrong, IDTokenHashError, nonce=NONCE, code="c", flow="hybrid")
    good = provider.sign(provider.claims(c_hash=token_hash("c", "RS256")))
    await validator.validate(http, good, nonce=NONCE, code="c", flow="hybrid")


async def test_alg_not_advertised(
    provider: OpenIDProvider, validator: IDTokenValidator, http: aiohttp.ClientSession
) -> None:
    token = provider.sign(provider.claims(), alg="PS256")
    await rejects(validator, http, token, IDTokenAlgorithmError, nonce=NONCE)


async def test_alg_none_is_refused(
    provider: OpenIDProvider, metadata: ProviderMetadata, http: aiohttp.ClientSession
) -> None:
    # Even a provider that advertises "none" never gets an unsigned token through.
    validator = IDTokenValidator.for_provider(
        metadata.replace(id_token_signing_alg_values_supported=("none", "RS256")),
        client_id=CLIENT_ID,
    )
    for alg in ("none", "None", "NONE"):
        token = unsigned(provider.claims(), {"alg": alg})
        await rejects(validator, http, token, IDTokenAlgorithmError, nonce=NONCE)
    assert provider.calls["jwks"] == 0
    with pytest.raises(ConfigurationError):
        IDTokenValidator.for_provider(
            metadata.replace(id_token_signing_alg_values_supported=("none",)), client_id="c"
        )


async def test_hs256_signed_with_the_public_key_is_refused(
    provider: OpenIDProvider, validator: IDTokenValidator, http: aiohttp.ClientSession
) -> None:
    """The RS/HS key confusion: HMAC "keyed" with the provider's public key bytes."""
    pem = public_pem(provider)
    token = hs256_with(pem, provider.claims(), kid=provider.rsa.kid)
    await rejects(validator, http, token, IDTokenSignatureError, nonce=NONCE)
    # Keyed with the JWK's modulus or the JWK JSON: refused all the same.
    as_json = json.dumps(provider.rsa.as_dict(private=False)).encode()
    await rejects(validator, http, hs256_with(as_json, provider.claims()), IDTokenSignatureError)


async def test_hs256_without_a_client_secret_is_refused(
    provider: OpenIDProvider, metadata: ProviderMetadata, http: aiohttp.ClientSession
) -> None:
    validator = IDTokenValidator.for_provider(metadata, client_id=CLIENT_ID)  # public client
    token = hs256_with(public_pem(provider), provider.claims(), kid=provider.rsa.kid)
    await rejects(validator, http, token, IDTokenAlgorithmError, nonce=NONCE)
    assert provider.calls["jwks"] == 0


async def test_alg_that_does_not_fit_the_key(
    provider: OpenIDProvider, validator: IDTokenValidator, http: aiohttp.ClientSession
) -> None:
    # ES256 claimed, but the kid names the RSA key.
    token = provider.sign(provider.claims(), alg="ES256", kid=provider.rsa.kid)
    await rejects(validator, http, token, IDTokenAlgorithmError, nonce=NONCE)


async def test_unknown_kid(
    provider: OpenIDProvider, validator: IDTokenValidator, http: aiohttp.ClientSession
) -> None:
    token = provider.sign(provider.claims(), kid="no-such-key")
    await rejects(validator, http, token, IDTokenKeyNotFoundError, nonce=NONCE)


async def test_no_kid_with_several_keys_of_the_type(
    provider: OpenIDProvider, validator: IDTokenValidator, http: aiohttp.ClientSession
) -> None:
    # One RSA key: a token without kid may use it (OIDC Core §10.1).
    await validator.validate(http, provider.sign(provider.claims(), kid=None), nonce=NONCE)
    provider.keys.append(RSAKey.generate_key(2048, parameters={"kid": "rsa-2"}))
    validator.jwks.invalidate()
    token = provider.sign(provider.claims(), kid=None)
    await rejects(validator, http, token, IDTokenKeyNotFoundError, nonce=NONCE)


@pytest.mark.parametrize(
    "token",
    ["", "abc", "a.b", "a.b.c.d", "!!!.###.$$$", "e30.e30.e30"],
)
async def test_malformed(
    validator: IDTokenValidator, http: aiohttp.ClientSession, token: str
) -> None:
    with pytest.raises((IDTokenMalformedError, IDTokenAlgorithmError)):
        await validator.validate(http, token)
    with pytest.raises(IDTokenMalformedError, match="encrypted"):
        await validator.validate(http, "a.b.c.d.e")  # JWE is not supported


async def test_missing_sub(
    provider: OpenIDProvider, validator: IDTokenValidator, http: aiohttp.ClientSession
) -> None:
    token = provider.sign(provider.claims(sub=None))
    await rejects(validator, http, token, IDTokenMalformedError, nonce=NONCE)


def test_token_hash_vectors() -> None:
    # OIDC Core §A.3/§A.4 example: at_hash of this access token with RS256.
    assert token_hash("jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y", "RS256") == (
        "77QmUPtjPfzWtF2AnpK9RQ"
    )
    assert token_hash("Qcb0Orv1zh30vL1MPRsbm-diHiMwcLyZvn1arpZv-Jxf_11jnpEX3Tgfvk", "RS256") == (
        "LDktKdoQak3Pk0cnXxCltA"
    )
    with pytest.raises(IDTokenHashError):
        token_hash("x", "XX999")
