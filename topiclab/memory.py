"""Give freed memory back to the operating system between the stages of a run.

A Python process keeps memory it has freed: glibc's allocator keeps free pages inside its
heaps, and pyarrow's allocator (pandas' string columns) keeps freed blocks for reuse. After a
stage that allocated much and freed most of it (tokenizing, counting, reading the units, a
model fit in a worker), that memory stays in the process's resident size for the rest of
the run and counts in the memory of the run's process tree. :func:`release_memory` returns
it. It changes no value: only pages that hold no live object are given back.
"""

from __future__ import annotations

import contextvars
import ctypes
import ctypes.util
import gc
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

try:
    import fcntl
except ImportError:  # not POSIX: peak sections take no lock
    fcntl = None  # type: ignore[assignment]


@cache
def _malloc_trim():
    """glibc's ``malloc_trim`` (None on other C libraries, e.g. macOS or musl)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        trim = libc.malloc_trim
    except (OSError, AttributeError):
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim


def release_memory(*, collect: bool = True) -> None:
    """Collect garbage and give the allocators' free memory back to the system.

    Frees unreachable cycles (``gc.collect``, unless ``collect`` is false), asks pyarrow's
    memory pool to release unused blocks when pyarrow is loaded, and calls glibc's
    ``malloc_trim(0)`` where it exists (it returns every free page of every heap, not only
    the top of the main heap).

    Parameters
    ----------
    collect : bool, default=True
        Run the cycle collector first. A full collection walks every object of the process
        (about 0.1 s in a test process): inside loops, where what was freed is a fit's or a
        table's arrays (freed by reference counting), ``collect=False`` only trims.
    """
    if collect:
        gc.collect()
    arrow = sys.modules.get("pyarrow")
    if arrow is not None:
        arrow.default_memory_pool().release_unused()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


#: the lock file that :func:`peak_section` takes in this process, set by :func:`peaks_one_at_a_time`
_PEAK_LOCK: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "topiclab_peak_lock", default=None
)


@contextmanager
def peaks_one_at_a_time(lock_path: str | None) -> Iterator[None]:
    """Within the block, every :func:`peak_section` of this process takes the lock at
    ``lock_path``: of the processes given the same path, one at a time is inside one.

    :func:`topiclab.evaluate.fit_topic_models` gives its processes one path, so that two
    fits running side by side do not hold their largest allocations at the same time (a
    tomotopy fit's documents and sampler state: about 420 MB at 80,000 VNTC articles; two at
    once were the peak of a run). Each fit is seeded and single-threaded, so the lock
    changes when a fit runs, never what it gives.

    Parameters
    ----------
    lock_path : str or None
        A file every process of the group can open; None: no lock.
    """
    token = _PEAK_LOCK.set(lock_path)
    try:
        yield
    finally:
        _PEAK_LOCK.reset(token)


@contextmanager
def peak_section() -> Iterator[None]:
    """The part of a step that holds its largest allocation, run by one process at a time
    among those given the same lock (:func:`peaks_one_at_a_time`); without one (a single
    process, or a system without ``fcntl``) it takes no lock."""
    path = _PEAK_LOCK.get()
    if path is None or fcntl is None:
        yield
        return
    with open(path, "ab") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
