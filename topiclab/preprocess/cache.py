"""On-disk token cache: one small file per text, keyed by the text and the settings.

Layout: ``<cache_dir>/tokens/<settings key>/<h[:2]>/<h>.txt`` where ``h`` is the SHA-256 of
the text. The file holds the tokens separated by single spaces (tokens never contain
whitespace). Writes are atomic (:func:`topiclab.io.atomic_write_text`), so an interrupted run
leaves no half-written entry, and concurrent runs over the same texts write identical bytes.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

__all__ = ["TokenCache", "text_key"]


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

    def _path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.txt"

    def get(self, key: str) -> list[str] | None:
        """Cached tokens of the text with this key, or ``None`` when absent."""
        try:
            content = self._path(key).read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        return content.split(" ") if content else []

    def put(self, key: str, tokens: list[str]) -> None:
        """Store the tokens of the text with this key."""
        # topiclab.io imports pandas; joblib workers import this module and never write.
        from topiclab.io import atomic_write_text

        atomic_write_text(self._path(key), " ".join(tokens))
