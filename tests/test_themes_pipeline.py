"""`topiclab run analysis.yaml` writes every table, with model selection, deterministically."""

from __future__ import annotations

import pandas as pd
import pytest

from topiclab.cli import main
from topiclab.config import load_config
from topiclab.pipeline import TABLES, _FitSettings, _stage_model_selection, anchor_words
from topiclab.settings import ModelSettings, validate_config
from topiclab.themes import load_lexicon

# small passes keep the suite fast; everything else comes from analysis.yaml
FAST = [
    "--set",
    "models.lda.passes=2",
    "--set",
    "models.lda.iterations=50",
    "--set",
    "models.nmf.max_iter=300",
    "--set",
    "models.k_grid=[10, 12]",  # analysis.yaml anchors nine themes
    "--set",
    "themes.n_boot=100",
    # the figures have their own tests; these check the tables
    "--set",
    "figures.enabled=false",
]


@pytest.fixture(scope="module")
def analysis_runs(tmp_path_factory, repo_root):
    """Two independent runs of analysis.yaml, each with its own empty cache; the second fits
    its models in two processes."""
    root = tmp_path_factory.mktemp("analysis")
    for name, jobs in (("first", 1), ("second", 2)):
        argv = ["run", str(repo_root / "analysis.yaml"), "--output", str(root / name)]
        argv += [*FAST, "--set", f"parallel.n_jobs={jobs}"]
        assert main([*argv, "--set", f"cache={root / ('cache_' + name)}"]) == 0
    return root


@pytest.mark.slow  # two runs with model selection
def test_analysis_yaml_writes_every_table(analysis_runs):
    tables = analysis_runs / "first" / "tables"
    for name in TABLES:
        assert (tables / name).is_file(), name
    selection = pd.read_csv(tables / "model_selection.csv")
    assert set(selection["k"]) == {10, 12}
    assert {"c_v", "c_npmi", "u_mass", "diversity", "stability", "selected"} <= set(
        selection.columns
    )
    # exactly one K selected per model, and that K is the one fitted
    chosen = selection[selection["selected"]].set_index("model")["k"]
    assert sorted(chosen.index) == ["lda", "nmf"]
    topics = pd.read_csv(tables / "topics.csv")
    assert topics.groupby("model")["topic"].nunique().to_dict() == chosen.to_dict()


@pytest.mark.slow  # two runs with model selection
def test_two_runs_without_a_shared_cache_write_identical_bytes(analysis_runs):
    # also one fitting serially and one in two processes
    for name in TABLES:
        first = (analysis_runs / "first" / "tables" / name).read_bytes()
        second = (analysis_runs / "second" / "tables" / name).read_bytes()
        assert first == second, name


def test_anchored_models_need_k_at_least_the_number_of_themes(tmp_path):
    config = load_config(
        None,
        {"models": {"anchor_models": True, "k_grid": [4, 6]}, "cache": str(tmp_path)},
    )

    class Tiny:
        vocab = tuple(f"w{i}" for i in range(50))
        n_units = 40

    with pytest.raises(ValueError, match="at least"):
        _stage_model_selection(Tiny(), [], _FitSettings.of(validate_config(config)))


def test_anchor_words_follow_the_lexicon_weights_per_model():
    lexicon = load_lexicon()
    models = validate_config(load_config(None, {"models": {"anchor_models": True}})).models
    lda, nmf = anchor_words(models, None, "lda"), anchor_words(models, None, "nmf")
    discipline = lexicon["party_discipline"].terms
    assert set(lda["party_discipline"]) == {t for t, w in discipline.items() if w >= 3}
    assert set(nmf["party_discipline"]) == {t for t, w in discipline.items() if w >= 2}
    assert "kiểm_điểm" in nmf["party_discipline"] and "kiểm_điểm" not in lda["party_discipline"]
    # one number applies to both models
    both = ModelSettings(anchor_models=True, anchor_min_weight=2)
    assert anchor_words(both, None, "lda") == anchor_words(both, None, "nmf") == nmf
    # a whole config with a missing entry fails validation; the section alone reaches here
    missing = ModelSettings(anchor_models=True, anchor_min_weight={"lda": 3})
    with pytest.raises(KeyError, match="no entry for 'nmf'"):
        anchor_words(missing, None, "nmf")
    # not anchored unless asked
    assert anchor_words(ModelSettings(), None, "lda") is None
