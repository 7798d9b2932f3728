"""Watching executions: Prometheus metrics and OpenTelemetry traces, fed by the drivers'
observers (:mod:`runtime.drivers.observers`)."""
