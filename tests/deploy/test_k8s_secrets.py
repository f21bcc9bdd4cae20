"""deploy/k8s's secrets: secret settings only ever come from Secrets, each calling service gets a credential
of its own, the dev overlay's generated secrets are consistent, and the base and GPU overlays leave them to
the operator."""

from __future__ import annotations

import base64
import re

import pytest

from services.kit.service_identity import MAY_CALL, service_secret
from testkit.k8s_manifests import container, env_of, of_kind, render, RENDERS, workloads

# Settings that are secrets: never in a ConfigMap, never a plain env value.
SECRET_SETTINGS = {"DOJO_API_KEYS", "DOJO_INTERNAL_SECRET", "DOJO_SERVICE_SECRET", "DOJO_DATABASE_URL",
                   "DOJO_ADMIN_PASSWORD", "DOJO_REDIS_URL", "POSTGRES_PASSWORD"}
DSN_WITH_PASSWORD = re.compile(r"://[^/\s:@]+:[^/\s@]+@")

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
