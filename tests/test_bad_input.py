"""A corpus of bad inputs, built here from the shipped articles' own paragraphs.

Every file must appear in the manifest exactly once with the expected status and
reason, and reading must not raise.
"""

from __future__ import annotations

import codecs
import gzip
import json
import random
import unicodedata
from pathlib import Path

import ftfy.bad_codecs  # noqa: F401  (registers the sloppy-windows-1252 codec)
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from topiclab import load_corpus
from topiclab.corpus import CorpusError

# TCVN3 (ABC) codes of the lower-case Vietnamese letters and the upper-case base letters.
_TCVN3 = dict(
    zip(
        "àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵĂÂĐÊÔƠƯ",
        "µ¸¶·¹¨»¾¼½Æ©ÇÊÈÉË®ÌÐÎÏÑªÒÕÓÔÖ×ÝØÜÞßãáâä«åèæçé¬êíëìîïóñòô\xadõøö÷ùúýûüþ¡¢§£¤¥¦",
        strict=True,
    )
)
_VNI_TONES = {"\u0301": "ù", "\u0300": "ø", "\u0309": "û", "\u0303": "õ", "\u0323": "ï"}
_VNI_SHAPES = {"\u0302": "â", "\u0306": "ê"}


def to_tcvn3(text: str) -> bytes:
    """Encode Vietnamese as the TCVN3 fonts did (upper-case toned letters lose case)."""
    out = []
    for ch in text:
        out.append(_TCVN3.get(ch) or _TCVN3.get(ch.lower()) or ch)
    return "".join(out).encode("latin-1", errors="replace")


def to_vni(text: str) -> bytes:
    """Encode Vietnamese roughly as VNI-Windows: base letter followed by mark bytes."""
    out = []
    for ch in unicodedata.normalize("NFD", text.replace("đ", "ñ").replace("Đ", "Ñ")):
        if ch in _VNI_TONES:
            out.append(_VNI_TONES[ch])
        elif ch in _VNI_SHAPES:
            out.append(_VNI_SHAPES[ch])
        elif ch == "\u031b":  # horn: ơ is "ô", ư is "ö" in VNI
            out[-1] = {"o": "ô", "O": "Ô", "u": "ö", "U": "Ö"}.get(out[-1], out[-1])
        else:
            out.append(ch)
    return "".join(out).encode("cp1252", errors="replace")


def to_cp1258(text: str) -> bytes:
    """Windows-1258: base letters precomposed where the code page has them, tones combining."""
    out = bytearray()
    for ch in text:
        try:
            out += ch.encode("cp1258")
            continue
        except UnicodeEncodeError:
            pass
        decomposed = unicodedata.normalize("NFD", ch)
        tones = "".join(c for c in decomposed if c in _VNI_TONES)
        base = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in _VNI_TONES))
        out += (base + tones).encode("cp1258")
    return bytes(out)


@pytest.fixture(scope="module")
def paragraphs(raw_files) -> dict[str, list[str]]:
    """Long lines (real article paragraphs) of each shipped article, by file prefix."""
    found = {}
    for path in raw_files:
        lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
        found[path.name[:3]] = [line for line in lines if len(line.split()) >= 50]
    return found


def unaccented(text: str) -> bytes:
    """Vietnamese as typed without diacritics ("khong dau")."""
    stripped = "".join(
        c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c)
    )
    return stripped.replace("đ", "d").replace("Đ", "D").encode("ascii", errors="replace")


def article(title: str, dateline: str, *paras: str) -> str:
    head = [title, dateline] if dateline else [title]
    return "\n\n".join([*head, *paras]) + "\n"


def build_bad_corpus(folder: Path, p: dict[str, list[str]]) -> dict[str, tuple[str, str]]:
    """Write the bad-input folder; return file -> (status, reason or reason prefix)."""
    rng = random.Random(3)
    a = article(
        "Thái Thụy từng bước chuẩn hóa đội ngũ cán bộ", "09/01/2020", p["001"][1], p["001"][2]
    )
    b = article(
        "Đảng bộ huyện Nam Đông củng cố tổ chức cơ sở Đảng",
        "Ngày 10 tháng 11 năm 2015",
        p["002"][1],
        p["002"][2],
    )
    files: dict[str, tuple[bytes, str, str]] = {
        "01_empty.txt": (b"", "excluded", "empty file (0 bytes)"),
        "02_blank.txt": (b" \n\n\t \n", "excluded", "empty file (whitespace only)"),
        "03_image_named.txt": (
            b"\x89PNG\r\n\x1a\n" + bytes(rng.randrange(256) for _ in range(2000)),
            "excluded",
            "binary file (PNG image)",
        ),
        "04_random_bytes.txt": (
            bytes(rng.randrange(256) for _ in range(3000)),
            "excluded",
            "binary file",
        ),
        "05_utf16_bom.txt": (a.encode("utf-16"), "included", ""),
        "05b_utf8_bom.txt": (
            codecs.BOM_UTF8
            + article(
                "Hát Lót nâng cao đời sống nhân dân", "15/12/2018", p["000"][3], p["000"][4]
            ).encode("utf-8"),
            "included",
            "",
        ),
        "05c_utf16_no_bom.txt": (
            article(
                "Nam Đông nắm chắc từng hộ gia đình", "20/11/2015", p["002"][7], p["002"][8]
            ).encode("utf-16-le"),
            "included",
            "",
        ),
        "06_windows1258.txt": (to_cp1258(b), "included", ""),
        "07_nfd.txt": (
            unicodedata.normalize(
                "NFD",
                article(
                    "Đảng bộ thị trấn Đồng Mỏ nâng cao năng lực lãnh đạo",
                    "Thứ bảy, 17/08/2019",
                    p["003"][1],
                    p["003"][2],
                ),
            ).encode("utf-8"),
            "included",
            "",
        ),
        "08_page.html": (
            (
                "<!DOCTYPE html><html><head><title>Cổng thông tin | Thường Tín</title>"
                "<script>var tracking = 'Tăng tương phản';</script></head><body>"
                "<nav><a href='/'>Trang chủ</a> | <a>Xây dựng Đảng</a> | Tìm kiếm</nav>"
                "<h1>Thường Tín: Đổi mới việc ban hành văn bản của cấp ủy</h1>"
                "<time datetime='2020-03-26T10:25:00+07:00'>10:25 26/03/2020</time>"
                f"<article><p>{p['004'][1]}</p><figure><img src='a.jpg'>"
                "<figcaption>Toàn cảnh hội nghị</figcaption></figure>"
                f"<p>{p['004'][2]}</p></article>"
                "<form>Họ tên:(*) <input> Nội dung:(*) <textarea></textarea></form>"
                "<footer>Bản quyền thuộc Cổng Giao tiếp điện tử</footer></body></html>"
            ).encode(),
            "included",
            "",
        ),
        "09_exact_duplicate.txt": (
            ("A- A A+ | Tăng tương phản Giảm tương phản\n\n" + a + "\nChia sẻ bài viết\n").encode(
                "utf-8"
            ),
            "excluded",
            "duplicate of 05_utf16_bom",
        ),
        "10_near_duplicate.txt": (
            article(
                "Nam Đông củng cố tổ chức cơ sở Đảng",
                "11/11/2015",
                p["002"][1],
                p["002"][2].replace("Nam Đông", "huyện miền núi Nam Đông", 1),
            ).encode("utf-8"),
            "excluded",
            "duplicate of 06_windows1258",
        ),
        "11_no_date.txt": (
            article(
                "Đảng bộ thị trấn Hát Lót xây dựng đội ngũ cán bộ", "", p["000"][1], p["000"][2]
            )
            + "\nQuy định số 101-QĐ/TW ngày 7/6/2012 của Ban Bí thư được quán triệt.\n",
            "included",
            "",
        ),
        "12_no_locality.txt": (
            article("Nâng cao chất lượng đội ngũ cán bộ", "05/05/2020", p["001"][3], p["001"][4]),
            "included",
            "",
        ),
        "14_english.txt": (
            (
                "Party building in rural districts\n\n"
                + " ".join(
                    ["The district committee reviewed its cadre planning and training."] * 12
                )
            ).encode("utf-8"),
            "excluded",
            "not Vietnamese text",
        ),
        "14b_khong_dau.txt": (
            unaccented(article("Xay dung doi ngu can bo", "", p["001"][5], p["004"][1])),
            "excluded",
            "Vietnamese without diacritics (cannot be segmented reliably)",
        ),
        "15 bài viết Hà Nội số 1.txt": (
            article(
                "Thường Tín kiện toàn tổ chức đảng ở thôn, tổ dân phố (10:25 27/03/2020)",
                "",
                p["004"][3],
                p["004"][4],
            ).encode("utf-8"),
            "included",
            "",
        ),
        "16_tcvn3.txt": (
            to_tcvn3(article("§¶ng bé thÞ trÊn", "", p["003"][3], p["003"][4])),
            "excluded",
            "legacy TCVN3 font encoding; convert to Unicode first",
        ),
        "17_vni.txt": (
            to_vni(article("Ñaûng boä thò traán", "", p["003"][5], p["003"][6])),
            "excluded",
            "legacy VNI font encoding; convert to Unicode first",
        ),
        "18_mojibake.txt": (
            article("Thường Tín sinh hoạt chi bộ", "26/03/2020", p["004"][5], p["004"][6])
            .encode("utf-8")
            .decode("sloppy-windows-1252")
            .encode("utf-8"),
            "included",
            "",
        ),
        "19_article.md": (
            (
                "# Đảng bộ huyện Nam Đông học tập nghị quyết\n\n*Ngày 12/11/2015*\n\n"
                f"{p['002'][3]}\n\nXem [văn bản](http://example.vn/vb.pdf): {p['002'][4]}\n"
            ).encode(),
            "included",
            "",
        ),
        "20_table.csv": (
            b"id,text\n1,hello\n",
            "excluded",
            "table file inside a folder (pass it as PATH to read its rows)",
        ),
        "21_photo.png": (b"\x89PNG\r\n\x1a\n0000", "excluded", "unsupported file type (.png)"),
        "22_chrome_only.txt": (
            "A- A A+ | Tăng tương phản\n\nTìm kiếm theo ngày\n\nChia sẻ bài viết\n\n"
            "Các bài mới đăng\n\nHọ tên:(*)\nNội dung:(*)\n".encode(),
            "excluded",
            "no article text after removing web chrome",
        ),
        "23_short.txt": (
            "Tin ngắn\n\nHội nghị đã diễn ra tốt đẹp tại hội trường huyện.\n".encode(),
            "excluded",
            "too short (",
        ),
        "sub/README.md": (b"# About\nNotes.\n", "excluded", "corpus documentation, not an article"),
        "sub/deeper/25_nested.txt": (
            article(
                "Nam Đông xây dựng nông thôn mới", "12/11/2015", p["002"][5], p["002"][6]
            ).encode("utf-8"),
            "included",
            "",
        ),
    }
    for name, (data, _, _) in list(files.items()):
        if isinstance(data, str):
            files[name] = (data.encode("utf-8"), *files[name][1:])
    # a 5 MB article: real paragraphs, numbered so no two are the same
    pool = [line for lines in p.values() for line in lines]
    chunks, size, i = ["Tổng hợp tư liệu xây dựng Đảng ở huyện Thường Tín\n\n"], 0, 0
    while size < 5_000_000:
        chunk = f"Đoạn {i}. {pool[i % len(pool)]}\n\n"
        chunks.append(chunk)
        size += len(chunk.encode("utf-8"))
        i += 1
    files["13_five_megabytes.txt"] = ("".join(chunks).encode("utf-8"), "included", "")
    expected = {}
    for name, (data, status, reason) in files.items():
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
        expected[name] = (status, reason)
    (folder / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    return expected


@pytest.fixture(scope="module")
def bad(tmp_path_factory, paragraphs):
    folder = tmp_path_factory.mktemp("bad corpus")
    expected = build_bad_corpus(folder, paragraphs)
    return load_corpus(folder), expected, folder


def test_bad_corpus_has_at_least_fifteen_cases(bad):
    _, expected, _ = bad
    assert len(expected) >= 25
    assert sum(status == "excluded" for status, _ in expected.values()) >= 12


def test_every_file_appears_once_with_its_status_and_reason(bad):
    corpus, expected, _ = bad
    manifest = corpus.manifest
    assert manifest["file"].is_unique
    assert set(manifest["file"]) == set(expected)
    for row in manifest.to_dict("records"):
        status, reason = expected[row["file"]]
        assert row["status"] == status, row
        assert row["reason"].startswith(reason), row
        assert (row["doc_id"] != "") == (status == "included"), row
    # hidden files are not inputs
    assert ".DS_Store" not in set(manifest["file"])
    assert set(corpus.documents["file"]) == {f for f, (s, _) in expected.items() if s == "included"}


def test_decoded_inputs_are_clean_nfc_text(bad):
    corpus, _, _ = bad
    docs = corpus.documents.set_index("file")
    manifest = corpus.manifest.set_index("file")
    for text in docs["text"]:
        assert unicodedata.is_normalized("NFC", text)
        assert "\ufffd" not in text[:100_000]
    assert manifest.loc["05_utf16_bom.txt", "encoding"] == "utf-16-le"
    assert manifest.loc["05b_utf8_bom.txt", "encoding"] == "utf-8-sig"
    assert manifest.loc["05c_utf16_no_bom.txt", "note"] == "UTF-16 without byte-order mark"
    assert docs.loc["05c_utf16_no_bom.txt", "title"] == "Nam Đông nắm chắc từng hộ gia đình"
    assert not docs.loc["05b_utf8_bom.txt", "title"].startswith("\ufeff")
    assert manifest.loc["06_windows1258.txt", "encoding"] == "cp1258"
    assert "NFD normalised to NFC" in manifest.loc["07_nfd.txt", "note"]
    assert "mojibake repaired" in manifest.loc["18_mojibake.txt", "note"]
    assert docs.loc["06_windows1258.txt", "locality"] == "Nam Đông"
    assert docs.loc["06_windows1258.txt", "date"] == "2015-11-10"
    assert docs.loc["07_nfd.txt", "locality"] == "Đồng Mỏ"
    assert docs.loc["07_nfd.txt", "district"] == "Chi Lăng"
    assert docs.loc["18_mojibake.txt", "title"] == "Thường Tín sinh hoạt chi bộ"
    assert "Đáng chú ý, công tác sinh hoạt chi bộ" in docs.loc["18_mojibake.txt", "text"]


def test_html_and_markdown_are_reduced_to_article_text(bad):
    corpus, _, _ = bad
    docs = corpus.documents.set_index("file")
    page = docs.loc["08_page.html"]
    assert page["title"] == "Thường Tín: Đổi mới việc ban hành văn bản của cấp ủy"
    assert page["date"] == "2020-03-26"
    assert page["province"] == "Hà Nội"
    for chrome in ("Trang chủ", "Tăng tương phản", "Họ tên", "Bản quyền", "Toàn cảnh hội nghị"):
        assert chrome not in page["text"]
    assert page["text"].startswith("Sau khi ban hành Chương trình 03")
    md = docs.loc["19_article.md"]
    assert md["title"] == "Đảng bộ huyện Nam Đông học tập nghị quyết"
    assert md["date"] == "2015-11-12"
    assert "http://" not in md["text"] and "Xem văn bản:" in md["text"]


def test_missing_metadata_stays_missing(bad):
    corpus, _, _ = bad
    docs = corpus.documents.set_index("file")
    no_date = docs.loc["11_no_date.txt"]
    # the only date in the file is a decree's, inside a sentence: no publication date
    assert no_date["date"] == "" and pd.isna(no_date["year"])
    assert "date" not in no_date["inferred"].split(";")
    assert no_date["locality"] == "Hát Lót"
    no_place = docs.loc["12_no_locality.txt"]
    assert (no_place["locality"], no_place["district"], no_place["province"]) == ("", "", "")
    assert no_place["date"] == "2020-05-05"
    spaced = docs.loc["15 bài viết Hà Nội số 1.txt"]
    assert spaced["doc_id"] == "15 bài viết Hà Nội số 1"
    assert spaced["date"] == "2020-03-27" and spaced["locality"] == "Thường Tín"
    big = docs.loc["13_five_megabytes.txt"]
    assert len(big["text"].encode("utf-8")) > 4_900_000


def test_summary_counts_every_reason(bad):
    corpus, expected, _ = bad
    summary = corpus.summary()
    assert f"files read:  {len(expected)}" in summary
    assert "duplicate of an included document" in summary
    assert "legacy TCVN3 font encoding" in summary
    # per-file details are left out of the counts: one line per kind of reason
    assert "      1  too short\n" in summary and "      1  not Vietnamese text\n" in summary


def test_a_corpus_with_no_usable_document_raises_one_clear_error(tmp_path):
    folder = tmp_path / "nothing usable"
    folder.mkdir()
    (folder / "a.txt").write_bytes(b"")
    (folder / "b.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    with pytest.raises(CorpusError) as info:
        load_corpus(folder)
    message = str(info.value)
    assert str(folder) in message
    assert "empty file (0 bytes): 1" in message and "binary file (PNG image): 1" in message
    with pytest.raises(FileNotFoundError):
        load_corpus(tmp_path / "absent")


def test_table_inputs_with_bad_rows(tmp_path, paragraphs):
    good, other = paragraphs["001"][1], paragraphs["003"][2]
    csv_path = tmp_path / "articles.csv"
    frame = pd.DataFrame(
        {
            "id": ["a1", "a2", "a3", "a4"],
            "title": ["Bài một", "Bài hai", "Bài ba", "Bài bốn"],
            "date": ["2020-01-09", "", "", ""],
            "locality": ["Thái Thụy", "", "", ""],
            "text": [good, other, "", good],
        }
    )
    text = frame.to_csv(index=False, lineterminator="\n")
    lines = text.splitlines()
    lines.insert(2, 'x1,"Bài lỗi",2020-01-01,Hà Nội,"văn bản",extra field')
    csv_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    corpus = load_corpus(csv_path)
    manifest = corpus.manifest.set_index("file")
    assert list(manifest.index) == [f"articles.csv#{i}" for i in range(5)]
    assert manifest.loc["articles.csv#0", "doc_id"] == "a1"
    assert manifest.loc["articles.csv#1", "reason"] == "malformed row (6 fields, header has 5)"
    assert manifest.loc["articles.csv#2", "status"] == "included"
    assert manifest.loc["articles.csv#3", "reason"] == "empty text"
    assert manifest.loc["articles.csv#4", "reason"] == "duplicate of a1"
    docs = corpus.documents.set_index("doc_id")
    assert docs.loc["a1", "title"] == "Bài một" and docs.loc["a1", "year"] == 2020
    assert docs.loc["a1", "inferred"] == "" or "title" not in docs.loc["a1", "inferred"]

    jsonl = tmp_path / "articles.jsonl.gz"
    with gzip.open(jsonl, "wt", encoding="utf-8") as handle:
        handle.write(json.dumps({"id": "j1", "text": good}, ensure_ascii=False) + "\n")
        handle.write("{not json\n")
        handle.write(json.dumps({"id": "j3", "text": None}) + "\n")
        handle.write(json.dumps([1, 2]) + "\n")
    corpus = load_corpus(jsonl)
    assert list(corpus.manifest["status"]) == ["included", "excluded", "excluded", "excluded"]
    assert corpus.manifest.loc[1, "reason"].startswith("invalid JSON")
    assert corpus.manifest.loc[2, "reason"] == "missing text"
    assert corpus.manifest.loc[3, "reason"] == "JSON line is not an object"

    parquet = tmp_path / "articles.parquet"
    pq.write_table(pa.table({"body": [other, None], "source": ["Báo Lạng Sơn", "x"]}), parquet)
    corpus = load_corpus(parquet, text_column="body")
    assert list(corpus.manifest["status"]) == ["included", "excluded"]
    assert corpus.documents.loc[0, "source"] == "Báo Lạng Sơn"
    with pytest.raises(CorpusError, match="no text column 'text'"):
        load_corpus(parquet)


def test_files_over_max_bytes_are_excluded_unread(tmp_path, paragraphs):
    small = article("Nam Đông củng cố tổ chức Đảng", "09/11/2015", paragraphs["002"][1])
    (tmp_path / "a.txt").write_text(small, encoding="utf-8")
    (tmp_path / "b.txt").write_text(small * 20, encoding="utf-8")
    corpus = load_corpus(tmp_path, max_bytes=len(small.encode("utf-8")) * 2)
    manifest = corpus.manifest.set_index("file")
    assert manifest.loc["a.txt", "status"] == "included"
    assert manifest.loc["b.txt", "reason"].startswith("file too large (")
    # not read at all, so not hashed either (a 1.5 GB video would take seconds)
    assert manifest.loc["b.txt", "sha256"] == ""
    assert manifest.loc["b.txt", "note"] == "not read or hashed (larger than max_bytes)"


@settings(max_examples=80, deadline=None, derandomize=True)
@given(st.binary(max_size=2000))
def test_decoding_never_raises(data):
    from topiclab.corpus.decode import decode_bytes

    decoded = decode_bytes(data)
    assert (decoded.text is None) == bool(decoded.reason)
    if decoded.text is not None:
        assert unicodedata.is_normalized("NFC", decoded.text)


@settings(max_examples=80, deadline=None, derandomize=True)
@given(st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=600))
def test_cleaning_never_raises_and_keeps_only_input_words(text):
    from topiclab.corpus.chrome import clean_article

    article = clean_article(text)
    source_words = set(" ".join(text.replace("\xa0", " ").split()).split())
    for word in article.text.split():
        # glued sentences are split, so a word may be a piece of an input word
        assert word in source_words or any(word in w for w in source_words)
