"""Top terms of each topic: small multiples of horizontal bars titled with theme labels."""

from __future__ import annotations

import math
import textwrap
from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from topiclab.plotting._style import (
    OTHER,
    display_term,
    label_of,
    model_style,
    require_columns,
    select_model,
    theme_color,
    theme_labels,
)

TERM_COLUMNS = ("topic", "rank", "term", "weight")


def plot_top_terms(
    terms: pd.DataFrame,
    fig: Figure | None = None,
    *,
    topics: pd.DataFrame | None = None,
    model: str | None = None,
    n_terms: int = 8,
    language: str = "en",
    labels: Mapping[str, str] | None = None,
    ncols: int = 4,
    title_width: int = 20,
) -> np.ndarray:
    """One panel per topic: its most probable terms as horizontal bars, best on top.

    Parameters
    ----------
    terms : DataFrame
        Long table of top terms, as :meth:`topiclab.TopicResult.to_frame` returns it:
        ``topic, rank, term, weight`` and optionally ``model``.
    fig : Figure, optional
        Where to draw; a new figure when omitted.
    topics : DataFrame, optional
        Topic labels from :func:`topiclab.themes.label_topics` (``topics.csv``): columns
        ``topic, theme`` (and ``model``). Each panel is titled with its theme label and
        its bars take the theme colour; without it topics are titled by number, in grey.
    model : str, optional
        Which model to draw when the tables hold several.
    n_terms : int, default=8
        Bars per panel.
    language : {"en", "vi"}, default="en"
        Language of the theme labels.
    labels : mapping, optional
        Theme id to label, overriding the shipped labels.
    ncols : int, default=4
        Panels per row.
    title_width : int, default=20
        Panel titles wrap at this many characters.

    Returns
    -------
    ndarray of Axes
        One Axes per topic in topic order.
    """
    require_columns(terms, TERM_COLUMNS, "plot_top_terms")
    data = select_model(terms, model, "plot_top_terms")
    if data.empty:
        raise ValueError("plot_top_terms: the terms table has no rows")
    topic_themes: dict[int, str] = {}
    if topics is not None:
        require_columns(topics, ("topic", "theme"), "plot_top_terms(topics=)")
        chosen = select_model(topics, model, "plot_top_terms(topics=)")
        topic_themes = {
            int(topic): str(theme)
            for topic, theme in zip(chosen["topic"], chosen["theme"], strict=True)
        }
    topic_ids = sorted(int(topic) for topic in data["topic"].unique())
    names = theme_labels(language, labels, topic_themes.values())
    if fig is None:
        fig = plt.figure()
    ncols = max(1, min(ncols, len(topic_ids)))
    nrows = math.ceil(len(topic_ids) / ncols)
    grid = fig.subplots(nrows, ncols, squeeze=False)
    for extra in grid.flat[len(topic_ids) :]:
        extra.remove()
    axes = grid.flat[: len(topic_ids)]
    for ax, topic in zip(axes, topic_ids, strict=True):
        rows = data[data["topic"].astype(int) == topic].sort_values("rank").head(n_terms)
        theme = topic_themes.get(topic)
        color = theme_color(theme, labels) if theme is not None else theme_color(OTHER)
        positions = np.arange(len(rows))
        ax.barh(positions, rows["weight"].to_numpy(dtype=float), color=color, height=0.7)
        ax.set_yticks(positions, [display_term(str(term)) for term in rows["term"]])
        ax.invert_yaxis()
        ax.tick_params(axis="y", length=0)
        title = f"{topic}"
        if theme is not None:
            title += f": {label_of(theme, names)}"
        # Long theme labels wrap instead of running into the next panel's title.
        ax.set_title(textwrap.fill(title, width=title_width))
        ax.set_xlabel("Weight")
        ax.spines["left"].set_visible(False)
    if model is not None:
        fig.suptitle(f"Top terms per topic ({model_style(model)['label']})")
    return np.asarray(axes, dtype=object)
