"""Vocabulary, document-frequency filtering and the BoW / TF-IDF matrices.

Every row of the matrices is one unit, in the order the tokens came in: a unit that
loses all its tokens to the filters stays as an all-zero row and is listed in
:attr:`VectorizedCorpus.empty_units`, so metadata such as locality and year stays
aligned and nothing disappears without a record.

Size: just over 500 lines, because this is the one vectorizer core of both views (in memory
and the on-disk stores of :mod:`topiclab.stream`) together with the folder layout both save
to; splitting the layout from the core would put the format of one object in two modules.
"""

from __future__ import annotations

import io
import json
import warnings
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp
from gensim.corpora import Dictionary
from sklearn.feature_extraction.text import TfidfTransformer

__all__ = [
    "BowCorpus",
    "EmptyUnitsWarning",
    "VectorizedCorpus",
    "vectorize",
]

#: Reasons a term is removed from the vocabulary (column ``reason`` of ``removed``).
REASON_NO_BELOW = "no_below"
REASON_NO_ABOVE = "no_above"
REASON_KEEP_N = "keep_n"


class EmptyUnitsWarning(UserWarning):
    """Some units have no token left after filtering (they are kept as zero rows)."""


class BowCorpus:
    """A re-iterable gensim corpus view over the rows of a sparse count matrix.

    Iterating yields one unit at a time as a list of ``(term_id, count)`` pairs, so
    gensim holds one unit in memory, and the object can be iterated again for every
    pass (a generator could be read only once).

    Parameters
    ----------
    matrix : scipy.sparse matrix of shape (n_units, n_terms)
        Term counts, one row per unit.
    """

    def __init__(self, matrix: sp.spmatrix | sp.sparray) -> None:
        self.matrix = sp.csr_matrix(matrix)

    def __len__(self) -> int:
        return int(self.matrix.shape[0])

    def __iter__(self) -> Iterator[list[tuple[int, float]]]:
        indptr, indices, data = self.matrix.indptr, self.matrix.indices, self.matrix.data
        for row in range(self.matrix.shape[0]):
            start, stop = indptr[row], indptr[row + 1]
            yield list(zip(indices[start:stop].tolist(), data[start:stop].tolist(), strict=True))


@dataclass
class VectorizedCorpus:
    """The units as matrices over one sorted vocabulary.

    Attributes
    ----------
    vocab : list of str
        The kept terms in sorted order; column ``j`` of every matrix is ``vocab[j]``
        and gensim id ``j`` in ``dictionary``.
    bow : scipy.sparse.csr_matrix of shape (n_units, n_terms)
        Term counts (int64), one row per input unit, in input order.
    tfidf : scipy.sparse.csr_matrix of shape (n_units, n_terms)
        Smoothed TF-IDF with l2-normalised rows (all-zero rows stay zero). In the run
        (:func:`topiclab.stream.stored_vectorized`) a ``StoredMatrix``, read by the process
        that fits NMF.
    dictionary : gensim.corpora.Dictionary
        Ids in sorted term order, document frequencies of the kept terms.
    removed : pandas.DataFrame
        One row per removed term: ``term, doc_freq, doc_fraction, reason`` where
        ``reason`` is ``"no_below"`` (in fewer units than ``no_below``),
        ``"no_above"`` (in more than ``no_above`` of the units) or ``"keep_n"``
        (beyond the ``keep_n`` most frequent terms).
    empty_units : list of int
        Row indices of the units with no token left after filtering.
    params : dict
        The filter settings used.
    """

    vocab: list[str]
    bow: sp.csr_matrix
    tfidf: sp.csr_matrix
    dictionary: Dictionary
    removed: pd.DataFrame
    empty_units: list[int]
    params: dict

    @property
    def n_units(self) -> int:
        """Number of units (rows)."""
        return int(self.bow.shape[0])

    @property
    def n_terms(self) -> int:
        """Vocabulary size (columns)."""
        return len(self.vocab)

    def corpus(self) -> BowCorpus:
        """A re-iterable gensim corpus over the BoW rows."""
        return BowCorpus(self.bow)

    def save(self, folder: str | Path) -> Path:
        """Write the corpus in open formats, as the folder of a :class:`~topiclab.stream.BowStore`.

        ``bow/part-00000.npz`` and ``tfidf.npz`` (scipy sparse NPZ), ``dictionary.txt``
        (gensim's sorted text format), ``removed.csv`` and ``store.json`` (vocabulary size,
        empty units, filter settings). :meth:`load` and ``BowStore(folder)`` read it back.
        """
        folder = Path(folder)
        write_bow_parts(folder, [self.bow])
        write_vectorized_rest(
            folder,
            dictionary=self.dictionary,
            removed=self.removed,
            params=self.params,
            n_units=self.n_units,
            n_terms=self.n_terms,
            empty_units=self.empty_units,
            tfidf=self.tfidf,
        )
        return folder

    @classmethod
    def load(cls, folder: str | Path) -> VectorizedCorpus:
        """The corpus saved by :meth:`save` (or written by ``vectorize_store``), in memory."""
        folder = Path(folder)
        meta = read_store_meta(folder)["vectorize"]
        parts = [sp.csr_matrix(sp.load_npz(path)) for path in bow_parts(folder)]
        dictionary = Dictionary.load_from_text(str(folder / "dictionary.txt"))
        vocab = [term for term, _ in sorted(dictionary.token2id.items(), key=lambda x: x[1])]
        return cls(
            vocab=vocab,
            bow=sp.csr_matrix(sp.vstack(parts, format="csr")) if len(parts) > 1 else parts[0],
            tfidf=sp.csr_matrix(sp.load_npz(folder / "tfidf.npz")),
            dictionary=dictionary,
            removed=pd.read_csv(folder / "removed.csv", keep_default_na=False),
            empty_units=[int(i) for i in meta["empty_units"]],
            params={k: meta[k] for k in ("no_below", "no_above", "keep_n")},
        )

    def summary(self) -> str:
        """One paragraph a researcher can read: what was kept, removed and why."""
        counts = self.removed["reason"].value_counts()
        parts = [f"{int(counts.get(reason, 0))} {reason}" for reason in _REASONS]
        return (
            f"{self.n_units} units, {self.n_terms} terms kept, "
            f"{len(self.removed)} removed ({', '.join(parts)}), "
            f"{len(self.empty_units)} units left empty"
        )


_REASONS = (REASON_NO_BELOW, REASON_NO_ABOVE, REASON_KEEP_N)


def _check_tokens(
    tokens: Sequence[Sequence[str]], offset: int = 0, *, allow_empty: bool = False
) -> list[list[str]]:
    """The units as lists of str; ``offset`` numbers the units of a later chunk."""
    if isinstance(tokens, str):
        raise TypeError("tokens must be a list of token lists, one per unit, not a string")
    checked = []
    for i, unit in enumerate(tokens, start=offset):
        if isinstance(unit, str):
            raise TypeError(
                f"unit {i} is a string, expected a list of tokens; "
                "tokenize the texts first (topiclab.tokenize or Preprocessor.transform)"
            )
        if unit is None or isinstance(unit, float):
            raise TypeError(f"unit {i} is {unit!r}, expected a list of tokens (missing text?)")
        unit = list(unit)
        for token in unit:
            if not isinstance(token, str):
                raise TypeError(f"unit {i} holds a non-string token {token!r}")
        checked.append(unit)
    if not checked and not allow_empty:
        raise ValueError("no units to vectorize: tokens is empty")
    return checked


def _check_settings(no_below: int, no_above: float, keep_n: int | None) -> None:
    if not (isinstance(no_below, int | np.integer) and no_below >= 1):
        raise ValueError(f"no_below must be a positive integer, got {no_below!r}")
    if not (0.0 < float(no_above) <= 1.0):
        raise ValueError(f"no_above must be in (0, 1], got {no_above!r}")
    if keep_n is not None and not (isinstance(keep_n, int | np.integer) and keep_n >= 1):
        raise ValueError(f"keep_n must be a positive integer or None, got {keep_n!r}")


def _sorted_dictionary(counts: Dictionary, terms: Sequence[str]) -> Dictionary:
    """``counts`` re-keyed so that id ``j`` is the ``j``-th of the sorted ``terms``."""
    dictionary = Dictionary()
    dictionary.token2id = {term: i for i, term in enumerate(sorted(terms))}
    old = counts.token2id
    dictionary.dfs = {new: counts.dfs[old[term]] for term, new in dictionary.token2id.items()}
    dictionary.cfs = {new: counts.cfs[old[term]] for term, new in dictionary.token2id.items()}
    dictionary.num_docs = counts.num_docs
    dictionary.num_pos = counts.num_pos
    dictionary.num_nnz = counts.num_nnz
    return dictionary


@dataclass
class Vocabulary:
    """The terms kept by the document-frequency filters, and why the others went.

    Attributes
    ----------
    terms : list of str
        The kept terms, sorted: column ``j`` of the matrices is ``terms[j]``.
    removed : pandas.DataFrame
        ``term, doc_freq, doc_fraction, reason`` of every removed term.
    n_units : int
        Units counted.
    params : dict
        ``no_below, no_above, keep_n``.
    """

    terms: list[str]
    removed: pd.DataFrame
    n_units: int
    params: dict


def learn_vocabulary(
    chunks: Iterable[Sequence[Sequence[str]]],
    *,
    no_below: int = 2,
    no_above: float = 0.95,
    keep_n: int | None = 20000,
) -> Vocabulary:
    """One pass over the token lists, one chunk at a time: the filtered vocabulary.

    gensim's :meth:`~gensim.corpora.Dictionary.filter_extremes` decides what is kept; every
    removed term is recorded with its reason. Memory holds one chunk and the term counts.

    Raises
    ------
    ValueError
        If there are no units, or no term is left after filtering.
    """
    _check_settings(no_below, no_above, keep_n)
    counting = Dictionary()
    offset = 0
    for chunk in chunks:
        counting.add_documents(_check_tokens(chunk, offset, allow_empty=True))
        offset += len(chunk)
    n_units = counting.num_docs
    if n_units == 0:
        raise ValueError("no units to vectorize: tokens is empty")
    all_terms = list(counting.token2id)
    full = _sorted_dictionary(counting, all_terms)
    del counting
    filtered = Dictionary()
    filtered.token2id = dict(full.token2id)
    filtered.dfs = dict(full.dfs)
    filtered.num_docs = full.num_docs
    # gensim decides what is kept; we only record why each term went.
    filtered.filter_extremes(no_below=no_below, no_above=no_above, keep_n=keep_n)
    kept = set(filtered.token2id)

    no_above_abs = int(no_above * n_units)
    removed_rows = []
    for term, term_id in full.token2id.items():
        if term in kept:
            continue
        df = full.dfs.get(term_id, 0)
        if df < no_below:
            reason = REASON_NO_BELOW
        elif df > no_above_abs:
            reason = REASON_NO_ABOVE
        else:
            reason = REASON_KEEP_N
        removed_rows.append((term, df, df / n_units, reason))
    removed = pd.DataFrame(removed_rows, columns=["term", "doc_freq", "doc_fraction", "reason"])
    removed = removed.sort_values(["reason", "doc_freq", "term"], ascending=[True, False, True])
    removed = removed.reset_index(drop=True)

    if not kept:
        counts = removed["reason"].value_counts()
        raise ValueError(
            f"the vocabulary is empty after filtering {len(all_terms)} terms of {n_units} units "
            f"(no_below={no_below}: {int(counts.get(REASON_NO_BELOW, 0))} removed, "
            f"no_above={no_above}: {int(counts.get(REASON_NO_ABOVE, 0))} removed); "
            "lower no_below, raise no_above, or give more units"
        )
    params = {"no_below": int(no_below), "no_above": float(no_above), "keep_n": keep_n}
    return Vocabulary(terms=sorted(kept), removed=removed, n_units=n_units, params=params)


def count_chunks(
    chunks: Iterable[Sequence[Sequence[str]]], vocabulary: Vocabulary, dictionary: Dictionary
) -> Iterator[sp.csr_matrix]:
    """The BoW counts of each chunk of token lists over ``vocabulary`` (CSR, int64).

    ``dictionary`` (ids = ``vocabulary.terms`` in order, e.g. from :func:`empty_dictionary`)
    counts the kept tokens of every unit as it goes, so after the last chunk its document
    frequencies are those of the kept terms.
    """
    index = dictionary.token2id
    n_terms = len(vocabulary.terms)
    offset = 0
    for chunk in chunks:
        indptr, indices, data = [0], [], []
        for unit in _check_tokens(chunk, offset, allow_empty=True):
            # allow_update counts the unit into the dictionary, as add_documents does
            for term_id, count in dictionary.doc2bow(
                [term for term in unit if term in index], allow_update=True
            ):
                indices.append(term_id)
                data.append(count)
            indptr.append(len(indices))
        matrix = sp.csr_matrix(
            (np.asarray(data, dtype=np.int64), np.asarray(indices, dtype=np.int32), indptr),
            shape=(len(indptr) - 1, n_terms),
        )
        matrix.sort_indices()
        offset += len(chunk)
        yield matrix


def empty_dictionary(vocabulary: Vocabulary) -> Dictionary:
    """A gensim Dictionary with ids in sorted term order and no counts yet."""
    dictionary = Dictionary()
    # Presetting the ids makes doc2bow count only, so id j is the j-th sorted term.
    dictionary.token2id = {term: i for i, term in enumerate(vocabulary.terms)}
    return dictionary


def tfidf_of(bow: sp.spmatrix) -> sp.csr_matrix:
    """Smoothed TF-IDF with l2-normalised rows (all-zero rows stay zero)."""
    return sp.csr_matrix(TfidfTransformer(norm="l2", smooth_idf=True).fit_transform(bow))


def warn_empty_units(empty_units: Sequence[int], n_units: int, stacklevel: int = 3) -> None:
    """The :class:`EmptyUnitsWarning` of units with no token left after filtering."""
    if not len(empty_units):
        return
    shown = ", ".join(map(str, empty_units[:10])) + (" ..." if len(empty_units) > 10 else "")
    warnings.warn(
        f"{len(empty_units)} of {n_units} units have no token left after filtering "
        f"(rows {shown}); they stay as all-zero rows, listed in empty_units",
        EmptyUnitsWarning,
        stacklevel=stacklevel,
    )


def empty_rows(matrix: sp.csr_matrix, offset: int = 0) -> list[int]:
    """Indices (plus ``offset``) of the all-zero rows of a CSR matrix."""
    return [offset + int(i) for i in np.flatnonzero(np.diff(matrix.indptr) == 0)]


def vectorize(
    tokens: Sequence[Sequence[str]],
    *,
    no_below: int = 2,
    no_above: float = 0.95,
    keep_n: int | None = 20000,
) -> VectorizedCorpus:
    """Build the sorted vocabulary and the BoW and TF-IDF matrices of tokenized units.

    Terms are filtered by document frequency with gensim's
    :meth:`~gensim.corpora.Dictionary.filter_extremes` rules; every removed term is
    reported with its reason. This is the in-memory view of the one vectorizer core
    (:func:`learn_vocabulary`, :func:`count_chunks`) that
    :func:`topiclab.stream.vectorize_store` runs chunk by chunk over a token store.

    Parameters
    ----------
    tokens : sequence of sequence of str
        One token list per unit (e.g. from :class:`topiclab.Preprocessor`).
    no_below : int, default=2
        Keep terms that occur in at least this many units.
    no_above : float, default=0.95
        Keep terms that occur in at most this fraction of the units.
    keep_n : int or None, default=20000
        Keep at most this many terms, the most frequent by document frequency
        (ties broken by term order); None keeps all.

    Returns
    -------
    VectorizedCorpus

    Raises
    ------
    ValueError
        If there are no units, or no term is left after filtering.

    Warns
    -----
    EmptyUnitsWarning
        If some units have no token left; they stay as all-zero rows.

    Examples
    --------
    >>> vc = vectorize([["cán_bộ", "đảng_viên"], ["cán_bộ", "kỷ_luật"], ["đảng_viên"]],
    ...                no_below=2, no_above=1.0)
    >>> vc.vocab
    ['cán_bộ', 'đảng_viên']
    >>> vc.removed["term"].tolist(), vc.removed["reason"].tolist()
    (['kỷ_luật'], ['no_below'])
    """
    if isinstance(tokens, str):
        raise TypeError("tokens must be a list of token lists, one per unit, not a string")
    documents = _check_tokens(tokens)
    vocabulary = learn_vocabulary([documents], no_below=no_below, no_above=no_above, keep_n=keep_n)
    dictionary = empty_dictionary(vocabulary)
    (bow,) = count_chunks([documents], vocabulary, dictionary)
    empty_units = empty_rows(bow)
    warn_empty_units(empty_units, vocabulary.n_units)
    return VectorizedCorpus(
        vocab=list(vocabulary.terms),
        bow=bow,
        tfidf=tfidf_of(bow),
        dictionary=dictionary,
        removed=vocabulary.removed,
        empty_units=empty_units,
        params=dict(vocabulary.params),
    )


# -- the folder layout shared with topiclab.stream.BowStore ---------------------------------

#: the sub-folder of the count chunks
BOW_FOLDER = "bow"
#: the stages' counts and settings in a store folder
STORE_META = "store.json"


def bow_parts(root: Path) -> list[Path]:
    """The count chunk files of a store folder, in unit order."""
    return sorted((Path(root) / BOW_FOLDER).glob("part-*.npz"))


def read_store_meta(root: Path) -> dict:
    """``store.json`` of a store folder (empty when absent)."""
    path = Path(root) / STORE_META
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def update_store_meta(root: Path, stage: str, values: dict) -> None:
    """Set one stage's entry of ``store.json``, keeping the other stages'."""
    from topiclab.io import atomic_write_text

    meta = read_store_meta(root)
    meta[stage] = values
    atomic_write_text(Path(root) / STORE_META, json.dumps(meta, indent=2, sort_keys=True) + "\n")


def npz_bytes(matrix: sp.spmatrix) -> bytes:
    """A sparse matrix as uncompressed NPZ bytes (written atomically by the caller)."""
    buffer = io.BytesIO()
    sp.save_npz(buffer, sp.csr_matrix(matrix), compressed=False)
    return buffer.getvalue()


def write_bow_parts(root: Path, parts: Iterable[sp.csr_matrix]) -> tuple[int, list[int]]:
    """Write count chunks as ``bow/part-NNNNN.npz`` (replacing old ones), one at a time.

    Returns the number of units written and the all-zero rows among them.
    """
    from topiclab.io import atomic_write_bytes

    folder = Path(root) / BOW_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    for old in bow_parts(root):
        old.unlink()
    n_units, empty = 0, []
    for index, matrix in enumerate(parts):
        atomic_write_bytes(folder / f"part-{index:05d}.npz", npz_bytes(matrix))
        empty += empty_rows(matrix, n_units)
        n_units += int(matrix.shape[0])
    return n_units, empty


def write_vectorized_rest(
    root: Path,
    *,
    dictionary: Dictionary,
    removed: pd.DataFrame,
    params: dict,
    n_units: int,
    n_terms: int,
    empty_units: Sequence[int],
    tfidf: sp.spmatrix,
) -> None:
    """Everything of a vectorized folder but the count chunks."""
    from topiclab.io import atomic_write_bytes, write_table

    root = Path(root)
    dictionary.save_as_text(str(root / "dictionary.txt"), sort_by_word=True)
    write_table(removed, root / "removed.csv", float_digits=17)
    atomic_write_bytes(root / "tfidf.npz", npz_bytes(tfidf))
    update_store_meta(
        root,
        "vectorize",
        {
            "n_units": int(n_units),
            "n_terms": int(n_terms),
            "empty_units": [int(i) for i in empty_units],
            **params,
        },
    )
