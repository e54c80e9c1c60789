"""The one result type every topic model in topiclab produces."""

from __future__ import annotations

import json
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
        """Read a result written by :meth:`save`; never unpickles anything."""
        directory = Path(directory)
        meta = json.loads((directory / "result.json").read_text(encoding="utf-8"))
        with np.load(directory / "arrays.npz", allow_pickle=False) as arrays:
            topic_word = arrays["topic_word"]
            doc_topic = arrays["doc_topic"]
        return cls(
            topic_word=topic_word,
            doc_topic=doc_topic,
            vocab=meta["vocab"],
            unit_ids=meta["unit_ids"],
            model=meta["model"],
            params=meta["params"],
            seed=meta["seed"],
        )
