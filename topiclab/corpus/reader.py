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

Curated metadata and its rules: :mod:`topiclab.corpus.metadata`. The one pass over the
inputs (duplicates, ids, the in-memory and on-disk views): :mod:`topiclab.corpus.stream`.
"""

from __future__ import annotations

import errno
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
from topiclab.corpus.decode import decode_bytes, vietnamese_share
from topiclab.corpus.htmltext import html_to_text, looks_like_html, markdown_to_text
from topiclab.corpus.places import infer_place, source_tags
from topiclab.io import sha256_bytes, sha256_file, write_table

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


class CorpusError(ValueError):
    """Raised when a corpus has no usable document."""


def no_documents_message(root: Path, n_inputs: int, reasons: Counter[str]) -> str:
    """The error of a corpus with no included document, listing the exclusion reasons."""
    listed = "; ".join(f"{reason}: {n}" for reason, n in sorted(reasons.items()))
    return f"no usable document in {root}: {n_inputs} inputs read, none included" + (
        f" ({listed})" if listed else " (no files found)"
    )


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
        raise CorpusError(no_documents_message(self.root, len(self.manifest), reasons))

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


def _single_input(root: Path, options: dict[str, Any]) -> _Input:
    """The manifest entry of a corpus given as one (non-table) file."""
    kind, reason = _path_kind(root)
    if kind.startswith("skip"):
        return _Input(root.name, "", reason=reason)
    reason = _classify(root, root.name, None)
    if reason:
        return _other_file(root, root.name, reason, options)
    return _read_file(root, root.name, options)
