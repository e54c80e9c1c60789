"""Give freed memory back to the operating system between the stages of a run.

A Python process keeps memory it has freed: glibc's allocator keeps free pages inside its
heaps, and pyarrow's allocator (pandas' string columns) keeps freed blocks for reuse. After a
stage that allocated much and freed most of it (tokenizing, counting, reading the units, a
model fit in a worker), that memory stays in the process's resident size for the rest of
the run and counts in the memory of the run's process tree. :func:`release_memory` returns
it. It changes no value: only pages that hold no live object are given back.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import sys
from functools import cache


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
