"""Non-negative matrix factorisation of TF-IDF on scikit-learn's NMF."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from scipy.linalg import cholesky, solve_triangular
from scipy.optimize import nnls
from sklearn.decomposition import NMF as SklearnNMF
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from topiclab.models._base import (
    AnchorPlan,
    TopicModelBase,
    check_unit_ids,
    check_vocab,
    normalize_rows,
    plan_anchor_words,
    resolve_seed,
)
from topiclab.models.result import TopicResult


def _nnls_rows(X: sp.csr_matrix, H: np.ndarray) -> np.ndarray:
    """Exact ``argmin_{w >= 0} ||x - w H||`` for every row ``x`` of ``X``.

    Each row is solved on its own (on the K x K Cholesky factor of ``H H^T``), so a
    unit's shares do not depend on which other units are transformed with it, unlike
    an iterative solver whose stopping rule looks at the whole batch.
    """
    gram = H @ H.T
    ridge = 1e-12 * max(np.trace(gram), 1e-300)
    upper = cholesky(gram + ridge * np.eye(len(gram)), lower=False)
    rhs = solve_triangular(upper, np.asarray(X @ H.T).T, trans="T")
    return np.column_stack([nnls(upper, rhs[:, i])[0] for i in range(rhs.shape[1])]).T


class NMF(TopicModelBase):
    """Topics as a non-negative factorisation ``X ≈ W H`` of a TF-IDF matrix.

    The rows of ``H`` (normalised to sum to 1) are the topics; the rows of ``W``
    (normalised) are the units' topic shares, so the result has the same form as
    :class:`topiclab.LDA`'s. BLAS runs on one thread during fits.

    Parameters
    ----------
    n_topics : int, default=10
        Number of topics K.
    random_state : int, RandomState instance or None, default=None
        Decides the initialisation.
    init : {"nndsvd", "nndsvda", "nndsvdar", "random"}, default="nndsvda"
        Initialisation of W and H (ignored when ``anchor_words`` is given: anchored
        topics start from their anchor words, the others at random).
    solver : {"cd", "mu"}, default="cd"
        scikit-learn's solver. With ``anchor_words``, ``"mu"`` keeps every anchor word out of the
        other topics for the whole fit (multiplicative updates never make a zero entry of H
        non-zero), so an anchored topic cannot lose its anchor words to a neighbour; ``"cd"`` only
        starts them there.
    beta_loss : {"frobenius", "kullback-leibler"}, default="frobenius"
        Divergence minimised (``"kullback-leibler"`` needs ``solver="mu"``).
    max_iter : int, default=400
        Maximum solver iterations.
    tol : float, default=1e-4
        Stopping tolerance.
    alpha_W, alpha_H, l1_ratio : float
        Regularisation, as in :class:`sklearn.decomposition.NMF`.
    anchor_words : dict of str to list of str or None, default=None
        Theme -> anchor words: theme ``i`` starts topic ``i`` with weight on its anchor
        words. With ``solver="cd"`` this is an initialisation only (the factorisation may move
        away from it); with ``solver="mu"`` the anchor words stay exclusive to their topic.
    anchor_weight : float, default=1.0
        Initial weight of the anchor words relative to the largest random entry of H.

    Attributes
    ----------
    result_ : TopicResult
        Topic-word (normalised H) and doc-topic (normalised W) matrices, ``model="nmf"``.
    components_ : ndarray of shape (n_topics, n_features)
        The factor H, unnormalised.
    n_iter_ : int
        Iterations the solver ran.
    reconstruction_err_ : float
        Divergence between X and W H at the end of the fit.
    anchor_topics_ : dict of str to int
        Theme -> anchored topic.
    seed_ : int
        The integer seed the fit used.
    model_ : sklearn.decomposition.NMF
        The fitted scikit-learn model.
    n_features_in_ : int
        Vocabulary size seen in fit.

    See Also
    --------
    topiclab.LDA : the same interface on latent Dirichlet allocation.

    References
    ----------
    Lee, D. D., & Seung, H. S. (1999). Learning the parts of objects by non-negative
    matrix factorization. Nature 401, 788-791. https://doi.org/10.1038/44565

    Examples
    --------
    >>> from topiclab import NMF
    >>> from topiclab.vectorize import vectorize
    >>> units = [["cán_bộ", "quy_hoạch"], ["kỷ_luật", "đảng_viên"], ["cán_bộ", "đào_tạo"]] * 4
    >>> vc = vectorize(units)
    >>> nmf = NMF(2, random_state=0).fit(vc.tfidf, vocab=vc.vocab)
    >>> nmf.result_.topic_word.shape
    (2, 5)
    """

    _parameter_constraints: dict = {  # noqa: RUF012 (scikit-learn's declarative checks)
        "n_topics": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
        "init": [StrOptions({"nndsvd", "nndsvda", "nndsvdar", "random"})],
        "solver": [StrOptions({"cd", "mu"})],
        "beta_loss": [StrOptions({"frobenius", "kullback-leibler"})],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "alpha_W": [Interval(Real, 0, None, closed="left")],
        "alpha_H": [Interval(Real, 0, None, closed="left"), StrOptions({"same"})],
        "l1_ratio": [Interval(Real, 0, 1, closed="both")],
        "anchor_words": [dict, None],
        "anchor_weight": [Interval(Real, 0, None, closed="neither")],
    }

    def __init__(
        self,
        n_topics: int = 10,
        *,
        random_state=None,
        init: str = "nndsvda",
        solver: str = "cd",
        beta_loss: str = "frobenius",
        max_iter: int = 400,
        tol: float = 1e-4,
        alpha_W: float = 0.0,
        alpha_H: float | str = "same",
        l1_ratio: float = 0.0,
        anchor_words: dict[str, list[str]] | None = None,
        anchor_weight: float = 1.0,
    ) -> None:
        self.n_topics = n_topics
        self.random_state = random_state
        self.init = init
        self.solver = solver
        self.beta_loss = beta_loss
        self.max_iter = max_iter
        self.tol = tol
        self.alpha_W = alpha_W
        self.alpha_H = alpha_H
        self.l1_ratio = l1_ratio
        self.anchor_words = anchor_words
        self.anchor_weight = anchor_weight

    def _anchored_init(
        self, X: sp.csr_matrix, plan: AnchorPlan, seed: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """W and H with the anchored topics concentrated on their anchor words."""
        rng = np.random.RandomState(seed)
        n_units, n_terms = X.shape
        # The scale scikit-learn's "random" init uses, so the solver starts well-conditioned.
        avg = np.sqrt(X.mean() / self.n_topics)
        H = avg * np.abs(rng.standard_normal((self.n_topics, n_terms)))
        W = avg * np.abs(rng.standard_normal((n_units, self.n_topics)))
        top = H.max()
        for topic, ids in zip(plan.topics, plan.term_ids, strict=True):
            ids = np.asarray(ids)
            H[topic] *= 0.01
            H[topic, ids] = self.anchor_weight * top
            others = np.flatnonzero(np.arange(self.n_topics) != topic)
            # zeros are fixed points of the multiplicative updates: with "mu" the anchor words
            # can never load on another topic; coordinate descent would regrow them anyway
            H[np.ix_(others, ids)] *= 0.0 if self.solver == "mu" else 0.01
            use = np.asarray(X[:, ids].sum(axis=1)).ravel()
            W[:, topic] = avg * 0.01 + use / max(use.max(), 1e-12) * avg
        return W, H

    def fit(self, X, y=None, *, vocab=None, unit_ids=None) -> NMF:
        """Factorise a TF-IDF matrix.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_units, n_terms)
            TF-IDF (``VectorizedCorpus.tfidf``); non-negative, no NaN.
        y : None
            Ignored.
        vocab : list of str, optional
            Term of each column.
        unit_ids : list of str, optional
            Id of each row.

        Returns
        -------
        self : NMF
        """
        self._validate_params()
        X = self._validate_fit_input(X)
        vocab = check_vocab(vocab, X.shape[1])
        unit_ids = check_unit_ids(unit_ids, X.shape[0])
        plan = plan_anchor_words(self.anchor_words, vocab, self.n_topics)
        self.seed_ = resolve_seed(self.random_state)
        self.anchor_topics_ = plan.as_dict() if plan else {}
        model = SklearnNMF(
            n_components=self.n_topics,
            init="custom" if plan else self.init,
            solver=self.solver,
            beta_loss=self.beta_loss,
            max_iter=self.max_iter,
            tol=self.tol,
            alpha_W=self.alpha_W,
            alpha_H=self.alpha_H,
            l1_ratio=self.l1_ratio,
            random_state=self.seed_,
        )
        with threadpool_limits(limits=1):
            if plan is not None:
                W0, H0 = self._anchored_init(X, plan, self.seed_)
                W = model.fit_transform(X, W=W0, H=H0)
            else:
                W = model.fit_transform(X)
        self.model_ = model
        self.components_ = model.components_
        self.n_iter_ = int(model.n_iter_)
        self.reconstruction_err_ = float(model.reconstruction_err_)
        self._n_features_out = self.n_topics
        params = {k: v for k, v in self.get_params().items() if k != "random_state"}
        params["random_state"] = self.seed_
        self.result_ = TopicResult(
            topic_word=normalize_rows(model.components_),
            doc_topic=normalize_rows(W),
            vocab=vocab,
            unit_ids=unit_ids,
            model="nmf",
            params=params,
            seed=self.seed_,
        )
        return self

    def transform(self, X) -> np.ndarray:
        """Topic shares of each unit of ``X`` (normalised W; rows sum to 1).

        With the default Frobenius loss and no penalty on W, each unit's W row is the
        exact non-negative least-squares solution given H, so it does not depend on the
        other units in ``X``; otherwise scikit-learn's solver is used. A unit with no
        weight on any topic (e.g. an empty unit) gets uniform shares.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_units, n_terms)
            TF-IDF over the vocabulary seen in ``fit``.

        Returns
        -------
        ndarray of shape (n_units, n_topics)
        """
        check_is_fitted(self, "model_")
        X = self._validate_transform_input(X)
        with threadpool_limits(limits=1):
            if self.beta_loss == "frobenius" and self.alpha_W == 0:
                W = _nnls_rows(X, self.components_)
                if X.shape[0] == 0:
                    W = np.zeros((0, self.n_topics))
            else:
                W = self.model_.transform(X)
        return normalize_rows(W)
