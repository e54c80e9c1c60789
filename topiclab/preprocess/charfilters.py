"""Character filters: edits of the raw text before it is segmented.

They run on normalized text (:func:`topiclab.normalize_text`) and before pyvi, because pyvi
turns "101-QĐ/TW" into the syllables "101 - QĐ / TW" and a later filter can no longer tell a
document number from words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = [
    "ROMAN_NUMERALS",
    "canonical_plenums",
    "canonical_spellings",
    "compile_abbreviations",
    "remove_document_numbers",
    "remove_urls",
]

_URL = re.compile(
    r"(?:\b(?:https?|ftp)://|\bwww\.)\S+|[\w.+-]+@(?:[\w-]+\.)+[A-Za-z]{2,}"
    # bare domains as papers print them: "thaithuy.thaibinh.gov.vn", "baomoi.com/abc"
    r"|\b(?:[a-z0-9-]+\.)+(?:vn|com|net|org|gov|edu|info)\b(?:/\S*)?",
    re.IGNORECASE,
)
_URL_HINT = re.compile(r"://|@|www\.|\.(?:vn|com|net|org|gov|edu|info)\b", re.IGNORECASE)
_UPPER = "A-ZĐÂĂÊÔƠƯ"
_LETTERS = "A-Za-zĐđÂĂÊÔƠƯâăêôơư"
# A Vietnamese document number: a serial number, an optional year, then the document-type and
# issuer codes joined by "-" or "/": "101-QĐ/TW", "80-KH/HU", "03-CTr/HU", "34-KH/ĐU",
# "05-CT/TW", "24/2010/NĐ-CP", "1234/QĐ-UBND".
_DOCUMENT_NUMBER = re.compile(
    rf"(?<![\w/-])\d+[a-z]?(?:/\d{{2,4}})?\s?[-/]\s?[{_UPPER}][{_LETTERS}]*"
    rf"(?:\s?[-/]\s?[{_UPPER}][{_LETTERS}]*)*(?![\w])"
)

ROMAN_NUMERALS: dict[str, int] = {
    numeral: value
    for value, numeral in enumerate(
        "I II III IV V VI VII VIII IX X XI XII XIII XIV XV XVI XVII XVIII XIX XX".split(),
        start=1,
    )
}
# "Nghị quyết TW4", "Trung ương IV", "TƯ 4", "Trung ương lần thứ tư" all name the same plenum.
_ORDINALS = {"nhất": 1, "hai": 2, "ba": 3, "tư": 4, "bốn": 4, "năm": 5, "sáu": 6, "bảy": 7}
_ORDINALS |= {"tám": 8, "chín": 9, "mười": 10}
_PLENUM = re.compile(
    r"(?<!\w)(?:Trung ương|Trung Ương|TRUNG ƯƠNG|TW|TƯ|T\.Ư)\s*"
    r"(?:(?:lần thứ|Lần thứ)\s+(?P<word>" + "|".join(_ORDINALS) + r")"
    r"|(?:lần thứ\s+)?(?P<number>[IVX]{1,5}|\d{1,2}))(?!\w)"
)


def remove_urls(text: str) -> str:
    """Replace web addresses, bare domain names and e-mail addresses by a space."""
    # The e-mail branch tries every word; most texts have nothing it could match.
    if _URL_HINT.search(text) is None:
        return text
    return _URL.sub(" ", text)


def _drop_document_number(match: re.Match[str]) -> str:
    codes = re.findall(rf"[{_UPPER}][{_LETTERS}]*", match.group(0))
    # A real code has at least two capitals ("QĐ", "CTr", "KH"); "5-Tháng" is not a code.
    if any(sum(ch.isupper() for ch in code) >= 2 for code in codes):
        return " "
    return match.group(0)


def remove_document_numbers(text: str) -> str:
    """Replace document numbers such as ``101-QĐ/TW`` or ``24/2010/NĐ-CP`` by a space."""
    return _DOCUMENT_NUMBER.sub(_drop_document_number, text)


def _plenum(match: re.Match[str]) -> str:
    if match.group("word"):
        value = _ORDINALS[match.group("word")]
    else:
        raw = match.group("number")
        value = int(raw) if raw.isdigit() else ROMAN_NUMERALS.get(raw, 0)
    return f"Trung ương {value}" if value else match.group(0)


def canonical_plenums(text: str) -> str:
    """Write every numbered Central Committee plenum as "Trung ương N" (arabic N)."""
    return _PLENUM.sub(_plenum, text)


_SPELLINGS = [
    # "Mác - Lê-nin", "Mác-Lê nin", "Mác – Lênin": one spelling, so one token
    (re.compile(r"(?<!\w)Mác\s*[-–]\s*Lê\s*[-–]?\s*nin(?!\w)", re.IGNORECASE), "Mác-Lênin"),
]


def canonical_spellings(text: str) -> str:
    """Write names with several accepted spellings in one of them ("Mác-Lênin")."""
    for pattern, spelling in _SPELLINGS:
        text = pattern.sub(spelling, text)
    return text


def compile_abbreviations(pairs: Iterable[tuple[str, str]]):
    """Return a function that expands the given abbreviations in a text.

    Abbreviations match case-sensitively and as whole words; longer ones first, so "BCHTW"
    is not read as "BCH" + "TW".
    """
    table = dict(pairs)
    if not table:
        return lambda text: text
    alternation = "|".join(re.escape(key) for key in sorted(table, key=len, reverse=True))
    pattern = re.compile(rf"(?<![\w-])(?:{alternation})(?![\w-])")

    def expand(text: str) -> str:
        return pattern.sub(lambda match: table[match.group(0)], text)

    return expand
