"""Latent Dirichlet allocation on gensim's LdaModel (or tomotopy), with seeded themes."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from gensim.matutils import dirichlet_expectation
from gensim.models import LdaModel
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from topiclab.models._base import (
    SeedPlan,
    TopicModelBase,
    check_unit_ids,
    check_vocab,
    normalize_rows,
    plan_seed_words,
    resolve_seed,
)
from topiclab.models.result import TopicResult
from topiclab.vectorize import BowCorpus

# In the seeded gensim prior, a seed word's pseudo-count in every topic other than its
# anchored one is the base eta times this factor: the data alone then decides whether
# another topic also uses the word, instead of the symmetric prior pulling it there.
_SEED_OTHER_TOPICS = 1e-3


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
    fit and in every process.

    Parameters
    ----------
    n_topics : int, default=10
        Number of topics K.
    random_state : int, RandomState instance or None, default=None
        Decides every random choice of the fit.
    passes : int, default=10
        Passes over the corpus.
    iterations : int, default=200
        Maximum variational iterations per unit and pass (gensim backend); Gibbs
        sampling iterations in total (tomotopy backend, times ``passes``).
    alpha : {"symmetric", "asymmetric", "auto"}, float or array-like, default="symmetric"
        Document-topic prior, as gensim takes it.
    eta : {"symmetric", "auto"}, float, array-like or None, default=None
        Topic-word prior, as gensim takes it (None = symmetric ``1 / n_topics``).
    seed_words : dict of str to list of str or None, default=None
        Theme name -> seed words. Theme ``i`` (in the mapping's order) anchors topic
        ``i``; the remaining topics are free. Seed words absent from the vocabulary are
        ignored with a :class:`SeedWordsWarning` naming them.
    seed_weight : float, default=1.0
        Strength of the seeding. In the anchored topic, each seed word gets a prior
        pseudo-count of ``seed_weight`` times its count in the corpus (gensim's eta,
        tomotopy's word prior); in the other topics its prior is almost zero. With
        gensim the topic also starts from the seed words' counts, so the first pass
        already gathers the units that use them.
    backend : {"gensim", "tomotopy"}, default="gensim"
        ``"tomotopy"`` fits tomotopy's collapsed Gibbs ``LDAModel`` with one worker.
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
        Topic-word pseudo-counts (gensim's variational lambda, prior included).
    topic_term_counts_ : ndarray of shape (n_topics, n_features)
        Expected term counts per topic from the data alone (lambda minus the prior):
        the evidence to check whether a seeded topic holds.
    seed_topics_ : dict of str to int
        Theme -> anchored topic (empty without seed words).
    seed_ : int
        The integer seed the fit used.
    model_ : gensim.models.LdaModel or tomotopy.LDAModel
        The native model.
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
    >>> from topiclab import LDA, vectorize
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
        "seed_words": [dict, None],
        "seed_weight": [Interval(Real, 0, None, closed="neither")],
        "backend": [StrOptions({"gensim", "tomotopy"})],
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
        seed_words: dict[str, list[str]] | None = None,
        seed_weight: float = 1.0,
        backend: str = "gensim",
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
        self.seed_words = seed_words
        self.seed_weight = seed_weight
        self.backend = backend
        self.chunksize = chunksize
        self.decay = decay
        self.offset = offset
        self.gamma_threshold = gamma_threshold

    def fit(self, X, y=None, *, vocab=None, unit_ids=None) -> LDA:
        """Learn the topics of a bag-of-words matrix.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_units, n_terms)
            Term counts (``VectorizedCorpus.bow``); non-negative, no NaN.
        y : None
            Ignored.
        vocab : list of str, optional
            Term of each column (needed for seed words and readable topics).
        unit_ids : list of str, optional
            Id of each row.

        Returns
        -------
        self : LDA
        """
        self._validate_params()
        X = self._validate_fit_input(X)
        vocab = check_vocab(vocab, X.shape[1])
        unit_ids = check_unit_ids(unit_ids, X.shape[0])
        plan = plan_seed_words(self.seed_words, vocab, self.n_topics)
        if plan is not None and isinstance(self.eta, str) and self.eta == "auto":
            raise ValueError("eta='auto' re-learns the prior and would undo seed_words")
        self.seed_ = resolve_seed(self.random_state)
        self.seed_topics_ = plan.as_dict() if plan else {}
        self._vocab = vocab

        with threadpool_limits(limits=1):
            if self.backend == "gensim":
                self._fit_gensim(X, vocab, plan)
            else:
                self._fit_tomotopy(X, vocab, plan)
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

    def _gensim_eta(self, X: sp.csr_matrix, plan: SeedPlan | None):
        if plan is None:
            return self.eta
        n_terms = X.shape[1]
        if self.eta is None or (isinstance(self.eta, str) and self.eta == "symmetric"):
            eta = np.full((self.n_topics, n_terms), 1.0 / self.n_topics)
        else:
            eta = np.broadcast_to(np.asarray(self.eta, dtype=np.float64), (self.n_topics, n_terms))
            eta = eta.copy()
        counts = np.asarray(X.sum(axis=0)).ravel()
        for topic, ids in zip(plan.topics, plan.term_ids, strict=True):
            ids = np.asarray(ids)
            others = np.arange(self.n_topics) != topic
            eta[np.ix_(others, ids)] *= _SEED_OTHER_TOPICS
            eta[topic, ids] += self.seed_weight * counts[ids]
        return eta

    def _fit_gensim(self, X: sp.csr_matrix, vocab: list[str], plan: SeedPlan | None) -> None:
        corpus = BowCorpus(X)
        alpha = self.alpha if isinstance(self.alpha, str | Real) else np.asarray(self.alpha)
        model = LdaModel(
            corpus=None,
            num_topics=self.n_topics,
            id2word=dict(enumerate(vocab)),
            chunksize=self.chunksize,
            passes=self.passes,
            iterations=self.iterations,
            alpha=alpha,
            eta=self._gensim_eta(X, plan),
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
            # Start each anchored topic with its seed words' corpus counts, as if every
            # seed token had been assigned to it, so the first E-step already pulls the
            # units that use them (the prior alone acts only from the first M-step on).
            counts = np.asarray(X.sum(axis=0)).ravel()
            for topic, ids in zip(plan.topics, plan.term_ids, strict=True):
                ids = np.asarray(ids)
                model.state.sstats[topic, ids] += counts[ids]
            model.expElogbeta = np.exp(dirichlet_expectation(model.state.sstats))
        # The same call LdaModel(corpus, ...) makes: the unseeded fit is gensim's own.
        model.update(corpus)
        self.model_ = model
        self.components_ = model.state.get_lambda().astype(np.float64)
        self.topic_term_counts_ = np.asarray(model.state.sstats, dtype=np.float64)

    def _transform_gensim(self, X: sp.csr_matrix) -> np.ndarray:
        model = self.model_
        generator = model.random_state
        model.random_state = _PriorMeanGamma()
        try:
            rows = []
            docs = list(BowCorpus(X))
            for start in range(0, len(docs), self.chunksize):
                gamma, _ = model.inference(docs[start : start + self.chunksize])
                rows.append(np.asarray(gamma, dtype=np.float64))
        finally:
            model.random_state = generator
        gamma = np.vstack(rows) if rows else np.zeros((0, self.n_topics))
        return normalize_rows(gamma)

    # tomotopy -------------------------------------------------------------------------

    def _tomotopy_docs(self, X: sp.csr_matrix, vocab: list[str]) -> list[list[str]]:
        if not np.allclose(X.data, np.round(X.data)):
            raise ValueError("backend='tomotopy' needs integer term counts in X")
        docs = []
        for row in range(X.shape[0]):
            start, stop = X.indptr[row], X.indptr[row + 1]
            ids, counts = X.indices[start:stop], np.round(X.data[start:stop]).astype(int)
            docs.append([vocab[j] for j, c in zip(ids, counts, strict=True) for _ in range(c)])
        return docs

    def _tomotopy_alpha(self) -> float | list[float]:
        if isinstance(self.alpha, str):
            if self.alpha != "symmetric":
                raise ValueError(
                    f"backend='tomotopy' takes alpha='symmetric' or numbers, got {self.alpha!r}"
                )
            return 1.0 / self.n_topics
        if isinstance(self.alpha, Real):
            return float(self.alpha)
        return [float(a) for a in np.asarray(self.alpha, dtype=float).ravel()]

    def _fit_tomotopy(self, X: sp.csr_matrix, vocab: list[str], plan: SeedPlan | None) -> None:
        import tomotopy as tp

        if self.eta is None or (isinstance(self.eta, str) and self.eta == "symmetric"):
            eta = 1.0 / self.n_topics
        elif isinstance(self.eta, Real):
            eta = float(self.eta)
        else:
            raise ValueError("backend='tomotopy' takes eta=None, 'symmetric' or a number")
        model = tp.LDAModel(
            k=self.n_topics,
            alpha=self._tomotopy_alpha(),
            eta=eta,
            seed=self.seed_,
            min_cf=0,
            rm_top=0,
            tw=tp.TermWeight.ONE,
        )
        for words in self._tomotopy_docs(X, vocab):
            # Empty units get their shares from transform (uniform), not from training.
            if words:
                model.add_doc(words)
        prior = np.full((self.n_topics, len(vocab)), eta)
        if plan is not None:
            corpus_counts = np.asarray(X.sum(axis=0)).ravel()
            for topic, ids in zip(plan.topics, plan.term_ids, strict=True):
                for j in ids:
                    prior[:, j] = eta * _SEED_OTHER_TOPICS
                    prior[topic, j] = eta + self.seed_weight * corpus_counts[j]
                    model.set_word_prior(vocab[j], prior[:, j].tolist())
        model.train(self.iterations * self.passes, workers=1, show_progress=False)
        index = {term: j for j, term in enumerate(vocab)}
        columns = np.asarray([index[w] for w in model.used_vocabs])
        counts = np.zeros((self.n_topics, len(vocab)))
        for topic in range(self.n_topics):
            dist = np.asarray(model.get_topic_word_dist(topic, normalize=False), dtype=float)
            counts[topic, columns] = dist
        self.model_ = model
        self.topic_term_counts_ = counts
        self.components_ = counts + prior

    def _transform_tomotopy(self, X: sp.csr_matrix) -> np.ndarray:
        model = self.model_
        vocab = list(model.used_vocabs)
        known = set(vocab)
        out = np.full((X.shape[0], self.n_topics), 1.0 / self.n_topics)
        docs, rows = [], []
        for row, words in enumerate(self._tomotopy_docs(X, self._vocab)):
            words = [w for w in words if w in known]
            if words:
                docs.append(model.make_doc(words))
                rows.append(row)
        if docs:
            dists, _ = model.infer(docs, iterations=self.iterations, workers=1)
            out[rows] = np.asarray(dists, dtype=float)
        return normalize_rows(out)

    # transform ------------------------------------------------------------------------

    def transform(self, X) -> np.ndarray:
        """Topic shares of each unit of ``X`` (rows sum to 1), deterministic.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_units, n_terms)
            Term counts over the vocabulary seen in ``fit``.

        Returns
        -------
        ndarray of shape (n_units, n_topics)
        """
        check_is_fitted(self, "model_")
        X = self._validate_transform_input(X)
        with threadpool_limits(limits=1):
            if self.backend == "gensim":
                return self._transform_gensim(X)
            return self._transform_tomotopy(X)
