"""The paper pipeline: run the stages named by a config and write every output.

Each stage is a small function over plain data that calls the library; this module only
orders the stages, caches the expensive ones and decides where their outputs go. Every table
goes to ``<output>/tables/`` through :func:`topiclab.io.write_table` (atomic, reproducible),
by way of a staging folder that replaces the output as a whole when the run has finished
(see :func:`run`); ``run.json`` records the run. Each stage shows a progress bar on a
terminal and logs the library warnings it raised once, with their count
(:mod:`topiclab.progress`).

Stages: ingest -> units -> tokens -> vectorize -> model selection -> fit -> themes. The token
cache is the preprocessor's own (keyed by text and settings); fitted models are cached as
:class:`TopicResult` folders keyed by the vectorized corpus, the model's parameters, the seed and
the topiclab version, so a second run with the same inputs refits nothing. The analysis
rules the stages apply live in their rooms (:mod:`topiclab.themes`, :mod:`topiclab.tables`,
:func:`topiclab.evaluate.choose_k`).

Size: about 780 lines, of which the stages are a third; the rest is the output set (staging
folder, leftovers of killed runs, the swap into place, ``run.json``) and the fit and
vectorize caches, which the one stage cache of issue 12 item 1 replaces.
"""

from __future__ import annotations

import glob
import hashlib
import json
import logging
import os
import platform
import shutil
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from topiclab import __version__, cachefiles
from topiclab.io import atomic_write_text, write_table
from topiclab.progress import progress, summarised_warnings
from topiclab.tables import (
    alignment_table,
    document_topics_table,
    exemplars_table,
    share_units,
    topics_table,
    units_table,
)

logger = logging.getLogger(__name__)

#: every table `topiclab run` writes into <output>/tables/
TABLES = (
    "manifest.csv",
    "documents.csv",
    "units.csv",
    "model_selection.csv",
    "topics.csv",
    "document_topics.csv",
    "document_themes.csv",
    "theme_prevalence_by_locality.csv",
    "theme_prevalence_by_year.csv",
    "exemplars.csv",
    "alignment.csv",
    "agreement.csv",
    "lexicon_coverage.csv",
    "label_sensitivity.csv",
)


@dataclass
class Fitted:
    """What the analysis stages need from the earlier ones."""

    units: pd.DataFrame
    tokens: list[list[str]]
    vectorized: Any
    refits: dict[str, list[Any]]

    @property
    def results(self) -> dict[str, Any]:
        """The first fit of each model (the one topics.csv and document_topics.csv show)."""
        return {name: fits[0] for name, fits in self.refits.items()}


def run(config: dict[str, Any]) -> list[Path]:
    """Run the pipeline described by ``config`` (see :func:`topiclab.load_config`).

    The run writes into a staging folder next to ``config["output"]``
    (``<output>.staging-<pid>``, same file system) and swaps it in only when every stage
    has finished: the output folder then holds exactly this run's files (tables, figures,
    README.md, ENVIRONMENT.txt, run.json), and a run that fails or is killed leaves the
    previous output as it was. The run owns the whole output folder: a folder holding files
    topiclab did not write is refused rather than replaced.

    Returns
    -------
    list of Path
        Every file written (under the output folder), in the order written.
    """
    from topiclab.preflight import preflight

    # the whole config and every path it names are checked before the first expensive step,
    # also for a config built in Python (a notebook) rather than by the CLI
    preflight(config)
    output = Path(config["output"])
    check_output(output, config.get("cache"))
    started = _now()
    staging = _make_staging(output)
    try:
        with summarised_warnings("run"):
            written, skipped = _run_stages(config, staging)
        written.append(
            atomic_write_text(
                staging / RUN_RECORD,
                run_record(config, staging, started=started, skipped=skipped),
            )
        )
        _carry_cache(config, output, staging)
        _swap_in(staging, output)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    logger.info("run: %d files in %s", len(written), output)
    return [output / path.relative_to(staging) for path in written]


def _run_stages(config: dict[str, Any], folder: Path) -> tuple[list[Path], dict[str, str]]:
    """Every stage, writing into ``folder``; returns the files and the figures not drawn."""
    tables = folder / "tables"
    written: list[Path] = []
    with summarised_warnings("ingest"):
        corpus = stage_ingest(config)
    written += corpus.write_tables(tables)
    with summarised_warnings("units"):
        units = stage_units(corpus.documents, config)
    with summarised_warnings("tokens"):
        tokens = stage_tokens(units, config)
    units = units.assign(n_tokens=[len(t) for t in tokens])
    written.append(write_table(units_table(units), tables / "units.csv"))
    with summarised_warnings("vectorize"):
        vectorized = stage_vectorize(tokens, config)
    selected: dict[str, Any] = {}  # the fits of selection at the chosen K: the first refits
    with summarised_warnings("model selection"):
        selection, chosen = stage_model_selection(
            vectorized, tokens, config, selected, units["unit_id"].astype(str).tolist()
        )
    written.append(write_table(selection, tables / "model_selection.csv"))
    with summarised_warnings("fit"):
        refits = stage_fit(vectorized, units, config, chosen, selected)
    fitted = Fitted(units=units, tokens=tokens, vectorized=vectorized, refits=refits)
    with summarised_warnings("themes"):
        theme_tables = stage_themes(fitted, config)
    for name, frame in theme_tables.items():
        written.append(write_table(frame, tables / f"{name}.csv"))
    logger.info("wrote %d tables", len(written))
    from topiclab.figures import figure_stage

    skipped: dict[str, str] = {}
    with summarised_warnings("figures"):
        figures = figure_stage(fitted, config, folder=folder, skipped_out=skipped)
    return written + figures, skipped


def stage_figures(fitted: Fitted, config: dict[str, Any]) -> list[Path]:
    """Figures from the tables in ``<output>/tables`` (reused when their inputs are unchanged).

    Writes straight into the output folder; :func:`run` instead draws into its staging folder.
    """
    from topiclab.figures import figure_stage

    return figure_stage(fitted, config)


# ------------------------------------------------------------------------------ the output set

#: the record of the run in the output folder (times: not compared between builds)
RUN_RECORD = "run.json"
#: what a folder written by topiclab holds; one with other files is not replaced
_OUTPUT_MARKERS = (RUN_RECORD, "tables/manifest.csv")


def check_output(output: Path, cache: str | Path | None = None) -> None:
    """Refuse an output folder the run cannot own, before any expensive step.

    Raises
    ------
    ValueError
        If ``output`` is a file, its parent folder cannot be written (the staging folder
        goes there), or it is a folder with files that no topiclab run wrote (a run replaces
        the whole folder, so ``--output ~/Documents`` must not empty it).
    """
    if output.exists() and not output.is_dir():
        raise ValueError(f"output {output} is a file; give a folder (--output DIR)")
    parent = output.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
        raise ValueError(
            f"cannot write output {output}: {parent} is not a writable folder; "
            "choose another --output"
        )
    # a cache kept inside the output (see _carry_cache) is not a stranger's file
    own = {_top_folder(output, cache)} if cache else set()
    if output.is_dir() and any(p.name not in own for p in output.iterdir()):
        if not any((output / marker).exists() for marker in _OUTPUT_MARKERS):
            raise ValueError(
                f"output folder {output} holds files topiclab did not write, and a run replaces "
                "the whole folder; choose a new or empty folder (--output DIR)"
            )
        if not os.access(output, os.W_OK | os.X_OK):
            raise ValueError(f"output folder {output} is not writable; choose another --output")


def _top_folder(output: Path, inner: str | Path) -> str | None:
    """The name of the entry of ``output`` that holds ``inner``, if ``inner`` is inside it."""
    try:
        parts = Path(inner).resolve().relative_to(output.resolve()).parts
    except ValueError:
        return None
    return parts[0] if parts else None


def _make_staging(output: Path) -> Path:
    """A fresh ``<output>.staging-<pid>`` next to the output; leftovers of dead runs go first."""
    output.parent.mkdir(parents=True, exist_ok=True)
    _clean_leftovers(output)
    staging = output.with_name(f"{output.name}.staging-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()  # mode 0o777 & ~umask, like any folder of the user
    return staging


def _clean_leftovers(output: Path) -> None:
    """Remove the staging folders of killed runs; put back an output a killed swap set aside.

    A run killed between its two renames leaves the previous output as
    ``<output>.replaced-<pid>`` and no ``<output>``: that folder is the last complete output.
    """
    for leftover in sorted(output.parent.glob(f"{glob.escape(output.name)}.*-*")):
        kind, _, pid = leftover.name[len(output.name) + 1 :].rpartition("-")
        if kind not in ("staging", "replaced") or not pid.isdigit() or _alive(int(pid)):
            continue
        if kind == "replaced" and not output.exists():
            logger.warning("run: restoring %s, set aside by a run that was killed", output)
            leftover.rename(output)
        else:
            logger.info("run: removing %s, left by a run that was killed", leftover)
            shutil.rmtree(leftover, ignore_errors=True)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _carry_cache(config: dict[str, Any], output: Path, staging: Path) -> None:
    """A cache kept inside the output folder moves into the new output, not away with the old.

    Such a cache is written during the run (it is not part of the output set), so a failed
    run may have added entries to it; every other file of the old output is left untouched.
    """
    if not config.get("cache") or not output.is_dir():
        return
    cache = Path(config["cache"]).resolve()
    try:
        inside = cache.relative_to(output.resolve())
    except ValueError:
        return
    if cache.exists() and inside.parts:
        (staging / inside).parent.mkdir(parents=True, exist_ok=True)
        cache.rename(staging / inside)


def _swap_in(staging: Path, output: Path) -> None:
    """Replace ``output`` by ``staging``: old aside, new in, old deleted (two renames)."""
    aside = output.with_name(f"{output.name}.replaced-{os.getpid()}")
    had_output = output.exists()
    if had_output:
        output.rename(aside)
    try:
        staging.rename(output)
    except BaseException:
        if had_output:
            aside.rename(output)  # the previous output back in place
        raise
    shutil.rmtree(aside, ignore_errors=True)


def run_record(
    config: dict[str, Any], folder: Path, *, started: str, skipped: dict[str, str]
) -> str:
    """``run.json``: status, times, config digest, corpus checksum and versions of a run.

    The corpus checksum is the SHA-256 of ``tables/manifest.csv`` (each input file's
    SHA-256, status and reason), so two runs on the same inputs share it; the config digest
    is the SHA-256 of the config as sorted JSON. Times are UTC, ISO 8601.
    """
    from importlib import metadata as importlib_metadata

    manifest = folder / "tables" / "manifest.csv"
    versions = {"topiclab": __version__, "python": platform.python_version()}
    for package in ("numpy", "gensim", "scikit-learn", "pandas", "pyvi"):
        try:
            versions[package] = importlib_metadata.version(package)
        except importlib_metadata.PackageNotFoundError:
            versions[package] = "not installed"
    record = {
        "status": "complete",
        "started": started,
        "finished": _now(),
        "config_sha256": hashlib.sha256(
            json.dumps(config, sort_keys=True, ensure_ascii=False, default=str).encode("utf-8")
        ).hexdigest(),
        "corpus_sha256": hashlib.sha256(manifest.read_bytes()).hexdigest()
        if manifest.is_file()
        else None,
        "seed": config.get("seed"),
        "figures_not_drawn": dict(sorted(skipped.items())),
        "versions": versions,
    }
    return json.dumps(record, indent=1, ensure_ascii=False) + "\n"


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


# ------------------------------------------------------------------------------------ stages


def stage_ingest(config: dict[str, Any]):
    """Read the corpus (every input file lands in the manifest, included or not)."""
    from topiclab.corpus import load_corpus

    corpus_config = config["corpus"]
    logger.info("ingest: reading %s", corpus_config["path"])
    corpus = load_corpus(
        corpus_config["path"],
        metadata=corpus_config["metadata"],
        text_column=corpus_config["text_column"],
        near_duplicate_threshold=corpus_config["near_duplicate_threshold"],
        min_words=corpus_config["min_words"],
        language=corpus_config["language"],
        max_bytes=corpus_config["max_bytes"],
    )
    logger.info("ingest: %d documents", len(corpus.documents))
    if corpus.documents.empty:
        raise ValueError(f"no document could be read from {corpus_config['path']}; see manifest")
    return corpus


def stage_units(documents: pd.DataFrame, config: dict[str, Any]) -> pd.DataFrame:
    """Split documents into analysis units (``units.unit``)."""
    from topiclab.corpus import make_units

    unit_config = config["units"]
    units = make_units(
        documents,
        unit=unit_config["unit"],
        min_tokens=unit_config["min_tokens"],
        window_sentences=unit_config["window_sentences"],
    )
    logger.info("units: %d %s units", len(units), unit_config["unit"])
    return units.reset_index(drop=True)


def stage_tokens(units: pd.DataFrame, config: dict[str, Any]) -> list[list[str]]:
    """Tokenize every unit; the preprocessor caches tokens under ``<cache>/tokens``.

    The preprocessor adds the ``tokens/`` level itself, so it is given the cache root.
    """
    from topiclab.parallel import parallel_backend, scheduler_from_config
    from topiclab.preprocess import Preprocessor

    # Every key of the section is a Preprocessor option (topiclab.settings checked them);
    # only where it runs is decided here.
    options = dict(config["preprocess"])
    n_jobs, backend = options.pop("n_jobs"), options.pop("backend")
    cache = Path(config["cache"]) if config.get("cache") else None
    # parallel.scheduler moves the map onto a Dask cluster; the tokens stay the same.
    scheduler = scheduler_from_config(config)
    with parallel_backend(scheduler, n_jobs=n_jobs) as where:
        preprocessor = Preprocessor(
            **options,
            n_jobs=where.n_jobs,
            backend=where.backend if scheduler else backend,
            cache_dir=cache,
            progress=None,  # a bar over the units on a terminal only
        )
        tokens = preprocessor.transform(units["text"].tolist())
    logger.info(
        "tokens: %d units (%d segmented, %d from cache)",
        len(tokens),
        preprocessor.n_segmented_,
        preprocessor.n_cached_,
    )
    return tokens


def stage_vectorize(tokens: list[list[str]], config: dict[str, Any]):
    """Vocabulary and BoW / TF-IDF matrices; removed terms and empty units are logged.

    Cached under ``<cache>/vectorized/<key>`` keyed by the tokens, the filter settings and
    the topiclab version.
    """
    from topiclab.vectorize import vectorize

    settings = {key: config["vectorize"][key] for key in ("no_below", "no_above", "keep_n")}
    digest = hashlib.sha256(_tokens_digest(tokens).encode("ascii"))
    code = {"code": cachefiles.code_digest("vectorize"), **_libraries("gensim", "scipy")}
    digest.update(json.dumps({**settings, **code, "version": __version__}, sort_keys=True).encode())
    cached = _cache_dir(config, "vectorized", digest.hexdigest()[:32])
    vectorized = cachefiles.load_folder(cached, _load_vectorized, "vectorized corpus")
    if vectorized is not None:
        logger.info("vectorize: from cache %s", cached)
    else:
        vectorized = vectorize(tokens, **settings)
        if cached is not None:
            _save_dir_atomically(cached, lambda folder: _save_vectorized(vectorized, folder))
    logger.info(
        "vectorize: %d terms kept, %d removed, %d empty units",
        len(vectorized.vocab),
        len(vectorized.removed),
        len(vectorized.empty_units),
    )
    return vectorized


# Fits per (model, K) that measure stability: the first of the refits' seeds (fewer when
# themes.refits is smaller). All refits at every K would cost more than refitting the rest.
STABILITY_FITS = 3


def stage_model_selection(
    vectorized,
    tokens: list[list[str]],
    config: dict[str, Any],
    fits_out: dict[str, Any] | None = None,
    unit_ids: list[str] | None = None,
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Choose K per model: fixed by ``models.k``, or the best c_npmi over ``models.k_grid``.

    The fits of each (model, K) use the seeds and parameters of the refits
    (``seed + r`` for ``r < min(themes.refits, STABILITY_FITS)``), so the fits at the chosen
    K are the first refits: they go into ``fits_out`` (keyed by :func:`_fit_key`) and into the
    model cache, where :func:`stage_fit` finds them instead of fitting them again.

    Returns the model-selection table (with a ``selected`` column and a ``note`` saying how K
    was chosen) and the chosen K of each model.
    """
    names = list(config["models"]["names"])
    fixed = config["models"]["k"]
    if fixed is not None:
        k = int(fixed)
        logger.info("model selection: skipped, K=%d fixed by models.k", k)
        table = pd.DataFrame(
            {
                "model": names,
                "k": [k] * len(names),
                "selected": [True] * len(names),
                "note": [f"model selection skipped: K fixed to {k} by models.k (--k)"] * len(names),
            }
        )
        return table, dict.fromkeys(names, k)
    from topiclab.evaluate import select_k

    grid = [k for k in config["models"]["k_grid"] if k <= len(vectorized.vocab)]
    grid = [k for k in grid if k <= vectorized.n_units]
    seeds = seed_words(config)
    if seeds:
        grid = [k for k in grid if k >= len(seeds)]
    if not grid:
        raise ValueError(
            f"no K of models.k_grid {config['models']['k_grid']} fits {vectorized.n_units} units"
            + (f" with {len(seeds)} seeded themes (K must be at least that)" if seeds else "")
        )
    lda_params = _lda_params(config, vectorized.vocab)
    nmf_params = _nmf_params(config, vectorized.vocab)
    seed = int(config["seed"])
    fit_seeds = [seed + r for r in range(min(int(config["themes"]["refits"]), STABILITY_FITS))]
    key = _fit_key(
        vectorized,
        [],
        "select_k:" + ",".join(names),
        len(grid),
        # coherence is computed over the tokens, not only the filtered counts
        {
            "grid": grid,
            "lda": lda_params,
            "nmf": nmf_params,
            "tokens": _tokens_digest(tokens),
            "seeds": fit_seeds,
        },
        seed,
    )
    cached = _cache_dir(config, "selection", key)
    table = cachefiles.load_folder(
        cached, lambda folder: pd.read_csv(folder / "model_selection.csv"), "model selection"
    )
    table_from_cache = table
    if table is not None:
        logger.info("model selection: from cache %s", cached)
    else:
        logger.info("model selection: %s over K=%s", ",".join(names), grid)
        table, grid_fits = select_k(
            vectorized,
            tokens,
            k_grid=grid,
            models=names,
            seeds=fit_seeds,
            unit_ids=unit_ids,
            lda_params=lda_params,
            nmf_params=nmf_params,
            progress=None,  # a bar over the fits of the grid on a terminal only
            n_jobs=_fit_jobs(config),
            return_fits=True,
        )
        if cached is not None:
            _save_dir_atomically(
                cached,
                lambda folder: write_table(table, folder / "model_selection.csv", float_digits=17),
            )
    from topiclab.evaluate import CHOICE_NOTE, choose_k

    chosen = choose_k(table, names)
    if table_from_cache is None and unit_ids is not None:
        # the fits at the chosen K are the first refits; the rest of the grid is dropped
        params = {"lda": lda_params, "nmf": nmf_params}
        for name in names:
            for fit_seed, result in zip(fit_seeds, grid_fits[name, chosen[name]], strict=True):
                fit_key = _fit_key(vectorized, unit_ids, name, chosen[name], params[name], fit_seed)
                if fits_out is not None:
                    fits_out[fit_key] = result
                target = _cache_dir(config, "models", fit_key)
                if target is not None and not target.exists():
                    _save_atomically(result, target)
    table = table.assign(
        selected=[chosen[m] == k for m, k in zip(table["model"], table["k"], strict=True)],
        note=CHOICE_NOTE,
    )
    logger.info("model selection: chose %s", chosen)
    return table.reset_index(drop=True), chosen


def stage_fit(
    vectorized,
    units: pd.DataFrame,
    config: dict[str, Any],
    chosen: dict[str, int],
    prefit: dict[str, Any] | None = None,
) -> dict[str, list[Any]]:
    """Fit each model at its chosen K ``themes.refits`` times (seeds ``seed, seed + 1, ...``),
    reading and writing the result cache.

    A refit whose :func:`_fit_key` is in ``prefit`` (the fits of model selection at the
    chosen K, same seed and parameters) is taken from there, not fitted again.
    """
    from topiclab.evaluate import fit_topic_models
    from topiclab.models import TopicResult

    fits: dict[str, list[Any]] = {}
    unit_ids = units["unit_id"].astype(str).tolist()
    seed = int(config["seed"])
    n_refits = int(config["themes"]["refits"])
    if n_refits < 1:
        raise ValueError(f"themes.refits must be at least 1, got {n_refits}")
    for name in config["models"]["names"]:
        if name not in ("lda", "nmf"):
            raise ValueError(f"unknown model {name!r} in models.names; use lda and/or nmf")
        k = chosen[name]
        if name == "lda":
            params = _lda_params(config, vectorized.vocab)
        else:
            params = _nmf_params(config, vectorized.vocab)
        matrix = vectorized.bow if name == "lda" else vectorized.tfidf
        fits[name] = [None] * n_refits
        missing: list[tuple[int, Path | None]] = []
        for r in range(n_refits):
            key = _fit_key(vectorized, unit_ids, name, k, params, seed + r)
            cached = _cache_dir(config, "models", key)
            if prefit is not None and key in prefit:
                fits[name][r] = prefit[key]
                logger.info("fit: %s K=%d seed %d from model selection", name, k, seed + r)
                continue
            fits[name][r] = cachefiles.load_folder(cached, TopicResult.load, "fitted model")
            if fits[name][r] is not None:
                logger.info("fit: %s K=%d seed %d from cache %s", name, k, seed + r, cached)
            else:
                missing.append((r, cached))
        tasks = [
            (name, k, seed + r, matrix, vectorized.vocab, params, unit_ids) for r, _ in missing
        ]
        logger.info("fit: %s K=%d, %d refit(s) to fit", name, k, len(tasks))
        results = progress(
            fit_topic_models(tasks, n_jobs=_fit_jobs(config)),
            desc=f"refits {name} K={k}",
            total=len(tasks),
            unit="fit",
        )
        for (r, cached), result in zip(missing, results, strict=True):
            fits[name][r] = result
            if cached is not None:
                _save_atomically(result, cached)
    return fits


def _fit_jobs(config: dict[str, Any]) -> int:
    """Processes for model fits: ``models.n_jobs``, else ``preprocess.n_jobs``."""
    jobs = config["models"].get("n_jobs")
    return int(jobs if jobs is not None else config["preprocess"]["n_jobs"])


def stage_themes(fitted: Fitted, config: dict[str, Any]) -> dict[str, pd.DataFrame]:
    """Every theme table: topics, document topics and themes, prevalence, exemplars, ..."""
    from topiclab import themes

    settings = config["themes"]
    lexicon = themes.load_lexicon(settings["lexicon"])
    seed = int(config["seed"])
    floors = {"min_lift": float(settings["min_lift"]), "min_mass": float(settings["min_mass"])}
    units = share_units(fitted.units)
    seen = themes.weigh_units_by_tokens_seen(units, fitted.vectorized.bow)
    averaged, replicates = [], []
    for fits in fitted.refits.values():
        per_fit = [themes.theme_shares(r, lexicon, seen, **floors) for r in fits]
        averaged.append(themes.mean_of_refits(per_fit))
        for r, shares in enumerate(per_fit):
            replicates.append(themes.document_shares(shares).assign(replicate=r))
    dictionary = themes.lexicon_shares(fitted.tokens, lexicon, units)
    averaged.append(dictionary)
    replicates.append(themes.document_shares(dictionary).assign(replicate=0))
    stacked_units = pd.concat(averaged, ignore_index=True)
    documents = themes.document_shares(stacked_units)
    out: dict[str, pd.DataFrame] = {
        "topics": topics_table(
            fitted.results, fitted.tokens, fitted.vectorized.dictionary, lexicon, **floors
        ),
        "document_topics": document_topics_table(
            fitted.results, fitted.units, fitted.vectorized.bow
        ),
        "document_themes": documents,
    }
    stacked_replicates = themes.stack_replicates(replicates)
    for by in ("locality", "year"):
        logger.info("themes: comparing by %s (%d resamples)", by, settings["n_boot"])
        out[f"theme_prevalence_by_{by}"] = themes.compare(
            stacked_replicates,
            by=by,
            n_boot=int(settings["n_boot"]),
            random_state=seed,
            min_group_size=int(settings["min_group_size"]),
            themes=[*lexicon.ids, themes.OTHER],
        )
    out["exemplars"] = exemplars_table(stacked_units, fitted.units, fitted.tokens, lexicon)
    out["alignment"] = alignment_table(fitted.results)
    out["agreement"] = themes.agreement(documents)
    out["lexicon_coverage"] = themes.lexicon_coverage(stacked_units)
    if note := themes.coverage_note(out["lexicon_coverage"]):
        logger.warning("themes: %s", note)
    out["label_sensitivity"] = themes.label_sensitivity(fitted.refits, seen, lexicon, **floors)
    return out


def seed_words(config: dict[str, Any], model: str = "lda") -> dict[str, list[str]] | None:
    """Seed words of ``model``: ``models.lda.seed_words``, or, when ``themes.seed_models`` is
    on, the lexicon's terms of weight at least ``themes.seed_min_weight`` (one number, or one
    per model: ``{lda: 3, nmf: 2}``)."""
    explicit = config["models"]["lda"].get("seed_words")
    if explicit:
        return dict(explicit)
    if not config["themes"]["seed_models"]:
        return None
    from topiclab.themes import load_lexicon

    lexicon = load_lexicon(config["themes"]["lexicon"])
    floor = config["themes"]["seed_min_weight"]
    if isinstance(floor, dict):
        if model not in floor:
            raise KeyError(f"themes.seed_min_weight has no entry for {model!r}: {floor}")
        floor = floor[model]
    return lexicon.seed_words(float(floor))


# ------------------------------------------------------------------------------------ helpers


def _lda_params(config: dict[str, Any], vocab: list[str] | None = None) -> dict[str, Any]:
    params = {k: v for k, v in dict(config["models"]["lda"]).items() if v is not None}
    seeds = _seeds_in_vocab(config, vocab, "lda")
    if seeds:
        params["seed_words"] = seeds
    return params


def _nmf_params(config: dict[str, Any], vocab: list[str] | None = None) -> dict[str, Any]:
    params = {k: v for k, v in dict(config["models"]["nmf"]).items() if v is not None}
    seeds = _seeds_in_vocab(config, vocab, "nmf")
    if seeds:
        params["seed_words"] = seeds
        # coordinate descent lets seeded topics drift off their seeds; "mu" cannot
        params.setdefault("solver", "mu")
    return params


def _seeds_in_vocab(
    config: dict[str, Any], vocab: list[str] | None, model: str
) -> dict[str, list[str]]:
    """Seed words, restricted to the vocabulary when seeds come from the lexicon.

    The lexicon lists a phrase both joined and as its parts, so some forms are always absent;
    they are logged here rather than warned about on every fit. Explicit
    ``models.lda.seed_words`` are passed through untouched (the models warn about them).
    """
    seeds = seed_words(config, model)
    if not seeds or vocab is None or config["models"]["lda"].get("seed_words"):
        return seeds or {}
    known = set(vocab)
    kept = {theme: [w for w in words if w in known] for theme, words in seeds.items()}
    absent = sum(len(words) for words in seeds.values()) - sum(map(len, kept.values()))
    empty = [theme for theme, words in kept.items() if not words]
    if empty:
        logger.warning("seeding: no seed word of %s is in the vocabulary; not seeded", empty)
        kept = {theme: words for theme, words in kept.items() if words}
    logger.info("seeding: %d lexicon seed words are not in the vocabulary", absent)
    return kept


def _libraries(*names: str) -> dict[str, Any]:
    return {"libraries": cachefiles.library_versions(*names)}


def _tokens_digest(tokens: list[list[str]]) -> str:
    digest = hashlib.sha256()
    for unit_tokens in tokens:
        digest.update("\x1f".join(unit_tokens).encode("utf-8") + b"\x1e")
    return digest.hexdigest()


def _fit_key(vectorized, unit_ids, name: str, k: int, params: dict, seed: int) -> str:
    """Cache key of a fit: everything that decides its numbers.

    The counts and TF-IDF weights (NMF fits the latter), vocabulary, unit ids, model, K,
    parameters, seed, the topiclab version, the source of the model code (a checkout's
    version does not change with every edit) and the versions of the fitting libraries.
    """
    from topiclab.models._base import FIT_REVISION

    digest = hashlib.sha256()
    for matrix in (vectorized.bow, vectorized.tfidf):
        matrix = matrix.tocsr()
        for array in (matrix.data, matrix.indices, matrix.indptr):
            digest.update(np.ascontiguousarray(array).tobytes())
            digest.update(b"\x1e")
    description = {
        "vocab": list(vectorized.vocab),
        "unit_ids": list(unit_ids),
        "model": name,
        "k": k,
        "params": params,
        "seed": seed,
        "version": __version__,
        "code": cachefiles.code_digest("models", "evaluate", "vectorize"),
        **_libraries("gensim", "scikit-learn", "numpy", "scipy", "tomotopy"),
        "fit_revision": FIT_REVISION,
    }
    digest.update(json.dumps(description, sort_keys=True, ensure_ascii=False).encode("utf-8"))
    return digest.hexdigest()[:32]


def _cache_dir(config: dict[str, Any], kind: str, key: str) -> Path | None:
    if not config.get("cache"):
        return None
    return Path(config["cache"]) / kind / key


def _save_vectorized(vectorized, folder: Path) -> None:
    """Open formats: sparse matrices as NPZ, vocabulary and settings as JSON, the removed
    terms as CSV, the dictionary as gensim's sorted text format."""
    from scipy import sparse

    sparse.save_npz(folder / "bow.npz", vectorized.bow.tocsr())
    sparse.save_npz(folder / "tfidf.npz", vectorized.tfidf.tocsr())
    write_table(vectorized.removed, folder / "removed.csv", float_digits=17)
    vectorized.dictionary.save_as_text(str(folder / "dictionary.txt"), sort_by_word=True)
    meta = {
        "vocab": list(vectorized.vocab),
        "empty_units": [int(i) for i in vectorized.empty_units],
        "params": vectorized.params,
    }
    (folder / "meta.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")


def _load_vectorized(folder: Path):
    from gensim.corpora import Dictionary
    from scipy import sparse

    from topiclab.vectorize import VectorizedCorpus

    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    removed = pd.read_csv(folder / "removed.csv", keep_default_na=False)
    return VectorizedCorpus(
        vocab=meta["vocab"],
        bow=sparse.load_npz(folder / "bow.npz").tocsr(),
        tfidf=sparse.load_npz(folder / "tfidf.npz").tocsr(),
        dictionary=Dictionary.load_from_text(str(folder / "dictionary.txt")),
        removed=removed,
        empty_units=meta["empty_units"],
        params=meta["params"],
    )


def _save_atomically(result, target: Path) -> None:
    """Save a TopicResult into ``target`` atomically."""
    _save_dir_atomically(target, result.save)


def _save_dir_atomically(target: Path, save) -> None:
    """Call ``save(folder)`` on a temporary folder next to ``target``, then rename it.

    The checksums of its files (:func:`topiclab.cachefiles.seal_folder`) are written last,
    so a folder whose checksums match is complete."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}."))
    try:
        save(staging)
        cachefiles.seal_folder(staging)
        try:
            staging.rename(target)
        except OSError:
            # another run cached the same fit meanwhile; its copy is identical
            shutil.rmtree(staging, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
