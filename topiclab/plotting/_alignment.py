"""The LDA–NMF topic alignment matrix."""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib import colors as mcolors
from matplotlib.axes import Axes
from matplotlib.patches import Rectangle

from topiclab.plotting._style import (
    label_of,
    model_style,
    readable_color,
    require_columns,
    select_model,
    theme_color,
    theme_labels,
)


def plot_alignment(
    table: pd.DataFrame,
    ax: Axes | None = None,
    *,
    topics: pd.DataFrame | None = None,
    model_a: str | None = None,
    model_b: str | None = None,
    language: str = "en",
    labels: Mapping[str, str] | None = None,
    annotate: bool = True,
    cmap: str = "cividis",
) -> Axes:
    """Similarity of every topic of one model (rows) to every topic of the other (columns).

    Parameters
    ----------
    table : DataFrame
        Output of :func:`topiclab.evaluate.align` (``alignment.csv``): one row per pair with
        ``topic_a, topic_b, similarity, matched``.
    ax : Axes, optional
        Where to draw; a new figure when omitted.
    topics : DataFrame, optional
        Topic labels (``topics.csv``: ``model, topic, theme``); ticks then read
        ``"3 · Party discipline"`` and carry the theme colour.
    model_a, model_b : str, optional
        The models of the rows and the columns; taken from the table's ``model_a`` and
        ``model_b`` columns when present, ``"lda"`` and ``"nmf"`` otherwise.
    language : {"en", "vi"}, default="en"
        Language of the theme labels.
    labels : mapping, optional
        Theme id to label, overriding the shipped labels.
    annotate : bool, default=True
        Write the similarity in each cell.
    cmap : str, default="cividis"
        Colour map of the similarity.

    Returns
    -------
    Axes
        Matched pairs are outlined.
    """
    require_columns(table, ("topic_a", "topic_b", "similarity", "matched"), "plot_alignment")
    if table.empty:
        raise ValueError("plot_alignment: the table has no rows")
    model_a = model_a or _only(table, "model_a", "lda")
    model_b = model_b or _only(table, "model_b", "nmf")
    if ax is None:
        _, ax = plt.subplots()
    rows = sorted(int(t) for t in table["topic_a"].unique())
    cols = sorted(int(t) for t in table["topic_b"].unique())
    matrix = np.full((len(rows), len(cols)), np.nan)
    matched = np.zeros_like(matrix, dtype=bool)
    row_at = {topic: i for i, topic in enumerate(rows)}
    col_at = {topic: j for j, topic in enumerate(cols)}
    for a, b, sim, hit in zip(
        table["topic_a"], table["topic_b"], table["similarity"], table["matched"], strict=True
    ):
        matrix[row_at[int(a)], col_at[int(b)]] = float(sim)
        matched[row_at[int(a)], col_at[int(b)]] = _truthy(hit)
    norm = mcolors.Normalize(vmin=0.0, vmax=1.0)
    image = ax.imshow(matrix, cmap=cmap, norm=norm, aspect="auto", interpolation="nearest")
    ax.figure.colorbar(image, ax=ax, label="Similarity", shrink=0.8, pad=0.02)
    colormap = plt.get_cmap(cmap)
    for i in range(len(rows)):
        for j in range(len(cols)):
            if matched[i, j]:
                ax.add_patch(
                    Rectangle(
                        (j - 0.5, i - 0.5), 1, 1, fill=False, edgecolor="#e69f00", linewidth=1.5
                    )
                )
            if annotate and np.isfinite(matrix[i, j]):
                shade = colormap(norm(matrix[i, j]))
                ink = "black" if 0.2126 * shade[0] + 0.7152 * shade[1] > 0.5 else "white"
                ax.text(
                    j, i, f"{matrix[i, j]:.2f}", ha="center", va="center", fontsize=5, color=ink
                )

    themes_a = _topic_themes(topics, model_a)
    themes_b = _topic_themes(topics, model_b)
    names = theme_labels(language, labels, [*themes_a.values(), *themes_b.values()])
    ax.set_yticks(range(len(rows)), [_tick(t, themes_a, names) for t in rows])
    ax.set_xticks(range(len(cols)), [_tick(t, themes_b, names) for t in cols])
    for tick, topic in zip(ax.get_yticklabels(), rows, strict=True):
        if topic in themes_a:
            tick.set_color(readable_color(theme_color(themes_a[topic], labels)))
    for tick, topic in zip(ax.get_xticklabels(), cols, strict=True):
        if topic in themes_b:
            tick.set_color(readable_color(theme_color(themes_b[topic], labels)))
    ax.tick_params(axis="x", labelrotation=40, length=0)
    for tick in ax.get_xticklabels():
        tick.set_horizontalalignment("right")
        tick.set_rotation_mode("anchor")
    ax.tick_params(axis="y", length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.set_ylabel(f"{model_style(model_a)['label']} topic")
    ax.set_xlabel(f"{model_style(model_b)['label']} topic")
    ax.set_title("Topic alignment")
    return ax


def _only(table: pd.DataFrame, column: str, default: str) -> str:
    if column not in table.columns:
        return default
    values = sorted(table[column].astype(str).unique())
    if len(values) != 1:
        raise ValueError(f"plot_alignment: one pair of models at a time; {column} has {values}")
    return values[0]


def _topic_themes(topics: pd.DataFrame | None, model: str) -> dict[int, str]:
    if topics is None:
        return {}
    require_columns(topics, ("topic", "theme"), "plot_alignment(topics=)")
    chosen = select_model(topics, model, "plot_alignment(topics=)")
    return {int(t): str(theme) for t, theme in zip(chosen["topic"], chosen["theme"], strict=True)}


def _tick(topic: int, themes: dict[int, str], names: Mapping[str, str]) -> str:
    if topic in themes:
        return f"{topic} · {label_of(themes[topic], names)}"
    return str(topic)


def _truthy(value: object) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"true", "1", "yes"}
    return bool(value)
