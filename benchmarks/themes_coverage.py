"""Coverage of topiclab.compare's intervals on simulated corpora with known theme shares.

Each simulation draws a corpus from known topics with a planted locality difference and year
trend in one theme (topiclab.themes.simulate), fits LDA, turns the fit into theme shares and
compares them by locality and by year. It prints how often the 95% intervals contain the true
group means, for three estimators side by side:

- oracle: the true topic proportions (what the bootstrap alone can achieve),
- lda: one LDA fit, bootstrap over documents,
- lda-refits: R LDA fits with different seeds, bootstrap over documents and refits.

Usage: python benchmarks/themes_coverage.py [--sims 20] [--refits 5] [--boot 500]

The corpus is simulated, so this benchmark takes no --data argument.
"""

from __future__ import annotations

import argparse
import os
import time

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from topiclab.themes import compare, load_lexicon  # noqa: E402
from topiclab.themes.simulate import (  # noqa: E402
    DEFAULT_THEMES,
    coverage_study,
    fit_lda_refits,
    oracle_shares,
    simulate_corpus,
)


def oracle_study(n_sims: int, n_boot: int, seed: int) -> pd.DataFrame:
    """Coverage when the shares are the true topic proportions."""
    rows = []
    for sim, s in enumerate(np.random.SeedSequence(seed).generate_state(n_sims)):
        corpus = simulate_corpus(random_state=int(s))
        shares = oracle_shares(corpus)
        for by, truth in (("locality", corpus.truth_by_locality), ("year", corpus.truth_by_year)):
            table = compare(shares, by=by, n_boot=n_boot, random_state=int(s)).merge(truth)
            table["covered"] = (table["lower"] <= table["truth"]) & (
                table["truth"] <= table["upper"]
            )
            table["by"] = by
            table["sim"] = sim
            rows.append(table)
    return pd.concat(rows, ignore_index=True)


def summarise(name: str, table: pd.DataFrame, elapsed: float) -> None:
    planted = table[table["theme"] == "party_discipline"]
    bias = (table["mean"] - table["truth"]).groupby(table["theme"]).mean()
    width = (table["upper"] - table["lower"]).mean()
    print(f"\n== {name}  ({elapsed:.0f} s)")
    print(
        f"coverage all themes: {table['covered'].mean():.3f} "
        f"(by locality {table[table['by'] == 'locality']['covered'].mean():.3f}, "
        f"by year {table[table['by'] == 'year']['covered'].mean():.3f}); "
        f"planted theme: {planted['covered'].mean():.3f}; mean interval width {width:.3f}"
    )
    per_theme = table.groupby("theme")["covered"].mean().round(3)
    print("coverage per theme: " + ", ".join(f"{k} {v}" for k, v in per_theme.items()))
    print("mean bias per theme: " + ", ".join(f"{k} {v:+.3f}" for k, v in bias.items()))


def planted_recovery(table: pd.DataFrame) -> None:
    """How well the planted locality difference and year trend are recovered."""
    planted = table[table["theme"] == "party_discipline"]
    year = planted[planted["by"] == "year"]
    slopes = year.groupby("sim").apply(
        lambda g: np.polyfit(g["group"].astype(int), g["mean"], 1)[0], include_groups=False
    )
    true_slope = np.polyfit(year["group"].astype(int), year["truth"], 1)[0]
    locality = planted[planted["by"] == "locality"]
    spread = locality.groupby("sim").apply(
        lambda g: g["mean"].max() - g["mean"].min(), include_groups=False
    )
    true_spread = locality.groupby("sim")["truth"].agg(lambda t: t.max() - t.min()).mean()
    print(
        f"planted year trend: true {true_slope:.4f}/year, estimated {slopes.mean():.4f} "
        f"(sd {slopes.std():.4f}); locality spread: true {true_spread:.3f}, estimated "
        f"{spread.mean():.3f} (sd {spread.std():.3f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sims", type=int, default=20, help="simulations per estimator")
    parser.add_argument("--refits", type=int, default=5, help="LDA refits for lda-refits")
    parser.add_argument("--boot", type=int, default=500, help="bootstrap resamples")
    parser.add_argument("--passes", type=int, default=10, help="LDA passes")
    parser.add_argument("--seed", type=int, default=20181206)
    args = parser.parse_args()
    lexicon = load_lexicon()
    print(
        f"themes {', '.join(DEFAULT_THEMES)} + background; planted: party_discipline; "
        f"{args.sims} simulations, {args.boot} bootstrap resamples, nominal coverage 0.95"
    )
    start = time.perf_counter()
    summarise("oracle", oracle_study(args.sims, args.boot, args.seed), time.perf_counter() - start)
    for name, refits in (("lda", 1), (f"lda-refits (R={args.refits})", args.refits)):
        start = time.perf_counter()
        table = coverage_study(
            lambda corpus, seed, r=refits: fit_lda_refits(
                corpus, seed, n_refits=r, passes=args.passes
            ),
            n_sims=args.sims,
            n_boot=args.boot,
            random_state=args.seed,
            lexicon=lexicon,
        )
        summarise(name, table, time.perf_counter() - start)
        planted_recovery(table)


if __name__ == "__main__":
    main()
