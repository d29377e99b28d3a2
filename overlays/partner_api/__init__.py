"""partner_api: the hand-written overlay on the generated ``partner_api_client``."""

from partner_api_client._stamp import SPEC_SHA256 as __spec_sha256__
from partner_api_client._stamp import __version__

__all__ = ["__spec_sha256__", "__version__"]
