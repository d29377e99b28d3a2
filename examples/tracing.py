"""OpenTelemetry: one span per HTTP request, named after the operation, with the request id.

    pip install 'partner-api[otel]' opentelemetry-sdk
    PARTNER_API_BASE_URL=... PARTNER_API_APP_KEY=... PARTNER_API_PRIVATE_KEY=... \
    python examples/tracing.py
"""

from __future__ import annotations

import sys

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import partner_api.otel
from partner_api import PartnerClient
from partner_api_client.api.products import list_products


def main() -> int:
    # In production: your exporter (OTLP, ...) and a BatchSpanProcessor.
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    partner_api.otel.instrument(tracer_provider=provider)
    try:
        with PartnerClient.from_env() as client:
            list_products.sync(client=client)
    finally:
        partner_api.otel.uninstrument()
    for span in exporter.get_finished_spans():
        attributes = span.attributes or {}
        print(f"span {span.name}: request id {attributes.get(partner_api.otel.REQUEST_ID_ATTRIBUTE)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
