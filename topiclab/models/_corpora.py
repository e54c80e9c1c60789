"""What LDA's ``fit`` and ``transform`` accept besides a matrix: any re-iterable corpus of
token lists or ``(term_id, count)`` rows (a list, a ``TokenStore``, a ``BowStore``), read
one unit at a time."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator

import numpy as np
import scipy.sparse as sp

from topiclab.vectorize import BowCorpus


def _corpus_kind(X) -> str:
    """``"matrix"`` for array-likes, ``"tokens"`` / ``"bow"`` for a re-iterable corpus.

    A corpus is anything iterable that is not an array (a list, a
    :class:`~topiclab.stream.TokenStore`, a :class:`~topiclab.stream.BowStore`, a
    :class:`~topiclab.vectorize.BowCorpus`) whose units are lists of str (tokens) or of
    ``(term_id, count)`` pairs (gensim's bag of words).
    """
    if sp.issparse(X) or isinstance(X, np.ndarray) or hasattr(X, "__array__"):
        return "matrix"
    if isinstance(X, str | bytes) or not isinstance(X, Iterable):
        return "matrix"
    if iter(X) is X:
        # a generator would be exhausted by the fit before the units' shares are read
        raise TypeError(
            "X is an iterator that can be read only once; pass a re-iterable corpus "
            "(a list, TokenStore or BowStore) or a matrix"
        )
    for unit in X:
        if isinstance(unit, str):
            raise TypeError("X holds strings: pass one list of tokens per unit")
        for item in unit:
            if isinstance(item, str):
                return "tokens"
            if isinstance(item, tuple | list) and len(item) == 2:
                return "bow"
            return "matrix"
    return "matrix"


def _unit_words(X, kind: str, vocab: list[str] | None) -> Iterator[list[str]]:
    """Each unit as the list of its tokens (a term repeated by its count), in unit order."""
    if kind == "tokens":
        # In vocabulary order, as a matrix row is read: Gibbs sampling visits the tokens
        # in the order given, so the fit then depends on the bag of words only (token
        # lists and their count matrix give the same topics). Without a vocabulary, the
        # vocabulary is the sorted tokens, hence the plain sort.
        if vocab is None:
            for unit in X:
                yield sorted(unit)
            return
        index = {term: j for j, term in enumerate(vocab)}
        for unit in X:
            yield sorted((t for t in unit if t in index), key=index.__getitem__)
        return
    if kind == "bow":
        for unit in X:
            words = []
            for term_id, count in unit:
                if count < 0 or count != round(count):
                    raise ValueError("backend='tomotopy' needs integer term counts in X")
                term = vocab[term_id] if vocab is not None else f"term_{term_id}"
                words.extend([term] * int(count))
            yield words
        return
    if not np.allclose(X.data, np.round(X.data)):
        raise ValueError("backend='tomotopy' needs integer term counts in X")
    terms = np.asarray(vocab, dtype=object)
    counts = np.round(X.data).astype(np.int64)
    for row in range(X.shape[0]):
        start, stop = X.indptr[row], X.indptr[row + 1]
        yield terms[np.repeat(X.indices[start:stop], counts[start:stop])].tolist()


def _placeholder_vocab(words: Iterable[str]) -> list[str]:
    """``term_0 ... term_n`` up to the largest term id a BoW corpus without vocab used."""
    top = max((int(w.removeprefix("term_")) for w in words), default=-1)
    return [f"term_{j}" for j in range(top + 1)]


def _check_corpus_size(n_topics: int, n_units: int, n_terms: int, n_filled: int) -> None:
    """The checks ``_validate_fit_input`` makes on a matrix, for a streamed corpus."""
    if n_topics > n_units:
        raise ValueError(
            f"n_topics={n_topics} is larger than the number of units "
            f"(n_samples={n_units}); use fewer topics or more units"
        )
    if n_topics > n_terms:
        raise ValueError(
            f"n_topics={n_topics} is larger than the vocabulary "
            f"(n_features={n_terms}); use fewer topics or a larger vocabulary"
        )
    if n_filled == 0:
        raise ValueError("X is all zeros: every unit is empty, there is nothing to model")


def _bow_rows(X, kind: str, vocab: list[str]) -> Iterator[list[tuple[int, float]]]:
    """Each unit as gensim's ``[(term_id, count), ...]`` over ``vocab`` (others dropped)."""
    if kind == "matrix":
        yield from BowCorpus(X)
        return
    if kind == "bow":
        n_terms = len(vocab)
        for unit in X:
            yield [(int(j), float(c)) for j, c in unit if 0 <= j < n_terms]
        return
    index = {term: j for j, term in enumerate(vocab)}
    for unit in X:
        counts = Counter(index[t] for t in unit if t in index)
        yield sorted((j, float(c)) for j, c in counts.items())
