"""The gazetteer: pre-2025 administrative units, tone-normalised names."""

from __future__ import annotations

from topiclab.corpus.places import infer_place
from topiclab.text.gazetteer import load_gazetteer, place_names
from topiclab.text.normalize import normalize_text


def test_gazetteer_is_the_pre_2025_structure():
    gaz = load_gazetteer()
    counts = gaz["level"].value_counts()
    # 63 provinces and a district level: the 2025 reorganisation left 34 and no districts
    assert counts["province"] == 63
    assert counts["district"] > 700
    assert counts["commune"] > 10_000
    assert gaz["code"].is_unique
    assert "Thừa Thiên Huế" in set(gaz.loc[gaz["level"] == "province", "name"])


def test_shipped_localities_are_placed_in_their_district_and_province():
    gaz = load_gazetteer()
    expected = {
        ("Hát Lót", "thị trấn"): ("Mai Sơn", "Sơn La"),
        ("Đồng Mỏ", "thị trấn"): ("Chi Lăng", "Lạng Sơn"),
        ("Thái Thụy", "huyện"): ("Thái Thụy", "Thái Bình"),
        ("Nam Đông", "huyện"): ("Nam Đông", "Thừa Thiên Huế"),
        ("Thường Tín", "huyện"): ("Thường Tín", "Hà Nội"),
    }
    for (name, kind), (district, province) in expected.items():
        rows = gaz[(gaz["name"] == name) & (gaz["type"] == kind)]
        assert len(rows) == 1, name
        assert (rows.iloc[0]["district"], rows.iloc[0]["province"]) == (district, province)


def test_place_names_have_no_prefix_and_one_tone_convention():
    names = place_names()
    for name in ("Thái Thụy", "Nam Đông", "Hà Nội", "Hát Lót", "Đồng Mỏ", "Thường Tín"):
        assert name in names
    assert not any(name.lower().startswith(("huyện ", "thị trấn ", "tỉnh ")) for name in names)
    # the package writes "Hoà Bình"; text and names meet on one convention
    assert "Hòa Bình" in names and "Hoà Bình" not in names
    assert all(normalize_text(name) == name for name in names)


def test_numbered_units_keep_their_prefix_in_metadata():
    # VNTC's Ho Chi Minh City stories name "quận 1", "quận 10": a bare "1" would merge every
    # District 1 and Ward 1 of the country into one locality
    place = infer_place(
        "Cháy nhà ở quận 1", "Chiều qua tại quận 1, TP Hồ Chí Minh, công an quận 1 cho biết"
    )
    assert (place.locality, place.district, place.province) == ("Quận 1", "Quận 1", "Hồ Chí Minh")
