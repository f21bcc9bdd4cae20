"""Metrics of the scoring service, measured where the work is done (served by services/kit/metrics.py).

Every analysis this process completes counts, whichever way it came (REST, WebSocket, batch, durable batch
job), so these are the dashboard's source for analyses per coach and for the learned models' inference time.
The edge's kataforge_analyses and kataforge_model_inference_time (the spec's names) count only the analyses
answered through it, from the reply; named apart here so that a sum over every target counts each once.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

from services.kit import gpu_memory

ANALYSES = Counter("kataforge_scoring_analyses", "Analyses completed and stored, per coach", ["coach"])
# One learned model's work for one analysis (graphsage, form_assessor, style_encoder): its features and its
# onnxruntime calls, the same span the analysis reports in model_timings (services/scoring/technique_models.py).
MODEL_INFERENCE = Histogram("kataforge_scoring_model_inference_seconds",
                            "Time in one learned model for one analysis (features and onnxruntime calls)", ["model"],
                            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0))

# Registered here: this service's image has torch (the training extra) to read the devices with, and its
# onnxruntime sessions and training workers are what runs on CUDA.
gpu_memory.register()
