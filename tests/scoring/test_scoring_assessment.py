"""assessment + technique_models on the CMU karate capture: repetitions, norms vs coach reference, models."""

from __future__ import annotations


import pytest

from services.kit.paths import REPO, CMU_KARATE as CMU
from services.scoring.analysis import CoachReference
from services.scoring.assessment import assess, cut, prepare
from services.scoring.biomechanics import Motion
from services.scoring.mocap.cmu import load_clips
from services.scoring.technique_models import TechniqueModels

DEFAULT_MODELS = REPO / "models" / "scoring"


@pytest.fixture(scope="module")
def clips():
    return {c.technique: c.motion for c in load_clips(CMU)}


def hips_centred(m: Motion) -> Motion:
    """What the pose service delivers: the same motion with the origin between the hips."""
    centre = 0.5 * (m.world[:, 23] + m.world[:, 24])
    return Motion(t=m.t, world=m.world - centre[:, None, :], visibility=m.visibility, detected=m.detected)


def clip_part(m: Motion, lo: float, hi: float) -> Motion:
    keep = (m.t >= lo) & (m.t <= hi)
    return Motion(t=m.t[keep] - m.t[keep][0], world=m.world[keep], visibility=m.visibility[keep],
                  detected=m.detected[keep])


@pytest.fixture(scope="module")
def models():
    if not (DEFAULT_MODELS / "graphsage.onnx").is_file():
        pytest.fail("default models missing: run `make scoring-models` (make test builds them)")
    return TechniqueModels(DEFAULT_MODELS)


def test_prepare_finds_the_repetitions_and_cuts_the_fastest(clips):
    p = prepare(clips["roundhouse"], "roundhouse")
    assert p.family == "kick" and len(p.repetitions) == 4
    fastest = max(p.repetitions, key=lambda r: r.peak_speed_m_s)
    assert p.focus.t[-1] == pytest.approx(fastest.end_s - fastest.start_s + 0.2, abs=0.02)


def test_without_a_reference_the_scores_come_from_the_norms(clips):
    p = prepare(clips["front_kick"], "front_kick")
    body = assess(p, technique="front_kick", body_mass_kg=70, coach_name="Nagato", references=[], models=None)
    assert body["details"]["scored_against"] == "norms"
    assert "Nagato has no reference performance of 'front_kick'" in body["details"]["comparison"]["reason"]
    assert len(body["details"]["repetitions"]) == 3
    assert body["metrics"]["biomechanics"]["max_speed"] == pytest.approx(10.5, abs=1.0)


def test_with_a_reference_the_scores_and_corrections_come_from_the_comparison(clips):
    kick = hips_centred(clips["front_kick"])
    coach = clip_part(kick, 2.5, 3.6)             # the first kick only, as a coach would record it
    p = prepare(kick, "front_kick")
    body = assess(p, technique="front_kick", body_mass_kg=70, coach_name="Nagato",
                  references=[CoachReference("ref_1", "front_kick", coach, 70.0)], models=None)
    d = body["details"]
    assert d["scored_against"] == "coach_reference" and d["reference_id"] == "ref_1"
    assert len(d["comparison"]["repetitions"]) == 3
    assert d["similarity_to_reference_pct"] > 70          # the same karateka's own kicks
    assert len(body["corrections"]) <= 6
    assert all(0 <= v <= 10 for v in body["metrics"]["aspect_scores"].values())
    # the same kick as its own reference: nothing to correct, top marks
    own = assess(prepare(coach, "front_kick"), technique="front_kick", body_mass_kg=70, coach_name="Nagato",
                 references=[CoachReference("ref_1", "front_kick", coach, 70.0)], models=None)
    assert own["corrections"] == [] and own["metrics"]["overall_score"] == 10.0


def test_a_reference_without_a_repetition_falls_back_to_the_norms_and_says_why(clips):
    kick = hips_centred(clips["front_kick"])
    still = clip_part(kick, 0.0, 1.5)              # the opening stance: no kick in it
    body = assess(prepare(kick, "front_kick"), technique="front_kick", body_mass_kg=70, coach_name="Nagato",
                  references=[CoachReference("ref_still", "front_kick", still)], models=None)
    assert body["details"]["scored_against"] == "norms"
    assert "Nagato's reference" in body["details"]["comparison"]["reason"]
    assert any("Not compared with Nagato's reference" in r for r in body["recommendations"])


@pytest.mark.parametrize("technique", ["front_kick", "side_kick", "lunge_punch", "knife_hand_block"])
def test_default_models_recognise_the_technique_of_a_repetition(clips, models, technique):
    m = hips_centred(clips[technique])
    focus = prepare(m, "").focus
    chosen = models.defaults
    assert set(chosen) == {"graphsage", "form_assessor", "style_encoder"}
    import asyncio
    per = asyncio.run(models.for_coach("nagato"))
    rec = per.recognise(focus)
    assert rec.technique == technique and 0.5 < rec.confidence <= 1.0
    assert rec.model == "graphsage (default)"
    form = per.assess_form(focus)
    assert set(form) == {"speed", "force", "timing", "balance", "coordination"}
    assert all(0 <= v <= 10 for v in form.values())
    assert per.similarity(focus, focus) == pytest.approx(1.0, abs=1e-5)
    assert [t["model"] for t in per.timings()] == ["graphsage", "form_assessor", "style_encoder"]
    assert all(0 < t["seconds"] < 1 for t in per.timings())


def test_too_short_a_cut_is_not_given_to_the_models(clips, models):
    import asyncio
    per = asyncio.run(models.for_coach(""))
    m = hips_centred(clips["front_kick"])
    tiny = cut(m, 0.0, 0.02)
    assert tiny.t.size == 3 and per.recognise(tiny) is None and per.timings() == []
