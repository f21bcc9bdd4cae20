"""Biomechanics core: landmark sequence -> speeds, forces, sequencing, balance, scores (numpy/scipy only)."""

from .motion import Motion
from .report import AspectScores, BiomechanicsReport, analyze_motion

__all__ = ["AspectScores", "BiomechanicsReport", "Motion", "analyze_motion"]
