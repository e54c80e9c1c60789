"""Plot functions: drawn from small tables shaped like the analysis tables.

The tests look at the figure objects (panels, bars, labels, theme order, colours), not
at pixels.
"""

from __future__ import annotations

import itertools
import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib import colors as mcolors
from matplotlib.collections import LineCollection

from topiclab.plotting import (
    OTHER,
    THEME_COLORS,
    THEME_ORDER,
    order_themes,
    paper_style,
    plot_agreement,
    plot_alignment,
    plot_corpus_overview,
    plot_model_selection,
    plot_prevalence_by_locality,
    plot_prevalence_by_year,
    plot_top_terms,
    theme_color,
    theme_colors,
    theme_labels,
)
from topiclab.themes import load_lexicon

LOCALITIES = ["Thái Thụy", "Nam Đông", "Hát Lót", "Đồng Mỏ", "Thường Tín"]
THEMES = ["party_discipline", "cadre_planning", "cadre_rotation", OTHER]


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _prevalence(by: str, groups: list, models=("lda", "nmf", "lexicon")) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    rows = []
    for model in models:
        for group in groups:
            for theme in THEMES:
                mean = float(rng.uniform(0.05, 0.4))
                n = 1 if group == groups[-1] else 12
                rows.append(
                    {
                        "model": model,
                        by: group,
                        "theme": theme,
                        "mean": mean,
                        "lower": mean - 0.03,
                        "upper": mean + 0.05,
                        "n": n,
                        "too_small": n < 3,
                    }
                )
    return pd.DataFrame(rows)


def _terms(model: str, k: int = 5, n: int = 10) -> pd.DataFrame:
    vocab = ["cán_bộ", "kỷ_luật", "quy_hoạch", "luân_chuyển", "đảng_viên", "chi_bộ"]
    rows = [
        {"model": model, "topic": t, "rank": r, "term": f"{vocab[r % 6]}_{t}", "weight": 1 / r}
        for t in range(k)
        for r in range(1, n + 1)
    ]
    return pd.DataFrame(rows)


def _topics(model: str, k: int = 5) -> pd.DataFrame:
    themes = ["party_discipline", "cadre_planning", "cadre_rotation", OTHER, "training"]
    return pd.DataFrame(
        {"model": model, "topic": range(k), "theme": [themes[t % 5] for t in range(k)]}
    )


def _draw_without_missing_glyphs(fig) -> None:
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*[Gg]lyph.*missing.*")
        fig.canvas.draw()


def test_palette_gives_every_shipped_theme_its_own_colour():
    assert set(THEME_ORDER) | {OTHER} == set(THEME_COLORS)
    assert len(set(THEME_COLORS.values())) == len(THEME_COLORS)
    assert theme_color("my_new_theme") == theme_color("my_new_theme")
    assert order_themes(["zeta", OTHER, "party_discipline", "cadre_planning"]) == [
        "cadre_planning",
        "party_discipline",
        "zeta",
        OTHER,
    ]


LEXICON = load_lexicon()
EN = LEXICON.labels("en")
VI = LEXICON.labels("vi")
# the figures take labels, order and colours from the lexicon, passed in as a mapping
EN_LABELS = theme_labels("en", LEXICON)
VI_LABELS = theme_labels("vi", LEXICON)


def test_labels_are_english_by_default_and_vietnamese_on_request():
    assert theme_labels("en", LEXICON)["party_discipline"] == EN["party_discipline"]
    assert theme_labels("vi", LEXICON)["party_discipline"] == VI["party_discipline"]
    assert theme_labels("vi")[OTHER] == "Khác"
    # plotting knows no lexicon of its own: without one, an id is shown in sentence case
    assert theme_labels("en", themes=["party_discipline"])["party_discipline"] == "Party discipline"
    assert theme_labels("en", {"party_discipline": "Discipline"})["party_discipline"] == (
        "Discipline"
    )
    with pytest.raises(ValueError, match="language"):
        theme_labels("fr")


def test_locality_heatmap_has_groups_as_rows_and_themes_in_lexicon_order():
    table = _prevalence("locality", LOCALITIES)
    with paper_style():
        fig, ax = plt.subplots()
        returned = plot_prevalence_by_locality(table, ax, model="lda", labels=EN_LABELS)
    assert returned is ax
    xlabels = [t.get_text() for t in ax.get_xticklabels()]
    assert xlabels == [EN["cadre_planning"], EN["cadre_rotation"], EN["party_discipline"], "Other"]
    assert [t.get_text() for t in ax.get_yticklabels()] == sorted(LOCALITIES)
    image = ax.get_images()[0].get_array()
    assert image.shape == (5, 4)
    lda = table[table["model"] == "lda"].set_index(["locality", "theme"])
    assert image[0, 2] == pytest.approx(
        lda.loc[(sorted(LOCALITIES)[0], "party_discipline"), "mean"]
    )
    # every cell carries its interval; the too-small group says how small it is
    texts = [t.get_text() for t in ax.texts]
    assert len(texts) == 20
    assert all("[" in t for t in texts)
    assert sum("n=1" in t for t in texts) == 4
    strip = [p.get_facecolor() for p in ax.patches if not p.get_clip_on()]
    assert [mcolors.to_hex(c) for c in strip] == [
        theme_color(t) for t in ["cadre_planning", "cadre_rotation", "party_discipline", OTHER]
    ]
    _draw_without_missing_glyphs(fig)


def test_locality_heatmap_draws_the_largest_groups_of_a_national_corpus():
    table = _prevalence("locality", [f"Xã {i:03d}" for i in range(200)], models=("lda",))
    sizes = {f"Xã {i:03d}": 200 - i if i % 2 else 1 for i in range(200)}
    table["n"] = table["locality"].map(sizes)
    with paper_style():
        fig, ax = plt.subplots()
        plot_prevalence_by_locality(table, ax, model="lda", max_groups=30)
    rows = [t.get_text() for t in ax.get_yticklabels()]
    assert rows == sorted(f"Xã {i:03d}" for i in range(1, 60, 2))
    assert "the 30 largest of 200" in ax.get_title()
    plt.close(fig)


def test_locality_heatmap_asks_for_a_model_when_the_table_has_several():
    with pytest.raises(ValueError, match="model="):
        plot_prevalence_by_locality(_prevalence("locality", LOCALITIES))
    with pytest.raises(ValueError, match="needs columns"):
        plot_prevalence_by_locality(pd.DataFrame({"locality": ["x"]}))


def test_locality_heatmap_renders_vietnamese_labels():
    with paper_style():
        fig, ax = plt.subplots()
        plot_prevalence_by_locality(
            _prevalence("locality", LOCALITIES), ax, model="nmf", language="vi", labels=VI_LABELS
        )
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels[2] == VI["party_discipline"]
    assert "Đồng Mỏ" in [t.get_text() for t in ax.get_yticklabels()]
    _draw_without_missing_glyphs(fig)


def test_year_panels_one_per_theme_with_a_line_per_model():
    table = _prevalence("year", [2015, 2018, 2019, 2020])
    with paper_style():
        fig = plt.figure(figsize=(7, 5))
        axes = plot_prevalence_by_year(table, fig, labels=EN_LABELS)
    assert len(axes) == len(THEMES)
    assert len(fig.axes) == len(THEMES)
    assert [ax.get_title().replace("\n", " ") for ax in axes] == [
        EN["cadre_planning"],
        EN["cadre_rotation"],
        EN["party_discipline"],
        "Other",
    ]
    first = axes[0]
    lines = [line for line in first.get_lines() if line.get_linestyle() != "None"]
    assert len(lines) == 3
    assert all(mcolors.to_hex(line.get_color()) == theme_color("cadre_planning") for line in lines)
    bottom = axes[-1]
    assert [t.get_text() for t in bottom.get_xticklabels()] == ["2015", "2018", "2019", "2020"]
    assert bottom.get_xlabel() == "Year"
    legend_texts = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend_texts == ["LDA", "NMF", "Dictionary", "Too few documents"]
    _draw_without_missing_glyphs(fig)


def test_year_panels_hold_a_one_document_mean_above_every_interval():
    table = _prevalence("year", [2015, 2018, 2019, 2020])
    # 2020 is the one-document year of _prevalence: a mean with no interval
    lone = (table["year"] == 2020) & (table["theme"] == "party_discipline")
    table.loc[lone, ["mean", "lower", "upper"]] = [0.9, np.nan, np.nan]
    with paper_style():
        fig = plt.figure(figsize=(7, 5))
        axes = plot_prevalence_by_year(table, fig)
    assert axes[0].get_ylim()[1] >= 0.9
    plt.close(fig)


def test_year_panels_draw_markers_above_bars_and_join_no_small_group_by_a_line():
    table = _prevalence("year", [2015, 2018, 2019, 2020])
    # a small group in the middle: 2018 has one document, its neighbours twelve
    middle = table["year"] == 2018
    table.loc[middle, ["n", "too_small"]] = [1, True]
    table.loc[table["year"] == 2020, ["n", "too_small"]] = [12, False]
    with paper_style():
        fig = plt.figure(figsize=(7, 5))
        axes = plot_prevalence_by_year(table, fig)
    for ax in axes:
        bars = [c for c in ax.collections if isinstance(c, LineCollection)]
        # the caps of the bars are markers too ("_"): only the measures' markers count
        markers = [line for line in ax.get_lines() if line.get_marker() in ("o", "s", "^")]
        hollow = [line for line in markers if line.get_markerfacecolor() == "white"]
        assert bars and len(hollow) == 3  # one hollow point per measure
        assert min(m.get_zorder() for m in markers) > max(b.get_zorder() for b in bars)
        hollow_x = {float(x) for line in hollow for x in line.get_xdata()}
        assert {round(x) for x in hollow_x} == {2018}
        lines = [line for line in ax.get_lines() if line.get_linestyle() not in ("None", "")]
        assert len(lines) == 3
        for line in lines:
            xs = np.asarray(line.get_xdata(), dtype=float)
            ys = np.asarray(line.get_ydata(), dtype=float)
            # a segment is drawn between neighbours only when both ends are finite
            assert not any(x in hollow_x and np.isfinite(y) for x, y in zip(xs, ys, strict=True))
            assert np.isfinite(ys).sum() == 3
    legend_texts = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend_texts[-1] == "Too few documents"


def test_year_panels_keep_rows_without_a_year_out_and_say_when_nothing_is_left():
    table = _prevalence("year", [2019, 2020]).astype({"year": "Int64"})
    table.loc[0, "year"] = pd.NA
    axes = plot_prevalence_by_year(table, plt.figure(), models=["lda"])
    assert len(axes) == 4
    empty = table.assign(year=pd.array([pd.NA] * len(table), dtype="Int64"))
    with pytest.raises(ValueError, match="known year"):
        plot_prevalence_by_year(empty, plt.figure())


def test_top_terms_one_panel_per_topic_titled_with_theme_labels():
    terms = pd.concat([_terms("lda"), _terms("nmf", k=3)])
    topics = pd.concat([_topics("lda"), _topics("nmf", k=3)])
    with paper_style():
        fig = plt.figure(figsize=(8, 5))
        axes = plot_top_terms(
            terms,
            fig,
            topics=topics,
            model="lda",
            n_terms=6,
            language="vi",
            title_width=80,
            labels=VI_LABELS,
        )
    assert len(axes) == 5
    assert [ax.get_title() for ax in axes] == [
        f"0: {VI['party_discipline']}",
        f"1: {VI['cadre_planning']}",
        f"2: {VI['cadre_rotation']}",
        "3: Khác",
        f"4: {VI['training']}",
    ]
    bars = axes[0].patches
    assert len(bars) == 6
    assert mcolors.to_hex(bars[0].get_facecolor()) == theme_color("party_discipline")
    # best term on top, shown as words rather than underscore-joined tokens
    assert axes[0].get_yticklabels()[0].get_text() == "kỷ luật 0"
    assert axes[0].yaxis_inverted()
    _draw_without_missing_glyphs(fig)


def test_model_selection_one_panel_per_metric_and_a_line_per_model():
    rows = [
        {
            "model": model,
            "k": k,
            "c_v": 0.4 + k / 100,
            "c_npmi": 0.01 * k,
            "u_mass": -1.0,
            "diversity": 0.9 - k / 50,
            "stability": np.nan if model == "nmf" and k == 10 else 0.7,
        }
        for model in ("lda", "nmf")
        for k in (4, 6, 8, 10)
    ]
    table = pd.DataFrame(rows)
    with paper_style():
        fig = plt.figure()
        axes = plot_model_selection(table, fig, chosen={"lda": 6})
    assert len(axes) == 4
    assert axes[0].get_ylabel() == "Coherence $C_V$"
    lines = axes[0].get_lines()
    assert len(lines) == 3  # two models and the ring on LDA's chosen K
    assert list(lines[0].get_xdata()) == [4, 6, 8, 10]
    assert [t.get_text() for t in axes[0].get_legend().get_texts()] == ["LDA", "NMF"]


def test_model_selection_says_when_a_metric_was_not_computed():
    table = pd.DataFrame(
        {"model": "lda", "k": [4, 6], "c_v": [0.3, 0.4], "c_npmi": [0.0, 0.1]}
        | {"diversity": [0.9, 0.8], "stability": [np.nan, np.nan]}
    )
    axes = plot_model_selection(table, plt.figure())
    assert [t.get_text() for t in axes[3].texts] == ["not computed"]


def test_alignment_matrix_outlines_matches_and_labels_topics():
    pairs = [
        {"topic_a": a, "topic_b": b, "similarity": 0.9 if a == b else 0.1, "matched": a == b}
        for a in range(5)
        for b in range(3)
    ]
    table = pd.DataFrame(pairs)
    topics = pd.concat([_topics("lda"), _topics("nmf", k=3)])
    with paper_style():
        fig, ax = plt.subplots()
        plot_alignment(table, ax, topics=topics, labels=EN_LABELS)
    assert ax.get_images()[0].get_array().shape == (5, 3)
    outlined = [p for p in ax.patches if not p.get_fill()]
    assert len(outlined) == 3
    assert ax.get_yticklabels()[0].get_text() == f"0 · {EN['party_discipline']}"
    assert ax.get_xlabel() == "NMF topic"
    assert len(ax.texts) == 15
    _draw_without_missing_glyphs(fig)


def test_agreement_rows_are_themes_and_markers_are_pairs():
    rows = [
        {"theme": theme, "model_a": a, "model_b": b, "n": 5, "pearson": 0.5, "spearman": 0.4}
        for theme in ("party_discipline", "cadre_planning", "training")
        for a, b in (("lda", "lexicon"), ("nmf", "lexicon"), ("lda", "nmf"))
    ]
    with paper_style():
        fig, ax = plt.subplots()
        plot_agreement(pd.DataFrame(rows), ax, labels=EN_LABELS)
    _draw_without_missing_glyphs(fig)
    assert [t.get_text() for t in ax.get_yticklabels()] == [
        EN["cadre_planning"],
        EN["party_discipline"],
        EN["training"],
    ]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "LDA – Dictionary",
        "LDA – NMF",
        "NMF – Dictionary",
    ]
    with pytest.raises(ValueError, match="correlation column"):
        plot_agreement(pd.DataFrame(rows).drop(columns=["pearson", "spearman"]))


def test_corpus_overview_counts_documents_and_units_and_keeps_unknown_years():
    documents = pd.DataFrame(
        {
            "doc_id": ["a", "b", "c"],
            "locality": ["Nam Đông", "Thái Thụy", "Nam Đông"],
            "year": pd.array([2015, pd.NA, 2020], dtype="Int64"),
        }
    )
    units = pd.DataFrame(
        {
            "unit_id": ["a:p1", "a:p2", "b:p1", "c:p1", "c:p2", "c:p3"],
            "doc_id": ["a", "a", "b", "c", "c", "c"],
            "text": ["một hai ba", "bốn năm", "sáu", "bảy tám chín mười", "x", "y z"],
        }
    )
    with paper_style():
        fig = plt.figure(figsize=(8, 3))
        axes = plot_corpus_overview(documents, units, fig)
    assert len(axes) == 3
    by_locality, by_year, lengths = axes
    assert [t.get_text() for t in by_locality.get_yticklabels()] == ["Nam Đông", "Thái Thụy"]
    widths = [p.get_width() for p in by_locality.patches]
    assert widths == [2, 1, 5, 1]  # documents then units, per locality
    assert [t.get_text() for t in by_year.get_yticklabels()] == ["2015", "2020", "unknown"]
    assert sum(p.get_height() for p in lengths.patches) == 6
    _draw_without_missing_glyphs(fig)


def test_corpus_overview_folds_small_localities_into_one_bar_and_counts_every_document():
    sizes = {"Quận 1": 5, "Hà Nội": 4, "Huế": 3, "Vinh": 1, "Sa Pa": 1, "": 2}
    localities = [name for name, size in sizes.items() for _ in range(size)]
    documents = pd.DataFrame(
        {"doc_id": [f"d{i}" for i in range(len(localities))], "locality": localities}
    ).assign(year=2019)
    units = documents[["doc_id"]].assign(unit_id=lambda f: f["doc_id"] + ":p0", n_tokens=50)
    with paper_style():
        fig = plt.figure(figsize=(8, 3))
        by_locality = plot_corpus_overview(documents, units, fig, max_localities=2)[0]
    rows = [t.get_text() for t in by_locality.get_yticklabels()]
    assert rows == ["Hà Nội", "Quận 1", "3 others"]
    documents_per_row = [p.get_width() for p in by_locality.patches][: len(rows)]
    assert documents_per_row == [4, 5, 5]
    # the two documents with no locality are counted in the axis label instead of a bar
    assert "2 documents (2 units)\nwith no locality" in by_locality.get_xlabel()
    assert sum(documents_per_row) + 2 == len(documents)
    plt.close(fig)


def _overview_tables(n_unknown: int, sizes: dict[str, int], units_per_doc: int = 11):
    localities = [None] * n_unknown + [name for name, size in sizes.items() for _ in range(size)]
    documents = pd.DataFrame(
        {"doc_id": [f"d{i}" for i in range(len(localities))], "locality": localities}
    ).assign(year=2019)
    units = documents[["doc_id"]].loc[documents.index.repeat(units_per_doc)]
    units = units.assign(unit_id=[f"u{i}" for i in range(len(units))], n_tokens=40)
    return documents, units


def test_corpus_overview_counts_unknown_localities_in_words_and_keeps_labels_apart():
    # 222 documents without a locality, as in a corpus with no metadata, and 30 small places
    sizes = {f"Xã {i:02d}": 1 + i % 4 for i in range(30)}
    documents, units = _overview_tables(222, sizes)
    with paper_style():
        fig = plt.figure(figsize=(7.0, 1.0 + 0.2 * 32))
        by_locality = plot_corpus_overview(documents, units, fig, max_localities=30)[0]
    rows = [t.get_text() for t in by_locality.get_yticklabels()]
    assert "unknown" not in rows and len(rows) == 30
    assert "222 documents (2442 units)\nwith no locality" in by_locality.get_xlabel()
    # the scale is set by the real localities (4 documents, 44 units at most), not by 2442
    assert by_locality.get_xlim()[1] < 2 * 44
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    box = by_locality.get_window_extent(renderer)
    labels = [text for text in by_locality.texts if "/" in text.get_text()]
    assert len(labels) == len(rows)  # one label per locality: documents / units
    extents = [text.get_window_extent(renderer) for text in labels]
    for extent in extents:
        assert box.x0 <= extent.x0 and extent.x1 <= box.x1 + 0.5  # inside the panel
    for first, second in itertools.pairwise(extents):
        assert not first.overlaps(second)


def test_corpus_overview_says_when_no_document_has_a_locality():
    documents, units = _overview_tables(5, {}, units_per_doc=2)
    by_locality = plot_corpus_overview(documents, units, plt.figure())[0]
    assert [t.get_text() for t in by_locality.get_yticklabels()] == []
    assert "no document has a locality" in [t.get_text() for t in by_locality.texts]
    assert "5 documents (10 units)" in by_locality.get_xlabel()


def test_agreement_shows_an_uncomputable_correlation_instead_of_dropping_it():
    table = pd.DataFrame(
        {
            "theme": ["party_discipline", "training"],
            "model_a": "lda",
            "model_b": "lexicon",
            "n": 5,
            "pearson": [0.8, np.nan],
            "spearman": [0.7, np.nan],
        }
    )
    ax = plot_agreement(table)
    hollow = [line for line in ax.get_lines() if line.get_markerfacecolor() == "white"]
    assert len(hollow) == 1
    assert list(hollow[0].get_xdata()) == [0.0]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[-1] == "not computable (a measure does not vary)"


def test_locality_heatmap_shows_a_one_document_group_without_an_interval():
    table = _prevalence("locality", LOCALITIES, models=("lda",))
    single = table["locality"] == LOCALITIES[0]
    table.loc[single, ["lower", "upper"]] = np.nan
    ax = plot_prevalence_by_locality(table)
    texts = [t.get_text() for t in ax.texts]
    assert sum("nan" in t for t in texts) == 0
    assert sum("[" not in t for t in texts) == len(THEMES)


CUSTOM_LEXICON = """\
themes:
  - id: sport
    label_en: Sport
    terms: [bóng_đá]
  - id: crime
    label_en: Crime
    terms: [tội_phạm]
  - id: party_discipline
    label_en: Discipline
    terms: [kỷ_luật]
  - id: health
    label_en: Health
    colour: "#123456"
    terms: [y_tế]
"""


def test_a_researchers_lexicon_keeps_its_order_and_distinct_colours_in_the_figures(tmp_path):
    path = tmp_path / "news.yaml"
    path.write_text(CUSTOM_LEXICON, encoding="utf-8")
    lexicon = load_lexicon(path)
    order = ["sport", "crime", "party_discipline", "health"]
    colours = theme_colors(lexicon)
    assert list(colours) == order
    assert len(set(colours.values())) == len(order) and THEME_COLORS[OTHER] not in colours.values()
    # the colours are the lexicon's own: a shipped id without a colour in this lexicon takes
    # a free colour of its palette, not the shipped lexicon's colour from a plotting table
    assert colours == lexicon.colours()
    assert colours["party_discipline"] != THEME_COLORS["party_discipline"]
    assert colours["health"] == "#123456"  # given in the lexicon
    assert theme_color("crime", lexicon) != theme_color("sport", lexicon)
    # the shipped lexicon gives its themes the colours of the committed figures
    assert theme_colors(load_lexicon()) == {t: THEME_COLORS[t] for t in THEME_ORDER}
    assert [t.colour for t in load_lexicon()] == [THEME_COLORS[t] for t in THEME_ORDER]

    # a table that lists its themes alphabetically: the order comes from the lexicon
    rows = [
        {"year": year, "theme": theme, "mean": 0.2, "lower": 0.1, "upper": 0.3, "n": 9}
        for year in (2019, 2020)
        for theme in sorted([*order, OTHER])
    ]
    table = pd.DataFrame(rows).assign(model="lexicon", too_small=False, locality="Huế")
    for language, other in (("en", "Other"), ("vi", "Khác")):
        # no label_vi in the lexicon: Vietnamese figures take the English labels
        labels = theme_labels(language, lexicon)
        axes = plot_prevalence_by_year(table, plt.figure(), labels=labels, language=language)
        titles = [ax.get_title() for ax in axes]
        assert titles == ["Sport", "Crime", "Discipline", "Health", other]
        drawn = [mcolors.to_hex(ax.get_lines()[0].get_color()) for ax in axes[:4]]
        assert drawn == [colours[t] for t in order]
    one_year = table[table["year"] == 2019]
    heatmap = plot_prevalence_by_locality(one_year, labels=theme_labels("en", lexicon))
    columns = [t.get_text() for t in heatmap.get_xticklabels()]
    assert columns == ["Sport", "Crime", "Discipline", "Health", "Other"]
