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
    ├── UnsafeRedirectError                    a redirect would carry the request body to another
    │                                          origin; refused, nothing was sent there
    ├── APIConnectionError                     no usable response, after the retries allowed
    │   ├── APITimeoutError                    a timeout, or the call's overall deadline passed
    │   ├── ResponseTooLargeError              the body (decompressed) exceeded max_response_bytes
    │   └── ResponseDecodingError              the body could not be decoded (corrupt gzip, ...)
    ├── APIResponseValidationError             a response whose body does not match the spec
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

    InsecureTransportWarning (a UserWarning)   TLS verification is off in what the client sends through

No message, ``str`` or ``repr`` here ever holds a token, key or header value, and every error
pickles without its request or response (their headers carry credentials).
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

    def __reduce__(self) -> tuple[object, ...]:
        # Exception's own pickling passes only args, and the keyword-only fields would be lost.
        return (_rebuild, (type(self), (str(self),), {"kind": self.kind, "operation": self.operation}))


class ReauthenticationRequired(MissingTokenError):
    """The user token is missing, expired or rejected: the user must authenticate again."""


class UnsafeRedirectError(PartnerAPIError):
    """A redirect (307/308) would have re-sent the request body to another origin: refused.

    Bodies carry the private key, passwords and payments; with ``follow_redirects=True`` the
    client follows a cross-origin redirect only when there is no body to re-send.
    """

    def __init__(self, message: str, *, request_id: str | None = None) -> None:
        super().__init__(message)
        self.request_id = request_id

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild, (type(self), (str(self),), {"request_id": self.request_id}))


class APIConnectionError(PartnerAPIError):
    """The request got no usable response (connection failed, dropped or timed out, body unusable).

    ``request`` is the ``httpx.Request`` (None after unpickling); ``request_id`` its
    ``x-request-id`` (the last attempt's).
    """

    def __init__(self, message: str, *, request: httpx.Request | None, request_id: str | None = None) -> None:
        super().__init__(message)
        self.request = request
        if request_id is None and request is not None:
            request_id = request.headers.get("x-request-id")
        self.request_id = request_id

    def __reduce__(self) -> tuple[object, ...]:
        # Pickled without the request: its headers and body carry credentials.
        return (_rebuild, (type(self), (str(self),), {"request": None, "request_id": self.request_id}))


class APITimeoutError(APIConnectionError):
    """The request timed out, or the call's overall deadline (its ``timeout``) passed."""


class ResponseTooLargeError(APIConnectionError):
    """The response body, decompressed, was larger than the client's ``max_response_bytes``.

    Its connection was closed; the body was not kept. Not retried: it would come back as large.
    """


class ResponseDecodingError(APIConnectionError):
    """The response body could not be decoded (a corrupt gzip or deflate stream, ...)."""


class InsecureTransportWarning(UserWarning):
    """TLS certificate verification is off in the ``http_client=`` or ``transport=`` given.

    Tokens would go to whoever answers. Where it is meant (a local server with a self-signed
    certificate, say), silence it like any warning:
    ``warnings.filterwarnings("ignore", category=partner_api.InsecureTransportWarning)``.
    """


def _rebuild(cls: type[BaseException], args: tuple[object, ...], fields: dict[str, object]) -> BaseException:
    return cls(*args, **fields)


class APIResponseValidationError(PartnerAPIError):
    """The API answered, but the body does not match the spec (not JSON, a field missing or of
    the wrong type, nested too deeply); ``__cause__`` holds the parser's own error."""

    def __init__(self, message: str, *, status_code: int, request_id: str | None) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.request_id = request_id
        """The ``x-request-id`` of the request, to quote to the vendor."""

    def __reduce__(self) -> tuple[object, ...]:
        return (_unpickle_validation_error, (str(self), self.status_code, self.request_id))


def _unpickle_validation_error(
    message: str, status_code: int, request_id: str | None
) -> APIResponseValidationError:
    return APIResponseValidationError(message, status_code=status_code, request_id=request_id)


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
