"""Fixtures shared by every test: the shipped corpus, a quiet, single-threaded run, and one
pipeline run of ``analysis.yaml`` that every test needing a finished output reads.

Tests that take more than about ten seconds (a whole pipeline run, a notebook, a figure build)
are marked ``slow``, and so is every test that reads the shared run (marked here, when the
tests are collected): ``pytest -m "not slow"`` is the quick loop while developing, and
``make test`` still runs everything.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

# One BLAS thread, as in `make`: fits must give the same numbers when pytest runs alone.
for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

REPO_ROOT = Path(__file__).resolve().parent.parent
CORPUS_DIR = REPO_ROOT / "corpus"
SHARED_DATA = REPO_ROOT.parent / "shared" / "data" / "vntc_20k.jsonl.gz"


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The repository checkout."""
    return REPO_ROOT


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    """The shipped corpus folder (raw articles plus curated metadata)."""
    return CORPUS_DIR


@pytest.fixture(scope="session")
def raw_files() -> list[Path]:
    """The five shipped articles, in file-name order."""
    return sorted((CORPUS_DIR / "raw").glob("*.txt"))


# `topiclab run analysis.yaml` at a fixed K with small settings: every table, every figure it
# can draw (PDF and PNG) and the pyLDAvis page, in about a minute on one core.
SHARED_RUN_ARGS = (
    "run",
    str(REPO_ROOT / "analysis.yaml"),
    "--k",
    "10",  # analysis.yaml seeds nine themes
    "--set",
    "models.lda.passes=2",
    "--set",
    "models.lda.iterations=50",
    "--set",
    "themes.n_boot=50",
    "--set",
    "models.refits=1",
    "--set",
    "figures.dpi=100",
)


@dataclass(frozen=True)
class PipelineRun:
    """A finished ``topiclab run``: where it wrote, and how to run it again."""

    output: Path
    """The output folder (``tables/``, figures, ``README.md``, ``run.json``)."""
    cache: Path
    """Its cache folder: empty when the run started, so the output is a cold run's."""
    args: tuple[str, ...]
    """The command line, without ``--output`` and ``--set cache=...``."""

    def argv(self, output: Path, cache: Path, *extra: str) -> list[str]:
        """The same run into another output folder and cache, with ``extra`` arguments."""
        return [*self.args, "--output", str(output), "--set", f"cache={cache}", *extra]


@pytest.fixture(scope="session")
def shared_run(tmp_path_factory) -> Iterator[PipelineRun]:
    """One run of the whole pipeline, shared by every test that only reads a finished output.

    Tests must not write into ``output`` or ``cache``: copy them first (``shutil.copytree``)
    to rerun or change them. Tests of byte identity between fresh runs compare against this
    run with a second run of their own, in an empty cache of their own. A test that changes
    either folder anyway is an error at the end of the session (a later test would otherwise
    read another output than the one it expects, depending on the order the tests ran in).
    """
    from topiclab.cli import main

    # `figures/` and `.cache/` side by side, as `make figures` writes them. The output records
    # the corpus path relative to itself: a run compared with this one byte for byte goes to
    # `tmp_path_factory.mktemp(...) / "figures"`, the same depth under pytest's folder.
    root = tmp_path_factory.mktemp("shared_run")
    run = PipelineRun(output=root / "figures", cache=root / ".cache", args=SHARED_RUN_ARGS)
    assert main(run.argv(run.output, run.cache)) == 0
    written = _digests(run.output) | _digests(run.cache)
    yield run
    now = _digests(run.output) | _digests(run.cache)
    changed = sorted(name for name in {*written, *now} if written.get(name) != now.get(name))
    assert changed == [], f"a test wrote into the shared run (copy it first): {changed}"


def _digests(folder: Path) -> dict[str, str]:
    """SHA-256 of every file under ``folder``, by its path."""
    return {
        str(path): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


@pytest.fixture(scope="session")
def shared_cache(shared_run, tmp_path_factory) -> Path:
    """A cache folder tests may write into, warm with the shared run's tokens and models.

    Caches are keyed by content and settings, so a warm cache changes no result, only the
    time. For tests that do not test the cache: those keep an empty cache of their own.
    """
    cache = tmp_path_factory.mktemp("shared_cache") / ".cache"
    shutil.copytree(shared_run.cache, cache)
    return cache


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark ``slow`` every test that needs the shared run, directly or through a fixture: the
    run takes about a minute, so a quick loop that reached it would not be quick."""
    for item in items:
        if "shared_run" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)
