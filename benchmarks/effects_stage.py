"""Cost of the theme-effects stage of ``topiclab run`` against ``themes.effects.draws``.

Runs the stages before it through the run's cache (run ``topiclab run`` with the same config
and overrides first, so tokens and fits are read, not computed), then times
:func:`topiclab.themes.effects_run.run_theme_effects` for each number of draws, and how wide
the LDA intervals are with and without the posterior draws of the unit mixtures.

    OMP_NUM_THREADS=1 nice -n 10 .venv/bin/python benchmarks/effects_stage.py analysis.yaml \\
        --set models.k=10 --set themes.refits=1 --draws 25 50 100 200
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
    args = parser.parse_args()

    from topiclab import pipeline
    from topiclab.config import load_config
    from topiclab.themes.effects_run import run_theme_effects

    config = load_config(args.config, args.overrides)
    corpus = pipeline.stage_ingest(config)
    units = pipeline.stage_units(corpus.documents, config)
    tokens = pipeline.stage_tokens(units, config)
    units = units.assign(n_tokens=[len(t) for t in tokens])
    vectorized = pipeline.stage_vectorize(tokens, config)
    unit_ids = units["unit_id"].astype(str).tolist()
    _, chosen = pipeline.stage_model_selection(vectorized, tokens, config, {}, unit_ids)
    refits = pipeline.stage_fit(vectorized, units, config, chosen)
    fitted = pipeline.Fitted(units=units, tokens=tokens, vectorized=vectorized, refits=refits)
    print(
        f"{len(corpus.documents)} documents, {len(units)} units, K={chosen}, "
        f"refits={config['themes']['refits']}"
    )
    print("| draws | CPU seconds | wall seconds | rows | median LDA interval width |")
    print("|---|---|---|---|---|")
    for draws in args.draws:
        settings = {**config["themes"]["effects"], "draws": draws}
        run_config = {**config, "themes": {**config["themes"], "effects": settings}}
        # CPU time as well as wall time: on a shared machine the wall time says little
        start, cpu = time.perf_counter(), time.process_time()
        table = run_theme_effects(fitted, corpus.documents, run_config)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        lda = table[table["model"] == "lda"]
        width = float(np.nanmedian(lda["upper"] - lda["lower"])) if len(lda) else float("nan")
        print(f"| {draws} | {cpu:.1f} | {seconds:.1f} | {len(table)} | {width:.4f} |")


if __name__ == "__main__":
    main()
