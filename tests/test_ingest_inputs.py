"""Inputs a researcher's own corpus brings: every one accounted for, none misread.

Valid Unicode is never taken for a legacy font encoding and a few bad bytes do not
exclude an article; unreadable paths, links and FIFOs are listed, not fatal; large files
are judged by their size on disk; curated metadata is matched exactly and its dates are
read or refused with a reason; column names topiclab creates are not overwritten.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pandas as pd
import pytest

from topiclab import load_corpus, make_units
from topiclab.cli import main
from topiclab.corpus import reader as reader_module
from topiclab.corpus.chrome import clean_article
from topiclab.corpus.reader import DOCUMENT_COLUMNS, MANIFEST_COLUMNS
from topiclab.stream import DocumentStream

KY_LUAT = "Kỷ luật đảng viên vi phạm. " * 10


@pytest.fixture(scope="module")
def prose(raw_files) -> list[str]:
    """Long paragraphs of the shipped articles, each a distinct article body."""
    found = []
    for path in raw_files:
        for line in path.read_text(encoding="utf-8").splitlines():
            if len(line.split()) >= 50:
                found.append(line.strip())
    return found


@pytest.fixture
def no_hang():
    """Fail (instead of blocking forever) if the reader opens a FIFO."""

    def timeout(signum, frame):
        raise TimeoutError("the reader blocked (it opened a FIFO?)")

    previous = signal.signal(signal.SIGALRM, timeout)
    signal.alarm(60)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


# ----------------------------------------------------------------------------- encodings


@pytest.mark.parametrize(
    "encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be"], ids=str
)
def test_valid_unicode_vietnamese_is_not_a_legacy_font_encoding(tmp_path, encoding):
    # "viên" matches the VNI pair pattern (a vowel, then "ê" before a letter); the
    # sentence was excluded as VNI although it is plain Unicode.
    path = tmp_path / "ky_luat.txt"
    path.write_bytes(KY_LUAT.encode(encoding))
    corpus = load_corpus(path)
    row = corpus.manifest.iloc[0]
    assert row["status"] == "included", row["reason"]
    assert "legacy" not in row["reason"]
    assert corpus.documents.loc[0, "text"] == KY_LUAT.strip()


def test_a_stray_byte_or_a_cut_character_is_replaced_with_a_note(tmp_path, prose):
    body = "\n\n".join(prose[:2]).encode("utf-8")
    at = body.index(b" ", 200)
    (tmp_path / "stray.txt").write_bytes(body[:at] + b"\xff" + body[at:])
    cut = "\n\n".join(prose[2:4]).encode("utf-8") + "Đảng".encode()[:1]
    (tmp_path / "cut.txt").write_bytes(cut)
    corpus = load_corpus(tmp_path)
    manifest = corpus.manifest.set_index("file")
    assert list(manifest["status"]) == ["included", "included"], list(manifest["reason"])
    assert manifest.loc["stray.txt", "encoding"] == "utf-8"
    assert manifest.loc["stray.txt", "note"] == "1 invalid UTF-8 byte sequence replaced by U+FFFD"
    assert manifest.loc["cut.txt", "note"].startswith("last character cut off")
    texts = corpus.documents.set_index("file")["text"]
    assert texts["stray.txt"].count("\ufffd") == 1
    assert texts["cut.txt"].endswith("\ufffd")
    # and the rest of the article is read as it was written
    assert prose[1][-80:] in texts["stray.txt"]


# ------------------------------------------------------------------- unreadable and odd paths


def test_links_fifos_and_unreadable_paths_are_listed_not_fatal(
    tmp_path, prose, monkeypatch, no_hang
):
    corpus_dir = tmp_path / "corpus"
    (corpus_dir / "sub").mkdir(parents=True)
    (corpus_dir / "locked").mkdir()
    (corpus_dir / "good.txt").write_text(prose[0], encoding="utf-8")
    (corpus_dir / "sub" / "nested.txt").write_text(prose[1], encoding="utf-8")
    (corpus_dir / "locked" / "inside.txt").write_text(prose[2], encoding="utf-8")
    secret = corpus_dir / "secret.txt"
    secret.write_text(prose[3], encoding="utf-8")
    secret.chmod(0)
    outside = tmp_path / "outside.txt"
    outside.write_text(prose[4], encoding="utf-8")
    (corpus_dir / "linked_file.txt").symlink_to(outside)
    (corpus_dir / "linked_folder").symlink_to(corpus_dir / "sub", target_is_directory=True)
    (corpus_dir / "dangling.txt").symlink_to(tmp_path / "gone.txt")
    (corpus_dir / "loop.txt").symlink_to(corpus_dir / "loop.txt")
    os.mkfifo(corpus_dir / "pipe.txt")

    # Tests run as root, for whom chmod 000 changes nothing: the folder listing and the
    # file open fail as they would for a normal user.
    real_scandir, real_open = os.scandir, open

    def scandir(path):
        if Path(path) == corpus_dir / "locked":
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    def opener(path, *args, **kwargs):
        if Path(path) == secret:
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "scandir", scandir)
    monkeypatch.setattr(reader_module, "open", opener, raising=False)

    expected = {
        "dangling.txt": "dangling symbolic link (its target does not exist)",
        "good.txt": "",
        "linked_file.txt": "",
        "linked_folder/": "symbolic link to a folder, not followed (copy the folder in, "
        "or pass it as its own PATH)",
        "locked/": "unreadable folder (PermissionError: Permission denied)",
        "loop.txt": "symbolic link loop (the link points back to itself)",
        "pipe.txt": "not a regular file (a FIFO (named pipe); not opened)",
        "secret.txt": "unreadable file (PermissionError: Permission denied)",
        "sub/nested.txt": "",
    }
    corpus = load_corpus(corpus_dir)
    manifest = corpus.manifest.set_index("file")
    assert sorted(manifest.index) == sorted(expected)
    for name, reason in expected.items():
        assert manifest.loc[name, "reason"] == reason, name
        assert manifest.loc[name, "status"] == ("included" if not reason else "excluded"), name
    assert "unreadable file" in corpus.summary() and "unreadable folder" in corpus.summary()

    # The streaming reader walks the same way and lists the same inputs.
    stream = DocumentStream(corpus_dir)
    assert len(list(stream)) == 3
    pd.testing.assert_frame_equal(stream.manifest, corpus.manifest)


def test_files_over_max_bytes_are_judged_by_size_without_reading(tmp_path, prose):
    (tmp_path / "good.txt").write_text(prose[0], encoding="utf-8")
    big = 200_000_000
    # Sparse files: 200 MB on paper, nothing on disk; reading them still costs 200 MB.
    for name in ("huge.txt", "video.mp4"):
        with open(tmp_path / name, "wb") as handle:
            handle.truncate(big)
    started = time.perf_counter()
    corpus = load_corpus(tmp_path, max_bytes=1_000_000)
    elapsed = time.perf_counter() - started
    manifest = corpus.manifest.set_index("file")
    assert manifest.loc["huge.txt", "reason"] == (
        "file too large (200,000,000 bytes, max_bytes=1,000,000)"
    )
    assert manifest.loc["video.mp4", "reason"] == "unsupported file type (.mp4)"
    for name in ("huge.txt", "video.mp4"):
        assert manifest.loc[name, "sha256"] == ""
        assert manifest.loc[name, "note"] == "not read or hashed (larger than max_bytes)"
    assert len(manifest.loc["good.txt", "sha256"]) == 64
    assert elapsed < 10


# ------------------------------------------------------------------------ curated metadata


def _folder(path: Path, prose: list[str], names: list[str]) -> Path:
    path.mkdir()
    for name, text in zip(names, prose, strict=False):
        (path / name).write_text(text, encoding="utf-8")
    return path


def test_metadata_paths_are_matched_exactly(tmp_path, prose):
    folder = _folder(tmp_path / "c", prose, ["x.txt", "y.txt", "hidden.txt"])
    pd.DataFrame(
        {
            "file": ["./x.txt", "../y.txt", ".hidden.txt"],
            "title": ["Tiêu đề của x", "Không phải y", "Không phải hidden"],
        }
    ).to_csv(folder / "metadata.csv", index=False)
    corpus = load_corpus(folder)
    titles = corpus.documents.set_index("file")["title"]
    assert titles["x.txt"] == "Tiêu đề của x"
    assert titles["y.txt"] != "Không phải y"
    assert titles["hidden.txt"] != "Không phải hidden"
    assert corpus.unmatched_metadata == ["../y.txt", ".hidden.txt"]
    assert "metadata rows naming no input file: 2" in corpus.summary()


def test_two_metadata_rows_for_one_file_are_an_error_naming_both(tmp_path, prose):
    folder = _folder(tmp_path / "c", prose, ["a.txt", "b.txt"])
    pd.DataFrame({"file": ["a.txt", "b.txt", "./a.txt"], "title": ["Một", "Hai", "Ba"]}).to_csv(
        folder / "metadata.csv", index=False
    )
    with pytest.raises(ValueError, match=r"rows 2 and 4 both describe 'a.txt'"):
        load_corpus(folder)


def _dated_table(path: Path, prose: list[str], dates: list[str], years: list[str]) -> Path:
    frame = pd.DataFrame(
        {
            "id": [f"d{i}" for i in range(len(dates))],
            "date": dates,
            "year": years,
            "text": prose[: len(dates)],
        }
    )
    frame.to_csv(path, index=False)
    return path


def test_curated_dates_in_vietnamese_and_spreadsheet_forms_are_read(tmp_path, prose):
    dates = [
        "13/05/2020",
        "13-5-2020",
        "ngày 13 tháng 5 năm 2020",
        "2020-05",
        "2020-05-13",
        "2020-05-13 10:25:00",
        "",
    ]
    years = ["", "", "", "", "", "", "2019.0"]
    corpus = load_corpus(_dated_table(tmp_path / "t.csv", prose, dates, years))
    docs = corpus.documents.set_index("doc_id")
    assert list(docs["date"]) == ["2020-05-13"] * 3 + ["2020-05"] + ["2020-05-13"] * 2 + [""]
    assert list(docs["year"]) == [2020] * 6 + [2019]
    origins = corpus.provenance.set_index(["doc_id", "field"])["origin"]
    assert all(origins[(f"d{i}", "date")] == "curated" for i in range(6))
    assert all(origins[(f"d{i}", "year")] == "curated" for i in range(7))
    assert (corpus.manifest["note"] == "").all()


def test_impossible_curated_dates_and_years_are_refused_with_a_reason(tmp_path, prose):
    dates = ["2020-13-45", "-1", "99999", "1e3", "31/02/2020", ""]
    years = ["", "", "", "", "", "2020.5"]
    corpus = load_corpus(_dated_table(tmp_path / "t.csv", prose, dates, years))
    docs = corpus.documents.set_index("doc_id")
    assert (docs["date"] == "").all()
    assert docs["year"].isna().all()
    origins = corpus.provenance.set_index(["doc_id", "field"])["origin"]
    assert not (origins.loc[(slice(None), ["date", "year"])] == "curated").any()
    notes = corpus.manifest.set_index("doc_id")["note"]
    assert notes["d0"] == "curated date '2020-13-45' ignored: impossible date"
    assert notes["d1"].startswith("curated date '-1' ignored: not a date")
    assert notes["d2"].startswith("curated date '99999' ignored: not a date")
    assert notes["d3"].startswith("curated date '1e3' ignored: not a date")
    assert notes["d4"] == "curated date '31/02/2020' ignored: impossible date"
    assert notes["d5"] == "curated year '2020.5' ignored: not a whole year"


@pytest.mark.parametrize("value", ["-1", "99999", "1e3", "1799"])
def test_impossible_curated_years_are_refused(tmp_path, prose, value):
    corpus = load_corpus(_dated_table(tmp_path / "t.csv", prose, [""], [value]))
    assert corpus.documents["year"].isna().all()
    assert corpus.manifest.loc[0, "note"].startswith(f"curated year {value!r} ignored: ")


# ------------------------------------------------------------------------ the ingest command


def test_ingest_output_writes_the_manifest_when_every_file_is_excluded(tmp_path, capsys):
    corpus_dir = tmp_path / "corpus"
    corpus_dir.mkdir()
    (corpus_dir / "empty.txt").write_bytes(b"")
    (corpus_dir / "short.txt").write_text(
        "Tin ngắn\n\nHội nghị đã diễn ra tốt đẹp tại hội trường huyện.\n", encoding="utf-8"
    )
    out = tmp_path / "out"
    assert main(["ingest", str(corpus_dir), "--output", str(out)]) == 2
    captured = capsys.readouterr()
    assert "excluded:    2" in captured.out
    assert "no usable document" in captured.err
    manifest = pd.read_csv(out / "manifest.csv", dtype=str, keep_default_na=False)
    assert list(manifest.columns) == MANIFEST_COLUMNS
    assert list(manifest["file"]) == ["empty.txt", "short.txt"]
    assert list(manifest["reason"]) == ["empty file (0 bytes)", "too short (11 words, minimum 30)"]
    documents = pd.read_csv(out / "documents.csv", dtype=str)
    assert list(documents.columns) == DOCUMENT_COLUMNS and documents.empty


# --------------------------------------------------------------- column names topiclab creates


def test_input_columns_named_like_topiclab_columns_are_renamed(tmp_path, prose):
    table = tmp_path / "articles.csv"
    pd.DataFrame(
        {
            "id": ["a", "b"],
            "unit_id": ["U-1", "U-2"],
            "n_words": ["x", "y"],
            "file": ["a.docx", "b.docx"],
            "text": prose[:2],
        }
    ).to_csv(table, index=False)
    corpus = load_corpus(table)
    docs = corpus.documents
    assert "unit_id" not in docs.columns and "n_words" not in docs.columns
    assert list(docs["source_unit_id"]) == ["U-1", "U-2"]
    assert list(docs["source_file"]) == ["a.docx", "b.docx"]
    assert list(docs["file"]) == ["articles.csv#0", "articles.csv#1"]
    assert "input column 'unit_id' renamed to 'source_unit_id'" in corpus.summary()
    units = make_units(docs, unit="document")
    assert list(units["unit_id"]) == ["a:d000", "b:d000"]
    assert list(units["source_unit_id"]) == ["U-1", "U-2"]
    assert units["n_words"].dtype == "int64"


def test_make_units_refuses_documents_that_already_have_unit_columns(prose):
    documents = pd.DataFrame({"doc_id": ["a"], "unit_id": ["mine"], "text": [prose[0]]})
    with pytest.raises(ValueError, match="already have a 'unit_id' column"):
        make_units(documents, unit="document")


def test_metadata_table_columns_named_like_topiclab_columns_are_renamed(tmp_path, prose):
    folder = _folder(tmp_path / "c", prose, ["a.txt"])
    pd.DataFrame({"file": ["a.txt"], "doc_id": ["X-7"], "unit_index": ["3"]}).to_csv(
        folder / "metadata.csv", index=False
    )
    corpus = load_corpus(folder)
    doc = corpus.documents.iloc[0]
    assert doc["doc_id"] == "a" and doc["source_doc_id"] == "X-7"
    assert doc["source_unit_index"] == "3"
    assert any("'unit_index' renamed" in note for note in corpus.notes)


# ------------------------------------------------------------------------------- bylines


def test_a_group_label_after_the_article_is_not_an_author(prose):
    body = "\n\n".join([prose[0], prose[1]])
    table = "\n".join(["Bảng D", "Trận", "Điểm", "Lyon", "410", "MU", "48"])
    article = clean_article(f"Đội tuyển nằm ở Bảng D\n\n{body}\n\n{table}\n")
    assert article.author == ""
    assert "Bảng D" in article.removed
    for byline in ("HOÀNG MAI", "T. Hà", "Anh Phong"):
        assert clean_article(f"Tiêu đề\n\n{body}\n\n{byline}\n").author == byline


def test_a_metadata_table_that_cannot_be_read_is_one_clear_error(tmp_path, prose):
    folder = _folder(tmp_path / "c", prose, ["a.txt"])
    with pytest.raises(FileNotFoundError, match=r"metadata table not found: .*absent\.csv"):
        load_corpus(folder, metadata=tmp_path / "absent.csv")
    (tmp_path / "folder.csv").mkdir()
    with pytest.raises(ValueError, match=r"cannot read metadata table .*folder\.csv"):
        load_corpus(folder, metadata=tmp_path / "folder.csv")
    # Excel's "Unicode text" is UTF-16: read like any article
    excel = tmp_path / "excel.csv"
    excel.write_bytes("file,title\na.txt,Tiêu đề từ Excel\n".encode("utf-16"))
    assert load_corpus(folder, metadata=excel).documents.loc[0, "title"] == "Tiêu đề từ Excel"
