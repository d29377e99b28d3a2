"""partner_api: the Partner API client that gets every header and token right.

    from partner_api import PartnerClient
    from partner_api_client.api.products import list_products

    client = PartnerClient(app_key="...", private_key="...", base_url="https://...")
    page = list_products.sync(client=client)

The generated ``partner_api_client`` holds the endpoint functions and models; this package
holds the clients to pass them, the ``Tokens`` they keep, and the errors they raise.
"""

from partner_api._client import AsyncPartnerClient, PartnerClient
from partner_api._errors import (
    APIConnectionError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ClientClosedError,
    ClientError,
    ConfigurationError,
    ConflictError,
    InsecureTransportWarning,
    InvalidHeaderValue,
    MissingTokenError,
    NotFoundError,
    PartnerAPIError,
    PermissionDeniedError,
    RateLimitError,
    ReauthenticationRequired,
    ResponseDecodingError,
    ResponseTooLargeError,
    ServerError,
    TokenStoreError,
    UnprocessableEntityError,
    UnsafeRedirectError,
)
from partner_api._introspect import operation_id
from partner_api._security import install_log_redaction as _install_log_redaction
from partner_api._tokens import Tokens
from partner_api_client import _stamp

_install_log_redaction()  # hpack (HTTP/2) logs header values at DEBUG

__version__ = _stamp.__version__
__spec_sha256__ = _stamp.SPEC_SHA256
__provenance__ = {
    "version": _stamp.__version__,
    "spec_sha256": _stamp.SPEC_SHA256,
    "generator_sha256": _stamp.GENERATOR_SHA256,
    "tool_versions": dict(_stamp.TOOL_VERSIONS),
}
__all__ = [
    "APIConnectionError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AsyncPartnerClient",
    "AuthenticationError",
    "BadRequestError",
    "ClientClosedError",
    "ClientError",
    "ConfigurationError",
    "ConflictError",
    "InsecureTransportWarning",
    "InvalidHeaderValue",
    "MissingTokenError",
    "NotFoundError",
    "PartnerAPIError",
    "PartnerClient",
    "PermissionDeniedError",
    "RateLimitError",
    "ReauthenticationRequired",
    "ResponseDecodingError",
    "ResponseTooLargeError",
    "ServerError",
    "TokenStoreError",
    "Tokens",
    "UnprocessableEntityError",
    "UnsafeRedirectError",
    "__provenance__",
    "__spec_sha256__",
    "__version__",
    "operation_id",
]
