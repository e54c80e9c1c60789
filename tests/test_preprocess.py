"""The preprocessing pipeline on real sentences of the five shipped articles."""

from __future__ import annotations

import re
import subprocess
import sys
import unicodedata
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyvi import ViTokenizer

import topiclab
from topiclab.config import load_config
from topiclab.preprocess import Preprocessor, preprocessor_from_config, segment, tokenize
from topiclab.preprocess.segment import segment_calls
from topiclab.text import lists

# Sentences copied from corpus/raw/ (file prefix in the id), with the tokens they must give.
REAL_SENTENCES = {
    "000-document-number-and-plenum": (
        "Ngay sau Đại hội Đảng bộ Thị trấn nhiệm kỳ 2015-2020, Đảng ủy Thị trấn đã chỉ đạo ban "
        "chi ủy các tiểu khu tiếp tục triển khai tới cán bộ, đảng viên Quy định số 101-QĐ/TW "
        "ngày 7/6/2012 của Ban Bí thư về trách nhiệm nêu gương của cán bộ, đảng viên, gắn với "
        "thực hiện Nghị quyết TW4  khóa XI, khóa XII về công tác xây dựng Đảng.",
        (
            "đại_hội đảng_bộ nhiệm_kỳ đảng_ủy chỉ_đạo ban chi_ủy cán_bộ đảng_viên quy_định "
            "ban_bí_thư trách_nhiệm nêu_gương cán_bộ đảng_viên gắn nghị_quyết trung_ương_4 "
            "xây_dựng đảng"
        ).split(),
    ),
    "000-name-and-place": (
        "Theo đồng chí Nguyễn Văn Vinh,  Bí thư đảng ủy thị trấn Hát Lót, trong kết quả chung "
        "đó có vai trò tiên phong gương mẫu",
        "bí_thư đảng_ủy tiên_phong gương_mẫu".split(),
    ),
    "001-self-criticism": (
        "Gắn với thực hiện nghiêm túc việc kiểm điểm tự phê bình và phê bình theo tinh thần "
        "Nghị quyết Trung ương 4 (khóa XII) về tăng cường xây dựng, chỉnh đốn Đảng.",
        (
            "gắn nghiêm_túc kiểm_điểm tự_phê_bình phê_bình tinh_thần nghị_quyết trung_ương_4 "
            "xây_dựng chỉnh_đốn đảng"
        ).split(),
    ),
    "002-discipline-ubkt": (
        "Từ đầu năm 2010 đến nay, các tổ chức cơ sở Đảng và UBKT các cấp trong huyện đã xử lý "
        "kỷ luật khiển trách 38 đảng viên; cảnh cáo 10 đảng viên; khai trừ 02 đảng viên.",
        (
            "đầu tổ_chức_cơ_sở_đảng ủy_ban_kiểm_tra cấp xử_lý kỷ_luật khiển_trách "
            "đảng_viên cảnh_cáo đảng_viên khai_trừ đảng_viên"
        ).split(),
    ),
    "002-place-then-name": (
        "Chủ tịch Hội Nông dân xã Hương Hòa Trần Ngọc Thân cho biết: Sau nhiều năm phấn đấu",
        "chủ_tịch hội_nông_dân phấn_đấu".split(),
    ),
    "003-btv-and-plan-number": (
        "Ông Phùng Văn Nghĩa, Bí thư Đảng ủy thị trấn Đồng Mỏ cho biết: Ngày 30/5/2018, Đảng ủy "
        "thị trấn Đồng Mỏ đã ban hành Kế hoạch số 34-KH/ĐU về tập trung lãnh đạo, chỉ đạo nâng "
        "cao chất lượng, năng lực, sức chiến đấu của Đảng bộ thị trấn năm 2018.",
        (
            "bí_thư đảng_ủy đảng_ủy kế_hoạch lãnh_đạo chỉ_đạo chất_lượng năng_lực "
            "sức_chiến_đấu đảng_bộ"
        ).split(),
    ),
    "003-honorific-name": (
        "Ông Long Văn Nhân, Trưởng Ban Tổ chức Huyện uỷ cho biết: Ngay từ đầu năm 2018, BTV "
        "Huyện ủy ban hành Quyết định số 2618 ngày 13/3/2018",
        "trưởng ban_tổ_chức huyện_ủy đầu ban_thường_vụ huyện_ủy quyết_định".split(),
    ),
    "004-byline-and-programme-number": (
        "HNP - Sau 5 năm thực hiện Chương trình số 03-CTr/HU của Huyện ủy về “Nâng cao năng lực "
        "lãnh đạo, sức chiến đấu của cấp ủy Đảng và đội ngũ đảng viên",
        (
            "chương_trình huyện_ủy năng_lực lãnh_đạo sức_chiến_đấu cấp_ủy đảng đội_ngũ đảng_viên"
        ).split(),
    ),
    "004-ideology-term": (
        "Tổ chức thực hiện nghiêm túc Nghị quyết Trung ương 4 (Khóa XII) gắn với thực hiện Chỉ "
        "thị số 05-CT/TW của Bộ Chính trị về đẩy mạnh học tập và làm theo tư tưởng, đạo đức, "
        "phong cách Hồ Chí Minh",
        (
            "tổ_chức nghiêm_túc nghị_quyết trung_ương_4 gắn chỉ_thị bộ_chính_trị học_tập "
            "làm_theo tư_tưởng đạo_đức phong_cách hồ_chí_minh"
        ).split(),
    ),
}
JUNK = {"qđ", "tw", "hu", "kh", "ctr", "đu", "ct", "xi", "xii", "tth", "lso", "hnp", "số"}
JUNK |= {"thaithuy", "thaibinh", "gov", "vn", "ts", "vm"}  # a web address and "TS- VM" in 001


@pytest.fixture(scope="module")
def articles(raw_files) -> list[str]:
    return [path.read_text(encoding="utf-8") for path in raw_files]


@pytest.fixture(scope="module")
def article_tokens(articles) -> list[list[str]]:
    return Preprocessor().transform(articles)


@pytest.mark.parametrize("case", sorted(REAL_SENTENCES))
def test_real_sentences(case: str) -> None:
    text, expected = REAL_SENTENCES[case]
    assert tokenize(text) == expected


def test_segment_is_pyvi(articles) -> None:
    for text in articles:
        assert segment(text) == ViTokenizer.tokenize(text).split()


def test_articles_terms_whole_names_and_places_gone(article_tokens) -> None:
    tokens = [token for doc in article_tokens for token in doc]
    vocabulary = set(tokens)
    for term in ["ban_thường_vụ", "bộ_chính_trị", "ủy_ban_kiểm_tra", "lý_luận_chính_trị"]:
        assert term in vocabulary
    for term in ["tổ_chức_cơ_sở_đảng", "tự_phê_bình", "hồ_chí_minh", "trung_ương_4"]:
        assert term in vocabulary
    # parts of protected terms never stand alone
    assert not {"phê", "chính_trị_tư_tưởng_hồ", "bình", "thường_vụ"} & vocabulary
    # people (000, 003) and places (000, 002, 003, 004) of the articles
    for name in ["nguyễn_văn_vinh", "long_văn_nhân", "phùng_văn_nghĩa", "trần_ngọc_thân"]:
        assert not any(name in token for token in vocabulary)
    for place in ["hát_lót", "mai_sơn", "đồng_mỏ", "thường_tín", "hương_hòa", "nam_đông"]:
        assert not any(place in token for token in vocabulary)


def test_articles_no_junk_numbers_or_stopwords(article_tokens) -> None:
    vocabulary = {token for doc in article_tokens for token in doc}
    assert not JUNK & vocabulary
    assert not [t for t in vocabulary if re.search(r"\d", t) and not t.startswith("trung_ương")]
    assert all(
        len(t) >= 2 and t == t.lower() and t.strip() == t and " " not in t for t in vocabulary
    )
    assert not lists.generic_stopwords() - lists.keep_words() & vocabulary
    assert not {"thực_hiện", "triển_khai", "tăng_cường", "đồng_chí", "cho_biết"} & vocabulary
    # theme words survive, including "làm_theo" whose parts are stopwords
    assert {"quy_hoạch", "luân_chuyển", "bổ_nhiệm", "kỷ_luật", "khiển_trách"} <= vocabulary
    assert {"đào_tạo", "bồi_dưỡng", "tư_tưởng", "đạo_đức", "làm_theo"} <= vocabulary


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("Long Văn Nhân, Trưởng Ban Tổ chức Huyện ủy cho biết", ["long_văn_nhân"]),
        ("Sầm Thị Hoa đến thăm", ["sầm_thị_hoa", "thăm"]),
        ("Ảnh: Khải Hoàn", ["khải_hoàn"]),
        ("đồng chí Vinh chỉ đạo", ["vinh", "chỉ_đạo"]),
        ("Nguyễn Thị Kim Ngân", ["nguyễn_thị_kim_ngân"]),
    ],
)
def test_name_rules(text: str, kept: list[str]) -> None:
    assert set(kept) <= set(Preprocessor(remove_names=False).transform_one(text))
    assert not set(kept[:1]) & set(tokenize(text))


def test_city_named_after_ho_chi_minh_is_a_place() -> None:
    text = "Tại TP.HCM, cán bộ học tập tư tưởng Hồ Chí Minh; thành phố Hồ Chí Minh và TP Hà Nội"
    assert tokenize(text) == ["cán_bộ", "học_tập", "tư_tưởng", "hồ_chí_minh"]
    kept = Preprocessor(remove_places=False).transform_one(text)
    assert kept.count("hồ_chí_minh") == 3 and "hà_nội" in kept


def test_places_and_names_are_options(articles) -> None:
    kept = Preprocessor(remove_places=False, remove_names=False).transform_one(articles[0])
    assert "hát_lót" in kept and "mai_sơn" in kept
    assert "nguyễn_văn_vinh" in kept
    default = tokenize(articles[0])
    assert "hát_lót" not in default and "nguyễn_văn_vinh" not in default
    # 002: a person's given name is also a commune's name ("Xuân Bình"); the surname decides
    sentence = "Bí thư Huyện ủy Nam Đông Trần Xuân Bình xác định"
    assert sentence in unicodedata.normalize("NFC", articles[2])
    both = Preprocessor(remove_places=False, remove_names=False).transform_one(sentence)
    assert both == ["bí_thư", "huyện_ủy", "nam_đông", "trần_xuân_bình", "xác_định"]
    assert tokenize(sentence) == ["bí_thư", "huyện_ủy", "xác_định"]


def _new_style(text: str) -> str:
    # Rewrite open-syllable tone marks in the "new" style and decompose everything.
    for old, new in [("hòa", "hoà"), ("ủy", "uỷ"), ("Ủy", "Uỷ"), ("khóa", "khoá"), ("óa", "oá")]:
        text = text.replace(old, new)
    return unicodedata.normalize("NFD", text.replace("thụy", "thuỵ"))


def test_tone_variants_and_nfd_give_identical_tokens(articles, article_tokens) -> None:
    variant = _new_style(articles[3])
    assert variant != articles[3]
    assert tokenize(variant) == article_tokens[3]
    assert tokenize(unicodedata.normalize("NFD", articles[1])) == article_tokens[1]
    assert tokenize("Uỷ ban Kiểm tra hoà giải ở Thái Thuỵ") == tokenize(
        "Ủy ban Kiểm tra hòa giải ở Thái Thụy"
    )


@pytest.mark.parametrize(
    ("short", "long"),
    [
        ("BTV Huyện ủy", "Ban Thường vụ Huyện ủy"),
        ("BCH Đảng bộ", "Ban Chấp hành Đảng bộ"),
        ("UBKT Tỉnh ủy", "Ủy ban Kiểm tra Tỉnh ủy"),
        ("MTTQ và HĐND, UBND", "Mặt trận Tổ quốc và Hội đồng nhân dân, Ủy ban nhân dân"),
        ("Nghị quyết TW4 khóa XII", "Nghị quyết Trung ương 4 khóa XII"),
        ("Nghị quyết Trung ương IV", "Nghị quyết Trung ương 4"),
        ("Nghị quyết Trung ương lần thứ tư", "Nghị quyết Trung ương 4"),
    ],
)
def test_abbreviations_expand_to_one_form(short: str, long: str) -> None:
    assert tokenize(short) == tokenize(long)


@pytest.mark.parametrize("number", ["101-QĐ/TW", "80-KH/HU", "03-CTr/HU", "34-KH/ĐU", "05-CT/TW"])
def test_document_numbers_leave_nothing(number: str) -> None:
    assert tokenize(f"Kế hoạch số {number} của Huyện ủy") == ["kế_hoạch", "huyện_ủy"]
    assert tokenize(number) == []


def test_stopword_options() -> None:
    text = "Đảng ủy thực hiện tốt công tác quy hoạch cán bộ và kỷ luật đảng viên"
    assert "thực_hiện" not in tokenize(text)
    assert "thực_hiện" in Preprocessor(domain_stopwords=False).transform_one(text)
    assert "và" in Preprocessor(generic_stopwords=False).transform_one(text)
    extra = Preprocessor(extra_stopwords=["tốt", "kỷ luật"]).transform_one(text)
    # keep-words override every stoplist, the user's included
    assert "tốt" not in extra and "kỷ_luật" in extra
    bare = Preprocessor(extra_stopwords=["kỷ luật"], keep_words=[]).transform_one(text)
    assert "kỷ_luật" not in bare


def test_number_words_and_quantifiers_are_stopwords() -> None:
    # written-out numbers and quantifiers occur whatever the subject; they led VNTC topics
    # ("hai", "triệu", "mọi") before they were stopwords (benchmarks/results/defaults.md)
    text = (
        "Hai đội bóng đã thi đấu ba trận trước hàng nghìn khán giả; một số cầu thủ nhận "
        "thưởng hai triệu đồng, mọi người đều vui và khoảng bốn trăm vé được bán."
    )
    numbers = {"hai", "ba", "bốn", "nghìn", "triệu", "trăm", "một_số", "mọi", "khoảng"}
    tokens = tokenize(text)
    assert numbers.isdisjoint(tokens)
    assert {"đội", "bóng", "thi_đấu", "trận", "khán_giả", "cầu_thủ", "vé"} <= set(tokens)
    kept = Preprocessor(number_stopwords=False).transform_one(text)
    assert numbers <= set(kept)
    assert numbers <= lists.number_stopwords()


def test_a_run_drops_number_words_and_the_paper_config_keeps_them(repo_root) -> None:
    from topiclab.pipeline import _stage_tokens
    from topiclab.settings import validate_config

    def tokens_of(units: pd.DataFrame, config: dict) -> list[list[str]]:
        settings = validate_config(config)
        return _stage_tokens(units, settings.preprocess, settings.parallel, settings.cache)

    units = pd.DataFrame({"text": ["Hai đội bóng thi đấu ba trận trước hàng nghìn khán giả."]})
    shipped = tokens_of(units, load_config(None, ["cache=null"]))
    # analysis.yaml keeps the tokens its committed tables were built from
    paper = tokens_of(units, load_config(repo_root / "analysis.yaml", ["cache=null"]))
    assert {"hai", "ba", "nghìn"}.isdisjoint(shipped[0]) and "khán_giả" in shipped[0]
    assert {"hai", "ba", "nghìn"} <= set(paper[0])


def test_term_and_number_options() -> None:
    text = "kiểm điểm tự phê bình năm 2018 theo Nghị quyết TW4"
    assert "tự_phê_bình" in tokenize(text)
    loose = Preprocessor(protect_terms=False).transform_one(text)
    assert "tự_phê_bình" not in loose
    custom = Preprocessor(extra_terms=["kiểm điểm tự phê bình"]).transform_one(text)
    assert custom[0] == "kiểm_điểm_tự_phê_bình"
    assert "2018" in Preprocessor(remove_numbers=False).transform_one(text)


def test_pos_tag_names_are_an_option() -> None:
    text = "Phát biểu tại hội nghị, Tổng thống Obama và Thủ tướng Putin thăm Hà Nội"
    assert "obama" in tokenize(text)
    tagged = Preprocessor(pos_names=True).transform_one(text)
    assert "obama" not in tagged and "putin" not in tagged
    assert {"hội_nghị", "tổng_thống", "thủ_tướng", "thăm"} <= set(tagged)


def test_every_shipped_term_is_one_token() -> None:
    keep_all = Preprocessor(
        remove_places=False, remove_names=False, generic_stopwords=False, domain_stopwords=False
    )
    split = {term: keep_all.transform_one(term) for term in lists.terms()}
    assert {term: tokens for term, tokens in split.items() if len(tokens) != 1} == {}
    spellings = "chủ nghĩa Mác - Lê-nin, chủ nghĩa Mác-Lênin, chủ nghĩa Mác – Lênin"
    assert tokenize(spellings) == ["chủ_nghĩa_mác_lênin"] * 3


def test_shipped_lists_are_normalized_and_documented() -> None:
    names = ["stopwords_vi.txt", "stopwords_domain.txt", "stopwords_numbers.txt"]
    for name in [*names, "keep_words.txt", "terms.txt"]:
        text = lists.read_resource(name)
        assert text.startswith("# "), f"{name} lacks its provenance header"
        assert "Source" in text or "stopwordsiso" in text
    for words in [
        lists.generic_stopwords(),
        lists.domain_stopwords(),
        lists.number_stopwords(),
        lists.keep_words(),
    ]:
        assert all(lists.as_token(word) == word for word in words)
    assert lists.read_resource("stopwords_vi.txt") == lists.convert_stopwordsiso()
    assert "tòa" in lists.generic_stopwords() and "toà" not in lists.generic_stopwords()
    assert dict(lists.abbreviations())["UBKT"] == "Ủy ban Kiểm tra"


def test_parallel_equals_serial(articles) -> None:
    texts = [p for text in articles for p in text.split("\n\n") if p.strip()]
    serial = Preprocessor(n_jobs=1).transform(texts)
    parallel = Preprocessor(n_jobs=2, batch_size=8).transform(texts)
    assert parallel == serial
    threads = Preprocessor(n_jobs=2, backend="threading", batch_size=4).transform(texts)
    assert threads == serial
    assert len(serial) == len(texts) > 5


def test_cache_hit_resegments_nothing(articles, tmp_path: Path) -> None:
    first = Preprocessor(cache_dir=tmp_path)
    before = segment_calls()
    tokens = first.transform(articles)
    assert segment_calls() - before == len(articles)
    assert (first.n_segmented_, first.n_cached_) == (len(articles), 0)
    packs = list((tmp_path / "tokens").rglob("*.tsv"))
    assert len(packs) == 1
    assert len(packs[0].read_text(encoding="utf-8").splitlines()) == len(articles)
    assert not list(tmp_path.rglob("*.tmp"))

    second = Preprocessor(cache_dir=tmp_path)
    before = segment_calls()
    assert second.transform([*articles, articles[0]]) == [*tokens, tokens[0]]
    assert segment_calls() == before
    assert (second.n_segmented_, second.n_cached_) == (0, len(articles) + 1)

    # a new text is segmented and added as a new pack; the old ones are read
    third = Preprocessor(cache_dir=tmp_path)
    assert third.transform([articles[2], "Ban Thường vụ họp"])[0] == tokens[2]
    assert (third.n_segmented_, third.n_cached_) == (1, 1)
    assert len(list((tmp_path / "tokens").rglob("*.tsv"))) == 2

    # other settings are another cache entry; scheduling settings are not
    other = Preprocessor(cache_dir=tmp_path, remove_places=False)
    assert other.settings_key() != second.settings_key()
    assert Preprocessor(n_jobs=2, cache_dir="x").settings_key() == Preprocessor().settings_key()
    other.transform(articles[:1])
    assert other.n_segmented_ == 1


def test_progress_bar_only_when_asked(articles, capsys) -> None:
    Preprocessor().transform(articles[:2])
    assert capsys.readouterr().err == ""  # stderr is not a terminal under pytest
    Preprocessor(progress=True).transform(articles[:2])
    assert "preprocess" in capsys.readouterr().err


def test_bad_input_is_a_clear_error() -> None:
    with pytest.raises(TypeError, match="position 1 is NoneType"):
        Preprocessor().transform(["cán bộ", None])
    with pytest.raises(TypeError, match="transform_one"):
        Preprocessor().transform("cán bộ")
    with pytest.raises(TypeError, match="must be True or False"):
        Preprocessor(remove_names="yes").transform_one("cán bộ")
    with pytest.raises(ValueError, match="n_jobs must be a non-zero integer"):
        Preprocessor(n_jobs=0).transform(["cán bộ"])
    with pytest.raises(ValueError, match="min_length"):
        Preprocessor(min_length=0).transform_one("cán bộ")
    assert Preprocessor().transform([]) == []
    assert tokenize("") == [] and tokenize("  \n ") == []


def test_importing_preprocess_loads_neither_corpus_nor_pyvi() -> None:
    # Normalisation, word lists and the gazetteer live in topiclab.text, below both rooms:
    # tokenizing (place names included) never imports the corpus room. pyvi's tokenizer
    # module (which loads scikit-learn) is not needed to segment: its CRF model is read
    # directly.
    code = (
        "import sys, topiclab.preprocess as p; p.tokenize('Ban Thường vụ họp ở Hòa Bình');"
        "print(sorted(m for m in ('topiclab.corpus', 'pyvi.ViTokenizer', 'sklearn')"
        " if m in sys.modules), 'topiclab.text.gazetteer' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[] True"  # the gazetteer, loaded on first use
    code = "import sys, topiclab.preprocess; print('topiclab.corpus' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_params_and_config() -> None:
    pre = Preprocessor(remove_names=False, n_jobs=2)
    assert pre.get_params()["remove_names"] is False
    assert pre.set_params(remove_names=True).remove_names is True
    assert "n_jobs=2" in repr(pre)
    with pytest.raises(ValueError, match="no parameter"):
        pre.set_params(colour="red")
    config = load_config(overrides=["preprocess.remove_places=false"])
    from_config = preprocessor_from_config(config)
    assert from_config.remove_places is False
    assert topiclab.tokenize is tokenize and topiclab.Preprocessor is Preprocessor


_PIECES = [
    *"aăâeêioôơuưyđAĐNGHTrch .,;:-/%()0123456789\n\t_",
    "\u0300",
    "\u0301",
    "\u0309",
    "\u0303",
    "\u0323",
    "\u00a0",
    "\u200b",
    "Hồ Chí Minh",
    "101-QĐ/TW",
    "XII.",
    "ông ",
    "Nguyễn ",
    "tự phê bình",
    "BTV",
    "TW4",
]


@settings(max_examples=60, deadline=None)
@given(
    st.one_of(st.text(max_size=60), st.lists(st.sampled_from(_PIECES), max_size=25).map("".join))
)
def test_tokenize_never_raises_or_returns_blank_tokens(text: str) -> None:
    tokens = tokenize(text)
    assert all(
        isinstance(t, str) and t and t.strip() == t and not re.search(r"\s", t) for t in tokens
    )
    assert all(t == t.lower() for t in tokens)
