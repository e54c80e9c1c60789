"""Exact and near duplicates: the same article syndicated twice, found one text at a time.

Exact duplicates share their words (case, spacing and punctuation ignored; texts are NFC).
Near duplicates share at least ``threshold`` of their word 5-shingles (Jaccard). Candidate
pairs come from MinHash and locality-sensitive hashing (128 hashes in 16 bands of 8), so
the cost grows with the corpus, not with its square; every candidate is then confirmed
with the exact Jaccard similarity of the two shingle sets. All hashes are seeded
constants: two runs find the same duplicates.

Memory stays bounded (:class:`Deduplicator`): per kept text it holds 16 band hashes in
sorted NumPy arrays and one offset; the texts themselves wait in a temporary file on disk
and a candidate's shingles are recomputed from it when they are needed. Keeping every
shingle set instead would cost about 4 kB an article (over 300 MB at 80,000).
"""

from __future__ import annotations

import hashlib
import re
import tempfile
from array import array
from pathlib import Path

import numpy as np

_SHINGLE = 5
_N_HASH = 128
_BANDS = 16
_ROWS = _N_HASH // _BANDS
_PRIME = np.uint64((1 << 61) - 1)
_rng = np.random.default_rng(20181206)
_A = _rng.integers(1, 1 << 31, size=_N_HASH, dtype=np.uint64)
_B = _rng.integers(0, 1 << 31, size=_N_HASH, dtype=np.uint64)
# New band hashes wait in a dict until this many, then join the sorted arrays.
_PENDING = 1 << 16


def _words(text: str) -> list[str]:
    # Texts arrive in NFC; case, spacing and punctuation do not make a new article.
    return re.findall(r"\w+", text.lower())


def _shingles(words: list[str], vocab: dict[str, int]) -> np.ndarray:
    """Hashed word 5-shingles of a text's :func:`_words`; ``vocab`` grows."""
    ids = np.array([vocab.setdefault(w, len(vocab)) for w in words], dtype=np.uint64)
    if len(ids) < _SHINGLE:
        return np.unique(ids)
    h = np.zeros(len(ids) - _SHINGLE + 1, dtype=np.uint64)
    for k in range(_SHINGLE):
        # wrap-around arithmetic is the hash; uint64 overflow is intended
        h = h * np.uint64(1_000_003) + ids[k : len(ids) - _SHINGLE + 1 + k]
    return np.unique(h)


def _minhash(shingles: np.ndarray) -> np.ndarray:
    signature = np.full(_N_HASH, np.iinfo(np.uint64).max, dtype=np.uint64)
    # in chunks, so a 5 MB article needs megabytes, not a gigabyte, of hash values
    for start in range(0, len(shingles), 4096):
        chunk = shingles[start : start + 4096] % _PRIME
        values = (chunk[None, :] * _A[:, None] + _B[:, None]) % _PRIME
        signature = np.minimum(signature, values.min(axis=1))
    return signature


def _band_keys(signature: np.ndarray) -> list[int]:
    """One 64-bit key per band (the band number is part of it, so bands never meet)."""
    keys = []
    for band in range(_BANDS):
        data = bytes([band]) + signature[band * _ROWS : (band + 1) * _ROWS].tobytes()
        keys.append(int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "little"))
    return keys


def _jaccard(a: np.ndarray, b: np.ndarray) -> float:
    union = len(np.union1d(a, b))
    return len(np.intersect1d(a, b, assume_unique=True)) / union if union else 0.0


class Deduplicator:
    """Exact and near duplicates of texts given one at a time, in input order.

    The first text is kept; a later one is a duplicate of the earliest kept text it
    repeats (exactly, or with a shingle Jaccard of at least ``threshold``). Use it as a
    context manager, or call :meth:`close`, to remove its temporary file.

    Parameters
    ----------
    threshold : float, default=0.9
        Jaccard similarity of word 5-shingles at or above which a text is a near
        duplicate; 1.0 turns near-duplicate detection off.
    spool_dir : str or Path, optional
        Folder of the temporary file holding the kept texts (default: the system's).

    Examples
    --------
    >>> with Deduplicator(0.9) as dedup:
    ...     dedup.check("Một bài báo.", "a"), dedup.check("một  BÀI báo", "b")
    (None, ('a', 'exact'))
    """

    def __init__(self, threshold: float = 0.9, spool_dir: str | Path | None = None) -> None:
        self.threshold = float(threshold)
        # digest of the words -> (kept doc_id it stands for, kind)
        self._by_key: dict[bytes, tuple[str, str]] = {}
        self._kept_ids: list[str] = []
        self._vocab: dict[str, int] = {}
        self._offsets = array("q", [0])
        self._keys = np.zeros(0, dtype=np.uint64)
        self._positions = np.zeros(0, dtype=np.int32)
        self._pending: dict[int, list[int]] = {}
        self._n_pending = 0
        self._spool = tempfile.TemporaryFile(dir=spool_dir, prefix="topiclab-dedup-")

    def __enter__(self) -> Deduplicator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Remove the temporary file of kept texts."""
        self._spool.close()

    def check(self, text: str, doc_id: str) -> tuple[str, str] | None:
        """``(kept doc_id, kind)`` if ``text`` repeats a kept text, else None (and keep it).

        ``kind`` is ``"exact"`` or ``"near"``. An exact copy of a near duplicate names the
        kept text that one repeats, with the kind ``"near"``.
        """
        words = _words(text)
        key = hashlib.sha256(" ".join(words).encode("utf-8")).digest()[:16]
        if key in self._by_key:
            return self._by_key[key]
        if self.threshold >= 1.0:
            self._by_key[key] = (doc_id, "exact")
            return None
        shingles = _shingles(words, self._vocab)
        bands = _band_keys(_minhash(shingles))
        # Earliest candidate first: the kept original is the first in input order.
        for position in self._candidates(bands):
            if _jaccard(self._shingles_of(position), shingles) >= self.threshold:
                original = self._kept_ids[position]
                self._by_key[key] = (original, "near")
                return original, "near"
        self._by_key[key] = (doc_id, "exact")
        self._keep(doc_id, words, bands)
        return None

    def _candidates(self, bands: list[int]) -> list[int]:
        found: set[int] = set()
        keys = np.asarray(bands, dtype=np.uint64)
        lo = np.searchsorted(self._keys, keys, side="left")
        hi = np.searchsorted(self._keys, keys, side="right")
        for start, stop in zip(lo.tolist(), hi.tolist(), strict=True):
            found.update(self._positions[start:stop].tolist())
        for band in bands:
            found.update(self._pending.get(band, ()))
        return sorted(found)

    def _keep(self, doc_id: str, words: list[str], bands: list[int]) -> None:
        position = len(self._kept_ids)
        self._kept_ids.append(doc_id)
        self._spool.seek(0, 2)
        self._spool.write(" ".join(words).encode("utf-8"))
        self._offsets.append(self._spool.tell())
        for band in bands:
            self._pending.setdefault(band, []).append(position)
        self._n_pending += len(bands)
        if self._n_pending >= _PENDING:
            self._flush()

    def _flush(self) -> None:
        """Move the pending band hashes into the sorted arrays."""
        pairs = [(key, pos) for key, positions in self._pending.items() for pos in positions]
        keys = np.concatenate([self._keys, np.fromiter((k for k, _ in pairs), np.uint64)])
        positions = np.concatenate([self._positions, np.fromiter((p for _, p in pairs), np.int32)])
        order = np.argsort(keys, kind="stable")
        self._keys, self._positions = keys[order], positions[order]
        self._pending, self._n_pending = {}, 0

    def _shingles_of(self, position: int) -> np.ndarray:
        start, stop = self._offsets[position], self._offsets[position + 1]
        self._spool.seek(start)
        words = self._spool.read(stop - start).decode("utf-8").split()
        return _shingles(words, self._vocab)


def find_duplicates(texts: list[str], threshold: float = 0.9) -> dict[int, tuple[int, str]]:
    """Map the position of each duplicate to (position of the kept original, kind).

    The in-memory form of :class:`Deduplicator` (same rule, same result).

    Parameters
    ----------
    texts : list of str
    threshold : float, default=0.9
        Jaccard similarity of word 5-shingles at or above which two texts are near
        duplicates; 1.0 turns near-duplicate detection off.
    """
    duplicates: dict[int, tuple[int, str]] = {}
    with Deduplicator(threshold) as dedup:
        for position, text in enumerate(texts):
            found = dedup.check(text, str(position))
            if found is not None:
                duplicates[position] = (int(found[0]), found[1])
    return duplicates
