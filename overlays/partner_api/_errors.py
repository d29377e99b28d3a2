"""Every error the client raises derives from one root.

    PartnerAPIError
    ├── ConfigurationError (also ValueError)   bad constructor or with_options() input
    │   └── InvalidHeaderValue                 a value that cannot travel in an HTTP header
    ├── ClientClosedError                      a call through a client (or one derived from
    │                                          it) after the root client was closed
    ├── TokenStoreError                        the token store (file, Redis) failed or timed out
    ├── MissingTokenError                      the operation needs a token the client lacks;
    │   │                                      raised before anything is sent
    │   └── ReauthenticationRequired           the user token is gone or rejected: log in again
    ├── APIConnectionError                     no response, after the retries allowed
    │   └── APITimeoutError
    └── APIStatusError                         a non-2xx response
        ├── ClientError                        4xx
        │   ├── BadRequestError                400
        │   ├── AuthenticationError            401
        │   ├── PermissionDeniedError          403
        │   ├── NotFoundError                  404
        │   ├── ConflictError                  409 (e.g. a reused x-request-id)
        │   ├── UnprocessableEntityError       422
        │   └── RateLimitError                 429
        └── ServerError                        5xx

No message, ``str`` or ``repr`` here ever holds a token, key or header value.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import httpx


class PartnerAPIError(Exception):
    """Root of every error this package raises."""


class ConfigurationError(PartnerAPIError, ValueError):
    """Bad input to the client's constructor or to ``with_options``."""


class InvalidHeaderValue(ConfigurationError):
    """A value that would be unsafe or invalid in an HTTP header (CR, LF, NUL, non-ASCII, ...)."""


class ClientClosedError(PartnerAPIError):
    """The client, or the root client it was derived from, is closed: its connections are gone."""


class TokenStoreError(PartnerAPIError):
    """The token store could not be read, written or locked (Redis unreachable, a lock held too
    long, an unreadable file). Tokens the vendor already issued are kept in memory and saved on
    the store's next change."""


class MissingTokenError(PartnerAPIError):
    """The operation needs a token that the client does not have; nothing was sent."""

    def __init__(self, message: str, *, kind: str, operation: str) -> None:
        super().__init__(message)
        self.kind = kind
        """Which token: ``access``, ``refresh`` or ``user``."""
        self.operation = operation


class ReauthenticationRequired(MissingTokenError):
    """The user token is missing, expired or rejected: the user must authenticate again."""


class APIConnectionError(PartnerAPIError):
    """The request got no response (connection failed, dropped or timed out)."""

    def __init__(self, message: str, *, request: httpx.Request) -> None:
        super().__init__(message)
        self.request = request


class APITimeoutError(APIConnectionError):
    """The request timed out."""


class APIStatusError(PartnerAPIError):
    """The API answered with a non-2xx status.

    ``code`` and ``message`` come from the vendor's error envelope (``message`` is in
    ``language``); ``request_id`` is the ``x-request-id`` of the request that failed.
    ``response`` is the ``httpx.Response`` (None after unpickling).
    """

    def __init__(
        self,
        *,
        status_code: int,
        code: str | None,
        message: str | None,
        language: str,
        request_id: str | None,
        response: httpx.Response | None,
    ) -> None:
        self.status_code = status_code
        self.code = code
        self.message = message
        self.language = language
        self.request_id = request_id
        self.response = response
        super().__init__(self._describe())

    def _describe(self) -> str:
        text = f"HTTP {self.status_code}"
        if self.code:
            text += f" {self.code}"
        if self.message:
            text += f": {self.message}"
        if self.request_id:
            text += f" (x-request-id {self.request_id})"
        return text

    def __reduce__(self) -> tuple[object, ...]:
        # Pickled without the response: its request carries credentials in its headers.
        return (
            _unpickle_status_error,
            (type(self), self.status_code, self.code, self.message, self.language, self.request_id),
        )


def _unpickle_status_error(  # noqa: PLR0917 (pickle passes the state positionally)
    cls: type[APIStatusError],
    status_code: int,
    code: str | None,
    message: str | None,
    language: str,
    request_id: str | None,
) -> APIStatusError:
    return cls(
        status_code=status_code,
        code=code,
        message=message,
        language=language,
        request_id=request_id,
        response=None,
    )


class ClientError(APIStatusError):
    """A 4xx response."""


class BadRequestError(ClientError):
    """400."""


class AuthenticationError(ClientError):
    """401: the bearer token was refused (after one renewal and replay, where allowed)."""


class PermissionDeniedError(ClientError):
    """403."""


class NotFoundError(ClientError):
    """404."""


class ConflictError(ClientError):
    """409."""


class UnprocessableEntityError(ClientError):
    """422."""


class RateLimitError(ClientError):
    """429, after the retries allowed."""


class ServerError(APIStatusError):
    """A 5xx response, after the retries allowed."""


_BY_STATUS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


def status_error_class(status_code: int) -> type[APIStatusError]:
    if status_code in _BY_STATUS:
        return _BY_STATUS[status_code]
    if status_code >= 500:
        return ServerError
    if status_code >= 400:
        return ClientError
    return APIStatusError
