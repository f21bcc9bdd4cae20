"""What `kataforge serve` runs (services/kit/topology.py): each child's credential, ports and targets, with and
without replicas and Envoy. The run itself: tests/integration/test_serve.py."""

import json

import pytest

from services.kit.config import ConfigError, Settings, replace
from services.kit.service_identity import service_secret
from services.kit.topology import SERVICES, credentials, metrics_port, parse_replicas, plan

ENV = {"DOJO_INTERNAL_SECRET": "master", "PATH": "/bin", "DOJO_METRICS_PORT": "9464"}


def by_label(processes):
    return {p.label: p for p in processes}


def test_kataforge_serve_gives_the_master_secret_to_the_auth_service_only():
    for name in ("coach", "pose", "scoring", "edge"):
        child = credentials(name, ENV)
        assert "DOJO_INTERNAL_SECRET" not in child and child["DOJO_SERVICE_SECRET"] == service_secret("master", name)
    auth = credentials("auth", ENV)
    assert auth["DOJO_INTERNAL_SECRET"] == "master" and auth["PATH"] == "/bin"


def test_each_backend_gets_its_grpc_port_plus_1000_even_over_an_explicit_one():
    processes = by_label(plan(Settings(), ENV))  # one port cannot serve four processes
    assert list(processes) == list(SERVICES)
    ports = {label: p.env.get("DOJO_METRICS_PORT") for label, p in processes.items()}
    assert ports == {"auth": "51051", "coach": "51052", "pose": "51053", "scoring": "51054", "edge": None}
    moved = by_label(plan(replace(Settings(), pose_addr="10.0.0.5:6000"), ENV))
    assert moved["pose"].env["DOJO_METRICS_PORT"] == "7000" and moved["scoring"].env["DOJO_POSE_ADDR"] == "10.0.0.5:6000"


def test_an_address_without_room_for_its_metrics_port_is_refused():
    with pytest.raises(ConfigError, match="DOJO_SCORING_ADDR"):
        metrics_port("127.0.0.1:65000", "scoring")
    with pytest.raises(ConfigError, match="DOJO_SCORING_ADDR"):
        plan(replace(Settings(), scoring_addr="127.0.0.1:65000"), ENV)


def test_replicas_listen_on_their_own_ports_and_callers_get_all_of_them():
    processes = by_label(plan(Settings(), ENV, replicas=parse_replicas("pose=2,scoring=2,edge=2")))
    assert list(processes) == ["auth", "coach", "pose", "pose#2", "scoring", "scoring#2", "edge", "edge#2"]
    assert processes["pose#2"].env["DOJO_POSE_ADDR"] == "127.0.0.1:50153"  # where it listens
    assert processes["pose#2"].env["DOJO_METRICS_PORT"] == "51153"
    both_poses = "ipv4:127.0.0.1:50053,127.0.0.1:50153"
    for caller in ("coach", "scoring", "scoring#2", "edge", "edge#2"):
        assert processes[caller].env["DOJO_POSE_ADDR"] == both_poses, caller
    assert processes["scoring#2"].env["DOJO_SCORING_ADDR"] == "127.0.0.1:50154"
    assert processes["edge#2"].env["DOJO_SCORING_ADDR"] == "ipv4:127.0.0.1:50054,127.0.0.1:50154"
    assert (processes["edge"].env["DOJO_API_PORT"], processes["edge#2"].env["DOJO_API_PORT"]) == ("8000", "8001")
    assert processes["edge#2"].env["DOJO_SERVICE_SECRET"] == service_secret("master", "edge")


def test_envoy_is_put_in_front_of_every_edge_and_scoring_replica(tmp_path):
    settings = replace(Settings(), state_dir=str(tmp_path))
    processes = by_label(plan(settings, ENV, replicas={"scoring": 2, "edge": 2}, envoy_port=8080))
    envoy = processes["envoy"]
    config = json.loads((tmp_path / "envoy.json").read_text())
    assert envoy.argv[1:3] == ("-c", str(tmp_path / "envoy.json"))
    assert not any(k.startswith("DOJO_") for k in envoy.env)  # Envoy holds no secret of ours
    clusters = {c["name"]: [e["endpoint"]["address"]["socket_address"]["port_value"]
                            for e in c["load_assignment"]["endpoints"][0]["lb_endpoints"]]
                for c in config["static_resources"]["clusters"]}
    assert clusters == {"edge": [8000, 8001], "auth": [50051], "coach": [50052], "scoring": [50054, 50154]}
    assert config["admin"]["address"]["socket_address"]["port_value"] == 9080


def test_envoy_runs_the_worker_threads_it_is_given(tmp_path):
    """One by default (DOJO_ENVOY_WORKERS; Envoy alone would start one per hardware thread)."""
    for settings, workers in ((Settings(), "1"), (replace(Settings(), envoy_workers=3), "3")):
        envoy = by_label(plan(replace(settings, state_dir=str(tmp_path)), ENV, envoy_port=8080))["envoy"]
        assert envoy.argv[envoy.argv.index("--concurrency") + 1] == workers


@pytest.mark.parametrize("text, message", [
    ("pose=0", "1 to 8"), ("pose=two", "service=count"), ("judo=2", "service=count"),
    ("auth=2", "auth service runs once"),
])
def test_bad_replica_counts_are_refused_with_a_reason(text, message):
    with pytest.raises(ConfigError, match=message):
        parse_replicas(text)


def test_replicas_of_a_host_name_are_refused():
    with pytest.raises(ConfigError, match="need IP addresses"):
        plan(replace(Settings(), pose_addr="pose.local:50053"), ENV, replicas={"pose": 2})
