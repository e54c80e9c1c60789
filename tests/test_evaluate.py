"""Coherence, diversity, stability, K selection and alignment on the shipped paragraphs."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from gensim.models import CoherenceModel
from test_models_corpus import shipped_paragraphs

from topiclab import LDA, NMF, TopicResult
from topiclab.evaluate import (
    MEASURES,
    CoherenceScorer,
    align,
    coherence,
    diversity,
    match_topics,
    select_k,
    stability,
)
from topiclab.vectorize import EmptyUnitsWarning, vectorize


@pytest.fixture(scope="module")
def tokens() -> list[list[str]]:
    return [list(unit) for unit in shipped_paragraphs()[1]]


@pytest.fixture(scope="module")
def vc(tokens):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EmptyUnitsWarning)
        return vectorize(tokens)


@pytest.fixture(scope="module")
def fits(vc) -> dict[str, TopicResult]:
    return {
        "lda": LDA(4, random_state=3, passes=4, iterations=50).fit(vc.bow, vocab=vc.vocab).result_,
        "nmf": NMF(5, random_state=3).fit(vc.tfidf, vocab=vc.vocab).result_,
    }


def test_shared_statistics_give_gensims_own_scores(tokens, vc, fits):
    scorer = CoherenceScorer(tokens, vc.dictionary).prepare(fits.values())
    assert scorer.n_estimations == len(MEASURES)
    for result in fits.values():
        scores = scorer.score(result)
        for measure in MEASURES:
            fresh = CoherenceModel(
                topics=result.top_terms(10),
                texts=tokens,
                dictionary=vc.dictionary,
                coherence=measure,
                processes=1,
            )
            np.testing.assert_allclose(scores[measure], fresh.get_coherence_per_topic())
    # scoring within the prepared words never reads the corpus again
    assert scorer.n_estimations == len(MEASURES)


def test_coherence_table_covers_every_topic_of_every_model(tokens, vc, fits):
    table = coherence(list(fits.values()), tokens, vc.dictionary)
    assert list(table.columns) == ["model", "k", "topic", *MEASURES]
    assert len(table) == 4 + 5
    assert table.groupby("model")["topic"].nunique().to_dict() == {"lda": 4, "nmf": 5}
    assert table[list(MEASURES)].notna().all().all()
    with pytest.raises(ValueError, match="not in the dictionary"):
        CoherenceScorer(tokens, vc.dictionary).score([["cán_bộ", "không_có_từ_này"]])


def test_diversity_counts_unique_top_terms():
    assert diversity([["a", "b"], ["c", "d"]], n=2) == 1.0
    assert diversity([["a", "b"], ["a", "b"]], n=2) == 0.5
    assert diversity([["a", "b", "c"], ["a", "d", "e"]], n=2) == 0.75


def test_stability_matches_topics_with_the_hungarian_algorithm():
    a = [["a", "b"], ["c", "d"], ["e", "f"]]
    shuffled = [a[2], a[0], a[1]]
    assert stability([a, shuffled], n=2) == 1.0
    matched = match_topics(a, shuffled, n=2)
    assert matched[["topic_a", "topic_b"]].values.tolist() == [[0, 1], [1, 2], [2, 0]]
    half = [["a", "x"], ["c", "d"], ["e", "f"]]
    assert stability([a, half], n=2) == pytest.approx((1 / 3 + 1 + 1) / 3)
    with pytest.raises(ValueError, match="at least two"):
        stability([a])


# a small grid, fast on the shipped paragraphs
SMALL_GRID = {
    "k_grid": [3, 5],
    "n_seeds": 2,
    "random_state": 4,
    "lda_params": {"passes": 2, "iterations": 30},
    "progress": False,
}


def test_select_k_is_one_tidy_row_per_model_and_k(tokens, vc):
    table, results = select_k(vc, tokens, return_results=True, **SMALL_GRID)
    assert list(table.columns) == ["model", "k", *MEASURES, "diversity", "stability"]
    assert table[["model", "k"]].values.tolist() == [["lda", 3], ["lda", 5], ["nmf", 3], ["nmf", 5]]
    assert table.drop(columns=["model", "k"]).notna().all().all()
    assert table["diversity"].between(0, 1).all() and table["stability"].between(0, 1).all()
    # the reported fit is the one the user's seed gives
    own = LDA(5, random_state=4, passes=2, iterations=30).fit(vc.bow, vocab=vc.vocab)
    np.testing.assert_array_equal(results["lda", 5].topic_word, own.result_.topic_word)
    again = select_k(vc, tokens, **SMALL_GRID)
    pd.testing.assert_frame_equal(table, again)


def test_select_k_gives_the_same_fits_in_two_processes(tokens, vc):
    serial, serial_fits = select_k(vc, tokens, return_results=True, **SMALL_GRID)
    parallel, parallel_fits = select_k(vc, tokens, n_jobs=2, return_results=True, **SMALL_GRID)
    pd.testing.assert_frame_equal(serial, parallel)
    for cell, result in serial_fits.items():
        np.testing.assert_array_equal(result.topic_word, parallel_fits[cell].topic_word)
        np.testing.assert_array_equal(result.doc_topic, parallel_fits[cell].doc_topic)


def test_select_k_rejects_impossible_k(tokens, vc):
    with pytest.raises(ValueError, match="larger than the number of units"):
        select_k(vc, tokens, k_grid=[4, 500], progress=False)


@pytest.mark.parametrize("metric", ["cosine", "jensen_shannon"])
def test_align_covers_every_pair_and_flags_a_one_to_one_matching(fits, metric):
    table = align(fits["lda"], fits["nmf"], metric=metric)
    assert len(table) == 4 * 5
    assert set(zip(table["topic_a"], table["topic_b"], strict=True)) == {
        (a, b) for a in range(4) for b in range(5)
    }
    matched = table[table["matched"]]
    assert len(matched) == 4
    assert matched["topic_a"].is_unique and matched["topic_b"].is_unique
    assert table["similarity"].between(0, 1 + 1e-12).all()
    # a result aligned with itself matches every topic to itself with similarity 1
    self_table = align(fits["nmf"], fits["nmf"], metric=metric)
    diag = self_table[self_table["matched"]]
    assert (diag["topic_a"] == diag["topic_b"]).all()
    np.testing.assert_allclose(diag["similarity"], 1.0)


def test_align_uses_the_shared_vocabulary_only():
    a = TopicResult(np.array([[0.5, 0.5, 0.0]]), np.ones((1, 1)), ["x", "y", "z"], ["u"], "lda")
    b = TopicResult(np.array([[0.5, 0.5]]), np.ones((1, 1)), ["x", "y"], ["u"], "nmf")
    assert align(a, b)["similarity"].iloc[0] == pytest.approx(1.0)
    c = TopicResult(np.array([[1.0]]), np.ones((1, 1)), ["w"], ["u"], "nmf")
    with pytest.raises(ValueError, match="share no vocabulary"):
        align(a, c)
