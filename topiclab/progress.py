"""What a person watching a run sees: one progress bar per stage, warnings counted once.

Progress bars (tqdm) are drawn on standard error only when it is a terminal, so a run
whose output goes to a log file or a CI job stays silent. Library warnings that repeat once
per fit (scikit-learn's ``ConvergenceWarning``, gensim's logged "too few updates") are
recorded while a stage runs and logged once with their count when it ends, instead of being
printed hundreds of times.
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

#: libraries whose logged warnings repeat once per fit; they are counted, not printed
LOGGING_LIBRARIES: tuple[str, ...] = ("gensim",)


class _LibraryWarnings(logging.Filter):
    """Holds back WARNING records of :data:`LOGGING_LIBRARIES` (errors and INFO pass)."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def filter(self, record: logging.LogRecord) -> bool:
        library = record.name.split(".", 1)[0]
        if record.levelno == logging.WARNING and library in LOGGING_LIBRARIES:
            self.records.append(record)
            return False
        return True


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
    # on the handlers, not the loggers: a library's loggers may be created during the stage,
    # and a handler sees the records of all of them (lastResort prints when none is set up)
    held = _LibraryWarnings()
    handlers = [*logging.getLogger().handlers, logging.lastResort]
    handlers = [handler for handler in handlers if handler is not None]
    for handler in handlers:
        handler.addFilter(held)
    with warnings.catch_warnings(record=True) as caught:
        # "always": a warning repeated from the same line must be counted every time,
        # not shown once by the default filter and then lost from the count
        warnings.simplefilter("always")
        try:
            yield counts
        finally:
            for handler in handlers:
                handler.removeFilter(held)
            by_kind: Counter[str] = Counter()
            first: dict[str, str] = {}
            found = [(item.category.__name__, str(item.message)) for item in caught]
            # a record reaches every handler: count each once
            unique = {id(record): record for record in held.records}.values()
            found += [(f"{r.name.split('.')[0]} warning", r.getMessage()) for r in unique]
            for name, text in found:
                message = text.strip().splitlines()[0] if text.strip() else ""
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
