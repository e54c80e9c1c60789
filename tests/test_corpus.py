"""Ingestion of the five shipped articles: metadata inferred as curated, no chrome left."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from topiclab import load_corpus, make_units
from topiclab.corpus.chrome import clean_article
from topiclab.corpus.dates import parse_date_line, split_title_date

# Every piece of chrome, credit, caption, date line and lead tag seen in corpus/raw.
CHROME = [
    "A- A A+",
    "Tăng tương phản",
    "Giảm tương phản",
    "Tìm kiếm theo ngày",
    "Copy link",
    "Tổng số điểm của bài viết là",
    "Click để đánh giá bài viết",
    "Chia sẻ bài viết",
    "ĐỒNG HÀNH CÙNG DOANH NGHIỆP",
    "Các bài mới đăng",
    "Các bài đã đăng",
    "Bài viết Xem",
    "Viết bình luận",
    "Họ tên:",
    "Số điện thoại:",
    "Tiêu đề:",
    "Nội dung:",
    "Mã xác nhận",
    "Lấy lại mã bảo mật",
    "Ảnh: Khải Hoàn",
    "Một góc thị trấn Hát Lót (Mai Sơn) hôm nay",
    "Sơ chế mủ cao su",
    "Cạo mủ cao su",
    "họp bàn các nhiệm vụ",
    "Huyện ủy Thường Tín chỉ đạo Đại hội điểm Đảng bộ thị trấn Thường Tín",
    "Bài, ảnh: Anh Phong",
    "Tác giả: Lê Lan",
    "Nguồn:thaithuy",
    "HOÀNG MAI",
    "Thanh Tình",
    "TTH -",
    "LSO-",
    "HNP -",
    "09/11/2015",
    "Ngày 06 tháng 12 năm 2018",
    "17/08/2019",
    "26/03/2020",
    "xã hội.Một",
]
FIELDS = ["title", "date", "locality", "locality_level", "district", "province"]


@pytest.fixture(scope="module")
def curated(corpus_dir) -> pd.DataFrame:
    return pd.read_csv(corpus_dir / "metadata.csv", dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def bare_corpus(corpus_dir, tmp_path_factory):
    """The five articles without their curated metadata: everything is inferred."""
    folder = tmp_path_factory.mktemp("bare")
    shutil.copytree(corpus_dir / "raw", folder / "raw")
    return load_corpus(folder)


def test_five_articles_are_read_without_metadata(bare_corpus):
    assert list(bare_corpus.manifest["status"]) == ["included"] * 5
    assert bare_corpus.documents["doc_id"].is_unique
    assert list(bare_corpus.documents["file"]) == [
        f"raw/{name}"
        for name in [
            "000_0873a75ded839858.txt",
            "001_3f1ee936b651cbbe.txt",
            "002_b589afef3c412e65.txt",
            "003_62f010645b48136d.txt",
            "004_4d24713858324835.txt",
        ]
    ]


def test_inferred_metadata_matches_the_curated_table(bare_corpus, curated):
    inferred = bare_corpus.documents.set_index("file")
    for row in curated.to_dict("records"):
        doc = inferred.loc[row["file"]]
        for name in FIELDS:
            assert doc[name] == row[name], (row["file"], name, doc[name], row[name])
        if row["date"]:
            assert doc["year"] == int(row["date"][:4])
        else:
            assert pd.isna(doc["year"])
        # the source is named on four pages (lead tag or credit) and on none for 000
        assert doc["source"] == row["source"], (row["file"], doc["source"])


def test_inferred_fields_are_named(bare_corpus):
    docs = bare_corpus.documents.set_index("doc_id")
    assert set(docs.loc["000_0873a75ded839858", "inferred"].split(";")) >= {
        "title",
        "date",
        "year",
        "locality",
        "province",
    }
    # 001 has no dateline: its date is missing, not inferred from a date in the body
    assert "date" not in docs.loc["001_3f1ee936b651cbbe", "inferred"].split(";")


def test_no_chrome_line_survives(bare_corpus):
    for doc in bare_corpus.documents.to_dict("records"):
        for chrome in CHROME:
            assert chrome not in doc["text"], (doc["doc_id"], chrome)
            assert chrome not in doc["title"], (doc["doc_id"], chrome)


def test_subheadings_and_quotes_are_kept(bare_corpus):
    text = bare_corpus.documents.set_index("doc_id").loc["002_b589afef3c412e65", "text"]
    assert "Củng cố, xây dựng tổ chức Đảng và đảng viên" in text
    assert "“Huyện nắm chắc từng thôn, xã nắm chắc từng hộ gia đình”" in text
    assert text.startswith("Bằng những giải pháp thiết thực")


def test_bylines_credits_and_captions_become_metadata(bare_corpus):
    docs = bare_corpus.documents.set_index("doc_id")
    assert docs.loc["001_3f1ee936b651cbbe", "author"] == "Lê Lan"
    assert docs.loc["002_b589afef3c412e65", "author"] == "Anh Phong"
    assert docs.loc["002_b589afef3c412e65", "credit"] == "Bài, ảnh: Anh Phong"
    assert docs.loc["003_62f010645b48136d", "author"] == "HOÀNG MAI"
    assert docs.loc["004_4d24713858324835", "author"] == "Thanh Tình"
    assert docs.loc["000_0873a75ded839858", "credit"] == "Ảnh: Khải Hoàn"
    assert docs.loc["000_0873a75ded839858", "captions"] == (
        "Một góc thị trấn Hát Lót (Mai Sơn) hôm nay."
    )
    assert docs.loc["002_b589afef3c412e65", "captions"] == "Sơ chế mủ cao su | Cạo mủ cao su"
    # the glued caption is split off and the sentence before it kept whole
    assert "phát triển kinh tế, xã hội.\n\n" in docs.loc["000_0873a75ded839858", "text"]


def test_curated_metadata_wins_and_blank_fields_are_inferred(corpus_dir, tmp_path):
    shutil.copytree(corpus_dir / "raw", tmp_path / "raw")
    table = pd.read_csv(corpus_dir / "metadata.csv", dtype=str, keep_default_na=False)
    table.loc[0, "title"] = "A curated title wins"
    table.loc[1, "locality"] = ""
    table.loc[3, ["district", "province", "locality_level"]] = ""
    table.loc[len(table)] = {**table.loc[0].to_dict(), "file": "raw/moved_away.txt"}
    table.to_csv(tmp_path / "metadata.csv", index=False)
    corpus = load_corpus(tmp_path)
    docs = corpus.documents.set_index("file")
    first, second = docs.loc[table.loc[0, "file"]], docs.loc[table.loc[1, "file"]]
    assert first["title"] == "A curated title wins"
    assert "title" not in first["inferred"].split(";")
    assert second["locality"] == "Thái Thụy"
    # a curated locality alone is completed from the gazetteer
    fourth = docs.loc[table.loc[3, "file"]]
    assert (fourth["locality_level"], fourth["district"], fourth["province"]) == (
        "town",
        "Chi Lăng",
        "Lạng Sơn",
    )
    assert {"district", "province"} <= set(fourth["inferred"].split(";"))
    assert "locality" in second["inferred"].split(";")
    # curated year without a date (001) is kept; extra columns travel with the documents
    assert second["year"] == 2020
    assert {"year_basis", "url", "notes"} <= set(corpus.documents.columns)
    assert (corpus.manifest["reason"] == "curated metadata table, not an article").sum() == 1
    assert corpus.unmatched_metadata == ["raw/moved_away.txt"]
    assert "metadata rows naming no input file: 1 (raw/moved_away.txt)" in corpus.summary()


def test_shipped_corpus_accounts_for_documentation_files(corpus_dir):
    corpus = load_corpus(corpus_dir)
    manifest = corpus.manifest.set_index("file")
    assert manifest.loc["README.md", "reason"] == "corpus documentation, not an article"
    assert manifest.loc["SHA256SUMS", "reason"] == "corpus documentation, not an article"
    assert (manifest["status"] == "included").sum() == 5
    assert corpus.manifest["file"].is_unique
    assert corpus.documents["inferred"].str.contains("title").sum() == 0
    summary = corpus.summary()
    assert "files read:  8" in summary and "included:    5" in summary
    assert "corpus documentation, not an article" in summary
    assert "locality" in summary and "curated" in summary


def test_date_lines_day_first_and_never_from_the_body():
    assert parse_date_line("09/11/2015 - 05:34") == "2015-11-09"
    assert parse_date_line("Thứ bảy,  17/08/2019") == "2019-08-17"
    assert parse_date_line("Ngày 06 tháng 12 năm 2018") == "2018-12-06"
    assert parse_date_line("Quy định số 101-QĐ/TW ngày 7/6/2012 của Ban Bí thư") == ""
    assert split_title_date("Thường Tín: Nâng cao (10:25 26/03/2020)") == (
        "Thường Tín: Nâng cao",
        "2020-03-26",
    )
    body = " ".join(["Đảng ủy triển khai Quy định số 101-QĐ/TW ngày 7/6/2012 của Ban Bí thư."] * 5)
    assert clean_article(f"Tiêu đề bài viết\n\n{body}").date == ""


@pytest.mark.parametrize("unit", ["document", "paragraph", "window"])
def test_units_carry_metadata_and_lose_no_text(bare_corpus, unit):
    docs = bare_corpus.documents
    units = make_units(docs, unit=unit, min_tokens=40, window_sentences=5)
    assert units["unit_id"].is_unique
    assert set(units["doc_id"]) == set(docs["doc_id"])
    for column in ("title", "date", "year", "locality", "province", "inferred"):
        assert column in units.columns
    merged = units.merge(docs[["doc_id", "locality", "year"]], on="doc_id", suffixes=("", "_doc"))
    assert (merged["locality"] == merged["locality_doc"]).all()
    assert units["year"].dtype == "Int64"
    for doc in docs.to_dict("records"):
        parts = units.loc[units["doc_id"] == doc["doc_id"], "text"]
        # every word of the document is in exactly one unit, in order
        assert " ".join(parts).split() == doc["text"].split()
    if unit != "document":
        # no unit is shorter than min_tokens unless its document is
        assert (units["n_words"] >= 40).all()


def test_short_paragraphs_are_merged_not_dropped():
    docs = pd.DataFrame(
        {
            "doc_id": ["d"],
            "year": pd.array([2020], dtype="Int64"),
            "text": ["Tiêu đề ngắn\n\n" + "chữ " * 50 + "\n\nCâu cuối ngắn."],
        }
    )
    units = make_units(docs, unit="paragraph", min_tokens=40)
    assert list(units["unit_id"]) == ["d:p000"]
    assert units.loc[0, "text"].startswith("Tiêu đề ngắn")
    assert units.loc[0, "text"].endswith("Câu cuối ngắn.")
    with pytest.raises(ValueError, match="unit must be one of"):
        make_units(docs, unit="sentence")


def test_source_credit_lines_after_the_article_only():
    body = " ".join(
        ["Đảng ủy xã tổ chức hội nghị quán triệt nghị quyết cho cán bộ, đảng viên."] * 4
    )
    page = f"Tiêu đề\n\n{body}\n\nTheo đồng chí Bí thư, xã làm tốt.\n\n{body} Hết.\n\nTheo TTXVN"
    article = clean_article(page)
    assert article.source == "TTXVN"
    assert "Theo đồng chí Bí thư, xã làm tốt." in article.text


def test_link_lists_closing_sentences_and_headings():
    body = " ".join(["Luật sư bị khởi tố vì lừa đảo chiếm đoạt tài sản của nhiều người dân."] * 3)
    page = "\n".join(
        [
            "Luật sư bị khởi tố",
            "Luật sư lại bị tố cáo (24/06/2005)",
            "Thêm một người tố cáo luật sư (20/06/2005)",
            "Xem tiếp",
            body,
            "Trả lời:",
            body,
            "Xin cảm ơn ông.",
            "Tin khác",
            "Một luật sư bị tố cáo (21/10/2004)",
        ]
    )
    article = clean_article(page)
    # dated headlines are links to other articles: neither the title nor a date
    assert article.title == "Luật sư bị khởi tố"
    assert article.date == ""
    assert "Trả lời:" in article.text
    assert article.text.endswith("Xin cảm ơn ông.")
    assert "(20/06/2005)" not in article.text and "Tin khác" not in article.text
    single = clean_article(f"Thu hồi tiền thất thoát\nVụ án tham ô(17/11/2003)\n{body}")
    assert (single.title, single.date) == ("Thu hồi tiền thất thoát", "")


def test_two_reads_write_identical_tables(corpus_dir, tmp_path):
    first = load_corpus(corpus_dir).write_tables(tmp_path / "a")
    second = load_corpus(corpus_dir).write_tables(tmp_path / "b")
    for one, two in zip(first, second, strict=True):
        assert one.name == two.name
        assert one.read_bytes() == two.read_bytes()


def test_captions_with_their_photo_credit():
    body = " ".join(
        ["Đảng ủy xã tổ chức hội nghị quán triệt nghị quyết cho cán bộ, đảng viên."] * 4
    )
    caption = "Toàn cảnh hội nghị. (Ảnh: Minh Anh)"
    page = f"Tiêu đề\n\n{body}\n\n{caption}\n\n{body}\n\nẢnh minh họa\n\n{body}"
    article = clean_article(page)
    assert article.captions == ["Toàn cảnh hội nghị."]
    assert article.credit == "Ảnh: Minh Anh"
    assert "Ảnh" not in article.text and "Toàn cảnh" not in article.text


def test_place_of_completes_a_curated_locality():
    from topiclab.corpus.places import place_of

    assert place_of("Hát Lót", "town").district == "Mai Sơn"
    assert place_of("Thường Tín").locality_level == "district"
    assert place_of("Thường Tín", "town").district == "Thường Tín"
    # four communes are called Chi Lăng: ambiguous without more
    assert place_of("Chi Lăng", "commune").province == ""
    assert place_of("Chi Lăng", "commune", province="Thái Bình").district == "Hưng Hà"
    assert place_of("Nowhere") == place_of("")
