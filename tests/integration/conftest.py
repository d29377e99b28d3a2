from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import stamina

from partner_api import AsyncPartnerClient, PartnerClient
from tests._flavor import Flavor, flavors
from tests.sandbox import DEMO, SandboxServer


@pytest.fixture
def no_retry_waits() -> Iterator[None]:
    with stamina.set_testing(True, attempts=100, cap=True):
        yield


class SandboxFlavor(Flavor):
    def client(self, sandbox: SandboxServer, **options: Any) -> PartnerClient | AsyncPartnerClient:
        options.setdefault("app_key", DEMO.app_key)
        options.setdefault("private_key", DEMO.private_key)
        options.setdefault("base_url", sandbox.url)
        return self.make_client(**options)


flavor = flavors(SandboxFlavor)
