"""Theory-driven themes: a lexicon, topic labels, theme shares and their comparison.

The research question is which Party-building themes each locality emphasises and how the
emphasis moves over the years. This module answers it in a few calls on plain data:

1. :func:`load_lexicon` reads the theme lexicon (``resources/themes.yaml`` or a researcher's YAML).
2. :func:`label_topics` scores every topic of a fitted model against every theme.
3. :func:`theme_shares` turns a model's doc-topic matrix into theme shares per unit and per
   document; :func:`lexicon_shares` is the dictionary-only baseline from the tokens.
4. :func:`compare` gives mean shares per group (locality, year, ...) with bootstrap intervals.
5. :func:`exemplars` returns passages to read; :func:`agreement` correlates the measures.

Each step lives in a module of its own: ``lexicon`` (the lexicon, its validation and term
matching), ``labels`` (topics to themes), ``shares`` (theme shares per unit and document,
refit averaging), ``comparison`` (:func:`compare` with bootstrap intervals), ``passages``
(:func:`exemplars`), ``measures`` (:func:`agreement`) and ``simulate`` (planted effects). The
names below are re-exported here, so ``from topiclab.themes import compare`` keeps working.

How a topic becomes a theme
---------------------------
A theme's *score* in topic ``k`` is the weighted lexicon mass of the topic's word distribution,
``s[k, t] = sum_w weight[t, w] * phi[k, w]``. A free topic joins a theme only when two floors
are passed: the theme's *spread mass* (the part of the topic's probability on the theme's terms,
each counted at its weight relative to the theme's heaviest term, without the term that
contributes most: one generic word is not a theme) reaches ``min_mass``, and its
*lift* (the score divided by the same score in the corpus-wide word distribution) reaches
``min_lift``. A topic that passes no theme's floors is labelled ``other``; it is never forced
onto a theme. Otherwise the topic is shared among the themes that pass, in proportion to their
excess lift ``lift - 1``; its ``confidence`` is the part that goes to its best theme. An anchored
topic keeps the theme it is anchored on.

A unit's theme share is then ``sum_k theta[unit, k] * membership[k, theme]``; the ``other``
column holds the rest, so the shares of a unit sum to one.

From units to documents
-----------------------
Every share table carries a ``weight`` column (the unit's token count), and a document's share
is the weighted mean of its units' shares: the share of its text. The dictionary baseline gives
``other`` the same meaning as the models: a theme's share of a unit is the part of its tokens
that are the theme's indicator terms, and every unmatched token counts as ``other``.
"""

from __future__ import annotations

from topiclab.themes.comparison import compare, expanded_tail
from topiclab.themes.labels import (
    LABEL_COLUMNS,
    MIN_LIFT,
    MIN_MASS,
    anchored_topics,
    label_topics,
    topic_theme_membership,
)
from topiclab.themes.lexicon import (
    OTHER,
    Lexicon,
    LexiconError,
    Theme,
    find_terms_in_text,
    lexicon_from_mapping,
    load_lexicon,
    match_terms,
    normalize_term,
)
from topiclab.themes.measures import agreement, label_sensitivity
from topiclab.themes.passages import exemplars
from topiclab.themes.shares import (
    LOW_COVERAGE,
    coverage_note,
    document_shares,
    lexicon_coverage,
    lexicon_shares,
    mean_of_refits,
    share_columns,
    stack_documents,
    stack_replicates,
    theme_shares,
    weigh_units_by_tokens_seen,
)

__all__ = [
    "LABEL_COLUMNS",
    "LOW_COVERAGE",
    "MIN_LIFT",
    "MIN_MASS",
    "OTHER",
    "Lexicon",
    "LexiconError",
    "Theme",
    "agreement",
    "anchored_topics",
    "compare",
    "coverage_note",
    "document_shares",
    "exemplars",
    "expanded_tail",
    "find_terms_in_text",
    "label_sensitivity",
    "label_topics",
    "lexicon_coverage",
    "lexicon_from_mapping",
    "lexicon_shares",
    "load_lexicon",
    "match_terms",
    "mean_of_refits",
    "normalize_term",
    "share_columns",
    "stack_documents",
    "stack_replicates",
    "theme_shares",
    "topic_theme_membership",
    "weigh_units_by_tokens_seen",
]
