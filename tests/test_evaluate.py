"""Coherence, diversity, stability, K selection and alignment on the shipped paragraphs."""

from __future__ import annotations

import importlib
import warnings

import numpy as np
import pandas as pd
import pytest
from gensim.corpora import Dictionary
from gensim.models import CoherenceModel
from gensim.topic_coherence.text_analysis import CorpusAccumulator, WordOccurrenceAccumulator
from test_models_corpus import shipped_paragraphs

from topiclab import LDA, NMF, TopicResult
from topiclab.evaluate import (
    MEASURES,
    CoherenceScorer,
    align,
    coherence,
    count_cooccurrences,
    diversity,
    match_topics,
    select_k,
    stability,
)
from topiclab.vectorize import EmptyUnitsWarning, vectorize

# the module, not the function topiclab.evaluate.coherence that shadows its name
coherence_module = importlib.import_module("topiclab.evaluate.coherence")


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


def _gensim_scores(topics, texts, dictionary, measure) -> np.ndarray:
    """A fresh gensim CoherenceModel for one topic set: the reference values."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # its log(0) and 0/0 of absent words
        model = CoherenceModel(
            topics=topics, texts=texts, dictionary=dictionary, coherence=measure, processes=1
        )
        return np.asarray(model.get_coherence_per_topic(), dtype=float)


def test_shared_statistics_give_gensims_own_scores(tokens, vc, fits):
    scorer = CoherenceScorer(tokens, vc.dictionary).prepare(fits.values())
    # one counting pass for every measure and every topic set
    assert scorer.n_estimations == 1
    for result in fits.values():
        scores = scorer.score(result)
        for measure in MEASURES:
            fresh = _gensim_scores(result.top_terms(10), tokens, vc.dictionary, measure)
            np.testing.assert_allclose(scores[measure], fresh, rtol=0, atol=1e-6)
    # scoring within the prepared words never reads the corpus again
    assert scorer.n_estimations == 1


# --------------------------------------------- coherence against gensim, VNTC-like texts

CATEGORY_WORDS = {
    "the_thao": "bóng_đá cầu_thủ trận đội_tuyển giải hlv sân thắng bàn thắng_lợi",
    "phap_luat": "công_an điều_tra bị_cáo tòa án vụ cơ_quan tiền lừa_đảo hình_sự",
    "suc_khoe": "bệnh bệnh_nhân bác_sĩ thuốc điều_trị bệnh_viện virus dịch sức_khỏe ăn",
    "kinh_te": "giá doanh_nghiệp đầu_tư thị_trường tăng usd công_ty xuất_khẩu vốn lãi_suất",
}
COMMON_WORDS = "người năm ngày nước việt_nam hai mới thời_gian cho_biết tháng".split()


def vntc_like_texts(n_docs: int = 300, seed: int = 0) -> list[list[str]]:
    """Articles of one category each: Zipf-weighted category and common words, lengths
    from empty through shorter than both windows (10, 110) to several hundred tokens."""
    rng = np.random.default_rng(seed)
    categories = [words.split() for words in CATEGORY_WORDS.values()]
    texts = []
    for i in range(n_docs):
        words = categories[i % len(categories)] + COMMON_WORDS
        weights = 1 / np.arange(1, len(words) + 1)
        weights = rng.permutation(weights) / weights.sum()
        length = int(rng.choice([0, 1, 5, 9, 10, 11, 60, 109, 110, 111, 250, 400]))
        texts.append(list(rng.choice(words, size=length, p=weights)))
    return texts


@pytest.fixture(scope="module")
def vntc_like():
    texts = vntc_like_texts()
    # "vắng_mặt" is in the dictionary but in no text: a top term that never occurs
    dictionary = Dictionary([*texts, ["vắng_mặt"]])
    rng = np.random.default_rng(1)
    words = sorted({w for text in texts for w in text})
    # a K grid with refits: topic sets sharing many words across topics and sets
    topic_sets = [
        [list(rng.choice(words, size=10, replace=False)) for _ in range(k)]
        for k in (3, 5, 8)
        for _ in range(2)
    ]
    # edge cases: an absent word, a word repeated in one topic, a two-word topic
    edge = [
        ["bóng_đá", "vắng_mặt", "cầu_thủ", "trận"],
        ["bệnh", "thuốc", "bệnh", "bác_sĩ", "thuốc"],
        ["giá", "usd"],
    ]
    return texts, dictionary, [*topic_sets, edge]


def test_counts_equal_gensims_accumulators(vntc_like):
    texts, dictionary, topic_sets = vntc_like
    terms = sorted({w for topics in topic_sets for topic in topics for w in topic})
    counts = count_cooccurrences(texts, terms, windows=(110, 10, 3, None))
    ids = [dictionary.token2id[t] for t in terms]
    for window in (110, 10, 3):
        accumulator = WordOccurrenceAccumulator(set(ids), dictionary).accumulate(texts, window)
        expected = np.array([[accumulator[a, b] for b in ids] for a in ids])
        assert counts[window].n == accumulator.num_docs
        np.testing.assert_array_equal(counts[window].matrix.toarray(), expected)
    with pytest.raises(ValueError, match="positive integers"):
        count_cooccurrences(texts, terms, windows=(0,))
    corpus = [dictionary.doc2bow(text) for text in texts]
    documents = CorpusAccumulator(set(ids)).accumulate(corpus)
    expected = np.array([[documents[a, b] if a != b else documents[a] for b in ids] for a in ids])
    assert counts[None].n == len(texts)
    np.testing.assert_array_equal(counts[None].matrix.toarray(), expected)


def test_counts_in_sparse_sums_and_small_batches_are_the_same(vntc_like, monkeypatch):
    texts, _, topic_sets = vntc_like
    terms = sorted({w for topics in topic_sets for topic in topics for w in topic})
    dense = count_cooccurrences(texts, terms)
    # a large union is summed in scipy.sparse matrices, a long corpus in pair batches
    monkeypatch.setattr(coherence_module, "_DENSE_TERMS", 4)
    monkeypatch.setattr(coherence_module, "_PAIR_BATCH", 50)
    sparse = count_cooccurrences(texts, terms, chunk_tokens=500)
    for window, expected in dense.items():
        assert sparse[window].n == expected.n
        assert (sparse[window].matrix != expected.matrix).nnz == 0


@pytest.mark.parametrize("measure", MEASURES)
def test_coherence_equals_gensim_on_a_k_grid_with_edge_cases(vntc_like, measure):
    texts, dictionary, topic_sets = vntc_like
    scorer = CoherenceScorer(texts, dictionary, measures=[measure]).prepare(topic_sets)
    for topics in topic_sets:
        ours = scorer.score(topics)[measure].to_numpy()
        np.testing.assert_allclose(
            ours, _gensim_scores(topics, texts, dictionary, measure), rtol=0, atol=1e-6
        )
    assert scorer.n_estimations == 1
    edge = scorer.score(topic_sets[-1])[measure]
    if measure == "u_mass":
        assert np.isfinite(edge).all()
    else:  # gensim's own verdict on a topic with a word that never occurs
        assert not np.isfinite(edge.iloc[0]) and np.isfinite(edge.iloc[1:]).all()


def test_the_texts_are_read_once_for_a_whole_grid(vntc_like):
    texts, dictionary, topic_sets = vntc_like

    class Reads:
        n = 0

        def __iter__(self):
            Reads.n += 1
            return iter(texts)

    grid, edge = topic_sets[:-1], topic_sets[-1]
    scorer = CoherenceScorer(Reads(), dictionary).prepare(grid)
    for topics in grid:
        scorer.score(topics)
    assert Reads.n == 1 and scorer.n_estimations == 1
    # "vắng_mặt" is outside the prepared union: one more pass, for the larger union
    assert "vắng_mặt" not in scorer.counts[110].terms
    scorer.score(edge)
    assert Reads.n == 2 and "vắng_mặt" in scorer.counts[110].terms


def test_coherence_scores_plain_topic_lists(tokens, vc, fits):
    result = fits["nmf"]
    reference = coherence(result, tokens, vc.dictionary)
    plain = coherence(result.top_terms(10), tokens, vc.dictionary)
    assert plain["model"].eq("topics").all() and plain["k"].eq(5).all()
    pd.testing.assert_frame_equal(
        plain.drop(columns="model"), reference.drop(columns="model"), check_exact=True
    )
    # several lists, a dict of named sets, and no dictionary at all
    several = coherence([result.top_terms(10), fits["lda"].top_terms(10)], tokens)
    assert several["model"].unique().tolist() == ["topics_0", "topics_1"]
    named = coherence({"mine": result.top_terms(10), "lda": fits["lda"]}, tokens)
    assert named.groupby("model", sort=False).size().to_dict() == {"mine": 5, "lda": 4}
    np.testing.assert_array_equal(
        named.loc[named["model"] == "mine", list(MEASURES)].to_numpy(),
        reference[list(MEASURES)].to_numpy(),
    )
    with pytest.raises(TypeError, match="list of topics"):
        coherence(["cán_bộ", "đảng_viên"], tokens)


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


class _WhereLoaded:
    """A matrix read where it is fitted (as a StoredMatrix is), noting that process's id."""

    def __init__(self, matrix, folder) -> None:
        self.matrix, self.folder = matrix, folder

    def load(self):
        import os

        (self.folder / f"{os.getpid()}-{id(self)}").touch()
        return self.matrix


def test_the_calling_process_fits_every_n_jobs_th_task_and_one_worker_the_rest(vc, tmp_path):
    import os

    from topiclab.evaluate import fit_topic_models

    def tasks(folder):
        for i in range(4):
            (folder / str(i)).mkdir(parents=True)
        return [("nmf", 3, i, _WhereLoaded(vc.tfidf, folder / str(i)), vc.vocab, {}, None)
                for i in range(4)]  # fmt: skip

    two = list(fit_topic_models(tasks(tmp_path / "two"), n_jobs=2))
    one = list(fit_topic_models(tasks(tmp_path / "one"), n_jobs=1))
    for a, b in zip(one, two, strict=True):
        np.testing.assert_array_equal(a.doc_topic, b.doc_topic)
    where = {p.parent.name: int(p.name.split("-")[0]) for p in (tmp_path / "two").glob("*/*")}
    # n_jobs = 2: the run's own process and one worker, not two workers beside an idle parent
    assert where["0"] == where["2"] == os.getpid()
    assert where["1"] == where["3"] != os.getpid()


def test_a_workers_fit_holds_the_callers_unit_ids(vc):
    from topiclab.evaluate import fit_topic_models

    ids = [f"doc-{i}#p0" for i in range(vc.n_units)]
    tasks = [("lda", 3, seed, vc.bow, vc.vocab, {"passes": 2}, ids) for seed in range(2)]
    here, worker = list(fit_topic_models(tasks, n_jobs=2))
    # the worker sends its fit back without the ids; the caller's own strings are put in
    assert here.unit_ids == worker.unit_ids == ids
    assert all(a is b for a, b in zip(worker.unit_ids, ids, strict=True))
    (alone,) = list(fit_topic_models(tasks[1:], n_jobs=1))
    np.testing.assert_array_equal(worker.doc_topic, alone.doc_topic)
    assert alone.unit_ids == ids


def test_fits_in_two_processes_come_in_task_order_with_the_values_of_one(vc):
    """The calling process fits its next task instead of waiting for a worker's earlier one,
    and the fitters take turns through their peak sections: neither changes a value or the
    order of the results."""
    from topiclab.evaluate import fit_topic_models

    ids = [f"u{i}" for i in range(vc.n_units)]
    tasks = [
        ("lda" if i != 3 else "nmf", 3, i, vc.bow if i != 3 else vc.tfidf, vc.vocab, {}, ids)
        for i in range(5)
    ]
    two = list(fit_topic_models(tasks, n_jobs=2))
    one = list(fit_topic_models(tasks, n_jobs=1))
    assert [r.model for r in two] == ["lda", "lda", "lda", "nmf", "lda"]
    for a, b in zip(one, two, strict=True):
        assert (a.model, a.seed, a.unit_ids) == (b.model, b.seed, b.unit_ids)
        np.testing.assert_array_equal(a.doc_topic, b.doc_topic)
        np.testing.assert_array_equal(a.topic_word, b.topic_word)


def test_joblib_parallel_still_works_after_fits_in_worker_processes(vc):
    from joblib import Parallel, delayed

    from topiclab.evaluate import fit_topic_models

    tasks = [("nmf", 3, seed, vc.tfidf, vc.vocab, {}, None) for seed in range(2)]
    assert len(list(fit_topic_models(tasks, n_jobs=2))) == 2
    # the tokenizer's joblib map reuses the same worker pool
    assert Parallel(n_jobs=2)(delayed(abs)(-i) for i in range(4)) == [0, 1, 2, 3]


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
