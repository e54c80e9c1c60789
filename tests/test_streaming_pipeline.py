"""`topiclab run` goes through the on-disk stores; its tables equal the in-memory calls.

The run reads DocumentStore -> TokenStore -> BowStore one chunk at a time (issue 12 item 1).
These tests check that nothing the tables show depends on that: the run with chunks of one or
two documents gives the tables of the run with one chunk, on the shipped corpus and on a small
VNTC-like table the test builds; and the notebook-style calls (load_corpus, make_units,
Preprocessor, vectorize, LDA/NMF on matrices, the stage over lists) give the run's tables
byte for byte. Real pyvi, gensim and scikit-learn throughout.
"""

from __future__ import annotations

import dataclasses
import gzip
import json
import shutil
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from topiclab import pipeline
from topiclab.config import load_config
from topiclab.corpus import load_corpus, make_units
from topiclab.models import LDA, NMF
from topiclab.preprocess import Preprocessor
from topiclab.settings import validate_config
from topiclab.stream import DocumentStream, ingest, preprocess_store, vectorize_store
from topiclab.tables import exemplars_table, units_table
from topiclab.vectorize import EmptyUnitsWarning, VectorizedCorpus, vectorize

REPO_ROOT = Path(__file__).resolve().parent.parent


def _tables(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((folder / "tables").glob("*.csv"))}


def _differing(a: dict[str, bytes], b: dict[str, bytes]) -> list[str]:
    return sorted(name for name in {*a, *b} if a.get(name) != b.get(name))


# ------------------------------------------------------------------------- the stores, fast


@pytest.fixture(scope="module")
def stores(corpus_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    """The shipped corpus through the stores in chunks of two documents, and in memory."""
    root = tmp_path_factory.mktemp("stores")
    documents = ingest(DocumentStream(corpus_dir), root, chunk_size=2)
    tokens = preprocess_store(documents, root, Preprocessor(), unit="paragraph")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EmptyUnitsWarning)
        bow = vectorize_store(tokens, root, no_below=1, no_above=0.95)
    corpus = load_corpus(corpus_dir)
    units = make_units(corpus.documents, "paragraph")
    token_lists = Preprocessor().transform(units["text"].tolist())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EmptyUnitsWarning)
        vc = vectorize(token_lists, no_below=1, no_above=0.95)
    return tokens, bow, units, token_lists, vc


def test_token_store_reads_back_only_the_passages_asked_for(stores) -> None:
    tokens, _, units, token_lists, _ = stores
    positions = [0, 3, len(units) - 1]
    found = tokens.passages(positions)
    assert sorted(found) == positions
    for p in positions:
        assert found[p] == (units["text"].iloc[p], token_lists[p])
    with pytest.raises(IndexError):
        tokens.passages([len(units)])
    frame = tokens.units()
    assert "text" not in frame.columns
    assert frame["unit_id"].tolist() == units["unit_id"].tolist()
    assert frame["year"].dtype == units["year"].dtype
    assert frame["unit_index"].tolist() == units["unit_index"].tolist()


def test_bow_store_answers_the_matrix_questions_of_the_run(stores) -> None:
    _, bow, _, _, vc = stores
    assert bow.shape == vc.bow.shape
    np.testing.assert_array_equal(bow.sum(axis=1), vc.bow.sum(axis=1))
    np.testing.assert_array_equal(bow.sum(axis=0), vc.bow.sum(axis=0))
    assert (bow.tocsr() != vc.bow).nnz == 0


def test_vectorized_corpus_saves_in_the_bow_store_layout(stores, tmp_path: Path) -> None:
    from topiclab.stream import BowStore

    vc = stores[4]
    vc.save(tmp_path)
    back = VectorizedCorpus.load(tmp_path)
    assert back.vocab == vc.vocab
    assert (back.bow != vc.bow).nnz == 0
    assert (back.tfidf != vc.tfidf).nnz == 0
    assert back.dictionary.dfs == vc.dictionary.dfs
    assert back.empty_units == vc.empty_units
    pd.testing.assert_frame_equal(back.removed, vc.removed)
    # the same folder is a BowStore: one layout for both views
    assert BowStore(tmp_path).vocab == vc.vocab


def test_fit_cache_key_is_the_same_for_a_matrix_and_a_store(stores) -> None:
    from topiclab.stream import stored_vectorized

    _, bow, units, _, vc = stores
    ids = units["unit_id"].tolist()
    models = pipeline._stage_cache(None, "models")

    def key(vectorized, params):
        content = pipeline._counts_digest(vectorized, ids)
        return pipeline._model_key(models, content, "lda", 3, params, 0)

    key_matrix = key(vc, {"passes": 1})
    assert key(stored_vectorized(bow), {"passes": 1}) == key_matrix
    assert key(vc, {"passes": 2}) != key_matrix


def test_tokens_log_line_counts_every_chunk_of_the_store(
    corpus_dir: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The run's ``tokens:`` line totals every chunk, not the preprocessor's last chunk."""
    import logging

    from topiclab.config import default_config, merge_config

    documents = ingest(DocumentStream(corpus_dir), tmp_path / "stores", chunk_size=1)
    assert len(documents) > 1  # chunks of one document: several chunks
    s = validate_config(merge_config(default_config(), {"cache": str(tmp_path / "cache")}))
    sections = (s.units, s.preprocess, s.parallel, s.cache, tmp_path / "stores")
    caplog.set_level(logging.INFO, logger="topiclab.pipeline")
    tokens = pipeline._token_store(documents, *sections)
    units = tokens.units()
    n_tokens = int(units["n_tokens"].sum())
    texts = [text for chunk in tokens.texts() for text in chunk]
    assert len(texts) == len(units) > len(next(tokens.texts()))  # more units than one chunk's
    # every chunk's texts are segmented once (a text twice in a chunk is segmented once)
    n_distinct = sum(len(set(chunk)) for chunk in tokens.texts())
    first = [r.getMessage() for r in caplog.records if r.getMessage().startswith("tokens:")]
    assert first == [
        f"tokens: {len(units)} paragraph units, {n_tokens} tokens "
        f"({n_distinct} texts segmented, {len(units) - n_distinct} from cache)"
    ]
    caplog.clear()
    pipeline._token_store(documents, *sections)
    again = [r.getMessage() for r in caplog.records if r.getMessage().startswith("tokens:")]
    assert again == [
        f"tokens: {len(units)} paragraph units, {n_tokens} tokens "
        f"(0 texts segmented, {len(units)} from cache)"
    ]


def test_exemplars_from_the_store_equal_those_from_lists(stores) -> None:
    from topiclab import themes

    tokens, _, units, token_lists, vc = stores
    lexicon = themes.load_lexicon()
    units = units.assign(n_tokens=[len(t) for t in token_lists])
    result = LDA(4, random_state=0, passes=1, iterations=20).fit(
        vc.bow, vocab=vc.vocab, unit_ids=units["unit_id"].tolist()
    )
    stacked = pd.concat(
        [
            themes.theme_shares(result.result_, lexicon, units),
            themes.lexicon_shares(token_lists, lexicon, units),
        ],
        ignore_index=True,
    )
    in_memory = exemplars_table(stacked, units, token_lists, lexicon)
    streamed = exemplars_table(stacked, units.drop(columns=["text"]), tokens, lexicon)
    assert len(in_memory) > 0
    pd.testing.assert_frame_equal(streamed, in_memory)
    # and both equal the plain walk of themes.exemplars over every unit, for every measure,
    # theme and scope: ranking candidates first (exemplar_candidates, one measure at a time
    # in a run) leaves out no passage that the walk over every unit would show
    for model in ("lda", "lexicon"):
        for theme_id in lexicon.ids:
            for scope, by, n in (("overall", None, 3), ("locality", "locality", 1)):
                every = themes.exemplars(
                    stacked[stacked["model"] == model],
                    units,
                    theme_id,
                    by=by,
                    n=n,
                    lexicon=lexicon,
                    tokens=token_lists,
                )
                mine = in_memory[
                    (in_memory["model"] == model)
                    & (in_memory["theme"] == theme_id)
                    & (in_memory["scope"] == scope)
                ]
                assert mine["unit_id"].tolist() == every["unit_id"].tolist()
                assert mine["share"].tolist() == every["share"].tolist()
    # the document shares of each measure, stacked, are those of the stacked unit shares
    per_measure = [
        themes.document_shares(stacked[stacked["model"] == m]) for m in ("lda", "lexicon")
    ]
    pd.testing.assert_frame_equal(
        themes.stack_documents(per_measure), themes.document_shares(stacked), check_exact=True
    )


# ------------------------------------------------------------------- whole runs, slow


def _run_in(shared_run, tmp_path: Path, chunk_size: int, *extra: str) -> Path:
    """The shared run's command into a new output, with a copy of its warm cache (caches
    are keyed by content, so they change the time, not the tables)."""
    from topiclab.cli import main

    cache = tmp_path / ".cache"
    shutil.copytree(shared_run.cache, cache)
    output = tmp_path / "figures"
    default = pipeline.CHUNK_SIZE
    pipeline.CHUNK_SIZE = chunk_size
    try:
        assert main(shared_run.argv(output, cache, *extra)) == 0
    finally:
        pipeline.CHUNK_SIZE = default
    return output


def test_run_tables_do_not_depend_on_the_chunk_size(shared_run, tmp_path: Path) -> None:
    output = _run_in(shared_run, tmp_path, 1, "--set", "figures.enabled=false")
    assert _differing(_tables(output), _tables(shared_run.output)) == []
    # the stores were removed with the run: the output holds only its own files
    assert not list(tmp_path.glob("figures.stores-*"))


def test_notebook_calls_in_memory_give_the_runs_tables(shared_run, corpus_dir: Path) -> None:
    """load_corpus / make_units / Preprocessor / vectorize / LDA and NMF on matrices / the
    theme stage over lists and a units table with its texts: the run's tables, byte for byte."""
    # the shared run's --k 10 and --set options, without a cache
    assert shared_run.args[2:4] == ("--k", "10")
    overrides = ["models.k=10", *(a for a in shared_run.args[4:] if a != "--set"), "cache=null"]
    config = load_config(shared_run.args[1], overrides)
    corpus = load_corpus(corpus_dir)
    unit_settings = config["units"]
    units = make_units(
        corpus.documents,
        unit_settings["unit"],
        min_tokens=unit_settings["min_tokens"],
        window_sentences=unit_settings["window_sentences"],
    )
    settings = validate_config(config)
    tokens = pipeline._stage_tokens(units, settings.preprocess, settings.parallel, None)
    units = units.assign(n_tokens=[len(t) for t in tokens])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EmptyUnitsWarning)
        vc = vectorize(
            tokens, **{k: config["vectorize"][k] for k in ("no_below", "no_above", "keep_n")}
        )
    ids = units["unit_id"].tolist()
    seed = int(config["seed"])
    results = {
        "lda": LDA(
            10,
            random_state=seed,
            **pipeline._lda_params(settings.models, settings.themes.lexicon, vc.vocab),
        ).fit(vc.bow, vocab=vc.vocab, unit_ids=ids),
        "nmf": NMF(
            10,
            random_state=seed,
            **pipeline._nmf_params(settings.models, settings.themes.lexicon, vc.vocab),
        ).fit(vc.tfidf, vocab=vc.vocab, unit_ids=ids),
    }
    fitted = pipeline.Fitted(
        units=units,
        tokens=tokens,
        vectorized=vc,
        refits={name: [estimator.result_] for name, estimator in results.items()},
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        frames = pipeline.theme_tables(fitted, settings)
    frames["units"] = units_table(units)
    frames["documents"] = corpus.documents
    frames["manifest"] = corpus.manifest
    run_tables = _tables(shared_run.output)
    for name, frame in frames.items():
        text = frame.to_csv(index=False, lineterminator="\n", float_format="%.6g")
        assert text.encode("utf-8") == run_tables[f"{name}.csv"], name


# -------------------------------------------------------------- a VNTC-like table, slow


def _vntc_like(path: Path, corpus_dir: Path) -> Path:
    """A JSON-lines table shaped like the VNTC files (``id, text, category, origin``, no
    dates): every paragraph pair of the shipped articles is one article, so the table has
    more articles than a chunk of a few documents."""
    rows = []
    for number, article in enumerate(sorted((corpus_dir / "raw").glob("*.txt"))):
        blocks = [b.strip() for b in article.read_text(encoding="utf-8").split("\n\n")]
        blocks = [b for b in blocks if len(b.split()) >= 20]
        for start in range(0, len(blocks) - 1, 2):
            rows.append(
                {
                    "id": f"v{number}-{start:03d}",
                    "text": blocks[start] + "\n\n" + blocks[start + 1],
                    "category": f"cat{number % 3}",
                    "origin": "test",
                }
            )
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    return path


@pytest.mark.slow
def test_vntc_like_table_gives_the_same_tables_in_any_chunks(
    corpus_dir: Path, tmp_path: Path
) -> None:
    table = _vntc_like(tmp_path / "vntc_like.jsonl.gz", corpus_dir)
    n_articles = sum(1 for _ in gzip.open(table, "rt", encoding="utf-8"))
    assert n_articles > 10
    outputs = {}
    for chunk_size in (1000, 3):
        config = load_config(
            None,
            [
                f"corpus.path={table}",
                "corpus.min_words=10",
                "models.k=3",
                "models.lda.passes=2",
                "models.lda.iterations=30",
                "models.nmf.max_iter=100",
                "models.refits=2",
                "themes.n_boot=20",
                "units.min_tokens=10",
                "vectorize.no_below=1",
                "figures.enabled=false",
                f"output={tmp_path / f'out{chunk_size}'}",
                f"cache={tmp_path / f'cache{chunk_size}'}",
            ],
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pipeline.run(config, chunk_size=chunk_size)
        outputs[chunk_size] = _tables(Path(config["output"]))
    assert outputs[1000].keys() >= {f"{name}" for name in pipeline.TABLES}
    assert _differing(outputs[3], outputs[1000]) == []


def test_figure_tables_are_read_without_the_texts(tmp_path: Path) -> None:
    """The figures never draw ``text``: on a large corpus it is most of units.csv, so the
    figure stage does not read it."""
    from topiclab.figures import read_tables

    frame = pd.DataFrame({"unit_id": ["a:p000"], "doc_id": ["a"], "n_tokens": [3], "text": ["x"]})
    frame.to_csv(tmp_path / "units.csv", index=False)
    assert "text" in read_tables(tmp_path, ["units.csv"])["units.csv"].columns
    read = read_tables(tmp_path, ["units.csv"], skip=("text",))["units.csv"]
    assert list(read.columns) == ["unit_id", "doc_id", "n_tokens"]


def test_figure_stage_reads_only_the_unit_and_document_columns_it_draws(tmp_path: Path) -> None:
    """Of the tables of one row per unit or document the figures read the columns they
    draw: at 80,000 articles the unit ids and titles of units.csv were 400 MB of the
    figure stage."""
    from topiclab.figures import FIGURES, read_tables
    from topiclab.figures.registry import columns_read

    pd.DataFrame(
        {"unit_id": ["a:p000"], "doc_id": ["a"], "title": ["T"], "n_tokens": [3], "text": ["x"]}
    ).to_csv(tmp_path / "units.csv", index=False)
    pd.DataFrame(
        {"doc_id": ["a"], "title": ["T"], "locality": ["Huế"], "year": [2020], "text": ["x"]}
    ).to_csv(tmp_path / "documents.csv", index=False)
    wanted = columns_read(FIGURES.values())
    assert set(wanted) == {"documents.csv", "units.csv"}  # the other tables are read whole
    read = read_tables(tmp_path, ["documents.csv", "units.csv"], skip=("text",), columns=wanted)
    assert list(read["units.csv"].columns) == ["doc_id", "n_tokens"]
    assert list(read["documents.csv"].columns) == ["doc_id", "locality", "year"]
    # a figure that reads a table whole makes it read whole
    spec = FIGURES["fig7_corpus_overview"]
    whole = dataclasses.replace(spec, name="whole", columns={})
    assert columns_read([spec, whole]) == {}


def test_documents_table_written_in_chunks_equals_load_corpus(
    corpus_dir: Path, tmp_path: Path
) -> None:
    """Chunks of one document, metadata columns present in some chunks only: the run's
    documents.csv and manifest.csv are load_corpus's tables byte for byte."""
    table = _vntc_like(tmp_path / "t.jsonl.gz", corpus_dir)
    rows = [json.loads(line) for line in gzip.open(table, "rt", encoding="utf-8")][:6]
    rows[1]["zeta"] = "only here"
    rows[4]["alpha"] = "and here"
    path = tmp_path / "mixed.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    store = ingest(DocumentStream(path, min_words=10), tmp_path / "store", chunk_size=1)
    streamed = pipeline._write_corpus_tables(store, tmp_path / "streamed")
    in_memory = load_corpus(path, min_words=10).write_tables(tmp_path / "memory")
    assert [p.name for p in streamed] == [p.name for p in in_memory]
    for a, b in zip(streamed, in_memory, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name
    assert b"zeta" in streamed[1].read_bytes().splitlines()[0]


def test_nmf_fitted_on_the_stored_tfidf_equals_the_fit_on_the_matrix(stores) -> None:
    # the run hands the fits a StoredMatrix (read in the fitting process), not the matrix
    from topiclab.evaluate import fit_topic_models
    from topiclab.stream import StoredMatrix, stored_vectorized

    _, bow, units, _, vc = stores
    stored = stored_vectorized(bow).tfidf
    assert isinstance(stored, StoredMatrix) and stored.shape == vc.tfidf.shape
    ids = units["unit_id"].tolist()
    params = {"max_iter": 50}
    tasks = [("nmf", 3, 7, matrix, vc.vocab, params, ids) for matrix in (vc.tfidf, stored)]
    from_memory, from_disk = list(fit_topic_models(tasks, n_jobs=2))
    np.testing.assert_array_equal(from_disk.doc_topic, from_memory.doc_topic)
    np.testing.assert_array_equal(from_disk.topic_word, from_memory.topic_word)


def test_ldavis_page_of_the_bow_store_equals_that_of_the_matrix(stores) -> None:
    # the page reads only the row and column sums: the store is never gathered in memory
    from topiclab.figures import ldavis_data, ldavis_html

    _, bow, _, _, vc = stores
    lda = LDA(3, random_state=1, passes=2, iterations=20).fit(vc.bow, vocab=vc.vocab)
    from_matrix = ldavis_html(ldavis_data(lda.result_, vc.bow, n_terms=5))
    from_store = ldavis_html(ldavis_data(lda.result_, bow, n_terms=5))
    assert from_store == from_matrix


def test_every_fit_read_back_shares_the_runs_unit_id_strings(tmp_path):
    from topiclab.models import TopicResult
    from topiclab.pipeline._fits import Fitted, SavedFit

    ids = [f"doc{i}#p{j}" for i in range(3) for j in range(2)]
    result = TopicResult(
        topic_word=np.full((2, 3), 1 / 3),
        doc_topic=np.full((6, 2), 0.5),
        vocab=["a", "b", "c"],
        unit_ids=ids,
        model="lda",
    )
    result.save(tmp_path / "refit1")
    units = pd.DataFrame({"unit_id": ids, "doc_id": [i.split("#")[0] for i in ids]})
    fitted = Fitted(units=units, tokens=None, vectorized=None, refits={"lda": [result]})
    fitted.refits["lda"].append(SavedFit(tmp_path / "refit1"))
    # read from disk, a fit has its own copy of every id; equal ids become the run's one list
    first, second = fitted.each_refit("lda")
    assert first.unit_ids is second.unit_ids is fitted.unit_ids
    assert fitted.results["lda"].unit_ids is fitted.unit_ids
