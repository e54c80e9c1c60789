"""One text normalisation for everything the corpus room compares.

Place names in the gazetteer, in curated metadata and in article text must meet on
the same form, or "Hương Hoà" and "Hương Hòa" count as two places. The preprocessing
room owns the project-wide convention (Unicode NFC, invisible characters removed, the
traditional tone placement on ``oa``, ``oe``, ``uy``); this module applies it.
"""

from __future__ import annotations

from functools import lru_cache

from topiclab.preprocess.normalize import normalize_text


def normalize(text: str) -> str:
    """The project's text normalisation (:func:`topiclab.preprocess.normalize_text`)."""
    return normalize_text(text)


def fold(text: str) -> str:
    """A comparison key: normalised, lower-case, single-spaced."""
    return " ".join(normalize_text(text).lower().split())


@lru_cache(maxsize=131_072)
def fold_name(text: str) -> str:
    """:func:`fold` with a cache, for the gazetteer's many short, repeated names."""
    return fold(text)
