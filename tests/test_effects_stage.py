"""The theme-effects stage of ``topiclab run``: tables/theme_effects.csv and fig8.

The run-level tests read the session's shared run of the shipped corpus (conftest.py) and run
one small undated corpus from one locality; the rest call the stage's functions on real
fits (gensim through :class:`topiclab.LDA`) or on TopicResult tables built by hand.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import sparse

from topiclab import pipeline
from topiclab.cli import main
from topiclab.figures import FIGURES, read_tables
from topiclab.io import write_table
from topiclab.models import LDA
from topiclab.models.result import TopicResult
from topiclab.themes import lexicon_from_mapping
from topiclab.themes.effects import EFFECT_COLUMNS
from topiclab.themes.effects_run import (
    LDAPosterior,
    alpha_sum,
    resolve_formula,
    theme_effects_table,
)

VOCAB = ["kỷ_luật", "khiển_trách", "cán_bộ", "luân_chuyển", "kinh_tế", "nông_nghiệp"]
FAST = [
    "--k",
    "4",
    "--set",
    "models.lda.passes=2",
    "--set",
    "models.lda.iterations=50",
    "--set",
    "themes.n_boot=20",
    "--set",
    "models.refits=1",
    "--set",
    "themes.effects.draws=5",
    "--set",
    "figures.dpi=40",
    "--set",
    "figures.formats=[png]",
]


def _lexicon():
    return lexicon_from_mapping(
        {
            "themes": [
                {"id": "discipline", "terms": {"kỷ_luật": 3, "khiển_trách": 2}},
                {"id": "cadres", "terms": {"cán_bộ": 2, "luân_chuyển": 3}},
            ]
        }
    )


def _design(n_docs: int = 40, seed: int = 0):
    """Documents of two units each from localities A and B over five years, with LDA-like
    fits whose discipline topic is more present in B and grows over the years."""
    rng = np.random.default_rng(seed)
    doc_ids = [f"d{i:02d}" for i in range(n_docs)]
    documents = pd.DataFrame(
        {
            "doc_id": doc_ids,
            "locality": np.where(np.arange(n_docs) % 2 == 0, "A", "B"),
            "year": 2016 + np.arange(n_docs) % 5,
            "source": "one outlet",  # a column that does not vary
            "text": "",
        }
    )
    units = pd.DataFrame(
        {
            "unit_id": [f"{d}:p{p}" for d in doc_ids for p in range(2)],
            "doc_id": [d for d in doc_ids for _ in range(2)],
        }
    )
    # few tokens a unit: its posterior is wide, as a short paragraph's is
    counts = rng.integers(0, 3, size=(len(units), len(VOCAB)))
    counts[:, 0] += 1
    bow = sparse.csr_matrix(counts)
    topic_word = np.array(
        [
            [0.45, 0.45, 0.02, 0.02, 0.03, 0.03],
            [0.02, 0.02, 0.45, 0.45, 0.03, 0.03],
            [0.03, 0.02, 0.02, 0.03, 0.45, 0.45],
        ]
    )
    fits = []
    for r in range(2):
        b = (documents["locality"] == "B").to_numpy().repeat(2)
        year = (documents["year"].to_numpy() - 2016).repeat(2)
        weight = -1.0 + 1.5 * b + 0.4 * year + rng.normal(0, 0.3, len(units))
        theta = np.column_stack([np.exp(weight), np.ones(len(units)) * 2, np.ones(len(units)) * 3])
        theta /= theta.sum(axis=1, keepdims=True)
        fits.append(
            TopicResult(
                topic_word, theta, VOCAB, units["unit_id"], "lda", params={"alpha": 0.5}, seed=r
            )
        )
    return documents, units, bow, fits


# ------------------------------------------------------------------------------ the run


def test_the_run_writes_theme_effects_for_every_measure(shared_run):
    assert "theme_effects.csv" in pipeline.TABLES
    table = pd.read_csv(shared_run.output / "tables" / "theme_effects.csv")
    assert list(table.columns[: len(EFFECT_COLUMNS)]) == list(EFFECT_COLUMNS)
    assert set(table["model"]) == {"lda", "nmf", "lexicon"}
    # five documents from five localities: C(locality) would leave no degree of freedom,
    # so the default formula keeps the year alone
    assert set(table["covariate"]) == {"year"}
    assert (table["n_documents"] == 5).all()
    assert table[["estimate"]].notna().all().all()
    # five documents are fewer than themes.min_group_size (7): estimates without intervals
    assert table["too_small"].all()
    assert table[["lower", "upper"]].isna().all().all()
    assert table["theme"].nunique() == 10  # nine themes and other
    for fmt in ("pdf", "png"):
        assert (shared_run.output / f"fig8_theme_effects.{fmt}").stat().st_size > 0


def _undated_one_locality(raw_files: list[Path], path: Path) -> Path:
    """The shipped articles as a table from one locality, their dates cut from the text."""
    dates = re.compile(r"\d{1,2}\s*[/.\-]\s*\d{1,2}\s*[/.\-]\s*\d{4}|\d{4}|tháng")
    with path.open("w", encoding="utf-8") as handle:
        for raw in raw_files:
            text = dates.sub(" ", raw.read_text(encoding="utf-8"))
            row = {"id": raw.stem, "text": text, "locality": "Nam Đông"}
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    return path


def test_an_undated_one_locality_corpus_writes_no_effects_and_says_why(raw_files, tmp_path, caplog):
    corpus = _undated_one_locality(raw_files, tmp_path / "one.jsonl")
    output = tmp_path / "out"
    argv = ["run", "--corpus", str(corpus), "--output", str(output), "--models", "nmf"]
    assert main([*argv, "--set", f"cache={tmp_path / 'cache'}", *FAST]) == 0
    documents = pd.read_csv(output / "tables" / "documents.csv")
    assert documents["year"].isna().all() and documents["locality"].nunique() == 1
    text = (output / "tables" / "theme_effects.csv").read_text(encoding="utf-8")
    assert text == ",".join(EFFECT_COLUMNS) + "\n"  # the header, no row
    assert not list(output.glob("fig8_theme_effects.*"))
    readme = (output / "README.md").read_text(encoding="utf-8")
    skipped = dict(re.findall(r"^- `([^`]+)`: (.+)$", readme, re.MULTILINE))
    assert "no term of themes.effects.formula could enter" in skipped["fig8_theme_effects"]
    # the log names each term left out and why, not only that none is left
    (warning,) = [
        r.getMessage() for r in caplog.records if "no term of the formula" in r.getMessage()
    ]
    assert "locality" in warning and "year" in warning
    record = json.loads((output / "run.json").read_text(encoding="utf-8"))
    assert "fig8_theme_effects" in record["figures_not_drawn"]


@pytest.mark.parametrize(
    "setting,expected",
    [
        ("themes.effects.formula=C(locality) + outlet", "names 'outlet', which is not a column"),
        ("themes.effects.formula=year +", "themes.effects.formula: cannot parse"),
        ("themes.effects.draws=0", "themes.effects.draws: expected a whole number"),
        ("themes.effects.family=probit", "themes.effects.family: expected"),
        ("themes.effects.drws=5", "did you mean 'draws'?"),
        ("themes.effects.cluster=outlet", "themes.effects.cluster: 'outlet' is not a column"),
    ],
)
def test_effects_settings_are_checked_before_any_work(
    setting, expected, corpus_dir, tmp_path, capsys
):
    argv = ["run", "--corpus", str(corpus_dir), "--output", str(tmp_path / "out")]
    assert main([*argv, "--set", setting]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1, lines
    assert expected in lines[0]
    assert not (tmp_path / "out").exists()


def test_a_formula_may_name_any_metadata_column(corpus_dir):
    from topiclab.config import load_config
    from topiclab.preflight import preflight

    # province and source are columns of the shipped metadata.csv, n_tokens the document's size
    config = load_config(
        None,
        [
            f"corpus.path={corpus_dir}",
            "output=/tmp/topiclab-never-written",
            "themes.effects.formula=C(province) + source + np.log(n_tokens)",
        ],
    )
    assert preflight(config).themes.effects.formula.startswith("C(province)")


# -------------------------------------------------------------------------- the formula


def test_the_default_formula_takes_locality_and_year_when_they_vary():
    documents, *_ = _design()
    assert resolve_formula(documents, None)[0] == "C(locality) + year"
    undated = documents.assign(year=np.nan)
    assert resolve_formula(undated, None)[0] == "C(locality)"
    flat = undated.assign(locality="A")
    formula, dropped = resolve_formula(flat, None)
    assert formula is None and len(dropped) == 2
    # five documents from five localities: no room for the year as well
    saturated = documents.head(5).assign(locality=list("ABCDE"))
    assert resolve_formula(saturated, None)[0] == "year"


def test_the_default_place_term_is_the_finest_column_whose_levels_can_get_intervals():
    # a national corpus: each commune named by two documents, its province by many
    rng = np.random.default_rng(0)
    n = 400
    documents = pd.DataFrame(
        {
            "doc_id": [f"d{i}" for i in range(n)],
            "locality": [f"commune {i // 2}" for i in range(n)],
            "district": [f"district {i // 4}" for i in range(n)],
            "province": [f"province {i % 8}" for i in range(n)],
            "year": rng.integers(2015, 2021, n).astype(float),
        }
    )
    formula, dropped = resolve_formula(documents, None, min_group_size=7)
    assert formula == "C(province) + year"
    assert dropped == []
    # enough documents per commune: the finest column is kept
    assert resolve_formula(documents, None, min_group_size=2)[0] == "C(locality) + year"
    # no place column with levels that large: the place term is dropped, and the log says why
    formula, dropped = resolve_formula(documents, None, min_group_size=60)
    assert formula == "year"
    assert len(dropped) == 1 and "province's 8 levels hold a median of 50" in dropped[0]
    # a formula the user writes is taken as written
    assert resolve_formula(documents, "C(locality)", min_group_size=7)[0] == "C(locality)"
    # a year known for two documents (VNTC: 2 of 19,718) would leave the rest out: dropped
    sparse_years = documents.assign(year=[2018.0, 2019.0] + [np.nan] * (n - 2))
    formula, dropped = resolve_formula(sparse_years, None, min_group_size=7)
    assert formula == "C(province)"
    assert dropped == ["year: known for 2 of the 400 documents the other terms keep"]


def test_an_explicit_formula_loses_the_terms_that_do_not_vary():
    documents, *_ = _design()
    formula, dropped = resolve_formula(documents, "C(locality) + source + year")
    assert formula == "C(locality) + year"
    assert dropped == ["source: source takes fewer than two values"]
    # the reader writes "" for an unknown source: a missing value, not a second level
    unknown = documents.assign(source=pd.array(["", "Báo Lạng Sơn"] * 20, dtype="string"))
    assert resolve_formula(unknown, "C(locality) + source")[0] == "C(locality)"
    assert resolve_formula(documents, "0 + C(locality) + source")[0] == "0 + C(locality)"
    with pytest.raises(ValueError, match="'outlet'"):
        resolve_formula(documents, "locality + outlet")


# ------------------------------------------------------------------- the LDA posterior


def test_gamma_is_recovered_from_the_shares_of_a_gensim_fit():
    rng = np.random.default_rng(3)
    bow = sparse.csr_matrix(rng.poisson(1.0, size=(30, len(VOCAB))))
    n = np.asarray(bow.sum(axis=1)).ravel()
    for alpha in ("symmetric", 0.5):
        lda = LDA(3, random_state=0, passes=3, iterations=200, alpha=alpha)
        lda.fit(bow, vocab=VOCAB)
        rows = [list(zip(r.indices.tolist(), r.data.tolist(), strict=True)) for r in bow]
        # gensim's own variational parameters, from a random start to the same fixed point
        gamma = lda.model_.inference(rows)[0]
        recovered = lda.result_.doc_topic * (alpha_sum(lda.result_) + n)[:, None]
        np.testing.assert_allclose(recovered, gamma, rtol=0.02, atol=0.02)


def test_posterior_draws_centre_on_the_stored_shares():
    _, units, bow, fits = _design()
    seen = np.asarray(bow.sum(axis=1)).ravel()
    posterior = LDAPosterior(fits, units, seen, _lexicon(), 1.5)
    rng = np.random.default_rng(0)
    mean = np.mean([posterior("lda", 0, rng)[["discipline"]].to_numpy() for _ in range(400)], 0)
    from topiclab.themes import document_shares, theme_shares

    stored = document_shares(theme_shares(fits[0], _lexicon(), units.assign(n_tokens=seen)))
    np.testing.assert_allclose(mean[:, 0], stored["discipline"].to_numpy(), atol=0.03)
    assert posterior("nmf", 0, rng) is None


def test_the_lda_posterior_widens_the_intervals():
    documents, units, bow, fits = _design()
    common = dict(draws=60, random_state=1, formula="C(locality) + year")
    with_posterior = theme_effects_table(
        {"lda": fits}, units, bow, None, _lexicon(), documents, **common
    )
    without = theme_effects_table(
        {"lda": fits}, units, bow, None, _lexicon(), documents, posterior=False, **common
    )
    width = (with_posterior["upper"] - with_posterior["lower"]).to_numpy()
    narrow = (without["upper"] - without["lower"]).to_numpy()
    assert (narrow > 0).all()
    assert np.median(width / narrow) > 1.1
    # the same point estimates: the draws move the intervals only
    pd.testing.assert_series_equal(with_posterior["estimate"], without["estimate"])


def test_the_table_is_a_function_of_the_inputs_and_the_seed(tmp_path):
    documents, units, bow, fits = _design()
    tokens = [["kỷ_luật", "cán_bộ"]] * len(units)
    args = ({"lda": fits}, units, bow, tokens, _lexicon(), documents)
    first = write_table(theme_effects_table(*args, draws=20, random_state=5), tmp_path / "a.csv")
    second = write_table(theme_effects_table(*args, draws=20, random_state=5), tmp_path / "b.csv")
    assert first.read_bytes() == second.read_bytes()
    table = pd.read_csv(first)
    assert set(table["model"]) == {"lda", "lexicon"}
    assert set(table["covariate"]) == {"locality", "year"}
    # the planted effects: discipline higher in B and rising with the years
    lda = table[(table["model"] == "lda") & (table["theme"] == "discipline")].set_index("covariate")
    assert lda.loc["locality", "lower"] > 0 and lda.loc["year", "lower"] > 0


def test_asking_for_one_theme_gives_that_themes_rows_of_the_full_table():
    # the simulation benchmarks estimate the planted theme only, to save time: its rows must
    # be those of the full table (each theme's regression is separate; the draws do not
    # depend on the themes)
    documents, units, bow, fits = _design()
    tokens = [["kỷ_luật", "cán_bộ"]] * len(units)
    args = ({"lda": fits}, units, bow, tokens, _lexicon(), documents)
    full = theme_effects_table(*args, draws=20, random_state=3)
    one = theme_effects_table(*args, draws=20, random_state=3, themes=["discipline"])
    expected = full[full["theme"] == "discipline"].reset_index(drop=True)
    assert len(one) == len(expected) > 0
    pd.testing.assert_frame_equal(one.reset_index(drop=True), expected)


# ------------------------------------------------------------------------------ figure


def test_the_effects_figure_is_skipped_with_a_reason_and_caps_the_levels(tmp_path):
    spec = FIGURES["fig8_theme_effects"]
    write_table(pd.DataFrame(columns=list(EFFECT_COLUMNS)), tmp_path / "theme_effects.csv")
    reason = spec.needs(read_tables(tmp_path))
    assert reason.startswith("theme_effects.csv has no rows")
    assert spec.needs({}) == "theme_effects.csv was not written"
    from topiclab.figures.registry import MAX_EFFECT_LEVELS, _effect_rows

    levels = [f"L{i:02d}" for i in range(MAX_EFFECT_LEVELS + 4)]
    many = pd.DataFrame(
        {
            "model": "lda",
            "theme": "discipline",
            "covariate": ["locality"] * len(levels) + ["year"],
            "level": [*levels, "per unit"],
            "reference": ["L00"] * len(levels) + [""],
            "estimate": 0.1,
            "lower": 0.0,
            "upper": 0.2,
            "n_documents": [*range(len(levels), 0, -1), 50],
        }
    )
    kept = _effect_rows(many)
    assert len(kept) == MAX_EFFECT_LEVELS + 1
    assert "per unit" in set(kept["level"]) and "L00" in set(kept["level"])


def test_saved_refits_read_one_at_a_time_give_the_table_of_refits_in_memory(tmp_path):
    # the run passes its refits as a RefitSequence over SavedFit folders, read one at a
    # time, and LDAPosterior keeps their gamma on disk: the table must not change
    from topiclab.themes.refits import RefitSequence

    documents, units, bow, fits = _design()
    later = [pipeline.SavedFit(f.save(tmp_path / f"f{r}")) for r, f in enumerate(fits[1:])]
    saved = [fits[0], *later]
    tokens = [["kỷ_luật", "cán_bộ"]] * len(units)
    tables = []
    for refits in (fits, RefitSequence(saved)):
        table = theme_effects_table(
            {"lda": refits}, units, bow, tokens, _lexicon(), documents, draws=20, random_state=5
        )
        tables.append(write_table(table, tmp_path / f"{len(tables)}.csv").read_bytes())
    assert tables[0] == tables[1]
    # one draw from the spilled gamma is the draw from the gamma in memory
    posterior = LDAPosterior(RefitSequence(saved), units, bow.sum(axis=1).A1, _lexicon(), 1.5)
    folder = posterior._gammas.folder
    assert len(list(folder.glob("*.npy"))) == len(fits)
    again = LDAPosterior(fits, units, bow.sum(axis=1).A1, _lexicon(), 1.5)
    for r in range(len(fits)):
        a = posterior("lda", r, np.random.default_rng(r))
        b = again("lda", r, np.random.default_rng(r))
        pd.testing.assert_frame_equal(a, b)
    del posterior
    assert not folder.exists()  # the spilled arrays go with the sampler
