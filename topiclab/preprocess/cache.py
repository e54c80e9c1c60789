"""The preprocessor's tokens in the stage cache: texts already segmented with one setting.

The tokens are the ``tokens`` stage of :class:`topiclab.cache.StageCache`: one entry per
set of token-deciding settings (:meth:`~topiclab.Preprocessor.settings_key`), the
preprocessing code (this room's and :mod:`topiclab.text`'s), pyvi's version and the Unicode
version behind NFC normalisation (it comes with Python), in
``<cache_dir>/tokens/<key>/<sha256>.tsv``. The entry grows by packs: a pack holds many texts,
one a line: the SHA-256 of the text, a tab, and its tokens separated by single spaces
(tokens never contain whitespace). One file per text would cost a file creation per text,
which on a network or virtual disk is slower than segmenting the text again; packs cost one
per batch.

A pack is named by the SHA-256 of its own bytes, written in one atomic write and never
modified, so an interrupted run leaves only whole packs, and runs in parallel can only add
packs. A pack whose bytes do not match its name (truncated or corrupted on disk, or written
by an older topiclab without a checksum) is a miss: it is logged as a WARNING, deleted, and
its texts are segmented again.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Iterable, Mapping
from pathlib import Path

__all__ = ["cached_tokens", "store_tokens", "text_key", "token_entry"]

_KEY_LENGTH = 64
_SUFFIX = "tsv"


def text_key(text: str) -> str:
    """SHA-256 of a text's UTF-8 bytes."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def token_entry(root: str | Path, settings_key: str):
    """The token cache under ``root`` and the key of the entry of ``settings_key``.

    Returns
    -------
    (StageCache, str)
    """
    from topiclab.cache import StageCache

    cache = StageCache(root, "tokens", code=("preprocess", "text"), libraries=("pyvi",))
    settings = {"preprocess": settings_key, "unicode": unicodedata.unidata_version}
    return cache, cache.key("", settings)


def cached_tokens(cache, key: str, wanted: Iterable[str]) -> dict[str, list[str]]:
    """Cached tokens of the texts whose :func:`text_key` is in ``wanted``; absent keys are
    left out. Every pack is verified against its checksum before it is used; a damaged
    pack is logged, deleted and left out, so its texts are segmented again."""
    wanted = set(wanted)
    found: dict[str, list[str]] = {}
    if not wanted:
        return found
    for data in cache.packs(key, _SUFFIX, "token pack"):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            continue  # its checksum matched: bytes written so by no topiclab; a miss
        for line in text.splitlines():
            text_id = line[:_KEY_LENGTH]
            if (
                text_id in wanted
                and text_id not in found
                and line[_KEY_LENGTH : _KEY_LENGTH + 1] == "\t"
            ):
                rest = line[_KEY_LENGTH + 1 :]
                found[text_id] = rest.split(" ") if rest else []
        if len(found) == len(wanted):
            break
    return found


def store_tokens(cache, key: str, items: Mapping[str, list[str]]) -> Path | None:
    """Store the tokens of several texts (:func:`text_key` -> tokens) as one new pack."""
    if not items:
        return None
    keys = sorted(items)
    data = "".join(f"{k}\t{' '.join(items[k])}\n" for k in keys).encode("utf-8")
    return cache.add_pack(key, data, _SUFFIX)
