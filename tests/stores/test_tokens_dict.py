"""Tokens that can be saved: to_dict/from_dict round-trip through JSON, lifetimes included."""

# Made-up tokens are compared with what the stores give back on purpose.
# ruff: noqa: S105

from __future__ import annotations

import datetime as dt
import json
import pickle

import pytest

from partner_api import ConfigurationError, Tokens
from partner_api._tokens import Held

UTC = dt.UTC


def full_tokens() -> Tokens:
    now = dt.datetime(2026, 11, 30, 9, 0, 0, 123456, tzinfo=UTC)
    return Tokens(
        access_token="acc-1",
        access_token_expires_at=now + dt.timedelta(seconds=300),
        refresh_token="ref-1",
        refresh_token_expires_at=now.astimezone(dt.timezone(dt.timedelta(hours=7))),
        user_token="usr-1",
        user_token_expires_at=None,
        access_token_lifetime=300.0,
        refresh_token_lifetime=86400.5,
        user_token_lifetime=None,
    )


def test_to_dict_is_json_safe_and_round_trips_exactly() -> None:
    tokens = full_tokens()
    text = json.dumps(tokens.to_dict())
    back = Tokens.from_dict(json.loads(text))
    assert back == tokens
    # Offsets and microseconds survive, not just the instant.
    assert back.refresh_token_expires_at is not None
    assert back.refresh_token_expires_at.utcoffset() == dt.timedelta(hours=7)
    assert back.access_token_expires_at == tokens.access_token_expires_at
    assert back.lifetime("refresh") == 86400.5


def test_empty_tokens_round_trip() -> None:
    assert Tokens.from_dict(json.loads(json.dumps(Tokens().to_dict()))) == Tokens()
    assert Tokens.from_dict({}) == Tokens()


def test_positional_use_still_works_and_lifetimes_default_to_unknown() -> None:
    tokens = Tokens("a", None, "r")
    assert tokens.refresh_token == "r"
    assert tokens.access_token_lifetime is None


def test_lifetime_restored_keeps_the_short_renewal_margin() -> None:
    # A 20 s token restored after a restart: its lifetime says renew 2 s before expiry,
    # not the 30 s default that would make every call renew.
    expires = dt.datetime.now(UTC) + dt.timedelta(seconds=15)
    tokens = Tokens(access_token="a", access_token_expires_at=expires, access_token_lifetime=20.0)
    restored = Tokens.from_dict(json.loads(json.dumps(tokens.to_dict())))
    held = Held.from_tokens(restored)
    assert held.lifetimes["access"] == 20.0
    from partner_api._renewal import margin

    assert margin(held, "access") == 2.0
    assert held.usable("access", margin(held, "access"))


def test_a_renewed_token_carries_its_lifetime_into_tokens() -> None:
    import time

    held = Held.from_tokens(Tokens()).replaced("access", "a2", 120.0, time.monotonic())
    assert held.tokens.access_token_lifetime == 120.0
    assert Tokens.from_dict(held.tokens.to_dict()).access_token_lifetime == 120.0
    refused = held.refused("access")
    assert refused.tokens.access_token_lifetime is None


def test_naive_datetime_gets_a_configuration_error_saying_what_to_pass() -> None:
    naive = dt.datetime(2026, 11, 30, 9, 0, 0)
    with pytest.raises(ConfigurationError, match=r"naive.*replace\(tzinfo=datetime.UTC\)") as info:
        Tokens(access_token="a", access_token_expires_at=naive)
    assert "access_token_expires_at" in str(info.value)
    assert isinstance(info.value, ValueError)
    with pytest.raises(ConfigurationError, match="user_token_expires_at is a naive datetime"):
        Tokens.from_dict({"user_token": "u", "user_token_expires_at": "2026-11-30T09:00:00"})


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"access_token": 12}, "access_token"),
        ({"refresh_token_expires_at": "tomorrow"}, "refresh_token_expires_at"),
        ({"refresh_token_expires_at": 1700000000}, "refresh_token_expires_at"),
        ({"user_token_lifetime": "600"}, "user_token_lifetime"),
        ({"user_token_lifetime": True}, "user_token_lifetime"),
        ({"access_token_lifetime": float("nan")}, "access_token_lifetime"),
        ({"access_token_lifetime": -1}, "access_token_lifetime"),
    ],
)
def test_from_dict_with_bad_input_names_the_field(data: dict[str, object], field: str) -> None:
    with pytest.raises(ConfigurationError, match=field):
        Tokens.from_dict(data)


def test_from_dict_refuses_what_is_not_a_mapping() -> None:
    with pytest.raises(ConfigurationError, match="mapping"):
        Tokens.from_dict([("access_token", "a")])  # type: ignore[arg-type]


def test_unknown_fields_are_ignored_for_records_of_newer_versions() -> None:
    assert Tokens.from_dict({"access_token": "a", "id_token": "x"}) == Tokens(access_token="a")


def test_repr_hides_tokens_and_the_dict_is_what_holds_them() -> None:
    tokens = full_tokens()
    assert "acc-1" not in repr(tokens)
    assert "ref-1" not in str(tokens)
    assert pickle.loads(pickle.dumps(tokens)) == tokens  # noqa: S301 (our own bytes)


def test_stores_surface_is_sorted_and_complete() -> None:
    import types

    from partner_api import stores

    public = {
        name
        for name in dir(stores)
        if not name.startswith("_") and not isinstance(getattr(stores, name), types.ModuleType)
    }
    assert stores.__all__ == sorted(stores.__all__)
    assert public == set(stores.__all__)
    assert {"TokenStore", "MemoryTokenStore", "FileTokenStore", "RedisTokenStore"} <= public
