"""What `kataforge serve` (services/kit/supervisor.py) hands each child: its metrics port, derived from its gRPC
port (the edge keeps /metrics on its API port). The run itself: tests/integration/test_serve.py."""

import pytest

from services.kit.config import ConfigError, Settings, replace
from services.kit.supervisor import SERVICES, child_env, metrics_port


def test_each_backend_gets_its_grpc_port_plus_1000_even_over_an_explicit_one():
    env = {"DOJO_INTERNAL_SECRET": "master", "DOJO_METRICS_PORT": "9464"}  # one port cannot serve four processes
    settings = Settings()
    ports = {name: child_env(name, env, settings).get("DOJO_METRICS_PORT") for name in SERVICES}
    assert ports == {"auth": "51051", "coach": "51052", "pose": "51053", "scoring": "51054", "edge": None}
    assert metrics_port(settings, "edge") is None  # the edge ignores the setting: /metrics on DOJO_API_PORT
    moved = replace(settings, pose_addr="10.0.0.5:6000")
    assert child_env("pose", env, moved)["DOJO_METRICS_PORT"] == "7000"


def test_an_address_without_room_for_its_metrics_port_is_refused():
    with pytest.raises(ConfigError, match="DOJO_SCORING_ADDR"):
        metrics_port(replace(Settings(), scoring_addr="127.0.0.1:65000"), "scoring")
