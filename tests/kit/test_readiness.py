"""The one readiness gate (services/kit/readiness.py): what warm-up sets answers UNAVAILABLE until then,
in every service that has something to warm up."""

from __future__ import annotations

import pytest

from services.kit import errors
from services.kit.readiness import SetAtWarmUp


class _Service:
    model = SetAtWarmUp("The example is starting")

    def __init__(self) -> None:
        self.model = None


def test_unset_is_unavailable_with_the_message_then_the_value():
    service = _Service()
    assert not _Service.model.is_set(service)
    with pytest.raises(errors.Unavailable, match="The example is starting"):
        service.model
    service.model = "ready"
    assert service.model == "ready" and _Service.model.is_set(service)
    with pytest.raises(errors.Unavailable):  # another instance is not affected
        _Service().model


def test_each_service_gates_what_its_warm_up_sets():
    from services.auth.servicer import AuthServicer
    from services.coach.reference_store import ReferenceStore
    from services.coach.store import CoachStore
    from services.pose.servicer import PoseServicer
    from services.scoring.servicer import ScoringServicer

    gates = [(AuthServicer, "core"), (CoachStore, "pool"), (ReferenceStore, "pool"), (PoseServicer, "pool"),
             (ScoringServicer, "analyzer"), (ScoringServicer, "training"), (ScoringServicer, "batches")]
    for owner, name in gates:
        assert isinstance(getattr(owner, name), SetAtWarmUp), f"{owner.__name__}.{name} is not the kit's gate"
    with pytest.raises(errors.Unavailable, match="auth service is starting"):
        AuthServicer().core
    with pytest.raises(errors.Unavailable, match="coach registry is starting"):
        CoachStore().pool
