"""Student-versus-coach comparison of a technique: DTW-aligned repetitions, differences, scores, corrections."""

from .compare import compare
from .model import ChainPairDifference, Comparison, ReferencePerformance, RepetitionComparison

__all__ = ["ChainPairDifference", "Comparison", "ReferencePerformance", "RepetitionComparison", "compare"]
