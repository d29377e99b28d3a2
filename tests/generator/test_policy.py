"""The version the policy suggests: the smallest one that says what changed."""

from __future__ import annotations

import pytest

from generator._diff import Change
from generator._policy import version_problems


@pytest.mark.parametrize(
    ("old", "new", "breaking", "suggested"),
    [
        # The spec changed but its version did not.
        ("1.0.0", "1.0.0", True, "set it to 2.0.0"),
        ("1.2.3", "1.2.3", False, "set it to 1.3.0 (or a patch release)"),
        ("0.3.0", "0.3.0", True, "set it to 0.4.0"),
        # A new version, too small for a breaking change.
        ("1.2.0", "1.3.0", True, "set it to 2.0.0, or make the change compatible"),
        ("0.3.0", "0.3.1", True, "set it to 0.4.0, or make the change compatible"),
    ],
)
def test_the_suggested_version(old: str, new: str, breaking: bool, suggested: str) -> None:
    (problem,) = version_problems(old, new, True, [Change(breaking, "operation removed", "listProducts")])
    assert problem.fix == suggested
