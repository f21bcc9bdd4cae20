"""Plumbing shared by every service: config, logs, telemetry, errors, gRPC bootstrap, database."""
