"""The stages of a run from the corpus to the counts: ingest, units, tokens, vectorize.

Each stage takes its own sections of the validated :class:`~topiclab.settings.Settings`. The
run's stages go through the on-disk stores of :mod:`topiclab.stream` (one chunk of texts or
tokens in memory); the in-memory stages (``_stage_*``) are their views that
:func:`topiclab.pipeline.prepare` calls for a notebook.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from topiclab.io import write_table
from topiclab.pipeline._keys import _stage_cache, _tokens_digest
from topiclab.settings import (
    CorpusSettings,
    ParallelSettings,
    PreprocessSettings,
    UnitSettings,
    VectorizeSettings,
)
from topiclab.tables import units_table

logger = logging.getLogger("topiclab.pipeline")


# ------------------------------------------------------------------------------------ stages


def _reader_options(corpus: CorpusSettings) -> dict[str, Any]:
    """The reading options both ingest paths (in memory and the store) pass on unchanged."""
    return {
        "text_column": corpus.text_column,
        "near_duplicate_threshold": corpus.near_duplicate_threshold,
        "min_words": corpus.min_words,
        "language": corpus.language,
        "max_bytes": corpus.max_bytes,
    }


def _stage_ingest(corpus: CorpusSettings):
    """Read the corpus (every input file lands in the manifest, included or not)."""
    from topiclab.corpus import load_corpus

    logger.info("ingest: reading %s", corpus.path)
    loaded = load_corpus(corpus.path, metadata=corpus.metadata, **_reader_options(corpus))
    logger.info("ingest: %d documents", len(loaded.documents))
    if loaded.documents.empty:
        raise ValueError(f"no document could be read from {corpus.path}; see manifest")
    return loaded


def _stage_units(documents: pd.DataFrame, units: UnitSettings) -> pd.DataFrame:
    """Split documents into analysis units (``units.unit``)."""
    from topiclab.corpus import make_units

    frame = make_units(
        documents,
        unit=units.unit,
        min_tokens=units.min_tokens,
        window_sentences=units.window_sentences,
    )
    logger.info("units: %d %s units", len(frame), units.unit)
    return frame.reset_index(drop=True)


def _stage_tokens(
    units: pd.DataFrame,
    preprocess: PreprocessSettings,
    parallel: ParallelSettings,
    cache: str | None,
) -> list[list[str]]:
    """Tokenize every unit in memory (the run tokenizes a store: :func:`_token_store`);
    the preprocessor caches tokens under ``<cache>/tokens``."""
    from topiclab.parallel import parallel_backend

    # parallel.scheduler moves the map onto a Dask cluster; the tokens stay the same.
    with parallel_backend(_scheduler(parallel), n_jobs=parallel.n_jobs) as where:
        preprocessor = _preprocessor(preprocess, parallel, cache, where)
        tokens = preprocessor.transform(units["text"].tolist())
    logger.info(
        "tokens: %d units (%d segmented, %d from cache)",
        len(tokens),
        preprocessor.n_segmented_,
        preprocessor.n_cached_,
    )
    return tokens


def _scheduler(parallel: ParallelSettings) -> str | None:
    """The Dask scheduler ``parallel.scheduler`` names, or None (joblib on this machine)."""
    return parallel.scheduler.strip() if parallel.scheduler else None


def _preprocessor(
    preprocess: PreprocessSettings, parallel: ParallelSettings, cache: str | None, where: Any
):
    """The run's :class:`~topiclab.Preprocessor`: every key of the ``preprocess`` section is
    one of its options (topiclab.settings checked them); ``where`` (a parallel backend)
    decides only where it runs. It caches tokens under ``<cache>/tokens`` (it adds the
    ``tokens/`` level itself, so it is given the cache root)."""
    from topiclab.preprocess import Preprocessor

    options = preprocess.model_dump()
    backend = options.pop("backend")
    return Preprocessor(
        **options,
        n_jobs=where.n_jobs,
        backend=where.backend if _scheduler(parallel) else backend,
        cache_dir=Path(cache) if cache else None,
        progress=None,  # a bar over the units on a terminal only
    )


# ----------------------------------------------------------------- the run's stages on disk


def _ingest_store(corpus: CorpusSettings, root: Path, chunk_size: int):
    """Read the corpus into a :class:`~topiclab.stream.DocumentStore`, ``chunk_size``
    documents a file (every input file lands in the manifest, included or not)."""
    from topiclab.stream import DocumentStream, ingest

    logger.info("ingest: reading %s", corpus.path)
    stream = DocumentStream(corpus.path, corpus.metadata, **_reader_options(corpus))
    documents = ingest(stream, root, chunk_size=chunk_size)
    logger.info("ingest: %d documents", len(documents))
    if len(documents) == 0:
        raise ValueError(f"no document could be read from {corpus.path}; see manifest")
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


def _token_store(
    documents,
    units: UnitSettings,
    preprocess: PreprocessSettings,
    parallel: ParallelSettings,
    cache: str | None,
    root: Path,
):
    """Split each chunk of documents into units (``units.unit``) and tokenize them into a
    :class:`~topiclab.stream.TokenStore`; tokens are cached by the preprocessor."""
    from topiclab.parallel import parallel_backend
    from topiclab.stream import preprocess_store

    with parallel_backend(_scheduler(parallel), n_jobs=parallel.n_jobs) as where:
        preprocessor = _preprocessor(preprocess, parallel, cache, where)
        tokens = preprocess_store(
            documents,
            root,
            preprocessor,
            unit=units.unit,
            min_tokens=units.min_tokens,
            window_sentences=units.window_sentences,
        )
    # the store's totals over every chunk (the preprocessor counts its last chunk only)
    counts = tokens.counts()
    logger.info(
        "tokens: %d %s units, %d tokens (%d texts segmented, %d from cache)",
        counts["n_units"],
        units.unit,
        counts["n_tokens"],
        counts["n_segmented"],
        counts["n_cached"],
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


def _unit_ids(tokens) -> list[str]:
    """The id of every unit of a token store, in token order (only that column is read)."""
    return [
        unit_id
        for frame in tokens.unit_chunks(("unit_id",))
        for unit_id in frame["unit_id"].astype(str)
    ]


def _write_units_table(tokens, path: Path) -> Path:
    """units.csv (with the texts), one chunk of units at a time."""

    def frames() -> Iterator[pd.DataFrame]:
        for units, texts in zip(tokens.unit_chunks(), tokens.texts(), strict=True):
            yield units_table(units.assign(text=texts))

    return _write_table_chunks(frames(), path)


def _bow_store(tokens, vectorize: VectorizeSettings, root: Path):
    """The vocabulary and the counts of a token store (:func:`topiclab.stream.vectorize_store`),
    as a VectorizedCorpus whose ``bow`` is the :class:`~topiclab.stream.BowStore`."""
    from topiclab.memory import release_memory
    from topiclab.stream import stored_vectorized, vectorize_store

    vectorized = stored_vectorized(vectorize_store(tokens, root, **vectorize.model_dump()))
    release_memory()  # what the units table and the vocabulary's counting freed
    return _logged(vectorized)


def _logged(vectorized):
    """``vectorized``, its kept/removed terms and empty units logged."""
    logger.info(
        "vectorize: %d terms kept, %d removed, %d empty units",
        len(vectorized.vocab),
        len(vectorized.removed),
        len(vectorized.empty_units),
    )
    return vectorized


def _stage_vectorize(tokens: list[list[str]], vectorize: VectorizeSettings, cache: str | None):
    """Vocabulary and BoW / TF-IDF matrices in memory (the run vectorizes a token store:
    :func:`_bow_store`); removed terms and empty units are logged.

    Cached under ``<cache>/vectorized/<key>`` keyed by the tokens, the filter settings and
    the topiclab version.
    """
    from topiclab.vectorize import VectorizedCorpus
    from topiclab.vectorize import vectorize as vectorize_tokens

    settings = vectorize.model_dump()
    stage = _stage_cache(cache, "vectorized")
    key = stage.key(_tokens_digest(tokens), settings)
    vectorized = stage.load(key, VectorizedCorpus.load, "vectorized corpus")
    if vectorized is not None:
        logger.info("vectorize: from cache %s", stage.folder(key))
    else:
        vectorized = vectorize_tokens(tokens, **settings)
        stage.save(key, vectorized.save)
    return _logged(vectorized)
