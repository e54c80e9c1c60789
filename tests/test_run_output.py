"""`topiclab run` writes a whole output set or nothing, and finishes on a corpus without dates.

The runs use the shipped articles (real pyvi, gensim, scikit-learn) with small settings: once
as the shipped folder (the session's shared run of ``analysis.yaml``, conftest.py), once as a
JSON-lines table whose texts have their dates removed, as a researcher's undated corpus would
be. A failed run and a killed run must each leave the previous output byte-identical; the
output records the run in ``run.json``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pandas as pd
import pytest

from topiclab import pipeline
from topiclab.cli import main
from topiclab.io import current_umask, write_table
from topiclab.progress import progress, summarised_warnings
from topiclab.themes import compare

FAST = [
    "--k",
    "4",
    "--set",
    "models.lda.passes=2",
    "--set",
    "models.lda.iterations=50",
    "--set",
    "themes.n_boot=30",
    "--set",
    "models.refits=1",
    "--set",
    "figures.dpi=40",
    "--set",
    "figures.formats=[png]",
]
# every date form the reader infers a date from: the undated corpus must have none
DATES = re.compile(
    r"(?i)ngày\s+\d{1,2}\s+tháng\s+\d{1,2}\s+năm\s+\d{4}"
    r"|\d{1,2}\s+tháng\s+\d{1,2},?\s+\d{4}"
    r"|\d{1,2}\s*[/.\-]\s*\d{1,2}\s*[/.\-]\s*\d{4}"
    r"|\d{4}-\d{2}-\d{2}"
)
EVERY_TABLE = [*pipeline.TABLES, "topic_terms.csv"]


def _undated_corpus(raw_files: list[Path], path: Path) -> Path:
    """The shipped articles as a JSON-lines table with every date removed from their text."""
    with path.open("w", encoding="utf-8") as handle:
        for raw in raw_files:
            text = DATES.sub(" ", raw.read_text(encoding="utf-8"))
            handle.write(json.dumps({"id": raw.stem, "text": text}, ensure_ascii=False) + "\n")
    return path


def _run(corpus: Path, output: Path, cache: Path, *extra: str) -> int:
    argv = ["run", "--corpus", str(corpus), "--output", str(output), "--set", f"cache={cache}"]
    return main([*argv, *FAST, *extra])


def _digests(folder: Path) -> dict[str, str]:
    """SHA-256 of every file under ``folder``, by relative path."""
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


@pytest.fixture(scope="module")
def root(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("run_output")


@pytest.fixture(scope="module")
def undated(root, raw_files) -> Path:
    return _undated_corpus(raw_files, root / "undated.jsonl")


@pytest.fixture(scope="module")
def complete(shared_run) -> Path:
    """A finished run of the shipped corpus (both models, every figure it can draw): the
    session's shared run, only read here (the tests that rerun into it copy it first)."""
    return shared_run.output


@pytest.fixture(scope="module")
def undated_nmf(root, undated) -> Path:
    """A run of the undated corpus with NMF only, its cache inside the output folder."""
    output = root / "undated_nmf"
    assert _run(undated, output, output / ".cache", "--models", "nmf") == 0
    return output


def _previous(complete: Path, tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A copy of a complete output, and the digests of its files."""
    output = tmp_path / "out"
    shutil.copytree(complete, output)
    return output, _digests(output)


# -------------------------------------------------------------------------- runs that finish


def test_an_undated_one_model_corpus_finishes_with_every_table(undated_nmf):
    tables = undated_nmf / "tables"
    for name in EVERY_TABLE:
        assert (tables / name).is_file(), name
    documents = pd.read_csv(tables / "documents.csv")
    assert len(documents) == 5 and documents["year"].isna().all()
    by_year = pd.read_csv(tables / "theme_prevalence_by_year.csv")
    assert by_year.empty and {"year", "theme", "mean", "lower", "upper"} <= set(by_year.columns)
    for name in ("README.md", "ENVIRONMENT.txt", "run.json"):
        assert (undated_nmf / name).is_file(), name
    drawn = {path.stem for path in undated_nmf.glob("fig*.png")}
    assert "fig1_prevalence_by_locality_nmf" in drawn
    assert "fig7_corpus_overview" in drawn
    assert not drawn & {"fig2_prevalence_by_year", "fig5_alignment", "fig3_top_terms_lda"}


def test_the_output_readme_lists_each_skipped_figure_with_its_reason(undated_nmf):
    readme = (undated_nmf / "README.md").read_text(encoding="utf-8")
    skipped = dict(re.findall(r"^- `([^`]+)`: (.+)$", readme, re.MULTILINE))
    assert "no document has a known year" in skipped["fig2_prevalence_by_year"]
    assert "alignment needs both lda and nmf" in skipped["fig5_alignment"]
    assert "model 'lda'" in skipped["fig1_prevalence_by_locality_lda"]
    assert "ldavis_lda" in skipped
    assert "fig1_prevalence_by_locality_nmf" not in skipped
    record = json.loads((undated_nmf / "run.json").read_text(encoding="utf-8"))
    assert sorted(record["figures_not_drawn"]) == sorted(skipped)


def test_a_cache_inside_the_output_survives_the_swap(undated_nmf):
    assert any((undated_nmf / ".cache" / "models").iterdir())


def test_figure_checks_read_the_data_not_just_the_file():
    from topiclab.figures import FIGURES

    undated = {"theme_prevalence_by_year.csv": pd.DataFrame(columns=["model", "year", "theme"])}
    assert "no document has a known year" in FIGURES["fig2_prevalence_by_year"].needs(undated)
    nowhere = {
        "theme_prevalence_by_locality.csv": pd.DataFrame(
            {"model": ["lda"], "locality": [pd.NA], "theme": ["x"]}
        )
    }
    reason = FIGURES["fig1_prevalence_by_locality_lda"].needs(nowhere)
    assert "no document has a known locality" in reason


# ----------------------------------------------------------------------- the output as a set


def test_run_json_records_status_checksums_times_and_versions(complete):
    record = json.loads((complete / "run.json").read_text(encoding="utf-8"))
    assert record["status"] == "complete"
    manifest = (complete / "tables" / "manifest.csv").read_bytes()
    assert record["corpus_sha256"] == hashlib.sha256(manifest).hexdigest()
    assert re.fullmatch(r"[0-9a-f]{64}", record["config_sha256"])
    assert record["started"] <= record["finished"]
    assert {"topiclab", "python", "numpy", "gensim", "scikit-learn"} <= set(record["versions"])
    # ENVIRONMENT.txt is compared between builds: no cache folder (machine-specific) in it
    environment = (complete / "ENVIRONMENT.txt").read_text(encoding="utf-8")
    assert "cache" not in environment
    assert not list(complete.parent.glob(f"{complete.name}.staging-*"))
    assert not list(complete.parent.glob(f"{complete.name}.replaced-*"))


def test_a_failed_run_leaves_the_previous_output_byte_identical(complete, undated, tmp_path):
    output, before = _previous(complete, tmp_path)
    # valid settings, but no K of the grid fits five documents: fails after the corpus
    # tables of another corpus were written
    code = _run(undated, output, tmp_path / "cache", "--set", "models.k=null", "--set",
                "models.k_grid=[500]")  # fmt: skip
    assert code == 2
    assert _digests(output) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache", "out"]


def test_a_killed_run_leaves_the_previous_output_byte_identical(complete, corpus_dir, tmp_path):
    output, before = _previous(complete, tmp_path)
    argv = [sys.executable, "-m", "topiclab.cli", "run", "--corpus", str(corpus_dir)]
    argv += ["--output", str(output), "--set", f"cache={tmp_path / 'cache'}"]
    # model selection over a grid with the default passes: the run is long past the tables
    # of the corpus when it is killed
    argv += ["--set", "models.k_grid=[2,3,4]", "--set", "models.refits=1"]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    process = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    manifest = output / "tables" / "manifest.csv"
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and process.poll() is None:
            staged = list(tmp_path.glob("out.staging-*/tables/units.csv"))
            if (
                staged
                or hashlib.sha256(manifest.read_bytes()).hexdigest()
                != before["tables/manifest.csv"]
            ):
                break
            time.sleep(0.02)
        assert process.poll() is None, process.stderr.read().decode()
        time.sleep(0.5)  # well into vectorizing and fitting
        process.send_signal(signal.SIGKILL)
    finally:
        process.kill()
        process.wait()
    assert _digests(output) == before
    # the killed run's staging folder is removed by the next run
    leftovers = list(tmp_path.glob("out.staging-*"))
    assert [p.name for p in leftovers] == [f"out.staging-{process.pid}"]
    pipeline._clean_leftovers(output)
    assert not list(tmp_path.glob("out.staging-*"))


def test_a_swap_killed_between_its_renames_is_undone_by_the_next_run(tmp_path):
    output = tmp_path / "out"
    aside = tmp_path / "out.replaced-999999999"  # no process has this id
    aside.mkdir()
    (aside / "run.json").write_text("{}", encoding="utf-8")
    pipeline._clean_leftovers(output)
    assert (output / "run.json").is_file() and not aside.exists()


def test_figures_off_replaces_old_figures_and_records_the_new_seed(complete, corpus_dir, tmp_path):
    output, _ = _previous(complete, tmp_path)
    assert list(output.glob("fig*.png"))
    code = _run(
        corpus_dir, output, tmp_path / "cache", "--seed", "7", "--set", "figures.enabled=false"
    )
    assert code == 0
    assert not list(output.glob("fig*")) and not (output / "ldavis_lda.html").exists()
    assert "seed: 7" in (output / "ENVIRONMENT.txt").read_text(encoding="utf-8")
    assert "figures.enabled" in (output / "README.md").read_text(encoding="utf-8")
    for name in EVERY_TABLE:
        assert (output / "tables" / name).is_file(), name


def test_a_folder_of_other_files_is_refused_and_left_alone(corpus_dir, tmp_path, capsys):
    output = tmp_path / "papers"
    output.mkdir()
    (output / "draft.docx").write_bytes(b"mine")
    assert _run(corpus_dir, output, tmp_path / "cache") == 2
    assert "holds files topiclab did not write" in capsys.readouterr().err
    assert [p.name for p in output.iterdir()] == ["draft.docx"]
    not_a_folder = tmp_path / "file.txt"
    not_a_folder.write_text("x", encoding="utf-8")
    assert _run(corpus_dir, not_a_folder, tmp_path / "cache") == 2
    assert not_a_folder.read_text(encoding="utf-8") == "x"


# -------------------------------------------------------------------------------- permissions


def test_a_written_table_is_0644_under_umask_022(tmp_path):
    old = os.umask(0o022)
    current_umask.cache_clear()
    try:
        path = write_table(pd.DataFrame({"a": [1]}), tmp_path / "t.csv")
    finally:
        os.umask(old)
        current_umask.cache_clear()
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


def test_run_outputs_get_the_users_permissions(complete):
    mask = current_umask()
    for path in [complete / "run.json", complete / "tables" / "units.csv"]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~mask, path
    assert stat.S_IMODE(complete.stat().st_mode) == 0o777 & ~mask


# ----------------------------------------------------------------------------------- progress


def test_progress_is_silent_when_stderr_is_not_a_terminal():
    # pytest captures stderr: not a terminal
    assert progress(range(3), desc="units", unit="unit").disable
    assert not progress(range(3), desc="units", enabled=True).disable


def test_repeated_warnings_are_logged_once_per_stage_with_their_count(caplog):
    import numpy as np
    from sklearn.decomposition import NMF
    from sklearn.exceptions import ConvergenceWarning

    matrix = np.random.default_rng(0).random((20, 12))
    with caplog.at_level(logging.WARNING, logger="topiclab.progress"):
        with summarised_warnings("fit"):
            for seed in range(4):
                NMF(3, max_iter=1, random_state=seed).fit(matrix)
    lines = [r.getMessage() for r in caplog.records if "ConvergenceWarning" in r.getMessage()]
    assert len(lines) == 1
    assert lines[0].startswith("stage fit: 4 ConvergenceWarnings (")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # and the filters are as they were after the stage
        with pytest.raises(ConvergenceWarning):
            NMF(3, max_iter=1, random_state=0).fit(matrix)


def test_documents_without_a_year_are_counted_as_documents(caplog):
    shares = pd.DataFrame(
        {
            "doc_id": ["a", "b", "c"] * 4,
            "model": ["lda"] * 6 + ["nmf"] * 6,
            "replicate": [0, 0, 0, 1, 1, 1] * 2,
            "year": [2020, None, None] * 4,
            "t": [0.5] * 12,
        }
    )
    with caplog.at_level(logging.WARNING, logger="topiclab.themes"):
        compare(shares, by="year", n_boot=10, random_state=0, themes=["t"])
    assert "2 of 3 documents have no year" in caplog.text


def test_a_cache_left_inside_an_output_by_a_failed_first_run_is_not_a_strangers_file(tmp_path):
    output = tmp_path / "out"
    (output / ".cache" / "tokens").mkdir(parents=True)
    pipeline.check_output(output, output / ".cache")  # the cache alone: accepted
    (output / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(ValueError, match="did not write"):
        pipeline.check_output(output, output / ".cache")


def test_warnings_of_fits_in_worker_processes_are_counted_in_the_calling_stage(caplog):
    import numpy as np
    from scipy import sparse

    from topiclab.evaluate import fit_topic_models

    matrix = sparse.csr_matrix(np.random.default_rng(0).random((20, 12)))
    vocab = [f"w{j}" for j in range(12)]
    tasks = [("nmf", 3, seed, matrix, vocab, {"max_iter": 1}, None) for seed in range(3)]
    with caplog.at_level(logging.WARNING, logger="topiclab.progress"):
        with summarised_warnings("refits"):
            results = list(fit_topic_models(tasks, n_jobs=2))
    assert len(results) == 3
    lines = [r.getMessage() for r in caplog.records if "ConvergenceWarning" in r.getMessage()]
    assert len(lines) == 1 and lines[0].startswith("stage refits: 3 ConvergenceWarnings")


def test_gensims_logged_warnings_are_counted_once_per_stage(caplog):
    import numpy as np
    from scipy import sparse

    from topiclab import LDA

    counts = sparse.csr_matrix(np.random.default_rng(0).integers(0, 3, size=(6, 10)))
    vocab = [f"w{j}" for j in range(10)]
    with caplog.at_level(logging.WARNING):
        with summarised_warnings("fit"):
            for seed in range(3):
                LDA(2, passes=1, iterations=5, random_state=seed).fit(counts, vocab=vocab)
    messages = [record.getMessage() for record in caplog.records]
    assert not [m for m in messages if m.startswith("too few updates")]
    summary = [m for m in messages if "gensim warning" in m]
    assert len(summary) == 1 and summary[0].startswith("stage fit: 3 gensim warnings (too few")


def test_run_json_is_ignored_by_git_in_the_committed_figures(repo_root, tmp_path):
    # run.json holds times: `make figures` must leave `git status` clean. The project's
    # .gitignore is checked in a scratch repository, so the test runs outside a checkout too.
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    shutil.copy(repo_root / ".gitignore", tmp_path / ".gitignore")
    for path in ("figures/run.json", "figures.staging-123/tables/units.csv"):
        ignored = subprocess.run(["git", "check-ignore", "-q", path], cwd=tmp_path, check=False)
        assert ignored.returncode == 0, path
