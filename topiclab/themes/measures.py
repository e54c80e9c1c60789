"""Agreement between measures (how the theme shares of LDA, NMF and the lexicon correlate)
and the sensitivity of the shares and group rankings to the labelling floors."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from topiclab.themes.labels import MIN_LIFT, MIN_MASS, topic_theme_membership
from topiclab.themes.lexicon import OTHER, Lexicon
from topiclab.themes.refits import SpilledArrays
from topiclab.themes.shares import document_shares, share_columns


def agreement(
    shares: pd.DataFrame,
    *,
    on: str = "doc_id",
    themes: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Correlation between the theme shares of different measures, per theme.

    Parameters
    ----------
    shares : DataFrame
        Several measures stacked, told apart by the ``model`` column (e.g. ``lda``, ``nmf``,
        ``lexicon``), at unit or document level.
    on : {"doc_id", "unit_id"}, default="doc_id"
        Compare documents (unit shares are aggregated first) or units.
    themes : list of str, optional
        Default: every share column.

    Returns
    -------
    DataFrame
        ``theme, model_a, model_b, n, pearson, spearman``: one row per theme and pair of
        measures. A correlation is NaN when a measure does not vary over the rows.
    """
    if "model" not in shares.columns:
        raise KeyError("agreement needs a 'model' column telling the measures apart")
    if on not in ("doc_id", "unit_id"):
        raise ValueError(f"on must be 'doc_id' or 'unit_id', got {on!r}")
    value_columns = list(themes) if themes is not None else share_columns(shares)
    frame = shares
    if on == "doc_id" and shares.duplicated(["model", "doc_id"]).any():
        frame = document_shares(shares)
    models = list(dict.fromkeys(frame["model"]))
    rows = []
    for theme_id in value_columns:
        wide = frame.pivot(index=on, columns="model", values=theme_id)
        for i, a in enumerate(models):
            for b in models[i + 1 :]:
                pair = wide[[a, b]].dropna()
                rows.append(
                    {
                        "theme": theme_id,
                        "model_a": a,
                        "model_b": b,
                        "n": len(pair),
                        "pearson": _correlation(pair[a], pair[b], "pearson"),
                        "spearman": _correlation(pair[a], pair[b], "spearman"),
                    }
                )
    return pd.DataFrame(rows, columns=["theme", "model_a", "model_b", "n", "pearson", "spearman"])


def _correlation(a: pd.Series, b: pd.Series, method: str) -> float:
    if len(a) < 3 or a.nunique() < 2 or b.nunique() < 2:
        return float("nan")
    return float(a.astype(float).corr(b.astype(float), method=method))


#: The ``min_lift`` values of :func:`label_sensitivity` (the configured one is added).
SENSITIVITY_LIFTS = (1.25, 1.5, 2.0, 3.0)


def label_sensitivity(
    refits: Mapping[str, Sequence[Any]],
    units: pd.DataFrame,
    lexicon: Lexicon,
    *,
    min_lift: float = MIN_LIFT,
    min_mass: float = MIN_MASS,
    lifts: Sequence[float] = SENSITIVITY_LIFTS,
    masses: Sequence[float] | None = None,
    by: Sequence[str] = ("locality", "year"),
) -> pd.DataFrame:
    """How theme shares and group rankings move with the labelling floors.

    Every model's refits are relabelled under each pair of ``min_lift`` in ``lifts`` and
    ``min_mass`` in ``masses``, their unit shares averaged over the refits and aggregated to
    documents, as the run does at the configured floors.

    Parameters
    ----------
    refits : mapping of str to sequence of TopicResult
        The fits of each model (``lda``, ``nmf``), as the run averages them.
    units : DataFrame
        The units table with ``n_tokens`` (the tokens each model saw) and the grouping
        columns.
    lexicon : Lexicon
        The themes.
    min_lift, min_mass : float
        The configured floors: the reference the rankings are compared with.
    lifts : sequence of float, default=(1.25, 1.5, 2, 3)
        The ``min_lift`` values tried (``min_lift`` is added).
    masses : sequence of float, optional
        The ``min_mass`` values tried; default 0 (no mass floor), half, one and two times
        ``min_mass``.
    by : sequence of str, default=("locality", "year")
        Grouping columns whose rankings are compared (those with at least two groups).

    Returns
    -------
    DataFrame
        One row per model, ``min_lift``, ``min_mass``, theme (and ``other``) and grouping:
        ``model, min_lift, min_mass, configured`` (the run's own floors), ``theme, share``
        (mean document share), ``topics`` (topics labelled with the theme), ``by`` (the
        grouping; empty when no column of ``by`` has two groups), ``top_group`` (the group of
        the highest mean share) and ``rank_correlation`` (Spearman correlation of the group
        means with those at the configured floors; NaN when either does not vary).
    """
    if masses is None:
        masses = (0.0, min_mass / 2, min_mass, min(2 * min_mass, 0.99))
    lift_grid = sorted({float(x) for x in (*lifts, min_lift)})
    mass_grid = sorted({float(x) for x in masses} | {float(min_mass)})
    groupings = [c for c in by if c in units.columns and units[c].nunique(dropna=True) >= 2]
    columns = [*lexicon.ids, OTHER]
    rows: list[dict[str, Any]] = []
    settings = [(lift, mass) for lift in lift_grid for mass in mass_grid]
    for model, fits in refits.items():
        # one pass over the refits (read one at a time from disk when ``fits`` does so):
        # their memberships under every setting, and their unit shares for the mixer
        mix = _DocumentMixer(units, groupings)
        by_setting: dict[tuple[float, float], list[np.ndarray]] = {s: [] for s in settings}
        for result in fits:
            mix.add(result)
            for lift, mass in settings:
                membership = topic_theme_membership(result, lexicon, min_lift=lift, min_mass=mass)
                by_setting[lift, mass].append(membership.to_numpy())
            del result
        # the group means of every setting, not its document table: the rankings need no more
        means: dict[tuple[float, float], dict[tuple[str, str], pd.Series]] = {}
        for lift, mass in settings:
            memberships = by_setting[lift, mass]
            documents = mix(memberships, columns)
            counts = _labelled_topics(memberships, columns)
            means[lift, mass] = {
                (column, theme): _group_means(documents, column, theme)
                for column in groupings
                for theme in columns
            }
            for theme in columns:
                base = {
                    "model": model,
                    "min_lift": lift,
                    "min_mass": mass,
                    "configured": lift == float(min_lift) and mass == float(min_mass),
                    "theme": theme,
                    "share": float(documents[theme].mean()),
                    "topics": float(counts[theme]),
                }
                if not groupings:
                    rows.append({**base, "by": "", "top_group": "", "rank_correlation": np.nan})
                for column in groupings:
                    rows.append(
                        {**base, "by": column, **_ranking(means[lift, mass][column, theme])}
                    )
            del documents
        reference = means[float(min_lift), float(min_mass)]
        for row in rows:
            if row["model"] != model or not row["by"]:
                continue
            key = (row["by"], row["theme"])
            row["rank_correlation"] = _rank_correlation(
                means[row["min_lift"], row["min_mass"]][key], reference[key]
            )
    return pd.DataFrame(rows, columns=SENSITIVITY_COLUMNS)


SENSITIVITY_COLUMNS = [
    "model",
    "min_lift",
    "min_mass",
    "configured",
    "theme",
    "share",
    "topics",
    "by",
    "top_group",
    "rank_correlation",
]


def _group_means(documents: pd.DataFrame, column: str, theme: str) -> pd.Series:
    return documents.groupby(column, sort=True)[theme].mean()


def _ranking(means: pd.Series) -> dict[str, Any]:
    """The top group of one theme's group means (none when they do not vary)."""
    top = str(means.idxmax()) if means.nunique() > 1 else ""
    return {"top_group": top, "rank_correlation": np.nan}


def _rank_correlation(means: pd.Series, reference: pd.Series) -> float:
    """Spearman correlation of one theme's group means with those at the configured floors."""
    return _correlation(means, reference.reindex(means.index), "spearman")


def _labelled_topics(memberships: Sequence[np.ndarray], columns: Sequence[str]) -> pd.Series:
    """Topics per theme (and ``other``, the last column), averaged over the refits."""
    counts = pd.Series(0.0, index=list(columns))
    for membership in memberships:
        # a topic counts for the theme of its largest membership (a shared topic once)
        best = np.bincount(membership.argmax(axis=1), minlength=len(columns))
        counts += best
    return counts / max(len(memberships), 1)


class _DocumentMixer:
    """Document shares of the refits under any topic-theme memberships, without tables.

    Gives what :func:`theme_shares`, :func:`mean_of_refits` and :func:`document_shares` give
    (units weighted by ``n_tokens``; a document without weight takes the plain mean of its
    units), for the many settings of :func:`label_sensitivity` at the cost of matrix products.
    Refits are given one at a time (:meth:`add`); their normalised unit shares wait on disk
    (:class:`~topiclab.themes.refits.SpilledArrays`) and are read back one at a time, so
    memory holds one refit's shares, not all of them.
    """

    def __init__(self, units: pd.DataFrame, groupings: Sequence[str]):
        self.units = units
        self.groupings = list(groupings)
        self.thetas = SpilledArrays("topiclab-sensitivity-")

    def add(self, result: Any) -> None:
        """Take one refit's unit shares (the first refit fixes the order of the units)."""
        if not len(self.thetas):
            self._units_of(list(result.unit_ids))
        theta = np.asarray(result.doc_topic, dtype=float)
        sums = theta.sum(axis=1, keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            self.thetas.append(np.where(sums > 0, theta / sums, 0.0))

    def _units_of(self, ids: list[str]) -> None:
        units = self.units
        frame = units.assign(unit_id=units["unit_id"].astype(str)).set_index("unit_id")
        frame = frame.loc[ids]
        self.codes, _ = pd.factorize(frame["doc_id"])
        self.n_docs = int(self.codes.max()) + 1 if len(self.codes) else 0
        if "n_tokens" in frame.columns:
            w = frame["n_tokens"].astype(float).to_numpy()
        else:
            w = np.ones(len(frame))
        self.weights = np.where(np.isfinite(w) & (w > 0), w, 0.0)
        self.totals = np.bincount(self.codes, weights=self.weights, minlength=self.n_docs)
        self.sizes = np.bincount(self.codes, minlength=self.n_docs)
        self.meta = frame[self.groupings].groupby(self.codes, sort=True).first()

    def __call__(self, memberships: Sequence[np.ndarray], columns: Sequence[str]) -> pd.DataFrame:
        if len(memberships) != len(self.thetas):
            raise ValueError(f"{len(memberships)} memberships for {len(self.thetas)} refits")
        # the mean over refits as np.mean over the stacked products computes it: summed in
        # refit order, then divided (one refit's shares read back at a time)
        unit = None
        for r, membership in enumerate(memberships):
            product = self.thetas[r] @ membership
            unit = product if unit is None else np.add(unit, product, out=unit)
        unit = unit / len(memberships)
        weighted = np.zeros((self.n_docs, unit.shape[1]))
        plain = np.zeros_like(weighted)
        np.add.at(weighted, self.codes, unit * self.weights[:, None])
        np.add.at(plain, self.codes, unit)
        with np.errstate(divide="ignore", invalid="ignore"):
            shares = np.where(
                self.totals[:, None] > 0,
                weighted / self.totals[:, None],
                plain / np.maximum(self.sizes, 1)[:, None],
            )
        documents = pd.DataFrame(shares, columns=list(columns))
        return pd.concat([self.meta.reset_index(drop=True), documents], axis=1)
