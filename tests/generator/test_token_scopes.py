"""``x-partner-token-scopes``: checked by ``check``, carried in the manifest, read by the overlay."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from generator._check import check
from generator._errors import SpecError
from partner_api._operations import TOKEN_SCOPES
from partner_api_client import _manifest
from tests.generator.conftest import spec_data


def _problems(edit: Callable[[dict[str, Any]], None]) -> list[str]:
    spec = spec_data()
    edit(spec)
    with pytest.raises(SpecError) as caught:
        check(spec, "openapi.yaml")
    return [f"{problem.where}: {problem.message}" for problem in caught.value.problems]


def test_the_spec_declares_a_scope_for_every_token_and_the_manifest_carries_it() -> None:
    declared = spec_data()["x-partner-token-scopes"]
    assert declared == {"access": "client", "refresh": "client", "user": "user"}
    assert declared == _manifest.TOKEN_SCOPES
    assert declared == TOKEN_SCOPES
    assert _manifest.TOKEN_KINDS == ("access", "refresh", "user")


def test_a_missing_extension_is_a_problem() -> None:
    [problem] = _problems(lambda spec: spec.pop("x-partner-token-scopes"))
    assert "has no x-partner-token-scopes" in problem


def test_a_scope_that_is_neither_client_nor_user_is_a_problem() -> None:
    def edit(spec: dict[str, Any]) -> None:
        spec["x-partner-token-scopes"]["refresh"] = "tenant"

    [problem] = _problems(edit)
    assert problem.startswith("$['x-partner-token-scopes'].refresh") or "refresh" in problem
    assert "'tenant', not one of client, user" in problem


def test_an_unknown_kind_and_a_missing_kind_are_problems() -> None:
    def edit(spec: dict[str, Any]) -> None:
        del spec["x-partner-token-scopes"]["user"]
        spec["x-partner-token-scopes"]["session"] = "user"

    problems = _problems(edit)
    assert any("session" in problem and "is not a token kind" in problem for problem in problems)
    assert any("user" in problem and "None, not one of" in problem for problem in problems)
