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

import topiclab.cache as stage_cache
from topiclab.config import default_config, merge_config
from topiclab.figures import outputs_digest
from topiclab.figures.stage import _reuse
from topiclab.pipeline import (
    _counts_digest,
    _FitSettings,
    _lda_params,
    _model_key,
    _nmf_params,
    _stage_cache,
    _stage_fit,
    _stage_model_selection,
    _stage_vectorize,
)
from topiclab.preprocess import Preprocessor
from topiclab.settings import validate_config
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


def _token_folder(root: Path, settings_key: str) -> Path:
    from topiclab.preprocess.cache import token_entry

    cache, key = token_entry(root, settings_key)
    return cache.folder(key)


def test_token_cache_key_holds_the_preprocessing_code(tmp_path, monkeypatch):
    key = Preprocessor().settings_key()
    before = _token_folder(tmp_path, key)
    assert _token_folder(tmp_path, key) == before
    # An edited rule in a checkout whose version string did not change: another entry.
    monkeypatch.setattr(stage_cache, "code_digest", lambda *modules: "edited")
    assert _token_folder(tmp_path, key) != before


def test_token_cache_key_holds_the_text_layer_code(tmp_path, monkeypatch):
    # Normalisation and the word lists moved to topiclab/text/; an edit there changes
    # tokens, so it must change the key like an edit of topiclab/preprocess/ does.
    key = Preprocessor().settings_key()
    before = _token_folder(tmp_path, key)
    real = stage_cache.code_digest
    monkeypatch.setattr(
        stage_cache,
        "code_digest",
        lambda *modules: "edited text" if "text" in modules else real(*modules),
    )
    assert _token_folder(tmp_path, key) != before


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
        return _stage_vectorize(tokens, validate_config(config).vectorize, config["cache"])


def _fit(small_run, cache: Path):
    tokens, units, config = small_run
    config = _config_with_cache(config, cache)
    vectorized = _vectorize(tokens, config)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning of a 100-iteration NMF
        fitting = _FitSettings.of(validate_config(config))
        unit_ids = units["unit_id"].astype(str).tolist()
        return vectorized, _stage_fit(vectorized, unit_ids, fitting, {"lda": 2, "nmf": 2})


def _fitting(config: dict) -> _FitSettings:
    return _FitSettings.of(validate_config(config))


def _model_folder(small_run, cache: Path, vectorized, name: str) -> Path:
    _, units, config = small_run
    config = _config_with_cache(config, cache)

    models = validate_config(config).models
    params = (_lda_params if name == "lda" else _nmf_params)(models, None, vectorized.vocab)
    key = _key(config, vectorized, units["unit_id"].tolist(), name, 2, params, int(config["seed"]))
    return _stage_cache(config["cache"], "models").folder(key)


def _key(config, vectorized, unit_ids, name, k, params, seed) -> str:
    """The model cache's key of a fit, as the fit stage computes it."""
    models = _stage_cache(config["cache"], "models")
    return _model_key(models, _counts_digest(vectorized, unit_ids), name, k, params, seed)


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
        ("nmf", stage_cache.MANIFEST, Path.unlink),
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
    assert stage_cache.check_folder(folder) is None  # rewritten whole

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
    assert stage_cache.check_folder(folder) is None


def test_damaged_cached_model_selection_is_recomputed_and_logged(small_run, tmp_path, caplog):
    tokens, _, config = small_run
    config = merge_config(config, {"models": {"names": ["lda"]}, "cache": str(tmp_path)})
    vectorized = _vectorize(tokens, config)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table, _ = _stage_model_selection(vectorized, tokens, _fitting(config))
    (folder,) = (tmp_path / "selection").iterdir()
    csv = folder / "model_selection.csv"
    # the coherence of K=2 edited: valid CSV, wrong numbers
    csv.write_text(csv.read_text(encoding="utf-8").replace("0.", "9.", 1), encoding="utf-8")
    caplog.set_level(logging.WARNING)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        again, _ = _stage_model_selection(vectorized, tokens, _fitting(config))
    pd.testing.assert_frame_equal(again, table)
    assert "model selection" in _warnings_naming(caplog, folder)[0]


def test_keys_change_with_what_changes_a_fit(first_fit, small_run):
    _, vectorized, _ = first_fit
    _, units, config = small_run
    ids = units["unit_id"].tolist()
    params = _lda_params(validate_config(config).models, None, vectorized.vocab)
    base = _key(config, vectorized, ids, "lda", 2, params, 3)
    assert base == _key(config, vectorized, ids, "lda", 2, dict(params), 3)
    # NMF fits the TF-IDF weights: other weights with the same counts are another fit
    other = type(vectorized)(**{**vectorized.__dict__, "tfidf": vectorized.tfidf * 2.0})
    assert _key(config, other, ids, "lda", 2, params, 3) != base
    assert _key(config, vectorized, ids, "lda", 2, params, 4) != base
    assert _key(config, vectorized, ids, "lda", 2, {**params, "passes": 3}, 3) != base


def test_key_holds_the_model_code_and_library_versions(first_fit, small_run, monkeypatch):
    _, vectorized, _ = first_fit
    _, units, config = small_run
    ids = units["unit_id"].tolist()
    params = _lda_params(validate_config(config).models, None, vectorized.vocab)
    base = _key(config, vectorized, ids, "lda", 2, params, 3)
    real = stage_cache.library_versions
    monkeypatch.setattr(
        stage_cache,
        "library_versions",
        lambda *names: {**real(*names), "gensim": "0.0-other"},
    )
    assert _key(config, vectorized, ids, "lda", 2, params, 3) != base
    monkeypatch.setattr(stage_cache, "library_versions", real)
    monkeypatch.setattr(stage_cache, "code_digest", lambda *modules: "edited")
    assert _key(config, vectorized, ids, "lda", 2, params, 3) != base


# sealed folders and records ----------------------------------------------------------------


def test_check_folder_names_the_problem(tmp_path):
    (tmp_path / "a.txt").write_text("payload", encoding="utf-8")
    assert "no checksum manifest" in stage_cache.check_folder(tmp_path)
    stage_cache.seal_folder(tmp_path)
    assert stage_cache.check_folder(tmp_path) is None
    (tmp_path / "a.txt").write_text("paylo", encoding="utf-8")
    assert (
        stage_cache.check_folder(tmp_path)
        == "a.txt does not match its checksum (truncated or corrupt)"
    )
    (tmp_path / "a.txt").unlink()
    assert stage_cache.check_folder(tmp_path) == "missing file a.txt"
    (tmp_path / stage_cache.MANIFEST).write_text("{", encoding="utf-8")
    assert "unreadable" in stage_cache.check_folder(tmp_path)


@pytest.mark.parametrize(
    "damage",
    [
        lambda text: text[: len(text) // 2],
        lambda text: text.replace('"fig.png": "', '"fig.png": "0'),
        None,
    ],
    ids=["truncated", "edited", "no-checksum"],
)
def test_damaged_figure_stamp_is_a_logged_redraw(damage, tmp_path, caplog):
    from topiclab.io import atomic_write_text

    output = tmp_path / "out"
    output.mkdir()
    (output / "fig.png").write_bytes(b"png bytes")
    cache = stage_cache.StageCache(tmp_path / "cache", "figures")
    stamp = {"outputs": outputs_digest([output / "fig.png"]), "skipped": {"fig2": "no year"}}
    folder = cache.save("k", lambda f: atomic_write_text(f / "stamp.json", json.dumps(stamp)))
    assert _reuse(cache, "k", output) == ([output / "fig.png"], {"fig2": "no year"})

    if damage is None:
        (folder / stage_cache.MANIFEST).unlink()
    else:
        path = folder / "stamp.json"
        path.write_text(damage(path.read_text(encoding="utf-8")), encoding="utf-8")
    caplog.set_level(logging.WARNING)
    assert _reuse(cache, "k", output) is None
    (message,) = _warnings_naming(caplog, folder)
    assert "figure stamp" in message
    assert not folder.exists()


def test_figure_inputs_digest_follows_the_lexicon_order(tmp_path):
    from topiclab.figures.stage import _inputs_digest
    from topiclab.themes import Lexicon, load_lexicon

    shipped = load_lexicon(None)
    reordered = Lexicon(themes=tuple(reversed(shipped.themes)), source=shipped.source)
    key = _inputs_digest(tmp_path / "tables", None, None, shipped)
    assert _inputs_digest(tmp_path / "tables", None, None, shipped) == key
    # Same labels, another order: the figures' theme order changes, so must the key.
    assert _inputs_digest(tmp_path / "tables", None, None, reordered) != key
