"""On-disk token cache keyed by the text and the preprocessing settings.

Layout: ``<cache_dir>/tokens/<key>/<sha256>.tsv``, where ``<key>`` digests the settings key
and the preprocessing code. A pack holds many texts, one a line: the SHA-256 of the text, a
tab, and its tokens separated by single spaces (tokens never contain whitespace). One file per
text would cost a file creation per text, which on a network or virtual disk is slower than
segmenting the text again; packs cost one per batch.

A pack is named by the SHA-256 of its own bytes, so it carries its checksum in one atomic
write. Packs are written atomically (:func:`topiclab.io.atomic_write_text`) and never modified,
so an interrupted run leaves only whole packs, and runs in parallel can only add packs. A pack
whose bytes do not match its name (truncated or corrupted on disk, or written by an older
topiclab without a checksum) is a miss: it is logged as a WARNING, deleted, and its texts are
segmented again (:mod:`topiclab.cachefiles`).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Mapping
from pathlib import Path

__all__ = ["TokenCache", "text_key"]

_KEY_LENGTH = 64
# A pack's name is the hex SHA-256 of its bytes.
_PACK_NAME = re.compile(r"[0-9a-f]{64}")


def text_key(text: str) -> str:
    """SHA-256 of a text's UTF-8 bytes."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


class TokenCache:
    """Tokens of texts already preprocessed with one set of settings.

    Parameters
    ----------
    root : str or Path
        The cache folder (e.g. ``.cache``).
    settings_key : str
        A digest of everything that decides the tokens (settings, word lists, versions).
        The cache adds a digest of the preprocessing code, so a changed rule in a checkout
        whose version did not change is a miss, not a stale token, and the Unicode version
        behind NFC normalisation (it comes with Python).
    """

    def __init__(self, root: str | Path, settings_key: str) -> None:
        from topiclab.cachefiles import code_digest

        parts = (settings_key, code_digest("preprocess", "text"), unicodedata.unidata_version)
        key = hashlib.sha256("\0".join(parts).encode("ascii"))
        self.folder = Path(root) / "tokens" / key.hexdigest()[:24]

    def packs(self) -> list[Path]:
        """The pack files of this cache, in name order."""
        return sorted(self.folder.glob("*.tsv")) if self.folder.is_dir() else []

    def _read_pack(self, pack: Path) -> str | None:
        """The text of a pack whose bytes match its name; a damaged pack is discarded."""
        from topiclab.cachefiles import discard

        try:
            data = pack.read_bytes()
        except OSError as error:
            discard(pack, "token pack", f"unreadable ({error})")
            return None
        if not _PACK_NAME.fullmatch(pack.stem):
            discard(pack, "token pack", "it has no checksum (written by an older topiclab)")
            return None
        if hashlib.sha256(data).hexdigest() != pack.stem:
            discard(pack, "token pack", "it does not match its checksum (truncated or corrupt)")
            return None
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as error:
            discard(pack, "token pack", f"not UTF-8 ({error})")
            return None

    def get_many(self, keys: Iterable[str]) -> dict[str, list[str]]:
        """Cached tokens of the texts with these keys; absent keys are left out.

        Every pack is verified against its checksum before it is used; a damaged pack is
        logged, deleted and left out, so its texts are segmented again.
        """
        wanted = set(keys)
        found: dict[str, list[str]] = {}
        for pack in self.packs():
            if len(found) == len(wanted):
                break
            text = self._read_pack(pack)
            if text is None:
                continue
            for line in text.splitlines():
                key = line[:_KEY_LENGTH]
                if (
                    key in wanted
                    and key not in found
                    and line[_KEY_LENGTH : _KEY_LENGTH + 1] == "\t"
                ):
                    rest = line[_KEY_LENGTH + 1 :]
                    found[key] = rest.split(" ") if rest else []
        return found

    def put_many(self, items: Mapping[str, list[str]]) -> Path | None:
        """Store the tokens of several texts as one new pack; returns its path."""
        if not items:
            return None
        # topiclab.io imports pandas; joblib workers import this module and never write.
        from topiclab.io import atomic_write_bytes

        keys = sorted(items)
        data = "".join(f"{key}\t{' '.join(items[key])}\n" for key in keys).encode("utf-8")
        return atomic_write_bytes(self.folder / f"{hashlib.sha256(data).hexdigest()}.tsv", data)
