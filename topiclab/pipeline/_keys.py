"""The cache keys of the run's cached stages (:class:`topiclab.cache.StageCache`): the
digests of the tokens and of the counts a fit reads, and the key of a fit."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from topiclab.cache import StageCache, feed_counts


def _tokens_digest(tokens: list[list[str]]) -> str:
    digest = hashlib.sha256()
    for unit_tokens in tokens:
        digest.update("\x1f".join(unit_tokens).encode("utf-8") + b"\x1e")
    return digest.hexdigest()


#: the topiclab code and the libraries whose versions decide a fit (and the selection table)
_FIT_CODE = ("models", "evaluate", "vectorize")
_FIT_LIBRARIES = ("gensim", "scikit-learn", "numpy", "scipy", "tomotopy")
#: the cached stages of this module: stage -> (code, libraries) of their keys
_CACHED_STAGES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "vectorized": (("vectorize",), ("gensim", "scipy")),
    "selection": (_FIT_CODE, _FIT_LIBRARIES),
    "models": (_FIT_CODE, _FIT_LIBRARIES),
}


def _stage_cache(cache: str | Path | None, stage: str) -> StageCache:
    """The :class:`~topiclab.cache.StageCache` of ``stage`` under ``cache`` (the config's
    ``cache`` folder; None: no cache)."""
    code, libraries = _CACHED_STAGES[stage]
    return StageCache(cache, stage, code=code, libraries=libraries)


def _fit_revision() -> int:
    from topiclab.models._base import FIT_REVISION

    return FIT_REVISION


def _counts_digest(vectorized, unit_ids) -> str:
    """Digest of what a fit reads: the counts and TF-IDF weights (NMF fits the latter), the
    vocabulary and the unit ids."""
    digest = hashlib.sha256()
    for matrix in (vectorized.bow, vectorized.tfidf):
        feed_counts(digest, matrix)
    described = {"vocab": list(vectorized.vocab), "unit_ids": list(unit_ids)}
    digest.update(json.dumps(described, ensure_ascii=False).encode("utf-8"))
    return digest.hexdigest()


def _model_key(models: StageCache, content: str, name: str, k: int, params: dict, seed: int) -> str:
    """Cache key of a fit: its counts (:func:`_counts_digest`), model, K, parameters and
    seed, with the model code and the fitting libraries' versions (:data:`_FIT_CODE`)."""
    settings = {"model": name, "k": k, "params": params, "seed": seed}
    return models.key(content, {**settings, "fit_revision": _fit_revision()})
