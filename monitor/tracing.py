"""OpenTelemetry tracing: spans run → task → request.

Spans are exported over OTLP (gRPC) only when ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set; otherwise the API's no-op
tracer is used and nothing is exported. Span attributes carry ids and outcomes, never prompts or answers.
"""

from __future__ import annotations

import logging
import os

from opentelemetry import trace

log = logging.getLogger(__name__)
_configured = False


def setup_tracing(service_name: str = "trust-monitor") -> bool:
    """Install an OTLP-exporting tracer provider if the standard env variable asks for one."""
    global _configured
    if _configured or not os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        return _configured
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    _configured = True
    log.info("tracing: exporting spans over OTLP")
    return True


def shutdown_tracing() -> None:
    provider = trace.get_tracer_provider()
    shutdown = getattr(provider, "shutdown", None)
    if callable(shutdown):
        shutdown()


def tracer() -> trace.Tracer:
    return trace.get_tracer("trust_monitor")
