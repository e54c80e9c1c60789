"""Table inputs (``.csv``, ``.jsonl``, ``.jsonl.gz``, ``.parquet``), read one row at a time.

Each row is one manifest entry named ``<table>#<row>`` (0-based data row; for JSON lines
the 0-based line). The text column is the article; a ``doc_id`` (else ``id``) column is
its id; every other column is curated metadata. CSV and Parquet tables have one header:
the id column is chosen from it. A JSON line is its own header: each line's id is its
``doc_id``, else its ``id`` (a file mixing the two keeps both kinds of ids).
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from topiclab.corpus.decode import decode_bytes
from topiclab.corpus.metadata import _rename_reserved
from topiclab.corpus.reader import CorpusError, _article, _Input, _nfc, _not_regular, _os_problem
from topiclab.io import sha256_bytes

__all__ = ["iter_table_entries"]


def _header(path: Path) -> tuple[list[str] | None, Iterator[tuple[int, Any]]]:
    """The column names (None for JSON lines) and the ``(row, record or problem)`` pairs."""
    name = path.name.lower()
    if name.endswith(".parquet"):
        import pyarrow.parquet as pq

        table = pq.ParquetFile(path)
        return list(table.schema_arrow.names), _parquet_rows(table)
    if name.endswith((".jsonl", ".jsonl.gz")):
        return None, _json_rows(path)
    # A CSV table is decoded whole (its encoding is guessed from all its bytes), then read
    # row by row; tables too large for that belong in JSON lines or Parquet.
    decoded = decode_bytes(path.read_bytes())
    if decoded.text is None:
        raise CorpusError(f"cannot read table {path}: {decoded.reason}")
    rows = csv.reader(io.StringIO(decoded.text, newline=""))
    header = next(rows, [])
    return header, _csv_rows(rows, header)


def _parquet_rows(table: Any) -> Iterator[tuple[int, Any]]:
    number = 0
    for batch in table.iter_batches(batch_size=1000):
        for record in batch.to_pylist():
            yield number, record
            number += 1


def _json_rows(path: Path) -> Iterator[tuple[int, Any]]:
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8-sig", errors="replace") as handle:
        for number, line in enumerate(handle):
            if not line.strip():
                yield number, "blank line"
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                yield number, f"invalid JSON ({error.msg})"
                continue
            if not isinstance(record, dict):
                yield number, "JSON line is not an object"
                continue
            yield number, record


def _csv_rows(rows: Iterator[list[str]], header: list[str]) -> Iterator[tuple[int, Any]]:
    for number, row in enumerate(rows):
        if len(row) != len(header):
            yield number, f"malformed row ({len(row)} fields, header has {len(header)})"
        else:
            yield number, dict(zip(header, row, strict=True))


def iter_table_entries(
    path: Path, options: dict[str, Any], columns: dict[str, None]
) -> Iterator[_Input]:
    """The manifest entry of each row of the table ``path``, in row order.

    ``columns`` collects the table's column names as they are read (all of them at once
    for CSV and Parquet, line by line for JSON lines): the caller checks the text column
    of a JSON lines table and notes reserved names once the rows are read.

    Raises
    ------
    CorpusError
        If the table cannot be read, or its header lacks the text column.
    """
    # A FIFO named "x.csv" would block the read forever.
    problem = _not_regular(os.stat(path).st_mode)
    if problem:
        raise CorpusError(f"cannot read table {path}: {problem}")
    try:
        header, rows = _header(path)
    except OSError as error:
        raise CorpusError(f"cannot read table {path}: {_os_problem(error)}") from error
    text_column = options["text_column"]
    id_column = None
    if header is not None:
        columns.update(dict.fromkeys(header))
        if text_column not in header:
            raise CorpusError(
                f"table {path} has no text column {text_column!r}; its columns are {header}"
            )
        id_column = next((c for c in ("doc_id", "id") if c in header), None)
    for number, record in rows:
        if header is None and isinstance(record, dict):
            columns.update(dict.fromkeys(record))
        yield _table_entry(f"{path.name}#{number}", record, options, id_column)


def _table_entry(
    name: str, record: Any, options: dict[str, Any], id_column: str | None = None
) -> _Input:
    """The manifest entry of one table row (a problem message for a row that is none)."""
    if isinstance(record, str):
        return _Input(name, "", reason=record)
    text_column = options["text_column"]
    if id_column is None:
        id_column = next((c for c in ("doc_id", "id") if c in record), None)
    text = record.get(text_column)
    entry = _Input(name, sha256_bytes(str(text).encode("utf-8")) if text is not None else "")
    curated = {
        key: "" if value is None else str(value)
        for key, value in record.items()
        if key not in (text_column, id_column)
    }
    curated = {k: v for k, v in curated.items() if v.lower() not in ("nan", "none")}
    entry.curated = _rename_reserved(curated)
    if id_column and record.get(id_column) not in (None, ""):
        entry.doc_id = str(record[id_column])
    if not isinstance(text, str) or not text.strip():
        entry.reason = "missing text" if not isinstance(text, str) else "empty text"
        return entry
    _article(
        entry,
        _nfc(text),
        kind="text",
        min_words=options["min_words"],
        language=options["language"],
        known_title=curated.get("title", ""),
    )
    return entry
