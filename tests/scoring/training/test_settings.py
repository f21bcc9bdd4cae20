"""The training settings: DOJO_* names, defaults relative to the state folder, fail-fast validation."""

from pathlib import Path

import pytest

from services.kit.config import ConfigError, load_settings
from services.kit.paths import SHARED_DATA as DATA


def test_defaults(tmp_path):
    s = load_settings({"DOJO_STATE_DIR": str(tmp_path / "state")}, config_file=str(tmp_path / "none.yaml"))
    assert (s.training_max_epochs, s.training_concurrency) == (500, 1)
    assert s.checkpoints_path == tmp_path / "state" / "checkpoints"
    # The repository's sibling shared/data when it is there (it is in CI), else a folder in the state.
    assert s.datasets_path == (DATA if DATA.is_dir() else tmp_path / "state" / "datasets")


def test_env_overrides(tmp_path):
    s = load_settings({"DOJO_DATASETS_ROOT": "/srv/data", "DOJO_CHECKPOINTS_ROOT": "/srv/ckpt",
                       "DOJO_TRAINING_MAX_EPOCHS": "50", "DOJO_TRAINING_CONCURRENCY": "2"},
                      config_file=str(tmp_path / "none.yaml"))
    assert (s.datasets_path, s.checkpoints_path) == (Path("/srv/data"), Path("/srv/ckpt"))
    assert (s.training_max_epochs, s.training_concurrency) == (50, 2)


@pytest.mark.parametrize("var,value", [("DOJO_TRAINING_MAX_EPOCHS", "0"), ("DOJO_TRAINING_CONCURRENCY", "-1"),
                                       ("DOJO_TRAINING_CONCURRENCY", "two")])
def test_bad_values_name_the_variable(tmp_path, var, value):
    with pytest.raises(ConfigError, match=var):
        load_settings({var: value}, config_file=str(tmp_path / "none.yaml"))
