"""Theme effects: regression of document theme shares on metadata, with composed uncertainty.

:func:`estimate_effects` answers "how much more does locality A write about a theme than
locality B, and how does the theme change per year, holding the rest fixed?". Each theme's
document share is regressed on a formula of metadata columns (a fractional-logit GLM, or a
beta regression, both fitted by statsmodels), and the answer is reported as average marginal
effects (AME) on the share scale.

Uncertainty follows the *method of composition* (as R's ``stm::estimateEffect``): each of
``draws`` draws

1. takes one refit of the topic model (a ``replicate`` of the document shares),
2. optionally draws the shares from the model's posterior (``share_sampler``; for LDA
   :func:`draw_unit_mixtures` draws each unit's topic mixture from its Dirichlet
   variational posterior),
3. resamples documents with replacement (or whole clusters, e.g. outlets, with ``cluster=``),
4. refits the regression and computes the AMEs.

The point estimate is the AME of the regression on all documents, averaged over the
replicates. The interval is the point estimate plus or minus a Student t quantile times the
standard deviation of the draws, scaled by the usual small-sample factor
``sqrt(n / (n - p))`` (``interval="t"``, the default): ``n`` documents and ``p``
coefficients, or ``n`` clusters and ``p = 1`` when clusters are resampled, and ``n - p``
degrees of freedom. Resampling documents reproduces the HC0 sandwich variance, which is too
small by about ``p / n``; the factor is HC1's (and Stata's cluster) correction. Percentiles of
the draws (``interval="percentile"``) are a few points too narrow: on the unbalanced
simulation of ``benchmarks/effects_coverage.py`` they covered the truth 0.92 of the time and
declared a null effect 7.6% of the time (``benchmarks/results/effects_coverage.md``).

Levels of a categorical covariate (or its reference level) with fewer documents than
``min_group_size`` get a point estimate but no interval, and ``too_small`` is true: the same
rule as :func:`topiclab.themes.compare`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from topiclab.themes._effects_design import _Design, _formula_variables
from topiclab.themes.comparison import MIN_GROUP_SIZE

logger = logging.getLogger(__name__)

#: columns of the table :func:`estimate_effects` returns
EFFECT_COLUMNS = (
    "model",
    "theme",
    "covariate",
    "level",
    "reference",
    "estimate",
    "lower",
    "upper",
    "n_documents",
    "too_small",
)

FAMILIES = ("fractional_logit", "beta")

INTERVALS = ("t", "percentile")

_BOOKKEEPING = ("model", "doc_id", "n_units", "n_tokens", "n_hits", "weight", "replicate")

#: ``share_sampler(model, replicate, rng)``: document shares of one posterior draw
ShareSampler = Callable[[str, Any, np.random.Generator], pd.DataFrame]


def draw_unit_mixtures(
    gamma: np.ndarray, random_state: int | np.random.Generator | None = None
) -> np.ndarray:
    """Draw each unit's topic mixture from its variational posterior, Dirichlet(gamma).

    Parameters
    ----------
    gamma : ndarray of shape (n_units, n_topics)
        Variational Dirichlet parameters of LDA (gensim's ``inference``/``get_document_topics``
        before normalisation). Rows must be positive.
    random_state : int or numpy Generator, optional

    Returns
    -------
    ndarray of shape (n_units, n_topics)
        One draw per unit; rows sum to 1.

    Examples
    --------
    >>> import numpy as np
    >>> draws = draw_unit_mixtures(np.array([[2.0, 1.0], [0.5, 0.5]]), random_state=0)
    >>> draws.shape, bool(np.allclose(draws.sum(axis=1), 1.0))
    ((2, 2), True)
    """
    gamma = np.asarray(gamma, dtype=float)
    if gamma.ndim != 2 or not np.all(np.isfinite(gamma)) or np.any(gamma <= 0):
        raise ValueError("gamma must be a 2-D array of positive, finite values")
    rng = np.random.default_rng(random_state)
    # Dirichlet draws as normalised gamma variates: vectorised over units, unlike
    # Generator.dirichlet, which takes one parameter vector at a time
    x = rng.standard_gamma(gamma)
    sums = x.sum(axis=1, keepdims=True)
    # tiny gammas can underflow to an all-zero row: fall back to the posterior mean there
    mean = gamma / gamma.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(sums > 0, x / np.where(sums > 0, sums, 1.0), mean)


def estimate_effects(
    document_shares_replicates: pd.DataFrame,
    metadata: pd.DataFrame | None,
    formula: str,
    *,
    draws: int = 200,
    random_state: int | np.random.Generator | None = None,
    reference: str | Mapping[str, Any] | None = None,
    cluster: str | None = None,
    family: str = "fractional_logit",
    themes: Sequence[str] | None = None,
    level: float = 0.95,
    share_sampler: ShareSampler | None = None,
    interval: str = "t",
    min_group_size: int = MIN_GROUP_SIZE,
) -> pd.DataFrame:
    """Average marginal effects of metadata on each theme's document share, with intervals.

    Parameters
    ----------
    document_shares_replicates : DataFrame
        Document theme shares: ``model, doc_id``, optional metadata and bookkeeping columns,
        one column per theme (and ``other``), and optionally ``replicate`` (one block of
        documents per refit, as the pipeline's stacked replicates). Several models are
        estimated separately.
    metadata : DataFrame or None
        Document metadata with a ``doc_id`` column (or index); its columns override
        same-named columns of the shares (a unit-level table is reduced to the first row per
        document). ``None`` uses the metadata columns the shares carry.
    formula : str
        Right-hand side in patsy syntax (the formula language of statsmodels), e.g.
        ``"locality + year"`` or ``"province + bs(year, df=3) + source + np.log(n_tokens)"``.
        A leading ``~`` is allowed. Non-numeric columns and ``C(...)`` are categorical.
    draws : int, default=200
        Draws of the method of composition.
    random_state : int or numpy Generator, optional
        Seed; the result is a pure function of the inputs and the seed.
    reference : None, "mean", or mapping, default=None
        What a categorical level is compared with: ``None`` the first level (sorted), a
        level name, ``"mean"`` the grand mean (the average predicted share at the observed
        covariates), or a mapping covariate -> one of those.
    cluster : str, optional
        Resample whole clusters (a metadata column, e.g. the outlet) instead of documents.
    family : {"fractional_logit", "beta"}, default="fractional_logit"
        ``fractional_logit``: a binomial GLM with logit link on shares in [0, 1] (Papke and
        Wooldridge); ``beta``: statsmodels' ``BetaModel`` (shares squeezed into (0, 1)).
    themes : sequence of str, optional
        Share columns to model; default every share column.
    level : float, default=0.95
        Nominal coverage of the intervals.
    share_sampler : callable, optional
        ``share_sampler(model, replicate, rng) -> DataFrame`` with ``doc_id`` and the theme
        columns: one posterior draw of the document shares (e.g. LDA mixtures drawn with
        :func:`draw_unit_mixtures`, then aggregated to documents). It replaces the stored
        shares in each draw; models it returns ``None`` for keep their stored shares.
    interval : {"t", "percentile"}, default="t"
        ``t``: the estimate plus or minus ``t[1 - (1 - level) / 2, n - p]`` times the
        standard deviation of the draws times ``sqrt(n / (n - p))``, ``n`` the documents and
        ``p`` the regression's coefficients (with ``cluster``, ``n`` the clusters and
        ``p = 1``); ``percentile``: the ``(1 - level) / 2``
        and ``(1 + level) / 2`` quantiles of the draws (too narrow: see the module notes).
    min_group_size : int, default=MIN_GROUP_SIZE
        A categorical level, or its reference level, with fewer documents gets no interval
        and ``too_small=True`` (``themes.min_group_size`` in the run's config).

    Returns
    -------
    DataFrame
        One row per model, theme, covariate and level: ``model, theme, covariate, level,
        reference, estimate, lower, upper, n_documents, too_small``. For a categorical
        covariate,
        ``estimate`` is the AME of ``level`` against ``reference`` (a level, or ``"mean"``)
        and ``n_documents`` the documents at ``level``; for a numeric covariate, ``level`` is
        ``"per unit"`` and ``estimate`` the expected change of the share per unit (per year
        for ``year``), with ``n_documents`` all documents. ``too_small`` rows have NaN
        ``lower`` and ``upper``.

    Raises
    ------
    ValueError
        When the formula names a column that is neither in the shares nor in ``metadata``,
        or the input lacks ``doc_id``/themes, or an argument is out of range.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> docs = pd.DataFrame({"doc_id": [f"d{i}" for i in range(60)],
    ...                      "locality": np.repeat(["A", "B"], 30),
    ...                      "year": np.tile(np.arange(2016, 2022), 10)})
    >>> share = 0.2 + 0.1 * (docs["locality"] == "B") + 0.02 * (docs["year"] - 2016)
    >>> docs["model"] = "oracle"
    >>> docs["discipline"] = np.clip(share + rng.normal(0, 0.05, 60), 0, 1)
    >>> docs["other"] = 1 - docs["discipline"]
    >>> table = estimate_effects(docs, None, "locality + year", draws=50, random_state=0,
    ...                          themes=["discipline"])
    >>> table[["covariate", "level", "reference"]].values.tolist()
    [['locality', 'B', 'A'], ['year', 'per unit', '']]
    >>> bool(table["lower"].lt(table["estimate"]).all())
    True
    """
    if family not in FAMILIES:
        raise ValueError(f"family must be one of {FAMILIES}, got {family!r}")
    if int(draws) < 1:
        raise ValueError(f"draws must be a positive integer, got {draws!r}")
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level!r}")
    if interval not in INTERVALS:
        raise ValueError(f"interval must be one of {INTERVALS}, got {interval!r}")
    if int(min_group_size) < 1:
        raise ValueError(f"min_group_size must be a positive integer, got {min_group_size!r}")
    frame = _with_metadata(document_shares_replicates, metadata)
    value_columns = list(themes) if themes is not None else _share_columns(frame)
    if not value_columns:
        raise ValueError("no theme share columns found; pass themes=[...]")
    missing = [t for t in value_columns if t not in frame.columns]
    if missing:
        raise ValueError(f"themes not in the shares: {missing}")
    rhs = formula.split("~", 1)[1] if "~" in formula else formula
    variables = _formula_variables(rhs, frame.columns)
    if cluster is not None and cluster not in frame.columns:
        raise ValueError(
            f"cluster column {cluster!r} is not in the shares or metadata; available: "
            f"{sorted(map(str, frame.columns))}"
        )
    rng = np.random.default_rng(random_state)
    if "model" not in frame.columns:
        frame = frame.assign(model="model")
    if "replicate" not in frame.columns:
        frame = frame.assign(replicate=0)
    tables = []
    for model, part in frame.groupby("model", sort=False):
        tables.append(
            _model_effects(
                str(model),
                part,
                rhs,
                variables,
                value_columns,
                draws=int(draws),
                rng=rng,
                reference=reference,
                cluster=cluster,
                family=family,
                level=level,
                share_sampler=share_sampler,
                interval=interval,
                min_group_size=int(min_group_size),
            )
        )
    return pd.concat(tables, ignore_index=True)[list(EFFECT_COLUMNS)]


# --------------------------------------------------------------------------------------------
# input


def _with_metadata(shares: pd.DataFrame, metadata: pd.DataFrame | None) -> pd.DataFrame:
    if "doc_id" not in shares.columns:
        raise ValueError("the document shares need a 'doc_id' column")
    frame = shares.reset_index(drop=True)
    if metadata is None:
        return frame
    meta = metadata
    if "doc_id" not in meta.columns:
        if meta.index.name != "doc_id":
            raise ValueError("metadata needs a 'doc_id' column or index")
        meta = meta.reset_index()
    # a unit-level table repeats its document's metadata: one row per document
    meta = meta.drop_duplicates("doc_id", keep="first")
    overlap = [c for c in meta.columns if c != "doc_id" and c in frame.columns]
    share_like = set(_share_columns(frame)) if _has_share_layout(frame) else set()
    overlap = [c for c in overlap if c not in share_like and c not in _BOOKKEEPING]
    frame = frame.drop(columns=overlap)
    meta = meta[[c for c in meta.columns if c == "doc_id" or c not in frame.columns]]
    out = frame.merge(meta, on="doc_id", how="left", validate="many_to_one")
    unknown = (
        out.loc[out[meta.columns[1:]].isna().all(axis=1), "doc_id"] if len(meta.columns) > 1 else []
    )
    if len(unknown):
        logger.info("%d document rows have no metadata row", len(unknown))
    return out


def _has_share_layout(frame: pd.DataFrame) -> bool:
    return any(c in frame.columns for c in ("weight", "model", "n_units"))


def _share_columns(frame: pd.DataFrame) -> list[str]:
    from topiclab.themes import share_columns

    # numeric columns only: a frame whose "model" column comes first (not just before the
    # themes) would otherwise offer its ids and metadata as themes
    # (and without ``replicate``, which a stacked table may put after the themes)
    columns = share_columns(frame.drop(columns="replicate", errors="ignore"))
    return [c for c in columns if c not in _BOOKKEEPING and pd.api.types.is_float_dtype(frame[c])]


def _model_effects(
    model: str,
    part: pd.DataFrame,
    rhs: str,
    variables: list[str],
    value_columns: list[str],
    *,
    draws: int,
    rng: np.random.Generator,
    reference: str | Mapping[str, Any] | None,
    cluster: str | None,
    family: str,
    level: float,
    share_sampler: ShareSampler | None,
    interval: str,
    min_group_size: int,
) -> pd.DataFrame:
    from scipy import stats

    replicates = sorted(part["replicate"].unique().tolist())
    first = part[part["replicate"] == replicates[0]]
    if first["doc_id"].duplicated().any():
        raise ValueError(f"model {model!r}: a replicate holds a document more than once")
    used = [*variables, *([cluster] if cluster else [])]
    complete = first.dropna(subset=used)
    if len(complete) < len(first):
        logger.info(
            "model %s: %d documents lack a covariate and are left out",
            model,
            len(first) - len(complete),
        )
    docs = complete.sort_values("doc_id", kind="stable").reset_index(drop=True)
    doc_ids = docs["doc_id"].to_numpy()
    design = _Design(docs, rhs, variables, reference)
    # shares per replicate, rows aligned with the design's documents
    Y = np.stack(
        [_aligned(part[part["replicate"] == r], doc_ids, value_columns) for r in replicates]
    )
    groups = _cluster_index(docs, cluster)

    # point estimate: every document, averaged over the replicates
    point = np.mean(
        [_effects_once(design, Y[r], np.arange(len(docs)), family) for r in range(len(Y))], axis=0
    )
    samples = np.full((draws, *point.shape), np.nan)
    for m in range(draws):
        r = int(rng.integers(len(replicates)))
        y = Y[r]
        if share_sampler is not None:
            drawn = share_sampler(model, replicates[r], rng)
            if drawn is not None:
                y = _aligned(drawn, doc_ids, value_columns)
        rows = _resample(groups, rng)
        samples[m] = _effects_once(design, y, rows, family)
    alpha = (1.0 - level) / 2.0
    # residual degrees of freedom of the t reference: documents (or clusters) minus what the
    # regression spends on them; the draws' spread is HC0-like, too small by about p / n:
    # HC1's factor sqrt(n / (n - p)) corrects it (CR1's sqrt(G / (G - 1)) for clusters)
    n_units = len(groups)
    df = n_units - (1 if cluster else np.linalg.matrix_rank(design.X))
    quantile = stats.t.ppf(1.0 - alpha, df) * np.sqrt(n_units / df) if df >= 1 else np.nan
    out = []
    for c, (covariate, lv, ref, _, _, n_level) in enumerate(design.contrasts):
        categorical = n_level.dtype == bool
        n_documents = int(n_level.sum()) if categorical else len(docs)
        n_reference = (
            int(design.is_level(covariate, ref).sum())
            if categorical and ref not in ("", "mean")
            else n_documents
        )
        too_small = min(n_documents, n_reference) < min_group_size
        for t, theme in enumerate(value_columns):
            values = samples[:, c, t]
            values = values[np.isfinite(values)]
            # a level missing from most resamples has no trustworthy interval
            enough = len(values) >= max(2, draws // 2) and not too_small
            lower = upper = np.nan
            if enough and interval == "percentile":
                lower, upper = np.quantile(values, [alpha, 1 - alpha])
            elif enough and np.isfinite(quantile):
                half = quantile * float(np.std(values, ddof=1))
                lower, upper = point[c, t] - half, point[c, t] + half
            out.append(
                {
                    "model": model,
                    "theme": theme,
                    "covariate": covariate,
                    "level": lv,
                    "reference": ref,
                    "estimate": float(point[c, t]),
                    "lower": float(lower),
                    "upper": float(upper),
                    "n_documents": n_documents,
                    "too_small": bool(too_small),
                }
            )
    return pd.DataFrame(out)


def _aligned(frame: pd.DataFrame, doc_ids: np.ndarray, value_columns: list[str]) -> np.ndarray:
    indexed = frame.drop_duplicates("doc_id").set_index("doc_id")
    absent = pd.Index(doc_ids).difference(indexed.index)
    if len(absent):
        raise ValueError(f"{len(absent)} documents have no shares, e.g. {absent[0]!r}")
    values = indexed.loc[doc_ids, value_columns].to_numpy(dtype=float)
    return np.clip(values, 0.0, 1.0)


def _cluster_index(docs: pd.DataFrame, cluster: str | None) -> list[np.ndarray]:
    if cluster is None:
        return [np.array([i]) for i in range(len(docs))]
    codes, _ = pd.factorize(docs[cluster], sort=True)
    return [np.flatnonzero(codes == k) for k in range(codes.max() + 1)]


def _resample(groups: list[np.ndarray], rng: np.random.Generator) -> np.ndarray:
    picked = rng.integers(len(groups), size=len(groups))
    return np.concatenate([groups[g] for g in picked])


def _effects_once(design: _Design, y: np.ndarray, rows: np.ndarray, family: str) -> np.ndarray:
    """AMEs (contrasts x themes) of one regression per theme on the documents ``rows``."""
    X = design.X[rows]
    out = np.full((len(design.contrasts), y.shape[1]), np.nan)
    # a level absent from the resample has no data behind its coefficient
    present = [
        n_level[rows].any() if n_level.dtype == bool else True
        for (_, _, _, _, _, n_level) in design.contrasts
    ]
    ref_present = [_reference_present(design, c, rows) for c in range(len(design.contrasts))]
    for t in range(y.shape[1]):
        predict = _fit(X, y[rows, t], family)
        if predict is None:
            continue
        base = None
        for c, (_, _, _, X_level, X_ref, n_level) in enumerate(design.contrasts):
            if not (present[c] and ref_present[c]):
                continue
            level_mean = predict(X_level[rows])
            if n_level.dtype != bool:  # numeric: average derivative
                out[c, t] = np.mean((level_mean - predict(X_ref[rows])) / n_level[rows])
            elif X_ref is None:  # against the grand mean
                if base is None:
                    base = predict(X).mean()
                out[c, t] = level_mean.mean() - base
            else:
                out[c, t] = np.mean(level_mean - predict(X_ref[rows]))
    return out


def _reference_present(design: _Design, c: int, rows: np.ndarray) -> bool:
    name, _, ref, _, X_ref, n_level = design.contrasts[c]
    if X_ref is None or n_level.dtype != bool:
        return True
    return bool(design.is_level(name, ref)[rows].any())


def _fit(X: np.ndarray, y: np.ndarray, family: str) -> Callable[[np.ndarray], np.ndarray] | None:
    """Fit one regression with statsmodels; a function giving mean shares, or None."""
    import warnings

    # the GLM and its family alone: statsmodels.api imports far more (seconds at first use)
    from statsmodels.genmod import families
    from statsmodels.genmod.generalized_linear_model import GLM

    if np.ptp(y) == 0:
        # a constant share (e.g. a theme no document touches): no effect to estimate
        constant = float(y[0])
        return lambda X_new: np.full(len(X_new), constant)
    with warnings.catch_warnings():
        # separation and non-integer binomial counts are expected with shares near 0 or 1
        warnings.simplefilter("ignore")
        try:
            if family == "fractional_logit":
                result = GLM(y, X, family=families.Binomial()).fit()
                params = result.params
                return lambda X_new: 1.0 / (1.0 + np.exp(-(X_new @ params)))
            from statsmodels.othermod.betareg import BetaModel

            n = len(y)
            squeezed = (y * (n - 1) + 0.5) / n  # Smithson and Verkuilen (2006)
            result = BetaModel(squeezed, X).fit(disp=0)
            params = np.asarray(result.params)[: X.shape[1]]
            return lambda X_new: 1.0 / (1.0 + np.exp(-(X_new @ params)))
        except (np.linalg.LinAlgError, ValueError) as error:
            logger.debug("a regression failed: %s", error)
            return None
