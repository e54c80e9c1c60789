"""Checksums of cache entries: a damaged entry is a miss, never a wrong result or a crash.

Every entry of the on-disk cache carries the SHA-256 of its payload bytes, written after the
payload, and is verified before it is used:

- a cached folder (fitted model, vectorized corpus, model-selection table) holds
  ``checksums.json``, the digest of every other file in it, written into the staging folder
  last, just before the folder is renamed into place (:func:`seal_folder`);
- a token pack is named by the digest of its own bytes (``<sha256>.tsv``, see
  :mod:`topiclab.preprocess.cache`);
- a JSON record such as the figure stage's stamp stores the digest of its own content
  (:func:`write_sealed_json`).

A missing or mismatching checksum, or a payload that cannot be read, makes the entry a miss:
a WARNING names the entry and the problem, the entry is deleted, and the caller recomputes
and rewrites it. A truncated token pack therefore costs one re-segmentation instead of
silently changing every table, and a corrupt cached model costs one refit instead of a
``BadZipFile`` on every run.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
from collections.abc import Callable, Iterable
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any, TypeVar

__all__ = [
    "MANIFEST",
    "check_folder",
    "code_digest",
    "discard",
    "library_versions",
    "load_folder",
    "read_sealed_json",
    "seal_folder",
    "write_sealed_json",
]

logger = logging.getLogger(__name__)

#: file inside a cached folder listing the SHA-256 of every other file in it
MANIFEST = "checksums.json"
_MANIFEST_FORMAT = 1
_SEAL = "sha256"

T = TypeVar("T")


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _payload_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.name != MANIFEST)


def seal_folder(folder: str | Path) -> Path:
    """Write ``checksums.json`` into ``folder``: the SHA-256 of every other file in it.

    Call it after the payload is complete; it is written atomically, so a folder whose
    manifest exists had all its files written first.
    """
    from topiclab.io import atomic_write_text

    folder = Path(folder)
    files = {p.relative_to(folder).as_posix(): _sha256_file(p) for p in _payload_files(folder)}
    manifest = {"format": _MANIFEST_FORMAT, "files": files}
    return atomic_write_text(folder / MANIFEST, json.dumps(manifest, indent=1, sort_keys=True))


def check_folder(folder: str | Path) -> str | None:
    """What is wrong with a sealed folder, or None when every file matches its checksum."""
    folder = Path(folder)
    if not folder.is_dir():
        return "not a folder"
    manifest_path = folder / MANIFEST
    if not manifest_path.is_file():
        return f"no checksum manifest ({MANIFEST}); the entry was not completely written"
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        files = manifest["files"]
        if manifest.get("format") != _MANIFEST_FORMAT or not isinstance(files, dict):
            raise ValueError("unknown manifest format")
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        return f"{MANIFEST} is unreadable ({error})"
    if not files:
        return f"{MANIFEST} lists no file"
    for name, expected in sorted(files.items()):
        path = folder / name
        if not path.is_file():
            return f"missing file {name}"
        try:
            actual = _sha256_file(path)
        except OSError as error:
            return f"{name} is unreadable ({error})"
        if actual != expected:
            return f"{name} does not match its checksum (truncated or corrupt)"
    return None


def discard(path: str | Path, what: str, problem: str) -> None:
    """Log that the cache entry ``path`` is damaged and delete it, so it is recomputed."""
    path = Path(path)
    logger.warning("cache: %s %s is invalid: %s; deleting it and recomputing", what, path, problem)
    try:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)
    except OSError as error:
        # The entry stays a miss on every run (and is reported each time); the run goes on.
        logger.warning("cache: could not delete %s (%s)", path, error)


def load_folder(folder: str | Path | None, load: Callable[[Path], T], what: str) -> T | None:
    """``load(folder)`` of a verified cached folder; None when absent or damaged.

    Parameters
    ----------
    folder : Path or None
        The cache entry; None (no cache) and an absent folder are plain misses.
    load : callable
        Reads the entry's payload.
    what : str
        What the entry holds, for the warning ("fitted model", ...).

    Returns
    -------
    object or None
        What ``load`` returned, or None for a miss. A damaged entry (missing or mismatching
        checksum, or ``load`` failing on it) is logged as a WARNING and deleted first.
    """
    if folder is None:
        return None
    folder = Path(folder)
    if not folder.exists() and not folder.is_symlink():
        return None
    problem = check_folder(folder)
    if problem is None:
        try:
            return load(folder)
        # Whatever the reader raises on bytes that passed the checksum (an entry written by
        # a buggy or different version), the cure is the same: recompute the entry.
        except Exception as error:
            problem = f"cannot be read ({type(error).__name__}: {error})"
    discard(folder, what, problem)
    return None


def _seal_of(record: dict[str, Any]) -> str:
    blob = json.dumps(record, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def write_sealed_json(path: str | Path, record: dict[str, Any]) -> Path:
    """Write ``record`` as JSON with the SHA-256 of its content under ``"sha256"``."""
    from topiclab.io import atomic_write_text

    if _SEAL in record:
        raise ValueError(f"a sealed record cannot have its own {_SEAL!r} key")
    sealed = {**record, _SEAL: _seal_of(record)}
    return atomic_write_text(path, json.dumps(sealed, indent=1, sort_keys=True) + "\n")


def read_sealed_json(path: str | Path, what: str) -> dict[str, Any] | None:
    """The record of :func:`write_sealed_json`; None when absent or damaged (then deleted)."""
    path = Path(path)
    if not path.exists():
        return None
    try:
        sealed = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(sealed, dict):
            raise ValueError("not a JSON object")
    except (OSError, ValueError) as error:
        discard(path, what, f"unreadable ({error})")
        return None
    seal = sealed.pop(_SEAL, None)
    if seal is None:
        discard(path, what, "it has no checksum")
        return None
    if seal != _seal_of(sealed):
        discard(path, what, "it does not match its checksum (corrupt)")
        return None
    return sealed


def library_versions(*names: str) -> dict[str, str | None]:
    """Installed versions of these distributions (None when absent): part of cache keys,
    because a new gensim or scikit-learn may fit the same inputs differently."""
    versions: dict[str, str | None] = {}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def code_digest(*modules: str) -> str:
    """SHA-256 over the source files of topiclab modules or subpackages (``"models"``,
    ``"vectorize"``): part of cache keys, so a changed algorithm in a checkout whose
    version string did not change still misses the cache."""
    return _code_digest(tuple(sorted(modules)))


@lru_cache(maxsize=32)
def _code_digest(modules: tuple[str, ...]) -> str:
    root = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for module in modules:
        base = root / module.replace(".", "/")
        files: Iterable[Path] = (
            sorted(base.rglob("*.py")) if base.is_dir() else [base.with_suffix(".py")]
        )
        for path in files:
            digest.update(path.relative_to(root).as_posix().encode("utf-8") + b"\0")
            digest.update(path.read_bytes())
    return digest.hexdigest()
