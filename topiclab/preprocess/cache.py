"""On-disk token cache keyed by the text and the preprocessing settings.

Layout: ``<cache_dir>/tokens/<settings key>/<pack>.tsv``. A pack holds many texts, one a
line: the SHA-256 of the text, a tab, and its tokens separated by single spaces (tokens never
contain whitespace). One file per text would cost a file creation per text, which on a
network or virtual disk is slower than segmenting the text again; packs cost one per batch.
Packs are written atomically (:func:`topiclab.io.atomic_write_text`) and never modified, so an
interrupted run leaves only whole packs, and runs in parallel can only add packs.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from pathlib import Path

__all__ = ["TokenCache", "text_key"]

_KEY_LENGTH = 64


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
    """

    def __init__(self, root: str | Path, settings_key: str) -> None:
        self.folder = Path(root) / "tokens" / settings_key[:24]

    def packs(self) -> list[Path]:
        """The pack files of this cache, in name order."""
        return sorted(self.folder.glob("*.tsv")) if self.folder.is_dir() else []

    def get_many(self, keys: Iterable[str]) -> dict[str, list[str]]:
        """Cached tokens of the texts with these keys; absent keys are left out."""
        wanted = set(keys)
        found: dict[str, list[str]] = {}
        for pack in self.packs():
            if len(found) == len(wanted):
                break
            for line in pack.read_text(encoding="utf-8").splitlines():
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
        from topiclab.io import atomic_write_text

        keys = sorted(items)
        text = "".join(f"{key}\t{' '.join(items[key])}\n" for key in keys)
        name = hashlib.sha256("".join(keys).encode("ascii")).hexdigest()[:32]
        return atomic_write_text(self.folder / f"{name}.tsv", text)
