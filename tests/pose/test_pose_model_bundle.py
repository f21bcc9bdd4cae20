"""The offline-built BlazePose bundle: contents, metadata, loading, and a failed build leaving nothing."""

from __future__ import annotations

import struct
import zipfile

import pytest
from mediapipe.tasks.metadata import metadata_schema_py_generated as meta_fb
from mediapipe.tasks.metadata import schema_py_generated as tflite_fb

from services.kit.paths import REPO
from services.pose import landmarker, model_bundle


def _metadata(model_bytes: bytes) -> meta_fb.ModelMetadataT:
    model = tflite_fb.ModelT.InitFromPackedBuf(bytearray(model_bytes), 0)
    entries = [m for m in model.metadata if m.name == b"TFLITE_METADATA"]
    assert len(entries) == 1
    return meta_fb.ModelMetadataT.InitFromPackedBuf(bytes(model.buffers[entries[0].buffer].data), 0)


@pytest.mark.parametrize("member, mean, std", [("pose_detector.tflite", 127.5, 127.5),
                                               ("pose_landmarks_detector.tflite", 0.0, 255.0)])
def test_bundle_models_carry_rgb_input_and_normalisation(bundle, member, mean, std):
    with zipfile.ZipFile(bundle) as task:
        meta = _metadata(task.read(member))
    image = meta.subgraphMetadata[0].inputTensorMetadata[0]
    assert image.content.contentProperties.colorSpace == meta_fb.ColorSpaceType.RGB
    norm = image.processUnits[0].options
    assert isinstance(norm, meta_fb.NormalizationOptionsT)
    assert list(norm.mean) == [mean] and list(norm.std) == [std]


def test_bundle_members_are_stored_aligned(bundle):
    """16-byte aligned stored members let the runtime map weights in place."""
    with zipfile.ZipFile(bundle) as task, open(bundle, "rb") as raw:
        assert sorted(task.namelist()) == ["pose_detector.tflite", "pose_landmarks_detector.tflite"]
        for info in task.infolist():
            raw.seek(info.header_offset + 26)
            name_len, extra_len = struct.unpack("<HH", raw.read(4))
            assert info.compress_type == zipfile.ZIP_STORED
            assert (info.header_offset + 30 + name_len + extra_len) % 16 == 0


def test_bundle_loads_and_runs(bundle):
    landmarker.warm_up(bundle)  # raises if MediaPipe cannot build the graph from the bundle


def test_missing_bundle_tells_to_run_make_model(tmp_path):
    with pytest.raises(Exception) as caught:
        landmarker.Landmarker(tmp_path / "absent.task")
    assert "make model" in str(caught.value)


def test_rebuild_from_cached_wheel_is_identical(bundle, tmp_path):
    wheels = sorted((REPO / model_bundle.DEFAULT_CACHE).glob(model_bundle.WHEEL_GLOB))
    if not wheels:
        pytest.skip("no cached mediapipe 0.10.21 wheel (make model puts one in .kataforge/cache)")
    out = model_bundle.build_bundle(wheels[0], tmp_path / "again.task")
    assert out.read_bytes() == bundle.read_bytes()


def test_wrong_wheel_fails_and_leaves_no_file(tmp_path):
    fake = tmp_path / "mediapipe-0.10.21-fake.whl"
    with zipfile.ZipFile(fake, "w") as whl:
        for member in model_bundle.MODELS:
            whl.writestr(member, b"not the real model")
    out = tmp_path / "out" / "pose.task"
    out.parent.mkdir()
    out.write_bytes(b"previous bundle")
    with pytest.raises(model_bundle.BundleError, match="sha256"):
        model_bundle.build_bundle(fake, out)
    assert out.read_bytes() == b"previous bundle" and [p.name for p in out.parent.iterdir()] == ["pose.task"]

    with zipfile.ZipFile(fake, "w") as whl:
        whl.writestr("other.txt", b"")
    with pytest.raises(model_bundle.BundleError, match="has no"):
        model_bundle.build_bundle(fake, out)
