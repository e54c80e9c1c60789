"""Theme effects: a coefficient plot of average marginal effects with their intervals."""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.lines import Line2D

from topiclab.plotting._style import (
    label_of,
    model_style,
    order_models,
    order_themes,
    readable_color,
    require_columns,
    theme_color,
    theme_labels,
)

EFFECT_PLOT_COLUMNS = ("theme", "covariate", "level", "estimate", "lower", "upper")

# Vertical room of one row of the plot (inches), to size a new figure.
_ROW_INCHES = 0.22


def plot_theme_effects(
    table: pd.DataFrame,
    ax: Axes | None = None,
    *,
    labels: Mapping[str, str] | None = None,
    colours: Mapping[str, str] | None = None,
) -> Axes:
    """Coefficient plot: each theme's effect per covariate level, a point and its interval.

    Parameters
    ----------
    table : DataFrame
        Output of :func:`topiclab.themes.effects.estimate_effects` (``theme_effects.csv``):
        ``theme, covariate, level, estimate, lower, upper`` and optionally ``model`` and
        ``reference``. Several models are drawn side by side within each row, each with its
        marker. A row without an interval (``lower``/``upper`` missing) is a hollow marker
        with no line.
    ax : Axes, optional
        Where to draw; a new figure when omitted.
    labels : mapping, optional
        Theme id to label, overriding the shipped labels (e.g. from a lexicon).
    colours : mapping, optional
        Theme id to colour, overriding the shared palette.

    Returns
    -------
    Axes
        One row per theme, covariate and level (themes in lexicon order, ``other`` last),
        grouped under the theme's label; a dashed line marks no effect.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({"model": "lda", "theme": ["training", "training"],
    ...     "covariate": ["locality", "year"], "level": ["B", "per unit"],
    ...     "reference": ["A", ""], "estimate": [0.1, 0.02], "lower": [0.05, 0.01],
    ...     "upper": [0.15, 0.03]})
    >>> ax = plot_theme_effects(table)
    >>> [t.get_text() for t in ax.get_yticklabels()]
    ['locality: B vs A', 'year: per year']
    """
    require_columns(table, EFFECT_PLOT_COLUMNS, "plot_theme_effects")
    if table.empty:
        raise ValueError("plot_theme_effects: the effects table has no rows")
    frame = table.copy()
    if "model" not in frame.columns:
        frame["model"] = ""
    if "reference" not in frame.columns:
        frame["reference"] = ""
    frame["model"] = frame["model"].astype(str)
    themes = order_themes(frame["theme"].astype(str))
    models = order_models(frame["model"].unique())
    names = theme_labels(themes=themes)
    if labels is not None:
        names.update({str(k): str(v) for k, v in labels.items()})
    rows = (
        frame[["theme", "covariate", "level", "reference"]]
        .astype(str)
        .drop_duplicates()
        .assign(_order=lambda d: d["theme"].map({t: i for i, t in enumerate(themes)}))
        .sort_values("_order", kind="stable")
        .drop(columns="_order")
        .reset_index(drop=True)
    )
    if ax is None:
        _, ax = plt.subplots(figsize=(6.0, 1.0 + _ROW_INCHES * (len(rows) + len(themes))))
    # rows top to bottom, a gap of one row before each theme for its heading
    positions, headings, y = [], [], 0.0
    for theme in themes:
        headings.append((theme, y))
        y += 1.0
        for _ in range(int((rows["theme"] == theme).sum())):
            positions.append(y)
            y += 1.0
    rows["y"] = positions
    offsets = np.linspace(-0.25, 0.25, len(models)) if len(models) > 1 else [0.0]
    for model, offset in zip(models, offsets, strict=True):
        style = model_style(model) if model else {"marker": "o", "label": ""}
        part = frame[frame["model"] == model].astype({"level": str, "reference": str})
        merged = part.merge(rows, on=["theme", "covariate", "level", "reference"])
        for record in merged.itertuples(index=False):
            colour = (colours or {}).get(record.theme) or theme_color(record.theme)
            y_row = record.y + offset
            has_interval = np.isfinite(record.lower) and np.isfinite(record.upper)
            if has_interval:
                ax.plot([record.lower, record.upper], [y_row, y_row], color=colour, lw=1.4)
            ax.plot(
                [record.estimate],
                [y_row],
                marker=style["marker"],
                markersize=5,
                linestyle="none",
                color=colour,
                markerfacecolor=colour if has_interval else "white",
                zorder=3,
            )
    ax.axvline(0.0, color="0.4", lw=0.8, ls="--", zorder=1)
    ax.set_yticks(rows["y"].to_numpy(), [_row_label(r) for r in rows.itertuples(index=False)])
    for theme, y_heading in headings:
        colour = (colours or {}).get(theme) or theme_color(theme)
        ax.text(
            0.0,
            y_heading,
            label_of(theme, names),
            transform=ax.get_yaxis_transform(),
            ha="left",
            va="center",
            fontweight="bold",
            color=readable_color(colour),  # pale palette colours (grey, sand) vanish as text
        )
    ax.set_ylim(y - 0.5, -0.8)
    ax.set_xlabel("Average marginal effect on the theme's share")
    if len(models) > 1:
        handles = [
            Line2D([], [], marker=model_style(m)["marker"], color="0.3", linestyle="none")
            for m in models
        ]
        ax.legend(handles, [model_style(m)["label"] for m in models], loc="best")
    return ax


def _row_label(row) -> str:
    if row.level == "per unit":
        unit = "per year" if row.covariate == "year" else "per unit"
        return f"{row.covariate}: {unit}"
    if row.reference:
        return f"{row.covariate}: {row.level} vs {row.reference}"
    return f"{row.covariate}: {row.level}"
