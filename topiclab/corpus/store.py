"""The document store: one pass of :class:`~topiclab.corpus.stream.DocumentStream` on disk.

:func:`ingest` writes the pass as it goes, one chunk of documents in memory at a time::

    documents/part-00000.jsonl   one JSON document a line, chunk_size documents a file
    manifest.csv                 every input: included or excluded, with the reason
    provenance.csv               doc_id, field, origin (curated, inferred or missing)
    store.json                   "ingest": counts, source, unmatched metadata, notes

:class:`DocumentStore` reads it back one document or chunk at a time, or whole
(:meth:`DocumentStore.to_corpus`, equal to :func:`~topiclab.corpus.load_corpus`). The
file helpers here (chunk names, ``store.json``) serve the later stores of
:mod:`topiclab.stream` too.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from topiclab.corpus.reader import MANIFEST_COLUMNS, Corpus
from topiclab.corpus.stream import (
    PROVENANCE_COLUMNS,
    DocumentStream,
    _read_csv,
    documents_frame,
)
from topiclab.io import atomic_write_text

__all__ = ["DEFAULT_CHUNK_SIZE", "DocumentStore", "ingest"]

DEFAULT_CHUNK_SIZE = 1000


# -- the store's files (shared by every store of topiclab.stream) -----------------------


def _part(index: int, suffix: str) -> str:
    return f"part-{index:05d}{suffix}"


def _parts(folder: Path, suffix: str) -> list[Path]:
    return sorted(folder.glob(f"part-*{suffix}"))


def _read_meta(root: Path) -> dict[str, Any]:
    path = root / "store.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def _write_meta(root: Path, stage: str, values: dict[str, Any]) -> None:
    meta = _read_meta(root)
    meta[stage] = values
    atomic_write_text(root / "store.json", json.dumps(meta, indent=2, sort_keys=True) + "\n")


class DocumentStore:
    """Documents written by :func:`ingest`: re-iterable, one document (dict) at a time.

    Parameters
    ----------
    root : str or Path
        The store folder (holding ``documents/``).
    """

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.folder = self.root / "documents"
        if not self.folder.is_dir():
            raise FileNotFoundError(f"no documents in {self.root}: run ingest() first")

    def __len__(self) -> int:
        return int(_read_meta(self.root)["ingest"]["n_documents"])

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for path in _parts(self.folder, ".jsonl"):
            with open(path, encoding="utf-8") as handle:
                for line in handle:
                    yield json.loads(line)

    def frames(self) -> Iterator[pd.DataFrame]:
        """One DataFrame per chunk file, with the dtypes of ``Corpus.documents``."""
        for path in _parts(self.folder, ".jsonl"):
            with open(path, encoding="utf-8") as handle:
                yield documents_frame(json.loads(line) for line in handle)

    @property
    def manifest(self) -> pd.DataFrame:
        """Every input of the ingest: included or excluded, with the reason."""
        return _read_csv(self.root / "manifest.csv")

    @property
    def provenance(self) -> pd.DataFrame:
        """``doc_id, field, origin`` of every document's metadata fields."""
        path = self.root / "provenance.csv"
        return _read_csv(path) if path.exists() else pd.DataFrame(columns=PROVENANCE_COLUMNS)

    def to_corpus(self) -> Corpus:
        """The whole store in memory, as :func:`load_corpus` gives it."""
        meta = _read_meta(self.root)["ingest"]
        return Corpus(
            documents=documents_frame(self),
            manifest=self.manifest,
            root=Path(meta.get("source", self.root)),
            provenance=self.provenance,
            unmatched_metadata=list(meta.get("unmatched_metadata", [])),
            notes=list(meta.get("notes", [])),
        )


class _ChunkWriter:
    """Documents written as JSON lines, ``chunk_size`` a file, each file atomically."""

    def __init__(self, folder: Path, chunk_size: int) -> None:
        self.folder, self.chunk_size = folder, chunk_size
        self.buffer: list[str] = []
        self.n_docs = self.n_chunks = 0
        folder.mkdir(parents=True, exist_ok=True)
        for old in _parts(folder, ".jsonl"):
            old.unlink()

    def add(self, record: dict[str, Any]) -> None:
        self.buffer.append(json.dumps(record, ensure_ascii=False))
        self.n_docs += 1
        if len(self.buffer) == self.chunk_size:
            self.flush()

    def flush(self) -> None:
        if self.buffer:
            text = "\n".join(self.buffer) + "\n"
            atomic_write_text(self.folder / _part(self.n_chunks, ".jsonl"), text)
            self.n_chunks, self.buffer = self.n_chunks + 1, []


def ingest(
    documents: DocumentStream | Iterable[dict[str, Any]],
    root: str | Path,
    *,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> DocumentStore:
    """Write streamed documents to ``root/documents`` in chunks, with the manifest.

    Given a :class:`DocumentStream`, its pass is written as it goes: documents,
    ``manifest.csv`` (every input) and ``provenance.csv`` (where each metadata field came
    from); memory holds one chunk of documents. Other iterables of documents are written
    without a manifest.

    Parameters
    ----------
    documents : DocumentStream or iterable of dict
        Documents as :class:`DocumentStream` yields them.
    root : str or Path
        The store folder; existing chunk files there are replaced.
    chunk_size : int, default=1000
        Documents per chunk file.

    Returns
    -------
    DocumentStore
    """
    root = Path(root)
    writer = _ChunkWriter(root / "documents", chunk_size)
    meta: dict[str, Any] = {}
    if isinstance(documents, DocumentStream):
        manifest_tmp, provenance_tmp = root / ".manifest.csv.tmp", root / ".provenance.csv.tmp"
        try:
            meta = _write_pass(documents, root, writer, manifest_tmp, provenance_tmp)
            # Both tables take their names only once the pass is complete.
            os.replace(provenance_tmp, root / "provenance.csv")
            os.replace(manifest_tmp, root / "manifest.csv")
        finally:
            manifest_tmp.unlink(missing_ok=True)
            provenance_tmp.unlink(missing_ok=True)
        documents._manifest = root / "manifest.csv"
    else:
        for record in documents:
            writer.add(record)
    writer.flush()
    _write_meta(root, "ingest", {"n_documents": writer.n_docs, "n_chunks": writer.n_chunks, **meta})
    return DocumentStore(root)


def _write_pass(
    stream: DocumentStream,
    root: Path,
    writer: _ChunkWriter,
    manifest_path: Path,
    provenance_path: Path,
) -> dict[str, Any]:
    """Write one pass of ``stream``: documents, manifest and provenance rows as they come."""
    with (
        open(manifest_path, "w", encoding="utf-8", newline="") as manifest_file,
        open(provenance_path, "w", encoding="utf-8", newline="") as provenance_file,
    ):
        manifest = _csv_writer(manifest_file, MANIFEST_COLUMNS)
        provenance = _csv_writer(provenance_file, PROVENANCE_COLUMNS)
        n_inputs = 0
        for row in stream.rows(spool_dir=root):
            n_inputs += 1
            manifest.writerow([row.manifest[c] for c in MANIFEST_COLUMNS])
            if row.document is not None:
                writer.add(row.document)
                doc_id = row.document["doc_id"]
                provenance.writerows((doc_id, *origin) for origin in row.origins)
    return {
        "n_inputs": n_inputs,
        "source": str(stream.path),
        "unmatched_metadata": stream.unmatched_metadata,
        "notes": stream.notes,
    }


def _csv_writer(handle: Any, columns: list[str]) -> Any:
    """A CSV writer in the dialect of :func:`~topiclab.io.write_table`, header written."""
    writer = csv.writer(handle, lineterminator="\n")
    writer.writerow(columns)
    return writer
