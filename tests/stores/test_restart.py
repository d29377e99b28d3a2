"""Tokens restored after a restart keep their lifetimes, so a short-lived token is not renewed on
every call (the 30 s default margin would exceed a 20 s lifetime)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from partner_api import AsyncPartnerClient, PartnerClient, Tokens
from partner_api.stores import FileTokenStore, RedisTokenStore, TokenStore
from partner_api.testing import DEMO
from partner_api_client.api.products import list_products
from tests.sandbox import SandboxServer


def make(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> TokenStore:
    if backend == "file":
        return FileTokenStore(tmp_path / "tokens.json")
    return RedisTokenStore(request.getfixturevalue("redis_url"))


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("backend", ["file", "redis"])
def test_a_restarted_process_takes_tokens_and_lifetimes_from_the_store(
    backend: str, mode: str, sandbox: SandboxServer, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    import asyncio

    sandbox.state.set_lifetime("access", 20)
    options = {"app_key": DEMO.app_key, "private_key": DEMO.private_key, "base_url": sandbox.url}
    store = make(backend, tmp_path, request)
    with PartnerClient(**options, token_store=store) as before:
        list_products.sync(client=before)
    store.close()
    assert sandbox.state.count("obtainTokens") == 1

    # The process restarts: a new store object, a new client.
    store = make(backend, tmp_path, request)
    if mode == "sync":
        with PartnerClient(**options, token_store=store) as after:
            for _ in range(3):
                list_products.sync(client=after)
            assert after.tokens.access_token_lifetime == 20.0
        store.close()
    else:

        async def restarted() -> None:
            async with AsyncPartnerClient(**options, token_store=store) as after:
                for _ in range(3):
                    await list_products.asyncio(client=after)
                assert after.tokens.access_token_lifetime == 20.0
            await store.aclose()

        asyncio.run(restarted())
    # Neither new first tokens nor renewals: the stored token, margin 2 s (a tenth of 20 s).
    assert sandbox.state.count("obtainTokens") == 1
    assert sandbox.state.count("renewAccessToken") == 0


def test_tokens_persisted_as_json_by_the_callback_keep_their_lifetimes(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    sandbox.state.set_lifetime("access", 20)
    saved = tmp_path / "tokens.json"

    def persist(tokens: Tokens) -> None:
        saved.write_text(json.dumps(tokens.to_dict()))

    options = {"app_key": DEMO.app_key, "private_key": DEMO.private_key, "base_url": sandbox.url}
    with PartnerClient(**options, on_tokens_changed=persist) as before:
        list_products.sync(client=before)
    restored = Tokens.from_dict(json.loads(saved.read_text()))
    assert restored.access_token_lifetime == 20.0
    with PartnerClient(**options, tokens=restored) as after:
        for _ in range(3):
            list_products.sync(client=after)
    assert sandbox.state.count("obtainTokens") == 1
    assert sandbox.state.count("renewAccessToken") == 0
