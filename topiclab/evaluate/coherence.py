"""Topic coherence (c_v, c_npmi, u_mass) from one counting pass over the tokens.

The occurrences and co-occurrences of every word of every topic set to be scored (the
union of a whole K grid and its refits) are counted in one pass over the tokenized units,
for each sliding-window size and for whole documents at once, into sparse matrices; the
measures are then read off those counts. The values equal those of gensim's
``CoherenceModel`` on the same tokens (``tests/test_evaluate.py`` checks it against the
real thing), including its sliding-window bookkeeping described in
:func:`_window_intervals`.

References
----------
Röder, M., Both, A., & Hinneburg, A. (2015). Exploring the space of topic coherence
measures. WSDM, 399-408. https://doi.org/10.1145/2684822.2685324

Size: a little over 500 lines, because the counter, gensim's window bookkeeping and the
three measures read off the same counts are one algorithm; split, each part would need the
others' private layout of the counts.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import chain, repeat

import numpy as np
import pandas as pd
import scipy.sparse as sps

from topiclab.models import TopicResult

__all__ = [
    "MEASURES",
    "WINDOW_SIZES",
    "CoherenceScorer",
    "Cooccurrences",
    "coherence",
    "count_cooccurrences",
]

#: Coherence measures, each named as in Röder, Both & Hinneburg (2015).
MEASURES = ("c_v", "c_npmi", "u_mass")

#: Sliding-window size of each measure, as in gensim's ``CoherenceModel``
#: (``SLIDING_WINDOW_SIZES``); ``None`` counts whole documents.
WINDOW_SIZES: dict[str, int | None] = {"c_v": 110, "c_npmi": 10, "u_mass": None}

#: gensim's ``direct_confirmation_measure.EPSILON``, added to every joint probability.
EPSILON = 1e-12

Topics = Sequence[Sequence[str]]

# Pairs of overlapping presence intervals expanded at once (memory: ~40 bytes each).
_PAIR_BATCH = 4_000_000
# Co-occurrences are summed in a dense V x V array up to this many union terms.
_DENSE_TERMS = 2048


def _as_topics(topics: TopicResult | Topics, n: int) -> list[list[str]]:
    if isinstance(topics, TopicResult):
        return topics.top_terms(n)
    return [list(topic)[:n] for topic in topics]


@dataclass(frozen=True)
class Cooccurrences:
    """Occurrence and co-occurrence counts of some terms over windows or documents.

    Attributes
    ----------
    terms : list of str
        The counted terms; row and column ``i`` of ``matrix`` are ``terms[i]``.
    window : int or None
        Sliding-window size, or None for whole documents.
    n : int
        Number of windows (or documents) counted: the denominator of every probability.
    matrix : scipy.sparse.csr_matrix
        Symmetric ``len(terms) x len(terms)`` int64 counts: entry ``(i, j)`` is the number
        of windows holding both terms, the diagonal the number holding each term.
    """

    terms: list[str]
    window: int | None
    n: int
    matrix: sps.csr_matrix

    def submatrix(self, ids: np.ndarray) -> np.ndarray:
        """Dense counts among ``terms[ids]`` (repeated ids give repeated rows)."""
        return self.matrix[ids][:, ids].toarray().astype(np.float64)


def count_cooccurrences(
    texts: Iterable[Sequence[str]],
    terms: Sequence[str],
    windows: Sequence[int | None] = (110, 10, None),
    *,
    chunk_tokens: int = 2_000_000,
) -> dict[int | None, Cooccurrences]:
    """Count ``terms`` and their pairs in sliding windows and documents, in one pass.

    Parameters
    ----------
    texts : iterable of sequence of str
        Tokenized units (documents); iterated once.
    terms : sequence of str
        Distinct terms to count (the union of the topics to score).
    windows : sequence of int or None, default=(110, 10, None)
        Sliding-window sizes to count; None counts whole documents.
    chunk_tokens : int, default=2_000_000
        Documents are counted in chunks of about this many tokens (bounds memory).

    Returns
    -------
    dict
        ``{window: Cooccurrences}``.

    Notes
    -----
    Windows follow gensim's ``WordOccurrenceAccumulator`` exactly: a document shorter
    than the window (or empty) is one window; a longer one has ``len - window + 1``.
    Which terms a window holds follows gensim's incremental bookkeeping, not plain set
    membership (see :func:`_window_intervals`).
    """
    terms = list(terms)
    if len(set(terms)) != len(terms):
        raise ValueError("terms must be distinct")
    if any(w is not None and (int(w) != w or w < 1) for w in windows):
        raise ValueError(f"window sizes must be positive integers or None, got {windows}")
    index = {term: i for i, term in enumerate(terms)}
    n_terms = len(terms)
    totals = {w: _Sums(n_terms) for w in windows}
    for docs in _chunks(texts, chunk_tokens):
        lengths = np.fromiter(map(len, docs), dtype=np.int64, count=len(docs))
        # the one step per token in Python: its id in the union, -1 for any other word
        flat = chain.from_iterable(docs)
        count = int(lengths.sum())
        ids = np.fromiter(map(index.get, flat, repeat(-1)), dtype=np.int64, count=count)
        # the relevant tokens, in (document, position) order
        where = np.flatnonzero(ids >= 0)
        doc_of = np.repeat(np.arange(len(docs)), lengths)
        starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        doc = doc_of[where]
        pos = where - starts[doc]
        word = ids[where].astype(np.int64)
        for window, sums in totals.items():
            if window is None:
                sums.n += len(docs)
                _count_documents(doc, word, len(docs), n_terms, sums)
            else:
                n_windows = np.maximum(lengths - window + 1, 1)
                sums.n += int(n_windows.sum())
                _count_windows(doc, pos, word, n_windows, lengths, window, n_terms, sums)
    return {w: sums.result(terms, w) for w, sums in totals.items()}


class _Sums:
    """Running occurrence and (upper-triangle, off-diagonal) co-occurrence sums."""

    def __init__(self, n_terms: int) -> None:
        self.n_terms = n_terms
        self.n = 0
        self.occurrences = np.zeros(n_terms, dtype=np.int64)
        self.dense = n_terms <= _DENSE_TERMS
        self.pairs: np.ndarray | sps.csr_matrix = (
            np.zeros(n_terms * n_terms, dtype=np.float64)
            if self.dense
            else sps.csr_matrix((n_terms, n_terms), dtype=np.int64)
        )

    def add_pairs(self, a: np.ndarray, b: np.ndarray, weights: np.ndarray) -> None:
        if self.dense:
            # float64 sums of integers stay exact far beyond any corpus size (2**53)
            key = a * self.n_terms + b
            self.pairs += np.bincount(key, weights=weights, minlength=self.n_terms**2)
        else:
            shape = (self.n_terms, self.n_terms)
            self.pairs = self.pairs + sps.csr_matrix((weights, (a, b)), shape=shape)

    def result(self, terms: list[str], window: int | None) -> Cooccurrences:
        n = self.n_terms
        if self.dense:
            pairs = sps.csr_matrix(np.rint(self.pairs).astype(np.int64).reshape(n, n))
        else:
            pairs = self.pairs.astype(np.int64)
        matrix = (
            pairs + pairs.T + sps.diags(self.occurrences, format="csr", dtype=np.int64)
        ).tocsr()
        matrix.eliminate_zeros()
        return Cooccurrences(terms, window, int(self.n), matrix.astype(np.int64))


def _chunks(texts: Iterable[Sequence[str]], chunk_tokens: int) -> Iterator[list[Sequence[str]]]:
    chunk: list[Sequence[str]] = []
    size = 0
    for text in texts:
        chunk.append(text)
        size += len(text)
        if size >= chunk_tokens:
            yield chunk
            chunk, size = [], 0
    if chunk:
        yield chunk


def _count_documents(doc, word, n_docs, n_terms, sums: _Sums) -> None:
    """Document co-occurrence: X^T X of the (documents x terms) boolean matrix."""
    present = sps.csr_matrix(
        (np.ones(len(doc), dtype=np.int64), (doc, word)), shape=(n_docs, n_terms)
    )
    present.sum_duplicates()
    present.data[:] = 1
    gram = (present.T @ present).tocoo()
    sums.occurrences += np.asarray(present.sum(axis=0)).ravel()
    upper = gram.row < gram.col
    sums.add_pairs(gram.row[upper], gram.col[upper], gram.data[upper].astype(np.float64))


def _window_intervals(doc, pos, word, n_windows, window):
    """The windows of each document in which each term counts as present, as intervals.

    gensim's ``WordOccurrenceAccumulator._slide_window`` does not recompute a window's
    word set: moving one token on, it unmarks the token that left (even if the same word
    is still inside the window) and marks the token that entered. So a word counts as
    present in window ``t`` iff the last of these events at or before ``t`` marked it.
    For a word occurring at positions ``p_1 < p_2 < ...`` of a document, occurrence ``j``
    marks it at window ``a_j = max(0, p_j - window + 1)`` and occurrence ``i`` unmarks it
    at window ``p_i + 1`` (unmarking comes first when both fall on one window). So the
    word is present on ``[a_j, min(a_{j+1}, p_k + 1, n_windows))``, where ``p_k`` is its
    first occurrence at or after ``a_j``: the first unmarking after ``a_j``.

    Returns
    -------
    doc, word, start, end : numpy.ndarray
        One row per presence interval ``[start, end)`` of window indices, sorted by
        (doc, start); intervals of one word in one document are disjoint.
    """
    if len(doc) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty, empty
    n_terms = int(word.max()) + 1
    # occurrences grouped by (document, word), positions ascending within a group
    order = np.argsort(doc * n_terms + word, kind="stable")
    doc, pos, word = doc[order], pos[order], word[order]
    new_group = np.ones(len(doc), dtype=bool)
    new_group[1:] = (doc[1:] != doc[:-1]) | (word[1:] != word[:-1])
    group = np.cumsum(new_group) - 1
    last = n_windows[doc]
    mark = np.maximum(pos - window + 1, 0)
    next_mark = last.copy()
    same = ~new_group[1:]
    next_mark[:-1][same] = mark[1:][same]
    # first occurrence of the group at or after the marking window
    span = int(pos.max()) + 2
    key = group * span + pos
    first_after = pos[np.searchsorted(key, group * span + mark, side="left")]
    end = np.minimum(np.minimum(next_mark, first_after + 1), last)
    keep = end > mark
    doc, word, start, end, group = doc[keep], word[keep], mark[keep], end[keep], group[keep]
    # adjacent intervals of one word are one interval (fewer pairs to expand below)
    joined = np.zeros(len(doc), dtype=bool)
    joined[1:] = (group[1:] == group[:-1]) & (start[1:] == end[:-1])
    head = np.flatnonzero(~joined)
    tail = np.append(head[1:], len(doc)) - 1
    doc, word, start, end = doc[head], word[head], start[head], end[tail]
    order = np.lexsort((start, doc))
    return doc[order], word[order], start[order], end[order]


def _count_windows(doc, pos, word, n_windows, lengths, window, n_terms, sums: _Sums) -> None:
    """Sliding-window (co-)occurrences from the overlaps of presence intervals."""
    doc, word, start, end = _window_intervals(doc, pos, word, n_windows, window)
    if len(doc) == 0:
        return
    sums.occurrences += np.bincount(word, weights=end - start, minlength=n_terms).astype(np.int64)
    # Interval j overlaps an earlier-starting interval i of the same document iff it
    # starts before i ends; sorted by (doc, start), those j directly follow i.
    span = int(n_windows.max()) + 1
    key = doc * span + start
    stop = np.searchsorted(key, doc * span + end, side="left")
    n_after = stop - np.arange(len(doc)) - 1
    bounds = np.concatenate([[0], np.cumsum(n_after)])
    first = 0
    while first < len(doc):
        # a batch of intervals whose pairs fit in memory (at least one interval)
        last = int(np.searchsorted(bounds, bounds[first] + _PAIR_BATCH, side="right")) - 1
        last = max(last, first + 1)
        counts = n_after[first:last]
        total = int(counts.sum())
        if total:
            i = np.repeat(np.arange(first, last), counts)
            offsets = np.repeat(bounds[first:last] - bounds[first], counts)
            j = i + 1 + (np.arange(total) - offsets)
            overlap = np.minimum(end[i], end[j]) - start[j]
            a, b = word[i], word[j]
            lo, hi = np.minimum(a, b), np.maximum(a, b)
            sums.add_pairs(lo, hi, overlap.astype(np.float64))
        first = last


# --------------------------------------------------------------------------- measures


def _log_ratio(co: np.ndarray, count_a: np.ndarray, count_b: np.ndarray, n: float):
    """gensim's ``log_ratio_measure``: log((P(a,b) + eps) / (P(a) P(b)))."""
    return np.log((co / n + EPSILON) / (count_a / n * (count_b / n)))


def _npmi(co: np.ndarray, counts: np.ndarray, n: float) -> np.ndarray:
    """Normalised PMI of every pair of ``counts`` (gensim's ``normalize=True``)."""
    ratio = _log_ratio(co, counts[:, None], counts[None, :], n)
    return ratio / -np.log(co / n + EPSILON)


def _c_npmi(co: np.ndarray, n: float) -> float:
    """Mean NPMI over the ordered pairs of distinct positions (segmentation s_one_one)."""
    size = len(co)
    values = _npmi(co, np.diag(co).copy(), n)
    return float(np.mean(values[~np.eye(size, dtype=bool)]))


def _u_mass(co: np.ndarray, n: float) -> float:
    """Mean log conditional probability over the pairs (later | earlier) (s_one_pre)."""
    counts = np.diag(co).copy()
    later, earlier = np.tril_indices(len(co), k=-1)
    # pairs in gensim's order: for each later word, the earlier ones
    order = np.lexsort((earlier, later))
    later, earlier = later[order], earlier[order]
    star = counts[earlier]
    values = np.zeros(len(later))
    ok = star != 0  # gensim scores a pair whose conditioning word never occurs as 0.0
    values[ok] = np.log((co[later[ok], earlier[ok]] / n + EPSILON) / (star[ok] / n))
    return float(np.mean(values))


def _c_v(co: np.ndarray, ids: np.ndarray, n: float) -> float:
    """Mean cosine of each word's NPMI context vector with the topic's (s_one_set)."""
    npmi = _npmi(co, np.diag(co).copy(), n)
    # Context vectors live on the topic's distinct words; a repeated word adds its row
    # once per repetition, as gensim's loop over the topic's words does.
    _, first, multiplicity = np.unique(ids, return_index=True, return_counts=True)
    columns = npmi[:, first] * multiplicity  # (positions x distinct words)
    topic = columns.sum(axis=0)
    # gensim's vectors are sparse: a zero entry stores nothing, so 0 * inf adds nothing
    product = columns * topic
    product[(columns == 0) | (topic == 0)[None, :]] = 0.0
    dots = product.sum(axis=1)
    norms = np.sqrt((columns**2).sum(axis=1)) * np.sqrt((topic**2).sum())
    return float(np.mean(dots / norms))


class CoherenceScorer:
    """Word co-occurrence statistics of one corpus, shared by every topic set scored.

    :meth:`prepare` counts, in one pass over ``texts``, the occurrences and
    co-occurrences of every word of every topic set it is given (for each measure's
    window size and for whole documents at once); :meth:`score` then scores any topic
    set within those words without reading the corpus again. The scores equal those of a
    fresh gensim ``CoherenceModel`` per topic set on the same tokens.

    Parameters
    ----------
    texts : iterable of sequence of str
        The tokenized units (sliding windows run over each). Re-iterable (a list, a
        :class:`topiclab.stream.TokenStore`); a one-shot iterator is read into a list.
    dictionary : gensim.corpora.Dictionary, optional
        The vocabulary of the topics: topic words outside it raise ``ValueError``, as a
        guard against scoring words the model never saw. Without it any words are scored
        (a word absent from ``texts`` has zero counts).
    measures : sequence of str, default=("c_v", "c_npmi", "u_mass")
        Coherence measures to compute.
    topn : int, default=10
        Number of top terms per topic that are scored.

    Attributes
    ----------
    n_estimations : int
        How many counting passes over ``texts`` were made (one per :meth:`prepare` that
        brought new words).
    counts : dict
        ``{window: Cooccurrences}`` of the last pass (window None = documents).
    """

    def __init__(
        self,
        texts: Iterable[Sequence[str]],
        dictionary=None,
        *,
        measures: Sequence[str] = MEASURES,
        topn: int = 10,
    ) -> None:
        unknown = set(measures) - set(MEASURES)
        if unknown:
            raise ValueError(f"unknown coherence measures {sorted(unknown)}; use {MEASURES}")
        self.texts = list(texts) if isinstance(texts, Iterator) else texts
        self.dictionary = dictionary
        self.measures = tuple(measures)
        self.topn = topn
        self.n_estimations = 0
        self.counts: dict[int | None, Cooccurrences] = {}
        self._index: dict[str, int] = {}

    def prepare(self, topic_sets: Iterable[TopicResult | Topics]) -> CoherenceScorer:
        """Count the statistics for every word of the given topic sets in one pass."""
        words = {
            w for topics in topic_sets for topic in _as_topics(topics, self.topn) for w in topic
        }
        if self.dictionary is not None:
            absent = sorted(w for w in words if w not in self.dictionary.token2id)
            if absent:
                raise ValueError(f"topic words not in the dictionary: {', '.join(absent[:20])}")
        if words <= self._index.keys():
            return self
        terms = sorted(words | self._index.keys())
        windows = list(dict.fromkeys(WINDOW_SIZES[m] for m in self.measures))
        self.counts = count_cooccurrences(self.texts, terms, windows)
        self._index = {term: i for i, term in enumerate(terms)}
        self.n_estimations += 1
        return self

    def score(self, topics: TopicResult | Topics) -> pd.DataFrame:
        """Coherence of each topic: one row per topic, one column per measure."""
        topics = _as_topics(topics, self.topn)
        if any(len(topic) < 2 for topic in topics):
            raise ValueError("coherence needs at least 2 terms per topic")
        self.prepare([topics])
        frame = pd.DataFrame({"topic": np.arange(len(topics))})
        with np.errstate(divide="ignore", invalid="ignore"):
            for measure in self.measures:
                counts = self.counts[WINDOW_SIZES[measure]]
                values = []
                for topic in topics:
                    ids = np.array([self._index[w] for w in topic])
                    co = counts.submatrix(ids)
                    if measure == "c_v":
                        values.append(_c_v(co, ids, float(counts.n)))
                    elif measure == "c_npmi":
                        values.append(_c_npmi(co, float(counts.n)))
                    else:
                        values.append(_u_mass(co, float(counts.n)))
                frame[measure] = np.asarray(values, dtype=float)
        return frame


def _named_topic_sets(results) -> list[tuple[str, int, TopicResult | Topics]]:
    """``(model, k, topics)`` for a TopicResult, a topic list, or a sequence/dict of them."""

    def is_topic_list(value) -> bool:
        return (
            isinstance(value, Sequence)
            and not isinstance(value, str)
            and len(value) > 0
            and all(isinstance(t, Sequence) and not isinstance(t, str) for t in value)
            and all(isinstance(w, str) for t in value for w in t)
        )

    def entry(name: str, value) -> tuple[str, int, TopicResult | Topics]:
        if isinstance(value, TopicResult):
            return (value.model if name is None else name, value.n_topics, value)
        if not is_topic_list(value):
            raise TypeError("expected a TopicResult or a list of topics (lists of terms)")
        return (name or "topics", len(value), value)

    if isinstance(results, TopicResult) or is_topic_list(results):
        return [entry(None, results)]
    if isinstance(results, dict):
        return [entry(str(name), value) for name, value in results.items()]
    results = list(results)
    plain = sum(not isinstance(r, TopicResult) for r in results)
    return [
        entry(None if isinstance(r, TopicResult) or plain == 1 else f"topics_{i}", r)
        for i, r in enumerate(results)
    ]


def coherence(
    results,
    texts: Iterable[Sequence[str]] | None = None,
    dictionary=None,
    *,
    topn: int = 10,
    measures: Sequence[str] = MEASURES,
    scorer: CoherenceScorer | None = None,
) -> pd.DataFrame:
    """Per-topic coherence of one or more topic sets, from one counting pass.

    Parameters
    ----------
    results : TopicResult, list of topics, or a sequence or dict of them
        What to score. A list of topics is any model's top terms as lists of strings,
        e.g. ``[["bóng_đá", "cầu_thủ", ...], ...]``; only the top ``topn`` count.
    texts : iterable of sequence of str, optional
        Tokenized units; not needed when ``scorer`` is given.
    dictionary : gensim.corpora.Dictionary, optional
        When given, topic words outside it raise ``ValueError``.
    topn : int, default=10
        Top terms per topic.
    measures : sequence of str, default=("c_v", "c_npmi", "u_mass")
    scorer : CoherenceScorer, optional
        Statistics already gathered for this corpus.

    Returns
    -------
    pandas.DataFrame
        ``model, k, topic`` and one column per measure. ``model`` is the result's model
        name, the dict key, or ``"topics"`` (``"topics_<i>"`` for the i-th of several
        plain topic lists).
    """
    entries = _named_topic_sets(results)
    if scorer is None:
        if texts is None:
            raise ValueError("give texts (and optionally a dictionary), or a prepared scorer")
        scorer = CoherenceScorer(texts, dictionary, measures=measures, topn=topn)
    scorer.prepare(topics for _, _, topics in entries)
    frames = []
    for name, k, topics in entries:
        frame = scorer.score(topics)
        frame.insert(0, "k", k)
        frame.insert(0, "model", name)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)
