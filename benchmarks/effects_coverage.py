"""Coverage, bias and false-positive rate of topiclab.themes.effects on simulated corpora.

Each run draws a corpus from known topics (topiclab.themes.simulate) with an UNBALANCED design
in which locality and year are correlated: locality A reports mostly in the early years,
B mostly in the late years, C evenly. One theme (party_discipline) gets

- a locality contrast: B - A = d (planted), C - A = 0 (a null contrast in every cell),
- a year slope of d / 4 per year (the share moves by d over the five years),

for effect sizes d in {0, 0.02, 0.05, 0.2} (d = 0: every effect is null), and an average
of n in {2, 8, 32} documents per (locality, year) cell. The shares of each measure are
regressed on ``locality + year`` with :func:`estimate_effects` (fractional logit, 95%
intervals from the method of composition: by default the t interval, ``--interval
percentile`` for the percentiles of the draws), and the run records whether each interval
covers the truth and whether a null effect's interval excludes 0.

Measures:

- oracle: the true document proportions (what the regression and resampling alone achieve);
- lexicon: the dictionary measure (indicator-term counts; its estimand is the theme's share
  of the indicator mass, not of the text, so it is biased against the planted truth);
- nmf, lda, lda_anchored: models fitted on the simulated tokens at the true K, labelled with the
  shipped lexicon (lda_anchored: the lexicon's terms of the planted themes as anchor words).

Usage:
    python benchmarks/effects_coverage.py [--runs 200] [--model-runs 10] [--draws 100]
        [--sizes 2 8 32] [--model-sizes 2 8] [--out benchmarks/results/effects_coverage.md]

The corpus is simulated, so this benchmark takes no --data argument.
"""

from __future__ import annotations

import argparse
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
from topiclab.themes.simulate import DEFAULT_THEMES, oracle_shares, simulate_corpus  # noqa: E402

PLANTED = "party_discipline"
LOCALITIES = ("A", "B", "C")
YEARS = (2016, 2017, 2018, 2019, 2020)
EFFECTS = (0.0, 0.02, 0.05, 0.2)
# relative documents per (locality, year): A early, B late, C even (each row averages 1)
WEIGHTS = np.array(
    [
        [1.6, 1.4, 1.0, 0.6, 0.4],
        [0.4, 0.6, 1.0, 1.4, 1.6],
        [1.0, 1.0, 1.0, 1.0, 1.0],
    ]
)
MODEL_MEASURES = ("nmf", "lda", "lda_anchored")


def design(n: int) -> np.ndarray:
    """Documents per (locality, year) cell: ``n`` on average, at least one."""
    return np.maximum(1, np.rint(n * WEIGHTS)).astype(int)


def truths(d: float) -> dict[tuple[str, str], float]:
    """The planted AMEs of the planted theme: (covariate, level) -> truth."""
    return {("locality", "B"): d, ("locality", "C"): 0.0, ("year", "per unit"): d / 4}


def measure_shares(measure: str, corpus, lexicon, seed: int) -> pd.DataFrame:
    """Document shares of one measure on one simulated corpus."""
    if measure == "oracle":
        return oracle_shares(corpus)
    if measure == "lexicon":
        return lexicon_shares(corpus.tokens, lexicon, corpus.units, level="document")
    from topiclab.models import LDA, NMF
    from topiclab.vectorize import vectorize

    vectorized = vectorize(corpus.tokens, no_below=2, no_above=1.0, keep_n=None)
    k = corpus.topic_word.shape[0]  # the true K: themes and background
    unit_ids = corpus.units["unit_id"].tolist()
    if measure == "nmf":
        model = NMF(k, random_state=seed)
    elif measure == "lda":
        model = LDA(k, random_state=seed, passes=10, iterations=100)
    else:
        vocab = set(vectorized.vocab)
        anchors = {
            t: [w for w in lexicon[t].terms if w in vocab][:8]
            for t in DEFAULT_THEMES
            if any(w in vocab for w in lexicon[t].terms)
        }
        model = LDA(k, random_state=seed, passes=10, iterations=100, anchor_words=anchors)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = model.fit(vectorized.bow, vocab=vectorized.vocab, unit_ids=unit_ids).result_
    return theme_shares(result, lexicon, corpus.units, level="document")


def run_cell(
    measure: str,
    d: float,
    n: int,
    runs: int,
    draws: int,
    lexicon,
    seed: int,
    interval: str = "t",
) -> list:
    rows = []
    seeds = np.random.SeedSequence([seed, int(d * 1000), n]).generate_state(runs)
    for r, s in enumerate(seeds):
        corpus = simulate_corpus(
            localities=LOCALITIES,
            years=YEARS,
            docs_per_cell=design(n),
            locality_effect=(0.0, d, 0.0),
            year_trend=d / 4,
            planted=PLANTED,
            lexicon=lexicon,
            random_state=int(s),
            draw_tokens=measure != "oracle",
        )
        shares = measure_shares(measure, corpus, lexicon, int(s))
        table = estimate_effects(
            shares,
            None,
            "locality + year",
            draws=draws,
            random_state=np.random.default_rng([int(s), 1]),  # not the corpus stream
            themes=[PLANTED],
            interval=interval,
        )
        for (covariate, level), truth in truths(d).items():
            row = table[(table["covariate"] == covariate) & (table["level"] == level)].iloc[0]
            rows.append(
                {
                    "measure": measure,
                    "d": d,
                    "n": n,
                    "run": r,
                    "effect": "slope" if covariate == "year" else f"{level}-A",
                    "truth": truth,
                    "estimate": row["estimate"],
                    "lower": row["lower"],
                    "upper": row["upper"],
                    "interval": interval,
                }
            )
    return rows


def summarise(results: pd.DataFrame) -> pd.DataFrame:
    results = results.assign(
        covered=(results["lower"] <= results["truth"]) & (results["truth"] <= results["upper"]),
        declared=(results["lower"] > 0) | (results["upper"] < 0),
        error=results["estimate"] - results["truth"],
    )
    out = []
    for (measure, effect, d, n), g in results.groupby(["measure", "effect", "d", "n"], sort=False):
        runs = len(g)
        cov = g["covered"].mean()
        truth = g["truth"].iloc[0]
        bias = g["error"].mean()
        out.append(
            {
                "measure": measure,
                "effect": effect,
                "d": d,
                "n": n,
                "runs": runs,
                "truth": truth,
                "coverage": cov,
                "coverage_mcse": np.sqrt(cov * (1 - cov) / runs),
                "bias": bias,
                "bias_mcse": g["error"].std(ddof=1) / np.sqrt(runs) if runs > 1 else np.nan,
                "relative_bias": bias / truth if truth else np.nan,
                "null_declared": g["declared"].mean() if truth == 0 else np.nan,
                "mean_width": (g["upper"] - g["lower"]).mean(),
            }
        )
    return pd.DataFrame(out)


def pooled(results: pd.DataFrame) -> str:
    """Coverage and null-declared rate per measure and documents per cell, pooled over cells.

    The MCSE treats runs as the replicates (a run's three effects share one corpus).
    """
    results = results.assign(
        covered=(results["lower"] <= results["truth"]) & (results["truth"] <= results["upper"]),
        declared=(results["lower"] > 0) | (results["upper"] < 0),
        run_key=results["d"].astype(str) + ":" + results["run"].astype(str),
    )
    lines = [
        "| measure | n/cell | runs | coverage ± MCSE | null declared ± MCSE |",
        "|---|---|---|---|---|",
    ]
    keys = ["measure", "n"]
    for (measure, n), g in [
        *results.groupby(keys, sort=False),
        *[((m, "all"), g) for m, g in results.groupby("measure", sort=False)],
    ]:

        def rate(frame: pd.DataFrame, column: str) -> str:
            per_run = frame.groupby(["n", "run_key"])[column].mean()
            return f"{frame[column].mean():.3f} ± {per_run.std(ddof=1) / np.sqrt(len(per_run)):.3f}"

        null = g[g["truth"] == 0]
        runs = g.groupby(["n", "run_key"]).ngroups
        lines.append(
            f"| {measure} | {n} | {runs} | {rate(g, 'covered')} | {rate(null, 'declared')} |"
        )
    return "\n".join(lines)


def markdown(summary: pd.DataFrame) -> str:
    lines = [
        "| measure | effect | d | n/cell | runs | truth | coverage ± MCSE | bias ± MCSE |"
        " rel. bias | null declared | mean width |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in summary.itertuples(index=False):
        rel = "" if np.isnan(r.relative_bias) else f"{r.relative_bias:+.0%}"
        null = "" if np.isnan(r.null_declared) else f"{r.null_declared:.3f}"
        lines.append(
            f"| {r.measure} | {r.effect} | {r.d:g} | {r.n} | {r.runs} | {r.truth:.4f} | "
            f"{r.coverage:.3f} ± {r.coverage_mcse:.3f} | {r.bias:+.4f} ± {r.bias_mcse:.4f} | "
            f"{rel} | {null} | {r.mean_width:.4f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=200, help="runs per oracle/lexicon cell")
    parser.add_argument("--model-runs", type=int, default=10, help="runs per model cell")
    parser.add_argument("--draws", type=int, default=100)
    parser.add_argument("--sizes", type=int, nargs="+", default=[2, 8, 32])
    parser.add_argument("--model-sizes", type=int, nargs="+", default=[2, 8])
    parser.add_argument("--effects", type=float, nargs="+", default=list(EFFECTS))
    parser.add_argument("--measures", nargs="+", default=["oracle", "lexicon", *MODEL_MEASURES])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--interval", choices=("t", "percentile"), default="t")
    parser.add_argument("--out", default=None, help="write the summary as markdown here")
    parser.add_argument("--csv", default=None, help="write every run's row here")
    parser.add_argument(
        "--from-csv",
        nargs="+",
        default=None,
        help="summarise the rows of earlier runs (their --csv files) instead of running",
    )
    args = parser.parse_args(argv)
    if args.from_csv:
        results = pd.concat([pd.read_csv(path) for path in args.from_csv], ignore_index=True)
        text = pooled(results) + "\n\n" + markdown(summarise(results))
        print(text)
        if args.out:
            with open(args.out, "w", encoding="utf-8") as handle:
                handle.write(text + "\n")
        return
    lexicon = load_lexicon()
    rows, timing = [], []
    for measure in args.measures:
        model = measure in MODEL_MEASURES
        sizes = args.model_sizes if model else args.sizes
        runs = args.model_runs if model else args.runs
        for n in sizes:
            for d in args.effects:
                start = time.process_time()
                rows += run_cell(measure, d, n, runs, args.draws, lexicon, args.seed, args.interval)
                cpu = time.process_time() - start
                timing.append({"measure": measure, "n": n, "d": d, "runs": runs, "cpu_s": cpu})
                if args.csv:  # after every cell: a long run can be summarised as it goes
                    pd.DataFrame(rows).to_csv(args.csv, index=False)
                print(
                    f"{measure:10s} n={n:2d} d={d:<5g} runs={runs:3d} {cpu:7.1f} s CPU", flush=True
                )
    results = pd.DataFrame(rows)
    summary = summarise(results)
    text = pooled(results) + "\n\n" + markdown(summary)
    print(text)
    cpu = pd.DataFrame(timing).groupby("measure", sort=False)["cpu_s"].sum()
    print("\nCPU seconds per measure:", cpu.round(1).to_dict())
    if args.csv:
        results.to_csv(args.csv, index=False)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as handle:
            handle.write(text + "\n")
            handle.write(f"\nCPU seconds per measure: {cpu.round(1).to_dict()}\n")
            handle.write(f"\nCommand: python {' '.join(sys.argv)}\n")


if __name__ == "__main__":
    main()
