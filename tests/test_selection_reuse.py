"""Model selection's fits at the chosen K are the run's first refits: not fitted twice.

``topiclab run`` fits every model at every K of ``models.k_grid`` with the first refits' own
seeds (``seed + r``, ``r < STABILITY_FITS``) and parameters, so the fits at the chosen K are
those refits and the fit stage takes them instead of fitting them again; the tables are those
of a run with K fixed.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd
import pytest

from topiclab.config import load_config
from topiclab.pipeline import STABILITY_FITS, run


def _config(corpus_dir: Path, output: Path, cache: Path, *extra: str) -> dict:
    return load_config(
        overrides=[
            f"corpus.path={corpus_dir}",
            f"output={output}",
            f"cache={cache}",
            "models.k_grid=[3, 4]",
            "models.lda.passes=2",
            "models.lda.iterations=50",
            "models.nmf.max_iter=50",
            "themes.n_boot=20",
            "figures.enabled=false",
            *extra,
        ]
    )


@pytest.fixture(scope="module")
def selected_run(corpus_dir: Path, tmp_path_factory) -> tuple[Path, list[str], int]:
    """A run that selects K, with 4 refits: 3 come from selection, 1 is fitted."""
    root = tmp_path_factory.mktemp("selection_reuse")
    caplog_records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            caplog_records.append(record)

    handler, logger = Keep(level=logging.INFO), logging.getLogger("topiclab")
    previous = logger.level
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    try:
        run(_config(corpus_dir, root / "out", root / "cache", "models.refits=4"))
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)
    lines = [r.getMessage() for r in caplog_records if r.getMessage().startswith("fit: ")]
    table = pd.read_csv(root / "out" / "tables" / "model_selection.csv")
    chosen = int(table.loc[table["selected"] & (table["model"] == "lda"), "k"].iloc[0])
    return root / "out", lines, chosen


@pytest.mark.slow
def test_refits_fitted_by_selection_are_not_refitted(selected_run) -> None:
    _, lines, chosen = selected_run
    for model in ("lda", "nmf"):
        reused = [line for line in lines if line.startswith(f"fit: {model} ")]
        # the first STABILITY_FITS seeds come from selection, only the fourth is fitted
        assert sum("from model selection" in line for line in reused) == STABILITY_FITS
        assert any(line.endswith("1 refit(s) to fit") for line in reused), reused
    assert chosen in (3, 4)


@pytest.mark.slow
def test_stability_uses_the_refit_seeds(selected_run) -> None:
    output, _, _ = selected_run
    table = pd.read_csv(output / "tables" / "model_selection.csv")
    assert table["stability"].notna().all()


@pytest.mark.slow
def test_tables_equal_a_run_with_k_fixed(selected_run, corpus_dir: Path, tmp_path: Path) -> None:
    output, _, chosen = selected_run
    selection = pd.read_csv(output / "tables" / "model_selection.csv")
    # both models choose the same K on this grid, so one --k reproduces the choice
    assert set(selection.loc[selection["selected"], "k"]) == {chosen}
    fixed = tmp_path / "fixed"
    run(_config(corpus_dir, fixed, tmp_path / "cache", "models.refits=4", f"models.k={chosen}"))
    names = sorted(p.name for p in (output / "tables").glob("*.csv"))
    assert names == sorted(p.name for p in (fixed / "tables").glob("*.csv"))
    for name in names:
        if name != "model_selection.csv":
            mine = (output / "tables" / name).read_bytes()
            assert mine == (fixed / "tables" / name).read_bytes(), name


@pytest.mark.slow
def test_one_refit_gives_no_stability(corpus_dir: Path, tmp_path: Path) -> None:
    run(_config(corpus_dir, tmp_path / "out", tmp_path / "cache", "models.refits=1"))
    table = pd.read_csv(tmp_path / "out" / "tables" / "model_selection.csv")
    assert table["stability"].isna().all()
    assert len(list((tmp_path / "cache" / "models").iterdir())) == 2  # one per model


def test_jobs_reaches_the_fits_of_selection() -> None:
    from topiclab.cli import build_parser, run_overrides
    from topiclab.pipeline import _fit_jobs

    args = build_parser().parse_args(["run", "--jobs", "2"])
    config = load_config(overrides=run_overrides(args))
    # one number for tokenization and fits (parallel.n_jobs)
    assert _fit_jobs(config) == config["parallel"]["n_jobs"] == 2
