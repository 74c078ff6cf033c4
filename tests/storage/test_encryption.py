"""Tokens encrypted at rest with Fernet keys from config, and key rotation."""

from __future__ import annotations

import logging

import pytest
from cryptography.fernet import Fernet

from quart_oauthlib.errors import ConfigurationError
from quart_oauthlib.storage.encryption import FernetCodec
from tests.storage.conftest import StoreFactory

TOKEN = {"access_token": "secret-at", "refresh_token": "secret-rt", "expires_at": 4_102_444_800}


async def raw_value(store: object) -> str:
    """What the server keeps for corp/alice, read around the store's codec."""
    from quart_oauthlib.storage.redis import RedisTokenStore
    from quart_oauthlib.storage.sqla import SQLTokenStore

    if isinstance(store, RedisTokenStore):
        data = await store.client().get(store.key("corp", "user:alice"))
        assert isinstance(data, bytes)
        return data.decode()
    assert isinstance(store, SQLTokenStore)
    from sqlalchemy import select

    async with (await store.engine()).connect() as conn:
        return str((await conn.execute(select(store.table.c.token))).scalar_one())


async def test_tokens_are_encrypted_at_rest(stores: StoreFactory) -> None:
    store = stores(codec=FernetCodec(Fernet.generate_key()))
    await store.set("corp", "user:alice", TOKEN)
    raw = await raw_value(store)
    assert "secret" not in raw
    assert await store.get("corp", "user:alice") == TOKEN


async def test_key_rotation(stores: StoreFactory, caplog: pytest.LogCaptureFixture) -> None:
    old, new = Fernet.generate_key(), Fernet.generate_key()
    before = stores(codec=FernetCodec(old))
    await before.set("corp", "user:alice", TOKEN)
    rotated = stores(codec=FernetCodec([new, old]))  # the new key first: it encrypts
    assert await rotated.get("corp", "user:alice") == TOKEN  # old tokens stay readable
    await rotated.set("corp", "user:alice", TOKEN)  # rewritten under the new key
    new_only = stores(codec=FernetCodec(new.decode()))
    assert await new_only.get("corp", "user:alice") == TOKEN
    old_only = stores(codec=FernetCodec(old))
    with caplog.at_level(logging.WARNING, logger="quart_oauthlib"):
        assert await old_only.get("corp", "user:alice") is None  # unreadable: sign in again
    assert "cannot be decrypted" in caplog.text
    assert "secret" not in caplog.text


def test_codec_from_config_string_and_rotate() -> None:
    old, new = Fernet.generate_key(), Fernet.generate_key()
    codec = FernetCodec(f"{new.decode()}, {old.decode()}")
    assert codec.key_count == 2
    written = FernetCodec(old).encode(TOKEN)
    again = codec.rotate(written)
    assert FernetCodec(new).decode(again) == TOKEN
    assert "2 key" in repr(codec) and new.decode() not in repr(codec)


@pytest.mark.parametrize("keys", ["", [], "not-a-key", ["", "short"]])
def test_bad_keys_are_configuration_errors(keys: object) -> None:
    with pytest.raises(ConfigurationError, match="OAUTH_TOKEN_ENCRYPTION_KEYS"):
        FernetCodec(keys)  # type: ignore[arg-type]  # what a config file may hold


# -- ciphertexts bound to their row ---------------------------------------------------


async def write_raw(store: object, provider: str, user_id: str, data: str) -> None:
    """Put ``data`` in a row as is, as someone with write access to the table could."""
    from quart_oauthlib.storage.redis import RedisTokenStore
    from quart_oauthlib.storage.sqla import SQLTokenStore

    if isinstance(store, RedisTokenStore):
        await store.client().set(store.key(provider, user_id), data)
        return
    assert isinstance(store, SQLTokenStore)
    await store.set(provider, user_id, {"access_token": "placeholder"})
    from sqlalchemy import update

    t = store.table
    query = update(t).where(t.c.provider == provider, t.c.user_id == user_id).values(token=data)
    async with (await store.engine()).begin() as conn:
        await conn.execute(query)


async def raw_of(store: object, provider: str, user_id: str) -> str:
    from quart_oauthlib.storage.redis import RedisTokenStore
    from quart_oauthlib.storage.sqla import SQLTokenStore

    if isinstance(store, RedisTokenStore):
        data = await store.client().get(store.key(provider, user_id))
        assert isinstance(data, bytes)
        return data.decode()
    assert isinstance(store, SQLTokenStore)
    from sqlalchemy import select

    t = store.table
    query = select(t.c.token).where(t.c.provider == provider, t.c.user_id == user_id)
    async with (await store.engine()).connect() as conn:
        return str((await conn.execute(query)).scalar_one())


@pytest.mark.parametrize(
    ("provider", "user_id"), [("corp", "user:mallory"), ("other", "user:alice")]
)
async def test_a_ciphertext_copied_to_another_row_does_not_decrypt_there(
    stores: StoreFactory, caplog: pytest.LogCaptureFixture, provider: str, user_id: str
) -> None:
    store = stores(codec=FernetCodec(Fernet.generate_key()))
    await store.set("corp", "user:alice", TOKEN)
    await write_raw(store, provider, user_id, await raw_of(store, "corp", "user:alice"))
    with caplog.at_level(logging.WARNING, logger="quart_oauthlib"):
        assert await store.get(provider, user_id) is None
    assert "another row" in caplog.text and "secret" not in caplog.text
    assert await store.get("corp", "user:alice") == TOKEN  # still readable where it belongs


async def test_unbound_rows_are_refused_unless_migrating(
    stores: StoreFactory, caplog: pytest.LogCaptureFixture
) -> None:
    key = Fernet.generate_key()
    legacy = FernetCodec(key).encode(TOKEN)  # what stores wrote before the binding
    store = stores(codec=FernetCodec(key))
    await write_raw(store, "corp", "user:alice", legacy)
    with caplog.at_level(logging.WARNING, logger="quart_oauthlib"):
        assert await store.get("corp", "user:alice") is None
    assert "older format" in caplog.text
    migrating = stores(codec=FernetCodec(key, accept_unbound=True))
    assert await migrating.get("corp", "user:alice") == TOKEN
    await migrating.set("corp", "user:alice", TOKEN)  # rewritten: bound from now on
    assert await store.get("corp", "user:alice") == TOKEN


def test_rebind_binds_an_old_ciphertext_and_keeps_key_rotation() -> None:
    old, new = Fernet.generate_key(), Fernet.generate_key()
    legacy = FernetCodec(old).encode(TOKEN)
    codec = FernetCodec([new, old])
    bound = codec.rebind(legacy, "corp", "user:alice")
    assert FernetCodec(new).decode_for(bound, "corp", "user:alice") == TOKEN  # the new key
    with pytest.raises(ValueError, match="another row"):
        codec.decode_for(bound, "corp", "user:bob")
    with pytest.raises(ValueError, match="another row"):
        codec.rebind(bound, "corp", "user:bob")
    rotated = codec.rotate(FernetCodec(old).encode_for(TOKEN, "corp", "user:alice"))
    assert FernetCodec(new).decode_for(rotated, "corp", "user:alice") == TOKEN
    with pytest.raises(ValueError, match="decode_for"):
        codec.decode(bound)
