"""Memory the run gives back: :func:`topiclab.memory.release_memory` and the run's units table.

A process keeps what it freed unless asked; the run asks between stages and in each fitting
worker, so the memory of its process tree follows what it holds, not what it once held.
"""

from __future__ import annotations

import itertools

import numpy as np
import psutil
import pytest

from topiclab.memory import _malloc_trim, peak_section, peaks_one_at_a_time, release_memory


def _hold_peak(lock: str, record: str) -> None:
    import time

    with peaks_one_at_a_time(lock), peak_section():
        start = time.monotonic()
        time.sleep(0.4)
        end = time.monotonic()
    with open(record, "a", encoding="utf-8") as handle:
        handle.write(f"{start} {end}\n")


def test_peak_sections_sharing_a_lock_run_one_at_a_time(tmp_path):
    """Processes given one lock file never are inside a peak section at the same time (a
    fit's largest allocation, see fit_topic_models); without a lock a section takes none."""
    import multiprocessing

    lock, record = str(tmp_path / "peak.lock"), str(tmp_path / "record.txt")
    context = multiprocessing.get_context("spawn")
    processes = [context.Process(target=_hold_peak, args=(lock, record)) for _ in range(3)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(60)
        assert process.exitcode == 0
    spans = sorted(tuple(map(float, line.split())) for line in open(record, encoding="utf-8"))
    assert len(spans) == 3
    for (_, end), (start, _) in itertools.pairwise(spans):
        assert start >= end
    with peak_section():  # no lock given in this process: nothing to wait for
        pass


@pytest.mark.skipif(_malloc_trim() is None, reason="glibc's malloc_trim is not available")
def test_freed_heap_memory_is_given_back_and_live_objects_keep_their_values():
    process = psutil.Process()
    # 1 KB blocks come from glibc's heap (above Python's small-object allocator); keeping
    # every 64th leaves the heap fragmented, so the free pages stay in the process
    blocks = [bytes([i % 251]) * 1024 for i in range(200_000)]
    kept = blocks[::64]
    del blocks
    values = np.arange(1000.0)
    before = process.memory_info().rss
    release_memory()
    after = process.memory_info().rss
    assert before - after > 50 * 2**20
    assert all(block == bytes([(64 * i) % 251]) * 1024 for i, block in enumerate(kept))
    np.testing.assert_array_equal(values, np.arange(1000.0))


def test_the_runs_units_table_holds_the_analysis_columns_only(tmp_path, corpus_dir):
    # every column the analysis reads is there; the other metadata stays in units.csv
    from topiclab import pipeline
    from topiclab.preprocess import Preprocessor
    from topiclab.stream import DocumentStream, ingest, preprocess_store
    from topiclab.tables import ANALYSIS_UNIT_COLUMNS, share_units

    documents = ingest(DocumentStream(corpus_dir), tmp_path, chunk_size=2)
    tokens = preprocess_store(documents, tmp_path, Preprocessor(), unit="paragraph")
    units = pipeline._units_frame(tokens)
    everything = tokens.units()
    assert list(units.columns) == [c for c in everything.columns if c in ANALYSIS_UNIT_COLUMNS]
    assert set(share_units(everything).columns) <= set(units.columns)
    assert len(everything.columns) > len(units.columns)
    for column in units.columns:
        assert units[column].equals(everything[column]), column
