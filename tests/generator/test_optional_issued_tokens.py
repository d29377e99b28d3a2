"""`optional: true` on an issued token lets its pointers name optional properties (a rotated
refresh token that a vendor may leave out); without it, they must be required."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.generator.conftest import run_generator, spec_data, write_spec

ENTRY = ("paths", "/v1/auth/access-token", "post", "x-partner-issued-tokens")


def _rotated_refresh(spec: dict[str, Any]) -> dict[str, Any]:
    node: Any = spec
    for key in ENTRY:
        node = node[key]
    entries: list[dict[str, Any]] = node
    return next(entry for entry in entries if entry["token"] in {"refresh"})


@pytest.mark.parametrize(
    ("optional", "expected"),
    [
        (None, "'/refreshToken' is not a required property (or mark the entry optional: true)"),
        ("yes", "['x-partner-issued-tokens'][1].optional: is 'yes'"),
    ],
)
def test_an_optional_property_needs_the_entry_marked_optional(
    optional: str | None, expected: str, tmp_path: Path
) -> None:
    data = spec_data()
    entry = _rotated_refresh(data)
    del entry["optional"]
    if optional is not None:
        entry["optional"] = optional
    result = run_generator("check", "--spec", write_spec(tmp_path, data))
    assert result.returncode == 1
    assert "renewAccessToken" in result.stderr
    assert expected in result.stderr


def test_the_spec_marks_the_rotated_refresh_token_optional() -> None:
    entry = _rotated_refresh(spec_data())
    assert entry == {
        "token": "refresh",
        "field": "/refreshToken",
        "expiresIn": "/refreshTokenExpiresIn",
        "optional": True,
    }
    result = run_generator("check")
    assert result.returncode == 0, result.stderr
