"""Settings live where they act: refits and anchoring under ``models``, one ``parallel.n_jobs``;
"seed" means the random seed only, so the keys of guided topics say "anchor".

A config that still names an old key fails before any work with one line naming the new
key and where the old key was written (a file, ``--set``, or a mapping given directly).
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from topiclab.cli import build_parser, run_overrides
from topiclab.config import default_config, load_config
from topiclab.settings import MOVED_KEYS, UnknownConfigKeyError, validate_config

# old key, a value it took (YAML), the new key
MOVED = [
    ("themes.refits", "3", "models.refits"),
    ("themes.seed_models", "true", "models.anchor_models"),
    ("themes.seed_min_weight", "2", "models.anchor_min_weight"),
    ("models.seed_models", "true", "models.anchor_models"),
    ("models.seed_min_weight", "{lda: 3, nmf: 2}", "models.anchor_min_weight"),
    ("models.lda.seed_words", "{discipline: [kỷ_luật]}", "models.lda.anchor_words"),
    ("models.lda.seed_weight", "2.5", "models.lda.anchor_weight"),
    ("models.nmf.seed_weight", "0.5", "models.nmf.anchor_weight"),
    ("preprocess.n_jobs", "2", "parallel.n_jobs"),
    ("models.n_jobs", "2", "parallel.n_jobs"),
]


def _verb(old: str, new: str) -> str:
    """A key that stays in its section was renamed; one in another section moved."""
    same_section = old.rsplit(".", 1)[0] == new.rsplit(".", 1)[0]
    return "has been renamed" if same_section else "has moved"


def _nested(dotted: str, value: Any) -> dict[str, Any]:
    """``"models.lda.x", 1`` -> ``{"models": {"lda": {"x": 1}}}``."""
    for key in reversed(dotted.split(".")):
        value = {key: value}
    return value


def _lookup(config: dict[str, Any], dotted: str) -> Any:
    for key in dotted.split("."):
        config = config[key]
    return config


def test_every_moved_key_is_tested():
    assert {(old, new) for old, _, new in MOVED} == set(MOVED_KEYS.items())


@pytest.mark.parametrize(("old", "value", "new"), MOVED)
def test_an_old_key_in_set_names_its_new_place(old, value, new):
    with pytest.raises(UnknownConfigKeyError) as caught:
        load_config(None, [f"{old}={value}"])
    message = str(caught.value)
    assert "\n" not in message
    verb = _verb(old, new)
    assert message.startswith(f"config key {old} (from --set {old}={value}) {verb} to {new}")
    assert message.endswith(f"; write {new} instead")
    assert caught.value.key == old
    # the new key takes the same value
    loaded = _lookup(load_config(None, [f"{new}={value}"]), new)
    assert loaded == yaml.safe_load(value)


@pytest.mark.parametrize(("old", "value", "new"), MOVED)
def test_an_old_key_in_a_config_file_names_the_file_and_the_new_place(old, value, new, tmp_path):
    path = tmp_path / "old.yaml"
    path.write_text(
        yaml.safe_dump(_nested(old, yaml.safe_load(value)), allow_unicode=True), encoding="utf-8"
    )
    verb = _verb(old, new)
    with pytest.raises(
        UnknownConfigKeyError, match=f"^config key {old} \\(from {path}\\) {verb} to {new}"
    ):
        load_config(path)


@pytest.mark.parametrize(("old", "value", "new"), MOVED)
def test_an_old_key_given_to_validate_config_names_the_new_place(old, value, new):
    config = default_config()
    *sections, key = old.split(".")
    _lookup(config, ".".join(sections))[key] = yaml.safe_load(value)
    with pytest.raises(
        UnknownConfigKeyError, match=f"^config key {old} {_verb(old, new)} to {new}"
    ):
        validate_config(config)


@pytest.mark.parametrize(("old", "value", "new"), [m for m in MOVED if "anchor" in m[2]])
def test_renamed_guided_topic_keys_say_why(old, value, new):
    with pytest.raises(UnknownConfigKeyError, match="guided topics are anchored; seed means"):
        load_config(None, [f"{old}={value}"])


def test_the_random_seed_keeps_its_name():
    assert load_config(None, ["seed=7"])["seed"] == 7
    assert validate_config(load_config(None, ["seed=7"])).seed == 7


def test_jobs_sets_the_one_parallel_n_jobs():
    args = build_parser().parse_args(["run", "--jobs", "2"])
    config = load_config(None, run_overrides(args))
    assert config["parallel"]["n_jobs"] == 2
    assert "n_jobs" not in config["preprocess"] and "n_jobs" not in config["models"]
    assert validate_config(config).parallel.n_jobs == 2
