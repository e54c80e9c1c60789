"""Agreement of topic-based and dictionary-based theme shares."""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from topiclab.plotting._style import (
    label_of,
    model_style,
    order_themes,
    readable_color,
    require_columns,
    theme_color,
    theme_labels,
)

# Columns a correlation may be stored under, tried in this order.
_VALUE_COLUMNS = ("pearson", "spearman", "r", "correlation")
_PAIR_MARKERS = ("o", "s", "^", "D", "v", "P")


def plot_agreement(
    table: pd.DataFrame,
    ax: Axes | None = None,
    *,
    value: str | None = None,
    language: str = "en",
    labels: Mapping[str, str] | None = None,
) -> Axes:
    """Dot plot: per theme, the correlation between each pair of share measures.

    Parameters
    ----------
    table : DataFrame
        Output of :func:`topiclab.themes.agreement` (``agreement.csv``): one row per theme
        and pair of measures, columns ``theme, model_a, model_b`` and a correlation
        column (``value``). A NaN correlation (a measure that does not vary) is drawn as
        a hollow marker at zero, explained in the legend, so the reader sees it was not
        computable.
    ax : Axes, optional
        Where to draw; a new figure when omitted.
    value : str, optional
        The correlation column; the first of ``pearson, spearman, r, correlation`` present
        by default.
    language : {"en", "vi"}, default="en"
        Language of the theme labels.
    labels : mapping, optional
        Theme id to label, overriding the shipped labels.

    Returns
    -------
    Axes
        Rows are themes in lexicon order (tick labels in the theme colour), one marker per
        pair of measures; a vertical line marks zero.
    """
    require_columns(table, ("theme", "model_a", "model_b"), "plot_agreement")
    if value is None:
        value = next((c for c in _VALUE_COLUMNS if c in table.columns), None)
        if value is None:
            raise ValueError(
                f"plot_agreement needs a correlation column, one of {list(_VALUE_COLUMNS)}"
            )
    require_columns(table, (value,), "plot_agreement")
    if table.empty:
        raise ValueError("plot_agreement: the table has no rows")
    if ax is None:
        _, ax = plt.subplots()
    themes = order_themes(table["theme"].astype(str), labels)
    names = theme_labels(language, labels, themes)
    pairs = sorted(
        {(str(a), str(b)) for a, b in zip(table["model_a"], table["model_b"], strict=True)}
    )
    row_of = {theme: i for i, theme in enumerate(themes)}
    offsets = np.linspace(-0.25, 0.25, len(pairs)) if len(pairs) > 1 else [0.0]
    for k, (pair, offset) in enumerate(zip(pairs, offsets, strict=True)):
        rows = table[
            (table["model_a"].astype(str) == pair[0]) & (table["model_b"].astype(str) == pair[1])
        ]
        y = np.array([row_of[str(t)] for t in rows["theme"]], dtype=float) + offset
        x = pd.to_numeric(rows[value], errors="coerce").to_numpy(dtype=float)
        grey = 0.15 + 0.5 * k / max(1, len(pairs) - 1)
        marker = _PAIR_MARKERS[k % len(_PAIR_MARKERS)]
        finite = np.isfinite(x)
        ax.plot(
            x[finite],
            y[finite],
            linestyle="none",
            marker=marker,
            color=(grey, grey, grey),
            label=f"{model_style(pair[0])['label']} – {model_style(pair[1])['label']}",
        )
        if not finite.all():
            ax.plot(
                np.zeros(int((~finite).sum())),
                y[~finite],
                linestyle="none",
                marker=marker,
                markerfacecolor="white",
                markeredgecolor=(grey, grey, grey),
            )
    ax.axvline(0.0, color="#888888", linewidth=0.6)
    ax.set_yticks(range(len(themes)), [label_of(t, names) for t in themes])
    for tick, theme in zip(ax.get_yticklabels(), themes, strict=True):
        tick.set_color(readable_color(theme_color(theme, labels)))
    ax.invert_yaxis()
    ax.set_xlim(-1.05, 1.05)
    ax.set_xlabel(f"Correlation of theme shares ({value})")
    ax.grid(axis="x")
    handles, names_ = ax.get_legend_handles_labels()
    if not np.isfinite(pd.to_numeric(table[value], errors="coerce")).all():
        handles.append(
            plt.Line2D(
                [], [], linestyle="none", marker="o", markerfacecolor="white", color="#555555"
            )
        )
        names_.append("not computable (a measure does not vary)")
    ax.legend(handles, names_, loc="best")
    ax.set_title("Agreement of topic-based and dictionary-based shares")
    return ax
