# syntax=docker/dockerfile:1
# The pose service on an NVIDIA GPU: MediaPipe's GPU delegate, which runs on OpenGL ES through EGL.
#   docker build -f deploy/docker/pose-gpu.Dockerfile -t kataforge/pose-gpu:0.1.0 .
# Same Python packages as pose.Dockerfile (mediapipe's wheel carries its GPU delegate); what differs is the EGL and
# GLES loaders, into which the NVIDIA container toolkit mounts the driver's own libraries at run time.

FROM python:3.11.13-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
WORKDIR /src
COPY pyproject.toml README.md ./
COPY kataforge ./kataforge
COPY services ./services
RUN /opt/venv/bin/pip install "/src[pose]"
# Built here from the project's own builder, as in pose.Dockerfile (it needs only the pose extra and PyPI).
RUN /opt/venv/bin/python -m services.pose.model_bundle --out /src/models/pose_landmarker_full.task --cache /tmp/wheels

FROM python:3.11.13-slim-bookworm
# libegl1/libgles2 are the GLVND loaders: the toolkit adds the NVIDIA EGL vendor library only with the "graphics"
# driver capability (below), and MediaPipe refuses a software GL, so a node without it fails the GPU probe.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libgl1 libglib2.0-0 libxext6 libegl1 libgles2 \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --gid 10001 kataforge \
 && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin kataforge \
 && install -d -o 10001 -g 10001 /var/lib/kataforge
COPY --from=build /opt/venv /opt/venv
COPY --from=build /src/models/pose_landmarker_full.task /opt/kataforge/models/pose_landmarker_full.task
COPY deploy/docker/healthcheck.py /opt/kataforge/healthcheck.py
# DOJO_POSE_DELEGATE=gpu: warm-up fails (health never SERVING) when the GPU delegate cannot run, rather than
# silently serving from the CPU on a node that was meant to have a GPU.
ENV PATH=/opt/venv/bin:$PATH PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    DOJO_STATE_DIR=/var/lib/kataforge TMPDIR=/tmp HOME=/tmp DOJO_GRPC_BIND_HOST=0.0.0.0 \
    DOJO_MODEL_DIR=/opt/kataforge/models DOJO_POSE_DELEGATE=gpu \
    NVIDIA_VISIBLE_DEVICES=all NVIDIA_DRIVER_CAPABILITIES=compute,utility,graphics
WORKDIR /opt/kataforge
USER 10001:10001
EXPOSE 50053
HEALTHCHECK --interval=15s --timeout=6s --start-period=120s --retries=3 \
  CMD ["/opt/venv/bin/python", "/opt/kataforge/healthcheck.py", "pose"]
ENTRYPOINT ["/opt/venv/bin/python", "-m", "services.pose.main"]
