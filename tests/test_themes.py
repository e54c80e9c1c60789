"""Theme lexicon, topic labels, shares, comparisons, exemplars and agreement on plain data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from topiclab.models.result import TopicResult
from topiclab.themes import (
    OTHER,
    LexiconError,
    agreement,
    compare,
    document_shares,
    exemplars,
    find_terms_in_text,
    label_topics,
    lexicon_from_mapping,
    lexicon_shares,
    load_lexicon,
    match_terms,
    theme_shares,
)

REQUIRED_IDS = {
    "cadre_planning",
    "cadre_rotation",
    "political_education",
    "party_discipline",
    "training",
    "grassroots_organisation",
    "party_congress",
    "socioeconomic_development",
    "mass_mobilisation",
}


def _theme(theme_id: str = "a", **changes) -> dict:
    entry = {
        "id": theme_id,
        "label_vi": "Chủ đề",
        "label_en": "Theme",
        "definition": "A theme.",
        "terms": {"kỷ_luật": 2, "khiển_trách": 1},
    }
    entry.update(changes)
    return entry


# ---------------------------------------------------------------- lexicon


def test_shipped_lexicon_has_the_required_themes_in_token_form():
    lexicon = load_lexicon()
    assert REQUIRED_IDS <= set(lexicon.ids)
    for theme in lexicon:
        assert theme.label_vi and theme.label_en and theme.definition
        for term, weight in theme.terms.items():
            assert term == term.lower() and " " not in term
            assert weight > 0
    assert "tự_phê_bình" in lexicon["party_discipline"].terms
    assert "quy_hoạch" in lexicon["cadre_planning"].terms
    assert "luân_chuyển" in lexicon["cadre_rotation"].terms
    assert "lý_luận_chính_trị" in lexicon["political_education"].terms
    assert "tổ_chức_cơ_sở_đảng" in lexicon["grassroots_organisation"].terms


def test_lexicon_terms_follow_the_old_tone_mark_convention():
    from topiclab.text.normalize import normalize_text

    for theme in load_lexicon():
        for term in theme.terms:
            assert normalize_text(term) == term, term


def test_lexicon_loads_from_a_researchers_yaml(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text(
        "themes:\n"
        "  - id: discipline\n    label_vi: Kỷ luật\n    label_en: Discipline\n"
        "    definition: Sanctions.\n    terms: {kỷ luật: 2, Khiển_Trách: 1}\n"
        "  - id: rotation\n    label_vi: Luân chuyển\n    label_en: Rotation\n"
        "    definition: Moving cadres.\n    terms: [luân_chuyển, điều_động]\n",
        encoding="utf-8",
    )
    lexicon = load_lexicon(path)
    assert lexicon.ids == ["discipline", "rotation"]
    assert lexicon["discipline"].terms == {"kỷ_luật": 2.0, "khiển_trách": 1.0}
    assert lexicon["rotation"].terms == {"luân_chuyển": 1.0, "điều_động": 1.0}


# themes in an order that is neither alphabetical nor the shipped one, a shipped id among them
CUSTOM_LEXICON = """\
themes:
  - id: sport
    label_en: Sport
    terms: [bóng_đá, thể_thao]
  - id: crime
    label_en: Crime
    terms: [tội_phạm, bắt_giữ]
  - id: party_discipline
    label_en: Discipline
    terms: [kỷ_luật]
  - id: health
    label_en: Health
    colour: "#123456"
    terms: [bệnh_viện, y_tế]
"""


def test_an_english_only_lexicon_keeps_its_order_and_needs_no_vietnamese(tmp_path):
    path = tmp_path / "news.yaml"
    path.write_text(CUSTOM_LEXICON, encoding="utf-8")
    lexicon = load_lexicon(path)
    order = ["sport", "crime", "party_discipline", "health"]
    assert lexicon.ids == order
    # a missing Vietnamese label falls back to the English one, a missing definition is empty
    assert (
        lexicon.labels("vi")
        == lexicon.labels("en")
        == {
            "sport": "Sport",
            "crime": "Crime",
            "party_discipline": "Discipline",
            "health": "Health",
        }
    )
    assert lexicon["sport"].definition == ""
    assert lexicon["health"].colour == "#123456" and lexicon["sport"].colour is None
    # the tables list the themes in the order of the file
    tokens = [["bóng_đá", "tội_phạm"], ["y_tế", "kỷ_luật", "kỷ_luật"]]
    units = pd.DataFrame({"unit_id": ["a:0", "b:0"], "doc_id": ["a", "b"], "year": 2020})
    shares = lexicon_shares(tokens, lexicon, units)
    assert [c for c in shares.columns if c in {*order, OTHER}] == [*order, OTHER]
    table = compare(document_shares(shares), by="year", n_boot=10, random_state=0)
    assert list(dict.fromkeys(table["theme"])) == [*order, OTHER]
    frame = lexicon.to_frame()
    assert list(dict.fromkeys(frame["theme"])) == order


def test_a_label_falls_back_to_the_other_language_then_to_the_id():
    entries = [
        {"id": "local_news", "terms": ["tin"]},
        {"id": "b", "label_vi": "Bê", "terms": ["x"]},
    ]
    lexicon = lexicon_from_mapping({"themes": entries})
    assert lexicon.labels("en") == {"local_news": "Local news", "b": "Bê"}
    assert lexicon.labels("vi") == {"local_news": "Local news", "b": "Bê"}


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ([{k: v for k, v in _theme().items() if k != "terms"}], "missing field.*terms"),
        ([_theme("a"), _theme("a")], "duplicate theme id 'a'"),
        ([_theme(terms={"kỷ_luật": 0})], "weight of 'kỷ_luật' must be positive"),
        ([_theme(terms={"kỷ_luật": -1.5})], "must be positive"),
        ([_theme(terms={"kỷ_luật": "high"})], "must be a number"),
        ([_theme(terms={})], "terms must be a non-empty"),
        ([_theme("Bad Id")], "snake_case"),
        ([_theme(OTHER)], "reserved"),
        ([_theme(notes="red")], "unknown field.*notes.*a theme has id, terms"),
        ([_theme(colour=None)], "colour None is not a colour.*in quotes"),
        ([_theme(colour="reddish")], "colour 'reddish' is not a colour"),
        ([_theme(label_vi="  ")], "label_vi must be a non-empty string"),
        ([], "non-empty list"),
    ],
)
def test_bad_lexicons_get_clear_errors(entries, message):
    with pytest.raises(LexiconError, match=message):
        lexicon_from_mapping({"themes": entries}, source="test.yaml")


def test_missing_lexicon_file_is_an_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_lexicon(tmp_path / "absent.yaml")


# ---------------------------------------------------------------- matching


def test_phrases_match_as_one_token_or_as_adjacent_tokens_once():
    terms = {"tự_phê_bình": 3, "phê_bình": 2, "kỷ_luật": 1}
    assert match_terms(["tự", "phê_bình", "và", "phê_bình"], terms) == ["tự_phê_bình", "phê_bình"]
    assert match_terms(["tự_phê_bình", "kỷ_luật"], terms) == ["tự_phê_bình", "kỷ_luật"]
    assert match_terms(["cán_bộ"], terms) == []
    # a run may start with a token that is itself several syllables of the term
    long = {"tự_phê_bình_và_phê_bình": 3, "phê_bình": 2}
    assert match_terms(["tự_phê", "bình", "và", "phê_bình"], long) == ["tự_phê_bình_và_phê_bình"]
    assert match_terms(["x", "tự_phê_bình", "và", "phê_bình"], long) == ["tự_phê_bình_và_phê_bình"]


def test_text_matching_respects_syllable_boundaries_and_tone_convention():
    assert find_terms_in_text("Xử lý KỶ LUẬT khiển trách", ["kỷ_luật", "khiển_trách"]) == [
        "kỷ_luật",
        "khiển_trách",
    ]
    assert find_terms_in_text("hướng dẫn", ["dân"]) == []
    # new-style tone placement in the text still matches the old-style term
    assert find_terms_in_text("Đảng uỷ huyện", ["ủy"]) == ["ủy"]


# ---------------------------------------------------------------- topics -> themes


def _lexicon():
    return lexicon_from_mapping(
        {
            "themes": [
                _theme("discipline", terms={"kỷ_luật": 2, "khiển_trách": 1}),
                _theme("rotation", terms={"luân_chuyển": 2, "bổ_nhiệm": 1}),
            ]
        }
    )


VOCAB = ["bổ_nhiệm", "cán_bộ", "khiển_trách", "kinh_tế", "kỷ_luật", "luân_chuyển"]


def _result(model: str = "lda") -> TopicResult:
    topic_word = np.array(
        [
            [0.00, 0.30, 0.30, 0.00, 0.40, 0.00],  # discipline
            [0.30, 0.30, 0.00, 0.00, 0.00, 0.40],  # rotation
            [0.00, 0.40, 0.00, 0.60, 0.00, 0.00],  # economy: no theme
        ]
    )
    doc_topic = np.array(
        [[0.8, 0.1, 0.1], [0.1, 0.8, 0.1], [0.1, 0.1, 0.8], [0.4, 0.4, 0.2]],
    )
    return TopicResult(
        topic_word, doc_topic, VOCAB, ["d1:p0", "d1:p1", "d2:p0", "d3:p0"], model, seed=0
    )


UNITS = pd.DataFrame(
    {
        "unit_id": ["d1:p0", "d1:p1", "d2:p0", "d3:p0"],
        "doc_id": ["d1", "d1", "d2", "d3"],
        "unit_index": [0, 1, 0, 0],
        "locality": ["A", "A", "B", "B"],
        "year": pd.array([2019, 2019, 2020, pd.NA], dtype="Int64"),
        "n_tokens": [30, 10, 20, 20],
        "text": [
            "xử lý kỷ luật khiển trách",
            "luân chuyển cán bộ",
            "phát triển kinh tế",
            "kỷ luật và luân chuyển",
        ],
    }
)


def test_label_topics_scores_every_theme_and_leaves_unmatched_topics_as_other():
    labels = label_topics(_result(), _lexicon())
    assert list(labels.columns[:7]) == [
        "model",
        "topic",
        "top_terms",
        "theme",
        "theme_score",
        "lift",
        "confidence",
    ]
    assert labels["theme"].tolist() == ["discipline", "rotation", OTHER]
    assert labels.loc[0, "discipline"] == pytest.approx(2 * 0.4 + 1 * 0.3)
    assert labels.loc[2, "confidence"] == 0.0
    assert labels.loc[0, "top_terms"].split()[0] == "kỷ_luật"
    assert labels["confidence"].between(0, 1).all()


def test_theme_shares_per_unit_and_per_document():
    units = theme_shares(_result(), _lexicon(), UNITS)
    assert units[["discipline", "rotation", OTHER]].sum(axis=1).to_numpy() == pytest.approx(1.0)
    assert units.loc[0, "discipline"] == pytest.approx(0.8)
    assert {"unit_id", "doc_id", "locality", "year", "model", "n_tokens", "weight"} <= set(
        units.columns
    )
    docs = theme_shares(_result(), _lexicon(), UNITS, level="document")
    d1 = docs.set_index("doc_id").loc["d1"]
    # token-weighted: 30 tokens at 0.8 and 10 tokens at 0.1
    assert d1["discipline"] == pytest.approx((30 * 0.8 + 10 * 0.1) / 40)
    assert d1["n_units"] == 2 and d1["n_tokens"] == 40


def _rows_in_order(result: TopicResult, order: list[int]) -> TopicResult:
    """``result`` with its doc-topic rows (and their unit ids) taken in ``order``."""
    return TopicResult(
        result.topic_word,
        result.doc_topic[order],
        VOCAB,
        [result.unit_ids[i] for i in order],
        result.model,
        seed=0,
    )


def test_theme_shares_do_not_depend_on_the_order_of_the_models_rows():
    # a run's fits hold the units' ids in order (the rows are taken as they are); any other
    # order, or a model that saw only some units, is looked up by id: the same shares
    in_order = theme_shares(_result(), _lexicon(), UNITS)
    # d3:p0, d1:p0, d2:p0: another order, and without d1:p1
    looked_up = theme_shares(_rows_in_order(_result(), [3, 0, 2]), _lexicon(), UNITS)
    assert list(looked_up.columns) == list(in_order.columns)
    assert looked_up["unit_id"].tolist() == ["d3:p0", "d1:p0", "d2:p0"]
    expected = in_order.set_index("unit_id").loc[looked_up["unit_id"]].reset_index()
    pd.testing.assert_frame_equal(looked_up, expected)


def test_document_topics_do_not_depend_on_the_order_of_the_models_rows():
    from scipy import sparse

    from topiclab.tables import document_topics_table

    bow = sparse.csr_matrix(np.array([[3, 0], [1, 0], [2, 0], [0, 2]]))
    pd.testing.assert_frame_equal(
        document_topics_table({"lda": _result()}, UNITS, bow),
        document_topics_table({"lda": _rows_in_order(_result(), [2, 0, 3, 1])}, UNITS, bow),
    )


def test_theme_shares_of_a_model_fitted_without_unit_ids_says_to_pass_them():
    from topiclab import LDA
    from topiclab.vectorize import vectorize

    tokens = [text.split() for text in UNITS["text"]]
    vc = vectorize(tokens, no_below=1, no_above=1.0)
    model = LDA(2, random_state=1, passes=2).fit(vc.bow, vocab=vc.vocab)  # rows "0", "1", ...
    with pytest.raises(ValueError, match=r"not in units.*unit_ids=units\['unit_id'\]"):
        theme_shares(model.result_, _lexicon(), UNITS)
    fitted = LDA(2, random_state=1, passes=2).fit(vc.bow, vocab=vc.vocab, unit_ids=UNITS["unit_id"])
    assert theme_shares(fitted.result_, _lexicon(), UNITS)["unit_id"].tolist() == list(
        UNITS["unit_id"]
    )


def test_lexicon_shares_count_unmatched_tokens_as_other():
    tokens = [["xử_lý", "kỷ_luật", "khiển_trách"], ["luân_chuyển", "cán_bộ"], ["kinh_tế"], []]
    units = lexicon_shares(tokens, _lexicon(), UNITS)
    assert units["n_hits"].tolist() == [2, 1, 0, 0]
    # kỷ_luật counts fully (the theme's heaviest term), khiển_trách half (weight 1 of 2);
    # xử_lý matches no theme and is other, not renormalised away
    assert units.loc[0, "discipline"] == pytest.approx(1.5 / 3)
    assert units.loc[0, OTHER] == pytest.approx(1.5 / 3)
    assert units.loc[1, "rotation"] == pytest.approx(1 / 2) and units.loc[1, OTHER] == 0.5
    assert units.loc[2, OTHER] == 1.0 and units.loc[2, "discipline"] == 0.0
    shares = units[["discipline", "rotation", OTHER]].sum(axis=1)
    assert shares.to_numpy() == pytest.approx(1.0)
    # a unit weighs its tokens in its document: d1 is 1.5 discipline tokens of 5
    assert units["weight"].tolist() == [3, 2, 1, 0]
    docs = document_shares(units).set_index("doc_id")
    assert docs.loc["d1", "discipline"] == pytest.approx(1.5 / 5)
    assert docs.loc["d1", "rotation"] == pytest.approx(1 / 5)
    assert docs.loc["d1", OTHER] == pytest.approx(2.5 / 5)
    assert docs.loc["d2", OTHER] == 1.0
    with pytest.raises(ValueError, match="token lists"):
        lexicon_shares(tokens[:2], _lexicon(), UNITS)


def test_lexicon_shares_of_a_unit_that_mentions_one_theme_once_are_mostly_other():
    # before, the unit's shares were renormalised over the themes it mentions: one
    # "kỷ luật" in a football report made the whole paragraph party discipline
    tokens = [["đội", "bóng", "kỷ_luật", "trận", "thắng", "bàn", "thủ_môn", "hiệp"], [], [], []]
    units = lexicon_shares(tokens, _lexicon(), UNITS)
    assert units.loc[0, "discipline"] == pytest.approx(1 / 8)
    assert units.loc[0, OTHER] == pytest.approx(7 / 8)


# ---------------------------------------------------------------- compare


def _synthetic_documents(n_per_group: dict[str, int], seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for group, n in n_per_group.items():
        for i in range(n):
            value = rng.beta(2, 5)
            rows.append(
                {
                    "doc_id": f"{group}{i}",
                    "locality": group,
                    "year": 2015 + i % 3,
                    "model": "lda",
                    "weight": 1.0,
                    "x": value,
                    OTHER: 1 - value,
                }
            )
    return pd.DataFrame(rows)


def test_compare_intervals_contain_the_mean_and_widen_as_groups_shrink():
    shares = _synthetic_documents({"big": 200, "mid": 30, "small": 8, "one": 1})
    table = compare(shares, by="locality", n_boot=500, random_state=3)
    assert list(table.columns) == [
        "model",
        "locality",
        "theme",
        "mean",
        "lower",
        "upper",
        "n",
        "too_small",
    ]
    x = table[table["theme"] == "x"].set_index("locality")
    observed = shares.groupby("locality")["x"].mean()
    for group in ("big", "mid", "small"):
        assert x.loc[group, "lower"] <= x.loc[group, "mean"] <= x.loc[group, "upper"]
        assert x.loc[group, "mean"] == pytest.approx(observed[group])
    width = x["upper"] - x["lower"]
    assert width["big"] < width["mid"] < width["small"]
    assert x.loc["one", "too_small"] and np.isnan(x.loc["one", "lower"])
    assert not x.loc["big", "too_small"]
    assert x.loc["big", "n"] == 200


def test_compare_gives_groups_below_min_group_size_a_mean_but_no_interval():
    from topiclab.themes.comparison import MIN_GROUP_SIZE

    below, at = MIN_GROUP_SIZE - 1, MIN_GROUP_SIZE
    shares = _synthetic_documents({"below": below, "at": at})
    table = compare(shares, by="locality", n_boot=200, random_state=0)
    x = table[table["theme"] == "x"].set_index("locality")
    assert x.loc["below", "too_small"] and not x.loc["at", "too_small"]
    assert np.isnan(x.loc["below", ["lower", "upper"]].astype(float)).all()
    assert x.loc["below", "n"] == below and np.isfinite(x.loc["below", "mean"])
    assert x.loc["at", "lower"] < x.loc["at", "mean"] < x.loc["at", "upper"]
    # the threshold is a setting: a smaller one gives the small group its interval again
    loose = compare(shares, by="locality", n_boot=200, random_state=0, min_group_size=2)
    assert not loose["too_small"].any() and loose["lower"].notna().all()


def test_the_default_min_group_size_is_the_same_in_code_config_and_settings():
    from topiclab.config import default_config
    from topiclab.settings import ThemeSettings
    from topiclab.themes.comparison import MIN_GROUP_SIZE

    assert default_config()["themes"]["min_group_size"] == MIN_GROUP_SIZE
    assert ThemeSettings().min_group_size == MIN_GROUP_SIZE


def test_every_group_size_that_gets_an_interval_covers_at_least_90_percent_in_simulation():
    from topiclab.themes.comparison import (
        GROUP_SIZES,
        MIN_GROUP_SIZE,
        group_size_coverage,
        smallest_covered_size,
    )

    # oracle Dirichlet shares of the simulation, no model fit: 600 groups of each size,
    # five themes each; the Monte Carlo SE of a coverage near 0.92 is about 0.006
    sizes = [4, *(n for n in GROUP_SIZES if n >= MIN_GROUP_SIZE)]
    table = group_size_coverage(sizes, groups=600, n_boot=400, random_state=1).set_index("n")
    print(table)
    given = table.loc[[n for n in sizes if n >= MIN_GROUP_SIZE]]
    assert (given["coverage"] >= 0.90).all(), given
    assert smallest_covered_size(table.reset_index()) == MIN_GROUP_SIZE
    # the old threshold of 3 handed out intervals that cover 85% of the time or less
    assert table.loc[4, "coverage"] < 0.87


def test_year_panels_draw_the_groups_compare_flags_too_small_hollow_and_unjoined():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from topiclab.plotting import plot_prevalence_by_year

    # 2016 and 2018 have many documents, 2017 two: compare flags it, the figure keys on it
    rows = []
    for year, n in ((2016, 12), (2017, 2), (2018, 12)):
        part = _synthetic_documents({"a": n}, seed=year)
        rows.append(part.assign(year=year, doc_id=part["doc_id"] + str(year)))
    table = compare(pd.concat(rows, ignore_index=True), by="year", n_boot=100, random_state=0)
    table = table[table["theme"] == "x"]
    small = table.set_index("year").loc[2017]
    assert small["too_small"] and np.isnan(small["lower"])
    fig = plt.figure()
    (ax,) = plot_prevalence_by_year(table, fig, themes=["x"])
    markers = [line for line in ax.get_lines() if line.get_marker() not in ("None", "", "_")]
    hollow = [line for line in markers if line.get_markerfacecolor() == "white"]
    assert [round(float(x)) for line in hollow for x in line.get_xdata()] == [2017]
    joined = [line for line in ax.get_lines() if line.get_linestyle() not in ("None", "")]
    for line in joined:  # the line is broken (NaN) at the small year
        y = np.asarray(line.get_ydata(), dtype=float)
        x = np.round(np.asarray(line.get_xdata(), dtype=float))
        assert np.isnan(y[x == 2017]).all()
    plt.close(fig)


def test_compare_is_seeded_and_takes_several_columns():
    shares = _synthetic_documents({"a": 20, "b": 20})
    first = compare(shares, by=["locality", "year"], n_boot=200, random_state=7)
    second = compare(shares, by=["locality", "year"], n_boot=200, random_state=7)
    pd.testing.assert_frame_equal(first, second)
    assert {"locality", "year"} <= set(first.columns)
    # a group's interval does not depend on which other groups are present
    alone = compare(shares[shares["locality"] == "a"], by="locality", n_boot=200, random_state=7)
    both = compare(shares, by="locality", n_boot=200, random_state=7)
    pd.testing.assert_frame_equal(alone, both[both["locality"] == "a"].reset_index(drop=True))


def test_compare_aggregates_units_to_documents_and_reports_missing_groups(caplog):
    units = theme_shares(_result(), _lexicon(), UNITS)
    table = compare(units, by="year", n_boot=100, random_state=0)
    # d3 has no year: left out, and the log says so
    assert set(table["year"].astype(int)) == {2019, 2020}
    assert "left out" in caplog.text
    assert table["n"].max() == 1
    with pytest.raises(KeyError, match="no column"):
        compare(units, by="district")
    # ingestion leaves an unknown locality blank: that is no group either
    blank = units.assign(locality=units["locality"].where(units["doc_id"] != "d2", ""))
    by_locality = compare(blank, by="locality", n_boot=100, random_state=0)
    assert set(by_locality["locality"]) == {"A", "B"}
    assert by_locality.loc[by_locality["locality"] == "B", "n"].max() == 1
    shown = exemplars(blank, UNITS, "rotation", by="locality", n=1, lexicon=_lexicon())
    assert "" not in set(shown["locality"])


def test_compare_with_refits_resamples_over_them():
    shares = _synthetic_documents({"a": 15})
    shifted = shares.assign(x=shares["x"] + 0.2, replicate=1)
    stacked = pd.concat([shares.assign(replicate=0), shifted], ignore_index=True)
    single = compare(shares, by="locality", n_boot=400, random_state=1)
    refits = compare(stacked, by="locality", n_boot=400, random_state=1)
    x1 = single[single["theme"] == "x"].iloc[0]
    x2 = refits[refits["theme"] == "x"].iloc[0]
    assert x2["mean"] == pytest.approx(x1["mean"] + 0.1)
    assert x2["n"] == 15
    assert (x2["upper"] - x2["lower"]) > (x1["upper"] - x1["lower"])


# ---------------------------------------------------------------- exemplars, agreement


def test_exemplars_contain_an_indicator_term_and_rank_by_share():
    shares = theme_shares(_result(), _lexicon(), UNITS)
    best = exemplars(shares, UNITS, "discipline", n=5, lexicon=_lexicon())
    # d2:p0 has no discipline term and is never shown, whatever its share
    assert "d2:p0" not in best["unit_id"].tolist()
    assert best["unit_id"].tolist() == ["d1:p0", "d3:p0"]
    assert best["rank"].tolist() == [1, 2]
    assert (best["indicator_terms"] != "").all()
    per_group = exemplars(shares, UNITS, "rotation", by="locality", n=1, lexicon=_lexicon())
    assert per_group["locality"].tolist() == ["A", "B"]
    assert list(per_group.columns[:3]) == ["model", "theme", "locality"]


def test_exemplars_stop_early_but_pick_what_a_full_scan_picks():
    # many units with shuffled shares; only every third one holds a discipline term
    rng = np.random.default_rng(0)
    n = 300
    units = pd.DataFrame(
        {
            "unit_id": [f"d{i:03d}:p0" for i in range(n)],
            "doc_id": [f"d{i:03d}" for i in range(n)],
            "locality": [f"L{i % 7}" for i in range(n)],
            "text": ["kỷ luật" if i % 3 == 0 else "kinh tế" for i in range(n)],
        }
    )
    tokens = [["kỷ_luật"] if i % 3 == 0 else ["kinh_tế"] for i in range(n)]
    shares = units.drop(columns="text").assign(
        model="lda", discipline=rng.random(n).round(2), rotation=0.0, other=0.0
    )
    for by, k in ((None, 5), ("locality", 2)):
        got = exemplars(shares, units, "discipline", by=by, n=k, lexicon=_lexicon(), tokens=tokens)
        held = shares[[i % 3 == 0 for i in range(n)]].sort_values(
            ["discipline", "unit_id"], ascending=[False, True], kind="stable"
        )
        expected = held.groupby(by, sort=True).head(k) if by else held.head(k)
        assert sorted(got["unit_id"]) == sorted(expected["unit_id"]), by


def test_agreement_correlates_measures_per_theme():
    lda = theme_shares(_result("lda"), _lexicon(), UNITS)
    nmf = theme_shares(_result("nmf"), _lexicon(), UNITS)
    table = agreement(pd.concat([lda, nmf], ignore_index=True), on="unit_id")
    assert list(table.columns) == ["theme", "model_a", "model_b", "n", "pearson", "spearman"]
    row = table[table["theme"] == "discipline"].iloc[0]
    assert (row["model_a"], row["model_b"], row["n"]) == ("lda", "nmf", 4)
    assert row["pearson"] == pytest.approx(1.0)


# ---------------------------------------------------------------- lexicon vs preprocessing

ISSUE_PHRASES = {
    "cadre_planning": ["quy hoạch", "nguồn cán bộ", "dự nguồn", "cán bộ trẻ", "cán bộ nữ"],
    "cadre_rotation": ["luân chuyển", "điều động", "bổ nhiệm", "bố trí"],
    "political_education": [
        "giáo dục chính trị tư tưởng",
        "lý luận chính trị",
        "học tập và làm theo tư tưởng",
        "đạo đức",
        "phong cách Hồ Chí Minh",
        "Nghị quyết Trung ương 4",
    ],
    "party_discipline": [
        "kỷ luật",
        "khiển trách",
        "cảnh cáo",
        "khai trừ",
        "kiểm tra giám sát",
        "tự phê bình và phê bình",
        "suy thoái",
    ],
    "training": ["đào tạo", "bồi dưỡng", "chuyên môn"],
    "grassroots_organisation": [
        "tổ chức cơ sở đảng",
        "chi bộ",
        "sinh hoạt",
        "trong sạch vững mạnh",
    ],
    "party_congress": ["đại hội", "nhiệm kỳ", "nhân sự"],
    "socioeconomic_development": ["kinh tế", "nông thôn mới", "thu nhập", "hạ tầng"],
    "mass_mobilisation": ["Mặt trận Tổ quốc", "đoàn thể", "nhân dân"],
}


@pytest.fixture(scope="module")
def preprocessor():
    from topiclab.preprocess import Preprocessor

    return Preprocessor()


@pytest.mark.parametrize("theme_id", sorted(ISSUE_PHRASES))
def test_issue_phrases_survive_preprocessing_as_lexicon_terms(preprocessor, theme_id):
    terms = load_lexicon()[theme_id].terms
    for phrase in ISSUE_PHRASES[theme_id]:
        tokens = preprocessor.transform_one(f"Các đồng chí bàn về {phrase} ở địa phương.")
        assert match_terms(tokens, terms), (phrase, tokens)


@pytest.mark.parametrize("phrase", ["dự nguồn", "nguồn cán bộ"])
def test_source_of_cadres_phrases_survive_preprocessing(preprocessor, phrase):
    tokens = preprocessor.transform_one(f"Các đồng chí bàn về {phrase} ở địa phương.")
    assert match_terms(tokens, load_lexicon()["cadre_planning"].terms), tokens
