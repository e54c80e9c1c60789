"""Comparison keys for names: the project's normalisation, lower-cased and single-spaced.

Place names in the gazetteer, in curated metadata and in article text must meet on the same
form, or "Hương Hoà" and "Hương Hòa" count as two places. :func:`fold` applies the project's
one convention (:func:`topiclab.text.normalize.normalize_text`: Unicode NFC, invisible
characters removed, the traditional tone placement on ``oa``, ``oe``, ``uy``) and then folds
case and spacing.
"""

from __future__ import annotations

from functools import lru_cache

from topiclab.text.normalize import normalize_text

__all__ = ["fold", "fold_name"]


def fold(text: str) -> str:
    """A comparison key: normalised, lower-case, single-spaced."""
    return " ".join(normalize_text(text).lower().split())


@lru_cache(maxsize=131_072)
def fold_name(text: str) -> str:
    """:func:`fold` with a cache, for the gazetteer's many short, repeated names."""
    return fold(text)
