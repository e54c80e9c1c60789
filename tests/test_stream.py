"""Streaming corpora: re-iterable, and the same documents, tokens and matrices as in memory."""

from __future__ import annotations

import json
import shutil
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from topiclab.corpus import CorpusError, load_corpus, make_units
from topiclab.models import LDA, NMF
from topiclab.preprocess import Preprocessor
from topiclab.stream import (
    BowStore,
    DocumentStore,
    DocumentStream,
    TokenStore,
    documents_frame,
    ingest,
    load_vectorized,
    preprocess_store,
    vectorize_store,
)
from topiclab.vectorize import EmptyUnitsWarning, vectorize

VECTORIZE = {"no_below": 1, "no_above": 0.95, "keep_n": 20000}


@pytest.fixture(scope="module")
def in_memory(corpus_dir: Path):
    """The in-memory path on the shipped corpus: corpus, units, tokens, matrices."""
    corpus = load_corpus(corpus_dir)
    units = make_units(corpus.documents, "paragraph")
    tokens = Preprocessor().transform(units["text"].tolist())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EmptyUnitsWarning)
        vc = vectorize(tokens, **VECTORIZE)
    return corpus, units, tokens, vc


@pytest.fixture(scope="module")
def streamed(corpus_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    """The streaming path on the shipped corpus, with chunks smaller than the corpus."""
    root = tmp_path_factory.mktemp("stream")
    stream = DocumentStream(corpus_dir)
    documents = ingest(stream, root, chunk_size=2)
    tokens = preprocess_store(documents, root, Preprocessor(), unit="paragraph")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EmptyUnitsWarning)
        bow = vectorize_store(tokens, root, **VECTORIZE)
    return stream, documents, tokens, bow


def test_document_stream_reiterates_identically(corpus_dir: Path) -> None:
    stream = DocumentStream(corpus_dir)
    first = list(stream)
    second = list(stream)
    assert len(first) == 5
    assert first == second


def test_document_stream_equals_load_corpus(corpus_dir: Path, in_memory) -> None:
    corpus = in_memory[0]
    stream = DocumentStream(corpus_dir)
    pd.testing.assert_frame_equal(documents_frame(stream), corpus.documents)
    pd.testing.assert_frame_equal(stream.manifest, corpus.manifest)


def test_stores_reiterate_identically(streamed) -> None:
    _, documents, tokens, bow = streamed
    assert list(documents) == list(documents)
    assert list(tokens) == list(tokens)
    assert list(bow) == list(bow)
    assert len(documents) == 5
    assert len(tokens) == len(list(tokens))
    assert len(bow) == len(list(bow))
    # Chunks of two documents: the store really is split on disk.
    assert len(list((documents.root / "documents").glob("part-*.jsonl"))) == 3
    assert len(list((tokens.root / "tokens").glob("part-*.txt"))) == 3
    assert len(list((bow.root / "bow").glob("part-*.npz"))) == 3


def test_stores_are_classes_not_generators(streamed) -> None:
    for store in streamed[1:]:
        iterator_a, iterator_b = iter(store), iter(store)
        assert next(iterator_a) == next(iterator_b)
        assert iter(store) is not store


def test_streamed_tokens_equal_in_memory(streamed, in_memory) -> None:
    _, units, tokens, _ = in_memory
    token_store = streamed[2]
    assert list(token_store) == tokens
    stored_units = token_store.units()
    assert stored_units["unit_id"].tolist() == units["unit_id"].tolist()
    assert stored_units["n_tokens"].astype(int).tolist() == [len(t) for t in tokens]


def test_streamed_bow_equals_vectorize(streamed, in_memory) -> None:
    vc = in_memory[3]
    bow_store = streamed[3]
    stored = load_vectorized(bow_store)
    assert stored.vocab == vc.vocab
    assert bow_store.shape == vc.bow.shape
    assert (stored.bow != vc.bow).nnz == 0
    assert stored.bow.dtype == vc.bow.dtype
    assert (stored.tfidf != vc.tfidf).nnz == 0
    pd.testing.assert_frame_equal(stored.removed, vc.removed)
    assert stored.empty_units == vc.empty_units
    assert stored.dictionary.token2id == vc.dictionary.token2id
    assert stored.dictionary.dfs == vc.dictionary.dfs
    assert list(bow_store) == list(vc.corpus())
    np.testing.assert_array_equal(bow_store.column_sums(), np.asarray(vc.bow.sum(axis=0)).ravel())


def test_figure_digest_of_counts_reads_the_store_chunk_by_chunk(streamed, in_memory) -> None:
    """The figure stage's key of the counts is the same for the store (read a chunk at a
    time, never whole) and for its matrix, and changes with one count."""
    from topiclab.figures.stage import _counts_digest

    bow_store = streamed[3]
    assert len(list(bow_store.chunks())) > 1  # the case that matters: several chunks
    matrix = in_memory[3].bow
    assert _counts_digest(bow_store) == _counts_digest(matrix)
    changed = matrix.copy()
    changed.data[-1] += 1
    assert _counts_digest(changed) != _counts_digest(matrix)


def test_filters_report_the_same_removals(streamed, in_memory, tmp_path: Path) -> None:
    tokens = list(streamed[2])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EmptyUnitsWarning)
        vc = vectorize(tokens, no_below=2, no_above=0.5, keep_n=50)
        store = vectorize_store(streamed[2], tmp_path, no_below=2, no_above=0.5, keep_n=50)
    stored = load_vectorized(store)
    assert stored.vocab == vc.vocab
    assert set(stored.removed["reason"]) == {"no_below", "no_above", "keep_n"}
    pd.testing.assert_frame_equal(stored.removed, vc.removed)
    assert (stored.bow != vc.bow).nnz == 0


def test_lda_fits_a_bow_store_chunk_by_chunk_as_its_matrix(streamed, in_memory) -> None:
    vc = in_memory[3]
    bow_store = streamed[3]
    params = {"random_state": 7, "passes": 2, "iterations": 50, "chunksize": 4}
    in_mem = LDA(4, **params).fit(vc.bow, vocab=vc.vocab)
    from_disk = LDA(4, **params).fit(bow_store)
    np.testing.assert_array_equal(from_disk.components_, in_mem.components_)
    np.testing.assert_array_equal(from_disk.result_.doc_topic, in_mem.result_.doc_topic)
    assert from_disk.result_.vocab == vc.vocab
    anchors = {"cadre": ["cán_bộ"], "discipline": ["kỷ_luật"]}
    in_mem = LDA(4, anchor_words=anchors, **params).fit(vc.bow, vocab=vc.vocab)
    from_disk = LDA(4, anchor_words=anchors, **params).fit(bow_store)
    np.testing.assert_array_equal(from_disk.components_, in_mem.components_)
    np.testing.assert_array_equal(from_disk.transform(bow_store), in_mem.transform(vc.bow))
    assert from_disk.anchor_topics_ == {"cadre": 0, "discipline": 1}
    # the gensim backend also reads token lists, with the topics of their count matrix
    from_tokens = LDA(4, anchor_words=anchors, **params).fit(list(streamed[2]), vocab=vc.vocab)
    np.testing.assert_array_equal(from_tokens.components_, in_mem.components_)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_nmf_takes_the_stored_sparse_tfidf(streamed, in_memory) -> None:
    vc = in_memory[3]
    tfidf = streamed[3].tfidf()
    assert tfidf.format == "csr"
    a = NMF(3, random_state=0, max_iter=50).fit(tfidf, vocab=streamed[3].vocab)
    b = NMF(3, random_state=0, max_iter=50).fit(vc.tfidf, vocab=vc.vocab)
    np.testing.assert_array_equal(a.components_, b.components_)


def test_duplicates_found_as_in_memory(corpus_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "dups"
    shutil.copytree(corpus_dir / "raw", folder)
    first = sorted(folder.glob("*.txt"))[1]
    text = first.read_bytes()
    (folder / "zz_exact_copy.txt").write_bytes(text)
    # A near copy: one word added to a long article keeps the shingle Jaccard above 0.9.
    decoded = text.decode("utf-8")
    assert "cán bộ" in decoded
    head, tail = decoded.rsplit("cán bộ", 1)
    near = f"{head}cán bộ trẻ{tail}"
    (folder / "zz_near_copy.txt").write_text(near, encoding="utf-8")
    expected = load_corpus(folder).manifest
    stream = DocumentStream(folder)
    list(stream)
    pd.testing.assert_frame_equal(stream.manifest, expected)
    reasons = dict(zip(stream.manifest["file"], stream.manifest["reason"], strict=True))
    assert reasons["zz_exact_copy.txt"].startswith("duplicate of ")
    assert reasons["zz_near_copy.txt"].startswith("duplicate of ")
    notes = dict(zip(stream.manifest["file"], stream.manifest["note"], strict=True))
    assert "exact duplicate" in notes["zz_exact_copy.txt"]
    assert "near duplicate" in notes["zz_near_copy.txt"]


def test_table_input_streams_row_by_row(in_memory, tmp_path: Path) -> None:
    documents = in_memory[0].documents
    path = tmp_path / "articles.jsonl"
    lines = [
        json.dumps({"id": row.doc_id, "text": row.text, "category": "party"}, ensure_ascii=False)
        for row in documents.itertuples()
    ]
    lines.insert(2, "{not json")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    expected = load_corpus(path)
    stream = DocumentStream(path)
    pd.testing.assert_frame_equal(documents_frame(stream), expected.documents)
    pd.testing.assert_frame_equal(stream.manifest, expected.manifest)
    assert stream.manifest["reason"].str.startswith("invalid JSON").sum() == 1
    assert len(list(DocumentStream(path, limit=3))) == 2


def test_bad_input_is_reported(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="corpus not found"):
        list(DocumentStream(tmp_path / "absent"))
    table = tmp_path / "t.jsonl"
    table.write_text('{"body": "x"}\n', encoding="utf-8")
    with pytest.raises(CorpusError, match="no text column 'text'"):
        list(DocumentStream(table))
    with pytest.raises(FileNotFoundError, match="run ingest"):
        DocumentStore(tmp_path)
    with pytest.raises(FileNotFoundError, match="run preprocess_store"):
        TokenStore(tmp_path)
    with pytest.raises(FileNotFoundError, match="run vectorize_store"):
        BowStore(tmp_path)
    with pytest.raises(ValueError, match="no units"):
        vectorize_store([], tmp_path)
    with pytest.raises(ValueError, match="vocabulary is empty"):
        vectorize_store([["a"], ["b"]], tmp_path, no_below=2)
