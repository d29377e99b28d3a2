"""Structured logging: each request's facts as fields of the log record, here as JSON lines.

    PARTNER_API_BASE_URL=... PARTNER_API_APP_KEY=... PARTNER_API_PRIVATE_KEY=... \
    python examples/structured_logging.py
"""

from __future__ import annotations

import json
import logging
import sys

from partner_api import PartnerClient
from partner_api_client.api.products import list_products

# The fields the client puts on each record of the "partner_api" logger, one per HTTP request.
FIELDS = ("operation", "request_id", "status_code", "error", "duration_ms", "http_method", "url_path")


class JSONFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {"level": record.levelname, "logger": record.name, "message": record.getMessage()}
        line.update({name: record.__dict__[name] for name in FIELDS if name in record.__dict__})
        return json.dumps(line)


def main() -> int:
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JSONFormatter())
    logger = logging.getLogger("partner_api")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    with PartnerClient.from_env() as client:
        list_products.sync(client=client)
    return 0


if __name__ == "__main__":
    sys.exit(main())
