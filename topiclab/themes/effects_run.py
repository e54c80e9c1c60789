"""The theme-effects stage of ``topiclab run``: ``tables/theme_effects.csv`` from the fits.

:func:`theme_effects_table` regresses each theme's document share on the run's metadata with
:func:`topiclab.themes.effects.estimate_effects`, for every model (its refits as the
replicates of the method of composition) and the dictionary measure. For LDA each draw also
draws every unit's topic mixture from its variational posterior (:class:`LDAPosterior`), so
the intervals carry the model's uncertainty about each unit, not only the documents sampled
and the seed.

:func:`resolve_formula` decides which covariates enter: the formula of
``themes.effects.formula`` (or, when it is null, a place term and ``year``: the finest of
locality, district and province whose median level has enough documents for an interval)
without the terms whose columns take fewer than two values among the documents. When no
term is left (an undated corpus from one locality) the table has its header and no rows,
and the figure is not drawn.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse

from topiclab.themes.comparison import MIN_GROUP_SIZE
from topiclab.themes.effects import EFFECT_COLUMNS, draw_unit_mixtures, estimate_effects
from topiclab.themes.labels import MIN_MASS, topic_theme_membership
from topiclab.themes.lexicon import OTHER, Lexicon
from topiclab.themes.refits import SpilledArrays
from topiclab.themes.shares import document_shares, lexicon_shares, theme_shares

logger = logging.getLogger(__name__)

#: covariates of the default formula, in this order, when their columns exist and vary
DEFAULT_COVARIATES = ("locality", "year")
#: the place columns the default formula's place term may use, finest first
PLACE_COLUMNS = ("locality", "district", "province")
#: decimals of the written estimates: shares are in [0, 1], and the regressions' BLAS sums
#: differ in the last bits between CPU kernels (see benchmarks/kernel_determinism.py)
EFFECT_DECIMALS = 6
#: columns a formula may use besides the metadata: the document's size in the share tables
SHARE_COVARIATES = ("n_tokens", "n_units")


def resolve_formula(
    documents: pd.DataFrame, formula: str | None, min_group_size: int = MIN_GROUP_SIZE
) -> tuple[str | None, list[str]]:
    """The formula the stage fits: the terms whose covariates vary among ``documents``.

    Parameters
    ----------
    documents : DataFrame
        One row per document with its metadata (missing values as NaN or empty strings).
    formula : str or None
        Right-hand side in patsy syntax; ``None`` builds ``C(locality) + year`` from the
        columns of :data:`DEFAULT_COVARIATES` that exist and vary, each kept only while the
        regression has fewer coefficients than documents (five documents from five
        localities cannot also give a year slope). The place term is the finest of
        :data:`PLACE_COLUMNS` whose median level holds at least ``min_group_size``
        documents (see :func:`default_place_column`).
    min_group_size : int, default=MIN_GROUP_SIZE
        The group size below which a level gets no interval (``themes.min_group_size``).

    Returns
    -------
    formula : str or None
        The terms kept, joined by ``+``; ``None`` when no term is left.
    dropped : list of str
        Why each left-out term was dropped, for the log.

    Raises
    ------
    ValueError
        When ``formula`` does not parse or names a column ``documents`` does not have.
    """
    import patsy

    from topiclab.themes._effects_design import _formula_variables, _names_in

    data = _covariates(documents)
    dropped: list[str] = []
    if formula is None:
        kept: list[str] = []
        for column in DEFAULT_COVARIATES:
            if column == "locality":
                place, reason = default_place_column(data, min_group_size)
                if place is None:
                    dropped.extend([reason] if reason else [])
                    continue
                column = place
            if column not in data.columns:
                continue
            term = f"C({column})" if column in PLACE_COLUMNS else column
            if data[column].dropna().nunique() < 2:
                dropped.append(f"{term}: {column} takes fewer than two values")
                continue
            candidate = " + ".join([*kept, term])
            used = data.dropna(subset=_formula_variables(candidate, data.columns))
            before = (
                data.dropna(subset=_formula_variables(" + ".join(kept), data.columns))
                if kept
                else data
            )
            # the regression keeps the documents that have every covariate: a column known
            # for a few documents would leave the rest out (VNTC: 2 dated of 19,718)
            if 2 * len(used) < len(before):
                dropped.append(
                    f"{term}: known for {len(used)} of the {len(before)} documents "
                    "the other terms keep"
                )
                continue
            levels = [
                used[c].nunique()
                for c in _formula_variables(candidate, data.columns)
                if c in PLACE_COLUMNS
            ]
            if min(levels, default=2) < 2:
                dropped.append(f"{term}: fewer than two places among the documents it keeps")
                continue
            n_coefficients = patsy.dmatrix(candidate, used).shape[1]
            if n_coefficients >= len(used):
                dropped.append(f"{term}: {n_coefficients} coefficients for {len(used)} documents")
                continue
            kept.append(term)
        return (" + ".join(kept) or None), dropped
    rhs = formula.split("~", 1)[1] if "~" in formula else formula
    _formula_variables(rhs, data.columns)  # parses, and names the missing columns
    terms = patsy.ModelDesc.from_formula(rhs).rhs_termlist
    # a formula without intercept ("0 + C(locality)") keeps it out when rebuilt
    kept = [] if any(not term.factors for term in terms) else ["0"]
    for term in terms:
        if not term.factors:
            continue  # the intercept: patsy adds it again
        code = ":".join(factor.code for factor in term.factors)
        names = [n for factor in term.factors for n in _names_in(factor.code)]
        flat = [n for n in names if data[n].dropna().nunique() < 2]
        if flat:
            dropped.append(f"{code}: {', '.join(flat)} takes fewer than two values")
        else:
            kept.append(code)
    if kept in ([], ["0"]):
        return None, dropped
    return " + ".join(kept), dropped


def formula_columns(formula: str) -> list[str]:
    """The data columns a formula names (for the preflight check against metadata.csv)."""
    import patsy

    from topiclab.themes._effects_design import _names_in

    rhs = formula.split("~", 1)[1] if "~" in formula else formula
    try:
        desc = patsy.ModelDesc.from_formula(rhs)
    except patsy.PatsyError as error:
        # patsy's message points at the error on further lines: the first says what it is
        problem = str(error).splitlines()[0]
        raise ValueError(f"cannot parse the formula {rhs!r}: {problem}") from error
    names: list[str] = []
    for term in desc.rhs_termlist:
        for factor in term.factors:
            names += [n for n in _names_in(factor.code) if n not in names]
    if not names:
        raise ValueError(f"the formula {rhs!r} names no covariate")
    return names


class LDAPosterior:
    """Document theme shares of one posterior draw of every unit's LDA topic mixture.

    The ``share_sampler`` of :func:`estimate_effects` for the LDA refits: a draw takes each
    unit's mixture from Dirichlet(gamma) (:func:`draw_unit_mixtures`), maps it to themes
    with the refit's topic-theme membership and averages the units of each document with
    the weights of :func:`document_shares` (the tokens the model saw).

    gamma is recovered from the stored shares: gensim's E-step (both backends infer with
    it) keeps ``sum_k gamma[d, k] = sum(alpha) + n_d``, with ``n_d`` the unit's counted
    tokens, so ``gamma = doc_topic * (sum(alpha) + n_d)`` exactly. With ``alpha="auto"`` the
    learned alpha is not stored and its starting sum, 1, is used.

    Parameters
    ----------
    fits : sequence of TopicResult
        The LDA refits; replicate ``r`` is ``fits[r]``. They are read once, in order (a
        :class:`~topiclab.themes.refits.RefitSequence` reads one at a time), and each one's
        gamma is kept on disk until a draw takes it.
    units : DataFrame
        ``unit_id`` and ``doc_id`` of every unit, rows aligned with ``seen``.
    seen : array of shape (n_units,)
        Tokens each unit had in the counts the models were fitted on.
    lexicon : Lexicon
    min_lift, min_mass : float
        As in :func:`theme_shares`.
    """

    def __init__(
        self,
        fits: Sequence[Any],
        units: pd.DataFrame,
        seen: np.ndarray,
        lexicon: Lexicon,
        min_lift: float,
        min_mass: float = MIN_MASS,
    ) -> None:
        unit_index = pd.Index(units["unit_id"].astype(str))
        self.columns = [*lexicon.ids, OTHER]
        self._parts = []
        # each refit's gamma (units x topics) waits on disk until a draw takes that refit:
        # one refit's gamma is in memory at a time, whatever the number of refits
        self._gammas = SpilledArrays("topiclab-posterior-")
        for result in fits:  # a RefitSequence reads one refit at a time
            rows = unit_index.get_indexer(result.unit_ids)
            if (rows < 0).any():
                raise ValueError("an LDA fit names units that are not in the units table")
            n = np.asarray(seen, dtype=float)[rows]
            theta = np.asarray(result.doc_topic, dtype=float)
            theta = theta / theta.sum(axis=1, keepdims=True)
            # a positive floor: a share that underflowed to 0 is a Dirichlet parameter of 0
            gamma = np.maximum(theta * (alpha_sum(result) + n)[:, None], 1e-12)
            membership = topic_theme_membership(
                result, lexicon, min_lift=min_lift, min_mass=min_mass
            ).to_numpy()
            doc_ids = units["doc_id"].astype(str).to_numpy()[rows]
            codes, documents = pd.factorize(doc_ids, sort=True)
            self._parts.append(
                (self._gammas.append(gamma), membership, _averaging(codes, n), documents)
            )
            del result, gamma, theta

    def __call__(self, model: str, replicate: Any, rng: np.random.Generator) -> pd.DataFrame:
        """One draw of the document shares of refit ``replicate`` (``None`` if not LDA)."""
        if model != "lda":
            return None
        stored, membership, averaging, documents = self._parts[int(replicate)]
        unit_shares = draw_unit_mixtures(self._gammas[stored], rng) @ membership
        frame = pd.DataFrame(averaging @ unit_shares, columns=self.columns)
        frame.insert(0, "doc_id", np.asarray(documents))
        return frame


def alpha_sum(result: Any) -> float:
    """The sum of an LDA fit's document-topic prior, from the parameters it records."""
    alpha = result.params.get("alpha", "symmetric")
    if isinstance(alpha, str):
        if alpha == "auto":
            logger.info("effects: alpha='auto' is not stored; its starting sum 1 is used")
        return 1.0  # gensim's symmetric (1/K each) and asymmetric priors both sum to 1
    values = np.asarray(alpha, dtype=float).ravel()
    return float(values[0] * result.n_topics if values.size == 1 else values.sum())


def _averaging(codes: np.ndarray, weights: np.ndarray) -> sparse.csr_matrix:
    """Documents x units: each document's weighted mean of its units (as document_shares,
    whose units count the same when all their weights are zero)."""
    w = np.where(np.isfinite(weights) & (weights > 0), weights, 0.0)
    n_docs = int(codes.max()) + 1 if len(codes) else 0
    totals = np.bincount(codes, weights=w, minlength=n_docs)
    counts = np.bincount(codes, minlength=n_docs).astype(float)
    value = np.where(totals[codes] > 0, w / np.where(totals > 0, totals, 1.0)[codes], 0.0)
    value = np.where(totals[codes] > 0, value, 1.0 / counts[codes])
    return sparse.csr_matrix((value, (codes, np.arange(len(codes)))), shape=(n_docs, len(codes)))


def theme_effects_table(
    refits: Mapping[str, Sequence[Any]],
    units: pd.DataFrame,
    bow: Any,
    tokens: Sequence[Sequence[str]] | None,
    lexicon: Lexicon,
    documents: pd.DataFrame,
    *,
    formula: str | None = None,
    draws: int = 100,
    random_state: int | None = None,
    reference: str | Mapping[str, Any] | None = None,
    cluster: str | None = None,
    family: str = "fractional_logit",
    min_lift: float = 1.5,
    min_mass: float = MIN_MASS,
    min_group_size: int | None = None,
    posterior: bool = True,
    themes: Sequence[str] | None = None,
) -> pd.DataFrame:
    """``theme_effects.csv``: the effects of metadata on each theme, for every measure.

    Parameters
    ----------
    refits : mapping of str to sequence of TopicResult
        The refits of each model (``lda``, ``nmf``); each refit is a replicate.
    units : DataFrame
        The units table (``unit_id, doc_id``), rows aligned with ``bow`` and ``tokens``.
    bow : sparse matrix
        The counts the models were fitted on (a unit's weight is the tokens it kept).
    tokens : sequence of list of str, optional
        Tokens of each unit, for the dictionary measure (``None`` leaves it out).
    lexicon : Lexicon
    documents : DataFrame
        Document metadata (``doc_id`` and any column of ``metadata.csv``).
    formula, draws, reference, cluster, family
        See :func:`estimate_effects`; ``formula=None`` is the default of
        :func:`resolve_formula`.
    random_state : int, optional
        Seed of the draws.
    min_lift, min_mass : float
        As in :func:`theme_shares`.
    min_group_size : int, optional
        Levels with fewer documents get no interval (:func:`estimate_effects`'s default when
        None).
    posterior : bool, default=True
        Draw the LDA unit mixtures from their posterior in each draw (False: stored shares).
    themes : sequence of str, optional
        Estimate only these share columns (default: every theme and ``other``). Each theme's
        regression is separate and the draws do not depend on the themes, so a theme's rows
        are the same either way (the simulation benchmarks use it to save time).

    Returns
    -------
    DataFrame
        The columns of :func:`estimate_effects`, estimates and bounds rounded to
        :data:`EFFECT_DECIMALS` decimals; no rows when no term of the formula is left.
    """
    keys = pd.DataFrame({"unit_id": units["unit_id"].astype(str), "doc_id": units["doc_id"]})
    seen = np.asarray(bow.sum(axis=1)).ravel()
    # the document's size may enter a formula too (as the share tables count it)
    size = keys.assign(n_tokens=seen).groupby("doc_id", sort=False)["n_tokens"].agg(["sum", "size"])
    covariates = _covariates(documents).merge(
        size.set_axis(list(SHARE_COVARIATES), axis=1).reset_index().astype({"doc_id": str}),
        on="doc_id",
        how="left",
        suffixes=("_metadata", ""),
    )
    rhs, dropped = resolve_formula(
        covariates, formula, MIN_GROUP_SIZE if min_group_size is None else int(min_group_size)
    )
    if rhs is None:
        why = "; ".join(dropped) or "the formula names no covariate"
        logger.warning("effects: no term of the formula is left (%s); no effects estimated", why)
        return pd.DataFrame(columns=list(EFFECT_COLUMNS))
    for reason in dropped:
        logger.info("effects: term left out, %s", reason)
    frames = []
    for fits in refits.values():
        for r, result in enumerate(fits):
            shares = theme_shares(
                result, lexicon, keys.assign(n_tokens=seen), min_lift=min_lift, min_mass=min_mass
            )
            frames.append(document_shares(shares).assign(replicate=r))
            del result, shares  # one refit at a time when ``fits`` reads them from disk
    if tokens is not None:
        frames.append(document_shares(lexicon_shares(tokens, lexicon, keys)).assign(replicate=0))
    stacked = pd.concat(frames, ignore_index=True)
    stacked = stacked[[*[c for c in stacked.columns if c != "replicate"], "replicate"]]
    sampler = None
    if posterior and refits.get("lda"):
        sampler = LDAPosterior(refits["lda"], keys, seen, lexicon, min_lift, min_mass)
    logger.info("effects: %s, %d draws", rhs, draws)
    table = estimate_effects(
        stacked,
        covariates.drop(columns=list(SHARE_COVARIATES)),
        rhs,
        draws=draws,
        random_state=random_state,
        reference=reference,
        cluster=cluster,
        family=family,
        themes=[*lexicon.ids, OTHER] if themes is None else list(themes),
        share_sampler=sampler,
        **({} if min_group_size is None else {"min_group_size": int(min_group_size)}),
    )
    numbers = [c for c in ("estimate", "lower", "upper") if c in table.columns]
    # + 0.0: a rounded -1e-17 is -0.0, which would print as "-0" on one kernel only
    table[numbers] = table[numbers].round(EFFECT_DECIMALS) + 0.0
    return table


def default_place_column(data: pd.DataFrame, min_group_size: int) -> tuple[str | None, str | None]:
    """The place column of the default formula, or why there is none.

    The finest column of :data:`PLACE_COLUMNS` that takes two values or more and whose median
    level holds at least ``min_group_size`` documents. Levels smaller than that get no
    interval, so a regression over mostly such levels spends its coefficients on estimates it
    cannot report; and a national corpus names hundreds of communes (963 localities among
    20,000 VNTC articles), whose counterfactual designs alone outgrow memory. A user's
    ``themes.effects.formula`` is taken as written.

    Parameters
    ----------
    data : DataFrame
        Document covariates, missing values as NaN.
    min_group_size : int
        The smallest group that gets an interval.

    Returns
    -------
    column : str or None
        The column the place term uses.
    reason : str or None
        When ``column`` is None and some place column exists: why none was used, for the log.
    """
    tried = []
    for column in PLACE_COLUMNS:
        if column not in data.columns:
            continue
        counts = data[column].dropna().value_counts()
        if len(counts) < 2:
            tried.append(f"{column} takes fewer than two values")
        elif counts.median() < min_group_size:
            tried.append(
                f"{column}'s {len(counts)} levels hold a median of {counts.median():g} "
                f"documents, under {min_group_size}"
            )
        else:
            return column, None
    return None, ("C(locality): " + "; ".join(tried)) if tried else None


def _covariates(documents: pd.DataFrame) -> pd.DataFrame:
    """Document metadata as covariates: text left out, empty strings missing, years numbers."""
    frame = documents.drop(columns=["text"], errors="ignore").copy()
    frame["doc_id"] = frame["doc_id"].astype(str)
    for column in frame.columns:
        values = frame[column]
        if column == "doc_id" or pd.api.types.is_numeric_dtype(values):
            continue
        # the reader's text columns hold "" for unknown: a missing value, not a level; plain
        # objects, as patsy reads them (not pandas' string dtype)
        text = values.astype(object).where(values.notna(), np.nan)
        frame[column] = text.where(text.astype(str).str.strip() != "", np.nan)
    if "year" in frame.columns:
        frame["year"] = pd.to_numeric(frame["year"], errors="coerce").astype(float)
    return frame
