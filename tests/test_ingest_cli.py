"""`topiclab ingest`: the summary of the shipped corpus and the two tables it writes."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd

from topiclab.cli import main


def test_ingest_prints_the_summary_and_writes_tables(corpus_dir, tmp_path, capsys):
    assert main(["ingest", str(corpus_dir), "--output", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "files read:  8" in out
    assert "included:    5" in out
    assert "excluded:    3" in out
    assert "2  corpus documentation, not an article" in out
    assert "1  curated metadata table, not an article" in out
    # metadata coverage per field: curated, inferred, missing
    title_row = next(line for line in out.splitlines() if line.strip().startswith("title"))
    assert title_row.split()[1:] == ["5", "0", "0"]
    date_row = next(line for line in out.splitlines() if line.strip().startswith("date"))
    assert date_row.split()[1:] == ["4", "0", "1"]
    author_row = next(line for line in out.splitlines() if line.strip().startswith("author"))
    assert author_row.split()[1:] == ["0", "4", "1"]
    manifest = pd.read_csv(tmp_path / "manifest.csv", dtype=str, keep_default_na=False)
    documents = pd.read_csv(tmp_path / "documents.csv", dtype=str, keep_default_na=False)
    assert len(manifest) == 8 and (manifest["status"] == "included").sum() == 5
    assert list(documents["doc_id"]) == sorted(documents["doc_id"])
    assert set(documents["locality"]) == {
        "Hát Lót",
        "Thái Thụy",
        "Nam Đông",
        "Đồng Mỏ",
        "Thường Tín",
    }


def test_ingest_console_script_on_a_corpus_without_metadata(corpus_dir, tmp_path):
    raw = tmp_path / "articles"
    raw.mkdir()
    for path in sorted((corpus_dir / "raw").glob("*.txt")):
        (raw / path.name).write_bytes(path.read_bytes())
    result = subprocess.run(
        [sys.executable, "-m", "topiclab.cli", "ingest", str(raw)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "included:    5" in result.stdout
    locality = next(line for line in result.stdout.splitlines() if "locality " in line)
    assert locality.split()[1:] == ["0", "5", "0"]


def test_ingest_of_an_unusable_folder_fails_with_the_reasons(tmp_path):
    (tmp_path / "empty.txt").write_bytes(b"")
    result = subprocess.run(
        [sys.executable, "-m", "topiclab.cli", "ingest", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "no usable document" in result.stderr and "empty file (0 bytes): 1" in result.stderr
