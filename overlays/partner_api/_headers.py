"""Header values are checked where they enter the client, so none is checked per request."""

from __future__ import annotations

import re
from typing import Final

from partner_api._errors import InvalidHeaderValue

# Visible ASCII and inner spaces only: h11 refuses CR, LF and NUL but h2 checks nothing, and a
# non-ASCII or padded value means a copy-paste accident, not a credential.
_SAFE: Final = re.compile(r"[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?")


def check_header_value(value: object, what: str) -> str:
    """Return ``value`` if it can travel in an HTTP header; raise InvalidHeaderValue naming ``what``."""
    if not isinstance(value, str):
        raise InvalidHeaderValue(f"{what} must be a str, not {type(value).__name__}")
    if not _SAFE.fullmatch(value):
        # Say what is wrong without echoing the value: it may be a secret.
        raise InvalidHeaderValue(
            f"{what} is empty, or has a control character (CR, LF, NUL, ...), a non-ASCII character "
            "or leading/trailing whitespace; it cannot be sent in an HTTP header"
        )
    return value
