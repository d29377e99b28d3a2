from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests._flavor import flavors
from tests.contract.prism import Prism
from tests.integration.conftest import SandboxFlavor
from tests.sandbox import SandboxServer


@pytest.fixture(scope="session")
def prism_mock(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Prism]:
    prism = Prism("mock", log=tmp_path_factory.mktemp("prism") / "mock.log")
    yield prism
    prism.stop()


@pytest.fixture(scope="session")
def prism_proxy(sandbox_server: SandboxServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Prism]:
    prism = Prism("proxy", sandbox_server.url, log=tmp_path_factory.mktemp("prism") / "proxy.log")
    yield prism
    prism.stop()


flavor = flavors(SandboxFlavor)
