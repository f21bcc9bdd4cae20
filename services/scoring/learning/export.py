"""torch -> ONNX: export a trained model with its manifest in the metadata, and check onnxruntime agrees.

torch 2.13's default exporter (dynamo=True) needs the onnxscript package, which is not installed here
(nor needed to serve); the TorchScript-based exporter (dynamo=False) covers every op these models use
(MatMul, LSTM, MultiheadAttention, Conv1d) and needs nothing beyond torch and onnx.
"""

from __future__ import annotations

import io
import json
import warnings

import numpy as np
import onnx
import torch

from services.kit.errors import ModelError

from .models import POSE_SHAPE, inference_module
from .runtime import MANIFEST_KEY

OPSET = 17
TOLERANCE = 1e-4  # max |onnxruntime - torch| on the check batch, in the output's units
OUTPUT_NAMES = {"graphsage": "probabilities", "form_assessor": "scores", "style_encoder": "embedding"}


def input_names(model_type: str) -> list[str]:
    return ["pose", "context"] if model_type == "form_assessor" else ["pose"]


def check_inputs(model_type: str, batch: int, seed: int = 0) -> dict[str, np.ndarray]:
    """A reproducible batch shaped like real features: poses within +-2 body lengths, 0.5-2 s, 0.4-0.6 m."""
    rng = np.random.default_rng(seed)
    pose = rng.uniform(-2.0, 2.0, (batch, *POSE_SHAPE)).astype(np.float32)
    pose[..., 3] = rng.uniform(0.0, 1.0, pose.shape[:-1])
    feeds = {"pose": pose}
    if model_type == "form_assessor":
        # (duration s, body length m), CONTEXT_DIM columns
        feeds["context"] = np.stack([rng.uniform(0.5, 2.0, batch), rng.uniform(0.4, 0.6, batch)], 1).astype(np.float32)
    return feeds


def _session(onnx_bytes: bytes):
    import onnxruntime as ort
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    return ort.InferenceSession(onnx_bytes, options, providers=["CPUExecutionProvider"])


def export_onnx(model_type: str, model: torch.nn.Module, manifest: dict) -> bytes:
    """The ONNX bytes of the model's inference form, manifest JSON under metadata key MANIFEST_KEY.

    Raises ModelError when onnxruntime's output differs from torch's by more than TOLERANCE.
    """
    module = inference_module(model_type, model).eval().cpu()
    names = input_names(model_type)
    example = check_inputs(model_type, 1)
    args = tuple(torch.from_numpy(example[n]) for n in names)
    out_name = OUTPUT_NAMES[model_type]
    buf = io.BytesIO()
    with warnings.catch_warnings():
        # The legacy exporter announces its deprecation; the LSTM note concerns explicit h0/c0, which we never
        # pass; the tracer warns about torch's own shape assertions (constant for a fixed input layout).
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        warnings.filterwarnings("ignore", message=".*LSTM.*")
        torch.onnx.export(module, args, buf, dynamo=False, opset_version=OPSET, input_names=names,
                          output_names=[out_name], dynamic_axes={n: {0: "batch"} for n in [*names, out_name]})
    data = with_manifest(buf.getvalue(), manifest)
    verify(model_type, module, data)
    return data


def with_manifest(onnx_bytes: bytes, manifest: dict) -> bytes:
    """The exported graph with the manifest JSON under metadata key MANIFEST_KEY (what runtime reads), checked."""
    proto = onnx.load_from_string(onnx_bytes)
    proto.producer_name = "kataforge"
    proto.doc_string = str(manifest.get("description", ""))
    del proto.metadata_props[:]
    entry = proto.metadata_props.add()
    entry.key, entry.value = MANIFEST_KEY, json.dumps(manifest, sort_keys=True)
    onnx.checker.check_model(proto)
    return proto.SerializeToString()


def verify(model_type: str, module: torch.nn.Module, onnx_bytes: bytes, batch: int = 3) -> float:
    """Max |onnxruntime - torch| on a check batch (another batch size than the export's); ModelError over TOLERANCE."""
    feeds = check_inputs(model_type, batch, seed=1)
    with torch.no_grad():
        expected = module(*(torch.from_numpy(feeds[n]) for n in input_names(model_type))).numpy()
    got = _session(onnx_bytes).run(None, feeds)[0]
    err = float(np.max(np.abs(got - expected)))
    if not err <= TOLERANCE:
        raise ModelError(f"The exported {model_type} model disagrees with torch by {err:.2e} (> {TOLERANCE:g})")
    return err


def read_manifest(onnx_bytes: bytes) -> dict:
    """The manifest stored in an exported model's metadata ({} when it has none)."""
    proto = onnx.load_from_string(onnx_bytes)
    for entry in proto.metadata_props:
        if entry.key == MANIFEST_KEY:
            return json.loads(entry.value)
    return {}
