from __future__ import annotations

from typing import Any

from partner_api import AsyncPartnerClient, PartnerClient
from partner_api.testing import PartnerSandbox
from tests._flavor import Flavor, flavors


class KitFlavor(Flavor):
    """Clients from the kit's ``client()`` / ``async_client()``, closed in the loop that used them."""

    def client(self, kit: PartnerSandbox, **options: Any) -> PartnerClient | AsyncPartnerClient:
        made = kit.client(**options) if self.name == "sync" else kit.async_client(**options)
        self._clients.append(made)
        return made


flavor = flavors(KitFlavor)
