"""Settings live where they act: refits and anchoring under ``models``, one ``parallel.n_jobs``.

A config that still names an old key fails before any work with one line naming the new
place and where the old key was written (a file, ``--set``, or a mapping given directly).
"""

from __future__ import annotations

import pytest

from topiclab.cli import build_parser, run_overrides
from topiclab.config import default_config, load_config
from topiclab.settings import MOVED_KEYS, UnknownConfigKeyError, validate_config

# old key, a value it took, the new key
MOVED = [
    ("themes.refits", "3", "models.refits"),
    ("themes.seed_models", "true", "models.seed_models"),
    ("themes.seed_min_weight", "2", "models.seed_min_weight"),
    ("preprocess.n_jobs", "2", "parallel.n_jobs"),
    ("models.n_jobs", "2", "parallel.n_jobs"),
]


def test_every_moved_key_is_tested():
    assert {(old, new) for old, _, new in MOVED} == set(MOVED_KEYS.items())


@pytest.mark.parametrize(("old", "value", "new"), MOVED)
def test_an_old_key_in_set_names_its_new_place(old, value, new):
    with pytest.raises(UnknownConfigKeyError) as caught:
        load_config(None, [f"{old}={value}"])
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"config key {old} (from --set {old}={value}) has moved to {new}")
    assert caught.value.key == old
    # the new place takes the same value
    section, key = new.split(".")
    loaded = load_config(None, [f"{new}={value}"])[section][key]
    assert str(loaded).lower() == value


@pytest.mark.parametrize(("old", "value", "new"), MOVED)
def test_an_old_key_in_a_config_file_names_the_file_and_the_new_place(old, value, new, tmp_path):
    section, key = old.split(".")
    path = tmp_path / "old.yaml"
    path.write_text(f"{section}:\n  {key}: {value}\n", encoding="utf-8")
    with pytest.raises(
        UnknownConfigKeyError, match=f"^config key {old} \\(from {path}\\) has moved to {new}"
    ):
        load_config(path)


@pytest.mark.parametrize(("old", "value", "new"), MOVED)
def test_an_old_key_given_to_validate_config_names_the_new_place(old, value, new):
    config = default_config()
    section, key = old.split(".")
    config[section][key] = int(value) if value.isdigit() else True
    with pytest.raises(UnknownConfigKeyError, match=f"^config key {old} has moved to {new}"):
        validate_config(config)


def test_jobs_sets_the_one_parallel_n_jobs():
    args = build_parser().parse_args(["run", "--jobs", "2"])
    config = load_config(None, run_overrides(args))
    assert config["parallel"]["n_jobs"] == 2
    assert "n_jobs" not in config["preprocess"] and "n_jobs" not in config["models"]
    assert validate_config(config).parallel.n_jobs == 2
