"""Parallel preprocessing: serial, joblib processes and Dask give identical tokens."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from topiclab.config import load_config
from topiclab.corpus import load_corpus, make_units
from topiclab.parallel import parallel_backend, preprocess_parallel, scheduler_from_config
from topiclab.preprocess import Preprocessor


@pytest.fixture(scope="module")
def texts(corpus_dir: Path) -> list[str]:
    """Paragraph units of the shipped corpus: enough texts for several batches."""
    units = make_units(load_corpus(corpus_dir).documents, "paragraph")
    return units["text"].tolist()


@pytest.fixture(scope="module")
def serial(texts: list[str]) -> list[list[str]]:
    return Preprocessor(n_jobs=1).transform(texts)


def test_joblib_processes_give_serial_tokens(texts, serial) -> None:
    tokens = preprocess_parallel(texts, Preprocessor(batch_size=4), n_jobs=2)
    assert tokens == serial
    assert sum(map(len, tokens)) > 1000


@pytest.mark.parametrize("processes", [False, True], ids=["threads", "processes"])
def test_dask_local_cluster_gives_serial_tokens(texts, serial, processes: bool) -> None:
    from distributed import Client

    with parallel_backend("local", n_workers=2, processes=processes) as info:
        assert info.n_workers == 2
        assert info.scheduler.startswith(("tcp://", "inproc://"))
        tokens = Preprocessor(n_jobs=info.n_jobs, backend=info.backend, batch_size=4).transform(
            texts
        )
    assert tokens == serial
    # The cluster and its client are gone once the block ends.
    with pytest.raises(ValueError, match="No clients found"):
        Client.current()


def test_dask_with_token_cache(texts, serial, tmp_path: Path) -> None:
    tokens = preprocess_parallel(
        texts, Preprocessor(cache_dir=tmp_path), scheduler="local", processes=False
    )
    assert tokens == serial
    again = Preprocessor(cache_dir=tmp_path)
    assert again.transform(texts) == serial
    assert again.n_cached_ == len(texts)


def test_scheduler_from_config() -> None:
    assert scheduler_from_config(load_config()) is None
    config = load_config(overrides=["parallel.scheduler=tcp://10.0.0.5:8786"])
    assert scheduler_from_config(config) == "tcp://10.0.0.5:8786"
    with pytest.raises(ValueError, match="Dask scheduler address"):
        scheduler_from_config({"parallel": {"scheduler": 8786}})


def test_local_processes_by_default() -> None:
    with parallel_backend(None, n_jobs=2) as info:
        assert (info.backend, info.n_jobs, info.scheduler) == ("loky", 2, None)


def test_unreachable_scheduler_is_a_clear_error() -> None:
    with pytest.raises(
        OSError, match=re.escape("no Dask scheduler answered at 'tcp://127.0.0.1:9'")
    ):
        with parallel_backend("tcp://127.0.0.1:9", timeout=2):
            pass


def test_pipeline_tokens_on_a_dask_cluster_from_config(corpus_dir: Path) -> None:
    from topiclab import pipeline
    from topiclab.settings import validate_config

    units = make_units(load_corpus(corpus_dir).documents, "paragraph").head(12)
    local = load_config(overrides=["cache=null", "parallel.n_jobs=1"])
    on_dask = load_config(overrides=["cache=null", "parallel.scheduler=local"])

    def tokens_of(config: dict) -> list[list[str]]:
        settings = validate_config(config)
        return pipeline._stage_tokens(units, settings.preprocess, settings.parallel, None)

    assert tokens_of(on_dask) == tokens_of(local)
