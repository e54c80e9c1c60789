"""Vocabulary, filters and matrices of topiclab.vectorize on the shipped paragraphs."""

from __future__ import annotations

import numpy as np
import pytest
from gensim.models import LdaModel
from test_models_corpus import shipped_paragraphs

from topiclab.vectorize import BowCorpus, EmptyUnitsWarning, VectorizedCorpus, vectorize


@pytest.fixture(scope="module")
def tokens() -> list[list[str]]:
    return [list(unit) for unit in shipped_paragraphs()[1]]


@pytest.fixture(scope="module")
def vc(tokens) -> VectorizedCorpus:
    return vectorize(tokens, no_below=2, no_above=0.5)


def test_vocabulary_is_sorted_and_matches_dictionary_ids(vc):
    assert vc.vocab == sorted(vc.vocab)
    assert [vc.dictionary[i] for i in range(len(vc.dictionary))] == vc.vocab
    assert vc.bow.shape == vc.tfidf.shape == (vc.n_units, vc.n_terms)


def test_matrices_are_aligned_with_units(tokens, vc):
    assert vc.n_units == len(tokens)
    kept = set(vc.vocab)
    for row, unit in enumerate(tokens):
        expected = {}
        for term in unit:
            if term in kept:
                expected[term] = expected.get(term, 0) + 1
        got = {
            vc.vocab[j]: int(c) for j, c in zip(vc.bow[row].indices, vc.bow[row].data, strict=True)
        }
        assert got == expected
    norms = np.sqrt(np.asarray(vc.tfidf.multiply(vc.tfidf).sum(axis=1)).ravel())
    nonempty = np.diff(vc.bow.indptr) > 0
    np.testing.assert_allclose(norms[nonempty], 1.0)
    assert np.all(norms[~nonempty] == 0)


def test_every_removed_term_is_reported_with_its_reason(tokens, vc):
    all_terms = {t for unit in tokens for t in unit}
    assert set(vc.removed["term"]) | set(vc.vocab) == all_terms
    assert not set(vc.removed["term"]) & set(vc.vocab)
    n = len(tokens)
    for row in vc.removed.itertuples():
        df = sum(row.term in unit for unit in tokens)
        assert row.doc_freq == df
        assert row.doc_fraction == pytest.approx(df / n)
        if row.reason == "no_below":
            assert df < 2
        else:
            assert row.reason == "no_above" and df > int(0.5 * n)


def test_a_term_in_most_units_is_reported_as_too_common():
    tokens = [["cán_bộ", "quy_hoạch"], ["cán_bộ", "kỷ_luật"], ["cán_bộ", "quy_hoạch", "kỷ_luật"]]
    vc = vectorize(tokens, no_below=1, no_above=0.9)
    assert vc.vocab == ["kỷ_luật", "quy_hoạch"]
    assert vc.removed.to_dict("records") == [
        {"term": "cán_bộ", "doc_freq": 3, "doc_fraction": 1.0, "reason": "no_above"}
    ]


def test_keep_n_keeps_the_most_frequent_and_reports_the_rest(tokens):
    vc = vectorize(tokens, no_below=2, no_above=1.0, keep_n=30)
    assert vc.n_terms == 30
    beyond = vc.removed[vc.removed["reason"] == "keep_n"]
    assert len(beyond) > 0
    kept_min = min(vc.dictionary.dfs.values())
    assert beyond["doc_freq"].max() <= kept_min


def test_empty_units_are_reported_not_dropped(tokens):
    # a photo caption and a unit of words found nowhere else lose every token
    units = [*tokens[:10], [], ["ảnh", "khải_hoàn"], *tokens[10:]]
    with pytest.warns(EmptyUnitsWarning, match="2 of"):
        vc = vectorize(units, no_below=2)
    assert vc.empty_units == [10, 11]
    assert vc.n_units == len(units)
    for row in vc.empty_units:
        assert vc.bow[row].nnz == 0 and vc.tfidf[row].nnz == 0
    np.testing.assert_array_equal(
        vc.bow[12:].toarray(), vectorize(tokens, no_below=2).bow[10:].toarray()
    )
    assert "2 units left empty" in vc.summary()


def test_empty_vocabulary_is_a_clear_error():
    with pytest.raises(ValueError, match="vocabulary is empty after filtering"):
        vectorize([["a", "b"], ["c"]], no_below=2)


def test_bad_tokens_are_clear_errors():
    with pytest.raises(TypeError, match="tokenize the texts first"):
        vectorize(["cán bộ đảng viên"])
    with pytest.raises(TypeError, match="unit 1 is nan"):
        vectorize([["cán_bộ"], float("nan")])
    with pytest.raises(TypeError, match="non-string token"):
        vectorize([["cán_bộ", None]])
    with pytest.raises(ValueError, match="tokens is empty"):
        vectorize([])
    with pytest.raises(ValueError, match="no_above"):
        vectorize([["a"]], no_above=0)


def test_streaming_corpus_is_reiterable_and_feeds_gensim(vc):
    corpus = vc.corpus()
    assert isinstance(corpus, BowCorpus)
    first = list(corpus)
    assert list(corpus) == first
    assert len(first) == vc.n_units
    assert sum(c for doc in first for _, c in doc) == vc.bow.sum()
    # passes > 1 reads the corpus several times, which a generator could not serve
    lda = LdaModel(corpus, num_topics=2, id2word=vc.dictionary, passes=2, random_state=0)
    assert lda.get_topics().shape == (2, vc.n_terms)
