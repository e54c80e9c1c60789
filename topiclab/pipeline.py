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
table without texts, the sparse TF-IDF matrix and the first fit of each model. The token
cache is the preprocessor's own (keyed by text and settings); fitted models are cached as
:class:`TopicResult` folders keyed by the vectorized corpus, the model's parameters, the seed and
the topiclab version, so a second run with the same inputs refits nothing. The analysis
rules the stages apply live in their rooms (:mod:`topiclab.themes`, :mod:`topiclab.tables`,
:func:`topiclab.evaluate.choose_k`).

Size: about 1,060 lines, of which the stages are half (the run's stages over the on-disk
stores, and their in-memory views that notebooks call); the rest is the output set (staging
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
from collections.abc import Iterator
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
    "theme_effects.csv",
    "exemplars.csv",
    "alignment.csv",
    "agreement.csv",
    "lexicon_coverage.csv",
    "label_sensitivity.csv",
)


@dataclass
class Fitted:
    """What the analysis stages need from the earlier ones.

    In a run, ``tokens`` is the :class:`~topiclab.stream.TokenStore` (read a chunk at a time),
    ``vectorized.bow`` the :class:`~topiclab.stream.BowStore` and ``units`` the units table
    without the texts; a notebook may give lists and matrices instead. A refit after the
    first of each model may be the folder it was saved to (:class:`SavedFit`): only the
    first fit of each model is held in memory, the others are read one at a time.
    """

    units: pd.DataFrame
    tokens: Any
    vectorized: Any
    refits: dict[str, list[Any]]

    @property
    def results(self) -> dict[str, Any]:
        """The first fit of each model (the one topics.csv and document_topics.csv show)."""
        return {name: _loaded(fits[0]) for name, fits in self.refits.items()}

    def each_refit(self, name: str) -> Iterator[Any]:
        """The refits of model ``name`` in seed order, read one at a time."""
        for fit in self.refits[name]:
            yield _loaded(fit)


@dataclass(frozen=True)
class SavedFit:
    """A fitted :class:`~topiclab.models.TopicResult` kept on disk, read when needed."""

    folder: Path

    def load(self):
        from topiclab.models import TopicResult

        return TopicResult.load(self.folder)


def _loaded(fit: Any) -> Any:
    return fit.load() if isinstance(fit, SavedFit) else fit


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
    # also for a config built in Python (a notebook) rather than by the CLI
    preflight(config)
    output = Path(config["output"])
    check_output(output, config.get("cache"))
    started = _now()
    staging = _make_staging(output)
    stores = output.with_name(f"{output.name}.stores-{os.getpid()}")
    try:
        with summarised_warnings("run"):
            written, skipped = _run_stages(
                config, staging, stores, chunk_size=chunk_size or CHUNK_SIZE
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
    config: dict[str, Any], folder: Path, stores: Path, *, chunk_size: int = CHUNK_SIZE
) -> tuple[list[Path], dict[str, str]]:
    """Every stage, writing into ``folder`` (its stores in ``stores``); returns the files
    and the figures not drawn."""
    tables = folder / "tables"
    written: list[Path] = []
    with summarised_warnings("ingest"):
        documents = _ingest_store(config, stores, chunk_size)
    written += _write_corpus_tables(documents, tables)
    with summarised_warnings("tokens"):
        tokens = _token_store(documents, config, stores)
    _release_workers()
    units = _units_frame(tokens)
    written.append(_write_units_table(tokens, tables / "units.csv"))
    with summarised_warnings("vectorize"):
        vectorized = _bow_store(tokens, config, stores)
    selected: dict[str, Any] = {}  # the fits of selection at the chosen K: the first refits
    with summarised_warnings("model selection"):
        selection, chosen = stage_model_selection(
            vectorized, tokens, config, selected, units["unit_id"].astype(str).tolist()
        )
    with summarised_warnings("fit"):
        refits = stage_fit(vectorized, units, config, chosen, selected, spill=stores / "fits")
    selected.clear()
    selection = _stability_at_chosen_k(selection, refits)
    written.append(write_table(selection, tables / "model_selection.csv"))
    _release_workers()
    fitted = Fitted(units=units, tokens=tokens, vectorized=vectorized, refits=refits)
    with summarised_warnings("themes"):
        theme_tables = stage_themes(fitted, config)
    for name, frame in theme_tables.items():
        written.append(write_table(frame, tables / f"{name}.csv"))
    from topiclab.themes.effects_run import run_theme_effects

    with summarised_warnings("effects"):  # themes.effects: regressions on the metadata
        effects = run_theme_effects(fitted, _document_metadata(documents), config)
    written.append(write_table(effects, tables / "theme_effects.csv"))
    logger.info("wrote %d tables", len(written))
    from topiclab.figures import figure_stage

    skipped: dict[str, str] = {}
    with summarised_warnings("figures"):
        figures = figure_stage(fitted, config, folder=folder, skipped_out=skipped)
    return written + figures, skipped


def _release_workers() -> None:
    """Stop joblib's idle worker processes (loky keeps them for minutes to reuse them): each
    holds the libraries and what its last task left, which the next stages do not need and
    which would count in the memory of the run's process tree; a later stage starts new
    ones."""
    from joblib.externals.loky import get_reusable_executor

    from topiclab.memory import release_memory

    get_reusable_executor().shutdown(wait=True)
    release_memory()  # and what the finished stage freed in this process


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
    """Remove the staging and store folders of killed runs; put back an output a killed swap
    set aside.

    A run killed between its two renames leaves the previous output as
    ``<output>.replaced-<pid>`` and no ``<output>``: that folder is the last complete output.
    """
    for leftover in sorted(output.parent.glob(f"{glob.escape(output.name)}.*-*")):
        kind, _, pid = leftover.name[len(output.name) + 1 :].rpartition("-")
        if kind not in ("staging", "replaced", "stores") or not pid.isdigit() or _alive(int(pid)):
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
    """Tokenize every unit in memory (the run tokenizes a store: :func:`_token_store`);
    the preprocessor caches tokens under ``<cache>/tokens``."""
    from topiclab.parallel import parallel_backend, scheduler_from_config

    # parallel.scheduler moves the map onto a Dask cluster; the tokens stay the same.
    with parallel_backend(scheduler_from_config(config), n_jobs=_token_jobs(config)) as where:
        preprocessor = _preprocessor(config, where)
        tokens = preprocessor.transform(units["text"].tolist())
    logger.info(
        "tokens: %d units (%d segmented, %d from cache)",
        len(tokens),
        preprocessor.n_segmented_,
        preprocessor.n_cached_,
    )
    return tokens


def _token_jobs(config: dict[str, Any]) -> int:
    return int(config["parallel"]["n_jobs"])


def _preprocessor(config: dict[str, Any], where: Any):
    """The run's :class:`~topiclab.Preprocessor`: every key of the ``preprocess`` section is
    one of its options (topiclab.settings checked them); ``where`` (a parallel backend)
    decides only where it runs. It caches tokens under ``<cache>/tokens`` (it adds the
    ``tokens/`` level itself, so it is given the cache root)."""
    from topiclab.parallel import scheduler_from_config
    from topiclab.preprocess import Preprocessor

    options = dict(config["preprocess"])
    options.pop("n_jobs", None)
    backend = options.pop("backend")
    return Preprocessor(
        **options,
        n_jobs=where.n_jobs,
        backend=where.backend if scheduler_from_config(config) else backend,
        cache_dir=Path(config["cache"]) if config.get("cache") else None,
        progress=None,  # a bar over the units on a terminal only
    )


# ----------------------------------------------------------------- the run's stages on disk


def _ingest_store(config: dict[str, Any], root: Path, chunk_size: int):
    """Read the corpus into a :class:`~topiclab.stream.DocumentStore`, ``chunk_size``
    documents a file (every input file lands in the manifest, included or not)."""
    from topiclab.stream import DocumentStream, ingest

    corpus_config = config["corpus"]
    logger.info("ingest: reading %s", corpus_config["path"])
    stream = DocumentStream(
        corpus_config["path"],
        corpus_config["metadata"],
        text_column=corpus_config["text_column"],
        near_duplicate_threshold=corpus_config["near_duplicate_threshold"],
        min_words=corpus_config["min_words"],
        language=corpus_config["language"],
        max_bytes=corpus_config["max_bytes"],
    )
    documents = ingest(stream, root, chunk_size=chunk_size)
    logger.info("ingest: %d documents", len(documents))
    if len(documents) == 0:
        raise ValueError(f"no document could be read from {corpus_config['path']}; see manifest")
    return documents


def _document_metadata(documents) -> pd.DataFrame:
    """The documents of a store without their texts: the metadata the effects regress on."""
    frames = [
        frame.drop(columns=[c for c in ("text", "captions") if c in frame.columns])
        for frame in documents.frames()
    ]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def _write_corpus_tables(documents, tables: Path) -> list[Path]:
    """manifest.csv and documents.csv, the latter one chunk of documents at a time."""
    manifest = write_table(documents.manifest, tables / "manifest.csv")
    # every chunk is written with the columns of the whole corpus (a metadata column may be
    # absent from some chunks), as load_corpus's documents table has them
    from topiclab.corpus.reader import DOCUMENT_COLUMNS

    seen: dict[str, None] = {}
    for frame in documents.frames():
        seen.update(dict.fromkeys(frame.columns))
    # load_corpus's order: its own columns, then the other metadata sorted by name
    columns = [*DOCUMENT_COLUMNS, *sorted(c for c in seen if c not in DOCUMENT_COLUMNS)]
    return [
        manifest,
        _write_table_chunks(
            _with_columns(documents.frames(), list(columns)), tables / "documents.csv"
        ),
    ]


def _with_columns(frames: Iterator[pd.DataFrame], columns: list[str]) -> Iterator[pd.DataFrame]:
    for frame in frames:
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            frame = frame.assign(**dict.fromkeys(missing, "")).astype(dict.fromkeys(missing, "str"))
        yield frame[columns]


def _write_table_chunks(frames: Iterator[pd.DataFrame], path: Path) -> Path:
    """:func:`topiclab.io.write_table` of the frames stacked, written one frame at a time
    (the same bytes as the whole table, atomically)."""
    from topiclab.io import atomic_write

    def write(target: Path) -> None:
        with open(target, "w", encoding="utf-8", newline="") as handle:
            for index, frame in enumerate(frames):
                handle.write(
                    frame.to_csv(
                        index=False, header=index == 0, lineterminator="\n", float_format="%.6g"
                    )
                )

    return atomic_write(path, write)


def _token_store(documents, config: dict[str, Any], root: Path):
    """Split each chunk of documents into units (``units.unit``) and tokenize them into a
    :class:`~topiclab.stream.TokenStore`; tokens are cached by the preprocessor."""
    from topiclab.parallel import parallel_backend, scheduler_from_config
    from topiclab.stream import preprocess_store

    unit_config = config["units"]
    with parallel_backend(scheduler_from_config(config), n_jobs=_token_jobs(config)) as where:
        preprocessor = _preprocessor(config, where)
        tokens = preprocess_store(
            documents,
            root,
            preprocessor,
            unit=unit_config["unit"],
            min_tokens=unit_config["min_tokens"],
            window_sentences=unit_config["window_sentences"],
        )
    logger.info(
        "tokens: %d %s units (%d segmented, %d from cache)",
        len(tokens),
        unit_config["unit"],
        preprocessor.n_segmented_,
        preprocessor.n_cached_,
    )
    if len(tokens) == 0:
        raise ValueError("no unit left after splitting the documents; see units.min_tokens")
    return tokens


#: unit columns of free text left on disk: the units table in memory is ids and metadata
_TEXT_COLUMNS = ("text", "title", "captions", "notes", "url", "file", "credit", "author")


def _units_frame(tokens) -> pd.DataFrame:
    """The units table without its texts (ids, metadata, ``n_tokens``), in token order;
    only the columns the analysis reads (:data:`topiclab.tables.ANALYSIS_UNIT_COLUMNS`)."""
    from topiclab.tables import ANALYSIS_UNIT_COLUMNS

    frames = list(tokens.unit_chunks(ANALYSIS_UNIT_COLUMNS))
    columns = list(dict.fromkeys(c for f in frames for c in f.columns if c not in _TEXT_COLUMNS))
    return pd.concat(_with_columns(iter(frames), columns), ignore_index=True)


def _write_units_table(tokens, path: Path) -> Path:
    """units.csv (with the texts), one chunk of units at a time."""

    def frames() -> Iterator[pd.DataFrame]:
        for units, texts in zip(tokens.unit_chunks(), tokens.texts(), strict=True):
            yield units_table(units.assign(text=texts))

    return _write_table_chunks(frames(), path)


def _bow_store(tokens, config: dict[str, Any], root: Path):
    """The vocabulary and the counts of a token store (:func:`topiclab.stream.vectorize_store`),
    as a VectorizedCorpus whose ``bow`` is the :class:`~topiclab.stream.BowStore`."""
    from topiclab.memory import release_memory
    from topiclab.stream import stored_vectorized, vectorize_store

    settings = _vectorize_settings(config)
    vectorized = stored_vectorized(vectorize_store(tokens, root, **settings))
    release_memory()  # what the units table and the vocabulary's counting freed
    return _logged(vectorized)


def _vectorize_settings(config: dict[str, Any]) -> dict[str, Any]:
    return {key: config["vectorize"][key] for key in ("no_below", "no_above", "keep_n")}


def _logged(vectorized):
    """``vectorized``, its kept/removed terms and empty units logged."""
    logger.info(
        "vectorize: %d terms kept, %d removed, %d empty units",
        len(vectorized.vocab),
        len(vectorized.removed),
        len(vectorized.empty_units),
    )
    return vectorized


def stage_vectorize(tokens: list[list[str]], config: dict[str, Any]):
    """Vocabulary and BoW / TF-IDF matrices in memory (the run vectorizes a token store:
    :func:`_bow_store`); removed terms and empty units are logged.

    Cached under ``<cache>/vectorized/<key>`` keyed by the tokens, the filter settings and
    the topiclab version.
    """
    from topiclab.vectorize import VectorizedCorpus, vectorize

    settings = _vectorize_settings(config)
    digest = hashlib.sha256(_tokens_digest(tokens).encode("ascii"))
    code = {"code": cachefiles.code_digest("vectorize"), **_libraries("gensim", "scipy")}
    digest.update(json.dumps({**settings, **code, "version": __version__}, sort_keys=True).encode())
    cached = _cache_dir(config, "vectorized", digest.hexdigest()[:32])
    vectorized = cachefiles.load_folder(cached, VectorizedCorpus.load, "vectorized corpus")
    if vectorized is not None:
        logger.info("vectorize: from cache %s", cached)
    else:
        vectorized = vectorize(tokens, **settings)
        if cached is not None:
            _save_dir_atomically(cached, vectorized.save)
    return _logged(vectorized)


# Model selection fits each (model, K) models.selection_fits times, with the seeds and
# parameters of the first refits (seed + r), so its fits at the chosen K are those refits.
# The choice reads only the first fit's c_npmi. By default (selection_fits 1) stability is
# measured at the chosen K only, over its first STABILITY_FITS refits: the same fits, so the
# same value, as when every K was fitted STABILITY_FITS times, which tripled the cost of
# selection (benchmarks/results/run_cost.md); analysis.yaml keeps 3 for every K's stability.
STABILITY_FITS = 3
STABILITY_NOTE = f"; stability at the chosen K only, over its first {STABILITY_FITS} refits"


def stage_model_selection(
    vectorized,
    tokens: list[list[str]],
    config: dict[str, Any],
    fits_out: dict[str, Any] | None = None,
    unit_ids: list[str] | None = None,
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Choose K per model: fixed by ``models.k``, or the best c_npmi over ``models.k_grid``.

    The fits of each (model, K) use the seeds and parameters of the first refits (``seed + r``
    for ``r < min(models.refits, models.selection_fits)``), so the fits at the chosen K are
    the first refits: they go into ``fits_out`` (keyed by :func:`_fit_key`) and into the model
    cache, where :func:`stage_fit` finds them instead of fitting them again. With one fit per
    K the stability column is empty until :func:`_run_stages` fills it at the chosen K.

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
    n_fits = min(int(config["models"]["refits"]), int(config["models"]["selection_fits"]))
    fit_seeds = [seed + r for r in range(n_fits)]  # see STABILITY_FITS
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
        note=CHOICE_NOTE
        + (STABILITY_NOTE if n_fits == 1 < int(config["models"]["refits"]) else ""),
    )
    logger.info("model selection: chose %s", chosen)
    return table.reset_index(drop=True), chosen


def stage_fit(
    vectorized,
    units: pd.DataFrame,
    config: dict[str, Any],
    chosen: dict[str, int],
    prefit: dict[str, Any] | None = None,
    *,
    spill: Path | None = None,
) -> dict[str, list[Any]]:
    """Fit each model at its chosen K ``models.refits`` times (seeds ``seed, seed + 1, ...``),
    reading and writing the result cache.

    A refit whose :func:`_fit_key` is in ``prefit`` (the fits of model selection at the
    chosen K, same seed and parameters) is taken from there, not fitted again. LDA reads
    ``vectorized.bow`` (a matrix or a :class:`~topiclab.stream.BowStore`, read chunk by
    chunk in the worker), NMF the TF-IDF matrix.

    With ``spill`` (a folder), only the first fit of each model stays in memory: every
    other refit is a :class:`SavedFit` (its cache folder, or a folder under ``spill`` when
    there is no cache), read again one at a time by :meth:`Fitted.each_refit`, so the
    units' topic shares of ten fits are never in memory at once.
    """
    from topiclab.evaluate import fit_topic_models
    from topiclab.models import TopicResult

    fits: dict[str, list[Any]] = {}
    unit_ids = units["unit_id"].astype(str).tolist()
    seed = int(config["seed"])
    n_refits = int(config["models"]["refits"])
    if n_refits < 1:
        raise ValueError(f"models.refits must be at least 1, got {n_refits}")
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
            elif (
                loaded := cachefiles.load_folder(cached, TopicResult.load, "fitted model")
            ) is not None:
                fits[name][r] = loaded
                logger.info("fit: %s K=%d seed %d from cache %s", name, k, seed + r, cached)
            else:
                missing.append((r, cached))
                continue
            if r > 0 and spill is not None:
                fits[name][r] = _spilled(fits[name][r], cached, spill / f"{name}-{r}")
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
            if cached is not None:
                _save_atomically(result, cached)
            if r > 0 and spill is not None:
                result = _spilled(result, cached, spill / f"{name}-{r}")
            fits[name][r] = result
        del results
    return fits


def _spilled(result, cached: Path | None, folder: Path) -> SavedFit:
    """A fit as a :class:`SavedFit`: its cache folder when it has one, else ``folder``."""
    if cached is not None and cached.is_dir():
        return SavedFit(cached)
    if not folder.exists():
        _save_atomically(result, folder)
    return SavedFit(folder)


def _stability_at_chosen_k(table: pd.DataFrame, refits: dict[str, list[Any]]) -> pd.DataFrame:
    """The selection table with each model's stability at its chosen K, over the first
    ``STABILITY_FITS`` refits, where selection fitted it once (NaN with fewer than two refits;
    NaN at the other K)."""
    if "stability" not in table.columns:  # K fixed by models.k: no selection table
        return table
    from topiclab.evaluate import stability

    table = table.copy()
    for name, fits in refits.items():
        row = (table["model"] == name) & table["selected"] & table["stability"].isna()
        if len(fits[:STABILITY_FITS]) > 1 and row.any():
            table.loc[row, "stability"] = stability(
                [_loaded(fit) for fit in fits[:STABILITY_FITS]], 10
            )
    return table


def _fit_jobs(config: dict[str, Any]) -> int:
    """Processes for model fits: ``parallel.n_jobs``, as for tokenization."""
    return int(config["parallel"]["n_jobs"])


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
    for name in fitted.refits:
        # one refit's unit shares at a time: their running sum gives mean_of_refits
        mean = _RefitMean()
        for r, result in enumerate(fitted.each_refit(name)):
            shares = themes.theme_shares(result, lexicon, seen, **floors)
            del result
            replicates.append(themes.document_shares(shares).assign(replicate=r))
            mean.add(shares)
        averaged.append(mean.result())
    dictionary = themes.lexicon_shares(fitted.tokens, lexicon, units)
    averaged.append(dictionary)
    replicates.append(themes.document_shares(dictionary).assign(replicate=0))
    stacked_units = pd.concat(averaged, ignore_index=True)
    del averaged, dictionary  # the unit tables are in stacked_units now (one copy, not two)
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
    from topiclab.themes.refits import refit_sequences  # read one refit at a time

    refits = refit_sequences(fitted.refits)
    out["label_sensitivity"] = themes.label_sensitivity(refits, seen, lexicon, **floors)
    return out


class _RefitMean:
    """:func:`topiclab.themes.mean_of_refits` of unit share tables given one at a time: the
    first table with its share columns replaced by their mean (summed in refit order, then
    divided, as ``np.mean`` over the stacked tables does)."""

    def __init__(self) -> None:
        self.first: pd.DataFrame | None = None
        self.total: np.ndarray | None = None
        self.n = 0

    def add(self, shares: pd.DataFrame) -> None:
        from topiclab.themes import share_columns

        values = shares[share_columns(shares)].to_numpy(dtype=float)
        if self.first is None:
            self.first, self.total = shares, values.copy()
        else:
            self.total += values
        self.n += 1

    def result(self) -> pd.DataFrame:
        from topiclab.themes import share_columns

        if self.first is None:
            raise ValueError("no refit to average")
        if self.n == 1:
            return self.first
        mean = self.first.copy()
        mean[share_columns(mean)] = self.total / self.n
        return mean


def seed_words(config: dict[str, Any], model: str = "lda") -> dict[str, list[str]] | None:
    """Seed words of ``model``: ``models.lda.seed_words``, or, when ``models.seed_models`` is
    on, the lexicon's terms of weight at least ``models.seed_min_weight`` (one number, or one
    per model: ``{lda: 3, nmf: 2}``)."""
    explicit = config["models"]["lda"].get("seed_words")
    if explicit:
        return dict(explicit)
    if not config["models"]["seed_models"]:
        return None
    from topiclab.themes import load_lexicon

    lexicon = load_lexicon(config["themes"]["lexicon"])
    floor = config["models"]["seed_min_weight"]
    if isinstance(floor, dict):
        if model not in floor:
            raise KeyError(f"models.seed_min_weight has no entry for {model!r}: {floor}")
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
        _digest_counts(digest, matrix)
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


def _digest_counts(digest: Any, matrix: Any) -> None:
    """Feed a sparse matrix, or a :class:`~topiclab.stream.BowStore` chunk by chunk, into
    ``digest``: row lengths, column indices and values, so a matrix and a store of the same
    counts (in any chunks) give one key."""
    chunks = matrix.chunks() if hasattr(matrix, "chunks") else [matrix.tocsr()]
    parts: dict[str, Any] = {name: hashlib.sha256() for name in ("rows", "indices", "data")}
    for chunk in chunks:
        chunk = chunk.tocsr()
        parts["rows"].update(np.diff(chunk.indptr).astype(np.int64).tobytes())
        parts["indices"].update(np.ascontiguousarray(chunk.indices, dtype=np.int64).tobytes())
        parts["data"].update(np.ascontiguousarray(chunk.data, dtype=np.float64).tobytes())
    for part in parts.values():
        digest.update(part.digest())
    digest.update(b"\x1e")


def _cache_dir(config: dict[str, Any], kind: str, key: str) -> Path | None:
    if not config.get("cache"):
        return None
    return Path(config["cache"]) / kind / key


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
