"""The kit's server interceptor: what it reads from the protos' method options."""

from services.kit.interceptors import success_status


def test_success_status_comes_from_the_method_option():
    assert success_status("/kataforge.coach.v1.CoachService/CreateCoach") == 201
    assert success_status("/kataforge.scoring.v1.ScoringService/SubmitBatch") == 202
    assert success_status("/kataforge.coach.v1.CoachService/GetCoach") == 0  # no option: a plain 200
    assert success_status("/no.such.Service/Method") == 0
