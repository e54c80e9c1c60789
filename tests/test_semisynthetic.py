"""The semi-synthetic VNTC benchmark plants what it says, and the pystm comparison skips cleanly.

``benchmarks/semisynthetic_vntc.py`` gives real articles invented metadata with planted
category mixes; these tests check the planting on a made-up pool (no VNTC data needed):
the realised composition moves by the planted amounts, the null grouping does not.
``benchmarks/pystm_compare.py`` must report, not crash, when pystm is missing or broken (as
PyPI's pystm 0.1 is).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def semisyn():
    return _load("semisynthetic_vntc")


def test_planted_effects_follow_from_the_category_mix(semisyn):
    planted = semisyn.planted_effects()
    assert planted[("the_thao", "locality", "B")] == pytest.approx(0.15)
    assert planted[("phap_luat", "locality", "C")] == pytest.approx(0.10)
    # the planted change is taken from the other three categories evenly
    assert planted[("suc_khoe", "locality", "B")] == pytest.approx(-0.05)
    assert planted[("kinh_doanh", "year", "per unit")] == pytest.approx(0.04)
    assert planted[("suc_khoe", "year", "per unit")] == pytest.approx(-0.04)
    assert all(v == 0 for (_, c, _), v in planted.items() if c == "outlet")
    for locality in semisyn.LOCALITIES:
        for year in semisyn.YEARS:
            assert semisyn.category_mix(locality, year).sum() == pytest.approx(1.0)


def test_assigned_articles_carry_the_planted_composition(semisyn):
    n = 6000
    pool = pd.DataFrame(
        {
            "id": [f"a{i}" for i in range(4 * n)],
            "text": "x",
            "category": np.repeat(list(semisyn.CATEGORIES), n),
        }
    )
    assigned = semisyn.assign(pool, n, np.random.default_rng(0))
    assert assigned["id"].is_unique and len(assigned) == n
    sport = assigned["theme"] == "the_thao"
    by_locality = sport.groupby(assigned["locality"]).mean()
    # +0.15 planted (SE of a difference of ~1,500-document shares: about 0.016)
    assert by_locality["B"] - by_locality["A"] == pytest.approx(0.15, abs=0.05)
    business = (assigned["theme"] == "kinh_doanh").groupby(assigned["year"]).mean()
    slope = np.polyfit(business.index.to_numpy(), business.to_numpy(), 1)[0]
    assert slope == pytest.approx(0.04, abs=0.015)
    # the null grouping: no category differs between the outlets beyond sampling noise
    for theme in semisyn.CATEGORIES.values():
        share = (assigned["theme"] == theme).groupby(assigned["outlet"]).mean()
        assert abs(share["X"] - share["Y"]) < 0.05, theme
    # locality and year are correlated (A leans early, D late), so one-way means confound
    early = assigned[assigned["year"] <= 2017]["locality"].value_counts(normalize=True)
    late = assigned[assigned["year"] >= 2020]["locality"].value_counts(normalize=True)
    assert early["A"] > late["A"] and early["D"] < late["D"]


def test_written_metadata_names_each_table_row(semisyn, tmp_path):
    from topiclab.corpus import load_corpus

    text = (
        "Đội tuyển bóng đá quốc gia đã giành chiến thắng trong trận đấu tối qua trước đối thủ "
        "mạnh, huấn luyện viên khen ngợi các cầu thủ đã thi đấu rất nỗ lực suốt chín mươi phút "
        "trên sân vận động đông kín khán giả cổ vũ nhiệt tình cho đội nhà. "
    )
    assigned = pd.DataFrame(
        {
            "id": ["a", "b"],
            "text": [text * 2, text.replace("tối qua", "hôm nay") * 3],
            "category": ["The thao", "The thao"],
            "theme": ["the_thao", "the_thao"],
            "locality": ["A", "C"],
            "year": [2016, 2021],
            "outlet": ["X", "Y"],
        }
    )
    corpus_path, metadata = semisyn.write_corpus(assigned, tmp_path)
    documents = load_corpus(corpus_path, metadata=metadata, near_duplicate_threshold=1.0).documents
    documents = documents.set_index("doc_id")
    assert documents.loc["a", "locality"] == "A" and int(documents.loc["b", "year"]) == 2021
    assert documents.loc["b", "outlet"] == "Y"


def test_the_calibrated_truth_is_the_planted_effect_seen_through_the_measure(semisyn):
    # a measure that gives a category-j article a share `a` to theme j and spreads the rest
    # evenly sees every planted change shrunk by (a - (1 - a) / 3): the shares taken from the
    # other categories come back to each theme as the same constant
    pool = pd.DataFrame(
        {
            "id": [f"a{i}" for i in range(4 * 1500)],
            "text": "x",
            "category": np.repeat(list(semisyn.CATEGORIES), 1500),
        }
    )
    assignment = semisyn.assign(pool, 1500, np.random.default_rng(1))
    assignment = assignment.rename(columns={"id": "doc_id"})
    themes = list(semisyn.CATEGORIES.values())
    a = 0.7
    matrix = pd.DataFrame(
        np.full((4, 4), (1 - a) / 3) + np.eye(4) * (a - (1 - a) / 3), index=themes, columns=themes
    )
    exact = pd.DataFrame(np.eye(4), index=themes, columns=themes)
    table = semisyn.truths(assignment, {"shrunk": matrix, "exact": exact}).set_index(
        ["model", "theme", "covariate", "level"]
    )
    shrink = a - (1 - a) / 3
    for (theme, covariate, level), planted in semisyn.planted_effects().items():
        key = (theme, covariate, level)
        exact_truth = table.loc[("exact", *key)]
        # the design's probabilities read by the regression: the planted value
        assert exact_truth["truth_planted"] == pytest.approx(planted, abs=0.004), key
        assert exact_truth["truth_calibrated"] == pytest.approx(planted, abs=0.004), key
        assert table.loc[("shrunk", *key), "truth_calibrated"] == pytest.approx(
            shrink * planted, abs=0.004
        ), key


def test_pystm_compare_skips_when_pystm_is_missing(monkeypatch):
    compare = _load("pystm_compare")
    for name in compare.PYSTM_MODULES:
        monkeypatch.setitem(sys.modules, name, None)  # import raises ModuleNotFoundError
    estimator, reason = compare.pystm_status()
    assert estimator is None
    assert "import pystm: ModuleNotFoundError" in reason
    assert compare.main(["--skip-ours"]) == 0


def test_pystm_compare_reports_the_broken_pypi_release(monkeypatch, tmp_path):
    # PyPI's pystm 0.1 installs exactly this stm.py: its base classes are never imported
    (tmp_path / "stm.py").write_text(
        "\nclass StructuralTopicModel(BaseEstimator, TransformerMixin):\n"
        "    def fit(self, X, y=None):\n        return self\n",
        encoding="utf-8",
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setitem(sys.modules, "pystm", None)
    monkeypatch.delitem(sys.modules, "stm", raising=False)
    estimator, reason = _load("pystm_compare").pystm_status()
    assert estimator is None
    assert "import stm: NameError: name 'BaseEstimator' is not defined" in reason
