"""The same numbers under any BLAS / SIMD kernel: what keeps rounding noise out of the outputs.

The full check (two builds of ``analysis.yaml``, one on AVX2 kernels and one on this CPU's
own, compared file by file) is ``benchmarks/kernel_determinism.py``; these tests pin the
pieces it relies on, each on a small real fit.
"""

from __future__ import annotations

import json
import re

import numpy as np

from topiclab import figures, pipeline
from topiclab.models import LDA, TopicResult
from topiclab.models import _base as models_base
from topiclab.models.result import RANK_DECIMALS
from topiclab.vectorize import vectorize

UNITS = [
    ["cán_bộ", "quy_hoạch", "đào_tạo", "bồi_dưỡng"],
    ["kỷ_luật", "đảng_viên", "khiển_trách", "cảnh_cáo"],
    ["cán_bộ", "đào_tạo", "lý_luận", "bồi_dưỡng"],
    ["đại_hội", "nhiệm_kỳ", "đảng_bộ", "bầu"],
    ["quy_hoạch", "luân_chuyển", "cán_bộ", "bổ_nhiệm"],
    ["kỷ_luật", "xử_lý", "đảng_viên", "vi_phạm"],
] * 3


def test_top_terms_treat_weights_equal_to_rank_decimals_as_tied():
    # Terms used in exactly the same units get the same weight up to the last bits, and
    # which of them comes out a hair larger depends on the BLAS kernel: the tie must go to
    # vocabulary order, not to those bits.
    tied = 0.0380427
    row = [tied, np.nextafter(tied, 1.0), 0.5, 0.5 - 2 * tied + np.nextafter(-tied, 0.0)]
    result = TopicResult(
        topic_word=np.array([row]),
        doc_topic=np.ones((1, 1)),
        vocab=["a", "b", "c", "d"],
        unit_ids=["u"],
        model="nmf",
    )
    assert result.top_terms(3) == [["c", "d", "a"]]
    assert result.to_frame(3)["term"].tolist() == ["c", "d", "a"]
    # a real difference (above the rounding) still decides the order
    row[1] = tied + 10.0 ** (-RANK_DECIMALS + 2)
    result.topic_word = np.array([row])
    assert result.top_terms(3) == [["c", "d", "b"]]


def test_gensim_lda_fits_in_float64():
    # gensim's default float32 leaves differences in the 5th digit between kernels
    vc = vectorize(UNITS)
    lda = LDA(3, random_state=0, passes=2, iterations=20).fit(vc.bow, vocab=vc.vocab)
    assert lda.model_.state.sstats.dtype == np.float64
    assert lda.model_.expElogbeta.dtype == np.float64
    assert lda.components_.dtype == np.float64


def test_ldavis_page_writes_numbers_at_six_significant_digits():
    vc = vectorize(UNITS)
    lda = LDA(3, random_state=0, passes=2, iterations=20).fit(vc.bow, vocab=vc.vocab)
    html = figures.ldavis_html(figures.ldavis_data(lda.result_, vc.bow, n_terms=5))
    data = json.loads(re.search(r"new LDAvis\([^,]+, (\{.*\})\);", html).group(1))
    numbers = re.findall(r"-?\d+\.\d+(?:e-?\d+)?", json.dumps(data["mdsDat"]))
    numbers += re.findall(r"-?\d+\.\d+(?:e-?\d+)?", json.dumps(data["tinfo"]))
    assert numbers
    digits = [len(n.split("e")[0].lstrip("-").replace(".", "").lstrip("0")) for n in numbers]
    assert max(digits) <= 6


def test_fit_cache_key_changes_with_the_fit_revision(monkeypatch):
    # new fitting code under the same version number must not reuse the old code's fits
    vc = vectorize(UNITS)
    models = pipeline._stage_cache(None, "models")
    content = pipeline._counts_digest(vc, [])
    before = pipeline._model_key(models, content, "lda", 3, {}, 0)
    monkeypatch.setattr(models_base, "FIT_REVISION", models_base.FIT_REVISION + 1)
    assert pipeline._model_key(models, content, "lda", 3, {}, 0) != before


def test_environment_file_does_not_record_the_cache_folder():
    text = figures.environment_text({"seed": 1, "cache": "/home/someone/.cache/topiclab"})
    assert "seed: 1" in text
    assert "cache" not in text
