"""The timeline of a verbose analysis: per-frame landmarks, speeds and angles, repetitions and their phases,
the corrections' moments and the coach's reference aligned to the student (what a page replays; it draws,
it computes no physics)."""

from .build import build_timeline
from .messages import timeline_message

__all__ = ["build_timeline", "timeline_message"]
