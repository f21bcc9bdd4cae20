"""Client-given folders stay inside their configured root (checkpoints: inside the user's own folder), whatever
`..`, absolute paths or symlinks say."""

import os

import pytest

from services.kit import errors
from services.scoring.training.checkpoints import (checkpoint_path, newest_checkpoint, resolve_checkpoint,
                                                   shown_checkpoint, user_folder)
from services.scoring.training.paths import resolve_inside


@pytest.fixture
def root(tmp_path):
    (tmp_path / "root" / "data" / "kicks").mkdir(parents=True)
    (tmp_path / "outside").mkdir()
    os.symlink(tmp_path / "outside", tmp_path / "root" / "escape")
    os.symlink(tmp_path / "root" / "data", tmp_path / "root" / "alias")
    return tmp_path / "root"


@pytest.mark.parametrize("given,relative", [("data/kicks", "data/kicks"), ("data/../data", "data"), (".", "."),
                                            ("alias/kicks", "data/kicks")])
def test_paths_inside_the_root_resolve(root, given, relative):
    assert resolve_inside(root, given, "data_dir", "DOJO_DATASETS_ROOT").relative == relative


def test_absolute_path_inside_the_root_is_accepted(root):
    assert resolve_inside(root, str(root / "data"), "data_dir", "X").path == (root / "data").resolve()


@pytest.mark.parametrize("given", ["..", "../outside", "data/../../outside", "/etc", "escape", "escape/x",
                                   "data\x00"])
def test_escapes_are_refused_naming_the_field_and_setting(root, given):
    with pytest.raises(errors.InvalidRequest) as caught:
        resolve_inside(root, given, "data_dir", "DOJO_DATASETS_ROOT")
    assert "data_dir" in caught.value.details
    assert str(root) not in caught.value.message + str(caught.value.details)  # the server's layout stays private


# ---- checkpoints: each user's own folder ---------------------------------------------------------------

REFUSAL = "no such checkpoint"


@pytest.fixture
def checkpoints_root(tmp_path):
    (tmp_path / "ck" / "alice" / "run").mkdir(parents=True)
    (tmp_path / "ck" / "alice" / "run" / "epoch_0001.pt").write_bytes(b"x")
    (tmp_path / "ck" / "bob").mkdir()
    os.symlink(tmp_path / "ck" / "alice", tmp_path / "ck" / "bob" / "sneaky")
    return tmp_path / "ck"


def test_checkpoint_paths_resolve_in_the_users_own_folder(checkpoints_root):
    mine = resolve_checkpoint(checkpoints_root, "alice", "run", "resume_from", REFUSAL)
    assert mine.path == (checkpoints_root / "alice" / "run").resolve() and mine.relative == "alice/run"
    assert shown_checkpoint("alice", mine.relative) == "run"
    assert checkpoint_path(checkpoints_root, "alice", mine.relative) == mine.path
    # The same name given by another user is that user's (missing) folder, never alice's.
    theirs = resolve_checkpoint(checkpoints_root, "bob", "run", "resume_from", REFUSAL)
    assert theirs.path == (checkpoints_root / "bob" / "run").resolve() and not theirs.path.exists()


@pytest.mark.parametrize("given", ["../alice/run", "../alice/nothing", "..", "x/../../alice", "sneaky/run",
                                   "/etc", "run\x00"])
def test_other_users_folders_are_refused_like_missing_ones(checkpoints_root, given):
    with pytest.raises(errors.InvalidRequest) as caught:
        resolve_checkpoint(checkpoints_root, "bob", given, "resume_from", REFUSAL)
    assert caught.value.details == {"resume_from": REFUSAL}  # the same words whether alice's folder exists or not


@pytest.mark.parametrize("user_id", ["..", ".", "a/b", "", "x" * 300, "ü"])
def test_odd_user_ids_get_a_plain_folder_name(user_id):
    name = user_folder(user_id)
    assert "/" not in name and name not in ("", ".", "..") and len(name) < 130
    assert user_folder("0b6f3c3e-2d0e-4f7a-9d1b-1c2d3e4f5a6b") == "0b6f3c3e-2d0e-4f7a-9d1b-1c2d3e4f5a6b"


def test_newest_checkpoint_is_none_where_this_replica_has_none(tmp_path):
    assert newest_checkpoint(tmp_path / "gone") is None
    assert newest_checkpoint(tmp_path / "gone" / "epoch_0003.pt") is None
    assert newest_checkpoint(tmp_path) is None  # a folder without epochs
    (tmp_path / "epoch_0002.pt").write_bytes(b"x")
    (tmp_path / "epoch_0010.pt").write_bytes(b"x")
    assert newest_checkpoint(tmp_path) == tmp_path / "epoch_0010.pt"
