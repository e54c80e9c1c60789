"""What LDA and NMF share: input checks, seeds, anchor words, the estimator tags."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from numbers import Integral

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_non_negative, validate_data

MAX_SEED = 2**31 - 1

# Raised whenever a change to the fitting code changes the fitted numbers (e.g. LDA in
# float64 since revision 2; tomotopy's passes as Gibbs sweeps, fixed alpha and shares by
# gensim's E-step since revision 3): it is part of the pipeline's cache key, so a cache
# never hands back fits of the old code under the same version number.
FIT_REVISION = 3


class AnchorWordsWarning(UserWarning):
    """Some anchor words are not in the vocabulary and were ignored."""


@dataclass(frozen=True)
class AnchorPlan:
    """Which topic each theme anchors and the vocabulary ids of its anchor words."""

    themes: tuple[str, ...]
    topics: tuple[int, ...]
    term_ids: tuple[tuple[int, ...], ...]
    missing: dict[str, list[str]]

    def as_dict(self) -> dict[str, int]:
        """Theme -> anchored topic index."""
        return dict(zip(self.themes, self.topics, strict=True))


def resolve_seed(random_state) -> int:
    """The one integer seed a fit uses, following scikit-learn's ``random_state`` rules.

    An int is used as is, so the same int gives the same model; a RandomState draws a
    seed (and advances); None draws from fresh entropy.
    """
    if isinstance(random_state, Integral) and not isinstance(random_state, bool):
        return int(random_state) % (MAX_SEED + 1)
    return int(check_random_state(random_state).randint(MAX_SEED))


def normalize_rows(matrix: np.ndarray) -> np.ndarray:
    """Rows scaled to sum to 1; an all-zero row becomes uniform (no information)."""
    matrix = np.asarray(matrix, dtype=np.float64)
    sums = matrix.sum(axis=1, keepdims=True)
    out = np.empty_like(matrix)
    np.divide(matrix, sums, out=out, where=sums > 0)
    zero = (sums <= 0).ravel()
    if zero.any():
        out[zero] = 1.0 / matrix.shape[1]
    return out


def check_vocab(vocab: Sequence[str] | None, n_terms: int) -> list[str]:
    """The term of each column; placeholder names when the caller gives none."""
    if vocab is None:
        return [f"term_{j}" for j in range(n_terms)]
    vocab = [str(term) for term in vocab]
    if len(vocab) != n_terms:
        raise ValueError(f"vocab has {len(vocab)} terms but X has {n_terms} columns")
    if len(set(vocab)) != len(vocab):
        raise ValueError("vocab holds duplicate terms")
    return vocab


def check_unit_ids(unit_ids: Sequence[str] | None, n_units: int) -> list[str]:
    """The id of each row; row numbers when the caller gives none."""
    if unit_ids is None:
        return [str(i) for i in range(n_units)]
    unit_ids = [str(u) for u in unit_ids]
    if len(unit_ids) != n_units:
        raise ValueError(f"unit_ids has {len(unit_ids)} ids but X has {n_units} rows")
    return unit_ids


def plan_anchor_words(
    anchor_words: Mapping[str, Sequence[str]] | None, vocab: Sequence[str], n_topics: int
) -> AnchorPlan | None:
    """Anchor theme ``i`` (in the mapping's order) to topic ``i``; warn about absent words.

    Raises
    ------
    ValueError
        If there are more themes than topics, or no anchor word of a theme is in the
        vocabulary (the theme's topic could not be anchored at all).
    """
    if not anchor_words:
        return None
    if not isinstance(anchor_words, Mapping):
        raise TypeError("anchor_words must be a mapping theme -> list of words")
    if len(anchor_words) > n_topics:
        raise ValueError(
            f"anchor_words has {len(anchor_words)} themes but n_topics={n_topics}; "
            "each theme anchors one topic"
        )
    index = {term: j for j, term in enumerate(vocab)}
    themes, topics, term_ids = [], [], []
    missing: dict[str, list[str]] = {}
    for topic, (theme, words) in enumerate(anchor_words.items()):
        if isinstance(words, str):
            raise TypeError(f"anchor_words[{theme!r}] must be a list of words, not a string")
        words = list(dict.fromkeys(str(w) for w in words))
        absent = [w for w in words if w not in index]
        if absent:
            missing[str(theme)] = absent
        present = tuple(index[w] for w in words if w in index)
        if not present:
            raise ValueError(
                f"none of the anchor words of theme {theme!r} is in the vocabulary: "
                f"{', '.join(words)}"
            )
        themes.append(str(theme))
        topics.append(topic)
        term_ids.append(present)
    if missing:
        listing = "; ".join(f"{theme}: {', '.join(words)}" for theme, words in missing.items())
        warnings.warn(
            f"anchor words not in the vocabulary, ignored: {listing}",
            AnchorWordsWarning,
            stacklevel=3,
        )
    return AnchorPlan(tuple(themes), tuple(topics), tuple(term_ids), missing)


class TopicModelBase(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Input validation and estimator tags common to LDA and NMF."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.positive_only = True
        tags.input_tags.sparse = True
        return tags

    def _validate_fit_input(self, X) -> sp.csr_matrix:
        X = validate_data(self, X, accept_sparse="csr", dtype=np.float64, reset=True)
        check_non_negative(X, f"{type(self).__name__}.fit")
        n_units, n_terms = X.shape
        if self.n_topics > n_units:
            raise ValueError(
                f"n_topics={self.n_topics} is larger than the number of units "
                f"(n_samples={n_units}); use fewer topics or more units"
            )
        if self.n_topics > n_terms:
            raise ValueError(
                f"n_topics={self.n_topics} is larger than the vocabulary "
                f"(n_features={n_terms}); use fewer topics or a larger vocabulary"
            )
        X = sp.csr_matrix(X)
        if X.nnz == 0 or not np.any(X.data > 0):
            raise ValueError("X is all zeros: every unit is empty, there is nothing to model")
        return X

    def _validate_transform_input(self, X) -> sp.csr_matrix:
        X = validate_data(self, X, accept_sparse="csr", dtype=np.float64, reset=False)
        check_non_negative(X, f"{type(self).__name__}.transform")
        return sp.csr_matrix(X)

    def fit_transform(self, X, y=None, **fit_params) -> np.ndarray:
        """Fit, then return the topic shares of the units of ``X`` (rows sum to 1)."""
        return self.fit(X, y, **fit_params).result_.doc_topic.copy()
