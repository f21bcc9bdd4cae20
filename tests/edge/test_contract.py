"""One REST contract (services/edge/contract.py): the protos' google.api.http annotations, read from the
descriptor set Envoy loads, and the edge's routes agree both ways; a route added in one place only fails."""

from __future__ import annotations

from fastapi import APIRouter, Body

from services.edge.app import ROUTERS
from services.edge.contract import EDGE_ONLY, HttpRoute, annotated_routes, differences, served_routes


def test_the_edge_serves_exactly_the_annotated_routes_and_the_listed_extras():
    annotated = annotated_routes()
    assert len(annotated) >= 30 and all(r.rpc.startswith("kataforge.") for r in annotated)
    assert differences(ROUTERS, annotated) == []
    served = served_routes(ROUTERS)
    assert set(EDGE_ONLY) <= set(served)  # nothing listed that is not served


def test_the_annotations_are_read_from_the_descriptor_set():
    routes = {(r.method, r.path): r for r in annotated_routes()}
    assert routes[("GET", "/coaches/{coach_id}")].rpc == "kataforge.coach.v1.CoachService.GetCoach"
    assert routes[("POST", "/coaches")].body == "coach"
    assert routes[("POST", "/analyze")].body == "*" and routes[("GET", "/analyses")].body == ""


def test_a_route_added_or_dropped_in_one_place_is_reported():
    extra = APIRouter()

    @extra.get("/coaches/{coach_id}/secrets")
    async def secrets(coach_id: str):  # pragma: no cover - never called
        return {}

    found = differences((*ROUTERS, extra), annotated_routes())
    assert found == ["GET /coaches/{coach_id}/secrets: served by the edge, but neither annotated in a proto "
                     "nor listed in EDGE_ONLY"]
    dropped = annotated_routes() + [HttpRoute("DELETE", "/models/{model_id}", "", "kataforge.scoring.v1.X.Drop")]
    assert differences(ROUTERS, dropped) == [
        "DELETE /models/{model_id}: annotated on kataforge.scoring.v1.X.Drop, but no edge route serves it"]


def test_a_body_mapped_on_one_side_only_is_reported():
    annotated = [r if (r.method, r.path) != ("GET", "/models") else HttpRoute("GET", "/models", "*", r.rpc)
                 for r in annotated_routes()]
    assert differences(ROUTERS, annotated) == [
        "GET /models: kataforge.scoring.v1.ScoringService.ListModels maps body '*', the edge route takes no body"]
    takes_body = APIRouter()

    @takes_body.delete("/coaches/{coach_id}")
    async def delete_with_body(coach_id: str, reason: str = Body(...)):  # pragma: no cover
        return {}

    found = differences((*ROUTERS, takes_body), annotated_routes())  # the later route of a path is compared
    assert found == ["DELETE /coaches/{coach_id}: kataforge.coach.v1.CoachService.DeleteCoach maps no body, "
                     "the edge route takes body"]


def test_a_success_status_declared_on_one_side_only_is_reported():
    routes = {(r.method, r.path): r for r in annotated_routes()}
    assert routes[("POST", "/coaches")].status == 201 and routes[("POST", "/models/train")].status == 202
    assert routes[("GET", "/coaches")].status == 200
    annotated = [r if (r.method, r.path) != ("DELETE", "/coaches/{coach_id}")
                 else HttpRoute(r.method, r.path, r.body, r.rpc, 204) for r in annotated_routes()]
    assert differences(ROUTERS, annotated) == [
        "DELETE /coaches/{coach_id}: kataforge.coach.v1.CoachService.DeleteCoach answers 204 (success_status), "
        "the edge route 200"]
