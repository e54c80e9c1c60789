"""One text normalisation for everything the corpus room compares.

Place names in the gazetteer, in curated metadata and in article text must meet on
the same form, or "Hương Hoà" and "Hương Hòa" count as two places. The preprocessing
room owns the project-wide convention (:func:`topiclab.preprocess.normalize.normalize_text`);
this module delegates to it when it is importable and otherwise applies the same two
steps itself: Unicode NFC and the traditional tone placement on ``oa``, ``oe``, ``uy``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache

_TONE = "\u0300\u0301\u0303\u0309\u0323"
_MARKS = "\u0300-\u036f"
# In NFD a new-style "hoà" is h-o-a-grave; the old style puts the grave on the o. Only an
# open syllable moves its tone ("hoàn" is the same in both styles), and "qu" is a consonant.
_NEW_STYLE = re.compile(
    rf"(?<![qQ])([oO])([aeAE])([{_TONE}])(?![\w{_MARKS}])|(?<![qQ])([uU])([yY])([{_TONE}])(?![\w{_MARKS}])"
)


def _move_tone(match: re.Match[str]) -> str:
    if match.group(1):
        return match.group(1) + match.group(3) + match.group(2)
    return match.group(4) + match.group(6) + match.group(5)


def fallback_normalize(text: str) -> str:
    """NFC with the traditional tone placement ("hoà" -> "hòa", "uỷ" -> "ủy")."""
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize("NFC", _NEW_STYLE.sub(_move_tone, decomposed))


@lru_cache(maxsize=1)
def _normalizer() -> Callable[[str], str]:
    try:
        from topiclab.preprocess.normalize import normalize_text
    except ImportError:
        return fallback_normalize
    return normalize_text


def normalize(text: str) -> str:
    """The project's text normalisation (NFC plus one tone-mark convention)."""
    return _normalizer()(text)


@lru_cache(maxsize=131_072)
def fold_name(text: str) -> str:
    """:func:`fold` with a cache, for the gazetteer's many short, repeated names."""
    return fold(text)


def fold(text: str) -> str:
    """A comparison key: normalised, lower-case, single-spaced."""
    return " ".join(normalize(text).lower().split())
