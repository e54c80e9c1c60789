"""Exemplars: the passages that most represent a theme, overall or within each group."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from topiclab.themes.comparison import _missing_group
from topiclab.themes.lexicon import Lexicon, _match, _term_index, find_terms_in_text, load_lexicon


def exemplars(
    shares: pd.DataFrame,
    units: pd.DataFrame,
    theme: str,
    by: str | Sequence[str] | None = None,
    n: int = 3,
    *,
    lexicon: Lexicon | None = None,
    tokens: Sequence[Sequence[str]] | None = None,
    model: str | None = None,
) -> pd.DataFrame:
    """The passages that most represent a theme, overall or within each group.

    Only units that contain at least one of the theme's indicator terms are candidates, so
    every passage shown can be checked by eye against the lexicon; among them the units with
    the highest share of the theme come first (ties broken by unit id).

    Parameters
    ----------
    shares : DataFrame
        Unit-level output of :func:`theme_shares` or :func:`lexicon_shares`.
    units : DataFrame
        The units table with ``unit_id`` and ``text``.
    theme : str
        Theme id.
    by : str or list of str, optional
        Metadata column(s): return the top ``n`` passages of each group.
    n : int, default=3
        Passages per group.
    lexicon : Lexicon, optional
        Default: the shipped lexicon.
    tokens : sequence of list of str, optional
        Tokens aligned with ``units``; when given, indicator terms are matched on them
        (as :func:`lexicon_shares` does), otherwise on the normalised text.
    model : str, optional
        Which model's shares to use when ``shares`` stacks several.

    Returns
    -------
    DataFrame
        ``model, theme, <by...>, rank, unit_id, doc_id, locality, year, share,
        indicator_terms`` (``;``-joined, in order of first occurrence), ``text``.
    """
    lexicon = lexicon or load_lexicon()
    terms = lexicon[theme].terms
    by_columns = [] if by is None else ([by] if isinstance(by, str) else list(by))
    if "unit_id" not in shares.columns:
        raise KeyError("exemplars needs unit-level shares (a unit_id column)")
    if model is not None:
        shares = shares[shares["model"] == model]
    models = shares["model"].unique().tolist() if "model" in shares.columns else [None]
    if len(models) > 1:
        raise ValueError(f"shares hold several models {models}; pass model=...")
    if tokens is not None and len(tokens) != len(units):
        raise ValueError(f"got {len(tokens)} token lists for {len(units)} units")
    unit_ids = units["unit_id"].astype(str).tolist()
    texts = dict(zip(unit_ids, units["text"].astype(str), strict=True))
    if tokens is not None:
        index = _term_index(terms)
        token_lists = dict(zip(unit_ids, tokens, strict=True))

        def terms_in(unit_id: str) -> list[str]:
            return _match(token_lists[unit_id], *index)
    else:

        def terms_in(unit_id: str) -> list[str]:
            return find_terms_in_text(texts[unit_id], terms)

    frame = shares.copy()
    frame["unit_id"] = frame["unit_id"].astype(str)
    frame = frame.assign(share=frame[theme].astype(float))
    frame = frame[frame["unit_id"].isin(texts)]
    if by_columns:
        frame = frame[~_missing_group(frame, by_columns)]
    frame = frame.sort_values(["share", "unit_id"], ascending=[False, True], kind="stable")
    # Walk down the ranking and match terms only until every group has its n passages: on a
    # large corpus that reads a few hundred units instead of all of them, with the same result.
    keys = (
        list(frame[by_columns].itertuples(index=False, name=None))
        if by_columns
        else [()] * len(frame)
    )
    wanted = len(set(keys)) * n
    taken: dict[tuple, int] = {}
    rows, found_terms = [], []
    for position, (unit_id, key) in enumerate(zip(frame["unit_id"], keys, strict=True)):
        if len(rows) == wanted:
            break
        if taken.get(key, 0) >= n:
            continue
        found = terms_in(unit_id)
        if found:
            taken[key] = taken.get(key, 0) + 1
            rows.append(position)
            found_terms.append(";".join(dict.fromkeys(found)))
    frame = frame.iloc[rows].assign(
        indicator_terms=found_terms, text=lambda f: f["unit_id"].map(texts)
    )
    if by_columns:
        frame = frame.sort_values(
            [*by_columns, "share", "unit_id"],
            ascending=[True] * len(by_columns) + [False, True],
            kind="stable",
        )
        frame["rank"] = frame.groupby(by_columns, sort=False).cumcount() + 1
    else:
        frame = frame.copy()
        frame["rank"] = np.arange(1, len(frame) + 1)
    frame["theme"] = theme
    frame["model"] = models[0]
    meta = [c for c in ("doc_id", "locality", "year") if c in frame.columns and c not in by_columns]
    columns = ["model", "theme", *by_columns, "rank", "unit_id", *meta, "share"]
    return frame[[*columns, "indicator_terms", "text"]].reset_index(drop=True)
