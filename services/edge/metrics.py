"""Prometheus metrics with the spec's names, counted from real traffic at the edge."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

ANALYSES = Counter("kataforge_analyses", "Total number of analyses", ["coach"], registry=REGISTRY)
ANALYSIS_TIME = Histogram("kataforge_analysis_time", "Analysis processing time", registry=REGISTRY,
                          buckets=(0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0))
API_REQUESTS = Counter("kataforge_api_requests", "Total API requests", ["endpoint", "method"], registry=REGISTRY)
GPU_MEMORY = Gauge("kataforge_gpu_memory_usage", "GPU memory usage", registry=REGISTRY)
MODEL_INFERENCE = Histogram("kataforge_model_inference_time", "Model inference time", ["model"], registry=REGISTRY,
                            buckets=(0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0, 30.0))
