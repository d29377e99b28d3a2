"""After a spec change, the new operation is generated, listed in the manifest, and callable."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from tests._paths import ROOT
from tests.generator.conftest import run_generator, spec_data, write_spec

_CALL_THE_NEW_OPERATION = textwrap.dedent(
    """
    import json, sys
    sys.path.insert(0, sys.argv[1])
    import httpx
    from partner_api_client import AuthenticatedClient
    from partner_api_client._manifest import OPERATIONS
    from partner_api_client.api.branches import list_branches

    seen = []
    def handler(request):
        seen.append({"method": request.method, "path": request.url.path,
                     "city": request.url.params.get("city"),
                     "authorization": request.headers.get("authorization")})
        return httpx.Response(200, json=[{"code": "JKT01", "city": "Jakarta"}])

    client = AuthenticatedClient(base_url="https://api.test", token="t0k",
                                 httpx_args={"transport": httpx.MockTransport(handler)})
    branches = list_branches.sync(client=client, city="Jakarta")
    entry = next(op for op in OPERATIONS if op["operation_id"] == "listBranches")
    keys = ("module", "method", "path", "bearer", "user_token")
    print(json.dumps({"module": list_branches.__file__, "seen": seen,
                      "branches": [branch.to_dict() for branch in branches],
                      "entry": {key: entry[key] for key in keys}}))
    """
)


def _add_list_branches(spec: dict[str, object]) -> None:
    paths = spec["paths"]
    assert isinstance(paths, dict)
    common = [{"$ref": f"#/components/parameters/{name}"} for name in ("AppKey", "RequestId", "Language")]
    paths["/v1/branches"] = {
        "get": {
            "operationId": "listBranches",
            "tags": ["branches"],
            "summary": "List branches",
            "description": "Branches in a city.",
            "security": [{"accessToken": []}],
            "parameters": [
                *common,
                {"name": "city", "in": "query", "required": True, "schema": {"type": "string"}},
            ],
            "responses": {
                "200": {
                    "description": "The branches.",
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "array",
                                "items": {
                                    "type": "object",
                                    "title": "Branch",
                                    "required": ["code", "city"],
                                    "properties": {"code": {"type": "string"}, "city": {"type": "string"}},
                                },
                            }
                        }
                    },
                }
            },
        }
    }


def test_an_added_operation_is_generated_and_callable(tmp_path: Path) -> None:
    data = spec_data()
    _add_list_branches(data)
    spec = write_spec(tmp_path, data)
    output = tmp_path / "generated"
    result = run_generator("generate", "--spec", spec, "--output", output)
    assert result.returncode == 0, result.stderr
    count = sum(1 for item in data["paths"].values() for key in item if key != "parameters")
    assert f"{count} operations" in result.stdout

    call = subprocess.run(
        [sys.executable, "-c", _CALL_THE_NEW_OPERATION, str(output)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert call.returncode == 0, call.stderr
    outcome = json.loads(call.stdout)
    assert Path(outcome["module"]).is_relative_to(output)
    assert outcome["seen"] == [
        {"method": "GET", "path": "/v1/branches", "city": "Jakarta", "authorization": "Bearer t0k"}
    ]
    assert outcome["branches"] == [{"code": "JKT01", "city": "Jakarta"}]
    assert outcome["entry"] == {
        "module": "partner_api_client.api.branches.list_branches",
        "method": "GET",
        "path": "/v1/branches",
        "bearer": "access",
        "user_token": False,
    }
