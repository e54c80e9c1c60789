"""Model selection fits each K once; its fit at the chosen K is the run's first refit.

``topiclab run`` fits every model at every K of ``models.k_grid`` once, with the first refit's
seed and parameters, so the fit at the chosen K is that refit and the fit stage takes it
instead of fitting it again; the tables are those of a run with K fixed. Stability is measured
at the chosen K over its first ``STABILITY_FITS`` refits: the value every K got when it was
fitted that many times during selection.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd
import pytest

from topiclab.config import load_config
from topiclab.evaluate import select_k
from topiclab.pipeline import (
    STABILITY_FITS,
    _lda_params,
    _nmf_params,
    prepare,
    run,
)
from topiclab.settings import validate_config


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
    """A run that selects K, with 4 refits: 1 comes from selection, 3 are fitted."""
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
    return root / "out", lines, chosen, root / "cache"


@pytest.mark.slow
def test_refits_fitted_by_selection_are_not_refitted(selected_run) -> None:
    _, lines, chosen, _ = selected_run
    for model in ("lda", "nmf"):
        reused = [line for line in lines if line.startswith(f"fit: {model} ")]
        # the first seed comes from selection (one fit per K), the other three are fitted
        assert sum("from model selection" in line for line in reused) == 1
        assert any(line.endswith("3 refit(s) to fit") for line in reused), reused
    assert chosen in (3, 4)


@pytest.mark.slow
def test_stability_at_the_chosen_k_is_that_of_three_selection_fits(
    selected_run, corpus_dir: Path
) -> None:
    """The chosen K's stability is measured on its first STABILITY_FITS refits, the same fits
    (seeds seed, seed + 1, ...) that selection used to fit at every K: the same value."""
    output, _, chosen, cache = selected_run
    table = pd.read_csv(output / "tables" / "model_selection.csv")
    assert table["stability"].notna().tolist() == table["selected"].tolist()
    assert table["note"].str.contains("stability at the chosen K only").all()
    config = _config(corpus_dir, output, cache, "models.refits=4")
    prepared = prepare(config)
    units, tokens, vectorized = prepared.units, prepared.tokens, prepared.vectorized
    settings = validate_config(config)
    models, lexicon = settings.models, settings.themes.lexicon
    seed = config["seed"]
    old = select_k(
        vectorized,
        tokens,
        k_grid=[chosen],
        seeds=[seed + r for r in range(STABILITY_FITS)],
        unit_ids=units["unit_id"].astype(str).tolist(),
        lda_params=_lda_params(models, lexicon, vectorized.vocab),
        nmf_params=_nmf_params(models, lexicon, vectorized.vocab),
    )
    for model in ("lda", "nmf"):
        mine = table.loc[table["selected"] & (table["model"] == model), "stability"].item()
        # the table is written with 6 decimals
        expected = old.loc[old["model"] == model, "stability"].item()
        assert mine == pytest.approx(expected, abs=5e-7)


@pytest.mark.slow
def test_tables_equal_a_run_with_k_fixed(selected_run, corpus_dir: Path, tmp_path: Path) -> None:
    output, _, chosen, _ = selected_run
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
    from topiclab.pipeline import _FitSettings

    args = build_parser().parse_args(["run", "--jobs", "2"])
    config = load_config(overrides=run_overrides(args))
    # one number for tokenization and fits (parallel.n_jobs)
    fitting = _FitSettings.of(validate_config(config))
    assert fitting.parallel.n_jobs == config["parallel"]["n_jobs"] == 2


@pytest.mark.slow
def test_three_selection_fits_give_every_k_its_stability(corpus_dir: Path, tmp_path: Path) -> None:
    """``models.selection_fits: 3`` (analysis.yaml) fits every K three times, as before: every
    row has its stability and the note says nothing of the chosen K only."""
    out = tmp_path / "out"
    run(_config(corpus_dir, out, tmp_path / "cache", "models.refits=3", "models.selection_fits=3"))
    table = pd.read_csv(out / "tables" / "model_selection.csv")
    assert table["stability"].notna().all()
    assert not table["note"].str.contains("chosen K only").any()
