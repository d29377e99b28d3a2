"""Every request and response example in the spec validates against the generated models."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

import partner_api_models
from tests._paths import SPEC

DOCUMENT: dict[str, Any] = yaml.safe_load(SPEC.read_text(encoding="utf-8"))


def _resolve(node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        target: Any = DOCUMENT
        for key in node["$ref"][2:].split("/"):
            target = target[key]
        node = target
    return node


def _examples() -> list[tuple[str, str, Any]]:
    """(where, schema name, example value) for every example under a media type."""
    found = []
    for path, item in DOCUMENT["paths"].items():
        for method, operation in item.items():
            bodies = [("request", operation.get("requestBody"))]
            bodies += [(status, response) for status, response in operation["responses"].items()]
            for where, body in bodies:
                media = (_resolve(body) or {}).get("content", {}).get("application/json")
                if not media:
                    continue
                schema = media["schema"]["$ref"].rsplit("/", 1)[1]
                for name, example in media.get("examples", {}).items():
                    found.append(
                        (f"{method.upper()} {path} {where} {name}", schema, _resolve(example)["value"])
                    )
    return found


EXAMPLES = _examples()


@pytest.mark.parametrize(("where", "schema", "value"), EXAMPLES, ids=[where for where, _, _ in EXAMPLES])
def test_example_validates(where: str, schema: str, value: Any) -> None:
    getattr(partner_api_models, schema).model_validate(value)


def test_every_shared_example_is_used() -> None:
    used = {repr(value) for _, _, value in EXAMPLES}
    for name, example in DOCUMENT["components"]["examples"].items():
        assert repr(example["value"]) in used, name


def test_a_broken_example_would_fail() -> None:
    with pytest.raises(ValueError, match="requestId"):
        partner_api_models.Error.model_validate({"code": "X", "message": "m", "requestID": "r"})
