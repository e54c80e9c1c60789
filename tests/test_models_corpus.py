"""The shared fixture of the vectorize, models and evaluate tests: the shipped articles
as paragraph units (``topiclab.corpus.make_units``), tokenized with pyvi.

The preprocessing room's ``topiclab.tokenize`` is not in the tree yet, so the units are
segmented with pyvi directly (lower-case, alphabetic tokens, a short stopword set); the
tests only need realistic Vietnamese tokens.
"""

from __future__ import annotations

import functools
import warnings
from pathlib import Path

from pyvi import ViTokenizer

from topiclab.corpus import load_corpus, make_units

CORPUS_DIR = Path(__file__).resolve().parent.parent / "corpus"

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
    """Unit ids and token lists of the paragraph units of the five articles."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        units = make_units(load_corpus(CORPUS_DIR).documents, unit="paragraph")
    unit_ids = tuple(str(u) for u in units["unit_id"])
    tokens = tuple(tuple(tokenize_paragraph(text)) for text in units["text"])
    return unit_ids, tokens


def test_shipped_paragraphs_are_real_units() -> None:
    unit_ids, tokens = shipped_paragraphs()
    assert 30 <= len(unit_ids) <= 70
    assert len(set(unit_ids)) == len(unit_ids)
    words = {t for unit in tokens for t in unit}
    assert {"cán_bộ", "đảng_viên", "quy_hoạch", "bồi_dưỡng"} <= words
    assert not words & STOPWORDS
