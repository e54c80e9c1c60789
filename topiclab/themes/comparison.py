"""Comparisons with uncertainty: mean theme shares per group with bootstrap intervals.

Documents are resampled (and, when the shares stack several refits, a refit per bootstrap
draw), and the interval is Hesterberg's expanded percentile interval.
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Sequence

import numpy as np
import pandas as pd

from topiclab.progress import progress
from topiclab.themes.shares import document_shares, share_columns

logger = logging.getLogger(__name__)

#: fewest documents a group needs for an interval: the smallest simulated group size whose
#: intervals (and those of every larger size measured) cover the truth at least 90% of the
#: time (benchmarks/results/group_size_coverage.md; ``themes.min_group_size`` in the config)
MIN_GROUP_SIZE = 7


def compare(
    shares: pd.DataFrame,
    by: str | Sequence[str] = "locality",
    n_boot: int = 1000,
    random_state: int | None = None,
    *,
    themes: Sequence[str] | None = None,
    level: float = 0.95,
    min_group_size: int = MIN_GROUP_SIZE,
) -> pd.DataFrame:
    """Mean theme share per group with bootstrap confidence intervals.

    Documents are the unit of inference: unit-level shares are first aggregated to documents
    (:func:`document_shares`), then each group's documents are resampled with replacement.
    When ``shares`` holds several fits of the same model (a ``replicate`` column, e.g. refits
    with different seeds), each bootstrap draw also picks one refit at random, so the interval
    carries the model's own instability as well as the sampling of documents.

    Parameters
    ----------
    shares : DataFrame
        Output of :func:`theme_shares` or :func:`lexicon_shares` (unit or document level),
        possibly several models stacked (a ``model`` column) and several refits
        (a ``replicate`` column).
    by : str or list of str, default="locality"
        Metadata column(s) defining the groups. Rows with a missing or blank value there are
        left out and logged.
    n_boot : int, default=1000
        Bootstrap resamples.
    random_state : int, optional
        Seed. Each group draws from its own stream derived from the seed and the group's key,
        so adding a group does not change the others' intervals.
    themes : list of str, optional
        Share columns to compare; default all (theme ids and ``other``).
    level : float, default=0.95
        Nominal coverage of the interval: an expanded percentile interval (see
        :func:`expanded_tail`), which keeps close to nominal coverage in groups of ten or
        twenty documents where the plain percentile interval is too narrow.
    min_group_size : int, default=MIN_GROUP_SIZE
        Groups with fewer documents are flagged ``too_small`` and get no interval (``lower``
        and ``upper`` are NaN), only their mean: below this size the intervals cover the
        truth less than 90% of the time in simulation (:func:`group_size_coverage`,
        ``benchmarks/results/group_size_coverage.md``). A group of one document never gets
        an interval.

    Returns
    -------
    DataFrame
        ``[model], <by...>, theme, mean, lower, upper, n, too_small`` where ``mean`` is the
        mean over the group's documents (and refits), ``n`` the number of documents.
    """
    by_columns = [by] if isinstance(by, str) else list(by)
    if not by_columns:
        raise ValueError("by must name at least one column")
    missing = [c for c in by_columns if c not in shares.columns]
    if missing:
        raise KeyError(f"shares has no column(s) {missing}; columns: {list(shares.columns)}")
    if n_boot < 1:
        raise ValueError(f"n_boot must be positive, got {n_boot}")
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level}")
    value_columns = list(themes) if themes is not None else share_columns(shares)
    documents = _documents_for_compare(shares, value_columns)
    dropped = _missing_group(documents, by_columns)
    if dropped.any():
        # one row per document and measure and refit: count the documents themselves
        logger.warning(
            "compare: %d of %d documents have no %s and are left out",
            documents.loc[dropped, "doc_id"].nunique(),
            documents["doc_id"].nunique(),
            "/".join(by_columns),
        )
        documents = documents[~dropped]
    model_key = ["model"] if "model" in documents.columns else []
    seed = random_state if random_state is not None else np.random.SeedSequence().entropy
    alpha = (1 - level) / 2
    rows = []
    groups = documents.groupby([*model_key, *by_columns], sort=True, dropna=True)
    for key, group in progress(
        groups, desc=f"bootstrap by {'/'.join(by_columns)}", total=groups.ngroups, unit="group"
    ):
        key = key if isinstance(key, tuple) else (key,)
        stack = _replicate_stack(group, value_columns)  # (R, n, T)
        n_docs = stack.shape[1]
        means = stack.mean(axis=(0, 1))
        too_small = n_docs < min_group_size
        if n_docs >= 2 and not too_small:
            rng = np.random.default_rng([int(seed), zlib.crc32(repr(key).encode("utf-8"))])
            boots = _bootstrap_means(stack, n_boot, rng)
            tail = expanded_tail(alpha, n_docs)
            lower = np.quantile(boots, tail, axis=0)
            upper = np.quantile(boots, 1 - tail, axis=0)
        else:
            lower = upper = np.full(len(value_columns), np.nan)
        for t, theme_id in enumerate(value_columns):
            row = dict(zip([*model_key, *by_columns], key, strict=True))
            row.update(
                theme=theme_id,
                mean=float(means[t]),
                lower=float(lower[t]),
                upper=float(upper[t]),
                n=int(n_docs),
                too_small=bool(too_small),
            )
            rows.append(row)
    columns = [*model_key, *by_columns, "theme", "mean", "lower", "upper", "n", "too_small"]
    out = pd.DataFrame(rows, columns=columns)
    # lexicon order of themes within each group reads better than alphabetical
    order = {theme_id: i for i, theme_id in enumerate(value_columns)}
    out["_order"] = out["theme"].map(order)
    out = out.sort_values([*model_key, *by_columns, "_order"], kind="stable")
    return out.drop(columns="_order").reset_index(drop=True)


def expanded_tail(alpha: float, n: int) -> float:
    """Tail probability of Hesterberg's expanded percentile interval for ``n`` observations.

    The plain percentile bootstrap is too narrow in small samples: the bootstrap variance of a
    mean is ``(n - 1) / n`` of the unbiased one and normal tails are thinner than Student's t.
    Taking the quantiles at ``Phi(-sqrt(n / (n - 1)) * t[1 - alpha, n - 1])`` instead of ``alpha``
    corrects both (Hesterberg 2015, doi:10.1080/00031305.2015.1089789).
    """
    from scipy import stats

    if n < 2:
        return alpha
    widened = np.sqrt(n / (n - 1)) * stats.t.ppf(1 - alpha, df=n - 1)
    return float(stats.norm.cdf(-widened))


def _missing_group(frame: pd.DataFrame, by_columns: list[str]) -> pd.Series:
    """Rows with no value in a grouping column: missing, or blank as ingestion leaves a
    metadata field it could neither read nor infer (a blank locality is not a locality)."""
    missing = frame[by_columns].isna()
    for column in by_columns:
        values = frame[column]
        if not pd.api.types.is_numeric_dtype(values):
            missing[column] |= values.astype("string").str.strip().fillna("").eq("")
    return missing.any(axis=1)


def _documents_for_compare(shares: pd.DataFrame, value_columns: list[str]) -> pd.DataFrame:
    if "doc_id" not in shares.columns:
        raise KeyError("shares needs a doc_id column: documents are resampled")
    replicate = "replicate" in shares.columns
    keys = [c for c in ("model", "replicate") if c in shares.columns]
    if not shares.duplicated([*keys, "doc_id"]).any():
        return shares
    # unit-level input: aggregate each (model, replicate) to documents
    parts = []
    groups = shares.groupby("replicate", sort=True) if replicate else [(None, shares)]
    for rep, part in groups:
        docs = document_shares(part.drop(columns="replicate") if replicate else part)
        if replicate:
            docs["replicate"] = rep
        parts.append(docs)
    documents = pd.concat(parts, ignore_index=True)
    absent = [c for c in value_columns if c not in documents.columns]
    if absent:
        raise KeyError(f"share columns {absent} not found")
    return documents


def _replicate_stack(group: pd.DataFrame, value_columns: list[str]) -> np.ndarray:
    """Shares of a group as an array (replicates, documents, themes), documents aligned."""
    if "replicate" not in group.columns:
        ordered = group.sort_values("doc_id", kind="stable")
        return ordered[value_columns].to_numpy(dtype=float)[None, :, :]
    replicates = sorted(group["replicate"].unique())
    doc_ids = sorted(group["doc_id"].unique())
    stack = np.empty((len(replicates), len(doc_ids), len(value_columns)))
    for r, rep in enumerate(replicates):
        part = group[group["replicate"] == rep].set_index("doc_id")
        if part.index.duplicated().any() or len(part) != len(doc_ids):
            raise ValueError(f"replicate {rep!r} does not hold each document exactly once")
        stack[r] = part.loc[doc_ids, value_columns].to_numpy(dtype=float)
    return stack


def _bootstrap_means(stack: np.ndarray, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """Bootstrap means (n_boot, T): resample documents, and a refit when there are several."""
    n_rep, n_docs, _ = stack.shape
    picks = rng.integers(0, n_rep, size=n_boot) if n_rep > 1 else np.zeros(n_boot, dtype=int)
    out = np.empty((n_boot, stack.shape[2]))
    # multinomial counts instead of index arrays keep memory at n_boot x n_docs
    chunk = max(1, min(n_boot, 2_000_000 // max(n_docs, 1)))
    for start in range(0, n_boot, chunk):
        stop = min(n_boot, start + chunk)
        counts = rng.multinomial(n_docs, np.full(n_docs, 1.0 / n_docs), size=stop - start)
        for r in range(n_rep):
            mask = picks[start:stop] == r
            if mask.any():
                out[start:stop][mask] = counts[mask] @ stack[r] / n_docs
    return out


#: group sizes (documents per group) at which :func:`group_size_coverage` is measured
GROUP_SIZES = (2, 3, 4, 5, 6, 7, 8, 10, 15, 20, 32)


def group_size_coverage(
    sizes: Sequence[int] = GROUP_SIZES,
    *,
    groups: int = 600,
    n_boot: int = 1000,
    level: float = 0.95,
    concentration: float = 4.0,
    random_state: int = 0,
) -> pd.DataFrame:
    """Simulated coverage of :func:`compare`'s intervals by documents per group.

    For each size ``n``, ``groups`` groups of ``n`` documents each draw their true theme
    shares from the Dirichlet of :func:`topiclab.themes.simulate.simulate_corpus` (oracle
    shares, no model fit: the bootstrap alone), three kinds of group in turn (the planted
    theme's expected share 0.15, 0.25, 0.35). Each group's interval of every theme (and
    ``other``) is checked against the group's expected share, and coverage is counted per
    size. Intervals are computed with ``min_group_size=1``: every group of two or more
    documents gets one, whatever the default.

    Parameters
    ----------
    sizes : sequence of int, default=GROUP_SIZES
        Documents per group (at least 2).
    groups : int, default=600
        Simulated groups per size.
    n_boot : int, default=1000
        Bootstrap resamples of :func:`compare`.
    level : float, default=0.95
    concentration : float, default=4.0
        Dirichlet concentration of the documents' shares (the simulation's default: shares
        vary a lot between documents, as paragraphs of news do).
    random_state : int, default=0

    Returns
    -------
    DataFrame
        One row per size: ``n, groups, intervals, coverage, mcse, worst_theme,
        worst_coverage, mean_width``. ``mcse`` is the Monte Carlo standard error of
        ``coverage`` from the groups (a group's themes share documents, so groups, not
        intervals, are the independent replicates); ``worst_coverage`` is the lowest
        coverage of a single theme.
    """
    from topiclab.themes.simulate import oracle_shares, simulate_corpus

    kinds = (0.0, 0.10, 0.20)  # simulate_corpus's default locality effects
    rows = []
    for n in sizes:
        if int(n) < 2:
            raise ValueError(f"group sizes must be at least 2, got {n}")
        localities = [f"g{g:05d}" for g in range(groups)]
        corpus = simulate_corpus(
            localities=localities,
            years=(2016,),
            docs_per_cell=int(n),
            locality_effect=[kinds[g % len(kinds)] for g in range(groups)],
            concentration=concentration,
            random_state=int(np.random.SeedSequence([random_state, int(n)]).generate_state(1)[0]),
            draw_tokens=False,
        )
        table = compare(
            oracle_shares(corpus),
            by="locality",
            n_boot=n_boot,
            random_state=random_state,
            level=level,
            min_group_size=1,
        ).merge(corpus.truth_by_locality, on=["locality", "theme"])
        table["covered"] = (table["lower"] <= table["truth"]) & (table["truth"] <= table["upper"])
        per_group = table.groupby("locality")["covered"].mean()
        per_theme = table.groupby("theme")["covered"].mean()
        coverage = float(table["covered"].mean())
        rows.append(
            {
                "n": int(n),
                "groups": groups,
                "intervals": len(table),
                "coverage": coverage,
                "mcse": float(per_group.std(ddof=1) / np.sqrt(groups)),
                "worst_theme": str(per_theme.idxmin()),
                "worst_coverage": float(per_theme.min()),
                "mean_width": float((table["upper"] - table["lower"]).mean()),
            }
        )
    return pd.DataFrame(rows)


def smallest_covered_size(coverage: pd.DataFrame, floor: float = 0.90) -> int:
    """The smallest measured group size from which every measured size covers at least ``floor``.

    Parameters
    ----------
    coverage : DataFrame
        Output of :func:`group_size_coverage` (columns ``n`` and ``coverage``).
    floor : float, default=0.90

    Returns
    -------
    int
        A ``min_group_size``: groups of this size or larger get intervals. When even the
        largest measured size misses the floor, one more than it.

    Examples
    --------
    >>> import pandas as pd
    >>> smallest_covered_size(pd.DataFrame({"n": [2, 5, 8, 10], "coverage": [.5, .91, .89, .92]}))
    10
    """
    ordered = coverage.sort_values("n")
    answer = int(ordered["n"].max()) + 1
    for n, value in zip(ordered["n"][::-1], ordered["coverage"][::-1], strict=True):
        if value < floor:
            break
        answer = int(n)
    return answer
