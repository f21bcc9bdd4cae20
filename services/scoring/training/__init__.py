"""Training as a service: durable training jobs run in worker processes, and the model registry."""
