"""Theme shares per unit and per document, from a model or from the lexicon alone.

A unit's theme share is ``sum_k theta[unit, k] * membership[k, theme]``; the ``other``
column holds the rest, so the shares of a unit sum to one.

Every share table carries a ``weight`` column, and a document's share is the weighted mean of
its units' shares. The weight is the unit's token count, so a document's share is the share of
its text (a long paragraph says more about what an article emphasises than a one-line
caption).

The dictionary baseline (:func:`lexicon_shares`) gives ``other`` the meaning it has for the
models: text that is not about any theme. A theme's share of a unit is the part of the unit's
tokens that are the theme's indicator terms (each occurrence counted at its weight relative to
the theme's heaviest term); every other token, matched by no theme, counts as ``other``. A
sports article that says "kinh tế" once is then almost wholly ``other``, not wholly about the
economy, as it was when a unit's shares were renormalised over the themes it mentioned.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from topiclab.themes.labels import MIN_LIFT, MIN_MASS, heaviest_weights, topic_theme_membership
from topiclab.themes.lexicon import OTHER, Lexicon, _match, _term_index, load_lexicon

logger = logging.getLogger(__name__)

#: A corpus whose text the lexicon's terms cover less than this (the dictionary measure's share
#: of all themes together, see :func:`lexicon_coverage`) is flagged: its theme shares rest on
#: few indicator terms. Measured (benchmarks/results/off_domain.md): 0.17 on the five shipped
#: articles, 0.026 on VNTC's politics-and-society news, 0.009 on its sport, health and
#: computing news.
LOW_COVERAGE = 0.02

#: the counters document_shares sums, in the order it writes them
_COUNTERS = ("n_tokens", "n_hits", "weight")


def theme_shares(
    result: Any,
    lexicon: Lexicon | None = None,
    units: pd.DataFrame | None = None,
    *,
    level: str = "unit",
    min_lift: float = MIN_LIFT,
    min_mass: float = MIN_MASS,
) -> pd.DataFrame:
    """Theme shares of every unit (or document) from a model's doc-topic matrix.

    Parameters
    ----------
    result : TopicResult
        The fitted model; its ``unit_ids`` say which unit each doc-topic row belongs to.
    lexicon : Lexicon, optional
        Default: the shipped lexicon.
    units : DataFrame
        The units table (``unit_id, doc_id``, metadata, optionally ``n_tokens``). Units the
        model did not see (no row in ``doc_topic``) are left out and logged.
    level : {"unit", "document"}, default="unit"
        ``"document"`` aggregates units to documents (see :func:`document_shares`).
    min_lift, min_mass : float, default=1.5 and 0.012
        Passed to the topic labelling (see :func:`label_topics`).

    Returns
    -------
    DataFrame
        ``unit_id`` (unit level), ``doc_id``, the metadata columns present in ``units``,
        ``model``, ``n_tokens`` (when ``units`` has it), ``weight`` (the unit's weight in its
        document: ``n_tokens``, or 1 when unknown), one column per theme id and ``other``.
        The document level adds ``n_units`` and drops ``unit_id`` and ``unit_index``.
    """
    lexicon = lexicon or load_lexicon()
    if units is None:
        raise ValueError("theme_shares needs the units table to attach metadata")
    _check_level(level)
    membership = topic_theme_membership(
        result, lexicon, min_lift=min_lift, min_mass=min_mass
    ).to_numpy()
    theta = np.asarray(result.doc_topic, dtype=float)
    sums = theta.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        theta = np.where(sums > 0, theta / sums, 0.0)
    values = pd.DataFrame(
        theta @ membership,
        columns=[*lexicon.ids, OTHER],
        index=pd.Index(result.unit_ids, name="unit_id"),
    )
    shares = _attach_units(values, units, model=result.model)
    if "n_tokens" in shares.columns:
        weights = shares["n_tokens"].astype(float).to_numpy()
    else:
        weights = np.ones(len(shares))
    shares.insert(shares.columns.get_loc(lexicon.ids[0]), "weight", weights)
    return shares if level == "unit" else document_shares(shares)


def lexicon_shares(
    tokens: Sequence[Sequence[str]],
    lexicon: Lexicon | None = None,
    units: pd.DataFrame | None = None,
    *,
    level: str = "unit",
) -> pd.DataFrame:
    """Dictionary-only theme shares, counted directly from the indicator terms.

    A unit's share of theme ``t`` is the weighted count of ``t``'s indicator terms in the unit
    (each occurrence counted at its weight divided by the weight of ``t``'s heaviest term)
    divided by the unit's number of tokens; ``other`` is the rest: every token that is no
    theme's indicator term counts as ``other``, so the shares of a unit sum to one. Multi-word
    terms match as one protected token or as their run of adjacent tokens; the longest match
    wins and a token is counted once per theme.

    Parameters
    ----------
    tokens : sequence of list of str
        Tokens of each unit, aligned with ``units``.
    lexicon : Lexicon, optional
        Default: the shipped lexicon.
    units : DataFrame
        The units table, one row per token list.
    level : {"unit", "document"}, default="unit"
        At document level a theme's share is its part of all the document's tokens (units
        are weighted by their token count).

    Returns
    -------
    DataFrame
        Same layout as :func:`theme_shares` with ``model = "lexicon"``, ``n_tokens`` (tokens
        of the unit), ``n_hits`` (indicator terms found) and ``weight`` (``n_tokens``).
    """
    lexicon = lexicon or load_lexicon()
    if units is None:
        raise ValueError("lexicon_shares needs the units table to attach metadata")
    _check_level(level)
    if len(tokens) != len(units):
        raise ValueError(f"got {len(tokens)} token lists for {len(units)} units")
    mass = np.zeros((len(tokens), len(lexicon)))
    hits = np.zeros(len(tokens), dtype=int)
    indexes = [_term_index(theme.terms) for theme in lexicon]
    heaviest = heaviest_weights(lexicon)
    for i, unit_tokens in enumerate(tokens):
        for t, theme in enumerate(lexicon):
            found = _match(unit_tokens, *indexes[t])
            mass[i, t] = sum(theme.terms[term] for term in found) / heaviest[t]
            hits[i] += len(found)
    n_tokens = np.array([len(t) for t in tokens], dtype=float)
    # a token that indicates two themes counts in both; such a unit is rescaled to sum to 1
    total = np.maximum(mass.sum(axis=1), n_tokens)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(total[:, None] > 0, mass / total[:, None], 0.0)
    other = 1.0 - share.sum(axis=1)
    values = pd.DataFrame(
        np.hstack([share, other[:, None]]),
        columns=[*lexicon.ids, OTHER],
        index=pd.Index(units["unit_id"].astype(str).tolist(), name="unit_id"),
    )
    units = units.copy()
    units["n_tokens"] = n_tokens.astype(int)
    shares = _attach_units(values, units, model="lexicon")
    shares.insert(shares.columns.get_loc(lexicon.ids[0]), "n_hits", hits)
    shares.insert(shares.columns.get_loc(lexicon.ids[0]), "weight", n_tokens)
    return shares if level == "unit" else document_shares(shares)


def lexicon_coverage(shares: pd.DataFrame, *, threshold: float = LOW_COVERAGE) -> pd.DataFrame:
    """How much of the corpus each measure puts on the lexicon's themes, and whether it is low.

    Parameters
    ----------
    shares : DataFrame
        Unit- or document-level shares of one or more measures (told apart by ``model``),
        with their ``weight`` column.
    threshold : float, default=LOW_COVERAGE
        The dictionary measure (``model = "lexicon"``) below this share of all themes marks
        the corpus as little covered by the lexicon.

    Returns
    -------
    DataFrame
        ``model, themes_share`` (the weighted share of the text on any theme, ``1 - other``),
        ``threshold`` and ``low`` (true for the dictionary row when its share is below the
        threshold; the models' rows say how much they put on the themes, and are never
        flagged: a topic model's shares depend on its labels, not on how much of the text
        the lexicon's words cover).
    """
    rows = []
    for model, frame in shares.groupby("model", sort=False):
        w = frame["weight"].astype(float).to_numpy() if "weight" in frame else np.ones(len(frame))
        w = np.where(np.isfinite(w) & (w > 0), w, 0.0)
        # clipped: 1 - other of a unit wholly other is -1e-19 in floating point
        themed = np.clip(1.0 - frame[OTHER].astype(float).to_numpy(), 0.0, 1.0)
        value = float((w * themed).sum() / w.sum()) if w.sum() > 0 else float(themed.mean())
        rows.append(
            {
                "model": model,
                "themes_share": value,
                "threshold": threshold,
                "low": bool(model == "lexicon" and value < threshold),
            }
        )
    return pd.DataFrame(rows, columns=["model", "themes_share", "threshold", "low"])


def coverage_note(coverage: pd.DataFrame) -> str:
    """The warning for a corpus the lexicon covers little, or ``""`` (see :func:`lexicon_coverage`).

    The run logs it and writes it into the output's ``README.md``.
    """
    low = coverage[coverage["low"].astype(bool)]
    if low.empty:
        return ""
    row = low.iloc[0]
    models = coverage[coverage["model"] != "lexicon"]
    pairs = zip(models["model"], models["themes_share"], strict=True)
    by_model = ", ".join(f"{m} {v:.3f}" for m, v in pairs)
    return (
        f"Low lexicon coverage: the lexicon's indicator terms make up {row['themes_share']:.3f}"
        f" of this corpus's text (below {row['threshold']:g}), so the corpus says little about"
        " the lexicon's themes; read every theme share as small and check the topics labelled"
        " with a theme (tables/topics.csv) before trusting them"
        + (f" (share of all themes: {by_model})." if by_model else ".")
    )


def document_shares(shares: pd.DataFrame) -> pd.DataFrame:
    """Aggregate unit shares to documents: the ``weight``-weighted mean per model and document.

    See the module docstring for what the weight is. When the ``weight`` column is absent,
    or a document's weights are all zero, its units count the same.
    """
    value_columns = share_columns(shares)
    keys = ["model", "doc_id"] if "model" in shares.columns else ["doc_id"]
    frame = shares.reset_index(drop=True)
    if "weight" in frame.columns:
        w = frame["weight"].astype(float).to_numpy()
    else:
        logger.info("no 'weight' column: units weigh the same in each document")
        w = np.ones(len(frame))
    w = np.where(np.isfinite(w) & (w > 0), w, 0.0)
    grouped = frame.groupby(keys, sort=False)
    # Grouped by each row's group number rather than by copies of the key columns (as Python
    # strings those were 160 MB at 1.3 million unit rows: 80,000 articles, three measures),
    # and one share column at a time rather than the whole block (each copy of which was
    # 105 MB there). pandas sums and averages every column on its own, in row order, so the
    # values are the same to the last bit.
    group = grouped.ngroup().to_numpy(dtype=float)
    kept = ~np.isnan(group)  # a row with a missing key belongs to no group, as in groupby
    every_row = bool(kept.all())
    group = group[kept].astype(np.int64)
    if not every_row:
        w = w[kept]
    sums, plain = {}, {}
    for column in value_columns:
        values = frame[column].to_numpy(dtype=float)
        if not every_row:
            values = values[kept]
        sums[column] = pd.Series(values * w).groupby(group, sort=False).sum()
        plain[column] = pd.Series(values).groupby(group, sort=False).mean()
    weights = pd.Series(w).groupby(group, sort=False).sum()
    totals = pd.DataFrame(sums, index=weights.index)
    means = totals.div(weights.where(weights > 0), axis=0)
    means = means.fillna(pd.DataFrame(plain, index=weights.index))
    counters = [c for c in _COUNTERS if c in frame.columns]
    meta_columns = [
        c
        for c in frame.columns
        if c not in value_columns
        and c not in keys
        and c not in ("unit_id", "unit_index", "replicate", *counters)
    ]
    out = grouped[meta_columns].first()
    out["n_units"] = grouped.size()
    for column in counters:
        out[column] = grouped[column].sum()
    out = out.join(means.set_axis(out.index, axis=0)).reset_index()
    return out[[*keys, *meta_columns, "n_units", *counters, *value_columns]]


def share_columns(shares: pd.DataFrame) -> list[str]:
    """The share columns of a share table (theme ids and ``other``).

    They are the columns after ``weight`` (or after the last bookkeeping column).

    Stacking tables of different measures (``pd.concat``) may move a column only one of them
    has (``n_hits``) to the end, so bookkeeping columns are skipped wherever they stand.
    """
    bookkeeping = ("model", "n_units", "n_tokens", "n_hits", "weight", "replicate")
    if "weight" in shares.columns:
        start = shares.columns.get_loc("weight") + 1
    else:
        present = [c for c in bookkeeping if c in shares.columns]
        if not present:
            raise ValueError(
                "cannot tell the share columns apart: expected a 'model' column before them "
                "(use theme_shares or lexicon_shares, or pass themes=...)"
            )
        start = max(shares.columns.get_loc(c) for c in present) + 1
    return [c for c in shares.columns[start:] if c not in bookkeeping]


def _attach_units(values: pd.DataFrame, units: pd.DataFrame, *, model: str) -> pd.DataFrame:
    unit_ids = pd.Index(units["unit_id"].astype(str), name="unit_id")
    if unit_ids.has_duplicates:
        raise ValueError("units has duplicated unit_id values")
    meta_columns = [c for c in units.columns if c not in ("text", "unit_id", *values.columns)]
    front = [c for c in meta_columns if c != "n_tokens"]
    if values.index.equals(unit_ids):
        # the usual case (a run's fits hold the units' own ids, in order): the rows are the
        # units' rows, so no lookup table over every unit id is built for each refit
        meta = units[meta_columns].set_axis(values.index, axis=0)
    else:
        meta = _units_in_order(values.index, units.set_axis(unit_ids, axis=0), meta_columns)
        meta = meta.set_axis(values.index, axis=0)
    out = meta[front].copy()
    out["model"] = model
    if "n_tokens" in meta.columns:
        out["n_tokens"] = meta["n_tokens"].to_numpy()
    for column in values.columns:
        out[column] = values[column].to_numpy()
    return out.reset_index()


def _units_in_order(order: pd.Index, units: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """The ``columns`` of ``units`` (indexed by unit id) in the order of a model's rows."""
    unknown = order.difference(units.index)
    if len(unknown):
        # a model fitted without unit_ids names its rows "0", "1", ...: say how to fix that
        raise ValueError(
            f"{len(unknown)} unit ids of the model are not in units, e.g. {unknown[0]!r}; "
            "fit the model with the units' ids, e.g. "
            "LDA(k).fit(bow, vocab=vocab, unit_ids=units['unit_id']), so that its rows "
            "name the units"
        )
    unseen = units.index.difference(order)
    if len(unseen):
        logger.info("%d units have no doc-topic row (e.g. empty after filtering)", len(unseen))
    return units.loc[order, columns]


def _check_level(level: str) -> None:
    if level not in ("unit", "document"):
        raise ValueError(f"level must be 'unit' or 'document', got {level!r}")


def weigh_units_by_tokens_seen(units: pd.DataFrame, bow: Any) -> pd.DataFrame:
    """``units`` with ``n_tokens`` replaced by the tokens a model saw in each unit.

    A model sees only the tokens kept in the vocabulary. Weighing a unit by those (not by
    all its tokens) means a unit the vocabulary filter left empty, whose doc-topic row is the
    prior alone, does not count in its document's share (see :func:`document_shares`).

    Parameters
    ----------
    units : DataFrame
        The units table, one row per row of ``bow``, in the same order.
    bow : sparse matrix or array of shape (n_units, n_terms)
        The bag-of-words counts the model was fitted on.

    Returns
    -------
    DataFrame
        A copy of ``units`` whose ``n_tokens`` is the row sums of ``bow``.
    """
    seen = np.asarray(bow.sum(axis=1)).ravel()
    if len(seen) != len(units):
        raise ValueError(f"bow has {len(seen)} rows for {len(units)} units")
    return units.assign(n_tokens=seen)


def mean_of_refits(per_fit: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Unit shares averaged over refits of one model (seeds ``seed, seed + 1, ...``).

    Parameters
    ----------
    per_fit : sequence of DataFrame
        Unit-level :func:`theme_shares` of each refit; their rows are the same units in the
        same order (every refit is fitted on the same matrix).

    Returns
    -------
    DataFrame
        The first refit's table with every share column replaced by the mean over refits
        (the table itself when there is one refit).
    """
    if len(per_fit) == 1:
        return per_fit[0]
    mean = per_fit[0].copy()
    columns = share_columns(mean)
    mean[columns] = np.mean([frame[columns].to_numpy(dtype=float) for frame in per_fit], axis=0)
    return mean


def stack_documents(frames: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """The document shares of several measures in one table, as :func:`document_shares`
    gives them for the measures' unit shares stacked.

    A run aggregates each measure on its own, so that the unit shares of the measures are
    never in memory together; this stacks the results. :func:`document_shares` sums each
    counter over a document's units, which is 0 for a measure that lacks it (``n_hits``,
    only the dictionary measure's): so it is here.

    Parameters
    ----------
    frames : sequence of DataFrame
        Document-level shares of each measure (:func:`document_shares`), in order.
    """
    stacked = pd.concat(frames, ignore_index=True)
    for column in _COUNTERS:
        if column in stacked.columns and any(column not in frame.columns for frame in frames):
            stacked[column] = stacked[column].astype(float).fillna(0.0)
    values = share_columns(frames[0])
    counters = [c for c in _COUNTERS if c in stacked.columns]
    front = [c for c in stacked.columns if c not in (*values, *counters, "n_units")]
    return stacked[[*front, "n_units", *counters, *values]]


def stack_replicates(frames: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Stack document shares of several measures and refits, ``replicate`` the last column.

    Measures have different bookkeeping columns (``n_hits`` only for the lexicon), so
    ``pd.concat`` may place ``replicate`` anywhere; :func:`compare` reads the share columns
    after ``weight`` and needs it out of the way.
    """
    stacked = pd.concat(frames, ignore_index=True)
    columns = [c for c in stacked.columns if c != "replicate"]
    return stacked[[*columns, "replicate"]]
