"""partner_api.otel: OpenTelemetry's httpx instrumentation with our hooks, against the sandbox,
spans collected by the SDK's in-memory exporter."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import partner_api.otel
from partner_api_client.api.products import list_products
from tests._flavor import Flavor, flavors
from tests.sandbox import DEMO, SandboxServer

flavor = flavors(Flavor)


@pytest.fixture
def exporter() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    partner_api.otel.instrument(tracer_provider=provider)
    try:
        yield exporter
    finally:
        partner_api.otel.uninstrument()


def _client(flavor: Flavor, sandbox: SandboxServer) -> Any:
    return flavor.make_client(app_key=DEMO.app_key, private_key=DEMO.private_key, base_url=sandbox.url)


def _list(flavor: Flavor, client: Any) -> None:
    if flavor.name == "sync":
        list_products.sync(client=client)
    else:
        flavor.run(list_products.asyncio(client=client))


def _spans(exporter: InMemorySpanExporter) -> list[ReadableSpan]:
    return sorted(exporter.get_finished_spans(), key=lambda span: span.start_time or 0)


def test_spans_are_named_after_operations_renewals_included(
    flavor: Flavor, sandbox: SandboxServer, exporter: InMemorySpanExporter
) -> None:
    client = _client(flavor, sandbox)
    _list(flavor, client)
    sandbox.state.expire("access")  # the client does not know: a 401, a renewal, a replay
    _list(flavor, client)
    spans = _spans(exporter)
    names = [span.name for span in spans]
    assert names == ["obtainTokens", "listProducts", "listProducts", "renewAccessToken", "listProducts"]
    request_ids = [(span.attributes or {}).get(partner_api.otel.REQUEST_ID_ATTRIBUTE) for span in spans]
    assert len(set(request_ids)) == len(spans)
    assert set(request_ids) <= sandbox.state.request_ids  # the ids the vendor saw
    for span in spans:
        attributes = span.attributes or {}
        assert attributes[partner_api.otel.OPERATION_ATTRIBUTE] == span.name
        assert "http.request.method" in attributes or "http.method" in attributes


def test_requests_not_made_by_a_partner_client_keep_their_names(
    flavor: Flavor, sandbox: SandboxServer, exporter: InMemorySpanExporter
) -> None:
    import httpx

    if flavor.name == "sync":
        with httpx.Client() as plain:
            plain.get(f"{sandbox.url}/v1/products")
    else:

        async def get() -> None:
            async with httpx.AsyncClient() as plain:
                await plain.get(f"{sandbox.url}/v1/products")

        flavor.run(get())
    (span,) = _spans(exporter)
    assert span.name == "GET"
    assert partner_api.otel.OPERATION_ATTRIBUTE not in (span.attributes or {})


def test_the_module_surface_is_explicit() -> None:
    assert partner_api.otel.__all__ == sorted(partner_api.otel.__all__)
    defined_here = {
        name
        for name, value in vars(partner_api.otel).items()
        if not name.startswith("_") and getattr(value, "__module__", None) == "partner_api.otel"
    }
    constants = {name for name in vars(partner_api.otel) if name.isupper() and not name.startswith("_")}
    assert defined_here | constants == set(partner_api.otel.__all__)
