"""deploy/k8s's network: Service addresses and ports agree with the settings the code reads, the
NetworkPolicies let each backend's gRPC port be opened by its callers only (MAY_CALL), only the edge and
Envoy are reachable from outside, and the dev database by the services that own tables."""

from __future__ import annotations

import pytest

from services.kit.topology import BACKENDS
from testkit.k8s_manifests import (container, env_of, expected_callers, grpc_port, ingress_peers, METRICS_PORT,
                                   of_kind, pod_labels, port, render, RENDERS, selects, workloads)


@pytest.mark.parametrize("which", RENDERS)
def test_addresses_ports_and_services_agree(which):
    docs = render(which)
    services, deployments = of_kind(docs, "Service"), of_kind(docs, "Deployment")
    for name in BACKENDS:
        env = env_of(docs, deployments[name])
        host, _, number = env[f"DOJO_{name.upper()}_ADDR"]["value"].rpartition(":")
        assert host == name, f"DOJO_{name.upper()}_ADDR names the {name} Service"
        assert env["DOJO_GRPC_BIND_HOST"]["value"] == "0.0.0.0"
        ports = {p["name"]: p for p in services[name]["spec"]["ports"]}
        assert ports["grpc"]["port"] == int(number) == port(container(deployments[name]), "grpc")
        assert ports["grpc"]["targetPort"] == "grpc"
        assert selects({"matchLabels": services[name]["spec"]["selector"]}, pod_labels(deployments[name]))
        # Metrics: the kit's exporter on DOJO_METRICS_PORT, in a container port named metrics.
        assert env["DOJO_METRICS_PORT"]["value"] == str(METRICS_PORT)
        assert port(container(deployments[name]), "metrics") == METRICS_PORT
    edge_env = env_of(docs, deployments["edge"])
    assert edge_env["DOJO_API_HOST"]["value"] == "0.0.0.0"
    assert int(edge_env["DOJO_API_PORT"]["value"]) == port(container(deployments["edge"]), "http")
    for name, service in services.items():
        assert all(p.get("name") for p in service["spec"]["ports"]), name


@pytest.mark.parametrize("which", RENDERS)
def test_network_policies_follow_who_calls_whom(which):
    docs = render(which)
    deployments = of_kind(docs, "Deployment")
    deny = [p for p in of_kind(docs, "NetworkPolicy").values()
            if p["spec"]["podSelector"] == {} and p["spec"]["policyTypes"] == ["Ingress"] and not p["spec"].get("ingress")]
    assert deny, "no default deny of ingress"
    for name in BACKENDS:
        labels = pod_labels(deployments[name])
        peers = ingress_peers(docs, labels, "grpc", grpc_port(name))
        assert peers == expected_callers(name), f"{name}'s gRPC port: {sorted(peers)}"
        assert ingress_peers(docs, labels, "metrics", METRICS_PORT) == {"namespace:monitoring"}, name
    for name in ("edge", "envoy"):
        c = container(deployments[name])
        assert "anywhere" in ingress_peers(docs, pod_labels(deployments[name]), "http", port(c, "http")), name


@pytest.mark.parametrize("which", RENDERS)
def test_only_the_edge_and_envoy_are_reachable_from_outside(which):
    docs = render(which)
    for name, workload in workloads(docs).items():
        for p in container(workload).get("ports", []):
            outside = {peer for peer in ingress_peers(docs, pod_labels(workload), p["name"], p["containerPort"])
                       if peer == "anywhere" or ":" in peer}
            if name in ("edge", "envoy"):
                continue
            if p["name"] == "metrics":
                assert outside == {"namespace:monitoring"}, f"{name}: {outside}"
            else:
                assert not outside, f"{name}'s {p['name']} port is open to {outside}"
    exposed = [s["metadata"]["name"] for s in of_kind(docs, "Service").values()
               if s["spec"].get("type") in ("LoadBalancer", "NodePort")]
    assert exposed == ["envoy"]


def test_the_dev_database_is_reached_only_by_the_services_that_own_tables():
    docs = render("overlays/dev")
    users = {name for name, d in of_kind(docs, "Deployment").items() if "DOJO_DATABASE_URL" in env_of(docs, d)}
    assert users == {"auth", "coach", "scoring"}
    postgres = workloads(docs)["postgres"]
    assert ingress_peers(docs, pod_labels(postgres), "postgres", 5432) == users
