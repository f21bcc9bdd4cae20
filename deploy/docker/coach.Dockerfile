# syntax=docker/dockerfile:1
# The coach service: the shared kit plus its extra (asyncpg). Build from the repository root:
#   docker build -f deploy/docker/coach.Dockerfile -t kataforge/coach:0.1.0 .

FROM python:3.11.13-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
WORKDIR /src
COPY pyproject.toml README.md ./
COPY kataforge ./kataforge
COPY services ./services
RUN /opt/venv/bin/pip install "/src[coach]"

FROM python:3.11.13-slim-bookworm
RUN groupadd --gid 10001 kataforge \
 && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin kataforge \
 && install -d -o 10001 -g 10001 /var/lib/kataforge
COPY --from=build /opt/venv /opt/venv
COPY deploy/docker/healthcheck.py /opt/kataforge/healthcheck.py
# Read-only root file system: writes go to DOJO_STATE_DIR and TMPDIR only (see auth.Dockerfile).
ENV PATH=/opt/venv/bin:$PATH PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    DOJO_STATE_DIR=/var/lib/kataforge TMPDIR=/tmp HOME=/tmp DOJO_GRPC_BIND_HOST=0.0.0.0
WORKDIR /opt/kataforge
USER 10001:10001
EXPOSE 50052
HEALTHCHECK --interval=15s --timeout=6s --start-period=60s --retries=3 \
  CMD ["/opt/venv/bin/python", "/opt/kataforge/healthcheck.py", "coach"]
ENTRYPOINT ["/opt/venv/bin/python", "-m", "services.coach.main"]
