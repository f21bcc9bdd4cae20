"""The shared real videos the pose tests run on, and how many workers their shared extractions use."""

from __future__ import annotations

POSE2SIM = [f"pose2sim-balancing-cam0{i}.mp4" for i in range(1, 5)]
ALL_VIDEOS = [*POSE2SIM, "sports2d-demo.mp4"]
# Segments analysed in parallel by the shared extractions (each real video is long enough for two).
EXTRACT_WORKERS = 2
