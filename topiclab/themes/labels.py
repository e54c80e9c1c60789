"""Topics to themes: each topic scored against each theme and labelled by lift.

A theme's *score* in topic ``k`` is the weighted lexicon mass of the topic's word distribution,
``s[k, t] = sum_w weight[t, w] * phi[k, w]``. The score alone favours themes with frequent words,
so topics are labelled by *lift*: the score divided by the same mass in the corpus-wide word
distribution (the topics averaged with their prevalence). A topic whose best lift is below
``min_lift`` matches no theme and is labelled ``other``; it is never forced onto a theme.
Otherwise the topic is shared among the themes whose lift reaches ``min_lift``, in proportion
to their excess lift ``lift - 1``; its ``confidence`` is the part that goes to its best theme.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from topiclab.themes.lexicon import OTHER, Lexicon, load_lexicon


def label_topics(
    result: Any,
    lexicon: Lexicon | None = None,
    *,
    min_lift: float = 1.5,
    n_terms: int = 10,
) -> pd.DataFrame:
    """Score every topic against every theme and give each topic its best theme.

    Parameters
    ----------
    result : TopicResult
        A fitted model (``topic_word``, ``doc_topic``, ``vocab``, ``model``).
    lexicon : Lexicon, optional
        Default: the shipped lexicon.
    min_lift : float, default=1.5
        A topic whose best theme has a lift below this is labelled ``other``.
    n_terms : int, default=10
        Number of top terms listed per topic.

    Returns
    -------
    DataFrame
        One row per topic: ``model, topic, top_terms`` (space-joined), ``theme`` (best theme id
        or ``other``), ``theme_score`` (the best theme's lexicon mass), ``lift`` (its lift),
        ``confidence`` (the topic's membership in that theme, 0 for ``other``), then one column
        per theme id with the theme's lexicon mass in the topic.

    Notes
    -----
    See the module docstring for the definitions of score, lift and membership.
    """
    lexicon = lexicon or load_lexicon()
    if min_lift < 1:
        raise ValueError(f"min_lift must be at least 1, got {min_lift}")
    scores, lifts = _topic_scores(result, lexicon)
    membership = _membership(lifts, min_lift)
    top_terms = result.top_terms(n_terms)
    rows = []
    for k in range(result.n_topics):
        best = int(np.argmax(lifts[k])) if len(lexicon) else 0
        matched = membership[k, -1] < 1.0
        row: dict[str, Any] = {
            "model": result.model,
            "topic": k,
            "top_terms": " ".join(top_terms[k]),
            "theme": lexicon.ids[best] if matched else OTHER,
            "theme_score": float(scores[k, best]),
            "lift": float(lifts[k, best]),
            "confidence": float(membership[k, best]) if matched else 0.0,
        }
        for i, theme_id in enumerate(lexicon.ids):
            row[theme_id] = float(scores[k, i])
        rows.append(row)
    columns = ["model", "topic", "top_terms", "theme", "theme_score", "lift", "confidence"]
    return pd.DataFrame(rows, columns=[*columns, *lexicon.ids])


def _topic_scores(result: Any, lexicon: Lexicon) -> tuple[np.ndarray, np.ndarray]:
    """Lexicon mass (K x T) of each topic and its lift over the corpus-wide distribution."""
    phi = np.asarray(result.topic_word, dtype=float)
    phi = phi / np.clip(phi.sum(axis=1, keepdims=True), 1e-300, None)
    weights = lexicon.weight_matrix(result.vocab)
    scores = phi @ weights.T
    theta = np.asarray(result.doc_topic, dtype=float)
    prevalence = theta.sum(axis=0)
    if prevalence.sum() <= 0:
        prevalence = np.ones(phi.shape[0])
    background = (prevalence / prevalence.sum()) @ scores
    with np.errstate(divide="ignore", invalid="ignore"):
        lifts = np.where(background > 0, scores / background, 0.0)
    return scores, lifts


def _membership(lifts: np.ndarray, min_lift: float) -> np.ndarray:
    """Share of each topic that goes to each theme, last column ``other`` (rows sum to 1)."""
    # only themes that clear min_lift take part, so smoothing noise in a topic's tail does
    # not leak a little of every topic into every theme
    excess = np.where(lifts >= min_lift, lifts - 1.0, 0.0)
    matched = lifts.max(axis=1, initial=0.0) >= min_lift
    total = excess.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(total > 0, excess / total, 0.0)
    share[~matched] = 0.0
    other = (~matched).astype(float)[:, None]
    return np.hstack([share, other])


def topic_theme_membership(
    result: Any, lexicon: Lexicon | None = None, *, min_lift: float = 1.5
) -> pd.DataFrame:
    """The K x (themes + other) membership matrix used by :func:`theme_shares`."""
    lexicon = lexicon or load_lexicon()
    _, lifts = _topic_scores(result, lexicon)
    return pd.DataFrame(
        _membership(lifts, min_lift),
        index=pd.RangeIndex(result.n_topics, name="topic"),
        columns=[*lexicon.ids, OTHER],
    )
