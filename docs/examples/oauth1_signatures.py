"""Where the OAuth 1 signature goes, and which method makes it."""

from oauthlib.oauth1 import (
    SIGNATURE_RSA,
    SIGNATURE_TYPE_AUTH_HEADER,
    SIGNATURE_TYPE_BODY,
    SIGNATURE_TYPE_QUERY,
)

from quart_oauthlib import OAuth1


def placements(
    client_key: str, client_secret: str, resource_owner_key: str, resource_owner_secret: str
) -> list[OAuth1]:
    # In the Authorization header (the default and the most common).
    headeroauth = OAuth1(
        client_key,
        client_secret,
        resource_owner_key,
        resource_owner_secret,
        signature_type=SIGNATURE_TYPE_AUTH_HEADER,
    )
    # In the query string.
    queryoauth = OAuth1(
        client_key,
        client_secret,
        resource_owner_key,
        resource_owner_secret,
        signature_type=SIGNATURE_TYPE_QUERY,
    )
    # In a form-encoded body (so not for GET).
    bodyoauth = OAuth1(
        client_key,
        client_secret,
        resource_owner_key,
        resource_owner_secret,
        signature_type=SIGNATURE_TYPE_BODY,
    )
    return [headeroauth, queryoauth, bodyoauth]


def rsa_signed(client_key: str, key: str, owner_key: str, owner_secret: str) -> OAuth1:
    # RSA-SHA1 needs the rsa extra: pip install 'quart-oauthlib[rsa]'.
    # ``key`` is your PEM private key; the provider holds the public one.
    return OAuth1(
        client_key,
        signature_method=SIGNATURE_RSA,
        rsa_key=key,
        resource_owner_key=owner_key,
        resource_owner_secret=owner_secret,
    )
