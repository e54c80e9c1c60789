"""Publication dates as Vietnamese pages print them (day first), read only from date lines.

A date line is a short line that says nothing but a date: "09/11/2015 - 05:34",
"Ngày 06 tháng 12 năm 2018", "Thứ bảy, 17/08/2019", "(10:25 26/03/2020)". Dates inside
sentences ("Quy định số 101-QĐ/TW ngày 7/6/2012") are what the article talks about, not
when it was published, so :func:`parse_date_line` refuses any line with other words.
"""

from __future__ import annotations

import datetime as dt
import re

_NUMERIC = re.compile(r"(?<!\d)(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{4})(?!\d)")
_WORDS = re.compile(
    r"(?i)ngày\s+(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4})|(\d{1,2})\s+tháng\s+(\d{1,2}),?\s+(\d{4})"
)
_ISO = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")
_TIME = re.compile(r"(?i)\b\d{1,2}\s*[:hg]\s*\d{2}(?:\s*:\s*\d{2})?(?:\s*(?:am|pm|sa|ch))?\b")
# Words a date line may carry besides the date itself.
_FILLER = re.compile(
    r"(?i)\b(?:thứ\s+(?:hai|ba|tư|năm|sáu|bảy|7)|chủ\s+nhật|cn|t[2-7]|cập\s+nhật|ngày\s+đăng|"
    r"đăng\s+ngày|đăng\s+lúc|ngày|lúc|giờ|gmt\s*[+-]?\s*\d*|utc\s*[+-]?\s*\d*|"
    r"published|updated|posted)\b"
)


def _valid(day: str, month: str, year: str) -> str:
    try:
        date = dt.date(int(year), int(month), int(day))
    except ValueError:
        return ""
    if not 1945 <= date.year <= 2100:
        return ""
    return date.isoformat()


def find_date(text: str) -> tuple[str, re.Match[str] | None]:
    """The first day-first date in ``text`` as ISO ``YYYY-MM-DD``, with its match."""
    best: tuple[int, str, re.Match[str]] | None = None
    for pattern in (_WORDS, _NUMERIC, _ISO):
        for match in pattern.finditer(text):
            groups = [g for g in match.groups() if g is not None]
            if pattern is _ISO:
                iso = _valid(groups[2], groups[1], groups[0])
            else:
                iso = _valid(*groups[:3])
            if iso and (best is None or match.start() < best[0]):
                best = (match.start(), iso, match)
            if iso:
                break
    if best is None:
        return "", None
    return best[1], best[2]


def parse_date_line(line: str, max_words: int = 10) -> str:
    """ISO date if ``line`` is a date line and nothing else, otherwise ``""``.

    Examples
    --------
    >>> parse_date_line("Thứ bảy,  17/08/2019")
    '2019-08-17'
    >>> parse_date_line("Ngày 06 tháng 12 năm 2018")
    '2018-12-06'
    >>> parse_date_line("09/11/2015 - 05:34")
    '2015-11-09'
    >>> parse_date_line("Quy định số 101-QĐ/TW ngày 7/6/2012 của Ban Bí thư")
    ''
    """
    if len(line.split()) > max_words:
        return ""
    iso, match = find_date(line)
    if match is None:
        return ""
    rest = line[: match.start()] + " " + line[match.end() :]
    rest = _FILLER.sub(" ", _TIME.sub(" ", rest))
    if re.search(r"\w", rest):
        return ""
    return iso


_TRAILING_STAMP = re.compile(r"\s*\(([^()]{6,40})\)\s*$")


def split_title_date(title: str) -> tuple[str, str]:
    """Split a date stamp printed after a headline: ``"Title (10:25 26/03/2020)"``."""
    match = _TRAILING_STAMP.search(title)
    if match:
        iso = parse_date_line(match.group(1))
        if iso:
            return title[: match.start()].rstrip(), iso
    return title, ""
