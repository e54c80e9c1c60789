"""Corpora larger than memory: documents, tokens and the bag-of-words streamed from disk.

The in-memory path (:func:`~topiclab.load_corpus` → :func:`~topiclab.corpus.make_units` →
:meth:`~topiclab.Preprocessor.transform` → :func:`~topiclab.vectorize`) holds every text
and every token list at once. This module gives the same results one chunk at a time:

* :class:`DocumentStream` reads a folder or table one input at a time and yields documents;
  :func:`ingest` writes them to disk in chunks (:class:`DocumentStore`), with the manifest.
  Both live in :mod:`topiclab.corpus` (``stream``, ``store``), the one ingest path
  (:func:`~topiclab.load_corpus` is its in-memory view), and are re-exported here;
* :func:`preprocess_store` splits each chunk into units and tokenizes it
  (:class:`TokenStore`: one line of space-joined tokens per unit);
* :func:`vectorize_store` builds the vocabulary in one pass and the bag-of-words in a second
  (:class:`BowStore`: sparse NPZ chunks, re-iterable as a gensim corpus) and the TF-IDF
  matrix NMF takes (sparse, ``tfidf.npz``);
* :class:`StreamedLDA` fits gensim's LDA reading the bag-of-words chunk by chunk.

Every store is a re-iterable object (a class with ``__iter__``, not a generator), so gensim
can read it once per pass. Memory holds one chunk of texts or tokens, the vocabulary, and
the sparse matrices; never the corpus as Python strings.

Disk layout of one run (``root`` is e.g. ``.cache/stream/<name>``)::

    documents/part-00000.jsonl   one JSON document a line, chunk_size documents a file
    manifest.csv                 every input: included or excluded, with the reason
    provenance.csv               doc_id, field, origin (curated, inferred or missing)
    units/part-00000.csv         unit_id, doc_id, unit_index, metadata, n_words (no text)
    tokens/part-00000.txt        one unit a line, tokens joined by single spaces
    dictionary.txt               gensim Dictionary.save_as_text (sorted, diffable)
    removed.csv                  terms removed by the frequency filters, with the reason
    bow/part-00000.npz           scipy CSR counts of the units of tokens/part-00000.txt
    tfidf.npz                    the TF-IDF matrix (scipy CSR)
    store.json                   counts and settings of each stage
"""

from __future__ import annotations

import io
import sys
import warnings
from collections.abc import Iterable, Iterator
from numbers import Real
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from gensim.corpora import Dictionary
from gensim.matutils import dirichlet_expectation
from gensim.models import LdaModel
from sklearn.feature_extraction.text import TfidfTransformer
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from topiclab.corpus.store import (
    DEFAULT_CHUNK_SIZE,
    DocumentStore,
    _part,
    _parts,
    _read_meta,
    _write_meta,
    ingest,
)
from topiclab.corpus.stream import DocumentStream, documents_frame
from topiclab.corpus.units import make_units
from topiclab.io import atomic_write_bytes, atomic_write_text, write_table
from topiclab.models import LDA
from topiclab.models._base import (
    check_unit_ids,
    check_vocab,
    normalize_rows,
    plan_seed_words,
    resolve_seed,
)
from topiclab.models.result import TopicResult
from topiclab.vectorize import (
    REASON_KEEP_N,
    REASON_NO_ABOVE,
    REASON_NO_BELOW,
    EmptyUnitsWarning,
    VectorizedCorpus,
)

__all__ = [
    "BowStore",
    "DocumentStore",
    "DocumentStream",
    "StreamedLDA",
    "TokenStore",
    "documents_frame",
    "ingest",
    "load_vectorized",
    "preprocess_store",
    "vectorize_store",
]

# -- tokens ------------------------------------------------------------------------------


class TokenStore:
    """Token lists of units written by :func:`preprocess_store`, re-iterable.

    Iterating yields one ``list[str]`` per unit, in unit order; equal tokens share one
    string object (interned), so a corpus read back whole costs far less than its text.

    Parameters
    ----------
    root : str or Path
        The store folder (holding ``tokens/``).
    """

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.folder = self.root / "tokens"
        if not self.folder.is_dir():
            raise FileNotFoundError(f"no tokens in {self.root}: run preprocess_store() first")

    def __len__(self) -> int:
        return int(_read_meta(self.root)["preprocess"]["n_units"])

    def __iter__(self) -> Iterator[list[str]]:
        for chunk in self.chunks():
            yield from chunk

    def chunks(self) -> Iterator[list[list[str]]]:
        """The token lists of one chunk file at a time."""
        intern = sys.intern
        for path in _parts(self.folder, ".txt"):
            text = path.read_text(encoding="utf-8")
            lines = text.split("\n")[:-1]
            yield [[intern(t) for t in line.split(" ")] if line else [] for line in lines]

    def units(self) -> pd.DataFrame:
        """The units' ids and metadata (no text), in token order."""
        frames = [
            pd.read_csv(path, dtype=str, keep_default_na=False)
            for path in _parts(self.root / "units", ".csv")
        ]
        return pd.concat(frames, ignore_index=True)


def preprocess_store(
    documents: DocumentStore | Iterable[pd.DataFrame],
    root: str | Path,
    preprocessor: Any = None,
    *,
    unit: str = "paragraph",
    min_tokens: int = 40,
    window_sentences: int = 5,
) -> TokenStore:
    """Split each chunk of documents into units, tokenize them, and write both to disk.

    Parameters
    ----------
    documents : DocumentStore or iterable of DataFrame
        Document chunks (``DocumentStore.frames()`` is used for a store).
    root : str or Path
        The store folder; ``tokens/`` and ``units/`` are (re)written there.
    preprocessor : Preprocessor, optional
        Default ``Preprocessor()``. Its ``n_jobs``/``backend`` decide where each chunk is
        tokenized (see :mod:`topiclab.parallel`); its cache is used when it has one.
    unit, min_tokens, window_sentences
        As in :func:`~topiclab.corpus.make_units`.

    Returns
    -------
    TokenStore
    """
    from topiclab.preprocess import Preprocessor

    preprocessor = Preprocessor() if preprocessor is None else preprocessor
    root = Path(root)
    frames = documents.frames() if isinstance(documents, DocumentStore) else documents
    for sub in ("tokens", "units"):
        (root / sub).mkdir(parents=True, exist_ok=True)
        for old in _parts(root / sub, ".txt" if sub == "tokens" else ".csv"):
            old.unlink()
    n_units = n_chunks = n_tokens = n_empty = 0
    for index, frame in enumerate(frames):
        units = make_units(frame, unit, min_tokens=min_tokens, window_sentences=window_sentences)
        tokens = preprocessor.transform(units["text"].tolist())
        lines = "".join(" ".join(unit_tokens) + "\n" for unit_tokens in tokens)
        atomic_write_text(root / "tokens" / _part(index, ".txt"), lines)
        units = units.drop(columns=["text"])
        units["n_tokens"] = [len(t) for t in tokens]
        write_table(units, root / "units" / _part(index, ".csv"))
        n_units += len(units)
        n_tokens += int(units["n_tokens"].sum())
        n_empty += int((units["n_tokens"] == 0).sum())
        n_chunks += 1
    _write_meta(
        root,
        "preprocess",
        {
            "n_units": n_units,
            "n_chunks": n_chunks,
            "n_tokens": n_tokens,
            "n_empty_units": n_empty,
            "unit": unit,
            "settings_key": preprocessor.settings_key(),
        },
    )
    return TokenStore(root)


# -- bag of words ------------------------------------------------------------------------


class BowStore:
    """The bag-of-words written by :func:`vectorize_store`, read one chunk at a time.

    Iterating yields one unit at a time as gensim's ``[(term_id, count), ...]``, so the
    object is a re-iterable gensim corpus that never holds more than one chunk.

    Parameters
    ----------
    root : str or Path
        The store folder (holding ``bow/`` and ``dictionary.txt``).
    """

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.folder = self.root / "bow"
        if not self.folder.is_dir():
            raise FileNotFoundError(f"no bag-of-words in {self.root}: run vectorize_store()")
        meta = _read_meta(self.root)["vectorize"]
        self.n_units = int(meta["n_units"])
        self.n_terms = int(meta["n_terms"])

    @property
    def shape(self) -> tuple[int, int]:
        """(units, terms)."""
        return (self.n_units, self.n_terms)

    def __len__(self) -> int:
        return self.n_units

    def chunks(self) -> Iterator[sp.csr_matrix]:
        """The count matrix of one chunk file at a time (CSR, int64)."""
        for path in _parts(self.folder, ".npz"):
            yield sp.csr_matrix(sp.load_npz(path))

    def __iter__(self) -> Iterator[list[tuple[int, int]]]:
        for chunk in self.chunks():
            indptr, indices, data = chunk.indptr, chunk.indices, chunk.data
            for row in range(chunk.shape[0]):
                start, stop = indptr[row], indptr[row + 1]
                yield list(
                    zip(indices[start:stop].tolist(), data[start:stop].tolist(), strict=True)
                )

    def column_sums(self) -> np.ndarray:
        """Corpus count of every term."""
        total = np.zeros(self.n_terms, dtype=np.int64)
        for chunk in self.chunks():
            total += np.asarray(chunk.sum(axis=0)).ravel().astype(np.int64)
        return total

    def to_csr(self) -> sp.csr_matrix:
        """The whole count matrix (sparse: memory grows with the non-zero counts only)."""
        return sp.csr_matrix(sp.vstack(list(self.chunks()), format="csr"))

    def tfidf(self) -> sp.csr_matrix:
        """The TF-IDF matrix written beside the counts."""
        return sp.csr_matrix(sp.load_npz(self.root / "tfidf.npz"))

    @property
    def vocab(self) -> list[str]:
        """Term of each column, sorted."""
        return [term for term, _ in sorted(self.dictionary().token2id.items(), key=_by_id)]

    def dictionary(self) -> Dictionary:
        """The gensim Dictionary of the kept terms (ids in sorted term order)."""
        return Dictionary.load_from_text(str(self.root / "dictionary.txt"))

    def removed(self) -> pd.DataFrame:
        """Terms removed by the frequency filters, with the reason."""
        return pd.read_csv(self.root / "removed.csv", keep_default_na=False)


def _by_id(item: tuple[str, int]) -> int:
    return item[1]


def _npz_bytes(matrix: sp.csr_matrix) -> bytes:
    buffer = io.BytesIO()
    sp.save_npz(buffer, matrix, compressed=False)
    return buffer.getvalue()


def _sorted_dictionary_from(counts: Dictionary, terms: list[str]) -> Dictionary:
    """``counts`` re-keyed so ids follow the sorted order of ``terms`` (as vectorize builds)."""
    sorted_dictionary = Dictionary()
    sorted_dictionary.token2id = {term: i for i, term in enumerate(sorted(terms))}
    old = counts.token2id
    sorted_dictionary.dfs = {
        new: counts.dfs[old[term]] for term, new in sorted_dictionary.token2id.items()
    }
    sorted_dictionary.cfs = {
        new: counts.cfs[old[term]] for term, new in sorted_dictionary.token2id.items()
    }
    sorted_dictionary.num_docs = counts.num_docs
    sorted_dictionary.num_pos = counts.num_pos
    sorted_dictionary.num_nnz = counts.num_nnz
    return sorted_dictionary


def vectorize_store(
    tokens: TokenStore | Iterable[list[str]],
    root: str | Path,
    *,
    no_below: int = 2,
    no_above: float = 0.95,
    keep_n: int | None = 20000,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> BowStore:
    """:func:`~topiclab.vectorize` over streamed tokens, with the matrices on disk.

    One pass counts document frequencies, gensim's ``filter_extremes`` decides the
    vocabulary (as in :func:`~topiclab.vectorize`, with the same reasons for every removed
    term), a second pass writes the counts chunk by chunk; the TF-IDF matrix is computed
    from the sparse counts. Rows, vocabulary and values equal ``vectorize(list(tokens))``.

    Parameters
    ----------
    tokens : TokenStore or re-iterable of list of str
    root : str or Path
        The store folder; ``bow/``, ``tfidf.npz``, ``dictionary.txt``, ``removed.csv``.
    no_below, no_above, keep_n
        As in :func:`~topiclab.vectorize`.
    chunk_size : int, default=1000
        Units per chunk file of ``bow/`` (a :class:`TokenStore`'s own chunks are kept).

    Returns
    -------
    BowStore

    Raises
    ------
    ValueError
        If there are no units or the vocabulary is empty after filtering.
    """
    if not (isinstance(no_below, int | np.integer) and no_below >= 1):
        raise ValueError(f"no_below must be a positive integer, got {no_below!r}")
    if not (0.0 < float(no_above) <= 1.0):
        raise ValueError(f"no_above must be in (0, 1], got {no_above!r}")
    if keep_n is not None and not (isinstance(keep_n, int | np.integer) and keep_n >= 1):
        raise ValueError(f"keep_n must be a positive integer or None, got {keep_n!r}")
    root = Path(root)
    counting = Dictionary()
    for chunk in (
        tokens.chunks() if isinstance(tokens, TokenStore) else _batched(tokens, chunk_size)
    ):
        counting.add_documents(chunk)
    n_units = counting.num_docs
    if n_units == 0:
        raise ValueError("no units to vectorize: tokens is empty")
    all_terms = list(counting.token2id)
    full = _sorted_dictionary_from(counting, all_terms)
    del counting
    filtered = Dictionary()
    filtered.token2id = dict(full.token2id)
    filtered.dfs = dict(full.dfs)
    filtered.num_docs = full.num_docs
    filtered.filter_extremes(no_below=no_below, no_above=no_above, keep_n=keep_n)
    kept = set(filtered.token2id)
    no_above_abs = int(no_above * n_units)
    removed_rows = []
    for term, term_id in full.token2id.items():
        if term in kept:
            continue
        df = full.dfs.get(term_id, 0)
        reason = (
            REASON_NO_BELOW
            if df < no_below
            else REASON_NO_ABOVE
            if df > no_above_abs
            else REASON_KEEP_N
        )
        removed_rows.append((term, df, df / n_units, reason))
    removed = pd.DataFrame(removed_rows, columns=["term", "doc_freq", "doc_fraction", "reason"])
    removed = removed.sort_values(["reason", "doc_freq", "term"], ascending=[True, False, True])
    removed = removed.reset_index(drop=True)
    if not kept:
        raise ValueError(
            f"the vocabulary is empty after filtering {len(all_terms)} terms of {n_units} units "
            f"(no_below={no_below}, no_above={no_above}); lower no_below, raise no_above, or "
            "give more units"
        )
    del full, filtered

    dictionary = Dictionary()
    dictionary.token2id = {term: i for i, term in enumerate(sorted(kept))}
    n_terms = len(kept)
    folder = root / "bow"
    folder.mkdir(parents=True, exist_ok=True)
    for old in _parts(folder, ".npz"):
        old.unlink()
    chunks = tokens.chunks() if isinstance(tokens, TokenStore) else _batched(tokens, chunk_size)
    empty_units: list[int] = []
    offset = 0
    for index, chunk in enumerate(chunks):
        indptr, indices, data = [0], [], []
        for row, unit in enumerate(chunk):
            # allow_update counts the unit into the dictionary, as vectorize's add_documents.
            bow = dictionary.doc2bow([term for term in unit if term in kept], allow_update=True)
            if not bow:
                empty_units.append(offset + row)
            for term_id, count in bow:
                indices.append(term_id)
                data.append(count)
            indptr.append(len(indices))
        matrix = sp.csr_matrix(
            (np.asarray(data, dtype=np.int64), np.asarray(indices, dtype=np.int32), indptr),
            shape=(len(chunk), n_terms),
        )
        matrix.sort_indices()
        atomic_write_bytes(folder / _part(index, ".npz"), _npz_bytes(matrix))
        offset += len(chunk)
    dictionary.save_as_text(str(root / "dictionary.txt"), sort_by_word=True)
    write_table(removed, root / "removed.csv")
    params = {"no_below": int(no_below), "no_above": float(no_above), "keep_n": keep_n}
    _write_meta(
        root,
        "vectorize",
        {"n_units": offset, "n_terms": n_terms, "empty_units": empty_units, **params},
    )
    store = BowStore(root)
    bow = store.to_csr()
    tfidf = sp.csr_matrix(TfidfTransformer(norm="l2", smooth_idf=True).fit_transform(bow))
    atomic_write_bytes(root / "tfidf.npz", _npz_bytes(tfidf))
    if empty_units:
        warnings.warn(
            f"{len(empty_units)} of {offset} units have no token left after filtering; "
            "they stay as all-zero rows, listed in store.json (vectorize.empty_units)",
            EmptyUnitsWarning,
            stacklevel=2,
        )
    return store


def _batched(items: Iterable[list[str]], size: int) -> Iterator[list[list[str]]]:
    batch: list[list[str]] = []
    for item in items:
        batch.append(list(item))
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def load_vectorized(store: BowStore) -> VectorizedCorpus:
    """The store as an in-memory :class:`~topiclab.vectorize.VectorizedCorpus` (sparse)."""
    meta = _read_meta(store.root)["vectorize"]
    return VectorizedCorpus(
        vocab=store.vocab,
        bow=store.to_csr(),
        tfidf=store.tfidf(),
        dictionary=store.dictionary(),
        removed=store.removed(),
        empty_units=list(meta["empty_units"]),
        params={k: meta[k] for k in ("no_below", "no_above", "keep_n")},
    )


# -- LDA from disk -----------------------------------------------------------------------


class _Totals:
    """What LDA's prior builder reads of a matrix: its shape and column sums."""

    def __init__(self, shape: tuple[int, int], sums: np.ndarray) -> None:
        self.shape = shape
        self._sums = sums

    def sum(self, axis: int) -> np.ndarray:
        return self._sums[None, :]


class StreamedLDA(LDA):
    """:class:`~topiclab.LDA` that also fits on a :class:`BowStore`, read chunk by chunk.

    Given a :class:`BowStore`, gensim reads the units from disk once per pass (the store is
    a re-iterable corpus) and the units' topic shares are inferred chunk by chunk, so only
    one chunk of the bag-of-words is in memory. Given a matrix, it is :class:`LDA`. The
    fitted topics equal ``LDA(...).fit(store.to_csr())``: gensim sees the same units in the
    same order. Parameters are those of :class:`~topiclab.LDA` (gensim backend only for a
    store).

    Examples
    --------
    >>> store = BowStore(".cache/stream/x")  # doctest: +SKIP
    >>> lda = StreamedLDA(10, random_state=0, passes=5).fit(store)  # doctest: +SKIP
    """

    def fit(self, X, y=None, *, vocab=None, unit_ids=None) -> StreamedLDA:
        """Learn the topics of a :class:`BowStore` (or of a matrix, as :class:`LDA`)."""
        if not isinstance(X, BowStore):
            super().fit(X, y, vocab=vocab, unit_ids=unit_ids)
            return self
        self._validate_params()
        if self.backend != "gensim":
            raise ValueError("StreamedLDA reads a BowStore with backend='gensim' only")
        n_units, n_terms = X.shape
        if self.n_topics > n_units or self.n_topics > n_terms:
            raise ValueError(
                f"n_topics={self.n_topics} is larger than the units ({n_units}) "
                f"or the vocabulary ({n_terms})"
            )
        vocab = check_vocab(X.vocab if vocab is None else vocab, n_terms)
        unit_ids = check_unit_ids(unit_ids, n_units)
        plan = plan_seed_words(self.seed_words, vocab, self.n_topics)
        if plan is not None and isinstance(self.eta, str) and self.eta == "auto":
            raise ValueError("eta='auto' re-learns the prior and would undo seed_words")
        self.seed_ = resolve_seed(self.random_state)
        self.seed_topics_ = plan.as_dict() if plan else {}
        self._vocab = vocab
        self.n_features_in_ = n_terms
        counts = X.column_sums() if plan is not None else None
        totals = _Totals((n_units, n_terms), counts) if counts is not None else None
        alpha = self.alpha if isinstance(self.alpha, str | Real) else np.asarray(self.alpha)
        with threadpool_limits(limits=1):
            model = LdaModel(
                corpus=None,
                num_topics=self.n_topics,
                id2word=dict(enumerate(vocab)),
                chunksize=self.chunksize,
                passes=self.passes,
                iterations=self.iterations,
                alpha=alpha,
                eta=self._gensim_eta(totals, plan) if plan is not None else self.eta,
                decay=self.decay,
                offset=self.offset,
                eval_every=None,
                gamma_threshold=self.gamma_threshold,
                minimum_probability=0.0,
                random_state=self.seed_,
                dtype=np.float64,  # as LDA: float32 differs between BLAS kernels
            )
            if plan is not None:
                for topic, ids in zip(plan.topics, plan.term_ids, strict=True):
                    ids = np.asarray(ids)
                    model.state.sstats[topic, ids] += counts[ids]
                model.expElogbeta = np.exp(dirichlet_expectation(model.state.sstats))
            model.update(X)
        self.model_ = model
        self.components_ = model.state.get_lambda().astype(np.float64)
        self.topic_term_counts_ = np.asarray(model.state.sstats, dtype=np.float64)
        self._n_features_out = self.n_topics
        doc_topic = self.transform(X)
        self.result_ = TopicResult(
            topic_word=normalize_rows(self.components_),
            doc_topic=doc_topic,
            vocab=vocab,
            unit_ids=unit_ids,
            model="lda",
            params=self._result_params(),
            seed=self.seed_,
        )
        return self

    def transform(self, X) -> np.ndarray:
        """Topic shares of each unit (rows sum to 1); a :class:`BowStore` chunk by chunk."""
        if not isinstance(X, BowStore):
            return super().transform(X)
        check_is_fitted(self, "model_")
        parts = [
            super(StreamedLDA, self).transform(chunk.astype(np.float64)) for chunk in X.chunks()
        ]
        return np.vstack(parts) if parts else np.zeros((0, self.n_topics))
