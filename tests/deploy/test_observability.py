"""deploy/observability: prometheus.yml scrapes every service where `kataforge serve` puts its metrics, and every
query of the Grafana dashboard names a metric the services export, checked against the real system after one
real analysis (each service its own process, scraped on the port the supervisor gave it)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Iterator

import httpx
import psutil
import pytest
import yaml
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from services.kit import errors
from services.kit.config import Settings
from services.kit.paths import REPO, VIDEOS
from services.kit.topology import METRICS_PORT_OFFSET, SERVICES, metrics_port
from testkit.loopback import free_port, free_port_block

OBSERVABILITY = REPO / "deploy" / "observability"
PROMETHEUS = OBSERVABILITY / "prometheus.yml"
DASHBOARD = OBSERVABILITY / "grafana" / "kataforge.json"
BACKENDS = tuple(name for name in SERVICES if name != "edge")

# ---- the check: which metric names a PromQL expression selects, which names a scrape exports ----

# Words of PromQL that are not metric names (aggregations and functions are told apart by their "(").
KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "offset", "bool", "and", "or",
            "unless", "inf", "nan", "sum", "min", "max", "avg", "group", "stddev", "stdvar", "count",
            "count_values", "bottomk", "topk", "quantile", "limitk", "limit_ratio"}
# The sample names prometheus_client writes for a family of each type: Counter "x" is exported as x_total.
SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum"), "summary": ("", "_count", "_sum"),
            "gauge": ("",), "untyped": ("",), "unknown": ("",)}


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression selects (label values, label lists, ranges and functions left out)."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`', '""', expr)  # strings: label values
    text = re.sub(r"\{[^}]*\}", " ", text)  # label matchers
    text = re.sub(r"\[[^\]]*\]", " ", text)  # ranges and subqueries ([5m], [$__rate_interval])
    text = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)  # label lists
    names = set()
    for match in re.finditer(r"(?<![\w$.:])([A-Za-z_:][\w:]*)(\s*\()?", text):
        if not match.group(2) and match.group(1).lower() not in KEYWORDS:
            names.add(match.group(1))
    return names


def exported_names(scrape: str) -> set[str]:
    """Every sample name a scrape's families export, by their types: also where a family has no sample yet
    (a labelled counter before its first count, the GPU gauge on a machine without a GPU)."""
    names: set[str] = set()
    for family in text_string_to_metric_families(scrape):
        names |= {s.name for s in family.samples}
        names |= {family.name + suffix for suffix in SUFFIXES.get(family.type, ("",))}
    return names


def targets(panels: list[dict]) -> Iterator[dict]:
    for panel in panels:
        yield from panel.get("targets", [])
        yield from targets(panel.get("panels", []))  # a row's panels


def unexported(dashboard: dict, exported: set[str]) -> dict[str, set[str]]:
    """{query: the metric names in it that no service exports}; empty when every query can show data."""
    found = {}
    for target in targets(dashboard.get("panels", [])):
        missing = metric_names(target["expr"]) - exported
        if missing:
            found[target["expr"]] = missing
    return found


def dashboard() -> dict:
    return json.loads(DASHBOARD.read_text())


def expressions() -> list[str]:
    return [t["expr"] for t in targets(dashboard()["panels"])]


# ---- the files alone ----

def test_the_check_fails_a_dashboard_naming_a_metric_no_service_exports():
    registry = CollectorRegistry()
    Counter("kataforge_scoring_analyses", "h", ["coach"], registry=registry)
    Histogram("kataforge_rpc_seconds", "h", ["method"], registry=registry)
    exported = exported_names(generate_latest(registry).decode())
    good = 'sum by (coach) (rate(kataforge_scoring_analyses_total{coach="kataforge_nothing"}[$__rate_interval]))'
    quantile = 'histogram_quantile(0.95, sum by (le) (rate(kataforge_rpc_seconds_bucket[5m])))'
    made_up = 'histogram_quantile(0.9, sum by (le) (rate(kataforge_made_up_seconds_bucket[5m])))'
    fake = {"panels": [{"targets": [{"expr": good}, {"expr": quantile}]},
                       {"type": "row", "panels": [{"targets": [{"expr": made_up}]}]},
                       {"targets": [{"expr": "rate(kataforge_rpc_seconds_total[5m])"},  # a histogram has no _total
                                    {"expr": "kataforge_scoring_analyses"}]}]}  # nor a counter its bare name
    assert unexported(fake, exported) == {made_up: {"kataforge_made_up_seconds_bucket"},
                                          "rate(kataforge_rpc_seconds_total[5m])": {"kataforge_rpc_seconds_total"},
                                          "kataforge_scoring_analyses": {"kataforge_scoring_analyses"}}
    assert metric_names("60 * sum(rate(a_total[1m])) / on(job) group_left(x) b offset 5m > bool 1e3") == {
        "a_total", "b"}


def test_the_dashboard_shows_each_asked_for_measure():
    names = set().union(*map(metric_names, expressions()))
    assert {"kataforge_api_requests_total", "kataforge_rpc_total",  # request rate
            "kataforge_api_request_seconds_bucket", "kataforge_rpc_seconds_bucket",  # latency percentiles
            "kataforge_api_request_seconds_count",  # 5xx share
            "kataforge_scoring_analyses_total", "kataforge_pose_frames_total",
            "kataforge_scoring_model_inference_seconds_bucket", "kataforge_gpu_memory_usage"} <= names
    quantiles = " ".join(e for e in expressions() if "histogram_quantile" in e)
    assert all(f"histogram_quantile({q}," in quantiles for q in ("0.5", "0.95", "0.99"))
    for panel in dashboard()["panels"]:
        assert panel["targets"] and panel["datasource"]["uid"] == "${datasource}", panel["title"]


def test_the_server_error_rate_counts_the_codes_answered_with_a_5xx():
    regexes = {m for e in expressions() for m in re.findall(r'kataforge_rpc_total\{code=~"([^"]+)"\}', e)}
    assert len(regexes) == 1
    assert set(regexes.pop().split("|")) == {code for code, kind in errors.BY_CODE.items() if kind.http_status >= 500}


def test_prometheus_scrapes_every_service_where_kataforge_serve_puts_its_metrics():
    jobs = {job["job_name"]: job for job in yaml.safe_load(PROMETHEUS.read_text())["scrape_configs"]}
    local = jobs["kataforge-local"]
    assert local.get("metrics_path", "/metrics") == "/metrics"
    scraped = {target: group["labels"]["service"] for group in local["static_configs"] for target in group["targets"]}
    defaults = Settings()  # the default addresses
    assigned = {f"127.0.0.1:{defaults.api_port}": "edge",
                **{f"127.0.0.1:{metrics_port(getattr(defaults, f'{name}_addr'))}": name for name in BACKENDS}}
    assert scraped == assigned
    kube = jobs["kataforge-kubernetes"]
    assert kube["kubernetes_sd_configs"] == [{"role": "pod"}]
    keep = {tuple(r["source_labels"]): r for r in kube["relabel_configs"] if r.get("action") == "keep"}
    assert re.fullmatch(keep[("__meta_kubernetes_pod_label_app_kubernetes_io_part_of",)]["regex"], "kataforge")
    ports = keep[("__meta_kubernetes_pod_container_port_name", "__meta_kubernetes_pod_label_app_kubernetes_io_name")]

    def scraped_port(port_name: str, app: str) -> bool:  # Prometheus anchors relabel regexes
        return re.fullmatch(ports["regex"], f"{port_name}{ports.get('separator', ';')}{app}") is not None
    assert all(scraped_port("metrics", name) for name in BACKENDS) and scraped_port("http", "edge")
    assert not scraped_port("http", "envoy") and not scraped_port("grpc", "scoring")  # Envoy proxies to an edge


# ---- against the running system ----

@dataclass
class Served:
    api: str
    grpc_ports: dict[str, int]


@pytest.fixture(scope="module")
def served(tmp_path_factory, pg_url) -> Iterator[Served]:
    """`kataforge serve` on free ports, with an explicit DOJO_METRICS_PORT the supervisor must not hand on."""
    ports, api_port = {name: free_port_block() for name in BACKENDS}, free_port()
    env = {**os.environ, "DOJO_STATE_DIR": str(tmp_path_factory.mktemp("observability")),
           "DOJO_API_PORT": str(api_port), "DOJO_DATABASE_URL": pg_url, "DOJO_MODEL_DIR": str(REPO / "models"),
           "DOJO_LOG_LEVEL": "WARNING", "DOJO_METRICS_PORT": "9464", "DOJO_ADMIN_USERNAME": "obs_admin",
           "DOJO_ADMIN_PASSWORD": "obs-admin-password-1", "DOJO_ADMIN_EMAIL": "obs_admin@example.com",
           **{f"DOJO_{name.upper()}_ADDR": f"127.0.0.1:{port}" for name, port in ports.items()}}
    proc = subprocess.Popen([sys.executable, "-m", "kataforge.cli", "serve"], env=env, cwd=REPO)
    api = f"http://127.0.0.1:{api_port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None and time.monotonic() < deadline, "kataforge serve did not become healthy"
            try:
                if httpx.get(f"{api}/", timeout=2).json().get("status") == "healthy":
                    break
            except (httpx.HTTPError, ValueError):
                pass
            time.sleep(0.5)
        yield Served(api, ports)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(60) == 0
    finally:
        if proc.poll() is None:  # a failure: the services too, not only their supervisor
            for child in psutil.Process(proc.pid).children(recursive=True):
                child.kill()
            proc.kill()


def value(scrape: str, name: str, **labels: str) -> float:
    return sum(s.value for f in text_string_to_metric_families(scrape) for s in f.samples
               if s.name == name and labels.items() <= s.labels.items())


@pytest.mark.integration
def test_every_dashboard_query_names_a_metric_the_running_services_export(served):
    api = served.api
    token = httpx.post(f"{api}/auth/login", data={"username": "obs_admin", "password": "obs-admin-password-1"},
                       timeout=30).json()["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    assert httpx.post(f"{api}/coaches", headers=auth, json={"id": "obs_sensei", "name": "Sensei", "style": "Karate"},
                      timeout=30).status_code == 201
    with open(VIDEOS / "pose2sim-balancing-cam02.mp4", "rb") as video:  # no technique named: recognised
        analysed = httpx.post(f"{api}/analyze", headers=auth, data={"coach": "obs_sensei"},
                              files={"file": ("cam02.mp4", video, "video/mp4")}, timeout=300)
    assert analysed.status_code == 200, analysed.text

    scrapes = {"edge": httpx.get(f"{api}/metrics", timeout=10).text}
    for name, port in served.grpc_ports.items():  # each backend on the port the supervisor gave it
        scrapes[name] = httpx.get(f"http://127.0.0.1:{port + METRICS_PORT_OFFSET}/metrics", timeout=10).text
        assert value(scrapes[name], "kataforge_rpc_total", code="OK") > 0, name  # it handled calls
    exported = {name: exported_names(text) for name, text in scrapes.items()}
    assert unexported(dashboard(), set().union(*exported.values())) == {}

    # The analysis moved the numbers, each measured where the work was done.
    assert value(scrapes["pose"], "kataforge_pose_frames_total", mode="video") > 0
    assert value(scrapes["pose"], "kataforge_pose_inference_seconds_total", mode="video") > 0
    assert value(scrapes["scoring"], "kataforge_scoring_analyses_total", coach="obs_sensei") == 1
    assert value(scrapes["scoring"], "kataforge_scoring_model_inference_seconds_count", model="graphsage") == 1
    assert "kataforge_gpu_memory_usage" in exported["scoring"]  # declared; a sample only where a GPU is
    assert value(scrapes["edge"], "kataforge_api_request_seconds_count", endpoint="/analyze", method="POST",
                 status="200") == 1
    assert value(scrapes["edge"], "kataforge_analyses_total", coach="obs_sensei") == 1
