"""Theme prevalence by group: a heatmap by locality, small multiples over the years."""

from __future__ import annotations

import math
import textwrap
from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib import colors as mcolors
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.transforms import blended_transform_factory

from topiclab.plotting._style import (
    figure_legend,
    label_of,
    model_style,
    order_models,
    order_themes,
    require_columns,
    select_model,
    theme_color,
    theme_labels,
)

PREVALENCE_COLUMNS = ("theme", "mean", "lower", "upper", "n")

# Drawing order of the year panels: intervals, then lines, then markers on top of both.
_BAR_ZORDER = 2.0
_LINE_ZORDER = 2.5
_MARKER_ZORDER = 3.0


def plot_prevalence_by_locality(
    table: pd.DataFrame,
    ax: Axes | None = None,
    *,
    by: str = "locality",
    model: str | None = None,
    language: str = "en",
    labels: Mapping[str, str] | None = None,
    group_order: Sequence[str] | None = None,
    annotate: bool = True,
    cmap: str = "cividis",
    max_groups: int | None = None,
) -> Axes:
    """Heatmap of each group's mean theme share, every cell annotated with its interval.

    Parameters
    ----------
    table : DataFrame
        Output of :func:`topiclab.themes.compare` (``theme_prevalence_by_locality.csv``):
        columns ``<by>, theme, mean, lower, upper, n`` and optionally ``model`` and
        ``too_small``.
    ax : Axes, optional
        Where to draw; a new figure when omitted.
    by : str, default="locality"
        The grouping column (rows of the heatmap).
    model : str, optional
        Which measure to draw (``lda``, ``nmf`` or ``lexicon``) when the table holds several.
    language : {"en", "vi"}, default="en"
        Language of the theme labels.
    labels : mapping, optional
        Theme id to label, overriding the shipped labels (e.g. from a lexicon).
    group_order : sequence of str, optional
        Row order; groups are sorted by name otherwise.
    annotate : bool, default=True
        Write ``mean`` and ``[lower, upper]`` in each cell.
    cmap : str, default="cividis"
        A perceptually uniform, colour-blind-safe colour map.
    max_groups : int, optional
        Draw only the ``max_groups`` groups with the most documents (ties by name) when there
        are more and no ``group_order`` is given; the title says how many are shown. A
        national corpus has hundreds of localities, and a heatmap of all of them is unreadable.

    Returns
    -------
    Axes
        Rows are groups, columns themes in lexicon order; the column tops carry the theme
        colours. Groups flagged ``too_small`` are hatched and show their size; a group of
        one document has no interval and shows its mean alone.
    """
    require_columns(table, (by, *PREVALENCE_COLUMNS), "plot_prevalence_by_locality")
    data = select_model(table, model, "plot_prevalence_by_locality")
    if data.empty:
        raise ValueError("plot_prevalence_by_locality: the table has no rows")
    if ax is None:
        _, ax = plt.subplots()
    data = data[data[by].notna()]
    n_groups = data[by].astype(str).nunique()
    shown_note = ""
    if group_order is None and max_groups is not None and n_groups > max_groups:
        sizes = data.assign(_group=data[by].astype(str)).groupby("_group")["n"].max()
        ranked = sorted(sizes.items(), key=lambda item: (-item[1], item[0]))
        keep = {group for group, _ in ranked[:max_groups]}
        data = data[data[by].astype(str).isin(keep)]
        shown_note = f"the {max_groups} largest of {n_groups}"
    themes = order_themes(data["theme"].astype(str), labels)
    groups = list(group_order) if group_order is not None else sorted(data[by].astype(str).unique())
    names = theme_labels(language, labels, themes)
    keyed = data.assign(_group=data[by].astype(str), _theme=data["theme"].astype(str))
    keyed = keyed.set_index(["_group", "_theme"])

    values = np.full((len(groups), len(themes)), np.nan)
    for i, group in enumerate(groups):
        for j, theme in enumerate(themes):
            if (group, theme) in keyed.index:
                values[i, j] = float(keyed.loc[(group, theme), "mean"])
    vmax = float(np.nanmax(values)) if np.isfinite(values).any() else 1.0
    norm = mcolors.Normalize(vmin=0.0, vmax=max(vmax, 1e-9))
    image = ax.imshow(values, cmap=cmap, norm=norm, aspect="auto", interpolation="nearest")
    ax.figure.colorbar(image, ax=ax, label="Mean share", shrink=0.8, pad=0.02)

    colormap = plt.get_cmap(cmap)
    for i, group in enumerate(groups):
        for j, theme in enumerate(themes):
            if (group, theme) not in keyed.index:
                continue
            row = keyed.loc[(group, theme)]
            too_small = bool(row["too_small"]) if "too_small" in keyed.columns else False
            if too_small:
                ax.add_patch(
                    Rectangle(
                        (j - 0.5, i - 0.5),
                        1,
                        1,
                        fill=False,
                        hatch="//",
                        edgecolor=(1.0, 1.0, 1.0, 0.45),
                        linewidth=0,
                    )
                )
            if annotate:
                shade = colormap(norm(values[i, j]))
                ink = "black" if _luminance(shade) > 0.5 else "white"
                text = f"{row['mean']:.2f}"
                if pd.notna(row["lower"]) and pd.notna(row["upper"]):
                    text += f"\n[{row['lower']:.2f}, {row['upper']:.2f}]"
                if too_small:
                    text += f"\nn={int(row['n'])}"
                ax.text(j, i, text, ha="center", va="center", fontsize=5, color=ink)

    ax.set_xticks(range(len(themes)), [label_of(t, names) for t in themes])
    ax.set_yticks(range(len(groups)), groups)
    ax.tick_params(axis="x", labelrotation=40, length=0)
    for tick in ax.get_xticklabels():
        tick.set_horizontalalignment("right")
        tick.set_rotation_mode("anchor")
    ax.tick_params(axis="y", length=0)
    ax.set_ylabel(by.capitalize())
    for spine in ax.spines.values():
        spine.set_visible(False)
    # A strip of theme colours above the columns ties the heatmap to every other figure.
    strip = blended_transform_factory(ax.transData, ax.transAxes)
    for j, theme in enumerate(themes):
        ax.add_patch(
            Rectangle(
                (j - 0.5, 1.01),
                1,
                0.035,
                transform=strip,
                clip_on=False,
                facecolor=theme_color(theme, labels),
                edgecolor="white",
                linewidth=0.5,
            )
        )
    title = "Theme prevalence by " + by
    notes = [model_style(model)["label"]] if model is not None else []
    notes += [shown_note] if shown_note else []
    if notes:
        title += f" ({', '.join(notes)})"
    # the colour strip is 4.5% of the axes high: clear it however tall the heatmap is
    axes_height = ax.get_position().height * ax.figure.get_figheight() * 72
    ax.set_title(title, pad=max(10.0, 0.045 * axes_height + 4))
    return ax


def plot_prevalence_by_year(
    table: pd.DataFrame,
    fig: Figure | None = None,
    *,
    by: str = "year",
    models: Sequence[str] | None = None,
    themes: Sequence[str] | None = None,
    language: str = "en",
    labels: Mapping[str, str] | None = None,
    ncols: int = 5,
    title_width: int = 22,
) -> np.ndarray:
    """Small multiples, one panel per theme: mean share per year with bootstrap intervals.

    Parameters
    ----------
    table : DataFrame
        Output of :func:`topiclab.themes.compare` by year (``theme_prevalence_by_year.csv``):
        columns ``year, theme, mean, lower, upper, n`` and optionally ``model`` and
        ``too_small``.
    fig : Figure, optional
        Where to draw; a new figure when omitted.
    by : str, default="year"
        The time column (x axis).
    models : sequence of str, optional
        Measures to overlay (``lda``, ``nmf``, ``lexicon``); all in the table by default.
    themes : sequence of str, optional
        Themes to draw; all in the table, in lexicon order, by default.
    language : {"en", "vi"}, default="en"
        Language of the panel titles.
    labels : mapping, optional
        Theme id to label, overriding the shipped labels.
    ncols : int, default=5
        Panels per row.
    title_width : int, default=22
        Panel titles wrap at this many characters.

    Returns
    -------
    ndarray of Axes
        One Axes per theme, in theme order (unused grid cells are removed). Lines take the
        theme's colour; measures differ by marker and line style. Groups flagged
        ``too_small`` are drawn as hollow markers that no line joins to their neighbours (a
        line through a one-document year would read as a trend); markers are drawn above
        the interval bars, and the legend explains the hollow markers when there are any.
    """
    require_columns(table, (by, *PREVALENCE_COLUMNS), "plot_prevalence_by_year")
    data = table.copy()
    if "model" not in data.columns:
        data["model"] = "lda"
    data["model"] = data["model"].astype(str)
    model_list = list(models) if models is not None else order_models(data["model"])
    unknown = sorted(set(model_list) - set(data["model"]))
    if unknown:
        raise ValueError(f"plot_prevalence_by_year: no rows for models {unknown}")
    data = data[data["model"].isin(model_list)]
    data = data[data[by].notna()]
    if data.empty:
        raise ValueError("plot_prevalence_by_year: the table has no rows with a known " + by)
    theme_list = (
        list(themes) if themes is not None else order_themes(data["theme"].astype(str), labels)
    )
    names = theme_labels(language, labels, theme_list)
    if fig is None:
        fig = plt.figure()
    ncols = max(1, min(ncols, len(theme_list)))
    nrows = math.ceil(len(theme_list) / ncols)
    grid = fig.subplots(nrows, ncols, sharex=True, sharey=True, squeeze=False)
    for extra in grid.flat[len(theme_list) :]:
        extra.remove()
    axes = grid.flat[: len(theme_list)]

    years = sorted(int(year) for year in data[by].unique())
    offsets = np.linspace(-0.12, 0.12, len(model_list)) if len(model_list) > 1 else [0.0]
    any_small = False
    for ax, theme in zip(axes, theme_list, strict=True):
        color = theme_color(theme, labels)
        for offset, model in zip(offsets, model_list, strict=True):
            style = model_style(model)
            rows = data[(data["model"] == model) & (data["theme"].astype(str) == theme)]
            rows = rows.assign(_x=rows[by].astype(int)).sort_values("_x")
            if rows.empty:
                continue
            x = rows["_x"].to_numpy(dtype=float) + offset
            mean = rows["mean"].to_numpy(dtype=float)
            err = np.vstack(
                [
                    mean - rows["lower"].to_numpy(dtype=float),
                    rows["upper"].to_numpy(dtype=float) - mean,
                ]
            )
            small = (
                rows["too_small"].astype(bool).to_numpy()
                if "too_small" in rows.columns
                else np.zeros(len(rows), dtype=bool)
            )
            # Bars first and lowest: a marker must never hide behind another measure's bar.
            ax.errorbar(
                x,
                mean,
                yerr=np.clip(err, 0, None),
                fmt="none",
                ecolor=color,
                elinewidth=0.7,
                zorder=_BAR_ZORDER,
            )
            # The line joins only neighbouring groups large enough to say something: a line
            # through a one-document year would read as a trend. NaN breaks the line there.
            ax.plot(
                x,
                np.where(small, np.nan, mean),
                color=color,
                linestyle=style["linestyle"],
                marker="none",
                zorder=_LINE_ZORDER,
            )
            ax.plot(
                x[~small],
                mean[~small],
                linestyle="none",
                marker=style["marker"],
                markerfacecolor=color,
                markeredgecolor=color,
                zorder=_MARKER_ZORDER,
            )
            if small.any():
                ax.plot(
                    x[small],
                    mean[small],
                    linestyle="none",
                    marker=style["marker"],
                    markerfacecolor="white",
                    markeredgecolor=color,
                    zorder=_MARKER_ZORDER,
                )
            any_small = any_small or bool(small.any())
        # Long theme labels wrap instead of running into the neighbouring panel's title.
        ax.set_title(textwrap.fill(label_of(theme, names), width=title_width))
        ax.set_xticks(years, [str(year) for year in years])
        ax.grid(axis="y")
    # Once, after every panel is drawn: the panels share y, and an early limit would clip.
    # a one-document year has a mean and no interval: the axis must hold both, or a point
    # falls off the panel unseen
    highs = pd.concat([pd.to_numeric(data[c], errors="coerce") for c in ("upper", "mean")])
    top = float(np.nanmax(highs.to_numpy(dtype=float)))
    axes[0].set_ylim(0.0, top * 1.05 if np.isfinite(top) and top > 0 else 1.0)
    for ax in grid[:, 0]:
        ax.set_ylabel("Mean share")
    for index, ax in enumerate(axes):
        # The bottom panel of each column carries the years, even in a short last row.
        if index + ncols >= len(axes):
            ax.set_xlabel(by.capitalize())
            ax.tick_params(axis="x", labelbottom=True, labelrotation=45)
    handles = [
        plt.Line2D(
            [],
            [],
            color="#555555",
            marker=model_style(m)["marker"],
            linestyle=model_style(m)["linestyle"],
            label=model_style(m)["label"],
        )
        for m in model_list
    ]
    if any_small:
        handles.append(
            plt.Line2D(
                [],
                [],
                color="#555555",
                marker="o",
                markerfacecolor="white",
                linestyle="none",
                label="Too few documents",
            )
        )
    figure_legend(fig, handles, [h.get_label() for h in handles], "lower center")
    return np.asarray(axes, dtype=object)


def _luminance(rgba: tuple[float, float, float, float]) -> float:
    red, green, blue = rgba[:3]
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue
