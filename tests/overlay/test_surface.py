"""The public surface: small, explicit, sorted, and accepted by every generated function under mypy."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import types
from pathlib import Path

import partner_api
from partner_api_client._manifest import OPERATIONS
from tests._operations import all_arguments, load_spec
from tests._paths import GENERATED, ROOT


def _code(value: object) -> str:
    """Source for an argument value: a generated model is rebuilt with ``from_dict``."""
    if hasattr(value, "to_dict"):
        return f"models.{type(value).__name__}.from_dict({value.to_dict()!r})"
    return repr(value)


ARGUMENT_CODE = {
    operation_id: ", ".join(f"{name}={_code(value)}" for name, value in arguments.items())
    for operation_id, arguments in all_arguments(load_spec()).items()
}


def test_all_is_sorted_and_complete() -> None:
    # Submodules and subpackages (partner_api.otel, partner_api.testing) appear as attributes
    # once imported; they are not names of partner_api.
    public = {
        name
        for name in dir(partner_api)
        if not name.startswith("_") and not isinstance(getattr(partner_api, name), types.ModuleType)
    }
    assert partner_api.__all__ == sorted(partner_api.__all__)
    assert public - {"__version__", "__spec_sha256__"} <= set(partner_api.__all__)
    assert {"PartnerClient", "AsyncPartnerClient", "Tokens", "PartnerAPIError"} <= set(partner_api.__all__)
    for name in partner_api.__all__:
        assert getattr(partner_api, name) is not None


def test_version_and_spec_hash_are_readable() -> None:
    assert partner_api.__version__ == load_spec()["info"]["version"]
    assert len(partner_api.__spec_sha256__) == 64


def test_mypy_accepts_both_clients_in_every_generated_function(tmp_path: Path) -> None:
    assert set(ARGUMENT_CODE) == {entry["operation_id"] for entry in OPERATIONS}
    imports, calls = [], []
    for entry in OPERATIONS:
        package, module = entry["module"].rsplit(".", 1)
        imports.append(f"from {package} import {module}")
        arguments = ARGUMENT_CODE[entry["operation_id"]]
        calls.append(f"    {module}.sync(client=client, {arguments})")
        calls.append(f"    {module}.sync_detailed(client=client, {arguments})")
        calls.append(f"    await {module}.asyncio(client=async_client, {arguments})")
        calls.append(f"    await {module}.asyncio_detailed(client=async_client, {arguments})")
    source = "\n".join(
        [
            "from partner_api import AsyncPartnerClient, PartnerClient",
            "from partner_api_client import models",
            *imports,
            "",
            "",
            "async def use(client: PartnerClient, async_client: AsyncPartnerClient) -> None:",
            *calls,
            "    derived: PartnerClient = client.with_options(language='en', timeout=5.0)",
            "    siti: PartnerClient = client.for_user('usr_01')",
            "    async_siti: AsyncPartnerClient = async_client.for_user('usr_01')",
            "    print(siti.tokens.user_token, async_siti.session_key)",
            "    print(derived.tokens.access_token)",
            "",
        ]
    )
    usage = tmp_path / "usage.py"
    usage.write_text(source, encoding="utf-8")
    config = tmp_path / "mypy.ini"
    config.write_text(
        textwrap.dedent(
            f"""
            [mypy]
            strict = True
            mypy_path = {GENERATED}:{ROOT / "overlays"}
            cache_dir = {tmp_path / "cache"}
            """
        ),
        encoding="utf-8",
    )
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(config), str(usage)],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr
