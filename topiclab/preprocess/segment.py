"""Word segmentation with pyvi's CRF model, without pyvi's per-call overhead.

:func:`pyvi.ViTokenizer.tokenize` builds one Python dict of features per syllable and then
joins and re-splits strings. Here the same features are passed to the same CRF tagger as
lists of attribute strings (python-crfsuite gives a string-valued attribute ``k: v`` the name
``k:v`` and weight 1, and a ``False`` boolean weight 0, which adds nothing to a score), so the
labels are identical to pyvi's while the features cost about a third of the time. The
syllables, their labels and pyvi's rule for joining them are kept apart so that the
preprocessor can protect terms and names before the words are glued together. The CRF model
is read from pyvi's package data without importing ``pyvi.ViTokenizer`` (which imports
scikit-learn), so a worker process is ready in a fraction of a second.
:func:`segment` returns exactly the words of ``ViTokenizer.tokenize(text).split()``; the tests
check it on the shipped articles.
"""

from __future__ import annotations

import codecs
import io
import pickle
import re
import string
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

__all__ = [
    "Segmentation",
    "bigrams",
    "known_syllables",
    "segment",
    "segment_calls",
    "segment_syllables",
    "syllabize",
]

# pyvi 0.1.1 ViTokenizer.sylabelize, compiled once: abbreviations with a period, arrows and
# ellipses, URLs, e-mails, numbers with separators, single punctuation, words.
_SYLLABLE = re.compile(
    "("
    + "|".join(
        [
            r"[A-ZĐ]+\.",
            r"Tp\.",
            r"Mr\.",
            r"Mrs\.",
            r"Ms\.",
            r"Dr\.",
            r"ThS\.",
            "==>",
            "->",
            r"\.\.\.",
            ">>",
            "\n",
            r"\w+://[^\s]+",
            r"([a-zA-Z0-9_.+-]+@([a-zA-Z0-9-]+\.)+[a-zA-Z0-9-]+)",
            r"\d+([\.,_]\d+)+",
            r"[^\w\s]",
            r"\w+",
        ]
    )
    + ")",
    re.UNICODE,
)

_CALLS = {"texts": 0}


def segment_calls() -> int:
    """How many texts this process has run through the CRF segmenter.

    The token cache is tested with this counter: a second run over cached texts must not
    move it.
    """
    return _CALLS["texts"]


class _Stub:
    """Stand-in for the classes in pyvi's pickle; keeps only their state."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def __setstate__(self, state: Any) -> None:
        if isinstance(state, dict):
            self.__dict__.update(state)


class _ModelUnpickler(pickle.Unpickler):
    # pyvi's model is a pickled sklearn_crfsuite.CRF whose state carries the crfsuite model
    # file as bytes. Reading just those bytes spares every worker process the import of
    # pyvi, scikit-learn and sklearn_crfsuite (several seconds on a busy machine).
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) == ("_codecs", "encode"):
            return codecs.encode
        return type(name, (_Stub,), {})


def _crfsuite_model_bytes() -> bytes:
    data = resources.files("pyvi").joinpath("models", "pyvi3.pkl").read_bytes()
    crf = _ModelUnpickler(io.BytesIO(data)).load()
    model = crf.modelfile.__dict__.get("__FILE_RESOURCE_DATA__")
    if not isinstance(model, bytes):
        raise RuntimeError(
            "pyvi's models/pyvi3.pkl holds no crfsuite model; is pyvi 0.1.1 installed?"
        )
    return model


def _dictionary(length: int) -> frozenset[str]:
    # pyvi's own loader: entries of `length` syllables from models/words.txt, as written
    text = resources.files("pyvi").joinpath("models", "words.txt").read_text(encoding="utf-8")
    return frozenset(line for line in text.split("\n") if len(line.split(" ")) == length)


_MODEL_BUFFER: list[bytes] = []


@lru_cache(maxsize=1)
def _model() -> tuple[Any, frozenset[str], frozenset[str]]:
    import pycrfsuite

    tagger = pycrfsuite.Tagger()
    # crfsuite reads the model from this buffer without copying it: keep it alive with the
    # tagger for the life of the process.
    _MODEL_BUFFER.append(_crfsuite_model_bytes())
    tagger.open_inmemory(_MODEL_BUFFER[-1])
    return tagger, _dictionary(2), _dictionary(3)


@lru_cache(maxsize=1)
def known_syllables() -> frozenset[str]:
    """Lower-case syllables of pyvi's dictionary (``models/words.txt``): Vietnamese words."""
    text = resources.files("pyvi").joinpath("models", "words.txt").read_text(encoding="utf-8")
    return frozenset(syllable.lower() for syllable in text.split())


def bigrams() -> frozenset[str]:
    """pyvi's two-syllable words, lower-case, space-separated."""
    return _model()[1]


def syllabize(text: str) -> list[str]:
    """Split ``text`` into pyvi's syllables (words, numbers, punctuation marks)."""
    return [match.group(0) for match in _SYLLABLE.finditer(unicodedata.normalize("NFC", text))]


def _features(syllables: list[str], lower: list[str]) -> list[list[str]]:
    """pyvi's CRF features of every syllable, as attribute strings."""
    _, bi_grams, tri_grams = _model()
    n = len(syllables)
    title = [s.istitle() for s in syllables]
    upper = [s.isupper() for s in syllables]
    # bigram i: "lower[i] lower[i+1]" in pyvi's dictionary; trigram likewise
    bigram = [f"{lower[i]} {lower[i + 1]}" in bi_grams for i in range(n - 1)]
    trigram = [f"{lower[i]} {lower[i + 1]} {lower[i + 2]}" in tri_grams for i in range(n - 2)]
    rows: list[list[str]] = []
    for i in range(n):
        row = ["bias", "word.lower():" + lower[i]]
        if upper[i]:
            row.append("word.isupper()")
        if title[i]:
            row.append("word.istitle()")
        if syllables[i].isdigit():
            row.append("word.isdigit()")
        if i > 0:
            row.append("-1:word.lower():" + lower[i - 1])
            if title[i - 1]:
                row.append("-1:word.istitle()")
            if upper[i - 1]:
                row.append("-1:word.isupper()")
            if bigram[i - 1]:
                row.append("-1:word.bi_gram()")
            if i > 1 and trigram[i - 2]:
                row.append("-2:word.tri_gram()")
        if i < n - 1:
            row.append("+1:word.lower():" + lower[i + 1])
            if title[i + 1]:
                row.append("+1:word.istitle()")
            if upper[i + 1]:
                row.append("+1:word.isupper()")
            if bigram[i]:
                row.append("+1:word.bi_gram()")
            if i < n - 2 and trigram[i]:
                row.append("+2:word.tri_gram()")
        rows.append(row)
    return rows


@dataclass(frozen=True)
class Segmentation:
    """Syllables of a text and where pyvi starts a new word.

    Attributes
    ----------
    syllables : list of str
        The syllables as written (case kept).
    lower : list of str
        The same, lower-cased.
    starts : list of bool
        ``starts[i]`` is true when syllable ``i`` begins a word.
    """

    syllables: list[str]
    lower: list[str]
    starts: list[bool]

    def words(self) -> list[str]:
        """The words, syllables joined by ``_`` as pyvi writes them."""
        return ["_".join(self.syllables[a:b]) for a, b in word_spans(self.starts)]


def word_spans(starts: list[bool]) -> list[tuple[int, int]]:
    """``(begin, end)`` syllable ranges of the words marked by ``starts``."""
    begins = [i for i, start in enumerate(starts) if start]
    return list(zip(begins, [*begins[1:], len(starts)], strict=True))


def segment_syllables(text: str) -> Segmentation:
    """Segment ``text`` with pyvi's CRF and pyvi's joining rule.

    Syllables labelled as word-internal are joined to the previous one unless either is
    punctuation, either starts with a digit, or a capitalised syllable follows a
    lower-case one: the rule of ``ViTokenizer.tokenize``.
    """
    syllables = syllabize(text)
    lower = [s.lower() for s in syllables]
    if not syllables:
        return Segmentation([], [], [])
    _CALLS["texts"] += 1
    tagger, _, _ = _model()
    labels = tagger.tag(_features(syllables, lower))
    punctuation = string.punctuation
    starts = [True] * len(syllables)
    for i in range(1, len(syllables)):
        cur, prev = syllables[i], syllables[i - 1]
        # `in string.punctuation` is pyvi's own substring test; kept for identical output.
        if (
            labels[i] == "I_W"
            and cur not in punctuation
            and prev not in punctuation
            and not cur[0].isdigit()
            and not prev[0].isdigit()
            and not (cur[0].istitle() and not prev[0].istitle())
        ):
            starts[i] = False
    return Segmentation(syllables, lower, starts)


def segment(text: str) -> list[str]:
    """Words of ``text`` as pyvi segments them (``ViTokenizer.tokenize(text).split()``)."""
    # pyvi keeps newlines as syllables and its caller's split() drops them; so do we.
    return " ".join(segment_syllables(text).words()).split()
