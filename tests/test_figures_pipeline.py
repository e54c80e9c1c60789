"""`topiclab run` writes the figures: twice into fresh folders gives the same bytes everywhere.

Runs the whole pipeline (real corpus, pyvi, gensim, scikit-learn) with a fixed K and small
settings: the first run is the session's shared run (``shared_run`` in conftest.py), the
second one of this module's own, in an empty cache of its own.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from topiclab.cli import main
from topiclab.figures import FIGURES, LDAVIS_FILE
from topiclab.pipeline import RUN_RECORD


def _run(shared_run, output: Path, cache: Path, *extra: str) -> None:
    """The shared run's command line, into ``output`` with the cache ``cache``."""
    assert main(shared_run.argv(output, cache, *extra)) == 0


def _files(folder: Path) -> dict[str, bytes]:
    """Every file of an output by relative path, but run.json: it records the run's times."""
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path.relative_to(folder) != Path(RUN_RECORD)
    }


@pytest.fixture(scope="module")
def runs(tmp_path_factory, shared_run) -> dict[str, Path]:
    """The output folders of two fresh runs: ``first`` is the shared run, ``second`` the same
    command into an empty output and an empty cache, at the same depth (the outputs record
    the corpus path relative to themselves)."""
    second = tmp_path_factory.mktemp("second") / "figures"
    _run(shared_run, second, second.parent / ".cache")
    return {"first": shared_run.output, "second": second}


def test_run_writes_every_figure_the_ldavis_page_and_the_notes(shared_run):
    output = shared_run.output
    for name in FIGURES:
        if name == "fig4_model_selection":
            continue  # --k skips model selection; the README says so instead
        assert (output / f"{name}.pdf").is_file(), name
        assert (output / f"{name}.png").is_file(), name
    for name in (LDAVIS_FILE, "README.md", "ENVIRONMENT.txt", "tables/topic_terms.csv"):
        assert (output / name).is_file(), name
    readme = (output / "README.md").read_text(encoding="utf-8")
    assert "| fig4_model_selection | not drawn |" in readme
    assert "model selection skipped" in readme


def test_two_fresh_runs_write_identical_bytes_in_every_file(runs):
    first = _files(runs["first"])
    second = _files(runs["second"])
    assert sorted(first) == sorted(second)
    assert [name for name in first if first[name] != second[name]] == []


def test_a_figure_setting_redraws_the_figures_and_refits_nothing(shared_run, tmp_path):
    # a copy of the first run and its cache, side by side as they were: the shared run
    # itself is only read
    output, cache = tmp_path / shared_run.output.name, tmp_path / shared_run.cache.name
    shutil.copytree(shared_run.output, output)
    shutil.copytree(shared_run.cache, cache)
    models_before = sorted(p.name for p in (cache / "models").iterdir())
    tables_before = _files(output / "tables")
    heatmap = output / "fig1_prevalence_by_locality_lda.png"
    drawn = heatmap.stat().st_mtime_ns

    _run(shared_run, output, cache)  # same inputs: the figure stage is reused
    assert heatmap.stat().st_mtime_ns == drawn

    _run(shared_run, output, cache, "--set", "figures.language=vi")
    assert heatmap.stat().st_mtime_ns != drawn
    assert sorted(p.name for p in (cache / "models").iterdir()) == models_before
    assert _files(output / "tables") == tables_before
    assert "language: vi" in (output / "ENVIRONMENT.txt").read_text(encoding="utf-8")
