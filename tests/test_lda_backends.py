"""LDA's two backends: determinism across processes, tomotopy's result, priors and streams."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from test_models_corpus import shipped_paragraphs

from topiclab import LDA
from topiclab.models import AnchorWordsWarning
from topiclab.vectorize import BowCorpus, EmptyUnitsWarning, vectorize

TESTS_DIR = Path(__file__).resolve().parent

ANCHOR_WORDS = {
    "cadre_planning": ["quy_hoạch", "nguồn", "trẻ"],
    "training": ["đào_tạo", "bồi_dưỡng", "lý_luận", "trình_độ", "chuyên_môn"],
    "political_education": ["học_tập", "tư_tưởng", "nghị_quyết", "đạo_đức", "quán_triệt"],
}

# backend, workers, anchored: every way the pipeline or a user can fit LDA
CONFIGS = {
    "gensim": ("gensim", 1, False),
    "gensim-anchored": ("gensim", 1, True),
    "tomotopy": ("tomotopy", 1, False),
    "tomotopy-anchored": ("tomotopy", 1, True),
    "tomotopy-2-workers": ("tomotopy", 2, False),
}


@pytest.fixture(scope="module")
def tokens() -> list[list[str]]:
    return [list(unit) for unit in shipped_paragraphs()[1]]


@pytest.fixture(scope="module")
def vc(tokens):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EmptyUnitsWarning)
        return vectorize(tokens)


def fit(config: str, vc, seed: int = 11) -> LDA:
    backend, workers, anchored = CONFIGS[config]
    lda = LDA(
        6,
        random_state=seed,
        passes=20 if backend == "tomotopy" else 4,
        iterations=50,
        backend=backend,
        workers=workers,
        anchor_words=ANCHOR_WORDS if anchored else None,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AnchorWordsWarning)
        return lda.fit(vc.bow, vocab=vc.vocab)


def digest(lda: LDA) -> str:
    sha = hashlib.sha256()
    sha.update(np.ascontiguousarray(lda.result_.topic_word).tobytes())
    sha.update(np.ascontiguousarray(lda.result_.doc_topic).tobytes())
    return sha.hexdigest()


_CHILD = """
import json, sys, warnings
warnings.simplefilter("ignore")
sys.path.insert(0, {tests!r})
import test_lda_backends as t
from topiclab.vectorize import vectorize
with open({tokens!r}, encoding="utf-8") as handle:
    vc = vectorize(json.load(handle))
for config in t.CONFIGS:
    print(config, t.digest(t.fit(config, vc)))
"""


def test_every_backend_gives_identical_bytes_in_separate_processes(tokens, vc, tmp_path):
    """Same seed, two fresh processes (different hash seeds): identical matrices, for
    gensim and for tomotopy on one worker and on two (ParallelScheme.PARTITION)."""
    path = tmp_path / "tokens.json"
    path.write_text(json.dumps(tokens), encoding="utf-8")
    code = _CHILD.format(tests=str(TESTS_DIR), tokens=str(path))
    env = {**os.environ, "PYTHONHASHSEED": "random"}
    children = [
        subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=env)
        for _ in range(2)
    ]
    outputs = [child.communicate(timeout=600)[0] for child in children]
    assert [child.returncode for child in children] == [0, 0]
    lines = outputs[0].splitlines()
    assert [line.split()[0] for line in lines] == list(CONFIGS)
    assert outputs[0] == outputs[1]
    # a different seed gives different topics: the digests are not constants
    assert digest(fit("tomotopy", vc, seed=12)) != lines[2].split()[1]


def test_tomotopy_result_has_the_shape_and_meaning_of_gensims(vc):
    unit_ids = [f"u{i}" for i in range(vc.n_units)]
    gensim = LDA(5, random_state=3, passes=4, iterations=50).fit(vc.bow, vocab=vc.vocab)
    lda = LDA(5, random_state=3, passes=30, iterations=50, backend="tomotopy")
    lda.fit(vc.bow, vocab=vc.vocab, unit_ids=unit_ids)
    result = lda.result_
    assert result.model == gensim.result_.model == "lda"
    assert result.topic_word.shape == gensim.result_.topic_word.shape == (5, vc.n_terms)
    assert result.doc_topic.shape == gensim.result_.doc_topic.shape == (vc.n_units, 5)
    assert result.vocab == vc.vocab and result.unit_ids == unit_ids and result.seed == 3
    np.testing.assert_allclose(result.topic_word.sum(axis=1), 1.0)
    np.testing.assert_allclose(result.doc_topic.sum(axis=1), 1.0)
    assert set(result.params) == set(gensim.result_.params)
    assert result.params["backend"] == "tomotopy" and result.params["random_state"] == 3
    # alpha means what it means for gensim: symmetric 1/K stays 1/K (tomotopy would
    # re-estimate it every 10 sweeps by default); only alpha="auto" learns it
    np.testing.assert_allclose(lda.model_.alpha, 0.2, rtol=1e-6)
    auto = LDA(5, random_state=3, passes=30, iterations=50, backend="tomotopy", alpha="auto")
    assert not np.allclose(auto.fit(vc.bow, vocab=vc.vocab).model_.alpha, 0.2)
    # column j is vocab[j]: tomotopy's own word probabilities, in our vocabulary order
    index = {term: j for j, term in enumerate(vc.vocab)}
    for topic in range(5):
        for word, prob in lda.model_.get_topic_words(topic, top_n=20):
            np.testing.assert_allclose(result.topic_word[topic, index[word]], prob, rtol=1e-5)
    # topic_word is the posterior mean: the data's counts plus the prior, normalised
    np.testing.assert_allclose(
        result.topic_word, lda.components_ / lda.components_.sum(axis=1, keepdims=True)
    )
    np.testing.assert_allclose(lda.topic_term_counts_.sum(), vc.bow.sum())
    # doc_topic is deterministic inference, independent of the batch a unit comes in
    np.testing.assert_array_equal(lda.transform(vc.bow), result.doc_topic)
    order = np.arange(vc.n_units)[::-1]
    np.testing.assert_array_equal(lda.transform(vc.bow[order]), result.doc_topic[order])
    np.testing.assert_array_equal(lda.transform(vc.bow[3:7]), result.doc_topic[3:7])


def test_tomotopy_anchor_prior_is_the_gensim_eta_and_holds(vc):
    with pytest.warns(AnchorWordsWarning):
        lda = LDA(
            6,
            random_state=5,
            passes=50,
            iterations=50,
            anchor_words=ANCHOR_WORDS,
            backend="tomotopy",
        ).fit(vc.bow, vocab=vc.vocab)
    # same meaning as the gensim backend: the prior is its eta, term for term
    counts = np.asarray(vc.bow.sum(axis=0)).ravel()
    plan_eta = LDA(6, anchor_words=ANCHOR_WORDS)._gensim_eta(counts, _plan(vc))
    np.testing.assert_allclose(lda.components_ - lda.topic_term_counts_, plan_eta)
    assert lda.anchor_topics_ == {"cadre_planning": 0, "training": 1, "political_education": 2}
    for theme, topic in lda.anchor_topics_.items():
        ids = [vc.vocab.index(w) for w in ANCHOR_WORDS[theme] if w in vc.vocab]
        top = set(lda.result_.top_terms(10)[topic])
        assert np.mean([vc.vocab[j] in top for j in ids]) >= 0.6, theme
        # the data (not the prior) puts most of the anchor tokens in the anchored topic
        counts = lda.topic_term_counts_[:, ids]
        assert counts[topic].sum() / counts.sum() >= 0.8, theme


def _plan(vc):
    from topiclab.models._base import plan_anchor_words

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AnchorWordsWarning)
        return plan_anchor_words(ANCHOR_WORDS, vc.vocab, 6)


def test_tomotopy_fits_a_reiterable_corpus_as_it_fits_the_matrix(tokens, vc):
    params = {"random_state": 4, "passes": 20, "iterations": 30, "backend": "tomotopy"}
    matrix = LDA(4, **params).fit(vc.bow, vocab=vc.vocab).result_
    from_tokens = LDA(4, **params).fit(tokens, vocab=vc.vocab).result_
    from_rows = LDA(4, **params).fit(BowCorpus(vc.bow), vocab=vc.vocab).result_
    for streamed in (from_tokens, from_rows):
        assert streamed.vocab == vc.vocab
        np.testing.assert_array_equal(streamed.topic_word, matrix.topic_word)
        np.testing.assert_array_equal(streamed.doc_topic, matrix.doc_topic)
    # without a vocabulary the corpus's own tokens, sorted, are the columns
    own = LDA(4, **params).fit(tokens).result_
    assert own.vocab == sorted({t for unit in tokens for t in unit})
    with pytest.raises(TypeError, match="read only once"):
        LDA(4, **params).fit(iter(tokens), vocab=vc.vocab)
    # the gensim backend reads the same corpora (issue 12: LDA.fit takes any re-iterable
    # corpus), with the topics of the matrix
    gensim = {"random_state": 4, "passes": 2, "iterations": 30}
    on_matrix = LDA(4, **gensim).fit(vc.bow, vocab=vc.vocab).result_
    on_tokens = LDA(4, **gensim).fit(tokens, vocab=vc.vocab).result_
    np.testing.assert_array_equal(on_tokens.topic_word, on_matrix.topic_word)
    np.testing.assert_array_equal(on_tokens.doc_topic, on_matrix.doc_topic)


def test_tomotopy_streams_from_the_token_and_bow_stores(corpus_dir, tmp_path):
    """A TokenStore or BowStore is read unit by unit, never as one matrix; same topics."""
    from topiclab.preprocess import Preprocessor
    from topiclab.stream import DocumentStream, ingest, preprocess_store, vectorize_store

    documents = ingest(DocumentStream(corpus_dir), tmp_path, chunk_size=2)
    token_store = preprocess_store(documents, tmp_path, Preprocessor(), unit="paragraph")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EmptyUnitsWarning)
        bow_store = vectorize_store(token_store, tmp_path, no_below=1, no_above=0.95)
    params = {"random_state": 2, "passes": 20, "iterations": 30, "backend": "tomotopy"}
    vocab = bow_store.vocab
    matrix = LDA(4, **params).fit(bow_store.to_csr(), vocab=vocab).result_
    from_bow = LDA(4, **params).fit(bow_store).result_
    from_tokens = LDA(4, **params).fit(token_store, vocab=vocab).result_
    for streamed in (from_bow, from_tokens):
        assert streamed.vocab == vocab
        np.testing.assert_array_equal(streamed.topic_word, matrix.topic_word)
        np.testing.assert_array_equal(streamed.doc_topic, matrix.doc_topic)
