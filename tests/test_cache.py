"""The one stage cache (:mod:`topiclab.cache`): hits, misses, damaged entries, one kind only.

Every cached stage of ``topiclab run`` (tokens, fitted models, the figure stage; the
vectorized corpus and the selection table of the in-memory stages) goes through
:class:`~topiclab.cache.StageCache`. A second identical run recomputes nothing; a change of
content, settings or versions is a miss; a damaged entry is logged, deleted and recomputed
into the same outputs. Real runs of the shipped corpus (the session's shared run), no mocks.
"""

from __future__ import annotations

import logging
import re
import shutil
from pathlib import Path

import pytest

import topiclab
import topiclab.cache as stage_cache
from topiclab.cache import StageCache
from topiclab.cli import main

REPO_ROOT = Path(__file__).resolve().parent.parent


def _tables(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((folder / "tables").glob("*.csv"))}


def _copy_of(shared_run, tmp_path: Path) -> tuple[Path, Path]:
    """The shared run's output and cache, copied side by side as they were."""
    output, cache = tmp_path / shared_run.output.name, tmp_path / shared_run.cache.name
    shutil.copytree(shared_run.output, output)
    shutil.copytree(shared_run.cache, cache)
    return output, cache


def _messages(caplog: pytest.LogCaptureFixture, level: int = logging.INFO) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= level]


def test_key_changes_with_content_settings_and_versions(monkeypatch) -> None:
    cache = StageCache(None, "models", code=("models",), libraries=("gensim",))
    key = cache.key("counts", {"k": 5, "params": {"passes": 2}})
    assert key == cache.key("counts", {"params": {"passes": 2}, "k": 5})  # order-free
    assert cache.key("other counts", {"k": 5, "params": {"passes": 2}}) != key
    assert cache.key("counts", {"k": 6, "params": {"passes": 2}}) != key
    assert (
        StageCache(None, "selection", code=("models",), libraries=("gensim",)).key(
            "counts", {"k": 5, "params": {"passes": 2}}
        )
        != key
    )
    monkeypatch.setattr(topiclab, "__version__", "0.0.0-other")
    assert cache.key("counts", {"k": 5, "params": {"passes": 2}}) != key
    monkeypatch.undo()
    real = stage_cache.library_versions
    monkeypatch.setattr(
        stage_cache, "library_versions", lambda *names: {**real(*names), "gensim": "0.0-other"}
    )
    assert cache.key("counts", {"k": 5, "params": {"passes": 2}}) != key
    monkeypatch.undo()
    monkeypatch.setattr(stage_cache, "code_digest", lambda *modules: "edited")
    assert cache.key("counts", {"k": 5, "params": {"passes": 2}}) != key
    monkeypatch.undo()
    assert cache.key("counts", {"k": 5, "params": {"passes": 2}}) == key


def test_entries_are_written_whole_with_their_checksums(tmp_path: Path) -> None:
    cache = StageCache(tmp_path, "stage")

    def write(folder: Path) -> None:
        (folder / "a.txt").write_text("payload", encoding="utf-8")

    folder = cache.save("k", write)
    assert folder == tmp_path / "stage" / "k"
    assert stage_cache.check_folder(folder) is None
    assert cache.load("k", lambda f: (f / "a.txt").read_text(encoding="utf-8"), "x") == "payload"
    # nothing but the entry is left beside it (the temporary folder was renamed into place)
    assert sorted(p.name for p in folder.parent.iterdir()) == ["k"]

    def fail(folder: Path) -> None:
        (folder / "half.txt").write_text("half", encoding="utf-8")
        raise RuntimeError("killed while writing")

    with pytest.raises(RuntimeError):
        cache.save("other", fail)
    assert sorted(p.name for p in folder.parent.iterdir()) == ["k"]
    assert not cache.contains("other")
    # without a cache folder nothing is read or written, and keys are still computed
    off = StageCache(None, "stage")
    assert not off.enabled and off.save("k", write) is None and off.load("k", print, "x") is None
    assert off.key("c") == StageCache(tmp_path, "stage").key("c")


def test_second_identical_run_recomputes_nothing(shared_run, tmp_path: Path, caplog) -> None:
    output, cache = _copy_of(shared_run, tmp_path)
    models = sorted(p.name for p in (cache / "models").iterdir())
    caplog.set_level(logging.INFO)
    assert main(shared_run.argv(output, cache, "-v")) == 0
    messages = _messages(caplog)
    (tokens,) = [m for m in messages if m.startswith("tokens:")]
    assert re.search(r"\(0 texts segmented, \d+ from cache\)", tokens), tokens
    fits = [m for m in messages if re.match(r"fit: \w+ K=\d+, \d+ refit\(s\) to fit", m)]
    assert fits and all(", 0 refit(s) to fit" in m for m in fits), fits
    assert any(m.startswith("figures: inputs unchanged") for m in messages)
    assert sorted(p.name for p in (cache / "models").iterdir()) == models
    assert _tables(output) == _tables(shared_run.output)


def test_changed_settings_miss_the_model_cache(shared_run, tmp_path: Path, caplog) -> None:
    output, cache = _copy_of(shared_run, tmp_path)
    models = {p.name for p in (cache / "models").iterdir()}
    caplog.set_level(logging.INFO)
    assert main(shared_run.argv(output, cache, "-v", "--set", "models.lda.iterations=40")) == 0
    messages = _messages(caplog)
    (tokens,) = [m for m in messages if m.startswith("tokens:")]
    assert "(0 texts segmented" in tokens  # the preprocessing settings did not change
    assert any(re.match(r"fit: lda K=\d+, 1 refit\(s\) to fit", m) for m in messages)
    assert any(re.match(r"fit: nmf K=\d+, 0 refit\(s\) to fit", m) for m in messages)
    assert len({p.name for p in (cache / "models").iterdir()} - models) == 1  # the new LDA
    assert not any(m.startswith("figures: inputs unchanged") for m in messages)


def test_damaged_entries_are_detected_and_recomputed_into_the_same_outputs(
    shared_run, tmp_path: Path, caplog
) -> None:
    output, cache = _copy_of(shared_run, tmp_path)
    pack = sorted((cache / "tokens").rglob("*.tsv"))[0]
    pack.write_bytes(pack.read_bytes()[:-20])  # truncated
    model = sorted((cache / "models").iterdir())[0]
    arrays = model / "arrays.npz"
    data = bytearray(arrays.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one flipped byte
    arrays.write_bytes(bytes(data))
    (stamp,) = (cache / "figures").iterdir()
    (stamp / stage_cache.MANIFEST).unlink()  # an entry not completely written

    caplog.set_level(logging.INFO)
    assert main(shared_run.argv(output, cache, "-v")) == 0
    warnings = _messages(caplog, logging.WARNING)
    for damaged, what in ((pack, "token pack"), (model, "fitted model"), (stamp, "figure stamp")):
        assert [w for w in warnings if str(damaged) in w and what in w], (damaged, warnings)
    messages = _messages(caplog)
    (tokens,) = [m for m in messages if m.startswith("tokens:")]
    assert not re.search(r"\(0 texts segmented", tokens)  # the pack's texts segmented again
    assert not any(m.startswith("figures: inputs unchanged") for m in messages)
    assert _tables(output) == _tables(shared_run.output)
    # every entry is whole again
    assert stage_cache.check_folder(model) is None
    assert all(stage_cache.check_folder(f) is None for f in (cache / "figures").iterdir())
    for path in (cache / "tokens").rglob("*.tsv"):
        assert stage_cache._PACK_NAME.fullmatch(path.stem)


def test_one_stage_cache_only() -> None:
    """The three caches it replaced are gone from the code, the tests and the docs."""
    gone = ("_fit" + "_key", "_stage" + "_key", "Token" + "Cache", "cache" + "files")
    files = [
        *sorted((REPO_ROOT / "topiclab").rglob("*.py")),
        *sorted((REPO_ROOT / "tests").glob("*.py")),
        *sorted((REPO_ROOT / "docs").glob("*.md")),
        REPO_ROOT / "README.md",
    ]
    found = [
        f"{path.relative_to(REPO_ROOT)}: {name}"
        for path in files
        for name in gone
        if name in path.read_text(encoding="utf-8")
    ]
    assert found == []
