"""Prometheus metrics of the edge (GET /metrics on its API port), counted from real traffic.

The spec's names: kataforge_analyses{coach}, kataforge_analysis_time and kataforge_model_inference_time{model}
from the analyses answered here (the scoring service's reply carries its measured timings);
kataforge_api_requests{endpoint,method} per request. kataforge_api_request_seconds adds the status and the
duration, for the dashboard's latency percentiles and 5xx rate (the spec's counter has neither, and keeps its
labels). kataforge_gpu_memory_usage is exported by the scoring service, which holds the GPU work
(services/kit/gpu_memory.py): the edge uses no GPU, and its gauge was never set (a constant 0).
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

ANALYSES = Counter("kataforge_analyses", "Total number of analyses", ["coach"], registry=REGISTRY)
ANALYSIS_TIME = Histogram("kataforge_analysis_time", "Analysis processing time", registry=REGISTRY,
                          buckets=(0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0))
API_REQUESTS = Counter("kataforge_api_requests", "Total API requests", ["endpoint", "method"], registry=REGISTRY)
# endpoint is the route's template (/analyses/{analysis_id}), never the raw path: its values stay few.
API_REQUEST_SECONDS = Histogram("kataforge_api_request_seconds", "API request duration, by answer status",
                                ["endpoint", "method", "status"], registry=REGISTRY,
                                buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
                                         60.0, 120.0, 300.0))
MODEL_INFERENCE = Histogram("kataforge_model_inference_time", "Model inference time", ["model"], registry=REGISTRY,
                            buckets=(0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0, 30.0))
