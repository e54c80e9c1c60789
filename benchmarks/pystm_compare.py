"""pystm (PyPI) beside topiclab's effects on the simulated corpus of effects_coverage.py.

Issue 14 asks for the coverage and time of pystm, "where it installs", next to ours on the
same simulated corpus. This script runs one small cell of ``benchmarks/effects_coverage.py``
(the unbalanced locality x year design, planted effect ``d``, ``n`` documents per cell) with
topiclab's LDA measure and :func:`~topiclab.themes.effects.estimate_effects`, times it, and
then looks for a usable pystm. pystm must offer a structural topic model that fits and
returns document-topic proportions; when it does not (not installed, fails to import, or has
no such estimator) the script says why and skips its half: it never fails because of pystm.

What PyPI serves as ``pystm`` (0.1, 2018, 604 bytes) is a placeholder: it installs one module,
``stm.py``, whose class ``StructuralTopicModel(BaseEstimator, TransformerMixin)`` never
imports those base classes, so ``import stm`` raises ``NameError: name 'BaseEstimator' is
not defined``; its ``fit`` does nothing and there is no ``pystm`` module at all. The results
file records this (benchmarks/results/effects_coverage_pystm.md).

Usage::

    python benchmarks/pystm_compare.py [--runs 20] [--d 0.05] [--n 8] [--draws 100]
        [--out benchmarks/results/effects_coverage_pystm.md]

To try pystm, install it into the environment first (``pip install pystm``).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import time
from pathlib import Path

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))

#: modules a pystm install may provide: the name on PyPI, and the module 0.1 really installs
PYSTM_MODULES = ("pystm", "stm")


def pystm_status() -> tuple[object | None, str]:
    """``(estimator class, "")`` when a usable pystm is importable, else ``(None, why not)``.

    Usable means: a ``StructuralTopicModel`` class whose ``fit`` on a small count matrix
    leaves document-topic proportions (``theta_``, as R's stm calls them, or
    ``doc_topic_``). Every failure is caught and described, so callers can skip cleanly.
    """
    reasons = []
    for name in PYSTM_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as error:
            reasons.append(f"import {name}: ModuleNotFoundError: {error}")
            continue
        except Exception as error:  # a broken package raises anything at import
            reasons.append(f"import {name}: {type(error).__name__}: {error}")
            continue
        estimator = getattr(module, "StructuralTopicModel", None)
        if estimator is None:
            reasons.append(f"module {name} has no StructuralTopicModel")
            continue
        try:
            fitted = estimator().fit(np.ones((4, 3), dtype=int))
        except Exception as error:
            reasons.append(f"{name}.StructuralTopicModel().fit: {type(error).__name__}: {error}")
            continue
        if not any(hasattr(fitted, attr) for attr in ("theta_", "doc_topic_")):
            reasons.append(f"{name}.StructuralTopicModel.fit leaves no document-topic proportions")
            continue
        return estimator, ""
    return None, "; ".join(reasons)


def ours(d: float, n: int, runs: int, draws: int, seed: int) -> dict[str, float]:
    """Coverage and time of topiclab's LDA measure in one cell of effects_coverage.py."""
    from effects_coverage import run_cell

    from topiclab.themes import load_lexicon

    started = time.process_time()
    rows = pd.DataFrame(run_cell("lda", d, n, runs, draws, load_lexicon(), seed))
    cpu = time.process_time() - started
    covered = (rows["lower"] <= rows["truth"]) & (rows["truth"] <= rows["upper"])
    out: dict[str, float] = {"runs": runs, "cpu_s_per_run": cpu / runs}
    for effect, part in rows.assign(covered=covered).groupby("effect"):
        p = float(part["covered"].mean())
        out[f"coverage_{effect}"] = p
        out[f"mcse_{effect}"] = float(np.sqrt(p * (1 - p) / len(part)))
    return out


def markdown(result: dict[str, float], status: str, args: argparse.Namespace) -> str:
    effects = sorted(k.removeprefix("coverage_") for k in result if k.startswith("coverage_"))
    head = " | ".join(f"coverage {e}" for e in effects)
    cells = " | ".join(
        f"{result['coverage_' + e]:.2f} ± {result['mcse_' + e]:.2f}" for e in effects
    )
    return "\n".join(
        [
            f"| measure | runs | {head} | CPU s per run |",
            "|---|---|" + "---|" * len(effects) + "---|",
            f"| topiclab lda + estimate_effects | {result['runs']} | {cells} | "
            f"{result['cpu_s_per_run']:.1f} |",
            f"| pystm | - | {' | '.join('-' for _ in effects)} | - |",
            "",
            f"pystm: {status or 'usable'}",
            "",
            f"Cell: d = {args.d}, n = {args.n} documents per (locality, year) cell on average, "
            f"draws = {args.draws}, seed = {args.seed}.",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--d", type=float, default=0.05)
    parser.add_argument("--n", type=int, default=8)
    parser.add_argument("--draws", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--skip-ours", action="store_true", help="only report pystm's status")
    args = parser.parse_args(argv)
    estimator, status = pystm_status()
    if estimator is None:
        print(f"pystm skipped: {status}")
    else:
        # A pystm that fits would need an adapter from its topics to themes; none exists yet,
        # because no pystm release has had a working estimator to write one against.
        print("pystm imports and fits: write its adapter in benchmarks/pystm_compare.py")
    if args.skip_ours:
        return 0
    result = ours(args.d, args.n, args.runs, args.draws, args.seed)
    text = markdown(result, status, args)
    print(text)
    if args.out is not None:
        args.out.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
