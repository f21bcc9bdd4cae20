# syntax=docker/dockerfile:1
# The scoring service on an NVIDIA GPU: training workers on CUDA torch, the learned models on onnxruntime's CUDA
# provider. Build from the repository root, after `make scoring-models`:
#   docker build -f deploy/docker/scoring-gpu.Dockerfile -t kataforge/scoring-gpu:0.1.0 .
# No CUDA base image: the CUDA user-space libraries come as pip wheels with torch, and the NVIDIA container
# toolkit mounts the driver at run time, so the base stays the same Python as every other image.

FROM python:3.11.13-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
WORKDIR /src
COPY pyproject.toml README.md ./
COPY kataforge ./kataforge
COPY services ./services
# 1. torch's CUDA 13.0 build with its CUDA libraries, from PyTorch's index (PyPI's torch 2.13.0 requires
#    nvidia-nccl-cu13==2.29.7, which PyPI did not have when this was written).
# 2. The extra; torch==2.13.0 is already satisfied by 2.13.0+cu130.
# 3. onnxruntime-gpu in place of onnxruntime: both install the module `onnxruntime`, so only one may be present.
#    1.31.1 is its newest release (the CPU build is 1.32.0) and is built for CUDA 13, as torch's libraries are.
RUN /opt/venv/bin/pip install --index-url https://download.pytorch.org/whl/cu130 "torch==2.13.0+cu130" \
 && /opt/venv/bin/pip install "/src[training]" \
 && /opt/venv/bin/pip uninstall -y onnxruntime \
 && /opt/venv/bin/pip install "onnxruntime-gpu==1.31.1"

FROM python:3.11.13-slim-bookworm
COPY --from=build /opt/venv /opt/venv
# onnxruntime's CUDA provider loads libcudart/libcudnn by name: list torch's CUDA wheels' folders for the loader.
RUN find /opt/venv/lib/python3.11/site-packages/nvidia -maxdepth 2 -type d -name lib > /etc/ld.so.conf.d/nvidia-wheels.conf \
 && ldconfig \
 && groupadd --gid 10001 kataforge \
 && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin kataforge \
 && install -d -o 10001 -g 10001 /var/lib/kataforge
# Copied from the build context, as in scoring.Dockerfile: their training data lies outside it (../shared/data).
COPY models/scoring /opt/kataforge/models/scoring
COPY deploy/docker/healthcheck.py /opt/kataforge/healthcheck.py
ENV PATH=/opt/venv/bin:$PATH PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    DOJO_STATE_DIR=/var/lib/kataforge TMPDIR=/tmp HOME=/tmp DOJO_GRPC_BIND_HOST=0.0.0.0 \
    DOJO_MODEL_DIR=/opt/kataforge/models \
    NVIDIA_VISIBLE_DEVICES=all NVIDIA_DRIVER_CAPABILITIES=compute,utility
WORKDIR /opt/kataforge
USER 10001:10001
EXPOSE 50054
HEALTHCHECK --interval=15s --timeout=6s --start-period=180s --retries=3 \
  CMD ["/opt/venv/bin/python", "/opt/kataforge/healthcheck.py", "scoring"]
ENTRYPOINT ["/opt/venv/bin/python", "-m", "services.scoring.main"]
