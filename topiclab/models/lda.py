"""Latent Dirichlet allocation on gensim's LdaModel (or tomotopy), with anchored themes.

Size: just over 500 lines, because both backends live in one estimator: they share its
parameters, the anchored prior and the E-step that gives every unit its shares, and a split
by backend would pass that state between modules. What ``fit`` accepts besides a matrix is
in :mod:`topiclab.models._corpora`.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from gensim.matutils import dirichlet_expectation
from gensim.models import LdaModel
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from topiclab.memory import peak_section
from topiclab.models._base import (
    AnchorPlan,
    TopicModelBase,
    check_unit_ids,
    check_vocab,
    normalize_rows,
    plan_anchor_words,
    resolve_seed,
)
from topiclab.models._corpora import (
    _bow_rows,
    _check_corpus_size,
    _corpus_kind,
    _placeholder_vocab,
    _unit_words,
)
from topiclab.models._tomotopy import import_tomotopy
from topiclab.models.result import TopicResult
from topiclab.vectorize import BowCorpus

# In the anchored gensim prior, an anchor word's pseudo-count in every topic other than its
# anchored one is the base eta times this factor: the data alone then decides whether
# another topic also uses the word, instead of the symmetric prior pulling it there.
_ANCHOR_OTHER_TOPICS = 1e-3

# tomotopy's parallel schemes, each fitted in three processes with one seed
# (benchmarks/models.py --sections schemes; tests/test_lda_backends.py): PARTITION (the
# vocabulary split between the workers, each with its own generator, joined at a barrier
# every sweep) and NONE give identical topics for a seed and a number of workers;
# COPY_MERGE (every worker samples a copy of the counts, merged as they finish) does not
# with two workers. The result depends on the number of workers (1 and 2 differ), so it
# is part of the parameters. With one worker every scheme is the same sampler.
_TOMOTOPY_SCHEME = "PARTITION"


class _PriorMeanGamma:
    """Stands in for gensim's RandomState during inference: every unit's variational
    Dirichlet starts at the prior mean of gensim's Gamma(100, 1/100) draw (1.0), so a
    unit's topic shares depend neither on a generator's state nor on the order or batch
    the unit comes in."""

    @staticmethod
    def gamma(shape: float, scale: float, size: tuple[int, int]) -> np.ndarray:
        return np.full(size, shape * scale)


class LDA(TopicModelBase):
    """Latent Dirichlet allocation fitted by gensim's online variational Bayes.

    A scikit-learn transformer over a bag-of-words matrix: ``fit`` learns the topics,
    ``transform`` gives each unit's topic shares. Only gensim's single-process
    ``LdaModel`` is used (``LdaMulticore`` is not reproducible), in float64 (gensim's
    float32 default lets BLAS kernels differ in the 5th digit), and BLAS runs on one
    thread during fits, so an int ``random_state`` gives identical matrices on every
    fit and in every process. ``backend="tomotopy"`` fits the same model by collapsed
    Gibbs sampling (tomotopy's ``LDAModel``), just as reproducible (for a seed and a
    number of ``workers``). Both backends also take a re-iterable corpus of token lists
    or ``(term_id, count)`` rows (a ``TokenStore``, a ``BowStore``) instead of a matrix,
    read one unit at a time (gensim once per pass), with the same topics as its matrix.

    Parameters
    ----------
    n_topics : int, default=10
        Number of topics K.
    random_state : int, RandomState instance or None, default=None
        Decides every random choice of the fit.
    passes : int, default=10
        Passes over the corpus: gensim's online passes (each reads every unit once and
        updates the topics once per ``chunksize`` units); tomotopy's Gibbs sweeps (each
        resamples the topic of every token once). Gibbs sampling needs more sweeps than
        online VB needs passes: on 20,000 VNTC articles 50 sweeps recover the categories
        better than 5 gensim passes, in less than half the time, and 5 sweeps poorly
        (benchmarks/results/models.md).
    iterations : int, default=200
        Maximum variational iterations per unit: in each gensim pass, and when the
        units' topic shares are inferred (both backends).
    alpha : {"symmetric", "asymmetric", "auto"}, float or array-like, default="symmetric"
        Document-topic prior, as gensim takes it (tomotopy: the same values; "auto"
        re-estimates it every 10 sweeps, otherwise it stays fixed).
    eta : {"symmetric", "auto"}, float, array-like or None, default=None
        Topic-word prior, as gensim takes it (None = symmetric ``1 / n_topics``;
        tomotopy takes None, "symmetric" or a number).
    anchor_words : dict of str to list of str or None, default=None
        Theme name -> anchor words. Theme ``i`` (in the mapping's order) anchors topic
        ``i``; the remaining topics are free. Anchor words absent from the vocabulary are
        ignored with a :class:`AnchorWordsWarning` naming them.
    anchor_weight : float, default=1.0
        Strength of the anchoring. In the anchored topic, each anchor word gets a prior
        pseudo-count of ``anchor_weight`` times its count in the corpus (gensim's eta,
        tomotopy's word prior); in the other topics its prior is almost zero. With
        gensim the topic also starts from the anchor words' counts, so the first pass
        already gathers the units that use them.
    backend : {"gensim", "tomotopy"}, default="gensim"
        ``"tomotopy"`` fits tomotopy's collapsed Gibbs ``LDAModel``; the result has the
        same form and meaning (topic rows = posterior mean of the topic-word
        distribution, counts + prior; shares inferred by gensim's E-step given them).
    workers : int, default=1
        tomotopy's sampling threads, with ``ParallelScheme.PARTITION``: identical
        results for a seed and a number of workers in every process (COPY_MERGE is not
        reproducible and is never used); 1 and 2 workers give different (equally good)
        topics. Ignored by gensim.
    chunksize : int, default=2000
        Units per gensim update.
    decay : float, default=0.5
        gensim's learning-rate decay (kappa).
    offset : float, default=1.0
        gensim's learning-rate offset (tau_0).
    gamma_threshold : float, default=0.001
        gensim's convergence threshold of a unit's variational parameters.

    Attributes
    ----------
    result_ : TopicResult
        Topic-word and doc-topic matrices of the fit (``model="lda"``).
    components_ : ndarray of shape (n_topics, n_features)
        Topic-word pseudo-counts, prior included (gensim's variational lambda;
        tomotopy's token counts of the last sweep plus the prior).
    topic_term_counts_ : ndarray of shape (n_topics, n_features)
        Expected term counts per topic from the data alone (lambda minus the prior):
        the evidence to check whether an anchored topic holds.
    anchor_topics_ : dict of str to int
        Theme -> anchored topic (empty without anchor words).
    seed_ : int
        The integer seed the fit used.
    model_ : gensim.models.LdaModel or tomotopy.LDAModel
        The native model. tomotopy's is kept without its training documents
        (``saves(full=False)``): its topics, priors and vocabulary are there, its ``docs``
        are empty.
    n_features_in_ : int
        Vocabulary size seen in fit.

    See Also
    --------
    topiclab.NMF : the same interface on non-negative matrix factorisation.

    References
    ----------
    Blei, D. M., Ng, A. Y., & Jordan, M. I. (2003). Latent Dirichlet allocation.
    JMLR 3, 993-1022.
    Hoffman, M., Bach, F., & Blei, D. (2010). Online learning for latent Dirichlet
    allocation. NIPS 23.
    Jagarlamudi, J., Daumé III, H., & Udupa, R. (2012). Incorporating lexical priors
    into topic models. EACL, 204-213.

    Examples
    --------
    >>> from topiclab import LDA
    >>> from topiclab.vectorize import vectorize
    >>> units = [["cán_bộ", "quy_hoạch"], ["kỷ_luật", "đảng_viên"], ["cán_bộ", "đào_tạo"]] * 4
    >>> vc = vectorize(units)
    >>> lda = LDA(2, random_state=0, passes=2).fit(vc.bow, vocab=vc.vocab)
    >>> lda.result_.doc_topic.shape
    (12, 2)
    """

    _parameter_constraints: dict = {  # noqa: RUF012 (scikit-learn's declarative checks)
        "n_topics": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
        "passes": [Interval(Integral, 1, None, closed="left")],
        "iterations": [Interval(Integral, 1, None, closed="left")],
        "alpha": [StrOptions({"symmetric", "asymmetric", "auto"}), Real, "array-like"],
        "eta": [StrOptions({"symmetric", "auto"}), Real, "array-like", None],
        "anchor_words": [dict, None],
        "anchor_weight": [Interval(Real, 0, None, closed="neither")],
        "backend": [StrOptions({"gensim", "tomotopy"})],
        "workers": [Interval(Integral, 1, None, closed="left")],
        "chunksize": [Interval(Integral, 1, None, closed="left")],
        "decay": [Interval(Real, 0.5, 1, closed="both")],
        "offset": [Interval(Real, 0, None, closed="left")],
        "gamma_threshold": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(
        self,
        n_topics: int = 10,
        *,
        random_state=None,
        passes: int = 10,
        iterations: int = 200,
        alpha="symmetric",
        eta=None,
        anchor_words: dict[str, list[str]] | None = None,
        anchor_weight: float = 1.0,
        backend: str = "gensim",
        workers: int = 1,
        chunksize: int = 2000,
        decay: float = 0.5,
        offset: float = 1.0,
        gamma_threshold: float = 0.001,
    ) -> None:
        self.n_topics = n_topics
        self.random_state = random_state
        self.passes = passes
        self.iterations = iterations
        self.alpha = alpha
        self.eta = eta
        self.anchor_words = anchor_words
        self.anchor_weight = anchor_weight
        self.backend = backend
        self.workers = workers
        self.chunksize = chunksize
        self.decay = decay
        self.offset = offset
        self.gamma_threshold = gamma_threshold

    def fit(self, X, y=None, *, vocab=None, unit_ids=None) -> LDA:
        """Learn the topics of a bag-of-words matrix or a re-iterable corpus.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_units, n_terms), or a re-iterable corpus
            Term counts (``VectorizedCorpus.bow``); non-negative, no NaN. Or any corpus that
            can be read again (not a generator) of token lists or gensim
            ``(term_id, count)`` rows: a ``BowStore`` (its ``vocab`` is used when ``vocab``
            is None), a ``TokenStore``, a list.
        y : None
            Ignored.
        vocab : list of str, optional
            Term of each column (needed for anchor words and readable topics).
        unit_ids : list of str, optional
            Id of each row.

        Returns
        -------
        self : LDA
        """
        self._validate_params()
        kind = _corpus_kind(X)
        self.seed_ = resolve_seed(self.random_state)
        if kind != "matrix":
            if vocab is None and kind == "bow":
                vocab = getattr(X, "vocab", None)
            if vocab is not None:
                vocab = check_vocab(vocab, len(vocab))
            with threadpool_limits(limits=1):
                if self.backend == "gensim":
                    vocab = self._fit_gensim_corpus(X, kind, vocab)
                else:
                    vocab = self._fit_tomotopy(X, kind, vocab)
            self._vocab = vocab
            self.n_features_in_ = len(vocab)
            unit_ids = check_unit_ids(unit_ids, self._n_units_fit)
        else:
            X = self._validate_fit_input(X)
            vocab = check_vocab(vocab, X.shape[1])
            unit_ids = check_unit_ids(unit_ids, X.shape[0])
            self._vocab = vocab
            with threadpool_limits(limits=1):
                if self.backend == "gensim":
                    counts = np.asarray(X.sum(axis=0)).ravel()
                    self._fit_gensim(BowCorpus(X), vocab, counts)
                else:
                    self._fit_tomotopy(X, "matrix", vocab)
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

    def _result_params(self) -> dict:
        params = {}
        for name, value in self.get_params().items():
            if isinstance(value, np.ndarray):
                value = value.tolist()
            elif isinstance(value, np.random.RandomState):
                value = None
            params[name] = value
        params["random_state"] = self.seed_
        return params

    # gensim ---------------------------------------------------------------------------

    def _gensim_eta(self, counts: np.ndarray, plan: AnchorPlan | None):
        """gensim's topic-word prior: ``eta``, or the anchored prior from the term counts."""
        if plan is None:
            return self.eta
        n_terms = len(counts)
        if self.eta is None or (isinstance(self.eta, str) and self.eta == "symmetric"):
            eta = np.full((self.n_topics, n_terms), 1.0 / self.n_topics)
        else:
            eta = np.broadcast_to(np.asarray(self.eta, dtype=np.float64), (self.n_topics, n_terms))
            eta = eta.copy()
        for topic, ids in zip(plan.topics, plan.term_ids, strict=True):
            ids = np.asarray(ids)
            others = np.arange(self.n_topics) != topic
            eta[np.ix_(others, ids)] *= _ANCHOR_OTHER_TOPICS
            eta[topic, ids] += self.anchor_weight * counts[ids]
        return eta

    def _fit_gensim_corpus(self, X, kind: str, vocab: list[str] | None) -> list[str]:
        """gensim's fit on a re-iterable corpus (a ``BowStore``, token lists), read one unit
        at a time once per pass; one counting pass first (units, term counts, vocabulary).

        Returns the vocabulary (the sorted tokens when ``X`` holds token lists and
        ``vocab`` is None; placeholder names for BoW rows without one).
        """
        if vocab is None and kind == "tokens":
            vocab = sorted({token for unit in X for token in unit})
        elif vocab is None:
            top = max((j for unit in X for j, _ in unit), default=-1)
            vocab = [f"term_{j}" for j in range(top + 1)]
        rows = _Rows(X, kind, vocab)
        counts = np.zeros(len(vocab))
        n_units = n_filled = 0
        for row in rows:
            n_units += 1
            n_filled += bool(row)
            for j, c in row:
                counts[j] += c
        _check_corpus_size(self.n_topics, n_units, len(vocab), n_filled)
        self._n_units_fit = rows.n_units = n_units
        self._fit_gensim(rows, vocab, counts)
        return vocab

    def _fit_gensim(
        self, corpus: Iterable[list[tuple[int, float]]], vocab: list[str], counts: np.ndarray
    ) -> None:
        """gensim's online VB over ``corpus`` (re-iterable rows), given the term counts."""
        plan = plan_anchor_words(self.anchor_words, vocab, self.n_topics)
        if plan is not None and isinstance(self.eta, str) and self.eta == "auto":
            raise ValueError("eta='auto' re-learns the prior and would undo anchor_words")
        self.anchor_topics_ = plan.as_dict() if plan else {}
        alpha = self.alpha if isinstance(self.alpha, str | Real) else np.asarray(self.alpha)
        model = LdaModel(
            corpus=None,
            num_topics=self.n_topics,
            id2word=dict(enumerate(vocab)),
            chunksize=self.chunksize,
            passes=self.passes,
            iterations=self.iterations,
            alpha=alpha,
            eta=self._gensim_eta(counts, plan),
            decay=self.decay,
            offset=self.offset,
            eval_every=None,
            gamma_threshold=self.gamma_threshold,
            minimum_probability=0.0,
            random_state=self.seed_,
            # gensim's default float32 leaves rounding of ~1e-7 that its 20 online passes
            # carry into shares differing in the 5th digit between BLAS kernels (AVX2 vs
            # AVX-512); in float64 they agree to ~1e-13, below every printed digit
            dtype=np.float64,
        )
        if plan is not None:
            # Start each anchored topic with its anchor words' corpus counts, as if every
            # anchor token had been assigned to it, so the first E-step already pulls the
            # units that use them (the prior alone acts only from the first M-step on).
            for topic, ids in zip(plan.topics, plan.term_ids, strict=True):
                ids = np.asarray(ids)
                model.state.sstats[topic, ids] += counts[ids]
            model.expElogbeta = np.exp(dirichlet_expectation(model.state.sstats))
        # The same call LdaModel(corpus, ...) makes: the unanchored fit is gensim's own.
        model.update(corpus)
        self.model_ = model
        self.components_ = model.state.get_lambda().astype(np.float64)
        self.topic_term_counts_ = np.asarray(model.state.sstats, dtype=np.float64)

    def _transform_gensim(self, X: sp.csr_matrix) -> np.ndarray:
        return self._infer(self.model_, BowCorpus(X))

    def _infer(self, model: LdaModel, rows: Iterable[list[tuple[int, float]]]) -> np.ndarray:
        """gensim's E-step for each unit, given the topics, ``chunksize`` units at a time."""
        generator = model.random_state
        model.random_state = _PriorMeanGamma()
        try:
            # each batch is normalised as it comes (a row's shares depend on that row only):
            # the unnormalised posterior of every unit is never held beside the shares
            parts, batch = [], []
            for row in rows:
                batch.append(row)
                if len(batch) == self.chunksize:
                    parts.append(normalize_rows(model.inference(batch)[0]))
                    batch = []
            if batch:
                parts.append(normalize_rows(model.inference(batch)[0]))
        finally:
            model.random_state = generator
        return np.vstack(parts) if parts else np.zeros((0, self.n_topics))

    # tomotopy -------------------------------------------------------------------------

    def _tomotopy_prior(self) -> float:
        if self.eta is None or (isinstance(self.eta, str) and self.eta == "symmetric"):
            return 1.0 / self.n_topics
        if isinstance(self.eta, Real):
            return float(self.eta)
        raise ValueError("backend='tomotopy' takes eta=None, 'symmetric' or a number")

    def _tomotopy_alpha(self) -> list[float]:
        """The document-topic prior as gensim would build it ("auto" starts symmetric)."""
        K = self.n_topics
        if isinstance(self.alpha, str):
            if self.alpha == "asymmetric":
                prior = 1.0 / (np.arange(K) + np.sqrt(K))
                return (prior / prior.sum()).tolist()
            return [1.0 / K] * K
        return np.broadcast_to(np.asarray(self.alpha, dtype=float).ravel(), (K,)).tolist()

    def _fit_tomotopy(self, X, kind: str, vocab: list[str] | None) -> list[str]:
        """Add the units to a tomotopy model one by one, set the anchor priors, train.

        Returns the vocabulary (the sorted tokens of the corpus when ``vocab`` is None
        and ``X`` holds token lists).
        """
        # on the SSE2 build, whatever the CPU: the builds sample differently (_tomotopy)
        tp = import_tomotopy()

        eta = self._tomotopy_prior()
        # Adding the documents and sampling hold the fit's largest allocation (tomotopy's
        # documents and sampler state, about 600 bytes a unit): fits run side by side by
        # fit_topic_models take turns here (memory.peak_section), not all at once.
        with peak_section():
            model = tp.LDAModel(
                k=self.n_topics,
                alpha=self._tomotopy_alpha(),
                eta=eta,
                seed=self.seed_,
                min_cf=0,
                rm_top=0,
                tw=tp.TermWeight.ONE,
            )
            # tomotopy re-estimates alpha every 10 sweeps by default: only when asked for, as
            # gensim's alpha="auto", so that a given alpha means the same on both backends
            model.optim_interval = 10 if isinstance(self.alpha, str) and self.alpha == "auto" else 0
            n_units = 0
            for words in _unit_words(X, kind, vocab):
                n_units += 1
                # Empty units get their shares from transform (uniform), not from training.
                if words:
                    model.add_doc(words)
            if kind == "tokens" and vocab is None:
                vocab = sorted(model.vocabs)
            elif kind == "bow" and vocab is None:
                vocab = _placeholder_vocab(model.vocabs)
            _check_corpus_size(self.n_topics, n_units, len(vocab), len(model.docs))
            self._n_units_fit = n_units
            plan = plan_anchor_words(self.anchor_words, vocab, self.n_topics)
            if plan is not None and isinstance(self.eta, str) and self.eta == "auto":
                raise ValueError("eta='auto' re-learns the prior and would undo anchor_words")
            self.anchor_topics_ = plan.as_dict() if plan else {}
            prior = np.full((self.n_topics, len(vocab)), eta)
            if plan is not None:
                # The gensim backend's prior, term for term: in its anchored topic an anchor word
                # gets a pseudo-count of anchor_weight x its corpus count on top of the base eta,
                # in every other topic eta x 1e-3, so the data alone decides whether another
                # topic uses it (tomotopy's word prior is exactly a per-topic eta of the word).
                freq = dict(
                    zip(model.vocabs, np.asarray(model.vocab_freq, dtype=float), strict=True)
                )
                for topic, ids in zip(plan.topics, plan.term_ids, strict=True):
                    for j in ids:
                        prior[:, j] = eta * _ANCHOR_OTHER_TOPICS
                        prior[topic, j] = eta + self.anchor_weight * freq.get(vocab[j], 0.0)
                        if vocab[j] in freq:
                            model.set_word_prior(vocab[j], prior[:, j].tolist())
            with warnings.catch_warnings():
                # tomotopy warns for any workers > 1; PARTITION is reproducible for a seed and
                # a number of workers (module note _TOMOTOPY_SCHEME), COPY_MERGE is not
                warnings.filterwarnings("ignore", "The training result may differ", RuntimeWarning)
                model.train(
                    self.passes,
                    workers=self.workers,
                    parallel=getattr(tp.ParallelScheme, _TOMOTOPY_SCHEME),
                    show_progress=False,
                )
            index = {term: j for j, term in enumerate(vocab)}
            columns = np.asarray([index[w] for w in model.used_vocabs], dtype=np.intp)
            counts = np.zeros((self.n_topics, len(vocab)))
            for topic in range(self.n_topics):
                # tomotopy's unnormalised distribution is count + the base eta (never a word
                # prior), in float32; the counts of TermWeight.ONE are whole tokens, so
                # rounding recovers them exactly and the prior is added back in float64
                dist = np.asarray(model.get_topic_word_dist(topic, normalize=False), dtype=float)
                counts[topic, columns] = np.round(dist - eta)
            # The documents' sampler state (a topic for each of the corpus's tokens: 280 MB at
            # 437,856 units) is not needed once the topics are known, and would be held through
            # the units' inference below: the model is kept without its documents.
            alpha = np.asarray(model.alpha, dtype=np.float64)
            self.model_ = tp.LDAModel.loads(model.saves(full=False))
            del model
        self.topic_term_counts_ = counts
        self.components_ = counts + prior
        # The units' shares: gensim's deterministic E-step given these topics (their
        # posterior, counts + prior), as the gensim backend infers them. tomotopy's own
        # infer() is as deterministic but copies the K x V counts for every unit (about
        # 1.5 ms a unit at K=10 and 20,000 terms, the whole Gibbs fit again on 20,000 units).
        self._inferencer = LdaModel(
            corpus=None,
            num_topics=self.n_topics,
            id2word=dict(enumerate(vocab)),
            alpha=alpha,
            iterations=self.iterations,
            gamma_threshold=self.gamma_threshold,
            random_state=self.seed_,
            eval_every=None,
            minimum_probability=0.0,
            dtype=np.float64,
        )
        self._inferencer.expElogbeta = np.exp(dirichlet_expectation(self.components_))
        return vocab

    def _transform_tomotopy(self, X, kind: str) -> np.ndarray:
        return self._infer(self._inferencer, _bow_rows(X, kind, self._vocab))

    # transform ------------------------------------------------------------------------

    def transform(self, X) -> np.ndarray:
        """Topic shares of each unit of ``X`` (rows sum to 1), deterministic.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_units, n_terms), or a re-iterable corpus
            Term counts over the vocabulary seen in ``fit`` (a corpus as in ``fit``).

        Returns
        -------
        ndarray of shape (n_units, n_topics)
        """
        check_is_fitted(self, "model_")
        kind = _corpus_kind(X)
        if kind != "matrix":
            model = self.model_ if self.backend == "gensim" else self._inferencer
            with threadpool_limits(limits=1):
                return self._infer(model, _bow_rows(X, kind, self._vocab))
        X = self._validate_transform_input(X)
        with threadpool_limits(limits=1):
            if self.backend == "gensim":
                return self._transform_gensim(X)
            return self._transform_tomotopy(X, "matrix")


class _Rows:
    """A corpus as gensim's ``(term_id, count)`` rows over ``vocab``, re-iterable."""

    def __init__(self, X, kind: str, vocab: list[str]) -> None:
        self.X, self.kind, self.vocab = X, kind, vocab
        self.n_units: int | None = None

    def __len__(self) -> int:
        # gensim sizes its updates by the corpus length (and would count a pass otherwise)
        if self.n_units is None:
            raise TypeError("the corpus has not been counted yet")
        return self.n_units

    def __iter__(self):
        return _bow_rows(self.X, self.kind, self.vocab)
