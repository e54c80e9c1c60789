"""Unicode and tone-mark normalization of Vietnamese text.

The same word must always become the same token. Scraped Vietnamese text mixes
precomposed and decomposed characters, invisible characters left by editors, and two
conventions for placing the tone mark ("hoà" and "hòa"). :func:`normalize_text` maps
all of them to one form.

It sits in the base language layer (:mod:`topiclab.text`) and imports no other room: the
corpus reader, the gazetteer, the word lists and the preprocessor all call it.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["TONE_MARKS", "normalize_text"]

# grave, acute, hook above, tilde, dot below: the five Vietnamese tone marks
TONE_MARKS: tuple[str, ...] = ("\u0300", "\u0301", "\u0309", "\u0303", "\u0323")

# Characters that render as nothing but split words for a tokenizer: zero-width space,
# non-joiner, joiner, word joiner, BOM / zero-width no-break space, soft hyphen, and the
# invisible operators some editors paste in.
_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u00ad\u2061\u2062\u2063\u2064\u180e"
# Spaces a tokenizer may not split on: no-break, figure, thin, hair, narrow no-break,
# the typographic en/em family, the ideographic space.
_ODD_SPACES = (
    "\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000"
)
_CHAR_TABLE = {ord(c): None for c in _INVISIBLE} | {ord(c): " " for c in _ODD_SPACES}


def _tone_tables() -> tuple[dict[str, tuple[str, str]], dict[tuple[str, str], str]]:
    split: dict[str, tuple[str, str]] = {}
    join: dict[tuple[str, str], str] = {}
    for base in "aeouyAEOUY":
        split[base] = (base, "")
        join[(base, "")] = base
        for mark in TONE_MARKS:
            char = unicodedata.normalize("NFC", base + mark)
            split[char] = (base, mark)
            join[(base, mark)] = char
    return split, join


_SPLIT, _JOIN = _tone_tables()
_FIRST = "".join(c for c, (base, _) in _SPLIT.items() if base in "ouOU")
_SECOND = "".join(c for c, (base, _) in _SPLIT.items() if base in "aeyAEY")
# The diphthongs oa, oe and uy (plain o/u, plain a/e/y) are the only places where the two
# conventions differ. The "qu" onset is excluded: its u is a consonant ("quý", "quỷ"). A
# following combining mark means the vowel is really ă/â/ê, so such a pair is left alone.
_PAIR = re.compile(
    rf"(?<![qQ])([{_FIRST}])([{_SECOND}])(?![\u0300-\u036f])(?=([^\W\d_])?)",
)


def _place_tone(match: re.Match[str]) -> str:
    first_base, first_mark = _SPLIT[match.group(1)]
    second_base, second_mark = _SPLIT[match.group(2)]
    if bool(first_mark) == bool(second_mark):
        return match.group(0)
    mark = first_mark or second_mark
    if match.group(3) is None:
        # Open syllable ("hoà", "uỷ", "khoẻ"): the old, first-vowel style puts the mark on
        # o/u, the convention of most Party-press archives and of pyvi's training data.
        return _JOIN[(first_base, mark)] + second_base
    # A final consonant or a third vowel follows ("hoàn", "hoạch", "khuỷu", "ngoài"): both
    # conventions put the mark on the second vowel.
    return first_base + _JOIN[(second_base, mark)]


def normalize_text(text: str) -> str:
    """Return ``text`` in one Unicode and tone-mark convention.

    Steps: invisible characters (zero-width spaces and joiners, soft hyphens, byte-order
    marks) are removed; no-break, thin and other typographic spaces become plain spaces;
    the text is put in Unicode NFC (so NFD input is accepted); tone marks on the
    diphthongs *oa*, *oe* and *uy* of open syllables move to the first vowel ("hoà" →
    "hòa", "uỷ" → "ủy", "khoẻ" → "khỏe", "Thuỵ" → "Thụy"), while closed syllables and the
    *qu* onset keep the mark on the second vowel ("hoàn", "hoạch", "khuỷu", "Huỳnh",
    "quý", "thuyền"). Case and everything else are left as they are.

    Parameters
    ----------
    text : str
        Any Unicode text.

    Returns
    -------
    str
        The normalized text. The function is idempotent:
        ``normalize_text(normalize_text(t)) == normalize_text(t)``.

    Raises
    ------
    TypeError
        If ``text`` is not a string.

    Examples
    --------
    >>> normalize_text("Ủy ban hoà giải ở Thái Thuỵ")
    'Ủy ban hòa giải ở Thái Thụy'
    >>> normalize_text("ho\\u0300a") == normalize_text("hoà")
    True
    """
    if not isinstance(text, str):
        raise TypeError(f"normalize_text expects str, got {type(text).__name__}")
    text = unicodedata.normalize("NFC", text.translate(_CHAR_TABLE))
    if text.isascii():
        return text
    # Moving a mark can let a stray combining character compose with the vowel it now
    # sits next to; a second NFC pass makes the result a fixed point.
    return unicodedata.normalize("NFC", _PAIR.sub(_place_tone, text))
