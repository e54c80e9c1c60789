"""The interactive pyLDAvis page of an LDA model, as one self-contained HTML file."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from topiclab import plotting
from topiclab.io import atomic_write_text

logger = logging.getLogger(__name__)


LDAVIS_FILE = "ldavis_lda.html"
LDAVIS_DIV_ID = "ldavis_topiclab"


def ldavis_data(result: Any, bow: Any, *, n_terms: int = 30) -> Any:
    """pyLDAvis's prepared data of a fitted LDA :class:`~topiclab.TopicResult`.

    Parameters
    ----------
    result : TopicResult
        The LDA model (``topic_word``, ``doc_topic``, ``vocab``).
    bow : sparse matrix of shape (n_units, n_terms), or a BowStore
        The bag-of-words counts it was fitted on (unit lengths and term frequencies); only
        its row and column sums are read.
    n_terms : int, default=30
        Terms listed per topic in the page.

    Notes
    -----
    Topics keep the model's order (not pyLDAvis's sort by size) and are numbered from 1,
    as LDAvis requires: topic ``k`` of the page is topic ``k - 1`` of the tables.
    """
    import pyLDAvis

    # only the row and column sums are read: a matrix or a BowStore (which sums one chunk
    # at a time) is summed where it is, never gathered into one matrix in memory
    counts = bow if hasattr(bow, "sum") and hasattr(bow, "shape") else np.asarray(bow)
    if tuple(counts.shape) != (result.doc_topic.shape[0], result.topic_word.shape[1]):
        raise ValueError(
            f"bow has shape {counts.shape}; the result needs "
            f"{(result.doc_topic.shape[0], result.topic_word.shape[1])}"
        )
    doc_lengths = np.asarray(counts.sum(axis=1)).ravel()
    term_frequency = np.asarray(counts.sum(axis=0)).ravel()
    keep = doc_lengths > 0
    if not keep.all():
        # pyLDAvis rejects empty units; they carry no words to show, and are reported
        # by the vectorizer as empty units already.
        logger.info("ldavis: %d empty units left out of the page", int((~keep).sum()))
    doc_topic = result.doc_topic[keep]
    doc_topic = doc_topic / doc_topic.sum(axis=1, keepdims=True)
    topic_word = result.topic_word / result.topic_word.sum(axis=1, keepdims=True)
    # n_jobs=1: the relevance tables are then computed in one process, in one order.
    return pyLDAvis.prepare(
        topic_word,
        doc_topic,
        doc_lengths[keep],
        [plotting.display_term(term) for term in result.vocab],
        term_frequency,
        R=min(n_terms, len(result.vocab)),
        n_jobs=1,
        sort_topics=False,
        # LDAvis reads topic 0 as "no topic selected", so its topics count from 1.
        start_index=1,
    )


def ldavis_html(prepared: Any, *, title: str = "LDA topics") -> str:
    """One self-contained HTML page of a pyLDAvis visualisation.

    d3, LDAvis's script and its style sheet are copied from the installed pyLDAvis into
    the page, so it opens offline and never fetches anything from a CDN; the element id is
    fixed, so the same model gives the same bytes.
    """
    import pyLDAvis.urls as urls

    d3 = Path(urls.D3_LOCAL).read_text(encoding="utf-8")
    ldavis = Path(urls.LDAVIS_LOCAL).read_text(encoding="utf-8")
    css = Path(urls.LDAVIS_CSS_LOCAL).read_text(encoding="utf-8")
    data = json.dumps(
        _rounded(prepared.to_dict()), cls=_NumpyJSON, ensure_ascii=False, sort_keys=True
    )
    # "</" inside inline scripts would end the script element early.
    data = data.replace("</", "<\\/")
    return (
        "<!DOCTYPE html>\n"
        '<html lang="vi">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{title}</title>\n"
        f"<style>\n{css}\n</style>\n"
        f"<script>\n{d3}\n</script>\n"
        f"<script>\n{ldavis}\n</script>\n"
        "</head>\n<body>\n"
        f'<div id="{LDAVIS_DIV_ID}" style="background-color:white;"></div>\n'
        "<script>\n"
        f'new LDAvis("#{LDAVIS_DIV_ID}", {data});\n'
        "</script>\n</body>\n</html>\n"
    )


def write_ldavis(result: Any, bow: Any, path: str | Path, *, n_terms: int = 30) -> Path:
    """Write the interactive pyLDAvis page of an LDA result to ``path`` (atomically)."""
    return atomic_write_text(path, ldavis_html(ldavis_data(result, bow, n_terms=n_terms)))


def _rounded(value: Any, digits: int = 6) -> Any:
    """``value`` with every float at ``digits`` significant digits, as the tables have them:
    the digits beyond differ between BLAS kernels and would change the page's bytes."""
    if isinstance(value, Mapping):
        return {k: _rounded(v, digits) for k, v in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [_rounded(v, digits) for v in value]
    if isinstance(value, float | np.floating):
        return float(f"{value:.{digits}g}")
    return value


class _NumpyJSON(json.JSONEncoder):
    def default(self, o: Any) -> Any:
        if isinstance(o, np.integer):
            return int(o)
        if isinstance(o, np.floating):
            return float(o)
        if isinstance(o, np.ndarray):
            return o.tolist()
        return super().default(o)
