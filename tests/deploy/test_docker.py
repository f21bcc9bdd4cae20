"""deploy/docker: one image per service, checked statically (no Docker engine runs on these machines, so the
images are not built here). Each Dockerfile is read by the `dockerfile` package (Docker's own Go parser):
pinned bases, multi-stage, a numeric non-root USER, only its service's extra, COPY sources that exist,
a HEALTHCHECK through deploy/docker/healthcheck.py, and an ENTRYPOINT that runs that service's module.
The health check script itself runs here against a real gRPC health server and a real HTTP server."""

from __future__ import annotations

import fnmatch
import http.server
import os
import re
import subprocess
import sys
import threading
import tomllib

import dockerfile
import pytest

from services.kit.config import Settings
from services.kit.paths import REPO
from testkit.loopback import free_port

DOCKER = REPO / "deploy" / "docker"
HEALTHCHECK = DOCKER / "healthcheck.py"
# image -> (the service it runs, the pyproject extra it installs). scoring installs `training` (scoring + torch):
# training jobs run in the scoring service's own worker processes.
IMAGES = {
    "auth": ("auth", "auth"), "coach": ("coach", "coach"), "pose": ("pose", "pose"),
    "scoring": ("scoring", "training"), "edge": ("edge", "edge"),
    "pose-gpu": ("pose", "pose"), "scoring-gpu": ("scoring", "training"),
}
# Copied from the build context although git does not track them: made by these Makefile targets first.
BUILT_BY_MAKE = {"models/scoring": "scoring-models"}
PROJECT_INSTALL = re.compile(r"""["']?(?:/src|\.)\[([a-z,-]+)\]["']?""")
SETTINGS = Settings()


def commands(image: str) -> list:
    return list(dockerfile.parse_file(str(DOCKER / f"{image}.Dockerfile")))


def stages(image: str) -> list[list]:
    out: list[list] = []
    for command in commands(image):
        if command.cmd == "FROM":
            out.append([])
        out[-1].append(command)
    return out


def default_port(service: str) -> int:
    return SETTINGS.api_port if service == "edge" else int(getattr(SETTINGS, f"{service}_addr").rsplit(":", 1)[1])


def dockerignore() -> list[str]:
    lines = (REPO / ".dockerignore").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def ignored(path: str) -> bool:
    parts = path.split("/")
    prefixes = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
    return any(fnmatch.fnmatch(prefix, pattern.lstrip("/")) or fnmatch.fnmatch(prefix, pattern.replace("**/", ""))
               for pattern in dockerignore() for prefix in prefixes)


def test_one_dockerfile_per_image_and_no_other():
    assert {p.name.removesuffix(".Dockerfile") for p in DOCKER.glob("*.Dockerfile")} == set(IMAGES)


@pytest.mark.parametrize("image", IMAGES)
def test_bases_are_pinned_and_the_build_is_multi_stage(image):
    froms = [c for c in commands(image) if c.cmd == "FROM"]
    assert len(froms) >= 2, "a build stage and a runtime stage"
    aliases: set[str] = set()
    for command in froms:
        base = command.value[0]
        if base in aliases:
            continue
        assert "$" not in base, f"{base}: no build argument in a base"
        name, _, tag = base.partition(":")
        assert tag and tag != "latest" and re.search(r"\d+\.\d+\.\d+", tag), f"{base} is not pinned to a release"
        if len(command.value) == 3 and command.value[1].upper() == "AS":
            aliases.add(command.value[2])
    assert all(c.cmd != "RUN" or "pip install" not in c.value[0] for c in stages(image)[-1]), \
        "the runtime stage installs no Python packages: it copies the build stage's venv"


@pytest.mark.parametrize("image", IMAGES)
def test_runs_as_a_numeric_non_root_user(image):
    users = [c.value[0] for c in stages(image)[-1] if c.cmd == "USER"]
    assert users, "no USER in the runtime stage"
    uid, _, gid = users[-1].partition(":")
    assert uid.isdigit() and int(uid) != 0, f"USER {users[-1]}: a numeric uid that is not root"
    assert not gid or (gid.isdigit() and int(gid) != 0)


@pytest.mark.parametrize("image", IMAGES)
def test_installs_only_its_own_extra(image):
    extras = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    installs = [m.group(1) for c in commands(image) if c.cmd == "RUN" for m in PROJECT_INSTALL.finditer(c.value[0])]
    assert installs == [IMAGES[image][1]], f"installs {installs}"
    assert installs[0] in extras
    for c in commands(image):
        if c.cmd == "RUN":
            assert not re.search(r"\[(all|dev|embedded-db)\]", c.value[0]), c.value[0]
            assert "-e " not in c.value[0] and "--editable" not in c.value[0], "an installed, not editable, package"


@pytest.mark.parametrize("image", IMAGES)
def test_copies_only_files_of_the_repository(image):
    makefile = (REPO / "Makefile").read_text()
    for c in commands(image):
        if c.cmd not in ("COPY", "ADD"):
            continue
        assert c.cmd == "COPY", "ADD fetches and unpacks: COPY only"
        if any(flag.startswith("--from=") for flag in c.flags):
            continue
        for source in c.value[:-1]:
            source = source.rstrip("/")
            assert not ignored(source), f"{source} is excluded by .dockerignore"
            if source in BUILT_BY_MAKE:
                target = BUILT_BY_MAKE[source]
                assert re.search(rf"^{re.escape(target)}:", makefile, re.M), f"make {target}"
                assert source in makefile
                continue
            # In the repository: present, and not something git ignores (a local build product).
            git_ignored = subprocess.run(["git", "check-ignore", "-q", source], cwd=REPO).returncode == 0
            assert (REPO / source).exists() and not git_ignored, source


def test_dockerignore_keeps_local_state_out_of_the_context():
    for path in (".git", ".venv", ".kataforge", "services/__pycache__", "models/pose_landmarker_full.task"):
        assert ignored(path), path
    for path in ("pyproject.toml", "README.md", "kataforge", "services/kit/config.py", "models/scoring"):
        assert not ignored(path), path


@pytest.mark.parametrize("image", IMAGES)
def test_entrypoint_runs_its_service_and_healthcheck_asks_it(image):
    service = IMAGES[image][0]
    runtime = stages(image)[-1]
    entrypoint = [c for c in runtime if c.cmd == "ENTRYPOINT"]
    assert len(entrypoint) == 1 and entrypoint[0].json, "one ENTRYPOINT, exec form (signals reach Python)"
    assert list(entrypoint[0].value[1:]) == ["-m", f"services.{service}.main"]
    assert entrypoint[0].value[0].startswith("/opt/venv/bin/python")
    assert (REPO / "services" / service / "main.py").is_file()
    assert [c.value[0] for c in runtime if c.cmd == "EXPOSE"] == [str(default_port(service))]
    # HEALTHCHECK: documented in healthcheck.py; it asks the very service this image runs.
    checks = [c for c in runtime if c.cmd == "HEALTHCHECK"]
    assert len(checks) == 1 and checks[0].json and checks[0].value[0] == "CMD"
    script, argument = checks[0].value[-2:]
    copied = {c.value[-1]: c.value[0] for c in runtime if c.cmd == "COPY" and not c.flags}
    assert copied.get(script) == "deploy/docker/healthcheck.py" and argument == service


@pytest.mark.parametrize("image", ["pose-gpu", "scoring-gpu"])
def test_gpu_variants_ask_the_driver_for_what_they_use(image):
    env = " ".join(" ".join(c.value) for c in commands(image) if c.cmd == "ENV")
    capabilities = re.search(r"NVIDIA_DRIVER_CAPABILITIES (\S+)", env).group(1).split(",")
    assert "compute" in capabilities
    runs = " ".join(c.value[0] for c in commands(image) if c.cmd == "RUN")
    if image == "pose-gpu":
        # MediaPipe's GPU delegate runs on OpenGL ES through EGL: the graphics capability and the GLVND loaders.
        assert "graphics" in capabilities and "libegl1" in runs and "libgles2" in runs
    else:
        # onnxruntime and onnxruntime-gpu both install the module onnxruntime: exactly one may be present.
        assert "pip uninstall -y onnxruntime" in runs and "onnxruntime-gpu==" in runs
        assert re.search(r"torch==\S+\+cu\d+", runs), "a CUDA build of torch"


def test_the_cpu_scoring_image_has_the_cpu_torch():
    runs = " ".join(c.value[0] for c in commands("scoring") if c.cmd == "RUN")
    assert "torch==2.13.0+cpu" in runs and "whl/cpu" in runs
    pins = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["optional-dependencies"]["training"]
    assert "torch==2.13.0" in pins, "the CPU build pinned here is the extra's torch"


# The health check script, for real.

def run_healthcheck(service: str, env: dict[str, str]) -> int:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DOJO_")}
    return subprocess.run([sys.executable, str(HEALTHCHECK), service], env={**clean, **env, "PYTHONPATH": str(REPO)},
                          cwd=REPO, capture_output=True, timeout=60).returncode


def test_healthcheck_follows_grpc_health():
    from concurrent import futures

    import grpc
    from grpc_health.v1 import health, health_pb2, health_pb2_grpc

    port = free_port()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    servicer = health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
    server.add_insecure_port(f"127.0.0.1:{port}")
    server.start()
    try:
        env = {"DOJO_COACH_ADDR": f"coach:{port}"}  # the host is the Service name; the check asks 127.0.0.1
        servicer.set("", health_pb2.HealthCheckResponse.NOT_SERVING)
        assert run_healthcheck("coach", env) == 1
        servicer.set("", health_pb2.HealthCheckResponse.SERVING)
        assert run_healthcheck("coach", env) == 0
    finally:
        server.stop(None)
    assert run_healthcheck("coach", env) == 1  # nothing listening


def test_healthcheck_of_the_edge_reads_metrics():
    status = {"code": 200, "paths": []}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            status["paths"].append(self.path)
            self.send_response(status["code"])
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        env = {"DOJO_API_PORT": str(server.server_address[1])}
        assert run_healthcheck("edge", env) == 0
        status["code"] = 503
        assert run_healthcheck("edge", env) == 1
        assert status["paths"] == ["/metrics", "/metrics"]
    finally:
        server.shutdown()
    assert run_healthcheck("nobody", {}) == 2
