# syntax=docker/dockerfile:1
# The auth service: the shared kit plus its extra (argon2id, asyncpg). Build from the repository root:
#   docker build -f deploy/docker/auth.Dockerfile -t kataforge/auth:0.1.0 .
# Every image pins its base by an exact tag (a moving tag such as 3.11-slim would change under a rebuild).

FROM python:3.11.13-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
WORKDIR /src
# Only what `pip install` reads: the project's metadata and its two packages (no tests, models or deploy files).
COPY pyproject.toml README.md ./
COPY kataforge ./kataforge
COPY services ./services
# Only this service's extra: the runtime stage gets this venv and nothing from the build stage beyond it.
RUN /opt/venv/bin/pip install "/src[auth]"

FROM python:3.11.13-slim-bookworm
# A fixed numeric uid, so Kubernetes' runAsNonRoot can verify it (a user name cannot be checked).
RUN groupadd --gid 10001 kataforge \
 && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin kataforge \
 && install -d -o 10001 -g 10001 /var/lib/kataforge
COPY --from=build /opt/venv /opt/venv
COPY deploy/docker/healthcheck.py /opt/kataforge/healthcheck.py
# The services write only to DOJO_STATE_DIR and TMPDIR, so the root file system can be mounted read-only
# (Kubernetes mounts emptyDirs there; `docker run --read-only` needs --tmpfs /tmp and a volume for the state).
# HOME=/tmp: libraries that cache under ~ write into TMPDIR instead of a read-only home.
ENV PATH=/opt/venv/bin:$PATH PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    DOJO_STATE_DIR=/var/lib/kataforge TMPDIR=/tmp HOME=/tmp DOJO_GRPC_BIND_HOST=0.0.0.0
WORKDIR /opt/kataforge
USER 10001:10001
EXPOSE 50051
# For `docker run`/compose; Kubernetes ignores it and probes the same gRPC health service itself.
HEALTHCHECK --interval=15s --timeout=6s --start-period=60s --retries=3 \
  CMD ["/opt/venv/bin/python", "/opt/kataforge/healthcheck.py", "auth"]
ENTRYPOINT ["/opt/venv/bin/python", "-m", "services.auth.main"]
