"""Pose service: video in, BlazePose landmark sequence out (MediaPipe Tasks, CPU)."""
