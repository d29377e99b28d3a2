"""Property-based checks of header values and Retry-After parsing."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from partner_api import InvalidHeaderValue
from partner_api._headers import check_header_value
from partner_api._retry import parse_retry_after

VISIBLE = st.characters(min_codepoint=0x21, max_codepoint=0x7E)
SAFE = (
    st.builds(
        lambda first, middle, last: first + middle + last,
        VISIBLE,
        st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E)),
        VISIBLE,
    )
    | VISIBLE
)


@given(SAFE)
def test_visible_ascii_is_accepted(value: str) -> None:
    assert check_header_value(value, "value") == value


@given(st.text(), st.sampled_from(["\r", "\n", "\x00", "\x7f", "é", "\u2028", "\t"]), st.text())
def test_a_control_or_non_ascii_character_anywhere_is_refused(before: str, bad: str, after: str) -> None:
    with pytest.raises(InvalidHeaderValue):
        check_header_value(before + bad + after, "value")


@given(SAFE, st.sampled_from([" ", "  "]))
def test_padding_is_refused(value: str, pad: str) -> None:
    for padded in (pad + value, value + pad):
        with pytest.raises(InvalidHeaderValue):
            check_header_value(padded, "value")


@given(st.text())
def test_retry_after_never_raises_and_is_finite_and_non_negative(value: str) -> None:
    seconds = parse_retry_after(value)
    assert seconds is None or (math.isfinite(seconds) and seconds >= 0)


@given(st.integers(min_value=0, max_value=10**9))
def test_retry_after_seconds_are_read_exactly(seconds: int) -> None:
    assert parse_retry_after(str(seconds)) == float(seconds)
