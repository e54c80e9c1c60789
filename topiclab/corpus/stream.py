"""The one ingest path: inputs read, cleaned and de-duplicated one at a time.

:class:`DocumentStream` reads a folder or table one input at a time (reading and cleaning:
:mod:`topiclab.corpus.reader`; table rows: :mod:`topiclab.corpus.tables`; curated
metadata: :mod:`topiclab.corpus.metadata`; duplicates: :class:`~topiclab.corpus.dedup.
Deduplicator`) and gives, per input, its manifest row and, when it is included, its
document and the origin of each metadata field. Everything else is a view of that pass:

* :func:`~topiclab.corpus.store.ingest` writes it to disk
  (:class:`~topiclab.corpus.store.DocumentStore`), one chunk of documents at a time;
* :func:`load_corpus` collects it into a :class:`~topiclab.corpus.Corpus` in memory;
* iterating a :class:`DocumentStream` yields the documents (the manifest of the pass is
  then in :attr:`DocumentStream.manifest`).

So the documents, manifest and provenance of ``load_corpus(path)`` and of
``ingest(DocumentStream(path), root)`` are the same by construction.
"""

from __future__ import annotations

import itertools
import logging
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

import pandas as pd

from topiclab.corpus.dedup import Deduplicator
from topiclab.corpus.metadata import _check_curated, _merge, _read_metadata, _reserved_notes
from topiclab.corpus.reader import (
    DOCUMENT_COLUMNS,
    MANIFEST_COLUMNS,
    Corpus,
    CorpusError,
    _Input,
    _is_table,
    _iter_folder_inputs,
    _nfc,
    _single_input,
    no_documents_message,
)
from topiclab.corpus.tables import iter_table_entries
from topiclab.progress import progress

__all__ = ["DocumentStream", "Row", "documents_frame", "load_corpus"]

PROVENANCE_COLUMNS = ["doc_id", "field", "origin"]

logger = logging.getLogger(__name__)


# -- documents ---------------------------------------------------------------------------


def _document_record(doc: dict[str, Any]) -> dict[str, Any]:
    """A document with load_corpus's columns: strings, and ``year`` an int or None."""
    extra = sorted(c for c in doc if c not in DOCUMENT_COLUMNS)
    record: dict[str, Any] = {}
    for column in DOCUMENT_COLUMNS + extra:
        value = doc.get(column, "")
        if column == "year":
            year = pd.to_numeric(pd.Series([value], dtype=object), errors="coerce").iloc[0]
            record[column] = None if pd.isna(year) else int(year)
        else:
            record[column] = "" if value is None else str(value)
    return record


def documents_frame(records: Iterable[dict[str, Any]]) -> pd.DataFrame:
    """Document records as a frame with the dtypes of ``load_corpus(...).documents``."""
    records = list(records)
    extra = sorted({c for r in records for c in r} - set(DOCUMENT_COLUMNS))
    frame = pd.DataFrame(records, columns=DOCUMENT_COLUMNS + extra)
    for column in DOCUMENT_COLUMNS + extra:
        if column != "year":
            frame[column] = frame[column].fillna("").astype(str)
    frame["year"] = pd.to_numeric(frame["year"], errors="coerce").astype("Int64")
    return frame.reset_index(drop=True)


class Row(NamedTuple):
    """What the pass gives for one input."""

    manifest: dict[str, str]
    """``file, status, reason, doc_id, sha256, encoding, note``."""
    document: dict[str, Any] | None
    """The document (as :func:`documents_frame` takes it), or None when excluded."""
    origins: list[tuple[str, str]]
    """``(field, origin)`` of the document's metadata fields (empty when excluded)."""


class DocumentStream:
    """The documents of a folder or table, read one input at a time, re-iterable.

    Each pass reads the inputs again and yields the included documents as dicts with the
    columns of ``load_corpus(...).documents`` (``year`` as an int or None). After a
    complete pass, :attr:`manifest`, :attr:`unmatched_metadata` and :attr:`notes` describe
    it. Parameters are those of :func:`load_corpus`.

    Parameters
    ----------
    path : str or Path
        A folder of articles or a table (``.csv``, ``.jsonl``, ``.jsonl.gz``, ``.parquet``).
    metadata : str or Path, optional
        Curated metadata table; default ``<folder>/metadata.csv`` when present.
    text_column : str, default="text"
    near_duplicate_threshold : float, default=0.9
    min_words : int, default=30
    language : {"vi", None}, default="vi"
    max_bytes : int, default=50_000_000
    limit : int, optional
        Read only the first ``limit`` inputs (files in path order, or table rows).

    Attributes
    ----------
    manifest : DataFrame
        One row per input of the last complete pass (``file, status, reason, doc_id,
        sha256, encoding, note``); after :func:`ingest`, the store's manifest.
    unmatched_metadata : list of str
        ``file`` values of the curated metadata that named no input in the last pass.
    notes : list of str
        Remarks about the input's columns in the last pass.

    Examples
    --------
    >>> stream = DocumentStream("corpus")  # doctest: +SKIP
    >>> sum(1 for _ in stream) == sum(1 for _ in stream)  # doctest: +SKIP
    True
    """

    def __init__(
        self,
        path: str | Path,
        metadata: str | Path | None = None,
        *,
        text_column: str = "text",
        near_duplicate_threshold: float = 0.9,
        min_words: int = 30,
        language: str | None = "vi",
        max_bytes: int = 50_000_000,
        limit: int | None = None,
    ) -> None:
        self.path = Path(path)
        self.metadata = metadata
        self.text_column = text_column
        self.near_duplicate_threshold = near_duplicate_threshold
        self.min_words = min_words
        self.language = language
        self.max_bytes = max_bytes
        self.limit = limit
        self.unmatched_metadata: list[str] = []
        self.notes: list[str] = []
        self._manifest: pd.DataFrame | Path = pd.DataFrame(columns=MANIFEST_COLUMNS)

    @property
    def manifest(self) -> pd.DataFrame:
        """Every input of the last complete pass: included or excluded, with the reason."""
        if isinstance(self._manifest, Path):
            return _read_csv(self._manifest)
        return self._manifest

    def _options(self) -> dict[str, Any]:
        return {
            "text_column": self.text_column,
            "min_words": self.min_words,
            "language": self.language,
            "max_bytes": self.max_bytes,
        }

    def rows(self, *, allow_empty: bool = False, spool_dir: Path | None = None) -> Iterator[Row]:
        """One :class:`Row` per input, in input order: the pass every view is made of.

        Parameters
        ----------
        allow_empty : bool, default=False
            End quietly when no input was included, instead of raising.
        spool_dir : Path, optional
            Where the de-duplicator keeps the kept texts meanwhile (default: the system's
            temporary folder).

        Raises
        ------
        FileNotFoundError
            If the corpus does not exist.
        CorpusError
            As :func:`load_corpus`.
        """
        root = self.path
        if not root.exists():
            raise FileNotFoundError(f"corpus not found: {root}")
        options = self._options()
        notes: list[str] = []
        metadata_path = Path(self.metadata) if self.metadata is not None else None
        columns: dict[str, None] = {}
        if root.is_dir():
            if metadata_path is None and (root / "metadata.csv").is_file():
                metadata_path = root / "metadata.csv"
            inputs = _iter_folder_inputs(root, metadata_path, options)
        elif _is_table(root):
            inputs = iter_table_entries(root, options, columns)
        else:
            inputs = iter([_single_input(root, options)])
        curated_rows = _read_metadata(metadata_path, notes) if metadata_path else {}
        matched: set[str] = set()
        ids: Counter[str] = Counter()
        # The reasons are counted only while nothing is included: they make the error.
        reasons: Counter[str] | None = Counter()
        n_inputs = 0
        unit = "row" if _is_table(root) else "file"
        with Deduplicator(self.near_duplicate_threshold, spool_dir) as dedup:
            inputs = itertools.islice(inputs, self.limit)
            for entry in progress(inputs, desc="documents", unit=unit):
                n_inputs += 1
                row = self._row(entry, curated_rows, matched, ids, dedup)
                if reasons is not None:
                    reasons[entry.reason] += 1
                    if row.document is not None:
                        reasons = None
                yield row
        if _is_table(root):
            if self.text_column not in columns:
                raise CorpusError(
                    f"table {root} has no text column {self.text_column!r}; "
                    f"its columns are {list(columns)}"
                )
            notes += _reserved_notes(set(columns) - {self.text_column, "doc_id", "id"})
        for note in notes:
            logger.warning("%s: %s", root, note)
        self.notes = notes
        self.unmatched_metadata = sorted(set(curated_rows) - matched)
        if reasons is not None and not allow_empty:
            raise CorpusError(no_documents_message(root, n_inputs, reasons))

    def _row(
        self,
        entry: _Input,
        curated_rows: dict[str, dict[str, str]],
        matched: set[str],
        ids: Counter[str],
        dedup: Deduplicator,
    ) -> Row:
        """Curated metadata, id and duplicate check of one input entry."""
        if entry.file in curated_rows:
            matched.add(entry.file)
            # A table row's own columns win over the metadata table.
            entry.curated = {**curated_rows[entry.file], **entry.curated}
        _check_curated(entry)
        if entry.status == "included":
            # Ids are numbered before duplicates go, so an id never depends on them.
            base = entry.doc_id or _nfc(Path(entry.file.split("#")[0]).stem)
            if "#" in entry.file and not entry.doc_id:
                base = f"{base}-{int(entry.file.rsplit('#', 1)[1]):06d}"
            ids[base] += 1
            entry.doc_id = base if ids[base] == 1 else f"{base}-{ids[base]}"
            duplicate = dedup.check(entry.doc["text"], entry.doc_id)
            if duplicate is not None:
                original, kind = duplicate
                entry.status = "excluded"
                entry.reason = f"duplicate of {original}"
                entry.note = "; ".join(filter(None, [entry.note, f"{kind} duplicate"]))
        included = entry.status == "included"
        manifest = {
            "file": entry.file,
            "status": entry.status,
            "reason": entry.reason,
            "doc_id": entry.doc_id if included else "",
            "sha256": entry.sha256,
            "encoding": entry.encoding,
            "note": entry.note,
        }
        if not included:
            return Row(manifest, None, [])
        doc, origins = _merge(entry)
        doc.update(doc_id=entry.doc_id, file=entry.file)
        return Row(manifest, _document_record(doc), origins)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        manifest = []
        for row in self.rows():
            manifest.append(row.manifest)
            if row.document is not None:
                yield row.document
        self._manifest = pd.DataFrame(manifest, columns=MANIFEST_COLUMNS)

    def to_corpus(self, *, allow_empty: bool = False) -> Corpus:
        """One pass collected in memory: the :class:`~topiclab.corpus.Corpus`."""
        documents, manifest, provenance = [], [], []
        for row in self.rows(allow_empty=allow_empty):
            manifest.append(row.manifest)
            if row.document is not None:
                documents.append(row.document)
                doc_id = row.document["doc_id"]
                provenance += [(doc_id, name, origin) for name, origin in row.origins]
        self._manifest = pd.DataFrame(manifest, columns=MANIFEST_COLUMNS)
        return Corpus(
            documents=documents_frame(documents),
            manifest=self._manifest,
            root=self.path,
            provenance=pd.DataFrame(provenance, columns=PROVENANCE_COLUMNS),
            unmatched_metadata=list(self.unmatched_metadata),
            notes=list(self.notes),
        )


def _read_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def load_corpus(
    path: str | Path,
    metadata: str | Path | None = None,
    *,
    text_column: str = "text",
    near_duplicate_threshold: float = 0.9,
    min_words: int = 30,
    language: str | None = "vi",
    max_bytes: int = 50_000_000,
    allow_empty: bool = False,
) -> Corpus:
    """Read a folder of articles or a table into a :class:`Corpus`.

    The in-memory view of :class:`DocumentStream`: one pass, collected.

    Parameters
    ----------
    path : str or Path
        A folder (read recursively: ``.txt``, ``.html``, ``.htm``, ``.md``) or a table
        file (``.csv``, ``.jsonl``, ``.jsonl.gz``, ``.parquet``) with a text column.
    metadata : str or Path, optional
        Curated metadata with a ``file`` column (paths relative to the folder). Default:
        ``<folder>/metadata.csv`` when it exists.
    text_column : str, default="text"
        Column holding the article text in a table input.
    near_duplicate_threshold : float, default=0.9
        Jaccard similarity of word 5-shingles from which a later article is a duplicate.
    min_words : int, default=30
        Articles with fewer words after cleaning are excluded as too short.
    language : {"vi", None}, default="vi"
        ``"vi"`` excludes texts without Vietnamese letters; ``None`` keeps any language.
    max_bytes : int, default=50_000_000
        Larger files of any kind are excluded (or, if not articles, listed) without
        being read or hashed; the decision is taken from the size on disk.
    allow_empty : bool, default=False
        Return a corpus with no documents (and its manifest) instead of raising when
        every input is excluded; :meth:`Corpus.require_documents` raises later.

    Returns
    -------
    Corpus

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    CorpusError
        If no input gives a usable document (the message lists the reasons) and
        ``allow_empty`` is false, a table lacks its text column, or two rows of the
        metadata table describe the same file.

    Examples
    --------
    >>> corpus = load_corpus("corpus")  # doctest: +SKIP
    >>> print(corpus.summary())  # doctest: +SKIP
    """
    stream = DocumentStream(
        path,
        metadata,
        text_column=text_column,
        near_duplicate_threshold=near_duplicate_threshold,
        min_words=min_words,
        language=language,
        max_bytes=max_bytes,
    )
    return stream.to_corpus(allow_empty=allow_empty)
