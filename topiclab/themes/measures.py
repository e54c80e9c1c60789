"""Agreement between measures: how the theme shares of LDA, NMF and the lexicon correlate."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

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
