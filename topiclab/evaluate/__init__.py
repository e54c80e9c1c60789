"""Topic quality and model selection: coherence, diversity, seed stability, K grids,
and the alignment of one model's topics with another's.

Coherence is computed from each topic's top terms, so LDA, NMF and any other model's
topics are scored the same way, with the values of gensim's ``CoherenceModel``. The word
co-occurrence counts of a corpus are gathered once, in one pass, for the union of every
topic set scored (:class:`CoherenceScorer`, in :mod:`topiclab.evaluate.coherence`) and
reused for every model and K.
"""

from __future__ import annotations

import tempfile
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import combinations
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment
from scipy.spatial.distance import jensenshannon
from tqdm.auto import tqdm

from topiclab.evaluate.coherence import (
    MEASURES,
    CoherenceScorer,
    Cooccurrences,
    Topics,
    _as_topics,
    coherence,
    count_cooccurrences,
)
from topiclab.evaluate.selection import CHOICE_METRIC, CHOICE_NOTE, choose_k
from topiclab.memory import peaks_one_at_a_time
from topiclab.models import LDA, NMF, TopicResult
from topiclab.models._base import MAX_SEED, check_unit_ids

__all__ = [
    "CHOICE_METRIC",
    "CHOICE_NOTE",
    "MEASURES",
    "CoherenceScorer",
    "Cooccurrences",
    "align",
    "choose_k",
    "coherence",
    "count_cooccurrences",
    "diversity",
    "match_topics",
    "select_k",
    "stability",
]


def diversity(topics: TopicResult | Topics, n: int = 25) -> float:
    """Share of unique words among the top ``n`` words of all topics (1 = no overlap).

    References
    ----------
    Dieng, A. B., Ruiz, F. J. R., & Blei, D. M. (2020). Topic modeling in embedding
    spaces. TACL 8, 439-453. https://doi.org/10.1162/tacl_a_00325
    """
    topics = _as_topics(topics, n)
    total = sum(len(topic) for topic in topics)
    if total == 0:
        raise ValueError("no topic terms to measure diversity on")
    return len({w for topic in topics for w in topic}) / total


def _jaccard_matrix(a: list[list[str]], b: list[list[str]]) -> np.ndarray:
    sets_a, sets_b = [set(t) for t in a], [set(t) for t in b]
    return np.array([[len(x & y) / len(x | y) for y in sets_b] for x in sets_a])


def match_topics(a: TopicResult | Topics, b: TopicResult | Topics, n: int = 10) -> pd.DataFrame:
    """Pair the topics of two fits one-to-one (Hungarian algorithm on top-term Jaccard).

    Returns
    -------
    pandas.DataFrame
        ``topic_a, topic_b, jaccard`` for the matched pairs.
    """
    jaccard = _jaccard_matrix(_as_topics(a, n), _as_topics(b, n))
    rows, cols = linear_sum_assignment(jaccard, maximize=True)
    return pd.DataFrame({"topic_a": rows, "topic_b": cols, "jaccard": jaccard[rows, cols]})


def stability(results: Sequence[TopicResult | Topics], n: int = 10) -> float:
    """Mean matched top-term Jaccard over every pair of fits (1 = the same topics).

    Fit the same model with several seeds, then pass the results here: each pair of
    fits is matched with the Hungarian algorithm and the matched Jaccard similarities
    are averaged, then averaged over pairs.

    References
    ----------
    Greene, D., O'Callaghan, D., & Cunningham, P. (2014). How many topics? Stability
    analysis for topic models. ECML PKDD, 498-513.
    https://doi.org/10.1007/978-3-662-44848-9_32
    """
    if len(results) < 2:
        raise ValueError("stability needs at least two fits")
    scores = [match_topics(a, b, n)["jaccard"].mean() for a, b in combinations(results, 2)]
    return float(np.mean(scores))


def _seeds(random_state: int, n_seeds: int) -> list[int]:
    """The first seed is ``random_state`` itself, so the reported fit is the user's own."""
    extra = np.random.SeedSequence(random_state).generate_state(max(n_seeds - 1, 0))
    return [int(random_state)] + [int(s) % (MAX_SEED + 1) for s in extra]


def select_k(
    vectorized,
    tokens: Sequence[Sequence[str]],
    *,
    k_grid: Sequence[int] = (4, 6, 8, 10),
    models: Sequence[str] = ("lda", "nmf"),
    random_state: int = 0,
    n_seeds: int = 3,
    topn: int = 10,
    diversity_n: int = 25,
    lda_params: Mapping[str, Any] | None = None,
    nmf_params: Mapping[str, Any] | None = None,
    scorer: CoherenceScorer | None = None,
    progress: bool | None = None,
    return_results: bool = False,
    n_jobs: int = 1,
    seeds: Sequence[int] | None = None,
    unit_ids: Sequence[str] | None = None,
    return_fits: bool = False,
):
    """Fit every model at every K and tabulate every diagnostic side by side.

    Parameters
    ----------
    vectorized : VectorizedCorpus
        BoW (for LDA), TF-IDF (for NMF), vocabulary and dictionary.
    tokens : sequence of sequence of str
        The tokenized units, for coherence.
    k_grid : sequence of int, default=(4, 6, 8, 10)
    models : sequence of {"lda", "nmf"}, default=("lda", "nmf")
    random_state : int, default=0
        The one seed; the stability fits use seeds derived from it.
    n_seeds : int, default=3
        Fits per (model, K) for stability (1 = no stability column values). NMF with
        its default ``init="nndsvda"`` starts from an SVD, not from the seed, so its
        stability is 1 by construction; pass ``nmf_params={"init": "random"}`` to
        measure how much its topics depend on the starting point.
    topn : int, default=10
        Top terms for coherence and stability.
    diversity_n : int, default=25
        Top terms for diversity.
    lda_params, nmf_params : dict, optional
        Extra hyper-parameters of :class:`topiclab.LDA` / :class:`topiclab.NMF`.
    scorer : CoherenceScorer, optional
        Corpus statistics to reuse; built here (once for the whole grid) if absent.
    progress : bool or None, default=None
        Show a progress bar; None shows it only on a terminal.
    return_results : bool, default=False
        Also return ``{(model, k): TopicResult}`` of the first seed.
    n_jobs : int, default=1
        Fits run in this many processes (joblib). Every fit is seeded and single-threaded,
        so the table is the same for any ``n_jobs``.
    seeds : sequence of int, optional
        The seeds of the fits of each (model, K), in place of ``random_state`` and
        ``n_seeds``: ``topiclab run`` passes the seeds of its refits, so the fits at the
        chosen K are its refits and are not fitted twice. One seed: no stability values.
    unit_ids : sequence of str, optional
        Unit ids recorded in every fit (as the refits of ``topiclab run`` record them).
    return_fits : bool, default=False
        Also return ``{(model, k): [TopicResult, ...]}``, one per seed in seed order
        (after the results of ``return_results`` when both are asked for).

    Returns
    -------
    pandas.DataFrame
        One row per (model, k): ``model, k, c_v, c_npmi, u_mass, diversity, stability``.
    """
    k_grid = [int(k) for k in k_grid]
    unknown = set(models) - {"lda", "nmf"}
    if unknown:
        raise ValueError(f"unknown models {sorted(unknown)}; use 'lda' and/or 'nmf'")
    too_big = [k for k in k_grid if k > min(vectorized.n_units, vectorized.n_terms)]
    if too_big:
        raise ValueError(
            f"K={too_big} larger than the number of units ({vectorized.n_units}) "
            f"or the vocabulary ({vectorized.n_terms})"
        )
    seeds = _seeds(random_state, n_seeds) if seeds is None else [int(s) for s in seeds]
    if not seeds:
        raise ValueError("select_k needs at least one seed")
    fits: dict[tuple[str, int], list[TopicResult]] = {}
    cells = [(model, k) for model in models for k in k_grid]
    tasks = [(model, k, seed) for model, k in cells for seed in seeds]
    params = {"lda": dict(lda_params or {}), "nmf": dict(nmf_params or {})}
    matrices = {"lda": vectorized.bow, "nmf": vectorized.tfidf}
    results = fit_topic_models(
        [(m, k, seed, matrices[m], vectorized.vocab, params[m], unit_ids) for m, k, seed in tasks],
        n_jobs=n_jobs,
    )
    with tqdm(
        total=len(tasks),
        desc="model selection",
        unit="fit",
        disable=None if progress is None else not progress,
    ) as bar:
        for (model, k, _), result in zip(tasks, results, strict=True):
            fits.setdefault((model, k), []).append(result)
            bar.set_postfix_str(f"{model} k={k}")
            bar.update()

    if scorer is None:
        scorer = CoherenceScorer(tokens, vectorized.dictionary, topn=topn)
    first = {cell: results[0] for cell, results in fits.items()}
    scorer.prepare(first.values())
    rows = []
    for (model, k), result in first.items():
        scores = scorer.score(result)
        rows.append(
            {
                "model": model,
                "k": k,
                **{m: float(scores[m].mean()) for m in MEASURES if m in scores},
                "diversity": diversity(result, diversity_n),
                "stability": stability(fits[model, k], topn) if len(seeds) > 1 else np.nan,
            }
        )
    frame = pd.DataFrame(rows, columns=["model", "k", *MEASURES, "diversity", "stability"])
    extra = ([first] if return_results else []) + ([fits] if return_fits else [])
    return (frame, *extra) if extra else frame


FitTask = tuple[str, int, int, Any, Sequence[str], Mapping[str, Any], Sequence[str] | None]


def fit_topic_models(tasks: Sequence[FitTask], n_jobs: int | None = 1) -> Iterator[TopicResult]:
    """Fit ``(model, k, seed, matrix, vocab, params, unit_ids)`` tasks, in order.

    ``model`` is ``"lda"`` (``matrix`` = BoW) or ``"nmf"`` (``matrix`` = TF-IDF); a
    ``matrix`` with ``load()`` (a :class:`~topiclab.stream.StoredMatrix`) is read in the
    process that fits it. With ``n_jobs > 1`` the calling process is one of the ``n_jobs``
    fitters: it fits tasks ``0, n_jobs, 2 n_jobs, ...`` itself while ``n_jobs - 1`` joblib
    (loky) worker processes fit the others, and the results are yielded in task order.
    Each fit is seeded and single-threaded, so the results do not depend on ``n_jobs``.

    The caller is a fitter rather than an idle parent because a worker process costs its
    own copy of the libraries and of its fit's data: at 80,000 VNTC articles two workers
    beside a waiting parent held about 0.6-0.8 GB each, the largest peak of the run. The
    fitters take turns through the part of a fit that holds its largest allocation (an LDA
    fit's documents and sampler state, :func:`topiclab.memory.peak_section`): one samples
    while another infers its units' shares, so two corpora are never held at once. The
    calling process fits its next task rather than wait for a worker's earlier one, so the
    turns cost little time.
    """
    from joblib import cpu_count
    from joblib.executor import get_memmapping_executor

    # joblib's meaning: None is one process, -1 every CPU this process may use
    n_jobs = 1 if n_jobs is None else cpu_count() if n_jobs < 0 else int(n_jobs)
    if n_jobs == 1 or len(tasks) <= 1:
        yield from (_fit_here(task) for task in tasks)
        return

    lock = tempfile.NamedTemporaryFile(prefix="topiclab-peak-", suffix=".lock", delete=False)
    lock.close()
    # joblib's own reusable executor (what Parallel uses): a bare loky executor would lack
    # joblib's temporary-folder manager, and a later Parallel reusing it would fail
    executor = get_memmapping_executor(n_jobs - 1)
    try:
        # every task of the workers is queued before the first fit here starts; the unit
        # ids stay here (_fit_recording)
        queued = {
            i: executor.submit(_fit_recording, *task[:-1], None, peak_lock=lock.name)
            for i, task in enumerate(tasks)
            if i % n_jobs
        }
        done_here: dict[int, TopicResult] = {}
        order = iter(range(len(tasks)))
        next_out = next(order)

        def taken(i: int) -> Iterator[TopicResult]:
            if i in done_here:
                yield done_here.pop(i)
            else:
                for result in _rewarned([queued.pop(i).result()]):
                    yield _with_unit_ids(result, tasks[i][-1])

        for mine in range(0, len(tasks), n_jobs):
            # what is ready goes on in task order; a worker's task still running is not
            # waited for: this process fits its own next task meanwhile
            while next_out is not None and (
                next_out in done_here or (next_out in queued and queued[next_out].done())
            ):
                yield from taken(next_out)
                next_out = next(order, None)
            with peaks_one_at_a_time(lock.name):
                done_here[mine] = _fit_here(tasks[mine])
        while next_out is not None:
            yield from taken(next_out)
            next_out = next(order, None)
    finally:
        Path(lock.name).unlink(missing_ok=True)


def _fit_here(task: FitTask) -> TopicResult:
    """A fit in the calling process; what it freed goes back to the system at once."""
    from topiclab.memory import release_memory

    result = _fit_one(*task)
    release_memory(collect=False)
    return result


def _fit_one(model, k, seed, matrix, vocab, params, unit_ids) -> TopicResult:
    if callable(getattr(matrix, "load", None)):
        # a matrix on disk (topiclab.stream.StoredMatrix) is read here, in the fitting
        # process, and freed with the fit: the caller never holds it
        matrix = matrix.load()
    estimator = (LDA if model == "lda" else NMF)(k, random_state=seed, **dict(params))
    return estimator.fit(matrix, vocab=list(vocab), unit_ids=unit_ids).result_


def _fit_recording(
    *task, peak_lock: str | None = None
) -> tuple[TopicResult, list[tuple[type[Warning], str]]]:
    """A fit in a worker process: its warnings are returned, not printed by the worker.

    The worker gets no unit ids and sends none back (:func:`_with_unit_ids` puts the
    caller's own list in): at 437,856 paragraph units they were as many strings to pickle,
    hold in the worker through its fit, unpickle and compare for every fit. ``peak_lock``
    is the lock the fitters share (:func:`topiclab.memory.peaks_one_at_a_time`).
    """
    from topiclab.memory import release_memory

    with warnings.catch_warnings(record=True) as caught, peaks_one_at_a_time(peak_lock):
        warnings.simplefilter("always")
        result = _fit_one(*task)
    result.unit_ids = []
    # the fit's corpus and sampler state are garbage now: the worker waits for its next
    # fit without them
    release_memory()
    return result, [(item.category, str(item.message)) for item in caught]


def _with_unit_ids(result: TopicResult, unit_ids: Sequence[str] | None) -> TopicResult:
    """A worker's ``result`` holding the task's ``unit_ids`` (see :func:`_fit_recording`);
    row numbers, as a fit given no ids names its rows, when the task has none."""
    result.unit_ids = check_unit_ids(unit_ids, result.doc_topic.shape[0])
    return result


def _rewarned(outputs) -> Iterable[TopicResult]:
    # raised again in the calling process, where the run counts them once per stage
    for result, caught in outputs:
        for category, message in caught:
            warnings.warn(message, category, stacklevel=2)
        yield result


def _shared(result: TopicResult, shared: list[str]) -> np.ndarray:
    index = {term: j for j, term in enumerate(result.vocab)}
    matrix = result.topic_word[:, [index[t] for t in shared]]
    sums = matrix.sum(axis=1, keepdims=True)
    return np.divide(matrix, sums, out=np.zeros_like(matrix), where=sums > 0)


def align(
    result_a: TopicResult,
    result_b: TopicResult,
    *,
    metric: str = "cosine",
    n: int = 10,
) -> pd.DataFrame:
    """Similarity of every topic of ``result_a`` with every topic of ``result_b``.

    Topic-word rows are restricted to the vocabulary both results share and
    renormalised; the Hungarian algorithm then picks the one-to-one pairing with the
    highest total similarity (``matched``).

    Parameters
    ----------
    result_a, result_b : TopicResult
        E.g. an LDA and an NMF fit on the same units.
    metric : {"cosine", "jensen_shannon"}, default="cosine"
        ``"jensen_shannon"`` reports ``1 - JS distance`` (base 2), in [0, 1].
    n : int, default=10
        Top terms shown per topic.

    Returns
    -------
    pandas.DataFrame
        One row per (topic_a, topic_b): ``model_a, model_b, topic_a, topic_b,
        similarity, matched, terms_a, terms_b`` (top terms space-joined), so a
        K_a x K_b matrix figure can be drawn from it.
    """
    if metric not in {"cosine", "jensen_shannon"}:
        raise ValueError(f"metric must be 'cosine' or 'jensen_shannon', got {metric!r}")
    shared_set = set(result_a.vocab) & set(result_b.vocab)
    if not shared_set:
        raise ValueError("the two results share no vocabulary")
    shared = sorted(shared_set)
    a, b = _shared(result_a, shared), _shared(result_b, shared)
    if metric == "cosine":
        norm_a = np.linalg.norm(a, axis=1, keepdims=True)
        norm_b = np.linalg.norm(b, axis=1, keepdims=True)
        unit_a = np.divide(a, norm_a, out=np.zeros_like(a), where=norm_a > 0)
        unit_b = np.divide(b, norm_b, out=np.zeros_like(b), where=norm_b > 0)
        similarity = unit_a @ unit_b.T
    else:
        similarity = np.array([[1.0 - jensenshannon(x, y, base=2) for y in b] for x in a])
    rows, cols = linear_sum_assignment(similarity, maximize=True)
    matched = np.zeros_like(similarity, dtype=bool)
    matched[rows, cols] = True
    terms_a = [" ".join(t) for t in result_a.top_terms(n)]
    terms_b = [" ".join(t) for t in result_b.top_terms(n)]
    ka, kb = similarity.shape
    return pd.DataFrame(
        {
            "model_a": result_a.model,
            "model_b": result_b.model,
            "topic_a": np.repeat(np.arange(ka), kb),
            "topic_b": np.tile(np.arange(kb), ka),
            "similarity": similarity.ravel(),
            "matched": matched.ravel(),
            "terms_a": np.repeat(terms_a, kb),
            "terms_b": np.tile(terms_b, ka),
        }
    )
