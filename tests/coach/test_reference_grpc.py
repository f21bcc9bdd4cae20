"""Reference RPCs over real gRPC: the coach service from main.build calling a real pose service (MediaPipe)
on real footage, and the errors each bad input ends with."""

from __future__ import annotations

import base64
import uuid

import cv2
import grpc
import numpy as np
import pytest

from kataforge.coach.v1 import coach_pb2, coach_pb2_grpc
from services.coach.main import build
from services.kit.channels import channel
from services.kit.context import Principal, principal_var
from services.kit.paths import VIDEOS
from testkit.coach_calls import call, create, failure
from testkit.poses import jab_sequence

CAM01 = VIDEOS / "pose2sim-balancing-cam01.mp4"  # 100 frames at 60 fps, one person balancing


@pytest.fixture(scope="module")
async def stub(video_settings, start_service, edge_credentials):
    service = await start_service(build(video_settings), video_settings)
    chan = channel(video_settings.coach_addr, audience="coach", credentials=edge_credentials)
    yield coach_pb2_grpc.CoachServiceStub(chan)
    await chan.close()
    await service.stop()


@pytest.fixture
async def coach(stub, make_principal, new_id):
    owner = make_principal("coach")
    return (await create(stub, owner, new_id(), techniques=["teep"])), owner


def upload(request: coach_pb2.AddReferenceRequest, data: bytes, chunk: int = 256 * 1024):
    async def messages():
        yield coach_pb2.AddReferenceUploadChunk(request=request)
        for start in range(0, len(data), chunk):
            yield coach_pb2.AddReferenceUploadChunk(data=data[start:start + chunk])
    return messages()


def empty_room_mp4(path) -> bytes:
    """A real MPEG-4 video of 12 grey frames, nobody in them."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 25, (320, 240))
    for i in range(12):
        writer.write(np.full((240, 320, 3), 40 + 10 * i, dtype=np.uint8))
    writer.release()
    return path.read_bytes()


@pytest.fixture(scope="module")
async def video_reference(stub):
    """One upload of cam01 for the module, shared by the tests that read it back."""
    owner = Principal(user_id=f"u_{uuid.uuid4().hex[:8]}", username="video_owner", role="coach", method="jwt")
    entry = await create(stub, owner, f"video_{uuid.uuid4().hex[:12]}", techniques=["teep"])
    request = coach_pb2.AddReferenceRequest(coach_id=entry.id, technique="Balance", name="cam01", body_mass_kg=68.0)
    token = principal_var.set(owner)
    try:  # MediaPipe on 100 full-HD frames: seconds, beyond the 10 s of the other calls
        added = await stub.AddReferenceUpload(upload(request, CAM01.read_bytes()), timeout=300)
    finally:
        principal_var.reset(token)
    return entry, owner, added


async def test_video_reference_is_extracted_by_the_pose_service(stub, video_reference, make_principal):
    entry, owner, added = video_reference
    assert added.id.startswith("ref_") and added.coach_id == entry.id and added.source == "video"
    assert (added.technique, added.name, added.body_mass_kg, added.created_by) == ("balance", "cam01", 68.0,
                                                                                  owner.user_id)
    assert added.fps == pytest.approx(60, abs=0.5) and added.frame_count == 100
    assert added.detected_frames >= 90 and added.duration_ms == pytest.approx(100 * 1000 / 60, abs=20)
    assert not added.HasField("pose_sequence")

    reader = make_principal("student")
    full = await call(stub.GetReference, coach_pb2.GetReferenceRequest(
        coach_id=entry.id, reference_id=added.id, include_poses=True), reader)
    poses = full.pose_sequence
    assert (poses.width, poses.height, poses.model) == (1080, 1920, "blazepose_full")
    assert len(poses.frames) == 100 and sum(f.detected for f in poses.frames) == added.detected_frames
    person = [f for f in poses.frames if f.detected]
    assert all(len(f.landmarks) == 33 for f in person)
    # A standing adult: the nose is well above the hips (world y points down) and the ankles below them.
    assert np.median([f.landmarks[0].wy for f in person]) < -0.4
    assert np.median([f.landmarks[27].wy for f in person]) > 0.5

    coach = await call(stub.GetCoach, coach_pb2.GetCoachRequest(coach_id=entry.id), reader)
    assert list(coach.techniques) == ["teep", "balance"]
    listed = await call(stub.ListReferences, coach_pb2.ListReferencesRequest(coach_id=entry.id,
                                                                             technique="balance"), reader)
    assert listed.total == 1 and listed.references[0].id == added.id
    assert not listed.references[0].HasField("pose_sequence")


async def test_extracted_poses_can_be_given_back_as_a_sequence(stub, video_reference):
    entry, owner, added = video_reference
    full = await call(stub.GetReference, coach_pb2.GetReferenceRequest(
        coach_id=entry.id, reference_id=added.id, include_poses=True), owner)
    again = await call(stub.AddReference, coach_pb2.AddReferenceRequest(
        coach_id=entry.id, technique="balance", pose_sequence=full.pose_sequence), owner)
    assert again.source == "pose_sequence"
    assert (again.frame_count, again.detected_frames) == (added.frame_count, added.detected_frames)
    assert again.duration_ms == pytest.approx(added.duration_ms, abs=1000 / 60 + 1)


async def test_base64_video_without_a_person_is_unprocessable(stub, coach, tmp_path):
    entry, owner = coach
    video = "data:video/mp4;base64," + base64.b64encode(empty_room_mp4(tmp_path / "room.mp4")).decode()
    code, error = await failure(stub.AddReference, coach_pb2.AddReferenceRequest(
        coach_id=entry.id, technique="jab", video_url=video), owner)
    assert code == grpc.StatusCode.FAILED_PRECONDITION
    assert error.to_dict() == {"code": "validation_error", "message": "No person was detected in the video",
                               "details": {"video": "no person detected in any frame"}}
    listed = await call(stub.ListReferences, coach_pb2.ListReferencesRequest(coach_id=entry.id), owner)
    assert listed.total == 0


async def test_a_one_frame_video_has_too_few_frames(stub, coach, tmp_path):
    from testkit.bad_videos import one_frame

    entry, owner = coach
    data = one_frame(tmp_path).read_bytes()
    code, error = await failure(stub.AddReferenceUpload, upload(coach_pb2.AddReferenceRequest(
        coach_id=entry.id, technique="jab"), data), owner)
    assert code == grpc.StatusCode.FAILED_PRECONDITION
    assert error.details == {"video": "1 frames with a person, at least 10 needed"}
    assert error.message.startswith("Only 1 of 1 frames show a person")


async def test_the_pose_service_judges_the_video(stub, coach):
    entry, owner = coach
    code, error = await failure(stub.AddReferenceUpload, upload(coach_pb2.AddReferenceRequest(
        coach_id=entry.id, technique="jab"), b"this is not a video, just some words\n" * 20), owner)
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "text, not a video" in error.message
    # URLs are fetched by the pose service, which refuses private addresses (SSRF rules).
    code, error = await failure(stub.AddReference, coach_pb2.AddReferenceRequest(
        coach_id=entry.id, technique="jab", video_url="http://127.0.0.1:9/kick.mp4"), owner)
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "source_url" in error.details


async def test_upload_is_refused_before_the_video_is_read(stub, coach, make_principal, new_id):
    entry, _ = coach
    request = coach_pb2.AddReferenceRequest(coach_id=entry.id, technique="jab")
    code, error = await failure(stub.AddReferenceUpload, upload(request, CAM01.read_bytes()), make_principal("coach"))
    assert code == grpc.StatusCode.PERMISSION_DENIED
    missing = new_id("ghost")
    code, error = await failure(stub.AddReferenceUpload, upload(coach_pb2.AddReferenceRequest(
        coach_id=missing, technique="jab"), b"\x00" * 10), make_principal("admin"))
    assert code == grpc.StatusCode.NOT_FOUND and error.to_dict()["resource"] == "coach"


async def test_upload_must_start_with_the_request_and_carry_one_source(stub, coach):
    entry, owner = coach

    async def data_first():
        yield coach_pb2.AddReferenceUploadChunk(data=b"\x00\x00")

    code, error = await failure(stub.AddReferenceUpload, data_first(), owner)
    assert code == grpc.StatusCode.INVALID_ARGUMENT and error.details == {"request": "missing"}
    request = coach_pb2.AddReferenceRequest(coach_id=entry.id, technique="jab", pose_sequence=jab_sequence())
    code, error = await failure(stub.AddReferenceUpload, upload(request, b"\x00" * 10), owner)
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    assert error.message == "Give exactly one source for the reference, not pose_sequence and file"


async def test_sequence_errors_and_not_found_over_grpc(stub, coach, make_principal):
    entry, owner = coach
    bad = jab_sequence()
    bad.frames[2].landmarks[4].visibility = -0.5
    code, error = await failure(stub.AddReference, coach_pb2.AddReferenceRequest(
        coach_id=entry.id, technique="jab", pose_sequence=bad), owner)
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    assert error.details == {"pose_sequence.frames.2.landmarks.4": "visibility = -0.5 must be between 0 and 1"}
    code, error = await failure(stub.GetReference, coach_pb2.GetReferenceRequest(
        coach_id=entry.id, reference_id="ref_000000000000000000000000"), make_principal("student"))
    assert code == grpc.StatusCode.NOT_FOUND
    assert error.to_dict() == {"code": "not_found", "message": "Reference 'ref_000000000000000000000000' not found",
                               "resource": "reference", "id": "ref_000000000000000000000000"}


async def test_deleting_the_coach_removes_its_references(stub, coach, make_principal):
    entry, owner = coach
    added = await call(stub.AddReference, coach_pb2.AddReferenceRequest(
        coach_id=entry.id, technique="jab", pose_sequence=jab_sequence()), owner)
    code, _ = await failure(stub.DeleteReference, coach_pb2.DeleteReferenceRequest(
        coach_id=entry.id, reference_id=added.id), make_principal("coach"))
    assert code == grpc.StatusCode.PERMISSION_DENIED
    await call(stub.DeleteCoach, coach_pb2.DeleteCoachRequest(coach_id=entry.id), owner)
    code, error = await failure(stub.GetReference, coach_pb2.GetReferenceRequest(
        coach_id=entry.id, reference_id=added.id), owner)
    assert code == grpc.StatusCode.NOT_FOUND and error.to_dict()["resource"] == "coach"
    # The same coach id registered again starts with no references.
    await create(stub, owner, entry.id)
    listed = await call(stub.ListReferences, coach_pb2.ListReferencesRequest(coach_id=entry.id), owner)
    assert listed.total == 0
