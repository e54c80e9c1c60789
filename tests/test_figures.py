"""The figure build: every registered figure from real tables, written byte for byte the same.

The tables are computed here from the five shipped articles with the library's own
functions (real pyvi, gensim, scikit-learn), small settings so the module stays fast.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import zlib
from pathlib import Path

import pandas as pd
import pytest
from matplotlib.figure import Figure

from topiclab import evaluate, figures
from topiclab.corpus import load_corpus, make_units
from topiclab.io import write_table
from topiclab.models import LDA, NMF
from topiclab.preprocess import Preprocessor
from topiclab.themes import (
    agreement,
    compare,
    label_topics,
    lexicon_shares,
    load_lexicon,
    theme_shares,
)
from topiclab.themes.effects_run import theme_effects_table
from topiclab.vectorize import vectorize

SEED = 20181206
# a small analysis, model selection included, and a figure build per test or two: ~20 s
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def analysis(corpus_dir, tmp_path_factory):
    """Tables of a small real analysis of the shipped corpus, plus the LDA model and BoW."""
    corpus = load_corpus(corpus_dir)
    units = make_units(corpus.documents, unit="paragraph")
    tokens = Preprocessor().transform(units["text"].tolist())
    vectorized = vectorize(tokens, no_below=2, no_above=0.95)
    unit_ids = units["unit_id"].tolist()
    lda = LDA(5, random_state=SEED, passes=5, iterations=50)
    lda.fit(vectorized.bow, vocab=vectorized.vocab, unit_ids=unit_ids)
    nmf = NMF(4, random_state=SEED).fit(vectorized.tfidf, vocab=vectorized.vocab, unit_ids=unit_ids)
    lexicon = load_lexicon()
    shares = pd.concat(
        [
            theme_shares(lda.result_, lexicon, units),
            theme_shares(nmf.result_, lexicon, units),
            lexicon_shares(tokens, lexicon, units),
        ],
        ignore_index=True,
    )
    selection = evaluate.select_k(
        vectorized,
        tokens,
        k_grid=(3, 4),
        random_state=SEED,
        n_seeds=2,
        lda_params={"passes": 2, "iterations": 20},
        progress=False,
    )
    tables = {
        "manifest.csv": corpus.manifest,
        "documents.csv": corpus.documents,
        "units.csv": units,
        "topics.csv": pd.concat(
            [label_topics(lda.result_, lexicon), label_topics(nmf.result_, lexicon)]
        ),
        "topic_terms.csv": figures.topic_terms_table([lda.result_, nmf.result_]),
        "theme_prevalence_by_locality.csv": compare(
            shares, by="locality", n_boot=50, random_state=SEED
        ),
        "theme_prevalence_by_year.csv": compare(shares, by="year", n_boot=50, random_state=SEED),
        "model_selection.csv": selection,
        "alignment.csv": evaluate.align(lda.result_, nmf.result_),
        "agreement.csv": agreement(shares),
        "theme_effects.csv": theme_effects_table(
            {"lda": [lda.result_], "nmf": [nmf.result_]},
            units,
            vectorized.bow,
            tokens,
            lexicon,
            corpus.documents,
            draws=10,
            random_state=SEED,
        ),
    }
    directory = tmp_path_factory.mktemp("analysis") / "tables"
    for name, frame in tables.items():
        write_table(frame, directory / name)
    return {"tables": directory, "lda": lda.result_, "bow": vectorized.bow, "lexicon": lexicon}


def _project(analysis, root: Path, **figure_settings) -> dict:
    """A project folder holding a copy of the tables; returns its run config."""
    output = root / "figures"
    shutil.copytree(analysis["tables"], output / "tables")
    return {
        "seed": SEED,
        "corpus": {"path": str(root / "corpus"), "metadata": None},
        "figures": {"language": "en", "formats": ["pdf", "png"], "dpi": 100} | figure_settings,
        "output": str(output),
        "cache": str(root / ".cache"),
    }


def _build(analysis, config) -> list[Path]:
    return figures.write_figures(config, lda_result=analysis["lda"], bow=analysis["bow"])


def _files(folder: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


@pytest.fixture(scope="module")
def built(analysis, tmp_path_factory):
    root = tmp_path_factory.mktemp("first")
    config = _project(analysis, root)
    return config, _build(analysis, config)


def test_every_registered_figure_is_written_as_pdf_and_png(built):
    config, written = built
    names = {path.name for path in written}
    for name in figures.FIGURES:
        assert f"{name}.pdf" in names
        assert f"{name}.png" in names
    assert {"README.md", "ENVIRONMENT.txt", figures.LDAVIS_FILE} <= names
    assert written == sorted(written)
    for path in written:
        assert path.parent == Path(config["output"])
        assert path.stat().st_size > 0


def test_two_builds_into_different_folders_write_the_same_bytes(analysis, built, tmp_path):
    config, _ = built
    first = _files(Path(config["output"]))
    second_config = _project(analysis, tmp_path)
    _build(analysis, second_config)
    second = _files(Path(second_config["output"]))
    assert sorted(first) == sorted(second)
    differing = [name for name in first if first[name] != second[name]]
    assert differing == []


def test_pdf_and_png_carry_no_date_or_producer(built):
    config, _ = built
    output = Path(config["output"])
    pdf = (output / "fig4_model_selection.pdf").read_bytes()
    for stamp in (b"/CreationDate", b"/ModDate", b"/Producer", b"/Creator", b"/ID"):
        assert stamp not in pdf
    png = (output / "fig4_model_selection.png").read_bytes()
    chunks = _png_chunks(png)
    assert b"tIME" not in chunks
    assert all(b"Software" not in data for kind, data in chunks.items() if kind == b"tEXt")
    assert _png_dpi(chunks) == 100


def test_readme_names_the_function_and_tables_of_every_figure(built):
    config, _ = built
    readme = (Path(config["output"]) / "README.md").read_text(encoding="utf-8")
    for name, spec in figures.FIGURES.items():
        row = next(line for line in readme.splitlines() if line.startswith(f"| {name} |"))
        assert f"topiclab.plotting.{spec.function.__name__}" in row
        for table in spec.tables:
            assert f"tables/{table}" in row
    assert figures.LDAVIS_FILE in readme


def test_environment_records_versions_config_seed_and_checksums(built, corpus_dir):
    config, _ = built
    text = (Path(config["output"]) / "ENVIRONMENT.txt").read_text(encoding="utf-8")
    assert re.search(r"^matplotlib: \d", text, re.MULTILINE)
    assert re.search(r"^gensim: \d", text, re.MULTILINE)
    assert f"seed: {SEED}" in text
    assert "language: en" in text
    # paths are relative to the project, so every clone writes the same file
    assert str(Path(config["output"]).parent) not in text
    for raw in sorted((corpus_dir / "raw").glob("*.txt")):
        assert raw.name in text
    assert len(re.findall(r"^[0-9a-f]{64}  included  ", text, re.MULTILINE)) == 5


def test_ldavis_page_is_self_contained_and_has_a_fixed_id(built):
    config, _ = built
    html = (Path(config["output"]) / figures.LDAVIS_FILE).read_text(encoding="utf-8")
    assert not re.search(r"<(script|link)[^>]+(src|href)=", html)
    assert f'new LDAvis("#{figures.LDAVIS_DIV_ID}"' in html
    assert "cán bộ" in html  # terms shown as words, diacritics intact
    # LDAvis takes topic 0 for "none selected": the page counts the model's topics from 1
    order = json.loads(re.search(r'"topic.order": (\[[^]]*\])', html).group(1))
    assert order == list(range(1, built_lda_topics(built) + 1))


def built_lda_topics(built) -> int:
    topics = pd.read_csv(Path(built[0]["output"]) / "tables" / "topics.csv")
    return int((topics["model"] == "lda").sum())


def test_unchanged_inputs_reuse_the_figures_and_a_changed_table_redraws_them(
    analysis, built, tmp_path
):
    config, written = built
    # A copy of the project elsewhere: the stage key holds no absolute path, so it is reused.
    root = Path(config["output"]).parent
    shutil.copytree(root, tmp_path, dirs_exist_ok=True)
    config = config | {
        "corpus": {"path": str(tmp_path / "corpus"), "metadata": None},
        "output": str(tmp_path / "figures"),
        "cache": str(tmp_path / ".cache"),
    }
    output = Path(config["output"])
    stamps = {path.name: (output / path.name).stat().st_mtime_ns for path in written}
    again = _build(analysis, config)
    assert [path.name for path in again] == [path.name for path in written]
    assert {path.name: path.stat().st_mtime_ns for path in again} == stamps

    # NMF left out of the tables: its figures are removed, the README says why.
    tables = output / "tables"
    for name in ("topics.csv", "topic_terms.csv", "theme_prevalence_by_locality.csv"):
        frame = pd.read_csv(tables / name)
        write_table(frame[frame["model"] != "nmf"], tables / name)
    (tables / "alignment.csv").unlink()
    redrawn = {path.name for path in _build(analysis, config)}
    assert (output / "fig1_prevalence_by_locality_lda.png").stat().st_mtime_ns != stamps[
        "fig1_prevalence_by_locality_lda.png"
    ]
    assert "fig3_top_terms_nmf.pdf" not in redrawn
    assert not (output / "fig3_top_terms_nmf.pdf").exists()
    assert not (output / "fig5_alignment.png").exists()
    readme = (output / "README.md").read_text(encoding="utf-8")
    assert "Not drawn: alignment.csv not written" in readme
    assert "Not drawn: topic_terms.csv has no rows for model 'nmf'" in readme


def test_vietnamese_labels_on_request(built, tmp_path):
    tables = Path(built[0]["output"]) / "tables"
    written, skipped = figures.build_figures(
        tables, tmp_path, language="vi", formats=["pdf"], names=["fig3_top_terms_lda"]
    )
    assert [path.name for path in written] == ["fig3_top_terms_lda.pdf"]
    assert skipped == {}
    fig = figures.render_figure(
        figures.FIGURES["fig3_top_terms_lda"], figures.read_tables(tables), language="vi"
    )
    vietnamese = set(load_lexicon().labels("vi").values()) | {"Khác"}
    titles = [ax.get_title().replace("\n", " ").split(": ", 1)[1] for ax in fig.axes]
    assert titles and all(title in vietnamese for title in titles)


def test_the_build_leaves_pyplot_and_the_backend_alone(built):
    import matplotlib
    import matplotlib.pyplot as plt

    backend = matplotlib.get_backend()
    before = plt.get_fignums()
    fig = figures.render_figure(
        figures.FIGURES["fig6_agreement"], figures.read_tables(Path(built[0]["output"]) / "tables")
    )
    assert plt.get_fignums() == before
    assert matplotlib.get_backend() == backend
    assert len(fig.axes) == 1


def _png_chunks(data: bytes) -> dict[bytes, bytes]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    chunks: dict[bytes, bytes] = {}
    at = 8
    while at < len(data):
        length = int.from_bytes(data[at : at + 4], "big")
        kind = data[at + 4 : at + 8]
        body = data[at + 8 : at + 8 + length]
        assert zlib.crc32(kind + body) == int.from_bytes(data[at + 8 + length : at + 12 + length])
        chunks[kind] = chunks.get(kind, b"") + body
        at += 12 + length
    return chunks


def _png_dpi(chunks: dict[bytes, bytes]) -> int:
    pixels_per_metre = int.from_bytes(chunks[b"pHYs"][:4], "big")
    return round(pixels_per_metre * 0.0254)


def test_figure_formats_are_checked():
    with pytest.raises(ValueError, match="unsupported figure format"):
        figures.figure_bytes(Figure(), "jpg")
    with pytest.raises(KeyError, match="unknown figures"):
        figures.build_figures(os.devnull, os.devnull, names=["fig99"])


def test_svg_output_is_reproducible_too(built):
    tables = figures.read_tables(Path(built[0]["output"]) / "tables")
    spec = figures.FIGURES["fig6_agreement"]
    first = figures.figure_bytes(figures.render_figure(spec, tables), "svg")
    second = figures.figure_bytes(figures.render_figure(spec, tables), "svg")
    assert first == second
    assert b"<dc:date>" not in first


def test_committed_figures_are_what_the_build_draws_from_the_committed_tables(repo_root, tmp_path):
    committed = repo_root / "figures"
    if not (committed / "tables" / "theme_prevalence_by_locality.csv").exists():
        pytest.fail("figures/tables/ is not committed: run `make figures` and commit figures/")
    # PDFs only: they carry every drawing decision, and skip the slow 300 dpi rasters.
    written, _ = figures.build_figures(committed / "tables", tmp_path, formats=["pdf"])
    assert written, "no figure drawn from the committed tables"
    stale = [
        path.name for path in written if path.read_bytes() != (committed / path.name).read_bytes()
    ]
    assert stale == [], "figures/ is stale: run `make figures` and commit figures/"
    drawn = {path.name for path in written}
    leftovers = sorted(
        path.name
        for path in committed.glob("fig*")
        if path.suffix in {".pdf", ".png", ".svg"} and path.with_suffix(".pdf").name not in drawn
    )
    assert leftovers == []
