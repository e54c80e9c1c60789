"""Corpus overview: documents and units per locality and year, and unit lengths."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from topiclab.plotting._style import figure_legend, require_columns

_DOC_COLOR = "#332288"
_UNIT_COLOR = "#88ccee"
UNKNOWN = "unknown"
# A bar longer than this part of its axis carries its count label inside.
_INSIDE = 0.6


def plot_corpus_overview(
    documents: pd.DataFrame,
    units: pd.DataFrame,
    fig: Figure | None = None,
    *,
    length: str | None = None,
    max_localities: int | None = None,
) -> np.ndarray:
    """Three panels: counts per locality, counts per year, the distribution of unit lengths.

    Parameters
    ----------
    documents : DataFrame
        The corpus documents (``documents.csv``): ``doc_id, locality, year``.
    units : DataFrame
        The analysis units (``units.csv``): ``unit_id, doc_id`` and either a length column
        or ``text``.
    fig : Figure, optional
        Where to draw; a new figure when omitted.
    length : str, optional
        Column holding each unit's length in tokens (e.g. ``n_tokens``); when omitted the
        first of ``n_tokens, n_words`` present is used, else words are counted in ``text``.
    max_localities : int, optional
        With more localities than this, the largest by documents get a bar each and the rest
        share one bar ("N others"), so every document is still counted.

    Returns
    -------
    ndarray of Axes
        ``[per locality, per year, unit lengths]``. Each group's bars carry one label,
        ``documents / units``. Documents with an unknown year are shown as ``unknown``,
        never dropped. Documents with no locality get no bar (in a corpus without metadata
        it would dwarf every locality): the locality panel's axis label counts them.
    """
    require_columns(documents, ("doc_id", "locality", "year"), "plot_corpus_overview(documents)")
    require_columns(units, ("doc_id",), "plot_corpus_overview(units)")
    if documents.empty:
        raise ValueError("plot_corpus_overview: there are no documents")
    docs = documents.assign(
        locality=documents["locality"].astype("string").fillna(UNKNOWN).replace("", UNKNOWN),
        year=_year_labels(documents["year"]),
    )
    unit_groups = units[["doc_id"]].merge(
        docs[["doc_id", "locality", "year"]], on="doc_id", how="left", validate="many_to_one"
    )
    unit_groups = unit_groups.fillna({"locality": UNKNOWN, "year": UNKNOWN})

    if fig is None:
        fig = plt.figure()
    axes = fig.subplots(1, 3, width_ratios=[1.2, 1.0, 1.0], squeeze=True)
    _grouped_counts(
        axes[0], docs, unit_groups, "locality", max_groups=max_localities, unknown_as_note=True
    )
    axes[0].set_title("Per locality")
    _grouped_counts(axes[1], docs, unit_groups, "year")
    axes[1].set_title("Per year")

    handles, names = axes[0].get_legend_handles_labels()
    figure_legend(fig, handles, names, "upper right")
    lengths, what = _unit_lengths(units, length)
    ax = axes[2]
    if len(lengths):
        bins = np.histogram_bin_edges(lengths, bins=min(20, max(5, len(lengths) // 3)))
        ax.hist(lengths, bins=bins, color=_UNIT_COLOR, edgecolor="white")
        median = float(np.median(lengths))
        ax.axvline(median, color=_DOC_COLOR, linewidth=0.8, linestyle="--")
        ax.annotate(
            f"median {median:g}",
            xy=(median, 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(3, -8),
            textcoords="offset points",
            fontsize=6,
        )
    else:
        ax.text(0.5, 0.5, "no units", ha="center", va="center", transform=ax.transAxes)
    ax.set_xlabel(f"Unit length ({what})")
    ax.set_ylabel("Units")
    ax.set_title("Unit lengths")
    return np.asarray(axes, dtype=object)


def _grouped_counts(
    ax: Axes,
    docs: pd.DataFrame,
    units: pd.DataFrame,
    by: str,
    *,
    max_groups: int | None = None,
    unknown_as_note: bool = False,
) -> None:
    doc_counts = docs.groupby(by, sort=True).size()
    unit_counts = units.groupby(by, sort=True).size()
    groups = sorted(set(doc_counts.index) | set(unit_counts.index), key=_group_key)
    known = [g for g in groups if g != UNKNOWN]
    note = ""
    if unknown_as_note and UNKNOWN in groups:
        # A corpus without metadata has most documents in "unknown": as a bar it would set
        # the scale and flatten every real group, so it is counted in words instead.
        n_docs, n_units = int(doc_counts.get(UNKNOWN, 0)), int(unit_counts.get(UNKNOWN, 0))
        note = f"{n_docs} {_plural(n_docs, 'document')} ({n_units} {_plural(n_units, 'unit')})"
        note += f"\nwith no {by}, not drawn"
        groups = known
    if max_groups is not None and len(known) > max_groups:
        ranked = sorted(known, key=lambda g: (-int(doc_counts.get(g, 0)), str(g)))
        rest = set(ranked[max_groups:])
        label = f"{len(rest)} others"
        merge = {g: label for g in rest}
        doc_counts = doc_counts.groupby(lambda g: merge.get(g, g)).sum()
        unit_counts = unit_counts.groupby(lambda g: merge.get(g, g)).sum()
        kept = sorted(ranked[:max_groups], key=_group_key)
        groups = [*kept, label, *([UNKNOWN] if UNKNOWN in groups else [])]
    doc_values = np.array([int(doc_counts.get(g, 0)) for g in groups])
    unit_values = np.array([int(unit_counts.get(g, 0)) for g in groups])
    positions = np.arange(len(groups))
    height = 0.38
    ax.barh(positions - height / 2, doc_values, height, color=_DOC_COLOR, label="Documents")
    ax.barh(positions + height / 2, unit_values, height, color=_UNIT_COLOR, label="Units")
    top = max(int(doc_values.max(initial=0)), int(unit_values.max(initial=0)), 1)
    for position, n_docs, n_units in zip(positions, doc_values, unit_values, strict=True):
        _count_label(ax, position, height, n_docs, n_units, top)
    ax.set_yticks(positions, [str(g) for g in groups])
    ax.invert_yaxis()
    ax.tick_params(axis="y", length=0)
    ax.set_xlabel("Count (documents / units)" + (f"\n{note}" if note else ""))
    # Labels of the long bars sit inside them, so a small margin is room enough for the
    # labels outside the shorter ones.
    ax.set_xlim(0, top * 1.05)
    if not groups:
        ax.text(
            0.5, 0.5, f"no document has a {by}", ha="center", va="center", transform=ax.transAxes
        )


def _count_label(
    ax: Axes, position: float, height: float, n_docs: int, n_units: int, top: int
) -> None:
    """One label per group, ``documents / units``, at the end of the longer of its two bars.

    Two labels per group overlap each other once the bars are thinner than the text; one
    label on the longer bar cannot. A bar longer than :data:`_INSIDE` of the axis carries
    its label inside, where it cannot run into the next panel.
    """
    text = f"{n_docs} / {n_units}"
    on_units = n_units >= n_docs
    value = n_units if on_units else n_docs
    y = position + height / 2 if on_units else position - height / 2
    if value > _INSIDE * top:
        ink = "black" if on_units else "white"
        ax.text(value, y, text + " ", ha="right", va="center", fontsize=6, color=ink)
    else:
        ax.text(value, y, " " + text, ha="left", va="center", fontsize=6)


def _plural(count: int, word: str) -> str:
    return word if count == 1 else word + "s"


def _group_key(group: str) -> tuple[int, str]:
    # Unknown last, everything else by name (years sort as text, all four digits).
    return (1 if group == UNKNOWN else 0, str(group))


def _year_labels(years: pd.Series) -> pd.Series:
    numeric = pd.to_numeric(years, errors="coerce")
    labels = numeric.map(lambda y: UNKNOWN if pd.isna(y) else str(int(y)))
    return labels.astype(str)


def _unit_lengths(units: pd.DataFrame, length: str | None) -> tuple[np.ndarray, str]:
    if length is None:
        length = next((c for c in ("n_tokens", "n_words") if c in units.columns), None)
    if length is not None:
        require_columns(units, (length,), "plot_corpus_overview(units)")
        values = pd.to_numeric(units[length], errors="coerce").dropna().to_numpy(dtype=float)
        return values, length.removeprefix("n_").replace("_", " ")
    require_columns(units, ("text",), "plot_corpus_overview(units)")
    counts = units["text"].astype("string").fillna("").str.split().str.len()
    return counts.to_numpy(dtype=float), "words"
