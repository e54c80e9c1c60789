"""Refits read one at a time, and arrays spilled to disk, for the stages that use every refit.

``topiclab run`` keeps each model's refits after the first on disk (a folder a refit is read
back from with ``load()``). The analysis stages that need every refit (the effects draws,
the label sensitivity table) then read them one at a time through :class:`RefitSequence`
instead of holding all of them: at 80,000 articles ten refits hold about a gigabyte of unit
shares and unit ids. What those stages keep of each refit for later use (an LDA posterior's
unit parameters, the units' topic shares) goes to :class:`SpilledArrays`, a folder of ``.npy``
files read back whole when needed, so only one refit's unit arrays are in memory at a time.
Reading a saved array gives back exactly the array written: the tables do not change.
"""

from __future__ import annotations

import shutil
import tempfile
import weakref
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, overload

import numpy as np


def _is_saved(fit: Any) -> bool:
    """A refit kept on disk (it has ``load()``), not a fitted result in memory."""
    return callable(getattr(fit, "load", None)) and not hasattr(fit, "doc_topic")


class RefitSequence(Sequence[Any]):
    """The refits of one model, each read from disk only when it is asked for.

    Parameters
    ----------
    fits : iterable
        Fitted results (kept as they are) or saved refits (objects with ``load()`` and no
        ``doc_topic``, such as :class:`topiclab.pipeline.SavedFit`), in seed order.

    Notes
    -----
    Iterating reads one saved refit at a time; the caller keeps it only as long as it
    needs it. Indexing reads the refit again on every call.
    """

    def __init__(self, fits: Iterable[Any]) -> None:
        self._fits = list(fits)

    def __len__(self) -> int:
        return len(self._fits)

    @overload
    def __getitem__(self, index: int) -> Any: ...

    @overload
    def __getitem__(self, index: slice) -> RefitSequence: ...

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return RefitSequence(self._fits[index])
        fit = self._fits[index]
        return fit.load() if _is_saved(fit) else fit


def refit_sequences(refits: Mapping[str, Iterable[Any]]) -> dict[str, RefitSequence]:
    """Every model's refits as a :class:`RefitSequence` (read one at a time)."""
    return {name: RefitSequence(fits) for name, fits in refits.items()}


class SpilledArrays:
    """Arrays written to a temporary folder and read back whole, one at a time.

    The folder is deleted when the object is garbage-collected (or at interpreter exit).
    ``np.save`` and ``np.load`` keep dtype, shape and every bit of the values.

    Parameters
    ----------
    prefix : str
        Start of the folder's name.
    directory : str or Path, optional
        Where the folder is made (default: the system's temporary folder).
    """

    def __init__(
        self, prefix: str = "topiclab-arrays-", directory: str | Path | None = None
    ) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix=prefix, dir=directory))
        self._finalizer = weakref.finalize(self, shutil.rmtree, self.folder, True)
        self._n = 0

    def __len__(self) -> int:
        return self._n

    def append(self, array: np.ndarray) -> int:
        """Write ``array``; returns its index."""
        np.save(self.folder / f"{self._n}.npy", np.asarray(array), allow_pickle=False)
        self._n += 1
        return self._n - 1

    def __getitem__(self, index: int) -> np.ndarray:
        if not -self._n <= index < self._n:
            raise IndexError(f"array {index} of {self._n}")
        return np.load(self.folder / f"{index % self._n}.npy", allow_pickle=False)

    def close(self) -> None:
        """Delete the folder now."""
        self._finalizer()
