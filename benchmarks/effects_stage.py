"""Cost of the theme-effects stage of ``topiclab run`` against ``themes.effects.draws``.

Runs the stages before it through the run's cache (run ``topiclab run`` with the same config
and overrides first, so tokens and fits are read, not computed), then times
the run's effects stage (``pipeline._themes._stage_effects``) for each number of draws, and how wide
the LDA intervals are with and without the posterior draws of the unit mixtures.

    OMP_NUM_THREADS=1 nice -n 10 .venv/bin/python benchmarks/effects_stage.py analysis.yaml \\
        --set models.k=10 --set models.refits=1 --draws 25 50 100 200 [--no-posterior]
"""

from __future__ import annotations

import argparse
import time

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("config", nargs="?", default=None)
    parser.add_argument("--set", action="append", default=[], dest="overrides")
    parser.add_argument("--draws", type=int, nargs="+", default=[25, 50, 100, 200])
    parser.add_argument(
        "--posterior",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="--no-posterior: LDA's stored unit shares, no draws from their posterior",
    )
    args = parser.parse_args()

    from topiclab import pipeline
    from topiclab.config import load_config
    from topiclab.themes import effects_run

    config = load_config(args.config, args.overrides)
    prepared = pipeline.prepare(config)
    corpus, units = prepared.corpus, prepared.units
    selected: dict = {}  # the fits of selection at the chosen K: the first refits
    _, chosen = pipeline.select_models(prepared, config, selected)
    fitted = pipeline.fit_models(prepared, config, chosen, selected)
    print(
        f"{len(corpus.documents)} documents, {len(units)} units, K={chosen}, "
        f"refits={config['models']['refits']}"
    )
    print("| draws | CPU seconds | wall seconds | rows | median LDA interval width |")
    print("|---|---|---|---|---|")
    for draws in args.draws:
        settings = {**config["themes"]["effects"], "draws": draws}
        run_config = {**config, "themes": {**config["themes"], "effects": settings}}
        # CPU time as well as wall time: on a shared machine the wall time says little
        start, cpu = time.perf_counter(), time.process_time()
        table = _stage(effects_run, fitted, corpus.documents, run_config, args.posterior)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        lda = table[table["model"] == "lda"]
        width = float(np.nanmedian(lda["upper"] - lda["lower"])) if len(lda) else float("nan")
        print(f"| {draws} | {cpu:.1f} | {seconds:.1f} | {len(table)} | {width:.4f} |")


def _stage(effects_run, fitted, documents, config, posterior: bool):
    """The stage as the run calls it, or with the LDA posterior draws switched off."""
    from topiclab.themes import load_lexicon

    if posterior:
        from topiclab.pipeline._themes import _stage_effects
        from topiclab.settings import validate_config

        settings = validate_config(config)
        return _stage_effects(fitted, documents, settings.themes, seed=settings.seed)
    settings = config["themes"]["effects"]
    return effects_run.theme_effects_table(
        fitted.refits,
        fitted.units,
        fitted.vectorized.bow,
        fitted.tokens,
        load_lexicon(config["themes"]["lexicon"]),
        documents,
        formula=settings["formula"],
        draws=settings["draws"],
        random_state=int(config["seed"]),
        reference=settings["reference"],
        cluster=settings["cluster"],
        family=settings["family"],
        min_lift=float(config["themes"]["min_lift"]),
        posterior=False,
    )


if __name__ == "__main__":
    main()
