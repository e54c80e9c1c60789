"""The one result type every topic model in topiclab produces."""

from __future__ import annotations

import json
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

RESULT_FORMAT_VERSION = 1

# Topic-word weights (each in [0, 1]) closer than this many decimals count as tied when
# terms are ranked: the fits agree to ~1e-13 across BLAS kernels.
RANK_DECIMALS = 10


@dataclass
class TopicResult:
    """A fitted topic model reduced to plain arrays.

    Parameters
    ----------
    topic_word : ndarray of shape (n_topics, n_terms)
        Each row is a topic's distribution over the vocabulary (rows sum to 1).
    doc_topic : ndarray of shape (n_units, n_topics)
        Each row is a unit's distribution over topics (rows sum to 1).
    vocab : list of str
        Term for each column of ``topic_word``.
    unit_ids : list of str
        Unit identifier for each row of ``doc_topic``.
    model : str
        Name of the model family, e.g. ``"lda"`` or ``"nmf"``.
    params : dict
        Hyper-parameters the model was fitted with (JSON-serialisable).
    seed : int or None
        The random seed of the fit.

    Notes
    -----
    Statistics, tables and plots take this object (or its arrays), so any backend
    plugs in through a thin adapter that fills these fields.
    """

    topic_word: np.ndarray
    doc_topic: np.ndarray
    vocab: list[str]
    unit_ids: list[str]
    model: str
    params: dict[str, Any] = field(default_factory=dict)
    seed: int | None = None

    def __post_init__(self) -> None:
        self.topic_word = np.asarray(self.topic_word, dtype=float)
        self.doc_topic = np.asarray(self.doc_topic, dtype=float)
        self.vocab = [str(term) for term in self.vocab]
        self.unit_ids = [str(unit_id) for unit_id in self.unit_ids]
        n_topics, n_terms = self.topic_word.shape
        if len(self.vocab) != n_terms:
            raise ValueError(
                f"topic_word has {n_terms} columns but vocab has {len(self.vocab)} terms"
            )
        if self.doc_topic.ndim != 2 or self.doc_topic.shape[1] != n_topics:
            raise ValueError(
                f"doc_topic must have {n_topics} columns, got shape {self.doc_topic.shape}"
            )
        if len(self.unit_ids) != self.doc_topic.shape[0]:
            raise ValueError(
                f"doc_topic has {self.doc_topic.shape[0]} rows but {len(self.unit_ids)} unit ids"
            )

    @property
    def n_topics(self) -> int:
        """Number of topics K."""
        return int(self.topic_word.shape[0])

    def top_terms(self, n: int = 10) -> list[list[str]]:
        """Return the ``n`` most probable terms of each topic, best first.

        Ties are broken by vocabulary order so the answer is deterministic.
        """
        ranked = self._ranked(n)
        return [[self.vocab[j] for j in row] for row in ranked]

    def _ranked(self, n: int) -> np.ndarray:
        """Column indices of each topic's ``n`` heaviest terms, ties in vocabulary order.

        Weights are compared at ``RANK_DECIMALS`` decimals: terms used in exactly the same
        units get the same weight up to the last bits, and those bits differ between BLAS
        kernels, so comparing them exactly would pick a different term of a tie on another
        machine.
        """
        key = np.round(self.topic_word, RANK_DECIMALS)
        return np.argsort(-key, axis=1, kind="stable")[:, :n]

    def to_frame(self, n: int = 10) -> pd.DataFrame:
        """Tidy table of the top ``n`` terms: ``model, topic, rank, term, weight``."""
        ranked = self._ranked(n)
        rows = [
            {
                "model": self.model,
                "topic": topic,
                "rank": rank,
                "term": self.vocab[j],
                "weight": float(self.topic_word[topic, j]),
            }
            for topic, row in enumerate(ranked)
            for rank, j in enumerate(row, start=1)
        ]
        return pd.DataFrame(rows, columns=["model", "topic", "rank", "term", "weight"])

    def doc_topic_frame(self) -> pd.DataFrame:
        """The doc-topic matrix as a DataFrame indexed by unit id, one column per topic."""
        columns = [f"topic_{k}" for k in range(self.n_topics)]
        return pd.DataFrame(
            self.doc_topic, index=pd.Index(self.unit_ids, name="unit_id"), columns=columns
        )

    def save(self, directory: str | Path) -> Path:
        """Write the result in open formats that R or any tool can read.

        ``arrays.npz`` holds ``topic_word`` and ``doc_topic`` (plain float arrays,
        no pickles); ``result.json`` holds the vocabulary, unit ids, model name,
        parameters and seed.
        """
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        arrays_tmp = directory / "arrays.tmp.npz"
        np.savez_compressed(arrays_tmp, topic_word=self.topic_word, doc_topic=self.doc_topic)
        arrays_tmp.replace(directory / "arrays.npz")
        meta = {
            "format_version": RESULT_FORMAT_VERSION,
            "model": self.model,
            "seed": self.seed,
            "params": self.params,
            "vocab": self.vocab,
            "unit_ids": self.unit_ids,
        }
        json_tmp = directory / "result.json.tmp"
        json_tmp.write_text(
            json.dumps(meta, ensure_ascii=False, indent=1, sort_keys=True), encoding="utf-8"
        )
        json_tmp.replace(directory / "result.json")
        return directory

    @classmethod
    def load(cls, directory: str | Path) -> TopicResult:
        """Read a result written by :meth:`save`; never unpickles anything.

        Raises
        ------
        ResultFormatError
            If the folder is not a complete, readable result: a missing file, a truncated
            or corrupt ``arrays.npz`` or ``result.json``, arrays with NaN or infinite values
            or of the wrong shape, or a ``format_version`` newer than this topiclab reads.
            The message names the folder and the problem.
        """
        directory = Path(directory)

        def fail(problem: str) -> ResultFormatError:
            return ResultFormatError(f"cannot load the topic model in {directory}: {problem}")

        if not directory.is_dir():
            raise fail("it is not a folder" if directory.exists() else "the folder does not exist")
        for name in ("result.json", "arrays.npz"):
            if not (directory / name).is_file():
                raise fail(f"missing file {name}")
        meta = _read_meta(directory / "result.json", fail)
        topic_word, doc_topic = _read_arrays(directory / "arrays.npz", fail)
        for name, array in (("topic_word", topic_word), ("doc_topic", doc_topic)):
            if array.ndim != 2:
                raise fail(f"{name} has {array.ndim} dimensions, expected 2")
            if not np.issubdtype(array.dtype, np.number) or np.iscomplexobj(array):
                raise fail(f"{name} holds {array.dtype} values, not real numbers")
            if np.isnan(array).any():
                raise fail(f"{name} has NaN")
            if np.isinf(array).any():
                raise fail(f"{name} has infinite values")
        try:
            return cls(
                topic_word=topic_word,
                doc_topic=doc_topic,
                vocab=meta["vocab"],
                unit_ids=meta["unit_ids"],
                model=meta["model"],
                params=meta["params"],
                seed=meta["seed"],
            )
        except (TypeError, ValueError) as error:
            # The arrays and result.json of two different results, or a hand-edited file.
            raise fail(f"arrays.npz and result.json do not agree ({error})") from error


class ResultFormatError(ValueError):
    """A saved :class:`TopicResult` folder is incomplete, corrupt or from a newer topiclab."""


# result.json keys and the JSON types they must have
_META_TYPES: dict[str, tuple[type, ...]] = {
    "model": (str,),
    "params": (dict,),
    "vocab": (list,),
    "unit_ids": (list,),
    "seed": (int, type(None)),
}


def _read_meta(path: Path, fail: Callable[[str], ResultFormatError]) -> dict[str, Any]:
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as error:
        raise fail(f"{path.name} is not UTF-8 text ({error})") from error
    except json.JSONDecodeError as error:
        raise fail(f"{path.name} is truncated or not valid JSON ({error})") from error
    except OSError as error:
        raise fail(f"{path.name} cannot be read ({error})") from error
    if not isinstance(meta, dict):
        raise fail(f"{path.name} holds a JSON {type(meta).__name__}, not an object")
    version = meta.get("format_version")
    if version is None:
        raise fail(f"{path.name} has no format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise fail(f"{path.name} has an invalid format_version {version!r}")
    if version > RESULT_FORMAT_VERSION:
        raise fail(
            f"format_version {version} is newer than this topiclab reads "
            f"({RESULT_FORMAT_VERSION}); upgrade topiclab"
        )
    for key, types in _META_TYPES.items():
        if key not in meta:
            raise fail(f"{path.name} lacks the key {key!r}")
        value = meta[key]
        if not isinstance(value, types) or (key == "seed" and isinstance(value, bool)):
            raise fail(f"{path.name} has a {type(value).__name__} under {key!r}")
    return meta


def _read_arrays(
    path: Path, fail: Callable[[str], ResultFormatError]
) -> tuple[np.ndarray, np.ndarray]:
    try:
        arrays = np.load(path, allow_pickle=False)
        if not isinstance(arrays, np.lib.npyio.NpzFile):
            raise fail(f"{path.name} holds a single array, not an NPZ archive")
        with arrays:
            missing = [name for name in ("topic_word", "doc_topic") if name not in arrays.files]
            if missing:
                raise fail(f"{path.name} has no array {missing[0]!r}")
            return arrays["topic_word"], arrays["doc_topic"]
    except ResultFormatError:
        raise
    # np.load raises BadZipFile, zlib.error, EOFError, OSError or ValueError (which also
    # covers an object array it refuses to unpickle) depending on where the bytes end.
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as error:
        raise fail(
            f"{path.name} is truncated or not an NPZ file ({type(error).__name__}: {error})"
        ) from error
