"""What a person watching a run sees: one progress bar per stage, warnings counted once.

Progress bars (tqdm) are drawn on standard error only when it is a terminal, so a run
whose output goes to a log file or a CI job stays silent. Library warnings that repeat once
per fit (scikit-learn's ``ConvergenceWarning``, say) are recorded while a stage runs and
logged once with their count when it ends, instead of being printed hundreds of times.
"""

from __future__ import annotations

import logging
import warnings
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from tqdm.auto import tqdm

logger = logging.getLogger(__name__)

T = TypeVar("T")


def progress(
    iterable: Iterable[T] | None = None,
    *,
    desc: str,
    total: int | None = None,
    unit: str = "it",
    enabled: bool | None = None,
) -> Any:
    """A tqdm progress bar over ``iterable`` (or a manual one when it is None).

    Parameters
    ----------
    iterable : iterable, optional
        What to iterate over; omit it to call ``update`` yourself.
    desc : str
        The stage, shown before the bar (e.g. ``"fit lda K=10"``).
    total : int, optional
        Number of items, for the count and the time left (default ``len(iterable)``).
    unit : str, default="it"
        What one item is (``"doc"``, ``"unit"``, ``"fit"``): the bar shows counts in it.
    enabled : bool, optional
        Force the bar on or off; by default it is shown only when standard error is a
        terminal (tqdm's ``disable=None``).

    Returns
    -------
    tqdm
        Iterate over it, or use it as a context manager and call ``update``.
    """
    if total is None and iterable is not None and hasattr(iterable, "__len__"):
        total = len(iterable)  # type: ignore[arg-type]
    return tqdm(
        iterable,
        desc=desc,
        total=total,
        unit=unit,
        disable=None if enabled is None else not enabled,
        dynamic_ncols=True,
        leave=False,
    )


@contextmanager
def summarised_warnings(stage: str) -> Iterator[Counter[tuple[str, str]]]:
    """Record the warnings raised while a stage runs and log each kind once, with its count.

    A warning kind is its category and its first line; the log line names the stage, the
    count, the category and one example message, e.g. ``stage fit: 37 ConvergenceWarning
    (Maximum number of iterations 400 reached...)``. Warnings are still logged (at WARNING
    level, on the ``topiclab.progress`` logger), never dropped.

    Yields
    ------
    collections.Counter
        Counts by ``(category name, message)``, filled when the block ends.
    """
    counts: Counter[tuple[str, str]] = Counter()
    with warnings.catch_warnings(record=True) as caught:
        # "always": a warning repeated from the same line must be counted every time,
        # not shown once by the default filter and then lost from the count
        warnings.simplefilter("always")
        try:
            yield counts
        finally:
            by_kind: Counter[str] = Counter()
            first: dict[str, str] = {}
            for item in caught:
                name = item.category.__name__
                message = str(item.message).strip().splitlines()[0] if str(item.message) else ""
                counts[name, message] += 1
                by_kind[name] += 1
                first.setdefault(name, message)
            for name, count in sorted(by_kind.items()):
                example = first[name]
                if len(example) > 120:
                    example = example[:117] + "..."
                logger.warning(
                    "stage %s: %d %s%s (%s)",
                    stage,
                    count,
                    name,
                    "" if count == 1 else "s",
                    example,
                )
