"""Topics to themes: each topic scored against each theme, labelled only when it is on theme.

A theme's *score* in topic ``k`` is the weighted lexicon mass of the topic's word distribution,
``s[k, t] = sum_w weight[t, w] * phi[k, w]``. Two numbers decide whether a free (unanchored)
topic joins a theme, and a topic must pass both:

- its *mass*, the absolute part of the topic's probability on the theme's terms, each term
  counted at its weight relative to the theme's heaviest term (``s[k, t] / max_w weight[t, w]``;
  a plain list of terms counts every term fully), *without the term that contributes most*
  (the *spread mass*). It must reach ``min_mass``: a theme shows in a topic as several of its
  terms, and one generic word a lexicon happens to list (``dịch_vụ``, service, in a topic on
  mobile phone plans) is not the theme; a topic on football that uses the words "kinh tế" now
  and then is not about the economy, however rare those words are elsewhere in a sports corpus.
  Leaving out the top term is what lets the floor be low enough for a lexicon of rare, specific
  terms (a health topic whose disease names hold 0.02 of it) and still keep off-domain topics
  out (their Party-lexicon mass of up to 0.025 was mostly one word):
  benchmarks/results/off_domain.md;
- its *lift*, the score divided by the same mass in the corpus-wide word distribution (the
  topics averaged with their prevalence), which must reach ``min_lift``: the mass alone favours
  themes with frequent words.

Lift alone is relative: in a corpus that never talks about the Party, some topic still uses the
lexicon's words more than the others, and would be labelled with confidence. A topic that
passes no theme's two floors is labelled ``other``; it is never forced onto a theme. Otherwise
it is shared among the themes that pass both, in proportion to their excess lift
``lift - 1``; its ``confidence`` is the part that goes to its best theme.

An *anchored* topic (on a theme's indicator terms, ``anchor_words`` of LDA or NMF) keeps
that theme by construction, with confidence 1: it was built to measure it, and relabelling it
from its fitted words could hand the theme to another topic or to ``other`` from fit to fit.
Its mass and lift are still reported, and an anchored topic below the mass floor is logged.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from topiclab.themes.lexicon import OTHER, Lexicon, load_lexicon

logger = logging.getLogger(__name__)

#: Default of ``min_lift`` (``themes.min_lift``).
MIN_LIFT = 1.5
#: Default of ``min_mass`` (``themes.min_mass``), the floor of the spread mass: see
#: benchmarks/results/off_domain.md and benchmarks/results/semisynthetic_vntc.md.
MIN_MASS = 0.012


def label_topics(
    result: Any,
    lexicon: Lexicon | None = None,
    *,
    min_lift: float = MIN_LIFT,
    min_mass: float = MIN_MASS,
    n_terms: int = 10,
) -> pd.DataFrame:
    """Score every topic against every theme and give each topic its theme, or ``other``.

    Parameters
    ----------
    result : TopicResult
        A fitted model (``topic_word``, ``doc_topic``, ``vocab``, ``model``, ``params``).
    lexicon : Lexicon, optional
        Default: the shipped lexicon.
    min_lift : float, default=1.5
        A free topic joins a theme only when the theme's lift reaches this.
    min_mass : float, default=0.012
        ... and when the theme's spread mass in the topic (its mass without its top term)
        reaches this (a fraction of the topic's probability; 0 turns the floor off).
    n_terms : int, default=10
        Number of top terms listed per topic.

    Returns
    -------
    DataFrame
        One row per topic: ``model, topic, top_terms`` (space-joined), ``theme`` (the topic's
        theme id or ``other``), ``theme_score`` (that theme's lexicon score; for ``other``,
        the score of the theme of highest lift), ``lift`` (of the same theme), ``confidence``
        (the topic's membership in its theme, 0 for ``other``), ``mass`` (of the same theme),
        ``spread_mass`` (the same mass without its top term: what ``min_mass`` is compared
        with), ``anchored``
        (whether the topic is anchored on its theme), then one column per theme id with the
        theme's score in the topic.

    Notes
    -----
    See the module docstring for the definitions of score, mass, lift and membership.
    """
    lexicon = lexicon or load_lexicon()
    _check_floors(min_lift, min_mass)
    scores, lifts, masses, spread = _topic_scores(result, lexicon)
    anchored = anchored_topics(result, lexicon)
    membership = _membership(lifts, spread, min_lift, min_mass, anchored, len(lexicon))
    for topic, theme in anchored.items():
        if spread[topic, theme] < min_mass:
            logger.warning(
                "labels: %s topic %d keeps the theme it is anchored on, %s, but only %.3f of "
                "its probability is on the theme's terms other than its top one (min_mass %g): "
                "the anchor may not hold in this corpus",
                result.model,
                topic,
                lexicon.ids[theme],
                spread[topic, theme],
                min_mass,
            )
    top_terms = result.top_terms(n_terms)
    rows = []
    for k in range(result.n_topics):
        matched = membership[k, -1] < 1.0
        best = int(np.argmax(membership[k, :-1])) if matched else _highest_lift(lifts[k])
        row: dict[str, Any] = {
            "model": result.model,
            "topic": k,
            "top_terms": " ".join(top_terms[k]),
            "theme": lexicon.ids[best] if matched else OTHER,
            "theme_score": float(scores[k, best]) if len(lexicon) else 0.0,
            "lift": float(lifts[k, best]) if len(lexicon) else 0.0,
            "confidence": float(membership[k, best]) if matched else 0.0,
            "mass": float(masses[k, best]) if len(lexicon) else 0.0,
            "spread_mass": float(spread[k, best]) if len(lexicon) else 0.0,
            "anchored": k in anchored,
        }
        for i, theme_id in enumerate(lexicon.ids):
            row[theme_id] = float(scores[k, i])
        rows.append(row)
    return pd.DataFrame(rows, columns=[*LABEL_COLUMNS, *lexicon.ids])


#: The columns of :func:`label_topics` before the per-theme scores.
LABEL_COLUMNS = [
    "model",
    "topic",
    "top_terms",
    "theme",
    "theme_score",
    "lift",
    "confidence",
    "mass",
    "spread_mass",
    "anchored",
]


def anchored_topics(result: Any, lexicon: Lexicon) -> dict[int, int]:
    """Topic index -> index of the lexicon theme it is anchored on, for an anchored fit.

    The anchor map comes from ``result.params["anchor_topics"]`` (theme -> topic) when the
    model recorded it. Otherwise from ``params["anchor_words"]``: LDA and NMF anchor theme ``i``
    of that mapping to topic ``i`` (:func:`topiclab.models._base.plan_anchor_words`). A saved
    result lists ``anchor_words`` in alphabetical order (``result.json`` sorts its keys), so when
    the names are in alphabetical order and all are lexicon themes they are taken in lexicon
    order, the order in which the pipeline anchors them (:func:`topiclab.pipeline.anchor_words`);
    a fit anchored in an alphabetical order that is not the lexicon's, then saved, is mislabelled
    (the models do not record ``anchor_topics`` yet). Anchors named after no theme of ``lexicon``
    anchor nothing here: their topics are labelled as free topics.
    """
    params = getattr(result, "params", None) or {}
    index = {theme_id: i for i, theme_id in enumerate(lexicon.ids)}
    anchors = params.get("anchor_topics")
    if isinstance(anchors, Mapping):
        pairs = [(int(topic), str(theme)) for theme, topic in anchors.items()]
    else:
        anchor_terms = params.get("anchor_words")
        if not isinstance(anchor_terms, Mapping) or not anchor_terms:
            return {}
        names = [str(name) for name in anchor_terms]
        if names == sorted(names) and all(name in index for name in names):
            # alphabetical: as result.json stores them, whatever order the fit used
            names = sorted(names, key=index.__getitem__)
        pairs = list(enumerate(names))
    return {
        topic: index[theme]
        for topic, theme in pairs
        if theme in index and 0 <= topic < result.n_topics
    }


def _highest_lift(lifts: np.ndarray) -> int:
    return int(np.argmax(lifts)) if len(lifts) else 0


def _check_floors(min_lift: float, min_mass: float) -> None:
    if min_lift < 1:
        raise ValueError(f"min_lift must be at least 1, got {min_lift}")
    if not 0 <= min_mass < 1:
        raise ValueError(f"min_mass must be in [0, 1), got {min_mass}")


def _topic_scores(
    result: Any, lexicon: Lexicon
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Score, lift, mass and spread mass (each K x T) of every topic.

    The lift is over the corpus-wide distribution; the spread mass is the mass without the
    term that contributes most to it in that topic.
    """
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
    # each theme lists a few dozen terms: the per-term contributions are K x terms, not K x V
    top = np.zeros_like(scores)
    for t in range(weights.shape[0]):
        columns = np.flatnonzero(weights[t])
        if len(columns):
            top[:, t] = (phi[:, columns] * weights[t, columns]).max(axis=1)
    unit = heaviest_weights(lexicon)[None, :]
    return scores, lifts, scores / unit, np.clip(scores - top, 0.0, None) / unit


def heaviest_weights(lexicon: Lexicon) -> np.ndarray:
    """The weight of each theme's heaviest term (the unit of its mass), in lexicon order."""
    return np.array([max(theme.terms.values()) for theme in lexicon], dtype=float)


def _membership(
    lifts: np.ndarray,
    spread: np.ndarray,
    min_lift: float,
    min_mass: float,
    anchored: Mapping[int, int],
    n_themes: int,
) -> np.ndarray:
    """Share of each topic that goes to each theme, last column ``other`` (rows sum to 1)."""
    # only themes that clear both floors take part, so smoothing noise in a topic's tail does
    # not leak a little of every topic into every theme
    eligible = (lifts >= min_lift) & (spread >= min_mass)
    excess = np.where(eligible, lifts - 1.0, 0.0)
    total = excess.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(total > 0, excess / total, 0.0)
    matched = eligible.any(axis=1) & (total[:, 0] > 0)
    share[~matched] = 0.0
    for topic, theme in anchored.items():
        share[topic] = 0.0
        share[topic, theme] = 1.0
        matched[topic] = True
    other = (~matched).astype(float)[:, None]
    return np.hstack([share[:, :n_themes], other])


def topic_theme_membership(
    result: Any,
    lexicon: Lexicon | None = None,
    *,
    min_lift: float = MIN_LIFT,
    min_mass: float = MIN_MASS,
) -> pd.DataFrame:
    """The K x (themes + other) membership matrix used by :func:`theme_shares`."""
    lexicon = lexicon or load_lexicon()
    _check_floors(min_lift, min_mass)
    _, lifts, _, spread = _topic_scores(result, lexicon)
    anchored = anchored_topics(result, lexicon)
    return pd.DataFrame(
        _membership(lifts, spread, min_lift, min_mass, anchored, len(lexicon)),
        index=pd.RangeIndex(result.n_topics, name="topic"),
        columns=[*lexicon.ids, OTHER],
    )
