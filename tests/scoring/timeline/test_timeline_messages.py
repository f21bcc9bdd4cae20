"""messages.py: a stored timeline -> AnalysisTimeline, and back to the same JSON by the edge's shaping."""

from __future__ import annotations

import math

import pytest

from kataforge.scoring.v1 import scoring_pb2
from services.edge.shaping import analysis_json, timeline_json
from services.scoring.timeline import build_timeline, timeline_message


@pytest.mark.parametrize("clip", ["cmu_kick", "video_pair", "video_alone"])
def test_the_rest_json_is_the_timeline_as_built(request, clip):
    a = request.getfixturevalue(clip)
    built = build_timeline(a.assessed, a.prepared, width=a.width, height=a.height)
    message = timeline_message(built)
    assert message.HasField("reference") == ("reference" in built)
    # not measured: NaN in the message (proto3 JSON would print "NaN"), null in REST
    missing = [i for i, v in enumerate(message.series[0].values) if math.isnan(v)]
    assert missing and all(built["series"][0]["values"][i] is None for i in missing)
    assert timeline_json(message) == built


def test_an_analysis_carries_its_timeline_only_when_it_has_one(video_pair):
    built = build_timeline(video_pair.assessed, video_pair.prepared, width=video_pair.width, height=video_pair.height)
    analysis = scoring_pb2.Analysis(id="analysis_1", corrections=video_pair.assessed.body["corrections"])
    assert "timeline" not in analysis_json(analysis)
    timeline_message(built, analysis.timeline)
    shaped = analysis_json(analysis)
    assert shaped["timeline"] == built and shaped["id"] == "analysis_1"
    assert len(shaped["timeline"]["correction_times_ms"]) == len(shaped["corrections"])
