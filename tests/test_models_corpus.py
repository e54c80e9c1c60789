"""The shared fixture of the vectorize, models and evaluate tests: the shipped articles
split into paragraphs and tokenized with pyvi.

The preprocessing room's ``topiclab.tokenize`` and the corpus room's ``make_units`` are
not in the tree yet, so this module segments with pyvi directly (lower-case, alphabetic
tokens, a short stopword set); the tests only need realistic Vietnamese tokens.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

from pyvi import ViTokenizer

CORPUS_RAW = Path(__file__).resolve().parent.parent / "corpus" / "raw"

# Function words that would otherwise dominate every topic of such a small corpus.
STOPWORDS = frozenset(
    "và của các có là được cho trong với để đã những này đó về theo từ trên một không "
    "cũng như khi đến ra vào thì lại còn nhiều nhất rất đều do qua sẽ đang bị vì nên "
    "tại năm ngày tháng người số việc".split()
)


def tokenize_paragraph(text: str) -> list[str]:
    """pyvi segmentation, lower-cased, alphabetic tokens only, stopwords dropped."""
    tokens = (token.lower() for token in ViTokenizer.tokenize(text).split())
    return [t for t in tokens if t.replace("_", "").isalpha() and t not in STOPWORDS]


@functools.cache
def shipped_paragraphs() -> tuple[tuple[str, ...], tuple[tuple[str, ...], ...]]:
    """Unit ids and token lists of every non-empty paragraph of the five articles."""
    unit_ids: list[str] = []
    tokens: list[tuple[str, ...]] = []
    for path in sorted(CORPUS_RAW.glob("*.txt")):
        paragraphs = re.split(r"\n\s*\n", path.read_text(encoding="utf-8"))
        for index, paragraph in enumerate(p for p in paragraphs if p.strip()):
            unit_ids.append(f"{path.stem}:p{index:03d}")
            tokens.append(tuple(tokenize_paragraph(paragraph)))
    return tuple(unit_ids), tuple(tokens)


def test_shipped_paragraphs_are_real_units() -> None:
    unit_ids, tokens = shipped_paragraphs()
    assert 40 <= len(unit_ids) <= 70
    assert len(set(unit_ids)) == len(unit_ids)
    words = {t for unit in tokens for t in unit}
    assert {"cán_bộ", "đảng_viên", "quy_hoạch", "bồi_dưỡng"} <= words
    assert not words & STOPWORDS
