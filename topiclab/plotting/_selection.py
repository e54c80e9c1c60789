"""Model selection: topic quality against the number of topics K for each model."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from topiclab.plotting._style import model_style, order_models, require_columns

#: Metric column -> axis label; each is named after its paper.
SELECTION_METRICS: dict[str, str] = {
    "c_v": "Coherence $C_V$",
    "c_npmi": "Coherence $C_{NPMI}$",
    "diversity": "Topic diversity",
    "stability": "Seed stability",
}


def plot_model_selection(
    table: pd.DataFrame,
    fig: Figure | None = None,
    *,
    metrics: Sequence[str] = tuple(SELECTION_METRICS),
    chosen: dict[str, int] | None = None,
    ncols: int = 2,
) -> np.ndarray:
    """One panel per metric, a line per model over the K grid.

    Parameters
    ----------
    table : DataFrame
        Output of :func:`topiclab.evaluate.select_k` (``model_selection.csv``): columns
        ``model, k`` and the metric columns.
    fig : Figure, optional
        Where to draw; a new figure when omitted.
    metrics : sequence of str, default=("c_v", "c_npmi", "diversity", "stability")
        Metric columns to draw, one panel each. A metric with no finite value is drawn as
        an empty panel saying so, never dropped silently.
    chosen : dict, optional
        ``model -> K`` chosen for the analysis, marked with a ring. When omitted, a boolean
        ``selected`` (or ``chosen``) column of the table is used if present.
    ncols : int, default=2
        Panels per row.

    Returns
    -------
    ndarray of Axes
        One Axes per metric in the given order.
    """
    require_columns(table, ("model", "k", *metrics), "plot_model_selection")
    if table.empty:
        raise ValueError("plot_model_selection: the table has no rows")
    flag = next((c for c in ("selected", "chosen") if c in table.columns), None)
    if chosen is None and flag is not None:
        flagged = table[table[flag].map(_truthy)]
        chosen = {str(m): int(k) for m, k in zip(flagged["model"], flagged["k"], strict=True)}
    if fig is None:
        fig = plt.figure()
    ncols = max(1, min(ncols, len(metrics)))
    nrows = -(-len(metrics) // ncols)
    grid = fig.subplots(nrows, ncols, sharex=True, squeeze=False)
    for extra in grid.flat[len(metrics) :]:
        extra.remove()
    axes = grid.flat[: len(metrics)]
    models = order_models(table["model"].astype(str))
    ks = sorted(int(k) for k in table["k"].unique())
    for ax, metric in zip(axes, metrics, strict=True):
        drawn = False
        for model in models:
            style = model_style(model)
            rows = table[table["model"].astype(str) == model].sort_values("k")
            values = pd.to_numeric(rows[metric], errors="coerce").to_numpy(dtype=float)
            if not np.isfinite(values).any():
                continue
            drawn = True
            k_values = rows["k"].to_numpy(dtype=int)
            ax.plot(
                k_values,
                values,
                color=style["color"],
                marker=style["marker"],
                linestyle=style["linestyle"],
                label=style["label"],
            )
            if chosen and model in chosen and chosen[model] in set(k_values.tolist()):
                at = int(np.flatnonzero(k_values == chosen[model])[0])
                ax.plot(
                    [k_values[at]],
                    [values[at]],
                    marker="o",
                    markersize=9,
                    markerfacecolor="none",
                    markeredgecolor=style["color"],
                    linestyle="none",
                )
        if not drawn:
            ax.text(0.5, 0.5, "not computed", ha="center", va="center", transform=ax.transAxes)
        ax.set_ylabel(SELECTION_METRICS.get(metric, metric))
        ax.set_xticks(ks, [str(k) for k in ks])
        ax.grid(axis="y")
    for ax in axes:
        ax.set_xlabel("Number of topics K")
        ax.tick_params(axis="x", labelbottom=True)
    handles, legend_labels = axes[0].get_legend_handles_labels()
    if handles:
        axes[0].legend(handles, legend_labels)
    return np.asarray(axes, dtype=object)


def _truthy(value: object) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"true", "1", "yes"}
    return bool(value) and not pd.isna(value)
