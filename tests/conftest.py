"""Fixtures shared by every test: the shipped corpus, a quiet, single-threaded run, and one
pipeline run of ``analysis.yaml`` that every test needing a finished output reads.

Tests that take more than about ten seconds (a whole pipeline run, a notebook, a figure build)
are marked ``slow``, and so is every test that needs a whole pipeline run through a fixture
(marked here, when the tests are collected): ``pytest -m "not slow"`` is the quick loop while
developing, and ``make test`` still runs everything, one process per CPU (pytest-xdist): the
shared run is built once for all of them.
"""

from __future__ import annotations

import fcntl
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
    "10",  # analysis.yaml anchors nine themes
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
    "--set",
    "themes.effects.draws=20",  # five documents: estimates without intervals at any count
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
    # `figures/` and `.cache/` side by side, as `make figures` writes them. The output records
    # the corpus path relative to itself: a run compared with this one byte for byte goes to
    # `tmp_path_factory.mktemp(...) / "figures"`, the same depth under pytest's folder.
    root = _shared_folder(tmp_path_factory, "shared_run")
    run = PipelineRun(output=root / "figures", cache=root / ".cache", args=SHARED_RUN_ARGS)
    with _once_per_session(root):
        if not (root / _DONE).is_file():
            from topiclab.cli import main

            assert main(run.argv(run.output, run.cache)) == 0
            (root / _DONE).touch()
    written = _digests(run.output) | _digests(run.cache)
    yield run
    now = _digests(run.output) | _digests(run.cache)
    changed = sorted(name for name in {*written, *now} if written.get(name) != now.get(name))
    assert changed == [], f"a test wrote into the shared run (copy it first): {changed}"


#: written next to a finished shared run, so that another xdist worker takes it as it is
_DONE = "finished"


def _shared_folder(tmp_path_factory, name: str) -> Path:
    """A folder for one of the session's shared results, at the depth of ``mktemp`` folders.

    Under pytest-xdist (``make test`` runs the suite in one process per CPU) every worker has
    its own session and its own ``basetemp`` (``pytest-N/popen-gwK``); the shared results go
    to ``pytest-N/xdist-shared/<name>`` instead, one for all workers and as deep as a worker's
    ``mktemp`` folders, so they are built once however many workers read them.
    """
    if "PYTEST_XDIST_WORKER" not in os.environ:
        return tmp_path_factory.mktemp(name)
    folder = tmp_path_factory.getbasetemp().parent / "xdist-shared" / name
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class _once_per_session:
    """An exclusive lock on ``folder``: the first xdist worker builds what is in it, the others
    wait for it and then read it (a no-op wait when pytest runs in one process)."""

    def __init__(self, folder: Path) -> None:
        self.path = folder.parent / f"{folder.name}.lock"

    def __enter__(self) -> None:
        self.handle = self.path.open("w")
        fcntl.flock(self.handle, fcntl.LOCK_EX)

    def __exit__(self, *exc: object) -> None:
        fcntl.flock(self.handle, fcntl.LOCK_UN)
        self.handle.close()


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


#: session and module fixtures that run the whole pipeline: every test that uses one, directly
#: or through another fixture, is ``slow`` (a quick loop that reached one would not be quick)
PIPELINE_FIXTURES = frozenset({"shared_run", "acceptance_run", "analysis_runs", "selected_run"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark ``slow`` every test that needs a whole pipeline run, and under pytest-xdist send
    the files holding slow tests out first.

    ``make test`` runs one file per worker at a time (``--dist loadfile``, so each file's
    module fixtures are built once) in collection order (``--no-loadscope-reorder``): the long
    files first, the many quick ones after them to fill the gaps, so no worker is left with
    a long file at the end while the others idle. Only the order of whole files changes, and
    only under xdist; a plain ``pytest`` keeps the usual order.
    """
    for item in items:
        if PIPELINE_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)
    if "PYTEST_XDIST_WORKER" in os.environ:
        slow_files = {item.path for item in items if item.get_closest_marker("slow")}
        items.sort(key=lambda item: item.path not in slow_files)  # stable: files stay whole
