"""Exact and near duplicates: the same article syndicated twice.

Exact duplicates share their words (case, spacing and punctuation ignored; texts are NFC).
Near duplicates share at least ``threshold`` of their word 5-shingles (Jaccard). Pairs
are found with MinHash and locality-sensitive hashing (128 hashes in 16 bands of 8), so
the cost grows with the corpus, not with its square, and every candidate pair is then
checked with the exact Jaccard similarity. All hashes are seeded constants: two runs
find the same duplicates.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict

import numpy as np

_SHINGLE = 5
_N_HASH = 128
_BANDS = 16
_PRIME = np.uint64((1 << 61) - 1)
_rng = np.random.default_rng(20181206)
_A = _rng.integers(1, 1 << 31, size=_N_HASH, dtype=np.uint64)
_B = _rng.integers(0, 1 << 31, size=_N_HASH, dtype=np.uint64)


def _words(text: str) -> list[str]:
    # Texts arrive in NFC; case, spacing and punctuation do not make a new article.
    return re.findall(r"\w+", text.lower())


def text_key(text: str) -> str:
    """Hash of the text's words, lower-cased: equal keys are exact duplicates."""
    return hashlib.sha256(" ".join(_words(text)).encode("utf-8")).hexdigest()


def _shingles(words: list[str] | str, vocab: dict[str, int]) -> np.ndarray:
    """Hashed word 5-shingles of a text (or of its :func:`_words`); ``vocab`` grows."""
    if isinstance(words, str):
        # topiclab.stream passes texts one at a time
        words = _words(words)
    ids = np.array([vocab.setdefault(w, len(vocab)) for w in words], dtype=np.uint64)
    if len(ids) < _SHINGLE:
        return np.unique(ids)
    h = np.zeros(len(ids) - _SHINGLE + 1, dtype=np.uint64)
    for k in range(_SHINGLE):
        # wrap-around arithmetic is the hash; uint64 overflow is intended
        h = h * np.uint64(1_000_003) + ids[k : len(ids) - _SHINGLE + 1 + k]
    return np.unique(h)


def _minhash(shingles: np.ndarray) -> np.ndarray:
    if len(shingles) == 0:
        return np.full(_N_HASH, np.iinfo(np.uint64).max, dtype=np.uint64)
    signature = np.full(_N_HASH, np.iinfo(np.uint64).max, dtype=np.uint64)
    # in chunks, so a 5 MB article needs megabytes, not a gigabyte, of hash values
    for start in range(0, len(shingles), 4096):
        chunk = shingles[start : start + 4096] % _PRIME
        values = (chunk[None, :] * _A[:, None] + _B[:, None]) % _PRIME
        signature = np.minimum(signature, values.min(axis=1))
    return signature


def find_duplicates(texts: list[str], threshold: float = 0.9) -> dict[int, tuple[int, str]]:
    """Map the position of each duplicate to (position of the kept original, kind).

    The first text in the given order is kept; ``kind`` is ``"exact"`` or ``"near"``.

    Parameters
    ----------
    texts : list of str
    threshold : float, default=0.9
        Jaccard similarity of word 5-shingles at or above which two texts are near
        duplicates; 1.0 turns near-duplicate detection off.
    """
    duplicates: dict[int, tuple[int, str]] = {}
    first_by_key: dict[str, int] = {}
    words = [_words(text) for text in texts]
    for i, tokens in enumerate(words):
        key = hashlib.sha256(" ".join(tokens).encode("utf-8")).hexdigest()
        if key in first_by_key:
            duplicates[i] = (first_by_key[key], "exact")
        else:
            first_by_key[key] = i
    if threshold >= 1.0:
        return duplicates
    vocab: dict[str, int] = {}
    remaining = [i for i in range(len(texts)) if i not in duplicates]
    shingles = {i: _shingles(words[i], vocab) for i in remaining}
    buckets: dict[tuple[int, bytes], list[int]] = defaultdict(list)
    rows = _N_HASH // _BANDS
    for i in remaining:
        signature = _minhash(shingles[i])
        for band in range(_BANDS):
            buckets[(band, signature[band * rows : (band + 1) * rows].tobytes())].append(i)
    candidates: dict[int, set[int]] = defaultdict(set)
    for members in buckets.values():
        for j in members[1:]:
            candidates[j].update(m for m in members if m < j)
    for j in sorted(candidates):
        for i in sorted(candidates[j]):
            if i in duplicates:
                continue
            a, b = shingles[i], shingles[j]
            union = len(np.union1d(a, b))
            if union and len(np.intersect1d(a, b, assume_unique=True)) / union >= threshold:
                duplicates[j] = (i, "near")
                break
    return duplicates
