"""The one stage cache: what a stage computed, reused while its inputs are unchanged.

Every cached stage of ``topiclab run`` goes through :class:`StageCache`: the preprocessor's
token packs (``<cache>/tokens``), the vectorized corpus (``vectorized``), the model-selection
table (``selection``), the fitted models (``models``) and the figure stage's record
(``figures``). An entry lives in ``<cache>/<stage>/<key>/``; its key digests

- the content the stage reads (a digest of the tokens, the counts, the tables, ...),
- the settings that decide its result (model parameters, K, seed, filters, ...),
- the topiclab version, the source of the topiclab modules that compute it (a checkout's
  version does not change with every edit) and the versions of the libraries it calls,

so a change of any of them is a miss, never a stale result.

Entries are written atomically and carry their checksums:

- a folder entry is written into a temporary folder beside its place; ``checksums.json``,
  the SHA-256 of every other file in it, is written last (:func:`seal_folder`), and the
  folder is then renamed into place, so a folder whose manifest exists is complete;
- a pack (the token cache adds one per batch of texts to the same entry, and never
  modifies one) is named by the SHA-256 of its own bytes and written in one atomic write.

Both are verified on every load. A missing or mismatching checksum, or a payload that
cannot be read, makes the entry a miss: a WARNING names the entry and the problem, the
entry is deleted, and the stage recomputes and rewrites it. A truncated token pack therefore
costs one re-segmentation instead of silently changing every table, and a corrupt cached
model one refit instead of a ``BadZipFile`` on every run.

This module imports no pandas at import time: joblib workers of the preprocessor import it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

__all__ = [
    "MANIFEST",
    "StageCache",
    "check_folder",
    "code_digest",
    "discard",
    "library_versions",
    "load_folder",
    "seal_folder",
]

logger = logging.getLogger(__name__)

#: file inside a cached folder listing the SHA-256 of every other file in it
MANIFEST = "checksums.json"
_MANIFEST_FORMAT = 1
#: characters of the hex digest that name an entry
_KEY_LENGTH = 32
# A pack's name is the hex SHA-256 of its bytes.
_PACK_NAME = re.compile(r"[0-9a-f]{64}")

T = TypeVar("T")


class StageCache:
    """The entries of one stage under ``<root>/<stage>/``.

    Parameters
    ----------
    root : str, Path or None
        The cache folder (the config's ``cache`` key); None disables the cache: nothing is
        read or written, but keys are still computed (a run matches fits by them).
    stage : str
        The stage's folder name (``"models"``, ``"tokens"``, ...).
    code : tuple of str
        The topiclab modules or subpackages whose source decides the entries
        (:func:`code_digest`).
    libraries : tuple of str
        The distributions whose versions decide the entries (:func:`library_versions`).

    Examples
    --------
    >>> cache = StageCache(None, "models", code=("models",), libraries=("numpy",))
    >>> key = cache.key("digest of the counts", {"k": 5, "seed": 0})
    >>> key == cache.key("digest of the counts", {"seed": 0, "k": 5})
    True
    >>> key == cache.key("digest of the counts", {"k": 6, "seed": 0})
    False
    """

    def __init__(
        self,
        root: str | Path | None,
        stage: str,
        *,
        code: Iterable[str] = (),
        libraries: Iterable[str] = (),
    ) -> None:
        self.root = Path(root) if root else None
        self.stage = stage
        self.code = tuple(code)
        self.libraries = tuple(libraries)

    @property
    def enabled(self) -> bool:
        """Whether entries are read and written (a cache folder was given)."""
        return self.root is not None

    def key(self, content: str, settings: Mapping[str, Any] | None = None) -> str:
        """The key of an entry: ``content`` (a digest of what the stage reads), ``settings``
        (JSON-able), and the stage's code, library and topiclab versions."""
        from topiclab import __version__

        description = {
            "stage": self.stage,
            "content": content,
            "settings": dict(settings or {}),
            "topiclab": __version__,
            "code": code_digest(*self.code) if self.code else None,
            "libraries": library_versions(*self.libraries),
        }
        blob = json.dumps(description, sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:_KEY_LENGTH]

    def folder(self, key: str) -> Path | None:
        """Where the entry ``key`` lives (None without a cache)."""
        return None if self.root is None else self.root / self.stage / key

    def contains(self, key: str) -> bool:
        """Whether an entry ``key`` exists (not verified: :meth:`load` verifies)."""
        folder = self.folder(key)
        return folder is not None and folder.exists()

    def load(self, key: str, read: Callable[[Path], T], what: str) -> T | None:
        """``read(folder)`` of the verified entry ``key``; None when absent or damaged (a
        damaged entry is logged as a WARNING and deleted first, see :func:`load_folder`)."""
        return load_folder(self.folder(key), read, what)

    def save(self, key: str, write: Callable[[Path], Any], *, replace: bool = False) -> Path | None:
        """Write the entry ``key`` with ``write(folder)``, atomically and sealed.

        ``write`` fills a temporary folder beside the entry's place; the checksums of its
        files are written last and the folder is renamed into place. An entry another run
        wrote meanwhile is kept (it holds the same result), unless ``replace`` (an entry
        that records something outside the cache, such as the figure stage's outputs).
        Returns the entry's folder, or None without a cache.
        """
        target = self.folder(key)
        if target is None:
            return None
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}."))
        try:
            write(staging)
            seal_folder(staging)
            if replace and target.is_dir():
                shutil.rmtree(target, ignore_errors=True)
            try:
                staging.rename(target)
            except OSError:
                # another run cached the same entry meanwhile; its copy is identical
                shutil.rmtree(staging, ignore_errors=True)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return target

    # -- packs: an entry that grows by whole files, each named by its checksum ---------------

    def add_pack(self, key: str, data: bytes, suffix: str) -> Path | None:
        """Add ``data`` to the entry ``key`` as a new pack ``<sha256>.<suffix>`` (one atomic
        write); returns its path, or None without a cache."""
        folder = self.folder(key)
        if folder is None:
            return None
        # topiclab.io imports pandas; joblib workers import this module and never write.
        from topiclab.io import atomic_write_bytes

        return atomic_write_bytes(folder / f"{hashlib.sha256(data).hexdigest()}.{suffix}", data)

    def packs(self, key: str, suffix: str, what: str) -> Iterator[bytes]:
        """The bytes of each pack of the entry ``key``, in name order, verified against the
        checksum in its name; a damaged pack is logged, deleted and left out."""
        folder = self.folder(key)
        if folder is None or not folder.is_dir():
            return
        for pack in sorted(folder.glob(f"*.{suffix}")):
            data = _read_pack(pack, what)
            if data is not None:
                yield data


def _read_pack(pack: Path, what: str) -> bytes | None:
    """The bytes of a pack that match its name; a damaged pack is discarded."""
    try:
        data = pack.read_bytes()
    except OSError as error:
        discard(pack, what, f"unreadable ({error})")
        return None
    if not _PACK_NAME.fullmatch(pack.stem):
        discard(pack, what, "it has no checksum (written by an older topiclab)")
        return None
    if hashlib.sha256(data).hexdigest() != pack.stem:
        discard(pack, what, "it does not match its checksum (truncated or corrupt)")
        return None
    return data


# -- sealed folders ------------------------------------------------------------------------


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


# -- versions ------------------------------------------------------------------------------


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
    version string did not change still misses the cache. A subpackage's source is its
    ``.py`` files and its style sheets (``.mplstyle``: the figures' look)."""
    return _code_digest(tuple(sorted(modules)))


@lru_cache(maxsize=32)
def _code_digest(modules: tuple[str, ...]) -> str:
    root = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for module in modules:
        base = root / module.replace(".", "/")
        files: Iterable[Path] = (
            sorted(p for p in base.rglob("*") if p.suffix in (".py", ".mplstyle"))
            if base.is_dir()
            else [base.with_suffix(".py")]
        )
        for path in files:
            digest.update(path.relative_to(root).as_posix().encode("utf-8") + b"\0")
            digest.update(path.read_bytes())
    return digest.hexdigest()


def feed_counts(digest: Any, matrix: Any) -> None:
    """Feed a sparse matrix, or a :class:`~topiclab.stream.BowStore` chunk by chunk, into
    ``digest``: row lengths, column indices and values, so a matrix and a store of the same
    counts (in any chunks) give one key. Nothing is read whole: a store is read a chunk at a
    time. The keys of the fits and of the figure stage read their counts through it."""
    chunks = matrix.chunks() if hasattr(matrix, "chunks") else [matrix.tocsr()]
    parts: dict[str, Any] = {name: hashlib.sha256() for name in ("rows", "indices", "data")}
    for chunk in chunks:
        chunk = chunk.tocsr()
        parts["rows"].update(np.diff(chunk.indptr).astype(np.int64).tobytes())
        parts["indices"].update(np.ascontiguousarray(chunk.indices, dtype=np.int64).tobytes())
        parts["data"].update(np.ascontiguousarray(chunk.data, dtype=np.float64).tobytes())
    for part in parts.values():
        digest.update(part.digest())
    digest.update(b"\x1e")
