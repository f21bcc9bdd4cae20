"""deploy/envoy/envoy.yaml against the contract, and its rendering for loopback (services/kit/gateway.py);
both forms checked by the real envoy binary's own validation."""

import json
import subprocess

import pytest
import yaml

from services.edge.contract import EDGE_ONLY, SHAPED_BY_EDGE, annotated_routes
from services.kit import gateway
from services.kit.config import load_settings, replace

UPSTREAMS = gateway.Upstreams(edge=["127.0.0.1:18000", "127.0.0.1:18001"], auth=["127.0.0.1:15051"],
                              coach=["127.0.0.1:15052"], scoring=["127.0.0.1:15054", "127.0.0.1:15055"])


@pytest.fixture
def settings(tmp_path):
    return load_settings({}, config_file=str(tmp_path / "absent.yaml"))


def routes(config):
    manager = config["static_resources"]["listeners"][0]["filter_chains"][0]["filters"][0]["typed_config"]
    return manager["route_config"]["virtual_hosts"][0]["routes"]


def edge_shaped(config) -> set[tuple[str, str]]:
    """(method, path template) of the routes that send an annotated call to the edge untranscoded."""
    out = set()
    for route in routes(config):
        policy = route["match"].get("path_match_policy")
        if policy:
            assert route["route"]["cluster"] == "edge"
            assert route["typed_per_filter_config"]["envoy.filters.http.grpc_json_transcoder"]["disabled"]
            method = next(h["string_match"]["exact"] for h in route["match"]["headers"] if h["name"] == ":method")
            out.add((method, policy["typed_config"]["path_template"]))
    return out


def validate(config, tmp_path) -> subprocess.CompletedProcess:
    path = tmp_path / "envoy.json"
    path.write_text(json.dumps(config))
    return subprocess.run([gateway.envoy_binary(), "--mode", "validate", "-c", str(path)],
                          capture_output=True, text=True, timeout=60)


def test_the_edge_gets_exactly_the_calls_the_contract_says_it_shapes():
    config = yaml.safe_load(gateway.ENVOY_YAML.read_text())
    assert edge_shaped(config) == set(SHAPED_BY_EDGE)


def test_every_annotated_service_is_transcoded_and_routed_to_its_cluster():
    config = yaml.safe_load(gateway.ENVOY_YAML.read_text())
    filters = gateway._filters(config)
    services = {r.rpc.rsplit(".", 1)[0] for r in annotated_routes()}
    assert set(filters["envoy.filters.http.grpc_json_transcoder"]["services"]) == services
    prefixes = {r["match"].get("prefix"): r["route"]["cluster"] for r in routes(config)}
    clusters = {c["name"] for c in config["static_resources"]["clusters"]}
    for service in services:
        cluster = prefixes[f"/{service}/"]
        assert cluster in clusters and service.split(".")[1] == cluster
    # The edge-only pages are not annotated, so they fall through to the edge's catch-all.
    assert prefixes["/"] == "edge" and not set(EDGE_ONLY) & {(r.method, r.path) for r in annotated_routes()}


def test_rendering_moves_upstreams_to_loopback_and_keeps_everything_else(settings):
    original = yaml.safe_load(gateway.ENVOY_YAML.read_text())
    config = gateway.render(settings, UPSTREAMS, port=18080, admin_port=19901)
    assert routes(config) == routes(original)
    clusters = {c["name"]: c for c in config["static_resources"]["clusters"]}
    endpoints = [e["endpoint"]["address"]["socket_address"]
                 for e in clusters["scoring"]["load_assignment"]["endpoints"][0]["lb_endpoints"]]
    assert [(a["address"], a["port_value"]) for a in endpoints] == [("127.0.0.1", 15054), ("127.0.0.1", 15055)]
    assert all(c["type"] == "STATIC" for c in clusters.values())
    jwt = gateway._filters(config)["envoy.filters.http.jwt_authn"]["providers"]["kataforge"]
    assert jwt["remote_jwks"]["http_uri"]["uri"] == "http://127.0.0.1:18000/.well-known/jwks.json"
    assert (jwt["issuer"], jwt["audiences"]) == (settings.jwt_issuer, [settings.jwt_audience])
    assert gateway._filters(config)["envoy.filters.http.grpc_json_transcoder"]["proto_descriptor"] == str(
        gateway.DESCRIPTOR_SET)


@pytest.mark.parametrize("requests, window, burst, tokens, every", [
    (100, 60, 20, 1, "0.600s"),        # the spec's 100 a minute: a token each 0.6 s, 120 at most
    (1_000_000, 60, 20, 833, "0.050s"),  # faster than Envoy refills (50 ms): several tokens at a time
])
def test_the_rate_limit_is_the_settings_as_a_token_bucket(settings, requests, window, burst, tokens, every):
    config = gateway.render(replace(settings, rate_limit_requests=requests, rate_limit_window=window,
                                    rate_limit_burst=burst), UPSTREAMS, port=18080, admin_port=19901)
    bucket = gateway._filters(config)["envoy.filters.http.local_ratelimit"]["token_bucket"]
    assert bucket == {"max_tokens": requests + burst, "tokens_per_fill": tokens, "fill_interval": every}


def test_cors_allows_only_the_configured_origins(settings):
    def policy(config):
        host = config["static_resources"]["listeners"][0]["filter_chains"][0]["filters"][0]["typed_config"][
            "route_config"]["virtual_hosts"][0]
        return host["typed_per_filter_config"].get("envoy.filters.http.cors")

    assert policy(gateway.render(settings, UPSTREAMS, port=1, admin_port=2)) is None
    allowed = policy(gateway.render(replace(settings, cors_origins=("https://a.example", "https://b.example")),
                                    UPSTREAMS, port=1, admin_port=2))
    assert allowed["allow_origin_string_match"] == [{"exact": "https://a.example"}, {"exact": "https://b.example"}]


def test_envoy_accepts_both_forms_of_the_config(settings, tmp_path):
    rendered = validate(gateway.render(settings, UPSTREAMS, port=18080, admin_port=19901), tmp_path)
    assert rendered.returncode == 0, rendered.stderr[-2000:]
    # The Kubernetes form as shipped, with the descriptor where the pod mounts it (here: the repository's).
    shipped = yaml.safe_load(gateway.ENVOY_YAML.read_text())
    gateway._filters(shipped)["envoy.filters.http.grpc_json_transcoder"]["proto_descriptor"] = str(
        gateway.DESCRIPTOR_SET)
    checked = validate(shipped, tmp_path)
    assert checked.returncode == 0, checked.stderr[-2000:]
    broken = gateway.render(settings, UPSTREAMS, port=18080, admin_port=19901)
    broken["static_resources"]["clusters"][0]["type"] = "NO_SUCH_TYPE"
    assert validate(broken, tmp_path).returncode != 0
