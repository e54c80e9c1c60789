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
``s[k, t] = sum_w weight[t, w] * phi[k, w]``. The score alone favours themes with frequent words,
so topics are labelled by *lift*: the score divided by the same mass in the corpus-wide word
distribution (the topics averaged with their prevalence). A topic whose best lift is below
``min_lift`` matches no theme and is labelled ``other``; it is never forced onto a theme.
Otherwise the topic is shared among the themes whose lift reaches ``min_lift``, in proportion
to their excess lift ``lift - 1``; its ``confidence`` is the part that goes to its best theme.

A unit's theme share is then ``sum_k theta[unit, k] * membership[k, theme]``; the ``other``
column holds the rest, so the shares of a unit sum to one.

From units to documents
-----------------------
Every share table carries a ``weight`` column, and a document's share is the weighted mean of
its units' shares. For topic-based shares the weight is the unit's token count, so a document's
share is the share of its text (a long paragraph says more about what an article emphasises
than a one-line caption). For the dictionary baseline the weight is the unit's indicator mass,
so a document's share is its theme's part of all indicator terms in the document (a ratio of
sums): a paragraph with a single indicator term would otherwise count as wholly about one theme.
"""

from __future__ import annotations

from topiclab.themes.comparison import compare, expanded_tail
from topiclab.themes.labels import label_topics, topic_theme_membership
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
from topiclab.themes.measures import agreement
from topiclab.themes.passages import exemplars
from topiclab.themes.shares import (
    document_shares,
    lexicon_shares,
    mean_of_refits,
    share_columns,
    stack_replicates,
    theme_shares,
    weigh_units_by_tokens_seen,
)

__all__ = [
    "OTHER",
    "Lexicon",
    "LexiconError",
    "Theme",
    "agreement",
    "compare",
    "document_shares",
    "exemplars",
    "expanded_tail",
    "find_terms_in_text",
    "label_topics",
    "lexicon_from_mapping",
    "lexicon_shares",
    "load_lexicon",
    "match_terms",
    "mean_of_refits",
    "normalize_term",
    "share_columns",
    "stack_replicates",
    "theme_shares",
    "topic_theme_membership",
    "weigh_units_by_tokens_seen",
]
