"""The shipped LDA is tomotopy at 50 sweeps; the paper's analysis.yaml keeps gensim."""

from __future__ import annotations

from pathlib import Path

from topiclab.config import default_config, load_config
from topiclab.settings import Settings

REPO = Path(__file__).resolve().parent.parent


def test_the_default_lda_is_tomotopy_at_50_sweeps_in_both_places():
    """default_config.yaml and the schema's own default agree (test_config checks every key);
    50 sweeps: tomotopy's passes are Gibbs sweeps (benchmarks/results/models.md)."""
    shipped = default_config()["models"]["lda"]
    assert (shipped["backend"], shipped["passes"]) == ("tomotopy", 50)
    assert (Settings().models.lda.backend, Settings().models.lda.passes) == ("tomotopy", 50)


def test_analysis_yaml_fits_the_validated_default_lda():
    # the simulation grid's least biased LDA (benchmarks/results/simulation_grid.md)
    models = load_config(REPO / "analysis.yaml")["models"]
    assert models["lda"] == default_config()["models"]["lda"]
    assert models["lda"]["backend"] == "tomotopy"
    # and its selection table keeps every K's stability (three fits per K)
    assert models["selection_fits"] == 3 and default_config()["models"]["selection_fits"] == 1
