"""The SDK's own metrics for a worker process: the temporalio runtime serves them to Prometheus on
EA_METRICS_ADDRESS (host:port), so schedule-to-start latency, task failures and free slots are
seen as Temporal counts them, without our code counting anything (docs/SCALING.md)."""

from __future__ import annotations

import os

from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

METRICS_VARIABLE = "EA_METRICS_ADDRESS"


def metrics_address_from_env() -> str | None:
    return os.environ.get(METRICS_VARIABLE) or None


def metrics_runtime(bind_address: str | None) -> Runtime | None:
    """A runtime serving /metrics on `bind_address`, or None (the SDK's default runtime, no endpoint).
    One per process: its clients and workers report through it."""
    if not bind_address:
        return None
    return Runtime(telemetry=TelemetryConfig(metrics=PrometheusConfig(bind_address=bind_address)))
