"""LDA and NMF on the shipped paragraphs: conventions, determinism, seeds, errors."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from gensim.models import LdaModel
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils.estimator_checks import parametrize_with_checks
from test_models_corpus import shipped_paragraphs

from topiclab import LDA, NMF, TopicResult
from topiclab.models import AnchorWordsWarning, ResultFormatError
from topiclab.vectorize import EmptyUnitsWarning, vectorize

TESTS_DIR = Path(__file__).resolve().parent

# Themes that the five articles really discuss (party discipline barely appears in them).
ANCHOR_WORDS = {
    "cadre_planning": ["quy_hoạch", "nguồn", "trẻ", "kế_cận"],
    "training": ["đào_tạo", "bồi_dưỡng", "lý_luận", "trình_độ", "chuyên_môn"],
    "political_education": ["học_tập", "tư_tưởng", "nghị_quyết", "đạo_đức", "quán_triệt"],
}


@pytest.fixture(scope="module")
def unit_ids() -> list[str]:
    return list(shipped_paragraphs()[0])


@pytest.fixture(scope="module")
def vc():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EmptyUnitsWarning)
        return vectorize([list(unit) for unit in shipped_paragraphs()[1]])


def small_lda(**params) -> LDA:
    return LDA(4, random_state=7, passes=4, iterations=50, **params)


# scikit-learn conformance --------------------------------------------------------------


def _expected_failed_checks(estimator) -> dict[str, str]:
    # Every applicable check passes for both estimators; nothing is excluded. (The
    # array-API check is skipped by scikit-learn itself unless SCIPY_ARRAY_API is set.)
    return {}


@parametrize_with_checks(
    [LDA(2, random_state=0, passes=2, iterations=20), NMF(2, random_state=0, max_iter=200)],
    expected_failed_checks=_expected_failed_checks,
)
def test_scikit_learn_estimator_checks(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check(estimator)


def test_hyper_parameters_are_stored_verbatim_and_fitted_attributes_end_in_underscore(vc):
    anchors = {"training": ["đào_tạo"]}
    lda = LDA(3, random_state=np.random.RandomState(1), alpha="auto", anchor_words=anchors)
    assert lda.get_params()["anchor_words"] is anchors
    assert isinstance(lda.get_params()["random_state"], np.random.RandomState)
    with pytest.raises(NotFittedError):
        lda.transform(vc.bow)
    fitted = LDA(3, random_state=1, passes=2).fit(vc.bow, vocab=vc.vocab)
    for name in ("result_", "components_", "topic_term_counts_", "seed_", "model_"):
        assert hasattr(fitted, name)
    assert fitted.get_params() == LDA(3, random_state=1, passes=2).get_params()
    with pytest.raises(ValueError, match="backend"):
        LDA(3, backend="multicore").fit(vc.bow)


# results -------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["lda", "nmf", "lda-tomotopy"])
def test_result_matrices_are_distributions_aligned_with_units(kind, vc, unit_ids):
    model = _fit(kind, vc, unit_ids, seed=3)
    result = model.result_
    assert isinstance(result, TopicResult)
    assert result.model == kind.split("-")[0]
    assert result.topic_word.shape == (4, vc.n_terms)
    assert result.doc_topic.shape == (vc.n_units, 4)
    np.testing.assert_allclose(result.topic_word.sum(axis=1), 1.0)
    np.testing.assert_allclose(result.doc_topic.sum(axis=1), 1.0)
    assert result.unit_ids == unit_ids and result.vocab == vc.vocab
    assert result.seed == 3 and result.params["random_state"] == 3
    # an empty unit gets uniform shares (LDA: the symmetric prior) instead of NaN
    X = vc.tfidf if kind == "nmf" else vc.bow
    empty = sp.vstack([X[:2], sp.csr_matrix((1, X.shape[1]))]).tocsr()
    shares = model.transform(empty)
    np.testing.assert_allclose(shares[2], 0.25)
    np.testing.assert_allclose(shares[:2], result.doc_topic[:2], atol=1e-2)


def test_lda_is_gensims_own_fit(vc):
    """With no anchor words the wrapper adds nothing to LdaModel's numbers (run in float64)."""
    lda = small_lda().fit(vc.bow, vocab=vc.vocab)
    bare = LdaModel(
        vc.corpus(),
        num_topics=4,
        id2word=dict(enumerate(vc.vocab)),
        passes=4,
        iterations=50,
        random_state=7,
        eval_every=None,
        dtype=np.float64,
    )
    np.testing.assert_array_equal(lda.model_.get_topics(), bare.get_topics())
    np.testing.assert_array_equal(lda.components_, bare.state.get_lambda())


def test_transform_is_deterministic_and_independent_of_batch(vc):
    lda = small_lda().fit(vc.bow, vocab=vc.vocab)
    first = lda.transform(vc.bow)
    np.testing.assert_array_equal(first, lda.transform(vc.bow))
    np.testing.assert_array_equal(first, lda.result_.doc_topic)
    order = np.arange(vc.n_units)[::-1]
    np.testing.assert_array_equal(lda.transform(vc.bow[order]), first[order])
    np.testing.assert_array_equal(lda.transform(vc.bow[5:9]), first[5:9])


# determinism ---------------------------------------------------------------------------


def _fit(kind: str, vc, unit_ids=None, seed: int = 11):
    if kind == "nmf":
        return NMF(4, random_state=seed).fit(vc.tfidf, vocab=vc.vocab, unit_ids=unit_ids)
    backend = "tomotopy" if kind == "lda-tomotopy" else "gensim"
    lda = LDA(4, random_state=seed, passes=4, iterations=50, backend=backend)
    return lda.fit(vc.bow, vocab=vc.vocab, unit_ids=unit_ids)


def _digest(result: TopicResult) -> str:
    digest = hashlib.sha256()
    digest.update(np.ascontiguousarray(result.topic_word).tobytes())
    digest.update(np.ascontiguousarray(result.doc_topic).tobytes())
    return digest.hexdigest()


@pytest.mark.parametrize("kind", ["lda", "nmf", "lda-tomotopy"])
def test_same_seed_gives_identical_matrices(kind, vc):
    a, b = _fit(kind, vc).result_, _fit(kind, vc).result_
    np.testing.assert_array_equal(a.topic_word, b.topic_word)
    np.testing.assert_array_equal(a.doc_topic, b.doc_topic)
    c = _fit(kind, vc, seed=12).result_
    assert not np.array_equal(a.topic_word, c.topic_word)


_SUBPROCESS = """
import json, sys, warnings
warnings.simplefilter("ignore")
sys.path.insert(0, {tests!r})
import test_models
from topiclab.vectorize import vectorize
with open({tokens!r}, encoding="utf-8") as handle:
    vc = vectorize(json.load(handle))
for kind in ("lda", "nmf", "lda-tomotopy"):
    print(kind, test_models._digest(test_models._fit(kind, vc).result_))
"""


def test_same_seed_gives_identical_matrices_in_separate_processes(vc, tmp_path):
    # The tokens go to the children as JSON so that they only vectorize and fit.
    tokens = tmp_path / "tokens.json"
    tokens.write_text(json.dumps([list(u) for u in shipped_paragraphs()[1]]), encoding="utf-8")
    code = _SUBPROCESS.format(tests=str(TESTS_DIR), tokens=str(tokens))
    env = {**os.environ, "PYTHONHASHSEED": "random"}
    children = [
        subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=env)
        for _ in range(2)
    ]
    outputs = [child.communicate(timeout=300)[0] for child in children]
    assert [child.returncode for child in children] == [0, 0]
    here = "".join(f"{k} {_digest(_fit(k, vc).result_)}\n" for k in ("lda", "nmf", "lda-tomotopy"))
    assert outputs[0] == outputs[1] == here


@pytest.mark.parametrize("kind", ["lda", "nmf"])
def test_save_load_round_trip(kind, vc, unit_ids, tmp_path):
    result = _fit(kind, vc, unit_ids).result_
    result.save(tmp_path / kind)
    assert sorted(p.name for p in (tmp_path / kind).iterdir()) == ["arrays.npz", "result.json"]
    loaded = TopicResult.load(tmp_path / kind)
    np.testing.assert_array_equal(loaded.topic_word, result.topic_word)
    np.testing.assert_array_equal(loaded.doc_topic, result.doc_topic)
    assert loaded.vocab == result.vocab and loaded.unit_ids == result.unit_ids
    assert loaded.params == result.params and loaded.seed == result.seed
    assert loaded.top_terms(5) == result.top_terms(5)


@pytest.fixture(scope="module")
def saved_result(vc, unit_ids, tmp_path_factory) -> Path:
    """A real saved LDA result, copied by each load-error case before it is damaged."""
    return _fit("lda", vc, unit_ids).result_.save(tmp_path_factory.mktemp("saved") / "lda")


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _flip_middle_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def _resave_arrays(path: Path, **changes: np.ndarray) -> None:
    with np.load(path) as arrays:
        saved = {name: arrays[name] for name in arrays.files}
    np.savez_compressed(path, **{**saved, **changes})


def _with_nan(path: Path) -> None:
    with np.load(path) as arrays:
        topic_word = arrays["topic_word"].copy()
    topic_word[1, 2] = np.nan
    _resave_arrays(path, topic_word=topic_word)


def _with_inf(path: Path) -> None:
    with np.load(path) as arrays:
        doc_topic = arrays["doc_topic"].copy()
    doc_topic[0, 0] = np.inf
    _resave_arrays(path, doc_topic=doc_topic)


def _edit_meta(**changes):
    def edit(path: Path) -> None:
        meta = json.loads(path.read_text(encoding="utf-8"))
        for key, value in changes.items():
            if value is None:
                del meta[key]
            else:
                meta[key] = value
        path.write_text(json.dumps(meta), encoding="utf-8")

    return edit


@pytest.mark.parametrize(
    ("file", "damage", "problem"),
    [
        ("arrays.npz", _truncate, "arrays.npz is truncated or not an NPZ file"),
        ("arrays.npz", _flip_middle_byte, "arrays.npz is truncated or not an NPZ file"),
        ("arrays.npz", lambda p: p.write_text("not numbers"), "arrays.npz is truncated or not"),
        ("arrays.npz", Path.unlink, "missing file arrays.npz"),
        ("arrays.npz", _with_nan, "topic_word has NaN"),
        ("arrays.npz", _with_inf, "doc_topic has infinite values"),
        (
            "arrays.npz",
            lambda p: np.savez_compressed(p, topic_word=np.ones((2, 2))),
            "arrays.npz has no array 'doc_topic'",
        ),
        ("result.json", _truncate, "result.json is truncated or not valid JSON"),
        ("result.json", Path.unlink, "missing file result.json"),
        (
            "result.json",
            _edit_meta(format_version=99),
            "format_version 99 is newer than this topiclab reads (1); upgrade topiclab",
        ),
        ("result.json", _edit_meta(format_version=None), "result.json has no format_version"),
        ("result.json", _edit_meta(vocab=None), "result.json lacks the key 'vocab'"),
        ("result.json", _edit_meta(vocab=["a", "b"]), "do not agree"),
        ("result.json", lambda p: p.write_text("[1, 2]"), "result.json holds a JSON list"),
    ],
    ids=[
        "truncated-npz",
        "corrupt-npz",
        "text-npz",
        "no-npz",
        "nan",
        "inf",
        "array-missing",
        "truncated-json",
        "no-json",
        "future-version",
        "no-version",
        "key-missing",
        "vocab-mismatch",
        "json-list",
    ],
)
def test_load_of_a_damaged_folder_names_the_folder_and_the_problem(
    file, damage, problem, saved_result, tmp_path
):
    folder = tmp_path / "result"
    shutil.copytree(saved_result, folder)
    damage(folder / file)
    with pytest.raises(ResultFormatError) as caught:
        TopicResult.load(folder)
    message = str(caught.value)
    assert str(folder) in message and problem in message
    assert isinstance(caught.value, ValueError)


def test_load_of_a_missing_folder_is_a_result_format_error(tmp_path):
    with pytest.raises(ResultFormatError, match="does not exist"):
        TopicResult.load(tmp_path / "nowhere")


# anchored topics -------------------------------------------------------------------------


def _anchoring(model, vocab) -> list[tuple[str, float, float]]:
    """Per theme: share of its anchor words in the top 10 terms, share of its anchor tokens that
    the data (not the prior) assigns to the anchored topic."""
    rows = []
    for theme, topic in model.anchor_topics_.items():
        ids = [vocab.index(w) for w in ANCHOR_WORDS[theme] if w in vocab]
        top = set(model.result_.top_terms(10)[topic])
        counts = model.topic_term_counts_[:, ids]
        rows.append(
            (
                theme,
                np.mean([vocab[j] in top for j in ids]),
                counts[topic].sum() / counts.sum(),
            )
        )
    return rows


@pytest.mark.parametrize("backend", ["gensim", "tomotopy"])
def test_anchored_lda_holds_its_anchor_words_in_the_anchored_topic(backend, vc):
    with pytest.warns(AnchorWordsWarning, match="kế_cận"):
        lda = LDA(
            6, random_state=5, passes=10, iterations=50, anchor_words=ANCHOR_WORDS, backend=backend
        ).fit(vc.bow, vocab=vc.vocab)
    assert lda.anchor_topics_ == {"cadre_planning": 0, "training": 1, "political_education": 2}
    rows = _anchoring(lda, vc.vocab)
    for theme, in_top, data_share in rows:
        assert in_top >= 0.6, (theme, in_top)
        assert data_share >= 0.6, (theme, data_share)
    # the free topics stay free: without anchor words, the same topics hold few of these words
    free = LDA(6, random_state=5, passes=10, iterations=50, backend=backend)
    free.fit(vc.bow, vocab=vc.vocab)
    free.anchor_topics_ = lda.anchor_topics_
    assert np.mean([r[1] for r in _anchoring(free, vc.vocab)]) < 0.4


def test_anchor_words_initialise_nmf(vc):
    with pytest.warns(AnchorWordsWarning):
        nmf = NMF(6, random_state=5, anchor_words=ANCHOR_WORDS).fit(vc.tfidf, vocab=vc.vocab)
    assert nmf.anchor_topics_ == {"cadre_planning": 0, "training": 1, "political_education": 2}
    np.testing.assert_allclose(nmf.result_.doc_topic.sum(axis=1), 1.0)


def test_multiplicative_nmf_keeps_anchor_words_exclusive_to_their_topic(vc):
    with pytest.warns(AnchorWordsWarning):
        nmf = NMF(6, random_state=5, solver="mu", anchor_words=ANCHOR_WORDS)
        nmf.fit(vc.tfidf, vocab=vc.vocab)
    with pytest.warns(AnchorWordsWarning):
        drifting = NMF(6, random_state=5, anchor_words=ANCHOR_WORDS).fit(vc.tfidf, vocab=vc.vocab)
    leaked = []
    for model in (nmf, drifting):
        outside = 0.0
        for theme, topic in model.anchor_topics_.items():
            ids = [vc.vocab.index(w) for w in ANCHOR_WORDS[theme] if w in vc.vocab]
            others = [k for k in range(6) if k != topic]
            outside += model.components_[np.ix_(others, ids)].sum()
        leaked.append(outside)
    assert leaked[0] == 0.0
    # coordinate descent lets them regrow in other topics: the reason "mu" exists here
    assert leaked[1] > 0.0
    for theme, topic in nmf.anchor_topics_.items():
        top = set(nmf.result_.top_terms(10)[topic])
        assert top & set(ANCHOR_WORDS[theme]), (theme, top)


def test_anchor_word_errors(vc):
    with pytest.raises(ValueError, match="none of the anchor words of theme 'party_discipline'"):
        LDA(4, anchor_words={"party_discipline": ["khiển_trách", "cảnh_cáo"]}).fit(
            vc.bow, vocab=vc.vocab
        )
    with pytest.raises(ValueError, match="4 themes but n_topics=3"):
        LDA(3, anchor_words={f"t{i}": ["cán_bộ"] for i in range(4)}).fit(vc.bow, vocab=vc.vocab)
    with pytest.raises(ValueError, match="eta='auto'"):
        LDA(4, eta="auto", anchor_words={"t": ["cán_bộ"]}).fit(vc.bow, vocab=vc.vocab)
    with pytest.raises(TypeError, match="not a string"):
        LDA(4, anchor_words={"t": "cán_bộ"}).fit(vc.bow, vocab=vc.vocab)


# impossible requests -------------------------------------------------------------------


@pytest.mark.parametrize("model", [LDA(4), NMF(4)])
def test_impossible_requests_are_clear_errors(model, vc):
    model = clone(model)
    X = vc.bow if isinstance(model, LDA) else vc.tfidf
    with pytest.raises(ValueError, match=r"n_topics=60 is larger than the number of units"):
        clone(model).set_params(n_topics=60).fit(X)
    with pytest.raises(ValueError, match=r"larger than the vocabulary \(n_features=3\)"):
        clone(model).fit(X[:, :3])
    dense = X.toarray().astype(float)
    dense[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        model.fit(dense)
    dense[0, 0] = -1.0
    with pytest.raises(ValueError, match="Negative values"):
        model.fit(dense)
    with pytest.raises(ValueError, match="all zeros"):
        model.fit(sp.csr_matrix(X.shape))
    with pytest.raises(ValueError, match="vocab has 2 terms"):
        model.fit(X, vocab=["a", "b"])
