"""`topiclab run` writes the figures: twice into fresh folders gives the same bytes everywhere.

Runs the whole pipeline (real corpus, pyvi, gensim, scikit-learn) with a fixed K and small
settings, so the module stays within a minute or two.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from topiclab.cli import main
from topiclab.figures import FIGURES, LDAVIS_FILE
from topiclab.pipeline import RUN_RECORD

FAST = [
    "--k",
    "10",  # analysis.yaml seeds nine themes
    "--set",
    "models.lda.passes=2",
    "--set",
    "models.lda.iterations=50",
    "--set",
    "themes.n_boot=50",
    "--set",
    "themes.refits=1",
    "--set",
    "figures.dpi=100",
]


def _run(repo_root: Path, output: Path, cache: Path, *extra: str) -> None:
    argv = ["run", str(repo_root / "analysis.yaml"), "--output", str(output)]
    assert main([*argv, *FAST, "--set", f"cache={cache}", *extra]) == 0


def _files(folder: Path) -> dict[str, bytes]:
    """Every file of an output by relative path, but run.json: it records the run's times."""
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path.relative_to(folder) != Path(RUN_RECORD)
    }


@pytest.fixture(scope="module")
def runs(tmp_path_factory, repo_root):
    root = tmp_path_factory.mktemp("figure_runs")
    for name in ("first", "second"):
        _run(repo_root, root / name / "figures", root / name / ".cache")
    return root


def test_run_writes_every_figure_the_ldavis_page_and_the_notes(runs):
    output = runs / "first" / "figures"
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
    first = _files(runs / "first" / "figures")
    second = _files(runs / "second" / "figures")
    assert sorted(first) == sorted(second)
    assert [name for name in first if first[name] != second[name]] == []


def test_a_figure_setting_redraws_the_figures_and_refits_nothing(runs, repo_root):
    output = runs / "first" / "figures"
    cache = runs / "first" / ".cache"
    models_before = sorted(p.name for p in (cache / "models").iterdir())
    tables_before = _files(output / "tables")
    heatmap = output / "fig1_prevalence_by_locality_lda.png"
    drawn = heatmap.stat().st_mtime_ns

    _run(repo_root, output, cache)  # same inputs: the figure stage is reused
    assert heatmap.stat().st_mtime_ns == drawn

    _run(repo_root, output, cache, "--set", "figures.language=vi")
    assert heatmap.stat().st_mtime_ns != drawn
    assert sorted(p.name for p in (cache / "models").iterdir()) == models_before
    assert _files(output / "tables") == tables_before
    assert "language: vi" in (output / "ENVIRONMENT.txt").read_text(encoding="utf-8")
