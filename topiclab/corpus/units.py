"""Analysis units: whole documents, paragraphs, or windows of sentences.

Every unit carries its document's ``doc_id`` and metadata, so prevalence by locality or
year can be computed at any unit. Paragraphs shorter than ``min_tokens`` words (a
sub-heading, a one-line quote) are merged with the following paragraph, or with the
preceding one at the end of a document: they are never dropped.
"""

from __future__ import annotations

import re

import pandas as pd

UNITS = ("document", "paragraph", "window")
# Columns make_units adds to every unit.
_CREATED = ("unit_id", "unit_index", "n_words")
_SENTENCE = re.compile(r"(?<=[.!?…])[\"”’)]*\s+(?=[\"“‘(]?[A-ZĐÀ-Ỹ0-9])")


def split_sentences(text: str) -> list[str]:
    """Sentences of a paragraph: a stop followed by space and a capital or a digit."""
    return [s.strip() for s in _SENTENCE.split(text) if s.strip()]


def _merge_short(parts: list[str], min_tokens: int) -> list[str]:
    merged: list[str] = []
    pending = ""
    for part in parts:
        pending = f"{pending}\n\n{part}" if pending else part
        if len(pending.split()) >= min_tokens:
            merged.append(pending)
            pending = ""
    if pending:
        if merged:
            merged[-1] = f"{merged[-1]}\n\n{pending}"
        else:
            merged.append(pending)
    return merged


def _split(text: str, unit: str, min_tokens: int, window_sentences: int) -> list[str]:
    if unit == "document":
        return [text]
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n|\n", text) if p.strip()]
    if unit == "paragraph":
        return _merge_short(paragraphs, min_tokens)
    sentences = [s for p in paragraphs for s in split_sentences(p)]
    windows = [
        " ".join(sentences[i : i + window_sentences])
        for i in range(0, len(sentences), window_sentences)
    ]
    return _merge_short(windows, min_tokens)


def make_units(
    documents: pd.DataFrame,
    unit: str = "paragraph",
    *,
    min_tokens: int = 40,
    window_sentences: int = 5,
) -> pd.DataFrame:
    """Split documents into analysis units that keep their document's metadata.

    Parameters
    ----------
    documents : DataFrame
        ``Corpus.documents`` (at least ``doc_id`` and ``text``).
    unit : {"document", "paragraph", "window"}, default="paragraph"
        Whole documents; paragraphs (blank-line or line separated); or consecutive,
        non-overlapping windows of ``window_sentences`` sentences.
    min_tokens : int, default=40
        Units with fewer whitespace-separated words are merged with a neighbour.
    window_sentences : int, default=5
        Sentences per window.

    Returns
    -------
    DataFrame
        ``unit_id`` ("<doc_id>:d000", ":p003", ":w002"), ``doc_id``, ``unit_index``,
        every metadata column of ``documents``, ``n_words`` and ``text``, in document order.

    Raises
    ------
    ValueError
        For an unknown ``unit``, non-positive sizes, or ``documents`` that already have
        a ``unit_id``, ``unit_index`` or ``n_words`` column.
    """
    if unit not in UNITS:
        raise ValueError(f"unit must be one of {UNITS}, got {unit!r}")
    if min_tokens < 0 or window_sentences < 1:
        raise ValueError("min_tokens must be >= 0 and window_sentences >= 1")
    for column in ("doc_id", "text"):
        if column not in documents.columns:
            raise ValueError(f"documents need a {column!r} column")
    for column in _CREATED:
        if column in documents.columns:
            # The unit's own value would silently replace it, or the column would appear
            # twice; load_corpus already renames such input columns to source_<name>.
            raise ValueError(
                f"documents already have a {column!r} column, which make_units creates; "
                f"rename it (e.g. to 'source_{column}') before splitting into units"
            )
    metadata = [c for c in documents.columns if c not in ("doc_id", "text")]
    letter = unit[0]
    rows = []
    for record in documents.to_dict("records"):
        parts = _split(str(record["text"]), unit, min_tokens, window_sentences)
        for index, text in enumerate(parts):
            row = {
                "unit_id": f"{record['doc_id']}:{letter}{index:03d}",
                "doc_id": record["doc_id"],
                "unit_index": index,
            }
            row.update({c: record[c] for c in metadata})
            row["n_words"] = len(text.split())
            row["text"] = text
            rows.append(row)
    columns = ["unit_id", "doc_id", "unit_index", *metadata, "n_words", "text"]
    units = pd.DataFrame(rows, columns=columns)
    for column in metadata:
        if column in documents.columns:
            units[column] = units[column].astype(documents[column].dtype)
    units["unit_index"] = units["unit_index"].astype("int64")
    units["n_words"] = units["n_words"].astype("int64")
    return units
