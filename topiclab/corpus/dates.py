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


# Curated dates: whole cells of a metadata table, in the forms spreadsheets and Vietnamese
# pages use. Year first (ISO, "2020/05/13", "2020-05", "2020"), day first ("13/05/2020",
# "13-5-2020", "13.05.2020", "05/2020"), or in words ("ngày 13 tháng 5 năm 2020",
# "tháng 5 năm 2020"). A time after the date ("2020-05-13T10:25:00", "13/05/2020 10:25")
# is dropped.
_CURATED_TIME = r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
_CURATED_FORMS = (
    ("ymd", re.compile(rf"(\d{{4}})[-/.](\d{{1,2}})[-/.](\d{{1,2}}){_CURATED_TIME}")),
    # no "." here: "2020.5" in a date column is a decimal year, not May 2020
    ("ym", re.compile(r"(\d{4})[-/](\d{1,2})")),
    ("y", re.compile(r"(\d{4})")),
    ("dmy", re.compile(rf"(\d{{1,2}})[-/.](\d{{1,2}})[-/.](\d{{4}}){_CURATED_TIME}")),
    ("my", re.compile(r"(\d{1,2})[-/](\d{4})")),
    ("dmy", re.compile(r"(?i)(?:ngày\s+)?(\d{1,2})\s+tháng\s+(\d{1,2})[\s,]+(?:năm\s+)?(\d{4})")),
    ("my", re.compile(r"(?i)tháng\s+(\d{1,2})[\s,/]+(?:năm\s+)?(\d{4})")),
)
#: Years a curated date or year may have (the Vietnamese press begins in 1865).
CURATED_YEARS = (1800, 2100)


def parse_curated_year(value: str) -> tuple[str, str]:
    """A curated year as ``("2020", "")``, or ``("", reason)`` when it is not one.

    Whole numbers only (a spreadsheet's "2020.0" is 2020); "2020.5", "1e3", "-1" and
    years outside :data:`CURATED_YEARS` are refused.

    Examples
    --------
    >>> parse_curated_year("2020")
    ('2020', '')
    >>> parse_curated_year("2020.5")
    ('', 'not a whole year')
    """
    text = value.strip()
    match = re.fullmatch(r"(\d+)(?:\.0+)?", text)
    if match is None:
        if re.fullmatch(r"[+-]?\d+\.\d+", text):
            return "", "not a whole year"
        return "", "not a year (write it as four digits, e.g. 2020)"
    year = int(match.group(1))
    low, high = CURATED_YEARS
    if not low <= year <= high:
        return "", f"year outside {low}-{high}"
    return str(year), ""


def parse_curated_date(value: str) -> tuple[str, str]:
    """A curated date as ISO (``"2020-05-13"``, ``"2020-05"`` or ``"2020"``) and a reason.

    Returns ``(iso, "")`` for a date, ``("", reason)`` for anything else: a cell that is
    not a date, or an impossible one ("2020-13-45", "31/02/2020", a year outside
    :data:`CURATED_YEARS`).

    Examples
    --------
    >>> parse_curated_date("ngày 13 tháng 5 năm 2020")
    ('2020-05-13', '')
    >>> parse_curated_date("13-5-2020")
    ('2020-05-13', '')
    >>> parse_curated_date("2020-05")
    ('2020-05', '')
    >>> parse_curated_date("2020-13-45")
    ('', 'impossible date')
    """
    text = " ".join(value.split())
    for form, pattern in _CURATED_FORMS:
        match = pattern.fullmatch(text)
        if match is None:
            continue
        parts = match.groups()
        if form == "dmy":
            day, month, year = (int(p) for p in parts)
        elif form == "ymd":
            year, month, day = (int(p) for p in parts)
        elif form == "ym":
            (year, month), day = (int(p) for p in parts), 1
        elif form == "my":
            (month, year), day = (int(p) for p in parts), 1
        else:
            year, month, day = int(parts[0]), 1, 1
        low, high = CURATED_YEARS
        if not low <= year <= high:
            return "", f"year outside {low}-{high}"
        try:
            date = dt.date(year, month, day)
        except ValueError:
            return "", "impossible date"
        if form in ("ym", "my"):
            return f"{date.year:04d}-{date.month:02d}", ""
        if form == "y":
            return f"{date.year:04d}", ""
        return date.isoformat(), ""
    return "", "not a date (write e.g. 2020-05-13 or 13/05/2020)"
