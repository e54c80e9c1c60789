"""The paper pipeline: run the stages named by a config and write every output.

Each stage is a small function over plain data that calls the library; this module only
orders the stages, caches the expensive ones and decides where their outputs go. Every table
goes to ``<output>/tables/`` through :func:`topiclab.io.write_table` (atomic, reproducible),
by way of a staging folder that replaces the output as a whole when the run has finished
(see :func:`run`); ``run.json`` records the run. Each stage shows a progress bar on a
terminal and logs the library warnings it raised once, with their count
(:mod:`topiclab.progress`).

Stages: ingest -> units -> tokens -> vectorize -> model selection -> fit -> themes -> figures,
through the on-disk stores of :mod:`topiclab.stream` (DocumentStore -> TokenStore ->
BowStore, in ``<output>.stores-<pid>``): memory holds one chunk of texts or tokens, the units
table without texts, the sparse TF-IDF matrix and the first fit of each model. :func:`run`
validates the config once and gives each stage its own sections of the settings. Every
cached stage goes through the one stage cache (:class:`topiclab.cache.StageCache`): the
preprocessor's tokens, the figure stage and the fitted models, so a second run with the
same inputs refits nothing. The analysis rules the stages apply live in their rooms
(:mod:`topiclab.themes`, :mod:`topiclab.tables`, :func:`topiclab.evaluate.choose_k`).

This package, one concern a module:

- ``__init__``: :func:`run` and the order of its stages; a notebook's view of the same
  stages in memory (:func:`prepare`, :func:`select_models`, :func:`fit_models`,
  :func:`theme_tables`);
- ``_output``: the output set (staging folder, leftovers of killed runs, the swap into
  place, ``run.json``, :func:`check_output`);
- ``_stages``: ingest, units, tokens and vectorize, over the stores and in memory;
- ``_fits``: model selection and the refits at the chosen K (:class:`Fitted`, anchor words,
  model parameters);
- ``_themes``: the theme tables;
- ``_keys``: the stage-cache keys of the tokens and of the fits.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from topiclab.io import atomic_write_text, write_table

# `name as name`: importable from here as before the split into modules (tests, benchmarks)
from topiclab.pipeline._fits import STABILITY_FITS as STABILITY_FITS
from topiclab.pipeline._fits import (
    Fitted,
    _FitSettings,
    _stability_at_chosen_k,
    _stage_fit,
    _stage_model_selection,
)
from topiclab.pipeline._fits import SavedFit as SavedFit
from topiclab.pipeline._fits import _lda_params as _lda_params
from topiclab.pipeline._fits import _nmf_params as _nmf_params
from topiclab.pipeline._fits import anchor_words as anchor_words
from topiclab.pipeline._keys import _counts_digest as _counts_digest
from topiclab.pipeline._keys import _model_key as _model_key
from topiclab.pipeline._keys import _stage_cache as _stage_cache
from topiclab.pipeline._output import (
    RUN_RECORD,
    _carry_cache,
    _make_staging,
    _now,
    _swap_in,
    check_output,
    run_record,
)
from topiclab.pipeline._output import _clean_leftovers as _clean_leftovers
from topiclab.pipeline._stages import (
    _bow_store,
    _document_metadata,
    _ingest_store,
    _stage_ingest,
    _stage_tokens,
    _stage_units,
    _stage_vectorize,
    _token_store,
    _unit_ids,
    _units_frame,
    _write_corpus_tables,
    _write_units_table,
)
from topiclab.pipeline._themes import _stage_effects, _stage_themes
from topiclab.progress import summarised_warnings
from topiclab.settings import Settings

logger = logging.getLogger(__name__)

__all__ = [
    "CHUNK_SIZE",
    "RUN_RECORD",
    "STABILITY_FITS",
    "TABLES",
    "Fitted",
    "Prepared",
    "SavedFit",
    "anchor_words",
    "check_output",
    "fit_models",
    "prepare",
    "run",
    "run_record",
    "select_models",
    "theme_tables",
]

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
    "theme_effects.csv",
    "exemplars.csv",
    "alignment.csv",
    "agreement.csv",
    "lexicon_coverage.csv",
    "label_sensitivity.csv",
)


#: documents per chunk of the run's stores: memory holds one chunk of texts or tokens
CHUNK_SIZE = 1000


def run(config: dict[str, Any], *, chunk_size: int | None = None) -> list[Path]:
    """Run the pipeline described by ``config`` (see :func:`topiclab.load_config`).

    The run writes into a staging folder next to ``config["output"]``
    (``<output>.staging-<pid>``, same file system) and swaps it in only when every stage
    has finished: the output folder then holds exactly this run's files (tables, figures,
    README.md, ENVIRONMENT.txt, run.json), and a run that fails or is killed leaves the
    previous output as it was. The run owns the whole output folder: a folder holding files
    topiclab did not write is refused rather than replaced. The documents, tokens and counts
    go through on-disk stores (:mod:`topiclab.stream`) in ``<output>.stores-<pid>``, read
    ``chunk_size`` documents at a time (default :data:`CHUNK_SIZE`) and deleted at the end;
    the tables do not depend on the chunk size.

    Returns
    -------
    list of Path
        Every file written (under the output folder), in the order written.
    """
    from topiclab.preflight import preflight

    # the whole config and every path it names are checked before the first expensive step,
    # also for a config built in Python (a notebook) rather than by the CLI; the stages get
    # their sections of these settings, validated once here
    settings = preflight(config)
    output = Path(config["output"])
    check_output(output, config.get("cache"))
    started = _now()
    staging = _make_staging(output)
    stores = output.with_name(f"{output.name}.stores-{os.getpid()}")
    try:
        with summarised_warnings("run"):
            written, skipped = _run_stages(
                config, settings, staging, stores, chunk_size=chunk_size or CHUNK_SIZE
            )
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
    finally:
        shutil.rmtree(stores, ignore_errors=True)
    logger.info("run: %d files in %s", len(written), output)
    return [output / path.relative_to(staging) for path in written]


def _run_stages(
    config: dict[str, Any],
    settings: Settings,
    folder: Path,
    stores: Path,
    *,
    chunk_size: int = CHUNK_SIZE,
) -> tuple[list[Path], dict[str, str]]:
    """Every stage, writing into ``folder`` (its stores in ``stores``); returns the files
    and the figures not drawn. Each stage gets its sections of ``settings``; the figure
    stage also reads ``config``, because ENVIRONMENT.txt records the whole configuration."""
    s = settings
    tables = folder / "tables"
    written: list[Path] = []
    with summarised_warnings("ingest"):
        documents = _ingest_store(s.corpus, stores, chunk_size)
    written += _write_corpus_tables(documents, tables)
    with summarised_warnings("tokens"):
        tokens = _token_store(documents, s.units, s.preprocess, s.parallel, s.cache, stores)
    _release_workers()
    written.append(_write_units_table(tokens, tables / "units.csv"))
    with summarised_warnings("vectorize"):
        vectorized = _bow_store(tokens, s.vectorize, stores)
    fitting = _FitSettings.of(s)
    # The fits need only the units' ids. The units table (ids and metadata: 130 MB at 80,000
    # articles) is read from the token store after them, so that this process does not hold
    # it while it fits models beside its workers, the largest step of a run.
    unit_ids = _unit_ids(tokens)
    selected: dict[str, Any] = {}  # the fits of selection at the chosen K: the first refits
    with summarised_warnings("model selection"):
        selection, chosen = _stage_model_selection(vectorized, tokens, fitting, selected, unit_ids)
    with summarised_warnings("fit"):
        refits = _stage_fit(vectorized, unit_ids, fitting, chosen, selected, spill=stores / "fits")
    selected.clear()
    selection = _stability_at_chosen_k(selection, refits)
    written.append(write_table(selection, tables / "model_selection.csv"))
    _release_workers()
    fitted = Fitted(units=_units_frame(tokens), tokens=tokens, vectorized=vectorized, refits=refits)
    fitted.unit_ids = unit_ids  # the list the fits hold, not a copy of every id
    with summarised_warnings("themes"):
        frames = _stage_themes(fitted, s.themes, seed=s.seed)
    for name, frame in frames.items():
        written.append(write_table(frame, tables / f"{name}.csv"))
    del frames  # the later stages read what they need from the tables written
    with summarised_warnings("effects"):  # themes.effects: regressions on the metadata
        effects = _stage_effects(fitted, _document_metadata(documents), s.themes, seed=s.seed)
    written.append(write_table(effects, tables / "theme_effects.csv"))
    logger.info("wrote %d tables", len(written))
    from topiclab.figures import figure_stage

    skipped: dict[str, str] = {}
    with summarised_warnings("figures"):
        figures = figure_stage(fitted, config, folder=folder, skipped_out=skipped)
    return written + figures, skipped


# ------------------------------------------------------------- the workflow of a notebook


@dataclass
class Prepared:
    """A corpus read, split, tokenized and vectorized in memory (see :func:`prepare`)."""

    corpus: Any
    """The :class:`~topiclab.corpus.Corpus` (documents and manifest)."""
    units: pd.DataFrame
    """The units table, with the texts and each unit's number of tokens (``n_tokens``)."""
    tokens: list[list[str]]
    """The tokens of each unit."""
    vectorized: Any
    """The :class:`~topiclab.vectorize.VectorizedCorpus` of the tokens."""


def prepare(config: Mapping[str, Any] | Settings) -> Prepared:
    """Read, split, tokenize and vectorize the corpus of ``config`` in memory, as a run does.

    The notebook's view of the run's first stages: the same settings, the same cache, every
    object in memory (a run streams them through on-disk stores; the tables agree).

    Parameters
    ----------
    config : mapping or Settings
        A configuration as :func:`topiclab.load_config` builds it (validated here), or its
        :class:`~topiclab.settings.Settings`.

    Returns
    -------
    Prepared
    """
    s = _settings_of(config)
    corpus = _stage_ingest(s.corpus)
    units = _stage_units(corpus.documents, s.units)
    tokens = _stage_tokens(units, s.preprocess, s.parallel, s.cache)
    units = units.assign(n_tokens=[len(t) for t in tokens])  # as the run's units table
    vectorized = _stage_vectorize(tokens, s.vectorize, s.cache)
    return Prepared(corpus=corpus, units=units, tokens=tokens, vectorized=vectorized)


def select_models(
    prepared: Prepared, config: Mapping[str, Any] | Settings, fits_out: dict[str, Any] | None = None
) -> tuple[pd.DataFrame, dict[str, int]]:
    """The run's model selection on a :class:`Prepared` corpus: the selection table (with
    ``selected`` and ``note``) and the chosen K of each model (``models.k`` fixes it; else
    the best c_npmi over ``models.k_grid``, :func:`topiclab.evaluate.choose_k`).

    ``fits_out``, when given, receives the fits at the chosen K, which :func:`fit_models`
    then takes as the first refits instead of fitting them again.
    """
    unit_ids = prepared.units["unit_id"].astype(str).tolist()
    return _stage_model_selection(
        prepared.vectorized,
        prepared.tokens,
        _FitSettings.of(_settings_of(config)),
        fits_out,
        unit_ids,
    )


def fit_models(
    prepared: Prepared,
    config: Mapping[str, Any] | Settings,
    chosen: dict[str, int],
    prefit: dict[str, Any] | None = None,
) -> Fitted:
    """Fit each model of ``config`` at its chosen K ``models.refits`` times, as a run does
    (the model cache is read and written); ``prefit`` is :func:`select_models`'s
    ``fits_out``."""
    unit_ids = prepared.units["unit_id"].astype(str).tolist()
    fitting = _FitSettings.of(_settings_of(config))
    refits = _stage_fit(prepared.vectorized, unit_ids, fitting, chosen, prefit)
    return Fitted(
        units=prepared.units,
        tokens=prepared.tokens,
        vectorized=prepared.vectorized,
        refits=refits,
    )


def theme_tables(fitted: Fitted, config: Mapping[str, Any] | Settings) -> dict[str, pd.DataFrame]:
    """Every theme table of a run (topics, document topics and themes, prevalence by
    locality and year, exemplars, alignment, agreement, lexicon coverage, label
    sensitivity), by table name without ``.csv``."""
    s = _settings_of(config)
    return _stage_themes(fitted, s.themes, seed=s.seed)


def _settings_of(config: Mapping[str, Any] | Settings) -> Settings:
    """``config`` validated (:func:`topiclab.settings.validate_config`), or the settings."""
    from topiclab.settings import validate_config

    return config if isinstance(config, Settings) else validate_config(config)


def _release_workers() -> None:
    """Stop joblib's idle worker processes (:func:`topiclab.parallel.release_workers`): the
    next stages do not need what they hold, and it would count in the memory of the run's
    process tree; a later stage starts new ones."""
    from topiclab.parallel import release_workers

    release_workers()
