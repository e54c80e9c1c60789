"""Unicode and tone-mark normalization (topiclab.normalize_text)."""

from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from topiclab.text.normalize import normalize_text

# Letters, tone marks, vowel-quality marks and invisible characters that the tone rules
# look at, so hypothesis explores the interesting corners and not only random planes.
_VIETNAMESE_PIECES = list("oauyeiqnOAUYEQ .-êôơư\u0300\u0301\u0309\u0303\u0323\u0302\u0306\u031b")
_VIETNAMESE_PIECES += ["\u200b", "\u00a0", "\u00ad", "\ufeff"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("hoà", "hòa"),
        ("uỷ", "ủy"),
        ("khoẻ", "khỏe"),
        ("Thái Thuỵ", "Thái Thụy"),
        ("Uỷ ban Kiểm tra", "Ủy ban Kiểm tra"),
        ("HOÀ BÌNH", "HÒA BÌNH"),
        ("Hoà.", "Hòa."),
        ("cụ thể hoá", "cụ thể hóa"),
        # closed syllables, triphthongs and the qu- onset keep the mark where it is
        ("hoàn", "hoàn"),
        ("hoạch", "hoạch"),
        ("khuỷu", "khuỷu"),
        ("Huỳnh", "Huỳnh"),
        ("quý", "quý"),
        ("Quỳnh", "Quỳnh"),
        ("thuyền", "thuyền"),
        ("ngoài", "ngoài"),
        # the mark wrongly on o of a closed syllable goes back to the second vowel
        ("hòan", "hoàn"),
    ],
)
def test_tone_marks_follow_the_first_vowel_convention(raw: str, expected: str) -> None:
    assert normalize_text(raw) == expected


def test_invisible_characters_and_odd_spaces() -> None:
    raw = "\ufeffcán\u00a0bộ\u2009đảng\u202fviên tự\u00adphê bình\u200b \u200dquy\u2060hoạch"
    assert normalize_text(raw) == "cán bộ đảng viên tựphê bình quyhoạch"


def test_nfd_input_gives_the_nfc_text() -> None:
    text = "Ban Thường vụ Huyện uỷ Thái Thuỵ hoà"
    assert normalize_text(unicodedata.normalize("NFD", text)) == normalize_text(text)
    assert unicodedata.is_normalized("NFC", normalize_text(text))


def test_mixed_conventions_in_the_shipped_articles_become_one(raw_files) -> None:
    # Article 002 writes "(khoá XI)" and article 003 "Huyện uỷ" next to "ủy" elsewhere:
    # the same word in two conventions, which must end as one token.
    texts = {path.name[:3]: normalize_text(path.read_text(encoding="utf-8")) for path in raw_files}
    assert "(khóa XI)" in texts["002"] and "khoá" not in texts["002"]
    assert "Huyện ủy" in texts["003"] and "uỷ" not in texts["003"]
    for text in texts.values():
        new_style = re.findall(r"\w*(?<![qQ])(?:o[àáảãạèéẻẽẹ]|u[ỳýỷỹỵ])\b", text)
        assert new_style == []


def test_rejects_non_strings() -> None:
    with pytest.raises(TypeError, match="expects str"):
        normalize_text(b"hoa")  # type: ignore[arg-type]


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(), st.text(alphabet=st.sampled_from(_VIETNAMESE_PIECES), max_size=30)))
def test_idempotent_and_never_raises(text: str) -> None:
    once = normalize_text(text)
    assert normalize_text(once) == once
    assert unicodedata.is_normalized("NFC", once)
