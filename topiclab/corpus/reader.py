"""Read a folder or table of articles into documents, and account for every input.

Which files are inputs
----------------------
A folder is read recursively in sorted path order. Article files are ``.txt``, ``.html``,
``.htm`` and ``.md``; each becomes one row of the manifest, included or excluded with a
reason. Every other file is listed too, excluded: corpus documentation (``README*``,
``LICENSE*``, ``SHA256SUMS``, ``MD5SUMS``, ``CHANGELOG*``) with the reason "corpus
documentation, not an article", the curated metadata table with "curated metadata
table, not an article", tables with "table file inside a folder (pass it as PATH to
read its rows)", and anything else as "unsupported file type". Hidden files and folders
(names starting with ".") are not inputs and are not listed. Paths are classified from
``lstat``/``stat`` before anything is opened: a link to a file is read as the file;
links to folders (not followed), dangling or looping links, FIFOs, sockets, devices and
folders that cannot be listed (named ``<folder>/``) are listed, excluded, with their
reason. A file whose reading fails (permissions, I/O error) is excluded as "unreadable
file (...)"; it never aborts the ingest.

A table file (``.csv``, ``.jsonl``, ``.jsonl.gz``, ``.parquet``) given as ``path`` is
read row by row; each row is one manifest entry named ``<table>#<row>`` (0-based data
row; for JSON lines the 0-based line). Its other columns are curated metadata.

What can exclude an input
-------------------------
Empty or binary files, text that cannot be decoded, TCVN3/VNI font encodings, pages
with no article text once the chrome is removed, articles shorter than ``min_words``,
text that is not Vietnamese (``language="vi"``), files over ``max_bytes`` (decided from
the size on disk; such files are neither read nor hashed), unreadable paths, malformed
table rows, and duplicates ("duplicate of <doc_id>": the first in path order is kept).
A UTF-8 or UTF-16 article with a few bad bytes (a stray byte, a last character cut off)
is included with U+FFFD in their place and a note.

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
import errno
import gzip
import io
import json
import logging
import os
import re
import stat
import unicodedata
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from topiclab.corpus.chrome import clean_article
from topiclab.corpus.dates import parse_curated_date, parse_curated_year
from topiclab.corpus.decode import decode_bytes, vietnamese_share
from topiclab.corpus.dedup import find_duplicates
from topiclab.corpus.htmltext import html_to_text, looks_like_html, markdown_to_text
from topiclab.corpus.places import infer_place, place_of, source_tags
from topiclab.io import sha256_bytes, sha256_file, write_table
from topiclab.progress import progress

METADATA_FIELDS = [
    "title",
    "date",
    "year",
    "locality",
    "locality_level",
    "district",
    "province",
    "source",
    "author",
    "credit",
]
DOCUMENT_COLUMNS = [
    "doc_id",
    "file",
    "title",
    "date",
    "year",
    "locality",
    "locality_level",
    "district",
    "province",
    "source",
    "author",
    "credit",
    "captions",
    "text",
    "inferred",
]
MANIFEST_COLUMNS = ["file", "status", "reason", "doc_id", "sha256", "encoding", "note"]
TEXT_SUFFIXES = {".txt", ".html", ".htm", ".md"}
TABLE_SUFFIXES = (".csv", ".jsonl", ".jsonl.gz", ".parquet")
DOC_PREFIXES = ("readme", "license", "licence", "changelog", "sha256sums", "md5sums", "sha1sums")
DOCUMENTATION = "corpus documentation, not an article"
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

logger = logging.getLogger(__name__)


class CorpusError(ValueError):
    """Raised when a corpus has no usable document."""


@dataclass
class Corpus:
    """Documents with their metadata, and the manifest that accounts for every input.

    Attributes
    ----------
    documents : DataFrame
        One row per included document: ``doc_id, file, title, date, year, locality,
        locality_level, district, province, source, author, credit, captions, text,
        inferred`` and any extra curated columns.
    manifest : DataFrame
        One row per input file or table row: ``file, status, reason, doc_id, sha256,
        encoding, note``.
    root : Path
        The folder or table the corpus was read from.
    provenance : DataFrame
        ``doc_id, field, origin`` with origin ``curated``, ``inferred`` or ``missing``.
    unmatched_metadata : list of str
        ``file`` values of the curated metadata that name no input (a typo, a moved file).
    notes : list of str
        Corpus-wide remarks, e.g. an input column renamed because topiclab creates a
        column of that name.
    """

    documents: pd.DataFrame
    manifest: pd.DataFrame
    root: Path
    provenance: pd.DataFrame = field(default_factory=pd.DataFrame)
    unmatched_metadata: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def require_documents(self) -> None:
        """Raise :class:`CorpusError` listing the exclusion reasons when nothing is included."""
        if (self.manifest["status"] == "included").any():
            return
        reasons = Counter(self.manifest["reason"])
        listed = "; ".join(f"{reason}: {n}" for reason, n in sorted(reasons.items()))
        raise CorpusError(
            f"no usable document in {self.root}: {len(self.manifest)} inputs read, none included"
            + (f" ({listed})" if listed else " (no files found)")
        )

    def summary(self) -> str:
        """What was read, kept and excluded (by reason), and where metadata came from."""
        manifest = self.manifest
        n_in = int((manifest["status"] == "included").sum())
        lines = [
            f"corpus {self.root}",
            f"  files read:  {len(manifest)}",
            f"  included:    {n_in}",
            f"  excluded:    {len(manifest) - n_in}",
        ]
        excluded = manifest[manifest["status"] == "excluded"]
        reasons = Counter(_reason_kind(r) for r in excluded["reason"])
        for reason, count in sorted(reasons.items()):
            lines.append(f"    {count:>5}  {reason}")
        for note in self.notes:
            lines.append(f"  note: {note}")
        if self.unmatched_metadata:
            shown = ", ".join(self.unmatched_metadata[:5])
            more = " ..." if len(self.unmatched_metadata) > 5 else ""
            lines.append(
                f"  metadata rows naming no input file: {len(self.unmatched_metadata)} "
                f"({shown}{more})"
            )
        if len(self.provenance):
            lines.append("  metadata        curated  inferred  missing")
            table = self.provenance.groupby(["field", "origin"]).size().unstack(fill_value=0)
            for name in METADATA_FIELDS:
                if name not in table.index:
                    continue
                row = table.loc[name]
                lines.append(
                    f"    {name:<14}{int(row.get('curated', 0)):>7}"
                    f"{int(row.get('inferred', 0)):>10}{int(row.get('missing', 0)):>9}"
                )
        return "\n".join(lines)

    def write_tables(self, directory: str | Path) -> list[Path]:
        """Write ``manifest.csv`` and ``documents.csv`` into ``directory``."""
        directory = Path(directory)
        return [
            write_table(self.manifest, directory / "manifest.csv"),
            write_table(self.documents, directory / "documents.csv"),
        ]


@dataclass
class _Input:
    file: str
    sha256: str
    status: str = "excluded"
    reason: str = ""
    encoding: str = ""
    note: str = ""
    doc: dict[str, Any] | None = None
    curated: dict[str, str] = field(default_factory=dict)
    doc_id: str = ""


def _reason_kind(reason: str) -> str:
    """A reason without its per-file details, for counting in the summary."""
    if reason.startswith("duplicate of "):
        return "duplicate of an included document"
    if reason.startswith(
        (
            "too short (",
            "not Vietnamese text (",
            "file too large (",
            "unreadable file (",
            "unreadable folder (",
        )
    ):
        return reason.split(" (", 1)[0]
    return reason


# Frequent Vietnamese syllables as typed without diacritics ("khong dau"): such text
# cannot be segmented or matched against the lexicon, and is not another language.
_UNACCENTED = frozenset(
    "cua va cac la toi khong duoc nhung mot trong cho co nay da den nguoi voi ban minh "
    "thi nhu ve cung se rat lam khi nao sau tu hay biet muon xin duoc chuong trinh".split()
)


def language_problem(text: str) -> str:
    """Why ``text`` is not modelled as Vietnamese, or ``""`` when it is.

    Vietnamese prose has about a quarter of its letters with diacritics; below 2% a text
    is either Vietnamese typed without diacritics or another language.
    """
    share = vietnamese_share(text)
    if share >= 0.02:
        return ""
    words = re.findall(r"[a-z]+", text[:200_000].lower())
    unaccented = sum(w in _UNACCENTED for w in words) / max(len(words), 1)
    if unaccented >= 0.1:
        return "Vietnamese without diacritics (cannot be segmented reliably)"
    return f"not Vietnamese text ({share:.0%} Vietnamese letters)"


def _nfc(value: str) -> str:
    return unicodedata.normalize("NFC", value)


def _article(
    entry: _Input,
    text: str,
    *,
    kind: str,
    min_words: int,
    language: str | None,
    known_title: str = "",
) -> None:
    """Clean ``text`` into a document on ``entry``, or set the exclusion reason."""
    title = date = ""
    notes = [entry.note] if entry.note else []
    if kind == "html" or (kind == "text" and looks_like_html(text)):
        text, title, date = html_to_text(text)
        notes.append("HTML reduced to article text")
    elif kind == "markdown":
        text, title = markdown_to_text(text)
    article = clean_article(text, title=known_title or title, date=date)
    entry.note = "; ".join(notes)
    n_words = len(article.text.split())
    if n_words == 0:
        entry.reason = "no article text after removing web chrome"
        return
    if n_words < min_words:
        entry.reason = f"too short ({n_words} words, minimum {min_words})"
        return
    if language == "vi":
        reason = language_problem(article.text)
        if reason:
            entry.reason = reason
            return
    tag_source = source_tags().get(article.source_tag, (article.source_tag, ""))[0]
    source = article.source or tag_source
    place = infer_place(
        article.title, article.text, source_tag=article.source_tag, domains=[article.source]
    )
    entry.status = "included"
    entry.doc = {
        "title": article.title,
        "date": article.date,
        "year": article.date[:4] if article.date else "",
        "locality": place.locality,
        "locality_level": place.locality_level,
        "district": place.district,
        "province": place.province,
        "source": source,
        "author": article.author,
        "credit": article.credit,
        "captions": " | ".join(article.captions),
        "text": article.text,
    }


def _is_table(path: Path) -> bool:
    return path.name.lower().endswith(TABLE_SUFFIXES)


def _os_problem(error: OSError) -> str:
    """``"PermissionError: Permission denied"``: the kind of error and its message."""
    return f"{type(error).__name__}: {error.strerror or error}"


_SPECIAL_KINDS = (
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)


def _not_regular(mode: int) -> str:
    """Why a file of this mode is not read ("" for a regular file)."""
    if stat.S_ISREG(mode):
        return ""
    for check, kind in _SPECIAL_KINDS:
        if check(mode):
            return f"not a regular file ({kind}; not opened)"
    return "not a regular file (not opened)"


def _path_kind(path: Path) -> tuple[str, str]:
    """``("dir" | "file" | "skip" | "skip folder", reason)``, from ``lstat``/``stat`` only.

    Nothing is opened: a FIFO would block the read forever. A symbolic link to a regular
    file is read like the file; a link to a folder is not followed (it may loop or read a
    folder twice) and is reported, as are dangling and looping links.
    """
    try:
        mode = os.lstat(path).st_mode
    except OSError as error:
        return "skip", f"unreadable file ({_os_problem(error)})"
    if stat.S_ISLNK(mode):
        try:
            mode = os.stat(path).st_mode
        except FileNotFoundError:
            return "skip", "dangling symbolic link (its target does not exist)"
        except OSError as error:
            if error.errno == errno.ELOOP:
                return "skip", "symbolic link loop (the link points back to itself)"
            return "skip", f"unreadable symbolic link ({_os_problem(error)})"
        if stat.S_ISDIR(mode):
            return "skip folder", (
                "symbolic link to a folder, not followed (copy the folder in, or pass it as "
                "its own PATH)"
            )
    if stat.S_ISDIR(mode):
        return "dir", ""
    reason = _not_regular(mode)
    return ("skip", reason) if reason else ("file", "")


def _read_bytes(path: Path, limit: int) -> bytes:
    """At most ``limit + 1`` bytes of a file (a file that grew past the limit shows it)."""
    with open(path, "rb") as handle:
        return handle.read(limit + 1)


def _read_file(path: Path, rel: str, options: dict[str, Any]) -> _Input:
    try:
        return _read_article_file(path, rel, options)
    except OSError as error:
        # One unreadable file (permissions, removed meanwhile, I/O error) is excluded;
        # it does not abort the whole ingest.
        return _Input(rel, "", reason=f"unreadable file ({_os_problem(error)})")


def _too_large(size: int, options: dict[str, Any]) -> str:
    if size <= options["max_bytes"]:
        return ""
    return f"file too large ({size:,} bytes, max_bytes={options['max_bytes']:,})"


_NOT_HASHED = "not read or hashed (larger than max_bytes)"


def _read_article_file(path: Path, rel: str, options: dict[str, Any]) -> _Input:
    info = os.stat(path)
    reason = _not_regular(info.st_mode)
    if reason:
        return _Input(rel, "", reason=reason)
    # Decided from the size on disk before anything is read: a 1.5 GB video named .txt
    # costs one stat call, not 1.5 GB of memory (nor a pass over it to hash it).
    reason = _too_large(info.st_size, options)
    if reason:
        return _Input(rel, "", reason=reason, note=_NOT_HASHED)
    data = _read_bytes(path, options["max_bytes"])
    if len(data) > options["max_bytes"]:
        return _Input(rel, "", reason=_too_large(len(data), options), note=_NOT_HASHED)
    entry = _Input(rel, sha256_bytes(data))
    decoded = decode_bytes(data)
    entry.encoding, entry.note = decoded.encoding, decoded.note
    if decoded.text is None:
        entry.reason = decoded.reason
        return entry
    suffix = path.suffix.lower()
    kind = {".html": "html", ".htm": "html", ".md": "markdown"}.get(suffix, "text")
    _article(
        entry,
        decoded.text,
        kind=kind,
        min_words=options["min_words"],
        language=options["language"],
    )
    return entry


def _classify(path: Path, rel: str, metadata_path: Path | None) -> str:
    """Exclusion reason of a non-article file, or "" for an article file."""
    name = path.name.lower()
    if metadata_path is not None and os.path.realpath(path) == os.path.realpath(metadata_path):
        return "curated metadata table, not an article"
    if name.startswith(DOC_PREFIXES):
        return DOCUMENTATION
    if _is_table(path):
        return "table file inside a folder (pass it as PATH to read its rows)"
    if path.suffix.lower() not in TEXT_SUFFIXES:
        return f"unsupported file type ({path.suffix.lower() or 'no extension'})"
    return ""


def _other_file(path: Path, rel: str, reason: str, options: dict[str, Any]) -> _Input:
    """A file that is listed but not an article: hashed in chunks unless over max_bytes."""
    try:
        size = os.stat(path).st_size
        if size > options["max_bytes"]:
            return _Input(rel, "", reason=reason, note=_NOT_HASHED)
        return _Input(rel, sha256_file(path), reason=reason)
    except OSError as error:
        return _Input(rel, "", reason=reason, note=f"unreadable ({_os_problem(error)})")


def _walk(root: Path) -> list[tuple[str, Path, str, str]]:
    """Everything under ``root`` as ``(rel, path, kind, reason)``, sorted by ``rel``.

    ``kind`` is ``"file"`` for a regular file (or a link to one) and ``"skip"`` for what
    is reported without being read: unreadable folders (``rel`` ends in "/"), links to
    folders, dangling or looping links, FIFOs, sockets and devices. Hidden names
    (starting with ".") are not inputs and are not listed.
    """
    found: list[tuple[str, Path, str, str]] = []
    folders = [root]
    while folders:
        folder = folders.pop()
        try:
            with os.scandir(folder) as listing:
                names = sorted(item.name for item in listing)
        except OSError as error:
            if folder == root:
                raise CorpusError(f"cannot list the corpus folder {root}: {error}") from error
            rel = _nfc(folder.relative_to(root).as_posix()) + "/"
            found.append((rel, folder, "skip", f"unreadable folder ({_os_problem(error)})"))
            continue
        for name in names:
            if name.startswith("."):
                continue
            path = folder / name
            kind, reason = _path_kind(path)
            if kind == "dir":
                folders.append(path)
                continue
            rel = _nfc(path.relative_to(root).as_posix())
            if kind == "skip folder":
                kind, rel = "skip", rel + "/"
            found.append((rel, path, kind, reason))
    # The order of the old recursive glob: by relative path, so doc ids stay stable.
    return sorted(found, key=lambda item: item[1].relative_to(root).as_posix())


def _iter_folder_inputs(
    root: Path, metadata_path: Path | None, options: dict[str, Any]
) -> Iterator[_Input]:
    """One manifest entry per thing under ``root``, in path order (shared with the stream)."""
    for rel, path, kind, reason in _walk(root):
        if kind == "skip":
            yield _Input(rel, "", reason=reason)
            continue
        try:
            reason = _classify(path, rel, metadata_path)
        except OSError as error:
            yield _Input(rel, "", reason=f"unreadable file ({_os_problem(error)})")
            continue
        yield _other_file(path, rel, reason, options) if reason else _read_file(path, rel, options)


def _folder_inputs(root: Path, metadata_path: Path | None, options: dict[str, Any]) -> list[_Input]:
    inputs = _iter_folder_inputs(root, metadata_path, options)
    return list(progress(inputs, desc="documents", unit="file"))


def _single_input(root: Path, options: dict[str, Any]) -> _Input:
    """The manifest entry of a corpus given as one (non-table) file."""
    kind, reason = _path_kind(root)
    if kind.startswith("skip"):
        return _Input(root.name, "", reason=reason)
    reason = _classify(root, root.name, None)
    if reason:
        return _other_file(root, root.name, reason, options)
    return _read_file(root, root.name, options)


def _table_records(path: Path) -> tuple[list[tuple[int, Any]], list[str]]:
    """``(row_number, record_or_error_message)`` pairs and the column names."""
    name = path.name.lower()
    if name.endswith(".parquet"):
        import pyarrow.parquet as pq

        table = pq.read_table(path)
        return list(enumerate(table.to_pylist())), list(table.column_names)
    if name.endswith((".jsonl", ".jsonl.gz")):
        opener = gzip.open if name.endswith(".gz") else open
        records: list[tuple[int, Any]] = []
        columns: dict[str, None] = {}
        with opener(path, "rt", encoding="utf-8-sig", errors="replace") as handle:
            for number, line in enumerate(handle):
                if not line.strip():
                    records.append((number, "blank line"))
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as error:
                    records.append((number, f"invalid JSON ({error.msg})"))
                    continue
                if not isinstance(record, dict):
                    records.append((number, "JSON line is not an object"))
                    continue
                columns.update(dict.fromkeys(record))
                records.append((number, record))
        return records, list(columns)
    decoded = decode_bytes(path.read_bytes())
    if decoded.text is None:
        raise CorpusError(f"cannot read table {path}: {decoded.reason}")
    reader = csv.reader(io.StringIO(decoded.text, newline=""))
    header = next(reader, [])
    records = []
    for number, row in enumerate(reader):
        if len(row) != len(header):
            records.append((number, f"malformed row ({len(row)} fields, header has {len(header)})"))
        else:
            records.append((number, dict(zip(header, row, strict=True))))
    return records, header


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


def _table_entry(
    name: str, record: Any, options: dict[str, Any], id_column: str | None = None
) -> _Input:
    """The manifest entry of one table row (shared with the stream)."""
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


def _table_inputs(path: Path, options: dict[str, Any]) -> tuple[list[_Input], list[str]]:
    """The entries of a table's rows, and notes about its columns."""
    # A FIFO named "x.csv" would block the read forever.
    problem = _not_regular(os.stat(path).st_mode)
    if problem:
        raise CorpusError(f"cannot read table {path}: {problem}")
    try:
        records, columns = _table_records(path)
    except OSError as error:
        raise CorpusError(f"cannot read table {path}: {_os_problem(error)}") from error
    text_column = options["text_column"]
    if text_column not in columns:
        raise CorpusError(
            f"table {path} has no text column {text_column!r}; its columns are {columns}"
        )
    id_column = next((c for c in ("doc_id", "id") if c in columns), None)
    entries = [
        _table_entry(f"{path.name}#{number}", record, options, id_column)
        for number, record in progress(records, desc="documents", unit="row")
    ]
    extra = set(columns) - {text_column, id_column}
    return entries, _reserved_notes(extra)


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


def _unique_ids(entries: list[_Input]) -> None:
    seen: Counter[str] = Counter()
    for entry in entries:
        if entry.status != "included":
            continue
        base = entry.doc_id or _nfc(Path(entry.file.split("#")[0]).stem)
        if "#" in entry.file and not entry.doc_id:
            base = f"{base}-{int(entry.file.rsplit('#', 1)[1]):06d}"
        seen[base] += 1
        entry.doc_id = base if seen[base] == 1 else f"{base}-{seen[base]}"


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
    root = Path(path)
    if not root.exists():
        raise FileNotFoundError(f"corpus not found: {root}")
    options = {
        "text_column": text_column,
        "min_words": min_words,
        "language": language,
        "max_bytes": max_bytes,
    }
    notes: list[str] = []
    metadata_path = Path(metadata) if metadata is not None else None
    if root.is_dir():
        if metadata_path is None and (root / "metadata.csv").is_file():
            metadata_path = root / "metadata.csv"
        entries = _folder_inputs(root, metadata_path, options)
    elif _is_table(root):
        entries, notes = _table_inputs(root, options)
    else:
        entries = [_single_input(root, options)]
    unmatched: list[str] = []
    if metadata_path is not None:
        curated_rows = _read_metadata(metadata_path, notes)
        for entry in entries:
            if entry.file in curated_rows:
                entry.curated = {**curated_rows[entry.file], **entry.curated}
        files = {entry.file for entry in entries}
        unmatched = sorted(name for name in curated_rows if name not in files)
    for entry in entries:
        _check_curated(entry)
    for note in notes:
        logger.warning("%s: %s", root, note)

    included = [e for e in entries if e.status == "included"]
    duplicates = find_duplicates(
        [e.doc["text"] for e in included], threshold=near_duplicate_threshold
    )
    _unique_ids(entries)
    for position, (original, kind) in sorted(duplicates.items()):
        entry = included[position]
        entry.status = "excluded"
        entry.reason = f"duplicate of {included[original].doc_id}"
        entry.note = "; ".join(filter(None, [entry.note, f"{kind} duplicate"]))
        entry.doc_id = ""

    docs, provenance = [], []
    for entry in entries:
        if entry.status != "included":
            continue
        doc, origins = _merge(entry)
        doc.update(doc_id=entry.doc_id, file=entry.file)
        docs.append(doc)
        provenance += [(entry.doc_id, name, origin) for name, origin in origins]
    extra = sorted({c for doc in docs for c in doc} - set(DOCUMENT_COLUMNS))
    documents = pd.DataFrame(docs, columns=DOCUMENT_COLUMNS + extra)
    for column in DOCUMENT_COLUMNS + extra:
        if column != "year":
            documents[column] = documents[column].fillna("").astype(str)
    documents["year"] = pd.to_numeric(documents["year"], errors="coerce").astype("Int64")
    manifest = pd.DataFrame(
        [
            {
                "file": e.file,
                "status": e.status,
                "reason": e.reason,
                "doc_id": e.doc_id if e.status == "included" else "",
                "sha256": e.sha256,
                "encoding": e.encoding,
                "note": e.note,
            }
            for e in entries
        ],
        columns=MANIFEST_COLUMNS,
    )
    corpus = Corpus(
        documents=documents.reset_index(drop=True),
        manifest=manifest,
        root=root,
        provenance=pd.DataFrame(provenance, columns=["doc_id", "field", "origin"]),
        unmatched_metadata=unmatched,
        notes=notes,
    )
    if not allow_empty:
        corpus.require_documents()
    return corpus
