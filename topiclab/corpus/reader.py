"""Read a folder of articles into documents and a manifest of every input file."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from topiclab.io import sha256_bytes, write_table

DOCUMENT_COLUMNS = [
    "doc_id",
    "file",
    "title",
    "date",
    "year",
    "locality",
    "district",
    "province",
    "source",
    "text",
]
MANIFEST_COLUMNS = ["file", "status", "reason", "doc_id", "sha256"]
TEXT_SUFFIXES = {".txt"}


@dataclass
class Corpus:
    """Documents with their metadata, and the manifest that accounts for every input.

    Attributes
    ----------
    documents : DataFrame
        One row per included document.
    manifest : DataFrame
        One row per input file: ``file, status, reason, doc_id, sha256``.
    root : Path
        The folder or table the corpus was read from.
    """

    documents: pd.DataFrame
    manifest: pd.DataFrame
    root: Path

    def summary(self) -> str:
        """A short human-readable account of what was read, kept and excluded."""
        n_in = int((self.manifest["status"] == "included").sum())
        lines = [
            f"{self.root}: {len(self.manifest)} inputs read, {n_in} included, "
            f"{len(self.manifest) - n_in} excluded"
        ]
        excluded = self.manifest[self.manifest["status"] == "excluded"]
        for reason, count in excluded["reason"].value_counts().sort_index().items():
            lines.append(f"  excluded ({reason}): {count}")
        return "\n".join(lines)

    def write_tables(self, directory: str | Path) -> list[Path]:
        """Write ``manifest.csv`` and ``documents.csv`` into ``directory``."""
        directory = Path(directory)
        return [
            write_table(self.manifest, directory / "manifest.csv"),
            write_table(self.documents, directory / "documents.csv"),
        ]


def load_corpus(path: str | Path, metadata: str | Path | None = None) -> Corpus:
    """Read every ``.txt`` article under ``path`` (UTF-8) and merge curated metadata."""
    root = Path(path)
    if not root.is_dir():
        raise FileNotFoundError(f"corpus folder not found: {root}")
    files = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in TEXT_SUFFIXES)
    documents, manifest = [], []
    for file_path in files:
        rel = file_path.relative_to(root).as_posix()
        data = file_path.read_bytes()
        row = {
            "file": rel,
            "status": "excluded",
            "reason": "",
            "doc_id": "",
            "sha256": sha256_bytes(data),
        }
        try:
            text = unicodedata.normalize("NFC", data.decode("utf-8-sig"))
        except UnicodeDecodeError:
            row["reason"] = "not UTF-8"
        else:
            if not text.strip():
                row["reason"] = "empty"
            else:
                doc_id = Path(rel).stem
                row.update(status="included", doc_id=doc_id)
                documents.append({"doc_id": doc_id, "file": rel, "text": text})
        manifest.append(row)
    docs = pd.DataFrame(documents, columns=["doc_id", "file", "text"])
    meta_path = Path(metadata) if metadata is not None else root / "metadata.csv"
    if meta_path.is_file():
        meta = pd.read_csv(meta_path, dtype=str, keep_default_na=False)
        docs = docs.merge(meta, on="file", how="left")
    for column in DOCUMENT_COLUMNS:
        if column not in docs.columns:
            docs[column] = ""
    ordered = DOCUMENT_COLUMNS + [c for c in docs.columns if c not in DOCUMENT_COLUMNS]
    return Corpus(
        documents=docs[ordered],
        manifest=pd.DataFrame(manifest, columns=MANIFEST_COLUMNS),
        root=root,
    )
