"""Fixtures shared by every test: the shipped corpus and a quiet, single-threaded run."""

from __future__ import annotations

import os
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
