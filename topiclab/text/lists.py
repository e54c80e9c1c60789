"""The shipped word lists: stopwords, keep-words, protected terms, abbreviations.

Every list lives in ``topiclab/resources/`` as a UTF-8 text file with a ``#`` header that says
where it came from. Entries are normalized again on loading (tone marks, case, ``_`` joins) so
that a list edited by hand cannot disagree with the tokens it is compared with.
"""

from __future__ import annotations

import hashlib
import re
from functools import cache
from importlib import resources

from topiclab.text.normalize import normalize_text

__all__ = [
    "GENERIC_STOPWORDS_HEADER",
    "abbreviations",
    "as_token",
    "convert_stopwordsiso",
    "domain_stopwords",
    "generic_stopwords",
    "keep_words",
    "number_stopwords",
    "read_resource",
    "resource_digest",
    "terms",
]

_WORD = re.compile(r"[^\W_]+")

GENERIC_STOPWORDS_HEADER = """\
# Generic Vietnamese stopwords, converted from the "vi" list of the stopwordsiso package
# (https://github.com/stopwords-iso/stopwords-vi, MIT licence) by
# topiclab.text.lists.convert_stopwordsiso(): tone-normalized (first-vowel style),
# lower-cased, words joined by "_" as pyvi joins them ("bao giờ" -> "bao_giờ").
# Regenerate with:
#   python -c "from topiclab.text.lists import convert_stopwordsiso as c; print(c())"
"""


def as_token(phrase: str) -> str:
    """Turn a written phrase into the token form: normalized, lower-case, ``_``-joined.

    Punctuation between and inside words is dropped ("kinh tế - xã hội" -> "kinh_tế_xã_hội",
    "a-lô" -> "a_lô").
    """
    return "_".join(_WORD.findall(normalize_text(phrase).lower().replace("_", " ")))


def read_resource(name: str) -> str:
    """Text of a shipped resource file."""
    return resources.files("topiclab.resources").joinpath(name).read_text(encoding="utf-8")


def _entries(name: str) -> list[str]:
    lines = (line.strip() for line in read_resource(name).splitlines())
    return [line for line in lines if line and not line.startswith("#")]


@cache
def resource_digest(*names: str) -> str:
    """SHA-256 over the named resource files; part of every token-cache key."""
    digest = hashlib.sha256()
    for name in names:
        digest.update(name.encode())
        digest.update(read_resource(name).encode("utf-8"))
    return digest.hexdigest()


def convert_stopwordsiso() -> str:
    """Build the text of ``stopwords_vi.txt`` from the installed ``stopwordsiso`` package."""
    import stopwordsiso

    words = sorted({as_token(word) for word in stopwordsiso.stopwords("vi")} - {""})
    return GENERIC_STOPWORDS_HEADER + "\n".join(words) + "\n"


@cache
def generic_stopwords() -> frozenset[str]:
    """Generic Vietnamese stopwords (``stopwords_vi.txt``, from stopwordsiso)."""
    return frozenset(as_token(word) for word in _entries("stopwords_vi.txt"))


@cache
def number_stopwords() -> frozenset[str]:
    """Number words and quantifiers written as words (``stopwords_numbers.txt``).

    "hai", "triệu", "một_số", "mọi": they occur in articles of every subject, so in topics
    they crowd out the words that tell subjects apart.
    """
    return frozenset(as_token(word) for word in _entries("stopwords_numbers.txt"))


@cache
def domain_stopwords() -> frozenset[str]:
    """Bureaucratic filler of the genre (``stopwords_domain.txt``)."""
    return frozenset(as_token(word) for word in _entries("stopwords_domain.txt"))


@cache
def keep_words() -> frozenset[str]:
    """Theme words that override both stoplists (``keep_words.txt``)."""
    return frozenset(as_token(word) for word in _entries("keep_words.txt"))


@cache
def terms() -> tuple[str, ...]:
    """Multi-word terms kept whole (``terms.txt``), as written in text."""
    return tuple(normalize_text(term) for term in _entries("terms.txt"))


@cache
def abbreviations() -> tuple[tuple[str, str], ...]:
    """``(abbreviation, expansion)`` pairs from ``abbreviations.tsv``.

    Raises
    ------
    ValueError
        If a line does not have exactly two tab-separated fields.
    """
    pairs = []
    for line in _entries("abbreviations.tsv"):
        fields = line.split("\t")
        if len(fields) != 2 or not all(field.strip() for field in fields):
            raise ValueError(f"abbreviations.tsv: expected 'ABBR<TAB>expansion', got {line!r}")
        pairs.append((normalize_text(fields[0].strip()), normalize_text(fields[1].strip())))
    return tuple(pairs)
