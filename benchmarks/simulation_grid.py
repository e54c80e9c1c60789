"""Coverage, bias and false-positive rate of theme effects over a grid of simulated corpora.

Issue 14, item 5 ("a simulation a reviewer believes") and item 3 (LDA's amplification bias).

Each run draws one corpus (topiclab.themes.simulate) and fits every measure on it:

- ``oracle``: the true document proportions (the regression and resampling alone);
- ``oracle_units``: the mixtures the document's paragraphs were drawn from (with specialised
  paragraphs, the composition of its text; a measure's estimate minus this one's on the same
  corpus is the measure's own error, the "paired" bias);
- ``lexicon``: the dictionary measure;
- ``nmf``: NMF at the true K;
- ``lda``, ``lda_km2``, ``lda_kp3``: unanchored LDA at K = truth, truth - 2, truth + 3;
- ``lda_anchored``: LDA at the true K anchored on the lexicon's defining terms (weight >= 3,
  the pipeline's ``models.anchor_min_weight.lda``).

With ``--pipeline`` (what the acceptance uses) every measure but the oracles is computed as
``topiclab run`` computes it (:func:`pipeline_effects`): the shipped defaults
(``topiclab/resources/default_config.yaml``) with ``--set`` overrides, the pipeline's
vectorizer settings, ``models.refits`` fits with the pipeline's model parameters (NMF on
TF-IDF), and the effects stage itself (``theme_effects_table``: labels with the
``themes.min_lift``/``min_mass`` floors, the dictionary measure with unmatched tokens as
``other``, LDA's posterior draws, ``C(locality) + year``, t intervals, ``min_group_size``).
Without it the grid fits one model per measure with its own ``--alpha/--backend/--passes``
and calls :func:`topiclab.themes.effects.estimate_effects` (``locality + year``).

Each run records, for the locality contrasts B - A (planted: d), C - A (null, always 0) and
the year slope (planted: d / 4 per year), the estimate, the interval, whether it covers the
truth and whether it excludes 0. The dictionary is also scored against its own estimand
(``lexicon_own``): it counts the theme's indicator terms per token, so a planted change of
the theme's share moves it by the planted effect times :func:`dictionary_scale`.

Scenarios (``--scenario``):

- ``default``: the design the acceptance uses: UNBALANCED, locality and year correlated
  (``correlated_design(n)``: A reports early, B late, C evenly), paragraphs that specialise
  (``paragraph_concentration=2``), vocabulary shared between themes (``shared_vocabulary=0.2``),
  3 paragraphs of 40 tokens per document;
- ``plain``: the same design without specialised paragraphs and with disjoint vocabularies;
- ``easy``: the balanced design of ``benchmarks/themes_coverage.py`` (4 documents per cell,
  planted locality effects 0 / 0.1 / 0.2 and a trend of 0.03 a year, 3 x 60 tokens): the
  setting in which issue 14 measured LDA's amplification. ``--effects`` and ``--sizes`` are
  ignored there.

``--factorial`` runs the item-3 experiment instead: LDA's bias (point estimates only) for every
combination of ``--alphas`` x ``--units`` x anchoring x K in {truth, truth + 3}.

Usage:
    python benchmarks/simulation_grid.py --pipeline [--set models.lda.alpha=auto] ...
    python benchmarks/simulation_grid.py [--scenario default] [--runs 200] [--sizes 8]
        [--effects 0.05] [--measures ...] [--draws 100] [--jobs 2] [--csv rows.csv]
        [--first-run 0]
        [--out benchmarks/results/simulation_grid.md]
    python benchmarks/simulation_grid.py --factorial [--scenario easy] [--runs 30] ...
    python benchmarks/simulation_grid.py --from-csv a.csv b.csv [--out ...]

The corpus is simulated, so this benchmark takes no --data argument.
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import time
import warnings

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from topiclab.themes import lexicon_shares, load_lexicon, theme_shares  # noqa: E402
from topiclab.themes.effects import estimate_effects  # noqa: E402
from topiclab.themes.simulate import (  # noqa: E402
    correlated_design,
    oracle_shares,
    simulate_corpus,
)

PLANTED = "party_discipline"
LOCALITIES = ("A", "B", "C")
YEARS = (2016, 2017, 2018, 2019, 2020)
EFFECTS = (0.0, 0.02, 0.05, 0.2)
SIZES = (2, 8, 32)
MEASURES = ("oracle", "oracle_units", "lexicon", "nmf", "lda", "lda_km2", "lda_kp3", "lda_anchored")
#: K offsets from the true K of each LDA measure
K_OFFSET = {"lda": 0, "lda_km2": -2, "lda_kp3": 3, "lda_anchored": 0}


def scenario_options(scenario: str, d: float, n: int) -> dict:
    """``simulate_corpus`` options of one cell."""
    if scenario == "easy":
        return {"localities": LOCALITIES, "years": YEARS}  # simulate_corpus's own defaults
    if scenario not in ("default", "plain"):
        raise ValueError(f"unknown scenario {scenario!r}")
    options = {
        "localities": LOCALITIES,
        "years": YEARS,
        "docs_per_cell": correlated_design(n, len(LOCALITIES), len(YEARS)),
        "locality_effect": (0.0, d, 0.0),
        "year_trend": d / 4,
        "units_per_doc": 3,
        "unit_length": 40,
    }
    if scenario == "default":
        options.update(paragraph_concentration=2.0, shared_vocabulary=0.2)
    return options


def _lda_config(args: argparse.Namespace) -> dict:
    return {
        "alpha": _alpha(args.alpha),
        "unit": args.unit,
        "backend": args.backend,
        "passes": args.passes,
    }


def _pipeline_lda(config: dict) -> dict:
    """The LDA settings of a pipeline config, for the rows' ``lda_*`` columns."""
    lda = config["models"]["lda"]
    return {
        "alpha": lda["alpha"],
        "unit": "paragraph",
        "backend": lda["backend"],
        "passes": lda["passes"],
        "refits": config["models"]["refits"],
    }


def _alpha(value: str):
    try:
        return float(value)
    except ValueError:
        return value


def _realised_shares(corpus) -> pd.DataFrame:
    """Document shares equal to the mixtures the document's paragraphs were drawn from.

    With specialised paragraphs a document's text is drawn from its paragraphs' mixtures,
    whose mean is not its ``theta``: this is the composition a perfect model could recover
    from the text, so a measure's estimate minus this one's on the same corpus is its own
    error, without the regression's sampling error (a paired comparison).
    """
    shares = oracle_shares(corpus).set_index("doc_id")
    columns = list(corpus.theta.columns)
    mixtures = pd.DataFrame(corpus.unit_theta, columns=columns)
    mixtures["doc_id"] = corpus.units["doc_id"].to_numpy()
    shares[columns] = mixtures.groupby("doc_id")[columns].mean().loc[shares.index]
    return shares.reset_index().assign(model="oracle_units")


def _document_units(corpus) -> tuple[list[list[str]], pd.DataFrame]:
    """Whole documents as the units: their paragraphs' tokens joined."""
    units = corpus.units
    tokens: dict[str, list[str]] = {}
    for doc_id, words in zip(units["doc_id"], corpus.tokens, strict=True):
        tokens.setdefault(doc_id, []).extend(words)
    docs = units.groupby("doc_id", sort=False)[["locality", "year"]].first().reset_index()
    docs.insert(0, "unit_id", docs["doc_id"])
    docs["unit_index"] = 0
    docs["n_tokens"] = [len(tokens[d]) for d in docs["doc_id"]]
    return [tokens[d] for d in docs["doc_id"]], docs


def measure_shares(measure: str, corpus, lexicon, seed: int, lda: dict) -> pd.DataFrame:
    """Document theme shares of one measure on one corpus."""
    if measure == "oracle":
        return oracle_shares(corpus)
    if measure == "oracle_units":
        return _realised_shares(corpus)
    if measure == "lexicon":
        return lexicon_shares(corpus.tokens, lexicon, corpus.units, level="document")
    from topiclab.models import LDA, NMF
    from topiclab.vectorize import vectorize

    tokens, units = corpus.tokens, corpus.units
    if measure != "nmf" and lda["unit"] == "document":
        tokens, units = _document_units(corpus)
    vectorized = vectorize(tokens, no_below=2, no_above=1.0, keep_n=None)
    k_true = corpus.topic_word.shape[0]  # the themes and the background
    unit_ids = units["unit_id"].tolist()
    if measure == "nmf":
        model = NMF(k_true, random_state=seed)
    else:
        anchors = None
        if measure == "lda_anchored":
            vocab = set(vectorized.vocab)
            anchors = {t: [w for w in words if w in vocab] for t, words in _anchor_words(lexicon)}
            anchors = {t: words for t, words in anchors.items() if words}
        model = LDA(
            k_true + K_OFFSET[measure],
            random_state=seed,
            passes=lda["passes"],
            iterations=100,
            alpha=lda["alpha"],
            backend=lda["backend"],
            anchor_words=anchors,
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = model.fit(vectorized.bow, vocab=vectorized.vocab, unit_ids=unit_ids).result_
    return theme_shares(result, lexicon, units, level="document")


def pipeline_config(overrides: list[str]) -> dict:
    """The run's configuration: the shipped defaults, ``--set`` overrides (e.g. analysis.yaml's
    ``models.lda.backend=gensim``) applied last."""
    from topiclab.config import load_config

    return load_config(None, overrides)


def pipeline_effects(
    measure: str, corpus, lexicon, seed: int, draws: int, config: dict
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Effects of one measure as ``topiclab run`` computes them, and its document shares.

    The pipeline's own steps on the simulated units: ``vectorize`` with the config's
    ``vectorize`` settings, ``models.refits`` fits of the model with the pipeline's parameters
    (:func:`topiclab.pipeline._lda_params` / ``_nmf_params``: backend, alpha, sweeps, seeds
    when ``models.anchor_models``; NMF on TF-IDF) through the pipeline's fitting function, and
    :func:`topiclab.themes.effects_run.theme_effects_table` (labels with ``themes.min_lift``
    and ``themes.min_mass``, the dictionary measure, LDA's posterior draws, the default
    formula ``C(locality) + year``, ``themes.min_group_size``). ``lda_km2``/``lda_kp3`` move K
    off the truth; ``lda_anchored`` sets ``models.anchor_models``.
    """
    from topiclab.config import merge_config
    from topiclab.evaluate import fit_topic_models
    from topiclab.pipeline import _lda_params, _nmf_params
    from topiclab.settings import validate_config
    from topiclab.themes.effects_run import theme_effects_table
    from topiclab.vectorize import vectorize

    if measure == "lda_anchored":
        config = merge_config(config, {"models": {"anchor_models": True}})
    settings = config["vectorize"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        vectorized = vectorize(
            corpus.tokens,
            no_below=int(settings["no_below"]),
            no_above=float(settings["no_above"]),
            keep_n=settings["keep_n"],
        )
    units = corpus.units[["unit_id", "doc_id"]].astype(str)
    unit_ids = units["unit_id"].tolist()
    documents = corpus.units.groupby("doc_id", sort=False)[["locality", "year"]].first()
    documents = documents.reset_index()
    themes = config["themes"]
    checked = validate_config(config)
    refits: dict[str, list] = {}
    tokens = None
    if measure == "lexicon":
        tokens = corpus.tokens
    else:
        name = "nmf" if measure == "nmf" else "lda"
        if name == "lda":
            params = _lda_params(checked.models, checked.themes.lexicon, vectorized.vocab)
            matrix = vectorized.bow
        else:
            params = _nmf_params(checked.models, checked.themes.lexicon, vectorized.vocab)
            matrix = vectorized.tfidf
        k = corpus.topic_word.shape[0] + K_OFFSET.get(measure, 0)
        base = int(seed) % (2**31 - 100)
        tasks = [
            (name, k, base + r, matrix, vectorized.vocab, params, unit_ids)
            for r in range(int(config["models"]["refits"]))
        ]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            refits[name] = list(fit_topic_models(tasks))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = theme_effects_table(
            refits,
            units,
            vectorized.bow,
            tokens,
            lexicon,
            documents,
            formula=None,  # the run's default: C(locality) + year
            draws=draws,
            random_state=int(seed) % (2**31 - 100) + 7,  # not the fits' seeds
            min_lift=float(themes["min_lift"]),
            min_mass=float(themes["min_mass"]),
            min_group_size=int(themes["min_group_size"]),
            themes=[PLANTED],  # the same rows as all themes, a tenth of the time
        )
    # the document shares the table's point estimate reads: the mean over refits
    seen = np.asarray(vectorized.bow.sum(axis=1)).ravel()
    keys = corpus.units[["unit_id", "doc_id", "locality", "year"]].assign(n_tokens=seen)
    if measure == "lexicon":
        shares = lexicon_shares(corpus.tokens, lexicon, corpus.units, level="document")
    else:
        per_fit = [
            theme_shares(
                result,
                lexicon,
                keys,
                level="document",
                min_lift=float(themes["min_lift"]),
                min_mass=float(themes["min_mass"]),
            )
            for result in next(iter(refits.values()))
        ]
        shares = per_fit[0].copy()
        columns = [*lexicon.ids, "other"]
        shares[columns] = np.mean([f[columns].to_numpy(float) for f in per_fit], axis=0)
    return table, shares


def dictionary_scale(corpus, lexicon) -> float:
    """How much a planted effect moves the dictionary measure's expected share, per unit.

    The dictionary's share of the planted theme in a unit is the weighted count of its
    indicator terms over the unit's tokens, so its expectation is ``sum_k theta_k m_k``, with
    ``m_k`` the expected indicator weight per token of topic ``k`` (the topic's probability
    of each planted-theme term times its weight over the theme's heaviest). A planted change
    ``d`` of the theme's share, taken evenly from the other themes (the background fixed),
    moves the dictionary's expected share by ``d * (m_planted - mean of the others' m)``:
    the dictionary's own estimand is the planted effect times this scale.
    """
    from topiclab.themes.labels import heaviest_weights

    theme = lexicon[PLANTED]
    heaviest = heaviest_weights(lexicon)[list(lexicon.ids).index(PLANTED)]
    weight = np.array([theme.terms.get(w, 0.0) / heaviest for w in corpus.vocab])
    m = corpus.topic_word @ weight  # per topic: themes in order, then the background
    themes = list(corpus.theta.columns[:-1])
    planted = themes.index(PLANTED)
    others = [k for k in range(len(themes)) if k != planted]
    return float(m[planted] - m[others].mean())


def _anchor_words(lexicon) -> list[tuple[str, list[str]]]:
    # the pipeline's default: the defining terms (weight >= 3) of every theme
    from topiclab.themes.simulate import DEFAULT_THEMES

    words = lexicon.anchor_words(3)
    return [(t, words[t]) for t in DEFAULT_THEMES]


def _sharpening(shares: pd.DataFrame, corpus) -> tuple[float, bool]:
    """Slope of the measured planted share on the true one over documents, and whether the
    measure lost the planted theme (mean share below 0.02).

    A slope above 1 means the measure sharpens: documents with more of the theme get more
    than their share, so differences between groups come out too large (below 1: too small).
    """
    docs = shares.drop_duplicates("doc_id").set_index("doc_id")[PLANTED]
    truth = corpus.theta.loc[docs.index, PLANTED]
    lost = bool(docs.mean() < 0.02)
    if np.ptp(truth.to_numpy()) == 0:
        return float("nan"), lost
    return float(np.polyfit(truth.to_numpy(), docs.to_numpy(), 1)[0]), lost


def truths(corpus) -> dict[tuple[str, str], tuple[str, float]]:
    """(covariate, level) -> (effect name, true AME) of the planted theme."""
    table = corpus.true_effects
    table = table[table["theme"] == PLANTED]
    out = {}
    for row in table.itertuples(index=False):
        name = "slope" if row.covariate == "year" else f"{row.level}-{row.reference}"
        out[(row.covariate, str(row.level))] = (name, float(row.truth))
    return out


def run_once(
    scenario: str,
    d: float,
    n: int,
    run: int,
    seed: int,
    measures: list[str],
    draws: int,
    lda: dict,
    config: dict | None = None,
) -> list[dict]:
    """One corpus, every measure: one row per measure and effect.

    With ``config`` (``--pipeline``), the measures other than the oracle are computed as the
    pipeline computes them (:func:`pipeline_effects`); without it, by the grid's own fits
    (:func:`measure_shares`, one fit, ``lda`` settings) and :func:`estimate_effects`.
    """
    lexicon = load_lexicon()
    needs_tokens = any(m != "oracle" for m in measures)  # oracle_units: the drawn mixtures
    corpus = simulate_corpus(
        planted=PLANTED,
        lexicon=lexicon,
        random_state=seed,
        draw_tokens=needs_tokens,
        **scenario_options(scenario, d, n),
    )
    planted = truths(corpus)
    scale = dictionary_scale(corpus, lexicon) if "lexicon" in measures else np.nan
    rows = []
    for m, measure in enumerate(measures):
        start = time.process_time()
        if config is not None and not measure.startswith("oracle"):
            table, shares = pipeline_effects(measure, corpus, lexicon, seed, draws, config)
            table = table.assign(
                covariate=table["covariate"].str.replace(r"^C\((.*)\)$", r"\1", regex=True)
            )
        else:
            shares = measure_shares(measure, corpus, lexicon, seed, lda)
            table = estimate_effects(
                shares,
                None,
                "locality + year",
                draws=draws,
                random_state=np.random.default_rng([seed, 1, m]),  # not the corpus stream
                themes=[PLANTED],
            )
        cpu = time.process_time() - start
        slope, lost = _sharpening(shares, corpus)
        # the background's share: a model that misses the background topic spreads it over
        # the themes (true: 0.2 of the text)
        other = float(shares.drop_duplicates("doc_id")["other"].mean())
        for (covariate, level), (name, truth) in planted.items():
            row = table[(table["covariate"] == covariate) & (table["level"] == level)].iloc[0]
            rows.append(
                {
                    "scenario": scenario,
                    "measure": measure,
                    **{f"lda_{key}": value for key, value in lda.items()},
                    "d": d,
                    "n": n,
                    "n_documents": len(corpus.theta),
                    "run": run,
                    "effect": name,
                    "truth": truth,
                    # the dictionary's own estimand (see dictionary_scale); NaN for the rest
                    "truth_dictionary": truth * scale if measure == "lexicon" else np.nan,
                    "dictionary_scale": scale if measure == "lexicon" else np.nan,
                    "estimate": row["estimate"],
                    "lower": row["lower"],
                    "upper": row["upper"],
                    "share_slope": slope,
                    "lost": lost,
                    "other_share": other,
                    "cpu_s": cpu,
                }
            )
    return rows


def run_cells(
    scenario: str,
    effects: list[float],
    sizes: list[int],
    runs: int,
    measures: list[str],
    draws: int,
    lda: dict,
    seed: int,
    jobs: int,
    csv: str | None,
    rows: list[dict] | None = None,
    config: dict | None = None,
    first_run: int = 0,
) -> list[dict]:
    """Every (d, n) cell, runs ``first_run .. runs - 1`` of each, over ``jobs`` processes.

    Run ``r`` of a cell always draws the same corpus (its seed is the ``r``-th of the cell's
    seed sequence), so runs split over several invocations (``--first-run``) or measures
    split over several processes stay paired.
    """
    from joblib import Parallel, delayed

    rows = [] if rows is None else rows
    if scenario == "easy":
        effects, sizes = [np.nan], [4]
    for n in sizes:
        for d in effects:
            start = time.perf_counter()
            key = [seed, 0 if np.isnan(d) else round(d * 1000), n]
            seeds = np.random.SeedSequence(key).generate_state(runs)
            batches = Parallel(n_jobs=jobs, return_as="generator")(
                delayed(run_once)(scenario, d, n, r, int(seeds[r]), measures, draws, lda, config)
                for r in range(first_run, runs)
            )
            for done, batch in enumerate(batches, start=1):
                rows.extend(batch)
                if csv and done % 5 == 0:  # a cut run still leaves its rows
                    pd.DataFrame(rows).to_csv(csv, index=False)
            if csv:
                pd.DataFrame(rows).to_csv(csv, index=False)
            print(
                f"{scenario} d={d:<5g} n={n:2d} runs={first_run}..{runs - 1} "
                f"{'pipeline' if config else lda} {time.perf_counter() - start:7.1f} s wall",
                flush=True,
            )
    return rows


def summarise(results: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Coverage, bias and null-declared rate per cell, with Monte Carlo SEs."""
    results = _with_own_scale(results)
    has_interval = results["lower"].notna() & results["upper"].notna()
    results = results.assign(
        # no interval (the factorial's draws=1): no coverage either, rather than "not covered"
        covered=((results["lower"] <= results["truth"]) & (results["truth"] <= results["upper"]))
        .astype(float)
        .where(has_interval),
        declared=((results["lower"] > 0) | (results["upper"] < 0))
        .astype(float)
        .where(has_interval),
        error=results["estimate"] - results["truth"],
    )
    # the measure's own bias: its estimate minus the oracle's on the same corpus (paired, so
    # the regression's finite-sample error cancels and the Monte Carlo SE is much smaller)
    # (the realised composition, oracle_units, when it ran: with specialised paragraphs the
    # text is drawn from the paragraphs' mixtures, not from theta)
    on = ["scenario", "d", "n", "run", "effect"]
    paired = "oracle_units" if (results["measure"] == "oracle_units").any() else "oracle"
    oracle = results.loc[results["measure"] == paired, [*on, "estimate"]]
    oracle = oracle.drop_duplicates(on).rename(columns={"estimate": "_oracle"})
    results = results.merge(oracle, on=on, how="left") if len(oracle) else results
    if "_oracle" not in results:
        results["_oracle"] = np.nan
    # the dictionary's own scale: its estimand is the oracle's effect times the scale
    # (unknown in a null cell whose rows predate the dictionary_scale column: no pairing)
    own = 1.0
    if "scale" in results:
        own = results["scale"].where(results["measure"] == "lexicon_own", 1.0)
    results["vs_oracle"] = results["estimate"] - own * results["_oracle"]
    out = []
    for key, g in results.groupby(keys, sort=False, dropna=False):
        runs = len(g)
        cov = g["covered"].mean()  # NaN without intervals
        truth = g["truth"].iloc[0]
        bias = g["error"].mean()
        bias_se = g["error"].std(ddof=1) / np.sqrt(runs) if runs > 1 else np.nan
        declared = g["declared"].mean()
        out.append(
            {
                **dict(zip(keys, key, strict=True)),
                "runs": runs,
                "truth": truth,
                "coverage": cov,
                "coverage_mcse": np.sqrt(cov * (1 - cov) / runs),
                "bias": bias,
                "bias_mcse": bias_se,
                "relative_bias": bias / truth if truth else np.nan,
                "relative_bias_mcse": bias_se / abs(truth) if truth else np.nan,
                "null_declared": declared if truth == 0 else np.nan,
                "null_declared_mcse": np.sqrt(declared * (1 - declared) / runs)
                if truth == 0
                else np.nan,
                "mean_width": (g["upper"] - g["lower"]).mean(),
                "vs_oracle": g["vs_oracle"].mean(),
                "vs_oracle_mcse": g["vs_oracle"].std(ddof=1) / np.sqrt(g["vs_oracle"].notna().sum())
                if g["vs_oracle"].notna().sum() > 1
                else np.nan,
                "share_slope": g["share_slope"].mean(),
                "share_slope_mcse": g["share_slope"].std(ddof=1) / np.sqrt(runs),
                "lost": g["lost"].mean(),
                "other_share": g["other_share"].mean() if "other_share" in g else np.nan,
            }
        )
    return pd.DataFrame(out)


def _with_own_scale(results: pd.DataFrame) -> pd.DataFrame:
    """Add ``lexicon_own`` rows: the dictionary against its own estimand.

    The dictionary measures the share of the text that is the theme's indicator terms, not
    the theme's share of the text (see :func:`dictionary_scale`); its rows are kept against
    the planted truth (``lexicon``) and repeated against the planted effect on its own scale
    (``lexicon_own``, truth = ``truth_dictionary``).
    """
    if "truth_dictionary" not in results or not (results["measure"] == "lexicon").any():
        return results
    lexicon = results[results["measure"] == "lexicon"].copy()
    slopes = lexicon[(lexicon["effect"] == "slope") & (lexicon["truth"] != 0)]
    scale = (
        (slopes["truth_dictionary"] / slopes["truth"])
        .groupby([slopes["scenario"], slopes["d"], slopes["n"], slopes["run"]])
        .first()
    )
    lexicon = lexicon.join(scale.rename("scale"), on=["scenario", "d", "n", "run"])
    if "dictionary_scale" in lexicon:  # recorded by run_once: known in null cells too
        lexicon["scale"] = lexicon["dictionary_scale"].fillna(lexicon["scale"])
    lexicon["truth"] = lexicon["truth_dictionary"]
    lexicon["measure"] = "lexicon_own"
    return pd.concat([results, lexicon], ignore_index=True)


def markdown(summary: pd.DataFrame, keys: list[str]) -> str:
    header = [
        *keys,
        "runs",
        "truth",
        "coverage ± MCSE",
        "bias ± MCSE",
        "bias % of effect",
        "bias vs oracle (paired) ± MCSE",
        "null declared ± MCSE",
        "mean width",
        "share slope ± MCSE",
        "lost",
        "other share",
    ]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for r in summary.to_dict("records"):
        rel = (
            ""
            if np.isnan(r["relative_bias"])
            else f"{r['relative_bias']:+.0%} ± {r['relative_bias_mcse']:.0%}"
        )
        null = (
            ""
            if np.isnan(r["null_declared"]) or np.isnan(r["coverage"])
            else f"{r['null_declared']:.3f} ± {r['null_declared_mcse']:.3f}"
        )
        cells = [_format(r[k]) for k in keys] + [
            str(r["runs"]),
            f"{r['truth']:.4f}",
            "" if np.isnan(r["coverage"]) else f"{r['coverage']:.3f} ± {r['coverage_mcse']:.3f}",
            f"{r['bias']:+.4f} ± {r['bias_mcse']:.4f}",
            rel,
            "" if np.isnan(r["vs_oracle_mcse"]) else _paired(r),
            null,
            "" if np.isnan(r["mean_width"]) else f"{r['mean_width']:.4f}",
            f"{r['share_slope']:.2f} ± {r['share_slope_mcse']:.2f}",
            f"{r['lost']:.2f}",
            f"{r['other_share']:.2f}",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _paired(r: dict) -> str:
    text = f"{r['vs_oracle']:+.4f} ± {r['vs_oracle_mcse']:.4f}"
    if r["truth"]:
        text += (
            f" ({r['vs_oracle'] / r['truth']:+.0%} ± {r['vs_oracle_mcse'] / abs(r['truth']):.0%})"
        )
    return text


def _format(value) -> str:
    if isinstance(value, float):
        return "" if np.isnan(value) else f"{value:g}"
    return str(value)


def factorial(args: argparse.Namespace) -> list[dict]:
    """LDA bias for every alpha x unit x anchoring x K (item 3), point estimates only."""
    rows: list[dict] = []
    measures = [m for m in args.measures if m.startswith("lda")]
    for alpha, unit in itertools.product(args.alphas, args.units):
        lda = {
            "alpha": _alpha(alpha),
            "unit": unit,
            "backend": args.backend,
            "passes": args.passes,
        }
        # draws=1: the factorial reads point estimates only (they do not depend on draws)
        rows = run_cells(
            args.scenario,
            args.effects,
            args.sizes,
            args.runs,
            measures,
            1,
            lda,
            args.seed,
            args.jobs,
            args.csv,
            rows,
        )
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", default="default", choices=["default", "plain", "easy"])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--draws", type=int, default=100)
    parser.add_argument("--sizes", type=int, nargs="+", default=[8])
    parser.add_argument("--effects", type=float, nargs="+", default=[0.05])
    parser.add_argument("--measures", nargs="+", default=list(MEASURES), choices=MEASURES)
    parser.add_argument("--alpha", default="symmetric", help="LDA alpha: symmetric|auto|<float>")
    parser.add_argument("--unit", default="paragraph", choices=["paragraph", "document"])
    parser.add_argument("--backend", default="tomotopy", choices=["gensim", "tomotopy"])
    parser.add_argument("--passes", type=int, default=100, help="LDA passes (tomotopy: sweeps)")
    parser.add_argument("--factorial", action="store_true", help="the item-3 LDA experiment")
    parser.add_argument("--alphas", nargs="+", default=["symmetric", "auto", "1.0"])
    parser.add_argument("--units", nargs="+", default=["paragraph", "document"])
    parser.add_argument("--jobs", type=int, default=1, help="processes (1-2 on a shared box)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--csv", default=None, help="write every run's rows here")
    parser.add_argument("--out", default=None, help="write the summary as markdown here")
    parser.add_argument("--from-csv", nargs="+", default=None, help="summarise earlier rows")
    parser.add_argument(
        "--pipeline",
        action="store_true",
        help="fit and estimate as `topiclab run` does (shipped defaults + --set overrides)",
    )
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="K=V")
    parser.add_argument("--first-run", type=int, default=0, help="skip the cell's first runs")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    if args.from_csv:
        results = pd.concat([pd.read_csv(p) for p in args.from_csv], ignore_index=True)
    elif args.factorial:
        results = pd.DataFrame(factorial(args))
    else:
        config = pipeline_config(args.overrides) if args.pipeline else None
        results = pd.DataFrame(
            run_cells(
                args.scenario,
                args.effects,
                args.sizes,
                args.runs,
                args.measures,
                args.draws,
                _lda_config(args) if config is None else _pipeline_lda(config),
                args.seed,
                args.jobs,
                args.csv,
                config=config,
                first_run=args.first_run,
            )
        )
    if args.csv and not args.from_csv:
        results.to_csv(args.csv, index=False)
    lda_keys = [c for c in results.columns if c.startswith("lda_")]
    keys = ["scenario", "measure", *lda_keys, "d", "n", "effect"]
    summary = summarise(results, keys)
    # LDA settings are constant for the other measures: show them only where they vary
    keys = [k for k in keys if results[k].nunique(dropna=False) > 1 or k in ("measure",)]
    text = markdown(summary, keys)
    print(text)
    cpu = results.groupby("measure", sort=False)["cpu_s"].sum() / results["effect"].nunique()
    note = (
        f"\nCPU seconds per measure (fit + effects): {cpu.round(1).to_dict()}; "
        f"wall {time.perf_counter() - start:.0f} s"
    )
    print(note)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as handle:
            handle.write(text + "\n" + note + "\n")
            handle.write(f"\nCommand: python {' '.join(sys.argv)}\n")


if __name__ == "__main__":
    main()
