"""Specs of any size: the committed spec plus generated operations, for the size tests and benchmarks.

    .venv/bin/python -m tests.sizes 800 > /tmp/openapi-800.yaml

Each added operation has its own tag group, its own response model and, every other one, a
templated path; the last one is a templated GET, the worst case for matching a request.
"""

from __future__ import annotations

import copy
import sys
from typing import Any

import yaml

from tests._paths import SPEC

_COMMON = [{"$ref": f"#/components/parameters/{name}"} for name in ("AppKey", "RequestId", "Language")]
_ERRORS = {
    status: {"$ref": f"#/components/responses/{name}"}
    for status, name in (("400", "BadRequest"), ("401", "Unauthorized"), ("404", "NotFound"))
}


def base() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    return loaded


def make_spec(operations: int, spec: dict[str, Any] | None = None) -> dict[str, Any]:
    """``spec`` (the committed one by default) grown to ``operations`` operations."""
    document = copy.deepcopy(spec if spec is not None else base())
    existing = sum(1 for item in document["paths"].values() for key in item if key != "parameters")
    schemas = document["components"]["schemas"]
    for index in range(operations - existing):
        group = f"group{index % 20:02d}"
        name = f"Item{index:04d}"
        schemas[name] = {
            "type": "object",
            "required": ["id", "name"],
            "properties": {
                "id": {"type": "string"},
                "name": {"type": "string"},
                "amount": {"type": "integer", "minimum": 0},
            },
        }
        templated = index % 2 == 0 or index == operations - existing - 1
        path = f"/v1/{group}/items{index:04d}" + ("/{itemId}" if templated else "")
        parameters = list(_COMMON)
        if templated:
            parameters.append(
                {"name": "itemId", "in": "path", "required": True, "schema": {"type": "string"}}
            )
        document["paths"][path] = {
            "get": {
                "operationId": f"get{name}",
                "tags": [group],
                "summary": f"Get {name}",
                "security": [{"accessToken": []}],
                "parameters": parameters,
                "responses": {
                    "200": {
                        "description": "The item.",
                        "content": {
                            "application/json": {
                                "schema": {"$ref": f"#/components/schemas/{name}"},
                                "example": {"id": "x1", "name": "one", "amount": 1},
                            }
                        },
                    },
                    **_ERRORS,
                },
            }
        }
    return document


def worst_case(spec: dict[str, Any]) -> tuple[str, str]:
    """The operationId and a concrete path of the last templated GET: the longest scan before the trie."""
    path = [path for path, item in spec["paths"].items() if "{" in path and "get" in item][-1]
    return spec["paths"][path]["get"]["operationId"], path.replace("{itemId}", "it_1").replace(
        "{accountId}", "acc_001"
    )


if __name__ == "__main__":
    yaml.safe_dump(make_spec(int(sys.argv[1])), sys.stdout, sort_keys=False, allow_unicode=True)
