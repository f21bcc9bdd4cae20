"""Build the BlazePose `.task` bundle offline from the mediapipe 0.10.21 wheel (a make step, never at request time).

mediapipe 1.2.x ships no pose models and the last wheel that does (0.10.21) pins protobuf<5, so we take
its two TFLite models out of the wheel, give them the TFLite metadata the 1.2.x Tasks runtime needs
(RGB image input and NormalizationOptions), and zip them under the names PoseLandmarker looks for.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import struct
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import flatbuffers
import numpy as np
from mediapipe.tasks.metadata import metadata_schema_py_generated as meta_fb
from mediapipe.tasks.metadata import schema_py_generated as tflite_fb

WHEEL_REQUIREMENT = "mediapipe==0.10.21"
WHEEL_GLOB = "mediapipe-0.10.21-*.whl"
# Any platform's wheel carries the same models; name one so the download works from any host.
WHEEL_PLATFORM = ("--platform", "manylinux_2_28_x86_64", "--python-version", "311",
                  "--implementation", "cp", "--abi", "cp311", "--only-binary=:all:")
DEFAULT_CACHE = Path(".kataforge") / "cache"

_METADATA_NAME = b"TFLITE_METADATA"
_MODEL_IDENTIFIER = b"TFL3"
_METADATA_IDENTIFIER = b"M001"
_BUFFER_ALIGNMENT = 16  # bytes; what the TFLite converter uses for weight buffers
_ZIPALIGN_EXTRA_ID = 0xD935  # the extra-field id Android's zipalign uses for padding


class BundleError(RuntimeError):
    """The bundle could not be built; the message says which step failed."""


# member in the wheel -> (name in the .task, normalisation mean, std, sha256 of the wheel's file).
# Means/stds map uint8 RGB to the range each model was trained on: detector [-1, 1], landmarks [0, 1].
MODELS = {
    "mediapipe/modules/pose_detection/pose_detection.tflite": (
        "pose_detector.tflite", 127.5, 127.5,
        "9ba9dd3d42efaaba86b4ff0122b06f29c4122e756b329d89dca1e297fd8f866c"),
    "mediapipe/modules/pose_landmark/pose_landmark_full.tflite": (
        "pose_landmarks_detector.tflite", 0.0, 255.0,
        "e9a5c5cb17f736fafd4c2ec1da3b3d331d6edbe8a0d32395855aeb2cdfd64b9f"),
}


def find_or_download_wheel(cache: Path) -> Path:
    """The cached 0.10.21 wheel, downloaded with `pip download --no-deps` when the cache has none."""
    cache.mkdir(parents=True, exist_ok=True)
    found = sorted(cache.glob(WHEEL_GLOB))
    if found:
        return found[0]
    cmd = [sys.executable, "-m", "pip", "download", WHEEL_REQUIREMENT, "--no-deps", *WHEEL_PLATFORM,
           "--dest", str(cache), "--quiet", "--disable-pip-version-check"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise BundleError(f"pip download {WHEEL_REQUIREMENT} failed (exit {proc.returncode}): "
                          f"{proc.stderr.strip()[-2000:]}")
    found = sorted(cache.glob(WHEEL_GLOB))
    if not found:
        raise BundleError(f"pip download {WHEEL_REQUIREMENT} left no wheel in {cache}")
    return found[0]


def _metadata(model: tflite_fb.ModelT, name: str, mean: float, std: float) -> bytes:
    """A TFLite ModelMetadata buffer: an RGB image input with NormalizationOptions, outputs named."""
    graph = model.subgraphs[0]
    image = meta_fb.TensorMetadataT()
    image.name = "image"
    image.description = "RGB input image"
    image.content = meta_fb.ContentT()
    image.content.contentPropertiesType = meta_fb.ContentProperties.ImageProperties
    image.content.contentProperties = meta_fb.ImagePropertiesT()
    image.content.contentProperties.colorSpace = meta_fb.ColorSpaceType.RGB
    norm = meta_fb.ProcessUnitT()
    norm.optionsType = meta_fb.ProcessUnitOptions.NormalizationOptions
    norm.options = meta_fb.NormalizationOptionsT()
    norm.options.mean, norm.options.std = [mean], [std]
    image.processUnits = [norm]
    image.stats = meta_fb.StatsT()
    # (0 - mean) / std .. (255 - mean) / std: the value range the model actually sees.
    image.stats.min, image.stats.max = [(0.0 - mean) / std], [(255.0 - mean) / std]
    outputs = []
    for index in graph.outputs:
        out = meta_fb.TensorMetadataT()
        out.name = graph.tensors[index].name.decode()
        out.content = meta_fb.ContentT()
        out.content.contentPropertiesType = meta_fb.ContentProperties.FeatureProperties
        out.content.contentProperties = meta_fb.FeaturePropertiesT()
        outputs.append(out)
    subgraph = meta_fb.SubGraphMetadataT()
    subgraph.inputTensorMetadata = [image]
    subgraph.outputTensorMetadata = outputs
    meta = meta_fb.ModelMetadataT()
    meta.name = name
    meta.description = "MediaPipe BlazePose (from mediapipe 0.10.21), metadata added by KataForge"
    meta.subgraphMetadata = [subgraph]
    meta.minParserVersion = "1.0.0"
    builder = flatbuffers.Builder(1024)
    builder.Finish(meta.Pack(builder), file_identifier=_METADATA_IDENTIFIER)
    return bytes(builder.Output())


class _AlignedBufferT(tflite_fb.BufferT):
    """A BufferT whose bytes start on a 16-byte boundary, as TFLite's own writer does, so the runtime
    can use weights in place instead of warning and copying them."""

    def Pack(self, builder: flatbuffers.Builder) -> int:  # noqa: N802 - flatbuffers object API name
        data = None
        if self.data is not None:
            raw = np.asarray(self.data, dtype=np.uint8).tobytes()
            builder.StartVector(1, len(raw), _BUFFER_ALIGNMENT)
            builder.head -= len(raw)
            builder.Bytes[builder.head:builder.head + len(raw)] = raw
            builder.vectorNumElems = len(raw)
            data = builder.EndVector()
        tflite_fb.BufferStart(builder)
        if data is not None:
            tflite_fb.BufferAddData(builder, data)
        tflite_fb.BufferAddOffset(builder, self.offset)
        tflite_fb.BufferAddSize(builder, self.size)
        return tflite_fb.BufferEnd(builder)


def _aligned(buffer: tflite_fb.BufferT) -> _AlignedBufferT:
    aligned = _AlignedBufferT()
    aligned.data, aligned.offset, aligned.size = buffer.data, buffer.offset, buffer.size
    return aligned


def with_metadata(model_bytes: bytes, name: str, mean: float, std: float) -> bytes:
    """The model re-serialised with our TFLITE_METADATA (replacing any it carried)."""
    model = tflite_fb.ModelT.InitFromPackedBuf(bytearray(model_bytes), 0)
    payload = _metadata(model, name, mean, std)
    buffer = tflite_fb.BufferT()
    buffer.data = np.frombuffer(payload, dtype=np.uint8)
    model.buffers = [_aligned(b) for b in model.buffers] + [_aligned(buffer)]
    entry = tflite_fb.MetadataT()
    entry.name = _METADATA_NAME.decode()
    entry.buffer = len(model.buffers) - 1
    # The detector ships a stale copy (named for face detection); drop it so ours is the only one.
    model.metadata = [m for m in (model.metadata or []) if m.name != _METADATA_NAME] + [entry]
    builder = flatbuffers.Builder(len(model_bytes) + len(payload) + 4096)
    builder.Finish(model.Pack(builder), file_identifier=_MODEL_IDENTIFIER)
    return bytes(builder.Output())


def _aligned_member(name: str, header_offset: int) -> zipfile.ZipInfo:
    """A stored zip entry whose data starts on a 16-byte boundary of the .task file (like Android's
    zipalign), so the runtime can map the models straight from the bundle."""
    info = zipfile.ZipInfo(name, date_time=(2025, 1, 31, 0, 0, 0))
    info.compress_type = zipfile.ZIP_STORED
    # local header (30 bytes) + name + extra field header (4 bytes) + padding
    start = header_offset + 30 + len(name.encode()) + 4
    pad = -start % _BUFFER_ALIGNMENT
    info.extra = struct.pack("<HH", _ZIPALIGN_EXTRA_ID, pad) + b"\0" * pad
    return info


def build_bundle(wheel: Path, out: Path) -> Path:
    """Write the .task zip atomically (temp file in the same folder, then rename)."""
    with zipfile.ZipFile(wheel) as whl:
        names = set(whl.namelist())
        entries = []
        for member, (task_name, mean, std, digest) in MODELS.items():
            if member not in names:
                raise BundleError(f"{wheel.name} has no {member}")
            raw = whl.read(member)
            if hashlib.sha256(raw).hexdigest() != digest:
                raise BundleError(f"{member} in {wheel.name} does not match the expected sha256 {digest}")
            entries.append((task_name, with_metadata(raw, Path(member).stem, mean, std)))
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    try:
        with os.fdopen(fd, "wb") as handle, zipfile.ZipFile(handle, "w", zipfile.ZIP_STORED) as bundle:
            for task_name, data in entries:
                bundle.writestr(_aligned_member(task_name, handle.tell()), data)
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; the bundle is read by the service's user
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="path of the .task bundle to write")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="where the wheel is downloaded/reused")
    args = parser.parse_args(argv)
    try:
        wheel = find_or_download_wheel(args.cache)
        build_bundle(wheel, args.out)
    except BundleError as exc:
        print(f"model_bundle: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {args.out} ({args.out.stat().st_size} bytes) from {wheel.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
