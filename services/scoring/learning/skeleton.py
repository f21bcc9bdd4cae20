"""The BlazePose skeleton as a graph: its edges and their normalised adjacency."""

from __future__ import annotations

import numpy as np

from services.scoring.biomechanics.landmarks import N_LANDMARKS

# Source: google-ai-edge/mediapipe, mediapipe/python/solutions/pose_connections.py (POSE_CONNECTIONS),
# 35 undirected edges between the 33 BlazePose landmarks (face, arms and hands, torso, legs and feet).
POSE_CONNECTIONS: tuple[tuple[int, int], ...] = (
    (0, 1), (1, 2), (2, 3), (3, 7), (0, 4), (4, 5), (5, 6), (6, 8), (9, 10),
    (11, 12), (11, 13), (13, 15), (15, 17), (15, 19), (15, 21), (17, 19),
    (12, 14), (14, 16), (16, 18), (16, 20), (16, 22), (18, 20),
    (11, 23), (12, 24), (23, 24), (23, 25), (24, 26), (25, 27), (26, 28),
    (27, 29), (28, 30), (29, 31), (30, 32), (27, 31), (28, 32),
)

def mean_adjacency() -> np.ndarray:
    """[33,33] float32 row-normalised adjacency D^-1 A (no self loops): row v averages v's neighbours.

    This is GraphSAGE's mean aggregator (Hamilton, Ying & Leskovec 2017, "Inductive Representation
    Learning on Large Graphs", eq. for AGGREGATE_mean) written as a fixed matrix, so that the model
    is a plain MatMul in ONNX.
    """
    a = np.zeros((N_LANDMARKS, N_LANDMARKS), dtype=np.float32)
    for i, j in POSE_CONNECTIONS:
        a[i, j] = a[j, i] = 1.0
    return a / a.sum(axis=1, keepdims=True)
