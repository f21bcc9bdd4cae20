# syntax=docker/dockerfile:1
# The edge (public REST/WebSocket API): the shared kit plus its extra (FastAPI, uvicorn, limits, redis).
#   docker build -f deploy/docker/edge.Dockerfile -t kataforge/edge:0.1.0 .

FROM python:3.11.13-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
WORKDIR /src
COPY pyproject.toml README.md ./
COPY kataforge ./kataforge
COPY services ./services
RUN /opt/venv/bin/pip install "/src[edge]"

FROM python:3.11.13-slim-bookworm
RUN groupadd --gid 10001 kataforge \
 && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin kataforge \
 && install -d -o 10001 -g 10001 /var/lib/kataforge
COPY --from=build /opt/venv /opt/venv
COPY deploy/docker/healthcheck.py /opt/kataforge/healthcheck.py
# Read-only root file system: writes go to DOJO_STATE_DIR and TMPDIR only (see auth.Dockerfile).
# DOJO_API_HOST=0.0.0.0: the default (127.0.0.1) would be unreachable from outside the container.
ENV PATH=/opt/venv/bin:$PATH PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    DOJO_STATE_DIR=/var/lib/kataforge TMPDIR=/tmp HOME=/tmp DOJO_API_HOST=0.0.0.0 DOJO_API_PORT=8000
WORKDIR /opt/kataforge
USER 10001:10001
EXPOSE 8000
# GET /metrics: answered by the edge itself, without a key and outside the rate limit (/system/health needs a key).
HEALTHCHECK --interval=15s --timeout=6s --start-period=30s --retries=3 \
  CMD ["/opt/venv/bin/python", "/opt/kataforge/healthcheck.py", "edge"]
ENTRYPOINT ["/opt/venv/bin/python", "-m", "services.edge.main"]
