"""The names openapi-python-client gives tag packages and endpoint modules.

The same rules as its ``strings.PythonIdentifier`` (0.29.1), written out so that the manifest
can be built without importing the tool (a fifth of a second). The generator checks that the
manifest names exactly the modules the tool wrote, and a test compares these rules with the
tool's own, so a divergence fails loudly instead of misrouting requests.
"""

from __future__ import annotations

import builtins
import keyword
import re
from typing import Final

_DELIMITERS: Final = ". _-"
_RESERVED: Final = (set(dir(builtins)) | {"self", "true", "false", "datetime"}) - {"id"}


def _sanitize(value: str) -> str:
    return "".join(c for c in value if c.isidentifier() or c.isdecimal() or c in _DELIMITERS)


def _split_words(value: str) -> list[str]:
    if any(c.isupper() for c in value):
        value = " ".join(re.split("([A-Z]?[a-z]+)", value))
    return re.findall(rf"[^{re.escape(_DELIMITERS)}]+", value)


def python_identifier(value: str, prefix: str) -> str:
    safe = _sanitize(value)
    leading_underscore = safe.startswith("_")
    name = "_".join(_split_words(safe)).lower()
    if name in _RESERVED or keyword.iskeyword(name):
        name = f"{name}_"
    if not name.isidentifier() or leading_underscore:
        name = f"{prefix}{name}"
    return name
