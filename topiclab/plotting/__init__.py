"""Paper figures: one function per figure kind, each drawing a tidy table on an ``ax``.

Every function takes the table an analysis step returns (or its CSV read back), draws it
on the Axes or Figure it is given, and returns the Axes; none computes statistics, saves
or shows. Theme colours and labels are the same in every figure, and
``with paper_style():`` gives the look of the paper.
"""

from __future__ import annotations

from topiclab.plotting._agreement import plot_agreement
from topiclab.plotting._alignment import plot_alignment
from topiclab.plotting._effects import plot_theme_effects
from topiclab.plotting._overview import plot_corpus_overview
from topiclab.plotting._prevalence import plot_prevalence_by_locality, plot_prevalence_by_year
from topiclab.plotting._selection import SELECTION_METRICS, plot_model_selection
from topiclab.plotting._style import (
    LANGUAGES,
    MODEL_STYLES,
    OTHER,
    PAPER_STYLE,
    THEME_COLORS,
    THEME_ORDER,
    ThemeLabels,
    display_term,
    model_style,
    order_models,
    order_themes,
    paper_style,
    readable_color,
    theme_color,
    theme_colors,
    theme_labels,
)
from topiclab.plotting._terms import plot_top_terms

__all__ = [
    "LANGUAGES",
    "MODEL_STYLES",
    "OTHER",
    "PAPER_STYLE",
    "SELECTION_METRICS",
    "THEME_COLORS",
    "THEME_ORDER",
    "ThemeLabels",
    "display_term",
    "model_style",
    "order_models",
    "order_themes",
    "paper_style",
    "plot_agreement",
    "plot_alignment",
    "plot_corpus_overview",
    "plot_model_selection",
    "plot_prevalence_by_locality",
    "plot_prevalence_by_year",
    "plot_theme_effects",
    "plot_top_terms",
    "readable_color",
    "theme_color",
    "theme_colors",
    "theme_labels",
]
