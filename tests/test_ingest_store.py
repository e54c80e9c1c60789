"""One ingest path: the document store and load_corpus are two views of one pass.

Real inputs only: the shipped corpus, and a JSON lines table built here from its articles
with exact and near duplicates, a MinHash candidate below the threshold, undated rows,
a broken line and a curated metadata row that names no input.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pandas as pd
import pytest

from topiclab.corpus import DocumentStore, DocumentStream, ingest, load_corpus
from topiclab.corpus.dedup import (
    Deduplicator,
    _band_keys,
    _minhash,
    _shingles,
    _words,
    find_duplicates,
)

THRESHOLD = 0.9


def _jaccard(a: str, b: str) -> float:
    """Exact Jaccard of word 5-shingles, computed here without topiclab's hashing."""

    def shingles(text: str) -> set[tuple[str, ...]]:
        words = re.findall(r"\w+", text.lower())
        return {tuple(words[i : i + 5]) for i in range(len(words) - 4)}

    x, y = shingles(a), shingles(b)
    return len(x & y) / len(x | y)


def _replace_words(text: str, every: int, count: int) -> str:
    """``text`` with ``count`` words, one every ``every``, replaced by new words."""
    words = text.split(" ")
    for k in range(count):
        words[(k + 1) * every] = f"từmới{k}"
    return " ".join(words)


def _is_candidate(a: str, b: str) -> bool:
    """Whether MinHash LSH puts ``a`` and ``b`` in one bucket of some band."""
    vocab: dict[str, int] = {}
    keys_a = _band_keys(_minhash(_shingles(_words(a), vocab)))
    keys_b = _band_keys(_minhash(_shingles(_words(b), vocab)))
    return bool(set(keys_a) & set(keys_b))


def _views(path: Path, root: Path, **options) -> tuple:
    """``load_corpus`` and the store written by ``ingest`` (in small chunks) of ``path``."""
    corpus = load_corpus(path, **options)
    stream = DocumentStream(path, **options)
    store = ingest(stream, root, chunk_size=2)
    return corpus, store, stream


def _assert_same(corpus, store: DocumentStore) -> None:
    stored = store.to_corpus()
    pd.testing.assert_frame_equal(stored.documents, corpus.documents)
    pd.testing.assert_frame_equal(stored.manifest, corpus.manifest)
    pd.testing.assert_frame_equal(stored.provenance, corpus.provenance)
    assert stored.unmatched_metadata == corpus.unmatched_metadata
    assert stored.notes == corpus.notes
    # documents read chunk by chunk equal the in-memory frame too
    frames = pd.concat(list(store.frames()), ignore_index=True)
    pd.testing.assert_frame_equal(frames, corpus.documents)


def test_store_equals_load_corpus_on_shipped_corpus(corpus_dir: Path, tmp_path: Path) -> None:
    corpus, store, stream = _views(corpus_dir, tmp_path / "store")
    _assert_same(corpus, store)
    pd.testing.assert_frame_equal(stream.manifest, corpus.manifest)
    assert len(store) == len(corpus.documents) == 5
    # every file under the corpus (hidden ones are not inputs) has one manifest row
    files = {
        (Path(folder) / name).relative_to(corpus_dir).as_posix()
        for folder, _, names in os.walk(corpus_dir)
        for name in names
        if not name.startswith(".")
    }
    assert set(corpus.manifest["file"]) == files
    assert len(corpus.manifest) == len(files)
    # provenance: ten metadata fields per document, curated ones from metadata.csv
    assert len(store.provenance) == 10 * 5
    assert (store.provenance["origin"] == "curated").any()


@pytest.fixture(scope="module")
def table(corpus_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A JSON lines table of real articles, and its curated metadata table."""
    texts = load_corpus(corpus_dir).documents["text"].tolist()
    a, b, c = texts[0], texts[1], texts[3]
    near_b = _replace_words(b, every=300, count=2)
    variant_a = _replace_words(a, every=55, count=16)
    rows = [
        {"id": "a", "text": a, "date": "2020-01-02"},
        {"id": "b", "text": b},  # undated
        {"id": "a_copy", "text": "  ".join(a.upper().split())},
        {"id": "b_near", "text": near_b},
        {"id": "a_variant", "text": variant_a},
        {"id": "b_near_copy", "text": near_b},
        "{broken",
        {
            "id": "short",
            "text": "Hội nghị cán bộ chủ chốt của tỉnh diễn ra sáng nay tại thành phố.",
        },
        {"text": c},  # undated, no id
    ]
    folder = tmp_path_factory.mktemp("table")
    path = folder / "articles.jsonl"
    lines = [row if isinstance(row, str) else json.dumps(row, ensure_ascii=False) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    metadata = folder / "metadata.csv"
    metadata.write_text(
        "file,source\narticles.jsonl#8,Báo Nhân Dân\narticles.jsonl#42,Báo Lao Động\n",
        encoding="utf-8",
    )
    return {
        "path": path,
        "metadata": metadata,
        "a": a,
        "b": b,
        "near_b": near_b,
        "variant_a": variant_a,
    }


def test_table_inputs_are_designed_as_claimed(table: dict) -> None:
    # the near duplicate is above the threshold, the variant a MinHash candidate below it
    assert _jaccard(table["b"], table["near_b"]) >= THRESHOLD
    assert _jaccard(table["a"], table["variant_a"]) < THRESHOLD
    assert _is_candidate(table["a"], table["variant_a"])


def test_store_equals_load_corpus_on_a_table(table: dict, tmp_path: Path) -> None:
    corpus, store, _ = _views(table["path"], tmp_path / "store", metadata=table["metadata"])
    _assert_same(corpus, store)
    manifest = corpus.manifest.set_index("file")
    # the manifest accounts for every line of the table
    assert list(manifest.index) == [f"articles.jsonl#{i}" for i in range(9)]
    reasons = manifest["reason"].to_dict()
    notes = manifest["note"].to_dict()
    assert reasons["articles.jsonl#2"] == "duplicate of a"
    assert "exact duplicate" in notes["articles.jsonl#2"]
    assert reasons["articles.jsonl#3"] == "duplicate of b"
    assert "near duplicate" in notes["articles.jsonl#3"]
    # an exact copy of a near duplicate names the kept article, not the excluded one
    assert reasons["articles.jsonl#5"] == "duplicate of b"
    assert reasons["articles.jsonl#6"].startswith("invalid JSON")
    assert reasons["articles.jsonl#7"].startswith("too short")
    documents = corpus.documents.set_index("doc_id")
    # the candidate whose exact Jaccard is below the threshold is kept
    assert list(documents.index) == ["a", "b", "a_variant", "articles-000008"]
    assert documents.loc["a", "year"] == 2020
    assert pd.isna(documents.loc["b", "year"]) and documents.loc["b", "date"] == ""
    assert documents.loc["articles-000008", "source"] == "Báo Nhân Dân"
    assert corpus.unmatched_metadata == ["articles.jsonl#42"]
    provenance = corpus.provenance.set_index(["doc_id", "field"])["origin"]
    assert provenance[("b", "date")] == "missing"
    assert provenance[("articles-000008", "source")] == "curated"
    assert "articles.jsonl#42" in corpus.summary()


def test_deduplicator_confirms_candidates_with_exact_jaccard(table: dict) -> None:
    texts = [table["a"], table["b"], table["near_b"], table["variant_a"], table["a"].upper()]
    assert find_duplicates(texts, THRESHOLD) == {2: (1, "near"), 4: (0, "exact")}
    # a lower threshold takes the variant as a near duplicate; 1.0 keeps near copies
    assert find_duplicates(texts, 0.8)[3] == (0, "near")
    assert find_duplicates(texts, 1.0) == {4: (0, "exact")}


def test_deduplicator_keeps_texts_on_disk_not_shingle_sets(tmp_path: Path) -> None:
    texts = [" ".join(f"tin{n}số{i}" for i in range(200)) for n in range(50)]
    with Deduplicator(THRESHOLD, spool_dir=tmp_path) as dedup:
        assert all(dedup.check(text, str(n)) is None for n, text in enumerate(texts))
        # per kept text: 16 band keys and one offset; its words wait in the spool file
        assert len(dedup._offsets) == 51
        assert len(dedup._keys) + sum(map(len, dedup._pending.values())) == 16 * 50
        assert dedup._spool.tell() == sum(len(t.encode("utf-8")) for t in texts)
        # and a candidate's shingles come back from the spool unchanged
        assert dedup.check(texts[7].upper(), "copy") == ("7", "exact")
        near = texts[7].replace("tin7số100", "khác")
        assert dedup.check(near, "near") == ("7", "near")


def test_json_lines_take_each_lines_own_id(table: dict, tmp_path: Path) -> None:
    # A JSON line is its own header: a line without doc_id uses its id, so the stream
    # decides a line's id without reading the rest of the file first.
    path = tmp_path / "mixed.jsonl"
    rows = [{"doc_id": "d1", "text": table["a"]}, {"id": "i2", "text": table["b"]}]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n")
    corpus, store, _ = _views(path, tmp_path / "store")
    _assert_same(corpus, store)
    assert corpus.documents["doc_id"].tolist() == ["d1", "i2"]
