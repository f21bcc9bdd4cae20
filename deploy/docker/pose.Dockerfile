# syntax=docker/dockerfile:1
# The pose service (MediaPipe BlazePose on the CPU): the shared kit plus its extra. Build from the repository root:
#   docker build -f deploy/docker/pose.Dockerfile -t kataforge/pose:0.1.0 .

FROM python:3.11.13-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
WORKDIR /src
COPY pyproject.toml README.md ./
COPY kataforge ./kataforge
COPY services ./services
RUN /opt/venv/bin/pip install "/src[pose]"
# The model bundle is built here, from the project's own builder (what `make model` runs; the make target itself
# would first build the whole dev venv): it needs only the pose extra and PyPI, and checks the sha256 of the two
# TFLite models it takes from the mediapipe 0.10.21 wheel, so the image never depends on a file built elsewhere.
RUN /opt/venv/bin/python -m services.pose.model_bundle --out /src/models/pose_landmarker_full.task --cache /tmp/wheels

FROM python:3.11.13-slim-bookworm
# opencv-contrib-python (which mediapipe brings) links libGL, GLib and libXext, which the slim image lacks.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libgl1 libglib2.0-0 libxext6 \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --gid 10001 kataforge \
 && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin kataforge \
 && install -d -o 10001 -g 10001 /var/lib/kataforge
COPY --from=build /opt/venv /opt/venv
COPY --from=build /src/models/pose_landmarker_full.task /opt/kataforge/models/pose_landmarker_full.task
COPY deploy/docker/healthcheck.py /opt/kataforge/healthcheck.py
# Read-only root file system: writes go to DOJO_STATE_DIR and TMPDIR (downloaded videos) only (see auth.Dockerfile).
ENV PATH=/opt/venv/bin:$PATH PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    DOJO_STATE_DIR=/var/lib/kataforge TMPDIR=/tmp HOME=/tmp DOJO_GRPC_BIND_HOST=0.0.0.0 \
    DOJO_MODEL_DIR=/opt/kataforge/models DOJO_POSE_DELEGATE=cpu
WORKDIR /opt/kataforge
USER 10001:10001
EXPOSE 50053
# The start period covers warm-up: loading the model and running a first frame before health says SERVING.
HEALTHCHECK --interval=15s --timeout=6s --start-period=120s --retries=3 \
  CMD ["/opt/venv/bin/python", "/opt/kataforge/healthcheck.py", "pose"]
ENTRYPOINT ["/opt/venv/bin/python", "-m", "services.pose.main"]
