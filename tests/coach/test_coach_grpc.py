"""CoachService over real gRPC: the in-process server from main.build, called through the kit channel."""

from __future__ import annotations

import grpc
import pytest
from google.protobuf import field_mask_pb2, json_format, struct_pb2

from kataforge.coach.v1 import coach_pb2, coach_pb2_grpc
from services.coach.main import build
from services.kit.channels import channel
from testkit.coach_calls import call, create, failure


@pytest.fixture(scope="module")
async def stub(base_settings, start_service, edge_credentials):
    service = await start_service(build(base_settings), base_settings)
    chan = channel(base_settings.coach_addr, audience="coach", credentials=edge_credentials)
    yield coach_pb2_grpc.CoachServiceStub(chan)
    await chan.close()
    await service.stop()


def philosophy(**values) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    struct.update(values)
    return struct


async def test_coach_registers_and_owns_the_entry(stub, make_principal, new_id):
    owner = make_principal("coach")
    created = await create(stub, owner, new_id(), rank="Champion", years_experience=15, teachers=["Master Toddy"],
                           techniques=["Roundhouse", "teep", "roundhouse"], owner_id="forged",
                           teaching_philosophy=philosophy(focus="Precision", rounds=5))
    assert created.owner_id == owner.user_id
    assert list(created.techniques) == ["roundhouse", "teep"]
    assert created.created_at == created.updated_at and created.created_at.seconds > 0
    assert json_format.MessageToDict(created.teaching_philosophy) == {"focus": "Precision", "rounds": 5.0}
    # The owner's id is told to that owner (and administrators), to nobody else.
    fetched = await call(stub.GetCoach, coach_pb2.GetCoachRequest(coach_id=created.id), make_principal("student"))
    assert not fetched.HasField("owner_id")
    fetched.owner_id = owner.user_id
    assert fetched == created
    admin = await call(stub.GetCoach, coach_pb2.GetCoachRequest(coach_id=created.id), make_principal("admin"))
    assert admin.owner_id == owner.user_id


async def test_unset_optionals_stay_unset(stub, make_principal, new_id):
    created = await create(stub, make_principal("admin"), new_id())
    assert not created.HasField("rank") and not created.HasField("years_experience")
    assert not created.HasField("teaching_philosophy")


async def test_student_cannot_register(stub, make_principal, new_id):
    code, error = await failure(stub.CreateCoach, coach_pb2.CreateCoachRequest(
        coach=coach_pb2.Coach(id=new_id(), name="N", style="S")), make_principal("student"))
    assert code == grpc.StatusCode.PERMISSION_DENIED
    assert error.to_dict() == {"code": "forbidden", "message": "Only coaches and administrators can register a coach"}


async def test_no_principal_is_unauthenticated(stub, new_id):
    code, _ = await failure(stub.GetCoach, coach_pb2.GetCoachRequest(coach_id=new_id()), None)
    assert code == grpc.StatusCode.UNAUTHENTICATED


async def test_invalid_coach_reports_every_field(stub, make_principal):
    code, error = await failure(stub.CreateCoach, coach_pb2.CreateCoachRequest(
        coach=coach_pb2.Coach(id="Bad Id", style="s" * 101, years_experience=-1)), make_principal("coach"))
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    assert set(error.to_dict()["details"]) == {"id", "name", "style", "years_experience"}


async def test_duplicate_is_already_exists(stub, make_principal, new_id):
    coach_id = new_id()
    await create(stub, make_principal("coach"), coach_id)
    code, error = await failure(stub.CreateCoach, coach_pb2.CreateCoachRequest(
        coach=coach_pb2.Coach(id=coach_id, name="N", style="S")), make_principal("coach"))
    assert code == grpc.StatusCode.ALREADY_EXISTS and error.message == f"Coach '{coach_id}' already exists"


async def test_get_unknown_is_not_found_naming_the_coach(stub, make_principal, new_id):
    missing = new_id("unknown")
    code, error = await failure(stub.GetCoach, coach_pb2.GetCoachRequest(coach_id=missing), make_principal("student"))
    assert code == grpc.StatusCode.NOT_FOUND
    assert error.to_dict() == {"code": "not_found", "message": f"Coach '{missing}' not found",
                               "resource": "coach", "id": missing}


async def test_list_pages_by_id_with_total(stub, make_principal, new_id):
    prefix = new_id("list")
    for suffix in ("b", "a"):
        await create(stub, make_principal("coach"), f"{prefix}_{suffix}")
    reader = make_principal("student")
    everything = await call(stub.ListCoaches, coach_pb2.ListCoachesRequest(limit=500), reader)
    ids = [c.id for c in everything.coaches]
    assert ids == sorted(ids) and everything.total == len(ids) >= 2
    start = ids.index(f"{prefix}_a")
    page = await call(stub.ListCoaches, coach_pb2.ListCoachesRequest(limit=1, offset=start + 1), reader)
    assert [c.id for c in page.coaches] == [f"{prefix}_b"] and page.total == everything.total
    code, error = await failure(stub.ListCoaches, coach_pb2.ListCoachesRequest(limit=501), reader)
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "limit" in error.details


async def test_another_coach_cannot_update(stub, make_principal, new_id):
    created = await create(stub, make_principal("coach"), new_id())
    code, error = await failure(stub.UpdateCoach, coach_pb2.UpdateCoachRequest(
        coach_id=created.id, coach=coach_pb2.Coach(name="Taken"), update_mask=field_mask_pb2.FieldMask(paths=["name"])),
        make_principal("coach"))
    assert code == grpc.StatusCode.PERMISSION_DENIED and error.message == "You can only change your own coach entry"


async def test_owner_update_changes_only_masked_fields(stub, make_principal, new_id):
    owner = make_principal("coach")
    created = await create(stub, owner, new_id(), rank="Champion", years_experience=15, techniques=["teep"])
    updated = await call(stub.UpdateCoach, coach_pb2.UpdateCoachRequest(
        coach_id=created.id, coach=coach_pb2.Coach(name="Nagato Updated", years_experience=16, style="Karate"),
        update_mask=field_mask_pb2.FieldMask(paths=["name", "years_experience"])), owner)
    assert (updated.name, updated.years_experience) == ("Nagato Updated", 16)
    assert (updated.style, updated.rank, list(updated.techniques)) == ("Muay Thai", "Champion", ["teep"])
    assert updated.created_at == created.created_at
    assert updated.updated_at.ToDatetime() > created.updated_at.ToDatetime()


async def test_empty_mask_means_the_fields_that_are_set(stub, make_principal, new_id):
    owner = make_principal("coach")
    created = await create(stub, owner, new_id(), rank="Champion", years_experience=15)
    echoed = coach_pb2.Coach(id=created.id, years_experience=0, owner_id="forged")  # id equal, owner ignored
    echoed.created_at.CopyFrom(created.created_at)
    updated = await call(stub.UpdateCoach, coach_pb2.UpdateCoachRequest(coach_id=created.id, coach=echoed), owner)
    assert updated.years_experience == 0 and updated.HasField("years_experience")
    assert (updated.name, updated.rank, updated.owner_id) == ("Nagato", "Champion", owner.user_id)


async def test_id_cannot_be_changed(stub, make_principal, new_id):
    owner = make_principal("coach")
    created = await create(stub, owner, new_id())
    code, error = await failure(stub.UpdateCoach, coach_pb2.UpdateCoachRequest(
        coach_id=created.id, coach=coach_pb2.Coach(id=new_id()), update_mask=field_mask_pb2.FieldMask(paths=["id"])),
        owner)
    assert code == grpc.StatusCode.INVALID_ARGUMENT and error.details == {"id": "This field cannot be changed"}
    code, _ = await failure(stub.UpdateCoach, coach_pb2.UpdateCoachRequest(
        coach_id=created.id, coach=coach_pb2.Coach(id=new_id())), owner)  # empty mask, different id
    assert code == grpc.StatusCode.INVALID_ARGUMENT


async def test_admin_deletes_and_second_delete_is_not_found(stub, make_principal, new_id):
    created = await create(stub, make_principal("coach"), new_id())
    admin = make_principal("admin")
    deleted = await call(stub.DeleteCoach, coach_pb2.DeleteCoachRequest(coach_id=created.id), admin)
    assert deleted.success and deleted.message == f"Coach {created.id} deleted successfully"
    code, error = await failure(stub.DeleteCoach, coach_pb2.DeleteCoachRequest(coach_id=created.id), admin)
    assert code == grpc.StatusCode.NOT_FOUND and error.to_dict()["id"] == created.id
