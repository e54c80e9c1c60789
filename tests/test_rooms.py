"""The analysis rules that moved out of the pipeline into their rooms, on plain data.

K choice (:func:`topiclab.evaluate.choose_k`), refit averaging and unit weighting
(:mod:`topiclab.themes`), anchor words (:meth:`Lexicon.anchor_words`) and the table builders
(:mod:`topiclab.tables`) are called here directly, without a pipeline run.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import sparse

from topiclab import tables, themes
from topiclab.evaluate import choose_k
from topiclab.models.result import TopicResult
from topiclab.themes import lexicon_from_mapping

VOCAB = ["cán_bộ", "khiển_trách", "kinh_tế", "kỷ_luật"]
UNITS = pd.DataFrame(
    {
        "unit_id": ["d1:p0", "d1:p1", "d2:p0"],
        "doc_id": ["d1", "d1", "d2"],
        "unit_index": [0, 1, 0],
        "locality": ["A", "A", "B"],
        "n_tokens": [5, 7, 3],
        "text": ["kỷ luật khiển trách", "cán bộ", "kinh tế"],
    }
)


def _lexicon():
    return lexicon_from_mapping(
        {
            "themes": [
                {"id": "discipline", "terms": {"kỷ_luật": 3, "khiển_trách": 1}},
                {"id": "cadres", "terms": {"cán_bộ": 2}},
            ]
        }
    )


def _result(doc_topic, model="lda", seed=0) -> TopicResult:
    topic_word = np.array([[0.1, 0.4, 0.0, 0.5], [0.8, 0.0, 0.2, 0.0]])
    return TopicResult(
        topic_word, np.asarray(doc_topic, float), VOCAB, UNITS["unit_id"], model, seed=seed
    )


def test_choose_k_takes_the_highest_npmi_and_the_smaller_k_on_ties():
    table = pd.DataFrame(
        {
            "model": ["lda", "lda", "lda", "nmf", "nmf"],
            "k": [10, 12, 14, 10, 12],
            "c_npmi": [0.05, 0.08, 0.08, 0.02, -0.01],
        }
    )
    assert choose_k(table) == {"lda": 12, "nmf": 10}
    assert choose_k(table, ["nmf"]) == {"nmf": 10}
    with pytest.raises(ValueError, match="no row for model 'tomotopy'"):
        choose_k(table, ["tomotopy"])


def test_anchor_words_keep_the_terms_at_least_as_heavy_as_the_floor():
    lexicon = _lexicon()
    assert lexicon.anchor_words(2) == {"discipline": ["kỷ_luật"], "cadres": ["cán_bộ"]}
    assert lexicon.anchor_words(1) == {
        "discipline": ["kỷ_luật", "khiển_trách"],
        "cadres": ["cán_bộ"],
    }
    assert lexicon.anchor_words(5) == {"discipline": [], "cadres": []}


def test_units_are_weighed_by_the_tokens_the_model_saw():
    bow = sparse.csr_matrix(np.array([[2, 1, 0, 0], [0, 0, 0, 0], [0, 0, 3, 0]]))
    seen = themes.weigh_units_by_tokens_seen(UNITS, bow)
    assert seen["n_tokens"].tolist() == [3, 0, 3]
    assert UNITS["n_tokens"].tolist() == [5, 7, 3]  # the input is left alone
    # the unit the filter left empty has no say in its document's share
    shares = themes.theme_shares(_result([[0.9, 0.1], [0.1, 0.9], [0.5, 0.5]]), _lexicon(), seen)
    documents = themes.document_shares(shares).set_index("doc_id")
    first = shares.set_index("unit_id").loc["d1:p0"]
    assert documents.loc["d1", "discipline"] == pytest.approx(first["discipline"])
    with pytest.raises(ValueError, match="bow has 2 rows for 3 units"):
        themes.weigh_units_by_tokens_seen(UNITS, bow[:2])


def test_mean_of_refits_averages_the_share_columns_only():
    lexicon = _lexicon()
    one = themes.theme_shares(_result([[0.9, 0.1], [0.1, 0.9], [0.5, 0.5]]), lexicon, UNITS)
    two = themes.theme_shares(_result([[0.1, 0.9], [0.9, 0.1], [0.5, 0.5]]), lexicon, UNITS)
    mean = themes.mean_of_refits([one, two])
    columns = themes.share_columns(one)
    expected = (one[columns].to_numpy() + two[columns].to_numpy()) / 2
    np.testing.assert_allclose(mean[columns].to_numpy(), expected)
    assert mean["weight"].tolist() == one["weight"].tolist()
    assert themes.mean_of_refits([one]) is one


def test_stack_replicates_puts_replicate_last():
    a = pd.DataFrame({"model": ["lda"], "weight": [1.0], "replicate": [0], "x": [0.5]})
    b = pd.DataFrame({"model": ["lexicon"], "n_hits": [2], "weight": [1.0], "x": [0.2]})
    stacked = themes.stack_replicates([a, b.assign(replicate=0)])
    assert stacked.columns[-1] == "replicate"
    assert len(stacked) == 2


def test_table_builders_take_plain_data():
    result = _result([[0.9, 0.1], [0.1, 0.9], [0.5, 0.5]])
    bow = sparse.csr_matrix(np.array([[2, 1, 0, 0], [0, 0, 0, 0], [0, 0, 3, 0]]))
    doc_topics = tables.document_topics_table({"lda": result}, UNITS, bow)
    # d1's second unit saw no token: d1 is its first unit alone
    d1 = doc_topics.set_index("doc_id").loc["d1"]
    assert d1["model"] == "lda"
    assert [d1["topic_0"], d1["topic_1"]] == pytest.approx([0.9, 0.1])
    assert list(tables.units_table(UNITS).columns) == [
        "unit_id",
        "doc_id",
        "unit_index",
        "locality",
        "n_tokens",
        "text",
    ]
    note = tables.alignment_table({"lda": result})
    assert "needs both lda and nmf" in note["note"].iloc[0]
