"""The shared fixture of the vectorize, models and evaluate tests: the shipped articles
as paragraph units (``topiclab.corpus.make_units``), tokenized by topiclab's own
preprocessing (``topiclab.preprocess.Preprocessor`` with its defaults: pyvi segmentation,
stopwords, names and places removed).
"""

from __future__ import annotations

import functools
import warnings
from pathlib import Path

from topiclab.corpus import load_corpus, make_units
from topiclab.preprocess import Preprocessor

CORPUS_DIR = Path(__file__).resolve().parent.parent / "corpus"


@functools.cache
def shipped_paragraphs() -> tuple[tuple[str, ...], tuple[tuple[str, ...], ...]]:
    """Unit ids and token lists of the paragraph units of the five articles."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        units = make_units(load_corpus(CORPUS_DIR).documents, unit="paragraph")
    unit_ids = tuple(str(u) for u in units["unit_id"])
    tokens = tuple(tuple(unit) for unit in Preprocessor().transform(list(units["text"])))
    return unit_ids, tokens


def test_shipped_paragraphs_are_real_units() -> None:
    unit_ids, tokens = shipped_paragraphs()
    assert 30 <= len(unit_ids) <= 70
    assert len(set(unit_ids)) == len(unit_ids)
    words = {t for unit in tokens for t in unit}
    assert {"cán_bộ", "đảng_viên", "quy_hoạch", "bồi_dưỡng"} <= words
    assert all(t == t.lower() and " " not in t for t in words)
    assert not words & {"và", "của", "các", "là"}
