"""Which locality an article is about: gazetteer mentions, source tags, .gov.vn domains.

An article about a town's Party committee names it again and again ("Đảng bộ thị trấn
Hát Lót", "Đảng ủy thị trấn Hát Lót"), and names its district and province once or
never. The locality is the administrative unit with the most evidence:

* a typed mention ("thị trấn Hát Lót", "huyện Nam Đông", "Huyện ủy Thường Tín"): 3 points
  in the title, 1 in the body, for units of that type only;
* a bare name in the title ("Thái Thụy từng bước ...") or in parentheses in the body
  ("Hát Lót (Mai Sơn)"): 2 or 1 points for districts and provinces of that name;
* the site's domain ("thaithuy.thaibinh.gov.vn"): 3 points for the unit it names;
* the lead's source tag ("TTH -" is Báo Thừa Thiên Huế): 1 point for its province.

A name shared by several units (there are four communes called Chi Lăng) is given to
the one whose district or province has the most evidence, and to none on a tie. The
district and province then follow from the gazetteer.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import pandas as pd

from topiclab.text.fold import fold_name
from topiclab.text.gazetteer import load_gazetteer, units_by_name
from topiclab.text.normalize import normalize_text

# Words before a name -> the unit types they can announce.
_PREFIXES = {
    "thị trấn": ("thị trấn",),
    "thị xã": ("thị xã",),
    "thị ủy": ("thị xã",),
    "thành phố": ("thành phố",),
    "tp": ("thành phố",),
    "tp.": ("thành phố",),
    "thành ủy": ("thành phố",),
    "tỉnh": ("tỉnh",),
    "tỉnh ủy": ("tỉnh",),
    "huyện": ("huyện",),
    "huyện ủy": ("huyện",),
    "quận": ("quận",),
    "quận ủy": ("quận",),
    "phường": ("phường",),
    "xã": ("xã",),
}
_UPPER = "A-ZĐÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬÈÉẺẼẸÊỀẾỂỄỆÌÍỈĨỊÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢÙÚỦŨỤƯỪỨỬỮỰỲÝỶỸỴ"
_NAME = rf"[{_UPPER}0-9][\w]*(?:[ \-][{_UPPER}0-9][\w]*){{0,4}}"
_TYPED = re.compile(
    r"(?<!\w)(?i:(thị trấn|thị xã|thị ủy|thành phố|thành ủy|tỉnh ủy|tỉnh|huyện ủy|huyện|"
    r"quận ủy|quận|phường|xã)|(TP\.?))\s+(" + _NAME + ")"
)
_BARE = re.compile(rf"(?<!\w)({_NAME})")
_PARENS = re.compile(rf"\(({_NAME})\)")
_DOMAIN = re.compile(r"(?i)\b((?:[a-z0-9-]+\.)+gov\.vn)\b")

LEVEL_NAMES = {
    "thị trấn": "town",
    "xã": "commune",
    "phường": "commune",
    "huyện": "district",
    "quận": "district",
    "thị xã": "district",
    "thành phố": "district",
    "tỉnh": "province",
}


@dataclass(frozen=True)
class Place:
    """An inferred locality with its containing units (empty strings when unknown)."""

    locality: str = ""
    locality_level: str = ""
    district: str = ""
    province: str = ""


@lru_cache(maxsize=1)
def source_tags() -> dict[str, tuple[str, str]]:
    """Lead tag -> (outlet, province) from ``resources/gazetteer_source_tags.csv``."""
    text = (
        resources.files("topiclab.resources")
        .joinpath("gazetteer_source_tags.csv")
        .read_text(encoding="utf-8")
    )
    rows = csv.DictReader(text.splitlines())
    return {row["tag"]: (row["source"], normalize_text(row["province"])) for row in rows}


def _slug(name: str) -> str:
    ascii_name = unicodedata.normalize("NFD", name.replace("Đ", "D").replace("đ", "d"))
    return re.sub(r"[^a-z0-9]", "", ascii_name.encode("ascii", "ignore").decode().lower())


@lru_cache(maxsize=1)
def _frame() -> pd.DataFrame:
    gaz = load_gazetteer()
    gaz["slug"] = gaz["name"].map(_slug)
    gaz["province_slug"] = gaz["province"].map(_slug)
    return gaz


@lru_cache(maxsize=1)
def _level_type() -> tuple[list[str], list[str]]:
    gaz = _frame()
    return list(gaz["level"]), list(gaz["type"])


@lru_cache(maxsize=1)
def _districts_provinces() -> tuple[list[str], list[str]]:
    gaz = _frame()
    return list(gaz["district"]), list(gaz["province"])


@lru_cache(maxsize=65_536)
def _candidates(
    name: str, types: tuple[str, ...] | None, levels: tuple[str, ...]
) -> tuple[int, ...]:
    positions = units_by_name().get(fold_name(name), ())
    level, kind = _level_type()
    return tuple(p for p in positions if level[p] in levels and (types is None or kind[p] in types))


def _typed_mentions(text: str) -> list[tuple[list[int], str]]:
    """Each typed mention as (candidate unit rows, the name matched)."""
    found = []
    for match in _TYPED.finditer(text):
        prefix = (match.group(1) or match.group(2)).lower()
        types = _PREFIXES.get(prefix, _PREFIXES.get(prefix.rstrip("."), ()))
        if prefix.startswith("tp"):
            types = ("thành phố",)
        words = match.group(3).split()
        # "Huyện ủy Nam Đông Trần Xuân Bình": the longest leading run that is a place.
        for size in range(len(words), 0, -1):
            name = " ".join(words[:size])
            rows = _candidates(name, types, ("province", "district", "commune"))
            if rows:
                found.append((list(rows), name))
                break
    return found


def _bare_mentions(text: str, pattern: re.Pattern[str]) -> list[list[int]]:
    found = []
    for match in pattern.finditer(text):
        words = match.group(1).split()
        for start in range(len(words)):
            hit = False
            for size in range(len(words) - start, 0, -1):
                rows = _candidates(
                    " ".join(words[start : start + size]), None, ("province", "district")
                )
                if rows:
                    found.append(list(rows))
                    hit = True
                    break
            if hit:
                break
    return found


def _domain_units(domains: list[str]) -> list[tuple[list[int], float]]:
    gaz = _frame()
    out = []
    for domain in domains:
        labels = domain.lower().split(".")[:-2]
        if not labels:
            continue
        province_rows = gaz.index[(gaz["level"] == "province") & (gaz["slug"] == labels[-1])]
        if len(province_rows):
            province = gaz.at[province_rows[0], "province"]
            out.append(([int(province_rows[0])], 2.0))
            for label in labels[:-1]:
                rows = gaz.index[
                    (gaz["level"] != "province")
                    & (gaz["slug"] == label)
                    & (gaz["province"] == province)
                ]
                rows = [int(r) for r in rows if gaz.at[r, "level"] == "district"] or list(
                    map(int, rows)
                )
                if rows:
                    out.append((rows, 3.0))
    return out


def infer_place(
    title: str, text: str, *, source_tag: str = "", domains: list[str] | None = None
) -> Place:
    """Infer locality, its level, district and province from an article.

    Parameters
    ----------
    title, text : str
        Headline and body.
    source_tag : str, optional
        The lead's tag ("TTH", "LSO"); its outlet's province counts as evidence.
    domains : list of str, optional
        Web addresses or credits naming the site ("thaithuy.thaibinh.gov.vn").

    Returns
    -------
    Place
        Empty fields when there is no evidence.
    """
    gaz = _frame()
    title, text = normalize_text(title), normalize_text(text)
    weighted: list[tuple[list[int], float]] = []
    for rows, _ in _typed_mentions(title):
        weighted.append((rows, 3.0))
    for rows, _ in _typed_mentions(text):
        weighted.append((rows, 1.0))
    weighted += [(rows, 2.0) for rows in _bare_mentions(title, _BARE)]
    weighted += [(rows, 1.0) for rows in _bare_mentions(text, _PARENS)]
    domain_list = list(domains or [])
    for item in [title, text]:
        domain_list += _DOMAIN.findall(item)
    weighted += _domain_units(domain_list)
    tag = source_tags().get(source_tag)
    if tag and tag[1]:
        rows = list(gaz.index[(gaz["level"] == "province") & (gaz["province"] == tag[1])])
        weighted.append(([int(r) for r in rows], 1.0))

    # First the unambiguous evidence, then ambiguous names resolved by it.
    score: dict[int, float] = defaultdict(float)
    for rows, weight in weighted:
        if len(rows) == 1:
            score[rows[0]] += weight

    levels, _ = _level_type()
    districts, provinces = _districts_provinces()

    def support(row: int) -> float:
        district, province = districts[row], provinces[row]
        total = 0.0
        for other, value in score.items():
            if other == row or provinces[other] != province:
                continue
            if levels[other] == "province":
                total += value
            elif levels[other] == "district" and district and districts[other] == district:
                total += 2 * value
            else:
                total += 0.5 * value
        return total

    for rows, weight in weighted:
        if len(rows) > 1:
            supports = sorted(((support(r), r) for r in rows), reverse=True)
            if supports[0][0] > 0 and supports[0][0] > supports[1][0]:
                score[supports[0][1]] += weight
    if not score:
        return Place()
    # The best supported unit; on a tie, the more specific one.
    specificity = {"commune": 2, "district": 1, "province": 0}
    best = max(score, key=lambda r: (score[r], specificity[gaz.at[r, "level"]], -r))
    unit = gaz.loc[best]
    level = unit["level"]
    return Place(
        locality=_shown(unit["name"], unit["type"]),
        locality_level=LEVEL_NAMES[unit["type"]] if level != "province" else "province",
        district=_shown(unit["district"], unit["district_type"]),
        province=unit["province"],
    )


def _shown(name: str, kind: str) -> str:
    """A unit's name as metadata: numbered units keep their prefix ("Quận 1", "Phường 3"),
    because the number alone names a different unit in every city."""
    return f"{kind[:1].upper()}{kind[1:]} {name}" if name.isdigit() else name


_LEVEL_TYPES = {
    "town": ("thị trấn",),
    "commune": ("xã", "phường"),
    "district": ("huyện", "quận", "thị xã", "thành phố"),
    "province": ("tỉnh", "thành phố"),
}


def place_of(locality: str, level: str = "", district: str = "", province: str = "") -> Place:
    """Complete a curated locality from the gazetteer, if it names one unit.

    Parameters
    ----------
    locality : str
        A unit's name without prefix ("Hát Lót").
    level, district, province : str, optional
        What is already known ("town", "Mai Sơn", "Sơn La"); it narrows the candidates.

    Returns
    -------
    Place
        The unit with its district and province, or an empty :class:`Place` when the
        name is unknown or still ambiguous.
    """
    types = _LEVEL_TYPES.get(level)
    rows = _candidates(normalize_text(locality), types, ("province", "district", "commune"))
    gaz = _frame()
    if district:
        rows = tuple(r for r in rows if gaz.at[r, "district"] == normalize_text(district))
    if province:
        rows = tuple(r for r in rows if gaz.at[r, "province"] == normalize_text(province))
    if len(rows) != 1:
        # "Thường Tín" is a district and its town; prefer the district when level is unknown
        districts = [r for r in rows if gaz.at[r, "level"] == "district"]
        if level or len(districts) != 1:
            return Place()
        rows = (districts[0],)
    unit = gaz.loc[rows[0]]
    return Place(
        locality=_shown(unit["name"], unit["type"]),
        locality_level=(LEVEL_NAMES[unit["type"]] if unit["level"] != "province" else "province"),
        district=_shown(unit["district"], unit["district_type"]),
        province=unit["province"],
    )
