"""Vocabulary, document-frequency filtering and the BoW / TF-IDF matrices.

Every row of the matrices is one unit, in the order the tokens came in: a unit that
loses all its tokens to the filters stays as an all-zero row and is listed in
:attr:`VectorizedCorpus.empty_units`, so metadata such as locality and year stays
aligned and nothing disappears without a record.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

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
        Smoothed TF-IDF with l2-normalised rows (all-zero rows stay zero).
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


def _check_tokens(tokens: Sequence[Sequence[str]]) -> list[list[str]]:
    if isinstance(tokens, str):
        raise TypeError("tokens must be a list of token lists, one per unit, not a string")
    checked = []
    for i, unit in enumerate(tokens):
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
    if not checked:
        raise ValueError("no units to vectorize: tokens is empty")
    return checked


def _sorted_dictionary(documents: list[list[str]], terms: Sequence[str]) -> Dictionary:
    """A gensim Dictionary whose ids follow the sorted order of ``terms``."""
    dictionary = Dictionary()
    # Presetting the ids makes add_documents count only, so id j is the j-th sorted term.
    dictionary.token2id = {term: i for i, term in enumerate(sorted(terms))}
    dictionary.add_documents(documents)
    return dictionary


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
    reported with its reason.

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
    documents = _check_tokens(tokens)
    if not (isinstance(no_below, int | np.integer) and no_below >= 1):
        raise ValueError(f"no_below must be a positive integer, got {no_below!r}")
    if not (0.0 < float(no_above) <= 1.0):
        raise ValueError(f"no_above must be in (0, 1], got {no_above!r}")
    if keep_n is not None and not (isinstance(keep_n, int | np.integer) and keep_n >= 1):
        raise ValueError(f"keep_n must be a positive integer or None, got {keep_n!r}")

    n_units = len(documents)
    all_terms = {term for unit in documents for term in unit}
    full = _sorted_dictionary(documents, all_terms)
    filtered = _sorted_dictionary([], all_terms)
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

    kept_documents = [[term for term in unit if term in kept] for unit in documents]
    dictionary = _sorted_dictionary(kept_documents, kept)
    vocab = sorted(kept)

    indptr = [0]
    indices: list[int] = []
    data: list[int] = []
    for unit in kept_documents:
        for term_id, count in dictionary.doc2bow(unit):
            indices.append(term_id)
            data.append(count)
        indptr.append(len(indices))
    bow = sp.csr_matrix(
        (np.asarray(data, dtype=np.int64), np.asarray(indices, dtype=np.int32), indptr),
        shape=(n_units, len(vocab)),
    )
    bow.sort_indices()
    tfidf = sp.csr_matrix(TfidfTransformer(norm="l2", smooth_idf=True).fit_transform(bow))

    empty_units = [int(i) for i in np.flatnonzero(np.diff(bow.indptr) == 0)]
    if empty_units:
        shown = ", ".join(map(str, empty_units[:10])) + (" ..." if len(empty_units) > 10 else "")
        warnings.warn(
            f"{len(empty_units)} of {n_units} units have no token left after filtering "
            f"(rows {shown}); they stay as all-zero rows, listed in empty_units",
            EmptyUnitsWarning,
            stacklevel=2,
        )

    return VectorizedCorpus(
        vocab=vocab,
        bow=bow,
        tfidf=tfidf,
        dictionary=dictionary,
        removed=removed,
        empty_units=empty_units,
        params={"no_below": int(no_below), "no_above": float(no_above), "keep_n": keep_n},
    )
