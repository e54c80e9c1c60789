"""Simulation test of validity: compare recovers planted theme differences with honest intervals.

The full coverage study (more simulations, single fit against refits) is
``benchmarks/themes_coverage.py``; this test keeps a few repetitions so the suite stays fast.
"""

from __future__ import annotations

import numpy as np
import pytest

from topiclab.themes import compare, load_lexicon, theme_shares
from topiclab.themes.simulate import (
    coverage_study,
    fit_lda_refits,
    oracle_shares,
    simulate_corpus,
)


@pytest.fixture(scope="module")
def corpus():
    return simulate_corpus(random_state=11, docs_per_cell=8)


@pytest.fixture(scope="module")
def lda_result(corpus):
    return fit_lda_refits(corpus, 11, n_refits=1, passes=10)[0]


@pytest.fixture(scope="module")
def lda_shares(corpus, lda_result):
    return theme_shares(lda_result, load_lexicon(), corpus.units, level="document")


def test_simulated_corpus_has_the_planted_design(corpus):
    truth = corpus.truth_by_locality
    planted = truth[truth["theme"] == "party_discipline"].set_index("locality")["truth"]
    assert planted.is_monotonic_increasing and planted.iloc[-1] - planted.iloc[0] == pytest.approx(
        0.2
    )
    by_year = corpus.truth_by_year
    trend = by_year[by_year["theme"] == "party_discipline"]["truth"].to_numpy()
    assert np.diff(trend) == pytest.approx(np.full(4, 0.03))
    assert len(corpus.units) == len(corpus.tokens) == 3 * 5 * 8 * 3


def test_lda_topics_are_labelled_with_the_simulated_themes(lda_result):
    from topiclab.themes import label_topics

    labels = label_topics(lda_result)
    # every simulated theme gets a topic; LDA may split one theme over two topics and fold
    # the background words into them, so "other" need not appear
    assert {"cadre_planning", "cadre_rotation", "party_discipline", "training"} <= set(
        labels["theme"]
    )


def test_compare_recovers_the_planted_locality_difference(lda_shares, corpus):
    table = compare(lda_shares, by="locality", n_boot=400, random_state=0)
    planted = table[table["theme"] == "party_discipline"].set_index("locality")
    truth = corpus.truth_by_locality.query("theme == 'party_discipline'").set_index("locality")
    # the planted extremes, separated by non-overlapping intervals
    assert planted["mean"].idxmin() == truth["truth"].idxmin()
    assert planted["mean"].idxmax() == truth["truth"].idxmax()
    assert planted["lower"].iloc[-1] > planted["upper"].iloc[0]
    gap = planted["mean"].iloc[-1] - planted["mean"].iloc[0]
    assert gap == pytest.approx(truth["truth"].iloc[-1] - truth["truth"].iloc[0], abs=0.1)


def test_compare_recovers_the_planted_year_trend(lda_shares):
    table = compare(lda_shares, by="year", n_boot=400, random_state=0)
    planted = table[table["theme"] == "party_discipline"]
    slope = np.polyfit(planted["year"].astype(int), planted["mean"], 1)[0]
    assert 0.01 < slope < 0.07  # planted: +0.03 a year


def test_oracle_intervals_cover_the_truth_at_close_to_the_nominal_rate():
    covered = []
    for seed in range(12):
        corpus = simulate_corpus(random_state=seed)
        shares = oracle_shares(corpus)
        for by, truth in (("locality", corpus.truth_by_locality), ("year", corpus.truth_by_year)):
            table = compare(shares, by=by, n_boot=300, random_state=seed).merge(truth)
            covered.extend((table["lower"] <= table["truth"]) & (table["truth"] <= table["upper"]))
    rate = float(np.mean(covered))
    print(f"oracle coverage of 95% intervals: {rate:.3f} over {len(covered)} intervals")
    assert 0.88 <= rate <= 0.99


def test_lda_refit_intervals_cover_the_truth_better_than_a_single_fit():
    single = coverage_study(
        lambda c, s: fit_lda_refits(c, s, n_refits=1, passes=5), n_sims=3, n_boot=300
    )
    refits = coverage_study(
        lambda c, s: fit_lda_refits(c, s, n_refits=3, passes=5), n_sims=3, n_boot=300
    )
    single_rate, refit_rate = single["covered"].mean(), refits["covered"].mean()
    print(f"coverage: single LDA fit {single_rate:.3f}, three refits {refit_rate:.3f}")
    assert refit_rate >= single_rate
    assert refit_rate >= 0.75
