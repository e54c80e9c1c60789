"""The shipped corpus is byte-for-byte what was received, with curated metadata."""

from __future__ import annotations

import hashlib
import re

import pandas as pd

REQUIRED_COLUMNS = [
    "file",
    "title",
    "date",
    "year",
    "year_basis",
    "locality",
    "district",
    "province",
    "source",
    "url",
]


def test_raw_articles_match_their_checksums(corpus_dir, raw_files):
    listed = {}
    for line in (corpus_dir / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split(maxsplit=1)
        listed[name] = digest
    assert sorted(listed) == [p.name for p in raw_files]
    for path in raw_files:
        assert hashlib.sha256(path.read_bytes()).hexdigest() == listed[path.name], path.name


def test_metadata_has_one_curated_row_per_article(corpus_dir, raw_files):
    meta = pd.read_csv(corpus_dir / "metadata.csv", dtype=str, keep_default_na=False)
    for column in REQUIRED_COLUMNS:
        assert column in meta.columns
    assert sorted(meta["file"]) == [f"raw/{p.name}" for p in raw_files]
    for _, row in meta.iterrows():
        for column in ("title", "year", "year_basis", "locality", "district", "province"):
            assert row[column], f"{row['file']}: {column} is empty"
        if row["date"]:
            assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", row["date"])
            assert row["date"][:4] == row["year"]
            assert row["year_basis"] == "dateline"
        else:
            assert row["year_basis"].startswith("inferred from text")
        for column in ("date", "source", "url"):
            if not row[column]:
                assert f"{column}:" in row["notes"], f"{row['file']}: empty {column} unexplained"
