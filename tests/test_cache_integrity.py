"""A damaged cache entry is detected by its checksum, logged, deleted and recomputed.

Real pyvi through :class:`Preprocessor` for the token cache; real gensim and scikit-learn fits
on a few paragraphs of the shipped corpus for the pipeline's model and vectorizer caches.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from topiclab import cachefiles
from topiclab.config import default_config, merge_config
from topiclab.figures import outputs_digest
from topiclab.figures.stage import _reuse
from topiclab.pipeline import (
    _cache_dir,
    _fit_key,
    _lda_params,
    _nmf_params,
    stage_fit,
    stage_model_selection,
    stage_vectorize,
)
from topiclab.preprocess import Preprocessor
from topiclab.vectorize import EmptyUnitsWarning

CORPUS_RAW = Path(__file__).resolve().parent.parent / "corpus" / "raw"


def _paragraphs(n: int) -> list[str]:
    """The first ``n`` paragraphs of at least 40 characters of the shipped articles."""
    found = []
    for path in sorted(CORPUS_RAW.glob("*.txt")):
        for block in path.read_text(encoding="utf-8").split("\n\n"):
            if len(block.strip()) >= 40:
                found.append(block.strip())
    return found[:n]


def _warnings_naming(caplog, path: Path) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.levelno == logging.WARNING and str(path) in record.getMessage()
    ]


# token cache ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def texts() -> list[str]:
    return _paragraphs(4)


@pytest.fixture(scope="module")
def uncached(texts) -> list[list[str]]:
    return Preprocessor().transform(texts)


def _truncate(path: Path) -> None:
    # Cut inside the last line: the old reader returned that text's tokens cut short.
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 12])


def _corrupt(path: Path) -> None:
    # One token changed into another of the same length: still well-formed, but wrong.
    text = path.read_text(encoding="utf-8")
    line = text.splitlines()[0]
    tokens = line.split("\t")[1].split(" ")
    position = text.index(tokens[0], 64)
    forged = "x" * len(tokens[0])
    path.write_text(text[:position] + forged + text[position + len(forged) :], encoding="utf-8")


@pytest.mark.parametrize("damage", [_truncate, _corrupt], ids=["truncated", "corrupt"])
def test_damaged_token_pack_is_detected_resegmented_and_logged(
    damage, texts, uncached, tmp_path, caplog
):
    first = Preprocessor(cache_dir=tmp_path)
    assert first.transform(texts) == uncached
    (pack,) = (tmp_path / "tokens").rglob("*.tsv")
    damage(pack)

    caplog.set_level(logging.WARNING)
    second = Preprocessor(cache_dir=tmp_path)
    assert second.transform(texts) == uncached
    assert second.n_segmented_ == len(texts) and second.n_cached_ == 0
    (message,) = _warnings_naming(caplog, pack)
    assert "token pack" in message and "checksum" in message

    # the rewritten pack is whole again and serves every text without a warning
    caplog.clear()
    third = Preprocessor(cache_dir=tmp_path)
    assert third.transform(texts) == uncached
    assert (third.n_segmented_, third.n_cached_) == (0, len(texts))
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_token_pack_without_checksum_is_a_logged_miss(texts, uncached, tmp_path, caplog):
    first = Preprocessor(cache_dir=tmp_path)
    first.transform(texts)
    (pack,) = (tmp_path / "tokens").rglob("*.tsv")
    # A pack as topiclab wrote them before it named packs by their checksum.
    old = pack.with_name("0123abcd" * 4 + ".tsv")
    pack.rename(old)
    caplog.set_level(logging.WARNING)
    second = Preprocessor(cache_dir=tmp_path)
    assert second.transform(texts) == uncached
    assert second.n_segmented_ == len(texts)
    assert "no checksum" in _warnings_naming(caplog, old)[0]
    assert not old.exists()


def test_token_pack_is_named_by_the_checksum_of_its_bytes(texts, tmp_path):
    Preprocessor(cache_dir=tmp_path).transform(texts)
    (pack,) = (tmp_path / "tokens").rglob("*.tsv")
    assert pack.stem == hashlib.sha256(pack.read_bytes()).hexdigest()


def test_token_cache_key_holds_the_preprocessing_code(tmp_path, monkeypatch):
    from topiclab.preprocess.cache import TokenCache

    key = Preprocessor().settings_key()
    before = TokenCache(tmp_path, key).folder
    assert TokenCache(tmp_path, key).folder == before
    # An edited rule in a checkout whose version string did not change: another entry.
    monkeypatch.setattr(cachefiles, "code_digest", lambda *modules: "edited")
    assert TokenCache(tmp_path, key).folder != before


def test_token_cache_key_holds_the_text_layer_code(tmp_path, monkeypatch):
    # Normalisation and the word lists moved to topiclab/text/; an edit there changes
    # tokens, so it must change the key like an edit of topiclab/preprocess/ does.
    from topiclab.preprocess.cache import TokenCache

    key = Preprocessor().settings_key()
    before = TokenCache(tmp_path, key).folder
    real = cachefiles.code_digest
    monkeypatch.setattr(
        cachefiles,
        "code_digest",
        lambda *modules: "edited text" if "text" in modules else real(*modules),
    )
    assert TokenCache(tmp_path, key).folder != before


# pipeline caches: vectorized corpus, fitted models, model selection -------------------------


@pytest.fixture(scope="module")
def small_run(tmp_path_factory):
    """Tokens, units and config of a tiny pipeline run: 12 paragraphs, K=2, 2 passes."""
    paragraphs = _paragraphs(12)
    tokens = Preprocessor().transform(paragraphs)
    units = pd.DataFrame({"unit_id": [f"u{i}" for i in range(len(paragraphs))]})
    config = merge_config(
        default_config(),
        {
            "seed": 3,
            "models": {
                "names": ["lda", "nmf"],
                "k_grid": [2],
                "lda": {"passes": 2, "iterations": 20},
                "nmf": {"max_iter": 100},
                "refits": 1,
            },
        },
    )
    return tokens, units, config


def _config_with_cache(config: dict, cache: Path) -> dict:
    return {**config, "cache": str(cache)}


def _vectorize(tokens, config):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EmptyUnitsWarning)
        return stage_vectorize(tokens, config)


def _fit(small_run, cache: Path):
    tokens, units, config = small_run
    config = _config_with_cache(config, cache)
    vectorized = _vectorize(tokens, config)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning of a 100-iteration NMF
        return vectorized, stage_fit(vectorized, units, config, {"lda": 2, "nmf": 2})


def _model_folder(small_run, cache: Path, vectorized, name: str) -> Path:
    _, units, config = small_run
    config = _config_with_cache(config, cache)

    params = (_lda_params if name == "lda" else _nmf_params)(config, vectorized.vocab)
    key = _fit_key(vectorized, units["unit_id"].tolist(), name, 2, params, int(config["seed"]))
    return _cache_dir(config, "models", key)


def _truncate_file(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _flip_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def _rename_term(path: Path) -> None:
    # Valid JSON whose vocabulary no longer matches the arrays' fit.
    meta = json.loads(path.read_text(encoding="utf-8"))
    meta["vocab"][0] = meta["vocab"][0] + "_x"
    path.write_text(json.dumps(meta), encoding="utf-8")


@pytest.fixture(scope="module")
def first_fit(small_run, tmp_path_factory):
    cache = tmp_path_factory.mktemp("cache_first")
    vectorized, fits = _fit(small_run, cache)
    return cache, vectorized, fits


@pytest.mark.parametrize(
    ("name", "file", "damage"),
    [
        ("lda", "arrays.npz", _truncate_file),
        ("nmf", "arrays.npz", _flip_byte),
        ("lda", "result.json", _rename_term),
        ("nmf", cachefiles.MANIFEST, Path.unlink),
    ],
    ids=["truncated-arrays", "corrupt-arrays", "edited-json", "no-manifest"],
)
def test_damaged_cached_model_is_refitted_and_logged(
    name, file, damage, small_run, first_fit, tmp_path, caplog
):
    source, vectorized, fits = first_fit
    cache = tmp_path / "cache"
    shutil.copytree(source, cache)
    folder = _model_folder(small_run, cache, vectorized, name)
    assert (folder / "result.json").is_file()
    damage(folder / file)

    caplog.set_level(logging.INFO)
    _, again = _fit(small_run, cache)
    for model in ("lda", "nmf"):
        np.testing.assert_array_equal(again[model][0].topic_word, fits[model][0].topic_word)
        np.testing.assert_array_equal(again[model][0].doc_topic, fits[model][0].doc_topic)
        assert again[model][0].vocab == fits[model][0].vocab
    (message,) = _warnings_naming(caplog, folder)
    assert "fitted model" in message
    assert cachefiles.check_folder(folder) is None  # rewritten whole

    # the third run reads both models from the cache and warns about nothing
    caplog.clear()
    _fit(small_run, cache)
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert sum("from cache" in r.getMessage() for r in caplog.records) == 3


def test_damaged_cached_vectorized_corpus_is_rebuilt_and_logged(
    small_run, first_fit, tmp_path, caplog
):
    source, vectorized, _ = first_fit
    cache = tmp_path / "cache"
    shutil.copytree(source, cache)
    (folder,) = (cache / "vectorized").iterdir()
    _truncate_file(folder / "bow" / "part-00000.npz")
    caplog.set_level(logging.WARNING)
    tokens, _, config = small_run
    rebuilt = _vectorize(tokens, _config_with_cache(config, cache))
    assert (rebuilt.bow != vectorized.bow).nnz == 0 and rebuilt.vocab == vectorized.vocab
    assert "vectorized corpus" in _warnings_naming(caplog, folder)[0]
    assert cachefiles.check_folder(folder) is None


def test_damaged_cached_model_selection_is_recomputed_and_logged(small_run, tmp_path, caplog):
    tokens, _, config = small_run
    config = merge_config(config, {"models": {"names": ["lda"]}, "cache": str(tmp_path)})
    vectorized = _vectorize(tokens, config)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table, _ = stage_model_selection(vectorized, tokens, config)
    (folder,) = (tmp_path / "selection").iterdir()
    csv = folder / "model_selection.csv"
    # the coherence of K=2 edited: valid CSV, wrong numbers
    csv.write_text(csv.read_text(encoding="utf-8").replace("0.", "9.", 1), encoding="utf-8")
    caplog.set_level(logging.WARNING)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        again, _ = stage_model_selection(vectorized, tokens, config)
    pd.testing.assert_frame_equal(again, table)
    assert "model selection" in _warnings_naming(caplog, folder)[0]


def test_keys_change_with_what_changes_a_fit(first_fit, small_run):
    _, vectorized, _ = first_fit
    _, units, config = small_run
    ids = units["unit_id"].tolist()
    params = _lda_params(config, vectorized.vocab)
    base = _fit_key(vectorized, ids, "lda", 2, params, 3)
    assert base == _fit_key(vectorized, ids, "lda", 2, dict(params), 3)
    # NMF fits the TF-IDF weights: other weights with the same counts are another fit
    other = type(vectorized)(**{**vectorized.__dict__, "tfidf": vectorized.tfidf * 2.0})
    assert _fit_key(other, ids, "lda", 2, params, 3) != base
    assert _fit_key(vectorized, ids, "lda", 2, params, 4) != base
    assert _fit_key(vectorized, ids, "lda", 2, {**params, "passes": 3}, 3) != base


def test_key_holds_the_model_code_and_library_versions(first_fit, small_run, monkeypatch):
    _, vectorized, _ = first_fit
    _, units, config = small_run
    ids = units["unit_id"].tolist()
    params = _lda_params(config, vectorized.vocab)
    base = _fit_key(vectorized, ids, "lda", 2, params, 3)
    real = cachefiles.library_versions
    monkeypatch.setattr(
        cachefiles,
        "library_versions",
        lambda *names: {**real(*names), "gensim": "0.0-other"},
    )
    assert _fit_key(vectorized, ids, "lda", 2, params, 3) != base
    monkeypatch.setattr(cachefiles, "library_versions", real)
    monkeypatch.setattr(cachefiles, "code_digest", lambda *modules: "edited")
    assert _fit_key(vectorized, ids, "lda", 2, params, 3) != base


# sealed folders and records ----------------------------------------------------------------


def test_check_folder_names_the_problem(tmp_path):
    (tmp_path / "a.txt").write_text("payload", encoding="utf-8")
    assert "no checksum manifest" in cachefiles.check_folder(tmp_path)
    cachefiles.seal_folder(tmp_path)
    assert cachefiles.check_folder(tmp_path) is None
    (tmp_path / "a.txt").write_text("paylo", encoding="utf-8")
    assert (
        cachefiles.check_folder(tmp_path)
        == "a.txt does not match its checksum (truncated or corrupt)"
    )
    (tmp_path / "a.txt").unlink()
    assert cachefiles.check_folder(tmp_path) == "missing file a.txt"
    (tmp_path / cachefiles.MANIFEST).write_text("{", encoding="utf-8")
    assert "unreadable" in cachefiles.check_folder(tmp_path)


@pytest.mark.parametrize(
    "damage",
    [
        lambda text: text[: len(text) // 2],
        lambda text: text.replace('"fig.png": "', '"fig.png": "0'),
        lambda text: json.dumps({k: v for k, v in json.loads(text).items() if k != "sha256"}),
    ],
    ids=["truncated", "edited", "no-checksum"],
)
def test_damaged_figure_stamp_is_a_logged_redraw(damage, tmp_path, caplog):
    output = tmp_path / "out"
    output.mkdir()
    (output / "fig.png").write_bytes(b"png bytes")
    stamp = tmp_path / "stamp.json"
    cachefiles.write_sealed_json(
        stamp, {"key": "k", "outputs": outputs_digest([output / "fig.png"])}
    )
    assert _reuse(stamp, "k", output) == [output / "fig.png"]

    stamp.write_text(damage(stamp.read_text(encoding="utf-8")), encoding="utf-8")
    caplog.set_level(logging.WARNING)
    assert _reuse(stamp, "k", output) is None
    (message,) = _warnings_naming(caplog, stamp)
    assert "figure stamp" in message
    assert not stamp.exists()


def test_figure_stage_key_follows_the_lexicon_order(tmp_path):
    from topiclab.figures.stage import _stage_key
    from topiclab.themes import Lexicon, load_lexicon

    shipped = load_lexicon(None)
    reordered = Lexicon(themes=tuple(reversed(shipped.themes)), source=shipped.source)
    config = {**default_config(), "output": str(tmp_path / "out"), "cache": None}
    key = _stage_key(config, tmp_path / "tables", None, None, shipped, tmp_path)
    assert _stage_key(config, tmp_path / "tables", None, None, shipped, tmp_path) == key
    # Same labels, another order: the figures' theme order changes, so must the key.
    assert _stage_key(config, tmp_path / "tables", None, None, reordered, tmp_path) != key
