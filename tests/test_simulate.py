"""The harder simulated corpora of topiclab.themes.simulate: each option has the property it claims.

These check the generator itself (no model is fitted), so they run in a second or two; the
study that uses them is ``benchmarks/simulation_grid.py``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from topiclab.themes import load_lexicon
from topiclab.themes.simulate import (
    DEFAULT_THEMES,
    correlated_design,
    oracle_shares,
    simulate_corpus,
)

PLANTED = "party_discipline"


@pytest.fixture(scope="module")
def lexicon():
    return load_lexicon()


def _doc_table(corpus) -> pd.DataFrame:
    return corpus.units.groupby("doc_id", sort=True)[["locality", "year"]].first()


def test_correlated_design_correlates_locality_and_year(lexicon):
    sizes = correlated_design(8)
    assert sizes.shape == (3, 5) and sizes.min() >= 1
    corpus = simulate_corpus(docs_per_cell=sizes, lexicon=lexicon, draw_tokens=False)
    docs = _doc_table(corpus)
    # the first locality reports early, the second late: its indicator correlates with year
    first = (docs["locality"] == "An Giang").astype(float)
    second = (docs["locality"] == "Bắc Ninh").astype(float)
    assert np.corrcoef(first, docs["year"])[0, 1] < -0.3
    assert np.corrcoef(second, docs["year"])[0, 1] > 0.3
    # so one-way year means are confounded: mean year differs by locality by over a year
    mean_year = docs.groupby("locality")["year"].mean()
    assert mean_year["Bắc Ninh"] - mean_year["An Giang"] > 1.0
    # strength 0 is the balanced design: no correlation at all
    balanced = simulate_corpus(
        docs_per_cell=correlated_design(8, strength=0.0), lexicon=lexicon, draw_tokens=False
    )
    docs = _doc_table(balanced)
    first = (docs["locality"] == "An Giang").astype(float)
    assert abs(np.corrcoef(first, docs["year"])[0, 1]) < 1e-12


def test_null_effect_has_no_planted_difference(lexicon):
    corpus = simulate_corpus(
        docs_per_cell=correlated_design(32),
        locality_effect=(0.0, 0.05, 0.0),  # the third locality is a null contrast
        year_trend=0.0125,
        lexicon=lexicon,
        draw_tokens=False,
        random_state=3,
    )
    effects = corpus.true_effects.set_index(["theme", "covariate", "level"])["truth"]
    assert effects[(PLANTED, "locality", "Cà Mau")] == 0.0
    assert effects[(PLANTED, "locality", "Bắc Ninh")] == pytest.approx(0.05)
    assert effects[(PLANTED, "year", "per unit")] == pytest.approx(0.0125)
    # the other themes give up the planted share evenly; the background does not move
    others = [t for t in DEFAULT_THEMES if t != PLANTED]
    for theme in others:
        assert effects[(theme, "locality", "Bắc Ninh")] == pytest.approx(-0.05 / len(others))
    assert effects[("other", "year", "per unit")] == 0.0
    # the drawn proportions agree: least squares of the planted share on locality and year
    # (the design is additive, so OLS is unbiased) finds the null contrast within sampling
    # error of 0 and the planted one near 0.05
    shares = oracle_shares(corpus)
    X = np.column_stack(
        [
            np.ones(len(shares)),
            shares["locality"] == "Bắc Ninh",
            shares["locality"] == "Cà Mau",
            shares["year"] - 2016,
        ]
    ).astype(float)
    y = shares[PLANTED].to_numpy()
    beta, *_ = np.linalg.lstsq(X, y, rcond=None)
    sigma2 = np.sum((y - X @ beta) ** 2) / (len(y) - X.shape[1])
    se = np.sqrt(np.diag(sigma2 * np.linalg.inv(X.T @ X)))
    assert abs(beta[2]) < 3 * se[2]
    assert abs(beta[1] - 0.05) < 3 * se[1] and beta[1] > 2 * se[1]
    assert abs(beta[3] - 0.0125) < 3 * se[3]

    everything_null = simulate_corpus(
        locality_effect=(0.0, 0.0, 0.0), year_trend=0.0, lexicon=lexicon, draw_tokens=False
    )
    assert (everything_null.true_effects["truth"] == 0).all()
    truth = everything_null.truth_by_locality.query("theme == @PLANTED")["truth"]
    assert truth.nunique() == 1


def test_paragraphs_specialise_within_a_document(lexicon):
    options = {"lexicon": lexicon, "random_state": 5, "units_per_doc": 4, "docs_per_cell": 3}
    plain = simulate_corpus(**options)
    special = simulate_corpus(paragraph_concentration=1.0, **options)
    # without the option every unit of a document has its document's mixture
    doc_theta = plain.theta.loc[plain.units["doc_id"]].to_numpy()
    assert np.allclose(plain.unit_theta, doc_theta)
    # with it, paragraphs differ from their document and are dominated by one topic ...
    doc_theta = special.theta.loc[special.units["doc_id"]].to_numpy()
    assert np.abs(special.unit_theta - doc_theta).sum(axis=1).mean() > 0.5
    assert special.unit_theta.max(axis=1).mean() > doc_theta.max(axis=1).mean() + 0.15
    # ... and different paragraphs of a document are about different topics
    dominant = pd.Series(special.unit_theta.argmax(axis=1)).groupby(special.units["doc_id"])
    assert (dominant.nunique() > 1).mean() > 0.5
    # the document's mixture is still their expectation: unit mixtures average out to it
    assert np.abs(special.unit_theta - doc_theta).mean(axis=0) == pytest.approx(
        np.zeros(doc_theta.shape[1]), abs=0.25
    )
    assert (special.unit_theta - doc_theta).mean(axis=0) == pytest.approx(
        np.zeros(doc_theta.shape[1]), abs=0.03
    )
    # the words follow the unit's mixture: a paragraph's own-word counts track its theme
    own = [
        [sum(w.startswith(f"{t}_word") for w in words) for t in DEFAULT_THEMES]
        for words in special.tokens
    ]
    own = np.asarray(own, dtype=float)
    r = np.corrcoef(own[:, 2], special.unit_theta[:, 2])[0, 1]
    assert r > 0.7


def _overlap(topic_word: np.ndarray) -> float:
    """Mean shared mass sum_w min(p_j, p_k) over pairs of theme topics."""
    themes = topic_word[:-1]
    pairs = [
        np.minimum(themes[j], themes[k]).sum()
        for j in range(len(themes))
        for k in range(j + 1, len(themes))
    ]
    return float(np.mean(pairs))


def test_shared_vocabulary_overlaps_theme_topics(lexicon):
    disjoint = simulate_corpus(lexicon=lexicon, random_state=2, draw_tokens=False)
    shared = simulate_corpus(
        lexicon=lexicon, random_state=2, draw_tokens=False, shared_vocabulary=0.3
    )
    assert np.allclose(shared.topic_word.sum(axis=1), 1.0)
    # disjoint themes share only the common words (at most their 20% of each topic)
    assert _overlap(disjoint.topic_word) <= 0.2 + 1e-9
    assert _overlap(shared.topic_word) > _overlap(disjoint.topic_word) + 0.05
    # every pair of themes has words that both use and no other topic does
    vocab = np.asarray(shared.vocab)
    n = len(DEFAULT_THEMES)
    for i in range(n):
        for j in range(i + 1, n):
            pool = np.char.startswith(vocab, f"shared_{i}_{j}_")
            assert pool.sum() == 5
            mass = shared.topic_word[:, pool].sum(axis=1)
            assert mass[i] > 0.02 and mass[j] > 0.02
            assert np.delete(mass, [i, j]).sum() == 0
    # each theme keeps 70% of its own words' mass: its topic is not a mix of the others
    own = np.char.startswith(vocab, "training_word")
    k = list(DEFAULT_THEMES).index("training")
    assert shared.topic_word[k, own].sum() == pytest.approx(
        0.7 * disjoint.topic_word[k, np.isin(disjoint.vocab, vocab[own])].sum()
    )
    assert np.delete(shared.topic_word, k, axis=0)[:, own].sum() == 0
    # the background topic is not touched, and the drawn words use the pools
    common = np.char.startswith(vocab, "common")
    old_common = np.char.startswith(np.asarray(disjoint.vocab), "common")
    assert np.array_equal(shared.topic_word[-1, common], disjoint.topic_word[-1, old_common])
    assert shared.topic_word[-1, ~common].sum() == 0
    words = simulate_corpus(
        lexicon=lexicon, random_state=2, docs_per_cell=1, shared_vocabulary=0.3
    ).tokens
    assert any(w.startswith("shared_") for unit in words for w in unit)


def test_defaults_draw_the_same_corpus_as_before(lexicon):
    # the new options are off by default and draw nothing: earlier benchmarks stay reproducible
    corpus = simulate_corpus(lexicon=lexicon, random_state=7, docs_per_cell=1)
    again = simulate_corpus(
        lexicon=lexicon,
        random_state=7,
        docs_per_cell=1,
        paragraph_concentration=None,
        shared_vocabulary=0.0,
    )
    assert corpus.tokens == again.tokens
    assert corpus.true_effects is not None and len(corpus.true_effects) == 3 * 5


def test_bad_options_are_refused(lexicon):
    with pytest.raises(ValueError, match="shared_vocabulary"):
        simulate_corpus(lexicon=lexicon, shared_vocabulary=1.0)
    with pytest.raises(ValueError, match="paragraph_concentration"):
        simulate_corpus(lexicon=lexicon, paragraph_concentration=0.0)
    with pytest.raises(ValueError, match="strength"):
        correlated_design(4, strength=1.0)
