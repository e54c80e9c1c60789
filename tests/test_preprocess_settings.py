"""The ``preprocess`` section of the config: every Preprocessor option, passed straight on."""

from __future__ import annotations

import inspect

import pandas as pd
import pytest

from topiclab.config import load_config
from topiclab.pipeline import _stage_tokens
from topiclab.preprocess import Preprocessor
from topiclab.settings import (
    PREPROCESS_NOT_IN_CONFIG,
    ConfigError,
    PreprocessSettings,
    validate_config,
)

TEXT = "Các cán bộ, đồng chí tham gia tổ chức học tập nghị quyết của Đảng"


def _parameters() -> dict[str, inspect.Parameter]:
    parameters = inspect.signature(Preprocessor.__init__).parameters
    return {name: p for name, p in parameters.items() if name != "self"}


def test_every_preprocessor_option_is_a_config_key_with_its_default():
    parameters = _parameters()
    keys = set(PreprocessSettings.model_fields)
    assert set(PREPROCESS_NOT_IN_CONFIG) <= set(parameters), "a listed exclusion is gone"
    assert all(len(reason) > 20 for reason in PREPROCESS_NOT_IN_CONFIG.values())
    assert keys == set(parameters) - set(PREPROCESS_NOT_IN_CONFIG)
    defaults = PreprocessSettings().model_dump()
    for key in keys:
        # () in the schema, () in the signature; None stays None
        assert defaults[key] == parameters[key].default, key
    # the shipped default config is the Preprocessor's defaults, key for key
    shipped = load_config(None)["preprocess"]
    assert set(shipped) == keys
    assert PreprocessSettings(**shipped).model_dump() == defaults


def _tokens(tmp_path, *overrides: str) -> list[str]:
    config = load_config(None, [f"cache={tmp_path / 'cache'}", *overrides])
    units = pd.DataFrame({"unit_id": ["u1"], "text": [TEXT]})
    settings = validate_config(config)
    (tokens,) = _stage_tokens(units, settings.preprocess, settings.parallel, settings.cache)
    return tokens


def test_extra_stopwords_set_on_the_command_line_reach_the_tokens(tmp_path):
    # this raised KeyError (an unknown key) when only 5 options were config keys
    config = load_config(None, ["preprocess.extra_stopwords=[tham_gia, cán_bộ]"])
    assert config["preprocess"]["extra_stopwords"] == ["tham_gia", "cán_bộ"]
    default = _tokens(tmp_path)
    assert {"tham_gia", "cán_bộ"} <= set(default)
    dropped = _tokens(tmp_path, "preprocess.extra_stopwords=[tham_gia, cán_bộ]")
    # "cán_bộ" is a shipped keep-word, which overrides every stoplist (the user's too) ...
    assert "tham_gia" not in dropped and "cán_bộ" in dropped
    # ... unless the keep-words are set as well
    bare = _tokens(tmp_path, "preprocess.extra_stopwords=[cán_bộ]", "preprocess.keep_words=[]")
    assert "cán_bộ" not in bare
    assert [token for token in default if token != "cán_bộ"] == bare


def test_other_options_reach_the_preprocessor(tmp_path):
    default = _tokens(tmp_path)
    assert "đảng" in default and "của" not in default  # "của" is a generic stopword
    assert "của" in _tokens(tmp_path, "preprocess.generic_stopwords=false")
    # min_length counts characters: 5 drops "đảng" (4) and keeps "cán_bộ" (6)
    longer = _tokens(tmp_path, "preprocess.min_length=5")
    assert "đảng" not in longer and "cán_bộ" in longer
    assert "của" in _tokens(tmp_path, "preprocess.keep_words=[của]")
    # scheduling keys go to the map, not to the tokens
    assert _tokens(tmp_path, "preprocess.batch_size=1", "parallel.n_jobs=1") == default


@pytest.mark.parametrize(
    "assignment",
    [
        "preprocess.extra_stopwords=5",
        "preprocess.extra_stopwords=[1, 2]",
        "preprocess.min_length=0",
        "preprocess.abbreviations=[BTV]",
        "preprocess.pos_names=maybe",
        "preprocess.batch_size=0",
        "preprocess.cache_dir=x",
    ],
)
def test_a_bad_preprocess_value_fails_before_any_work(assignment):
    key = assignment.split("=", 1)[0]
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        load_config(None, [assignment])
