"""The public REST contract, read from its one source: the `google.api.http` annotations of the protos, as
compiled into the descriptor set that Envoy's transcoder also loads (deploy/envoy/kataforge.pb, `make proto`).

The edge serves each annotated call itself (services/edge/routes); tests/edge/test_contract.py checks that
its routes and the annotations agree both ways: method, path and whether a body is mapped. What is served
beyond plain transcoding is listed here, each with why (EDGE_ONLY): WebSockets, the health and metrics
pages, the web page's files, and the multipart form that POST /analyze and POST /coaches/{coach_id}/references
also take.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from google.api import annotations_pb2, http_pb2
from google.protobuf import descriptor_pb2

from kataforge.common.v1 import common_pb2

DESCRIPTOR_SET = Path(__file__).resolve().parents[2] / "deploy" / "envoy" / "kataforge.pb"
PACKAGE_PREFIX = "kataforge."
_VERBS = ("get", "put", "post", "delete", "patch")


@dataclass(frozen=True)
class HttpRoute:
    method: str      # GET, POST, ...
    path: str        # as FastAPI writes it: /coaches/{coach_id}
    body: str        # "" (no body), "*" (the whole request) or the request field the body fills
    rpc: str         # kataforge.coach.v1.CoachService.GetCoach
    status: int = 200  # of a success: the method's success_status option (201, 202) where it has one


# Served by the edge, not by transcoding: method, path -> why.
EDGE_ONLY: dict[tuple[str, str], str] = {
    ("GET", "/"): "health of the whole system, gathered from every service's gRPC health",
    ("GET", "/metrics"): "Prometheus text of the edge itself",
    ("GET", "/system/info"): "versions and the pose service's devices, gathered from several services",
    ("GET", "/system/health"): "each component's health, gathered from several services",
    ("WS", "/ws/analyze"): "WebSocket: client stream of AnalyzeWithProgress",
    ("WS", "/ws/live"): "WebSocket: binary camera frames into the LiveAnalyze stream",
    ("WS", "/ws/training/{training_id}"): "WebSocket: the WatchTraining stream",
    ("GET", "/app"): "the web page (services/edge/web/index.html): a static file, no RPC behind it",
    ("GET", "/app/{asset_path:path}"): "the web page's scripts and style sheet (services/edge/web/), static files",
}
# Annotated calls whose public JSON is not what proto3 JSON of the reply prints (or whose request is not
# JSON): a transcoding gateway passes them to the edge (deploy/envoy/envoy.yaml routes exactly these there,
# checked by tests/kit/test_gateway.py). Every other annotated call is answered alike by both gateways.
SHAPED_BY_EDGE: dict[tuple[str, str], str] = {
    ("POST", "/auth/login"): "an OAuth2 password form (application/x-www-form-urlencoded), not JSON",
    ("POST", "/analyze"): "Idempotency-Key (the edge hashes the body), multipart uploads, the analysis counted "
                          "in the edge's metrics, an empty details dropped",
    ("GET", "/analyses/{analysis_id}"): "an empty details dropped (shaping.analysis_json)",
    ("GET", "/analyses"): "next_cursor null on the last page",
    ("GET", "/analyses/progress"): "overall_change null with fewer than two analyses",
    ("POST", "/batch_analyze"): "rows carry score and analysis_id null when absent (shaping.batch_json)",
    ("POST", "/batch/submit"): "the batch job's rows and finished_at null (shaping.batch_job_json)",
    ("GET", "/batch/status/{batch_id}"): "the batch job's rows and finished_at null (shaping.batch_job_json)",
    ("GET", "/batch/results/{batch_id}"): "rows carry score and analysis_id null when absent",
    ("DELETE", "/batch/cancel/{batch_id}"): "the batch job's rows and finished_at null",
    ("GET", "/batch/list"): "next_cursor null on the last page",
    ("GET", "/models"): "the spec's model shape: null accuracy and times, open-set rates (routes/models.py)",
    ("POST", "/models/train"): "the spec's training shape (routes/models.py training_json)",
    ("GET", "/models/train/{training_id}"): "the spec's training shape, with progress and logs",
    ("POST", "/models/train/{training_id}/cancel"): "the spec's training shape, with progress and logs",
    ("POST", "/coaches/{coach_id}/references"): "the compact pose-sequence JSON (services/kit/pose_json.py)",
    ("GET", "/coaches/{coach_id}/references/{reference_id}"): "the compact pose-sequence JSON",
}
# Annotated calls whose edge route also takes a multipart form (a file upload streamed to a client-streaming
# RPC); their JSON bodies are transcoded as annotated.
MULTIPART_TOO = {("POST", "/analyze"), ("POST", "/coaches/{coach_id}/references")}

_TEMPLATE_FIELD = re.compile(r"\{([^}=]+)(=[^}]*)?\}")


def _path(template: str) -> str:
    """google.api.http path template -> FastAPI path ({name=segments/*} -> {name})."""
    return _TEMPLATE_FIELD.sub(lambda m: "{" + m.group(1) + "}", template)


def _routes(rule: http_pb2.HttpRule, rpc: str, status: int) -> list[HttpRoute]:
    kind = rule.WhichOneof("pattern")
    out = []
    if kind in _VERBS:
        out.append(HttpRoute(kind.upper(), _path(getattr(rule, kind)), rule.body, rpc, status))
    elif kind == "custom":
        out.append(HttpRoute(rule.custom.kind.upper(), _path(rule.custom.path), rule.body, rpc, status))
    for extra in rule.additional_bindings:
        out.extend(_routes(extra, rpc, status))
    return out


def annotated_routes(descriptor_set: Path = DESCRIPTOR_SET) -> list[HttpRoute]:
    """Every REST route the protos' annotations declare, in the descriptor set's order."""
    files = descriptor_pb2.FileDescriptorSet.FromString(descriptor_set.read_bytes())
    out: list[HttpRoute] = []
    for file in files.file:
        if not file.package.startswith(PACKAGE_PREFIX):
            continue
        for service in file.service:
            for method in service.method:
                if method.options.HasExtension(annotations_pb2.http):
                    rpc = f"{file.package}.{service.name}.{method.name}"
                    status = method.options.Extensions[common_pb2.success_status] or 200
                    out.extend(_routes(method.options.Extensions[annotations_pb2.http], rpc, status))
    return out


def served_routes(routers) -> dict[tuple[str, str], object]:
    """(method or "WS", path) -> route, for every route of the given FastAPI routers."""
    from fastapi.routing import APIRoute, APIWebSocketRoute

    out: dict[tuple[str, str], object] = {}
    for router in routers:
        for route in router.routes:
            if isinstance(route, APIRoute):
                for method in route.methods:
                    out[(method, route.path)] = route
            elif isinstance(route, APIWebSocketRoute):
                out[("WS", route.path)] = route
    return out


def _takes_body(route) -> bool:
    """A body parameter, or a body the route documents and reads itself (JSON and multipart on one route)."""
    return route.body_field is not None or bool((route.openapi_extra or {}).get("requestBody"))


def differences(routers, annotated: list[HttpRoute]) -> list[str]:
    """What the routers and the annotations disagree on, one line each (none: they agree)."""
    served = served_routes(routers)
    declared = {(r.method, r.path): r for r in annotated}
    out = [f"{m} {p}: served by the edge, but neither annotated in a proto nor listed in EDGE_ONLY"
           for (m, p) in sorted(set(served) - set(declared) - set(EDGE_ONLY))]
    out += [f"{m} {p}: annotated on {declared[(m, p)].rpc}, but no edge route serves it"
            for (m, p) in sorted(set(declared) - set(served))]
    out += [f"{m} {p}: listed in EDGE_ONLY, but also annotated on {declared[(m, p)].rpc}"
            for (m, p) in sorted(set(declared) & set(EDGE_ONLY))]
    out += [f"{m} {p}: listed in SHAPED_BY_EDGE, but not annotated in a proto"
            for (m, p) in sorted(set(SHAPED_BY_EDGE) - set(declared))]
    for key in sorted(set(declared) & set(served)):
        rule, route = declared[key], served[key]
        if bool(rule.body) != _takes_body(route):
            says = f"body '{rule.body}'" if rule.body else "no body"
            out.append(f"{key[0]} {key[1]}: {rule.rpc} maps {says}, the edge route "
                       f"{'takes' if _takes_body(route) else 'takes no'} body")
        if (route.status_code or 200) != rule.status:
            out.append(f"{key[0]} {key[1]}: {rule.rpc} answers {rule.status} (success_status), the edge route "
                       f"{route.status_code or 200}")
        content = ((route.openapi_extra or {}).get("requestBody") or {}).get("content", {})
        if (key in MULTIPART_TOO) != ("multipart/form-data" in content):
            out.append(f"{key[0]} {key[1]}: MULTIPART_TOO and the route's documented multipart form disagree")
    return out
