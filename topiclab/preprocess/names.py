"""Person names: found by surname and honorific rules on capitalised syllables.

Names identify people, not themes, and a topic built on "nguyễn_văn_vinh" tells a researcher
nothing, so the preprocessor removes them by default. The rules work on the case the writer
used, which is why segmentation happens before lower-casing:

* a run of 2-4 capitalised syllables that begins with a common Vietnamese surname
  ("Nguyễn Văn Vinh", "Lò Văn Mừng");
* 1-4 capitalised syllables after a form of address or a photo credit ("ông Long Văn Nhân",
  "đồng chí Vinh", "Ảnh: Khải Hoàn");
* three capitalised syllables with the middle name "Văn" or "Thị" ("Long Văn Nhân").

Protected terms and place names are matched first, so "Hồ Chí Minh" (an ideology term here),
"Hà Nội" and "Mai Sơn" are never taken for people.
"""

from __future__ import annotations

from topiclab.preprocess.phrases import NAME, PLACE, Span, after_prefix
from topiclab.preprocess.segment import bigrams

__all__ = ["HONORIFICS", "SURNAMES", "find_names", "surname_before"]

# The most frequent Kinh surnames (covering well over 90% of the population) and the common
# surnames of the Thái, Tày, Mường, H'Mông and Dao peoples of the northern provinces.
SURNAMES: frozenset[str] = frozenset(
    """
    nguyễn trần lê phạm hoàng huỳnh phan vũ võ đặng bùi đỗ hồ ngô dương lý lương lưu trương
    đinh đoàn đào cao lâm mai tô trịnh tạ hà chu kiều vương phùng thái tăng triệu quách lại
    la mạc tống từ giang diệp hứa lục nông lò cầm quàng tòng lường lù giàng vàng sùng thào
    mùa hờ ma sầm đèo bế nghiêm khổng khúc âu doãn đàm thân ninh chử bạch tiêu tôn trình
    phí lã lạc nhữ kim khương hầu hàn tưởng thạch điêu lộc
    """.split()
)
# Words after which capitalised syllables are a person's name.
HONORIFICS: frozenset[str] = frozenset("ông bà anh chị cô chú bác cụ thầy em cháu ngài".split())
_CREDITS = frozenset("ảnh nguồn tin bài".split())
_MAX_NAME = 4


def _name_like(syllable: str) -> bool:
    return syllable.isalpha() and syllable.istitle()


def _honorific_before(lower: list[str], begin: int) -> bool:
    if begin >= 1 and lower[begin - 1] in HONORIFICS:
        return True
    if begin >= 2 and lower[begin - 2] == "đồng" and lower[begin - 1] == "chí":
        return True
    return begin >= 2 and lower[begin - 1] == ":" and lower[begin - 2] in _CREDITS


# "Văn" and "Thị" are the usual middle names: X Văn Y / X Thị Y is a person even when the
# surname X is rare ("Long Văn Nhân"), unless the pair is a common word.
_MIDDLE_NAMES = frozenset({"văn", "thị"})
_NOT_NAMES = frozenset(
    tuple(pair.split())
    for pair in [
        "thị trấn",
        "thị xã",
        "thị ủy",
        "thị trường",
        "thị hiếu",
        "văn hóa",
        "văn phòng",
        "văn bản",
        "văn minh",
        "văn nghệ",
        "văn học",
        "văn kiện",
    ]
)


def _middle_name(lower: list[str], begin: int, end: int) -> tuple[int, int] | None:
    for k in range(begin, end - 2):
        if lower[k + 1] in _MIDDLE_NAMES and (lower[k + 1], lower[k + 2]) not in _NOT_NAMES:
            return (k, min(end, k + _MAX_NAME))
    return None


def surname_before(syllables: list[str], lower: list[str], i: int) -> bool:
    """Whether a capitalised surname stands just before syllable ``i``."""
    return i >= 1 and lower[i - 1] in SURNAMES and syllables[i - 1].istitle()


def _after_prefix(lower: list[str], begin: int) -> bool:
    if after_prefix(lower, begin):
        # "huyện Ủy", "xã Hội" written with a capital are words, not places.
        return f"{lower[begin - 1]} {lower[begin]}" not in bigrams()
    return False


def find_names(syllables: list[str], lower: list[str], claimed: list[bool]) -> list[Span]:
    """Spans of person names, and of places named after a prefix ("xã Hương Hòa").

    Only syllables not already ``claimed`` by a protected span are considered.
    """
    spans: list[Span] = []
    n = len(syllables)
    i = 0
    while i < n:
        if claimed[i] or not _name_like(syllables[i]):
            i += 1
            continue
        end = i
        while end < n and not claimed[end] and _name_like(syllables[end]):
            end += 1
        begin = i
        if _after_prefix(lower, begin):
            stop = min(end, begin + _MAX_NAME)
            # "xã Hương Hòa Trần Ngọc Thân": the place ends where a surname begins a name.
            cut = next((k for k in range(begin + 2, stop) if lower[k] in SURNAMES), stop)
            spans.append(Span(begin, cut, "_".join(lower[begin:cut]), PLACE))
            i = begin = cut
            if begin >= end:
                continue
        # A capitalised form of address opens the run: "Ông Long Văn Nhân cho biết".
        if lower[begin] in HONORIFICS and end - begin >= 2:
            begin += 1
            span = (begin, min(end, begin + _MAX_NAME))
        elif _honorific_before(lower, begin):
            span = (begin, min(end, begin + _MAX_NAME))
        else:
            span = _middle_name(lower, begin, end)
            for k in range(begin, end - 1) if span is None else ():
                if lower[k] in SURNAMES:
                    span = (k, min(end, k + _MAX_NAME))
                    break
        if span is not None:
            a, b = span
            spans.append(Span(a, b, "_".join(lower[a:b]), NAME))
        i = end
    return spans
