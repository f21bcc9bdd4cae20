# syntax=docker/dockerfile:1
# The scoring service, with its training worker on the CPU. Build from the repository root, after
# `make scoring-models` (see the COPY of models/scoring below):
#   docker build -f deploy/docker/scoring.Dockerfile -t kataforge/scoring:0.1.0 .
# Its extra is `training` (= scoring + torch + onnx): training jobs run in this service's own worker processes
# (services/scoring/training), so torch is a dependency of this service, not of another image.

FROM python:3.11.13-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
WORKDIR /src
COPY pyproject.toml README.md ./
COPY kataforge ./kataforge
COPY services ./services
# torch's CPU build first, from PyTorch's own index and without its dependencies (those come from PyPI below):
# PyPI's torch 2.13.0 is the CUDA build, several GB of GPU libraries a CPU image never loads.
# The local version 2.13.0+cpu satisfies the extra's torch==2.13.0, so the next step keeps it.
RUN /opt/venv/bin/pip install --no-deps --index-url https://download.pytorch.org/whl/cpu "torch==2.13.0+cpu" \
 && /opt/venv/bin/pip install "/src[training]"

FROM python:3.11.13-slim-bookworm
RUN groupadd --gid 10001 kataforge \
 && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin kataforge \
 && install -d -o 10001 -g 10001 /var/lib/kataforge
COPY --from=build /opt/venv /opt/venv
# The default learned models are copied from the build context, not trained here: `make scoring-models` trains
# them from the motion capture in ../shared/data, which lies outside the build context, and takes minutes of torch.
# The build fails on this line when they have not been made.
COPY models/scoring /opt/kataforge/models/scoring
COPY deploy/docker/healthcheck.py /opt/kataforge/healthcheck.py
# Read-only root file system: writes go to DOJO_STATE_DIR and TMPDIR only (see auth.Dockerfile); Kubernetes
# points DOJO_DATASETS_ROOT and DOJO_CHECKPOINTS_ROOT at a volume of their own (deploy/k8s).
ENV PATH=/opt/venv/bin:$PATH PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    DOJO_STATE_DIR=/var/lib/kataforge TMPDIR=/tmp HOME=/tmp DOJO_GRPC_BIND_HOST=0.0.0.0 \
    DOJO_MODEL_DIR=/opt/kataforge/models
WORKDIR /opt/kataforge
USER 10001:10001
EXPOSE 50054
# The start period covers warm-up: migrations, the queue, and the onnxruntime sessions of the models.
HEALTHCHECK --interval=15s --timeout=6s --start-period=120s --retries=3 \
  CMD ["/opt/venv/bin/python", "/opt/kataforge/healthcheck.py", "scoring"]
ENTRYPOINT ["/opt/venv/bin/python", "-m", "services.scoring.main"]
