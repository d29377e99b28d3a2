"""README.md is the wheel's long description: its links must work on the index's page."""

from __future__ import annotations

import re
import tomllib

import pytest

from partner_api._errors import status_error_class
from tests._paths import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
REPOSITORY = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["urls"][
    "Repository"
]
# Inline links and images, [text](target "title"), and reference definitions, [id]: target.
LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)|^\s*\[[^\]]+\]:\s*(\S+)", re.M)
# Code blocks hold Python, not links.
FENCE = re.compile(r"^```.*?^```", re.M | re.S)


def links(text: str) -> list[str]:
    text = FENCE.sub("", text)
    return [inline or reference for inline, reference in LINK.findall(text)]


def test_the_link_finder_sees_relative_links() -> None:
    sample = "See [the example](examples/quickstart.py), ![logo](docs/logo.png)\n[ref]: MAINTAINING.md\n"
    assert links(sample) == ["examples/quickstart.py", "docs/logo.png", "MAINTAINING.md"]


def test_every_readme_link_is_absolute() -> None:
    found = links(README)
    assert found, "the README links nowhere: is the link pattern still right?"
    relative = [target for target in found if not re.match(r"https?://", target)]
    assert relative == [], f"relative links break on the index page; prefix them with {REPOSITORY}/blob/main/"


def test_repository_links_point_at_files_that_exist() -> None:
    prefix = f"{REPOSITORY}/blob/main/"
    ours = [target for target in links(README) if target.startswith(REPOSITORY)]
    assert ours, "the README should link to MAINTAINING.md and the examples"
    for target in ours:
        assert target.startswith(prefix), target
        path = target.removeprefix(prefix).split("#")[0]
        assert (ROOT / path).exists(), f"{target}: {path} is not in the repository"


def _table_rows() -> list[tuple[int, str]]:
    rows = re.findall(r"^\| (\d{3}) \| `(\w+)`", README, re.M)
    return [(int(status), name) for status, name in rows]


def test_readme_error_table_has_rows() -> None:
    assert len(_table_rows()) >= 8


@pytest.mark.parametrize(("status", "name"), _table_rows())
def test_readme_error_table_matches_the_client(status: int, name: str) -> None:
    assert status_error_class(status).__name__ == name
