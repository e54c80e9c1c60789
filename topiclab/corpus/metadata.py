"""Curated metadata: the ``metadata.csv`` of a folder and a table's own columns.

Metadata
--------
Curated values (``metadata.csv`` beside the articles, a ``metadata`` table, or a
table's own columns) always win. Empty curated fields are inferred from the page
(title, date, author, credit, source, locality from the gazetteer) and named in the
``inferred`` column; a curated locality without district or province is completed from
the gazetteer rather than from the page. Curated rows whose ``file`` names no input are
reported in :attr:`Corpus.unmatched_metadata` and in the summary. ``file`` values are
matched exactly (only "\\" and a leading "./" are normalised, so "../x.txt" never names
"x.txt"); two rows for one file are an error naming both rows. Curated dates are read
in the forms of spreadsheets and Vietnamese pages ("13/05/2020", "13-5-2020", "ngày 13
tháng 5 năm 2020", "2020-05", ISO) and stored as ISO; a date or year that is impossible
or not one ("2020-13-45", "-1", "99999", "1e3", "2020.5") is dropped, not counted as
curated, and the manifest note says why. Input columns named like the columns topiclab
creates (``unit_id``, ``unit_index``, ``n_words``, ``n_tokens``, ``doc_id``, ``file``,
``text``, ``inferred``, ``captions``; except a table's own id and text columns) are
kept as ``source_<name>`` and named in :attr:`Corpus.notes`. The document ``text`` is
the article body; the title, captions and credits are separate columns.
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path
from typing import Any

import pandas as pd

from topiclab.corpus.dates import parse_curated_date, parse_curated_year
from topiclab.corpus.decode import decode_bytes
from topiclab.corpus.places import place_of
from topiclab.corpus.reader import (
    METADATA_FIELDS,
    CorpusError,
    _Input,
    _nfc,
    _not_regular,
    _os_problem,
)

# Columns topiclab itself creates for analysis units (make_units, preprocessing) or for
# documents: an input column of the same name would be overwritten or duplicated, so it
# is kept under "source_<name>" (see _rename_reserved). A table's own id and text
# columns are not renamed: they are read as the document id and text.
RESERVED_COLUMNS = (
    "unit_id",
    "unit_index",
    "n_words",
    "n_tokens",
    "doc_id",
    "file",
    "text",
    "inferred",
    "captions",
)


def _reserved_name(name: str, taken: set[str] | dict[str, Any]) -> str:
    """``source_<name>`` (or ``source_<name>_2``, ...) for a column topiclab creates itself."""
    new = f"source_{name}"
    number = 2
    while new in taken:
        new = f"source_{name}_{number}"
        number += 1
    return new


def _rename_reserved(curated: dict[str, str]) -> dict[str, str]:
    """Curated fields with the columns topiclab creates renamed to ``source_<name>``."""
    if not any(key in RESERVED_COLUMNS for key in curated):
        return curated
    renamed: dict[str, str] = {}
    for key, value in curated.items():
        if key in RESERVED_COLUMNS:
            key = _reserved_name(key, curated)
        renamed[key] = value
    return renamed


def _reserved_notes(columns: list[str] | set[str]) -> list[str]:
    """One note per input column renamed by :func:`_rename_reserved`."""
    return [
        f"input column {name!r} renamed to {_reserved_name(name, set(columns))!r} "
        f"(topiclab creates its own {name!r} column)"
        for name in RESERVED_COLUMNS
        if name in columns
    ]


def _metadata_key(value: str) -> str:
    """A ``file`` cell as a path relative to the corpus folder.

    Matching is exact: only back-slashes and a leading "./" are normalised, so
    "../x.txt" or ".hidden.txt" never name "x.txt" or "hidden.txt".
    """
    key = _nfc(value.replace("\\", "/"))
    while key.startswith("./"):
        key = key[2:]
    return key


def _read_metadata(path: Path, notes: list[str] | None = None) -> dict[str, dict[str, str]]:
    """Curated rows by input file; raises when two rows describe the same file.

    Columns topiclab creates itself are renamed (see :func:`_rename_reserved`), with a
    line appended to ``notes``.
    """
    if not os.path.lexists(path):
        raise FileNotFoundError(f"metadata table not found: {path}")
    try:
        problem = _not_regular(os.stat(path).st_mode)
        if problem:
            raise CorpusError(f"cannot read metadata table {path}: {problem}")
        data = path.read_bytes()
    except OSError as error:
        raise CorpusError(f"cannot read metadata table {path}: {_os_problem(error)}") from error
    # Spreadsheets save CSV as UTF-8 with a BOM, UTF-16 or Windows-1258: decoded like articles.
    decoded = decode_bytes(data) if data.strip() else None
    if decoded is None or decoded.text is None:
        reason = decoded.reason if decoded is not None else "empty file"
        raise CorpusError(f"cannot read metadata table {path}: {reason}")
    try:
        frame = pd.read_csv(io.StringIO(decoded.text), dtype=str, keep_default_na=False)
    except (ValueError, csv.Error) as error:
        raise CorpusError(f"cannot read metadata table {path}: {error}") from error
    if "file" not in frame.columns:
        raise CorpusError(f"metadata table {path} has no 'file' column; columns: {list(frame)}")
    if notes is not None:
        notes += [f"{path.name}: {note}" for note in _reserved_notes(set(frame.columns) - {"file"})]
    rows: dict[str, dict[str, str]] = {}
    line_of: dict[str, int] = {}
    for position, record in enumerate(frame.to_dict("records")):
        # Line numbers as a spreadsheet shows them: the header is line 1.
        line = position + 2
        cell = str(record.pop("file"))
        key = _metadata_key(cell)
        if key in rows:
            raise CorpusError(
                f"metadata table {path}: rows {line_of[key]} and {line} both describe "
                f"{key!r}; keep one row per file"
            )
        line_of[key] = line
        values = {k: _nfc(str(v)).strip() for k, v in record.items()}
        rows[key] = _rename_reserved(values)
    return rows


def _check_curated(entry: _Input) -> None:
    """Normalise a curated date and year, or drop them with a note saying why.

    Dates come as spreadsheets and Vietnamese pages write them ("13/05/2020",
    "13-5-2020", "ngày 13 tháng 5 năm 2020", "2020-05", ISO) and become ISO
    ("2020-05-13", or "2020-05" for a month). A value that is not a date or year
    ("2020-13-45", "-1", "99999", "1e3", "2020.5") is not counted as curated: it is
    removed (the page's own date may then be inferred) and the manifest note says so.
    """
    notes = []
    for column, parse in (("date", parse_curated_date), ("year", parse_curated_year)):
        value = entry.curated.get(column, "")
        if not value:
            continue
        parsed, problem = parse(value)
        if problem:
            del entry.curated[column]
            notes.append(f"curated {column} {value!r} ignored: {problem}")
        else:
            entry.curated[column] = parsed
    if notes:
        entry.note = "; ".join(filter(None, [entry.note, *notes]))


_PLACE_FIELDS = ("locality", "locality_level", "district", "province")


def _merge(entry: _Input) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    doc = dict(entry.doc or {})
    curated = entry.curated
    if curated.get("locality", "") and not all(curated.get(f, "") for f in _PLACE_FIELDS):
        # A curated locality decides the place: its district and province come from the
        # gazetteer, never from an article-based guess that may name another place.
        place = place_of(
            curated["locality"],
            curated.get("locality_level", ""),
            curated.get("district", ""),
            curated.get("province", ""),
        )
        for name in _PLACE_FIELDS:
            doc[name] = getattr(place, name)
    inferred, origins = [], []
    for name in METADATA_FIELDS:
        if curated.get(name, ""):
            doc[name] = curated[name]
            origins.append((name, "curated"))
        elif name == "year" and curated.get("date", ""):
            doc[name] = curated["date"][:4]
            origins.append((name, "curated"))
        elif doc.get(name, ""):
            inferred.append(name)
            origins.append((name, "inferred"))
        else:
            doc[name] = ""
            origins.append((name, "missing"))
    for key, value in curated.items():
        if key not in doc:
            doc[key] = value
    doc["inferred"] = ";".join(inferred)
    return doc, origins
