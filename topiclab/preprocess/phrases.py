"""Protected spans: multi-word terms and place names the segmenter may not cut or glue.

pyvi decides word boundaries syllable by syllable, so it can split "tự phê bình" into "tự" +
"phê_bình" or glue a place name to the word before it. A :class:`SpanMatcher` finds the known
terms and place names in the syllables of a text (leftmost, longest first) and the
preprocessor makes each one exactly one token, before any stopword is removed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from topiclab.preprocess.segment import syllabize
from topiclab.text.lists import as_token

__all__ = ["ADMIN_PREFIXES", "PLACE", "TERM", "Span", "SpanMatcher"]

TERM = "term"
PLACE = "place"
NAME = "name"

# Administrative prefixes: capitalised syllables after them name a place.
ADMIN_PREFIXES: frozenset[tuple[str, ...]] = frozenset(
    tuple(prefix.split())
    for prefix in [
        "tỉnh",
        "thành phố",
        "huyện",
        "quận",
        "thị xã",
        "xã",
        "phường",
        "thị trấn",
        "thôn",
        "bản",
        "xóm",
        "ấp",
        "làng",
        "tiểu khu",
        "tổ dân phố",
    ]
)


def after_prefix(lower: list[str], begin: int) -> bool:
    """Whether an administrative prefix ends just before syllable ``begin``."""
    return any(tuple(lower[max(0, begin - k) : begin]) in ADMIN_PREFIXES for k in (1, 2, 3))


# Numbered plenums are read from the text ("Trung ương 4" -> "trung_ương_4") rather than listed.
_MAX_PLENUM = 20


@dataclass(frozen=True)
class Span:
    """Syllables ``begin:end`` of a text form one token of the given kind."""

    begin: int
    end: int
    token: str
    kind: str


def _key(phrase: str) -> tuple[str, ...]:
    return tuple(syllable.lower() for syllable in syllabize(phrase))


@dataclass
class SpanMatcher:
    """Find protected terms (any case) and place names (capitalised) in syllables.

    Parameters
    ----------
    terms : iterable of str
        Multi-word terms as written ("Ban Thường vụ", "tự phê bình"). A term wins over a
        place name of the same length ("Hồ Chí Minh").
    places : iterable of str
        Place names without their administrative prefix ("Hát Lót", "Thái Thụy"). They match
        only when every syllable is capitalised, so the commune "Đoàn Kết" does not swallow
        the word "đoàn kết". Names of one syllable or with digits are skipped: too ambiguous.
    plenums : bool, default=True
        Read "Trung ương N" as one term.
    person_before : callable, optional
        ``person_before(syllables, lower, i)`` is true when syllable ``i`` continues a
        person's name (a capitalised surname just before it); a place name is then not
        matched there.
    """

    terms: Iterable[str] = ()
    places: Iterable[str] = ()
    plenums: bool = True
    person_before: Callable[[list[str], list[str], int], bool] | None = None
    _table: dict[tuple[str, ...], tuple[str, str]] = field(init=False, repr=False)
    _lengths: dict[str, tuple[int, ...]] = field(init=False, repr=False)
    _also_place: frozenset[tuple[str, ...]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        table: dict[tuple[str, ...], tuple[str, str]] = {}
        for place in self.places:
            key = _key(place)
            if len(key) >= 2 and not any(ch.isdigit() for ch in place):
                table[key] = (as_token(place), PLACE)
        # A term that is also a place is the place after a prefix: "thành phố Hồ Chí Minh".
        self._also_place = frozenset(table)
        for term in self.terms:
            key = _key(term)
            token = as_token(term)
            if key and token:
                table[key] = (token, TERM)
        lengths: dict[str, set[int]] = {}
        for key in table:
            lengths.setdefault(key[0], set()).add(len(key))
        self._table = table
        self._lengths = {first: tuple(sorted(ns, reverse=True)) for first, ns in lengths.items()}

    def find(self, syllables: list[str], lower: list[str]) -> list[Span]:
        """Protected spans of a text, left to right, never overlapping."""
        spans: list[Span] = []
        table, lengths = self._table, self._lengths
        n = len(lower)
        i = 0
        while i < n:
            found = None
            if self.plenums and lower[i] == "trung" and i + 2 < n and lower[i + 1] == "ương":
                number = syllables[i + 2]
                if number.isdigit() and 1 <= int(number) <= _MAX_PLENUM:
                    found = Span(i, i + 3, f"trung_ương_{int(number)}", TERM)
            for length in lengths.get(lower[i], ()) if found is None else ():
                if i + length > n:
                    continue
                key = tuple(lower[i : i + length])
                hit = table.get(key)
                if hit is None:
                    continue
                token, kind = hit
                if kind == TERM and key in self._also_place and after_prefix(lower, i):
                    kind = PLACE
                if kind == PLACE and not all(
                    s.istitle() or s.isupper() for s in syllables[i : i + length]
                ):
                    continue
                if (
                    kind == PLACE
                    and self.person_before is not None
                    and self.person_before(syllables, lower, i)
                ):
                    # "Ông Trần Xuân Bình": the commune "Xuân Bình" is a given name here.
                    continue
                found = Span(i, i + length, token, kind)
                break
            if found is None:
                i += 1
            else:
                spans.append(found)
                i = found.end
        return spans
