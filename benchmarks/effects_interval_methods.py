"""Interval constructions for theme effects, side by side on the same simulated corpora.

For the oracle cells of benchmarks/effects_coverage.py (same corpora, same seeds), each run
fits the fractional-logit GLM (statsmodels, HC0 covariance) on all documents and on ``B``
document resamples, and forms nine 95% intervals of each AME from the same draws: percentile
(100 and B draws, linear and median-unbiased quantiles), Wald with the HC0/HC1 sandwich SE of
the AME (delta method), t with the draws' SD (with and without HC1's sqrt(n/(n-p))), and
bootstrap-t studentised by each draw's HC0 SE. Writes one row per run, effect and method.

Usage:
    python benchmarks/effects_interval_methods.py RUNS SIZES OUT.csv [EFFECTS]
    e.g. B=200 python benchmarks/effects_interval_methods.py 200 2,32 methods.csv 0

The corpus is simulated, so this benchmark takes no --data argument.
"""

from __future__ import annotations

import os
import sys
import warnings

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from scipy import stats  # noqa: E402
from statsmodels.genmod import families  # noqa: E402
from statsmodels.genmod.generalized_linear_model import GLM  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import effects_coverage as ec  # noqa: E402

from topiclab.themes import load_lexicon  # noqa: E402
from topiclab.themes._effects_design import _Design  # noqa: E402
from topiclab.themes.simulate import oracle_shares, simulate_corpus  # noqa: E402

B = int(os.environ.get("B", 200))


def fit(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    result = GLM(y, X, family=families.Binomial()).fit(cov_type="HC0")
    return result.params, result.cov_params()


def ames(design: _Design, params: np.ndarray, rows: np.ndarray) -> tuple:
    """AMEs of the contrasts and their gradients in the coefficients (for the delta method)."""
    out, grads = [], []
    for _, _, _, X1, X0, n_level in design.contrasts:
        X1r, X0r = X1[rows], X0[rows]
        p1 = 1 / (1 + np.exp(-X1r @ params))
        p0 = 1 / (1 + np.exp(-X0r @ params))
        w = 1 / n_level[rows] if n_level.dtype != bool else np.ones(len(rows))
        out.append(np.mean((p1 - p0) * w))
        grads.append(
            ((p1 * (1 - p1) * w)[:, None] * X1r - (p0 * (1 - p0) * w)[:, None] * X0r).mean(0)
        )
    return np.array(out), np.array(grads)


def one(d: float, n: int, seed: int, lexicon) -> list[dict]:
    corpus = simulate_corpus(
        localities=ec.LOCALITIES,
        years=ec.YEARS,
        docs_per_cell=ec.design(n),
        locality_effect=(0.0, d, 0.0),
        year_trend=d / 4,
        planted=ec.PLANTED,
        lexicon=lexicon,
        random_state=int(seed),
        draw_tokens=False,
    )
    docs = oracle_shares(corpus).sort_values("doc_id").reset_index(drop=True)
    design = _Design(docs, "locality + year", ["locality", "year"], None)
    y = docs[ec.PLANTED].to_numpy()
    N, p = design.X.shape
    rng = np.random.default_rng([int(seed), 1])
    params, cov = fit(design.X, y)
    est, G = ames(design, params, np.arange(N))
    se0 = np.sqrt(np.einsum("ij,jk,ik->i", G, cov, G))
    draws = np.full((B, len(est)), np.nan)
    tstar = np.full((B, len(est)), np.nan)
    for b in range(B):
        rows = rng.integers(N, size=N)
        try:
            pb, cb = fit(design.X[rows], y[rows])
        except Exception:  # a singular resample: no draw
            continue
        eb, Gb = ames(design, pb, rows)
        draws[b] = eb
        tstar[b] = (eb - est) / np.sqrt(np.einsum("ij,jk,ik->i", Gb, cb, Gb))
    tq, z = stats.t.ppf(0.975, N - p), stats.norm.ppf(0.975)
    sd = np.nanstd(draws, axis=0, ddof=1)
    f1 = np.sqrt(N / (N - p))
    hi_t = np.nanquantile(tstar, 0.975, axis=0, method="median_unbiased")
    lo_t = np.nanquantile(tstar, 0.025, axis=0, method="median_unbiased")
    intervals = {
        "pct100": np.nanquantile(draws[:100], [0.025, 0.975], axis=0),
        "pct": np.nanquantile(draws, [0.025, 0.975], axis=0),
        "pct_mu": np.nanquantile(draws, [0.025, 0.975], axis=0, method="median_unbiased"),
        "t_sd": np.array([est - tq * sd, est + tq * sd]),
        "t_sd_hc1": np.array([est - tq * sd * f1, est + tq * sd * f1]),
        "wald0": np.array([est - z * se0, est + z * se0]),
        "wald1t": np.array([est - tq * se0 * f1, est + tq * se0 * f1]),
        "boot_t": np.array([est - hi_t * se0, est - lo_t * se0]),
        "boot_t1": np.array([est - hi_t * se0 * f1, est - lo_t * se0 * f1]),
    }
    truths = ec.truths(d)
    rows_out = []
    for c, (covariate, level, *_rest) in enumerate(design.contrasts):
        effect = "slope" if covariate == "year" else f"{level}-A"
        for name, (lower, upper) in intervals.items():
            rows_out.append(
                {
                    "d": d,
                    "n": n,
                    "seed": int(seed),
                    "effect": effect,
                    "truth": truths[(covariate, level)],
                    "method": name,
                    "estimate": est[c],
                    "lower": lower[c],
                    "upper": upper[c],
                }
            )
    return rows_out


def main() -> None:
    runs, out = int(sys.argv[1]), sys.argv[3]
    sizes = [int(s) for s in sys.argv[2].split(",")]
    effects = [float(s) for s in sys.argv[4].split(",")] if len(sys.argv) > 4 else ec.EFFECTS
    warnings.simplefilter("ignore")
    lexicon = load_lexicon()
    rows: list[dict] = []
    for n in sizes:
        for d in effects:
            seeds = np.random.SeedSequence([0, int(d * 1000), n]).generate_state(runs)
            for seed in seeds:
                rows += one(d, n, int(seed), lexicon)
            pd.DataFrame(rows).to_csv(out, index=False)
            print(n, d, flush=True)


if __name__ == "__main__":
    main()
