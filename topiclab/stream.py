"""Corpora larger than memory: documents, tokens and the bag-of-words streamed from disk.

The in-memory path (:func:`~topiclab.load_corpus` → :func:`~topiclab.corpus.make_units` →
:meth:`~topiclab.Preprocessor.transform` → :func:`~topiclab.vectorize`) holds every text
and every token list at once. This module gives the same results one chunk at a time:

* :class:`DocumentStream` reads a folder or table one input at a time and yields documents;
  :func:`ingest` writes them to disk in chunks (:class:`DocumentStore`), with the manifest.
  Both live in :mod:`topiclab.corpus` (``stream``, ``store``), the one ingest path
  (:func:`~topiclab.load_corpus` is its in-memory view), and are re-exported here;
* :func:`preprocess_store` splits each chunk into units and tokenizes it
  (:class:`TokenStore`: one line of space-joined tokens per unit);
* :func:`vectorize_store` builds the vocabulary in one pass and the bag-of-words in a second
  (:class:`BowStore`: sparse NPZ chunks, re-iterable as a gensim corpus) and the TF-IDF
  matrix NMF takes (sparse, ``tfidf.npz``);
* :meth:`topiclab.LDA.fit` reads a :class:`BowStore` chunk by chunk (either backend).

Every store is a re-iterable object (a class with ``__iter__``, not a generator), so gensim
can read it once per pass. Memory holds one chunk of texts or tokens, the vocabulary, and
the sparse matrices; never the corpus as Python strings.

Disk layout of one run (``root`` is e.g. ``.cache/stream/<name>``)::

    documents/part-00000.jsonl   one JSON document a line, chunk_size documents a file
    manifest.csv                 every input: included or excluded, with the reason
    provenance.csv               doc_id, field, origin (curated, inferred or missing)
    units/part-00000.csv         unit_id, doc_id, unit_index, metadata, n_words (no text)
    texts/part-00000.jsonl       the units' texts, one JSON string a line
    tokens/part-00000.txt        one unit a line, tokens joined by single spaces
    dictionary.txt               gensim Dictionary.save_as_text (sorted, diffable)
    removed.csv                  terms removed by the frequency filters, with the reason
    bow/part-00000.npz           scipy CSR counts of the units of tokens/part-00000.txt
    tfidf.npz                    the TF-IDF matrix (scipy CSR)
    store.json                   counts and settings of each stage
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from gensim.corpora import Dictionary

from topiclab.corpus.store import (
    DEFAULT_CHUNK_SIZE,
    DocumentStore,
    _part,
    _parts,
    _read_meta,
    _write_meta,
    ingest,
)
from topiclab.corpus.stream import DocumentStream, documents_frame
from topiclab.corpus.units import make_units
from topiclab.io import atomic_write_text, write_table
from topiclab.vectorize import (
    BOW_FOLDER,
    BowCorpus,
    VectorizedCorpus,
    bow_parts,
    count_chunks,
    empty_dictionary,
    learn_vocabulary,
    tfidf_of,
    warn_empty_units,
    write_bow_parts,
    write_vectorized_rest,
)

__all__ = [
    "BowStore",
    "DocumentStore",
    "DocumentStream",
    "StoredMatrix",
    "TokenStore",
    "documents_frame",
    "ingest",
    "load_vectorized",
    "preprocess_store",
    "stored_vectorized",
    "vectorize_store",
]

# -- tokens ------------------------------------------------------------------------------

#: unit columns read back as numbers (a chunk's CSV holds strings)
_INT_COLUMNS = ("unit_index", "n_words", "n_tokens")


class TokenStore:
    """Token lists of units written by :func:`preprocess_store`, re-iterable.

    Iterating yields one ``list[str]`` per unit, in unit order; equal tokens share one
    string object (interned), so a corpus read back whole costs far less than its text.
    The units' texts are kept beside the tokens (``texts/``) and read back only for the
    few units that need them (:meth:`passages`).

    Parameters
    ----------
    root : str or Path
        The store folder (holding ``tokens/``).
    """

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.folder = self.root / "tokens"
        if not self.folder.is_dir():
            raise FileNotFoundError(f"no tokens in {self.root}: run preprocess_store() first")

    def __len__(self) -> int:
        return int(_read_meta(self.root)["preprocess"]["n_units"])

    def counts(self) -> dict[str, int]:
        """The totals over every chunk: ``n_units``, ``n_tokens``, ``n_empty_units``, and the
        texts the preprocessor segmented (``n_segmented``) or read from its cache
        (``n_cached``)."""
        meta = _read_meta(self.root)["preprocess"]
        names = ("n_units", "n_tokens", "n_empty_units", "n_segmented", "n_cached")
        return {name: int(meta.get(name, 0)) for name in names}

    def __iter__(self) -> Iterator[list[str]]:
        for chunk in self.chunks():
            yield from chunk

    def chunks(self) -> Iterator[list[list[str]]]:
        """The token lists of one chunk file at a time."""
        for path in _parts(self.folder, ".txt"):
            yield _read_tokens(path)

    def unit_chunks(self, columns: Iterable[str] | None = None) -> Iterator[pd.DataFrame]:
        """The units' ids and metadata of one chunk at a time (no text), typed as
        :func:`~topiclab.corpus.make_units` gives them (``year`` Int64, counts int)."""
        wanted = None if columns is None else set(columns)
        for path in _parts(self.root / "units", ".csv"):
            frame = pd.read_csv(
                path,
                dtype=str,
                keep_default_na=False,
                usecols=None if wanted is None else lambda c: c in wanted,
            )
            for column in _INT_COLUMNS:
                if column in frame.columns:
                    frame[column] = frame[column].astype(np.int64)
            if "year" in frame.columns:
                frame["year"] = pd.to_numeric(frame["year"], errors="coerce").astype("Int64")
            yield frame

    def units(self, columns: Iterable[str] | None = None) -> pd.DataFrame:
        """The units' ids and metadata (no text), in token order; ``columns`` keeps only
        those (a frame of every unit of a large corpus is then small)."""
        return pd.concat(list(self.unit_chunks(columns)), ignore_index=True)

    def texts(self) -> Iterator[list[str]]:
        """The units' texts, one chunk (list of str) at a time."""
        for path in _parts(self.root / "texts", ".jsonl"):
            yield _read_texts(path)

    def passages(self, positions: Iterable[int]) -> dict[int, tuple[str, list[str]]]:
        """Text and tokens of the units at ``positions`` (row numbers in unit order),
        reading only the chunks that hold them."""
        sizes = _read_meta(self.root)["preprocess"]["chunk_units"]
        starts = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        wanted: dict[int, list[int]] = defaultdict(list)
        for position in sorted(set(int(p) for p in positions)):
            if not 0 <= position < starts[-1]:
                raise IndexError(f"unit {position} is not in the store ({starts[-1]} units)")
            chunk = int(np.searchsorted(starts, position, side="right") - 1)
            wanted[chunk].append(position)
        found: dict[int, tuple[str, list[str]]] = {}
        for chunk, chunk_positions in wanted.items():
            name = _part(chunk, "")
            texts = _read_texts(self.root / "texts" / f"{name}.jsonl")
            tokens = _read_tokens(self.folder / f"{name}.txt")
            for position in chunk_positions:
                row = position - int(starts[chunk])
                found[position] = (texts[row], tokens[row])
        return found


def _read_tokens(path: Path) -> list[list[str]]:
    intern = sys.intern
    lines = path.read_text(encoding="utf-8").split("\n")[:-1]
    return [[intern(t) for t in line.split(" ")] if line else [] for line in lines]


def _read_texts(path: Path) -> list[str]:
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def preprocess_store(
    documents: DocumentStore | Iterable[pd.DataFrame],
    root: str | Path,
    preprocessor: Any = None,
    *,
    unit: str = "paragraph",
    min_tokens: int = 40,
    window_sentences: int = 5,
) -> TokenStore:
    """Split each chunk of documents into units, tokenize them, and write both to disk.

    Parameters
    ----------
    documents : DocumentStore or iterable of DataFrame
        Document chunks (``DocumentStore.frames()`` is used for a store).
    root : str or Path
        The store folder; ``tokens/``, ``units/`` and ``texts/`` are (re)written there.
    preprocessor : Preprocessor, optional
        Default ``Preprocessor()``. Its ``n_jobs``/``backend`` decide where each chunk is
        tokenized (see :mod:`topiclab.parallel`); its cache is used when it has one.
    unit, min_tokens, window_sentences
        As in :func:`~topiclab.corpus.make_units`.

    Returns
    -------
    TokenStore
    """
    from topiclab.preprocess import Preprocessor

    preprocessor = Preprocessor() if preprocessor is None else preprocessor
    root = Path(root)
    frames = documents.frames() if isinstance(documents, DocumentStore) else documents
    for sub, suffix in (("tokens", ".txt"), ("units", ".csv"), ("texts", ".jsonl")):
        (root / sub).mkdir(parents=True, exist_ok=True)
        for old in _parts(root / sub, suffix):
            old.unlink()
    n_tokens = n_empty = n_segmented = n_cached = 0
    chunk_units: list[int] = []
    for index, frame in enumerate(frames):
        units = make_units(frame, unit, min_tokens=min_tokens, window_sentences=window_sentences)
        texts = units["text"].tolist()
        tokens = preprocessor.transform(texts)
        # the preprocessor counts its last transform only: summed here over every chunk
        n_segmented += int(getattr(preprocessor, "n_segmented_", 0))
        n_cached += int(getattr(preprocessor, "n_cached_", 0))
        lines = "".join(" ".join(unit_tokens) + "\n" for unit_tokens in tokens)
        atomic_write_text(root / "tokens" / _part(index, ".txt"), lines)
        atomic_write_text(
            root / "texts" / _part(index, ".jsonl"),
            "".join(json.dumps(text, ensure_ascii=False) + "\n" for text in texts),
        )
        units = units.drop(columns=["text"])
        units["n_tokens"] = [len(t) for t in tokens]
        write_table(units, root / "units" / _part(index, ".csv"))
        n_tokens += int(units["n_tokens"].sum())
        n_empty += int((units["n_tokens"] == 0).sum())
        chunk_units.append(len(units))
    _write_meta(
        root,
        "preprocess",
        {
            "n_units": sum(chunk_units),
            "n_chunks": len(chunk_units),
            "chunk_units": chunk_units,
            "n_tokens": n_tokens,
            "n_empty_units": n_empty,
            "n_segmented": n_segmented,
            "n_cached": n_cached,
            "unit": unit,
            "settings_key": preprocessor.settings_key(),
        },
    )
    return TokenStore(root)


# -- bag of words ------------------------------------------------------------------------


class BowStore:
    """The bag-of-words written by :func:`vectorize_store`, read one chunk at a time.

    Iterating yields one unit at a time as gensim's ``[(term_id, count), ...]``, so the
    object is a re-iterable corpus that never holds more than one chunk:
    :meth:`topiclab.LDA.fit` reads it once per pass (either backend). It also answers the
    few matrix questions the run asks of the counts (``shape``, ``sum``, ``tocsr``).

    Parameters
    ----------
    root : str or Path
        The store folder (holding ``bow/`` and ``dictionary.txt``).
    """

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.folder = self.root / BOW_FOLDER
        if not self.folder.is_dir():
            raise FileNotFoundError(f"no bag-of-words in {self.root}: run vectorize_store()")
        meta = _read_meta(self.root)["vectorize"]
        self.n_units = int(meta["n_units"])
        self.n_terms = int(meta["n_terms"])

    def __getstate__(self) -> dict[str, Any]:
        # a worker process gets the folder, not the vocabulary read from it
        return {
            "root": self.root,
            "folder": self.folder,
            "n_units": self.n_units,
            "n_terms": self.n_terms,
        }

    @property
    def shape(self) -> tuple[int, int]:
        """(units, terms)."""
        return (self.n_units, self.n_terms)

    def __len__(self) -> int:
        return self.n_units

    def chunks(self) -> Iterator[sp.csr_matrix]:
        """The count matrix of one chunk file at a time (CSR, int64)."""
        for path in bow_parts(self.root):
            yield sp.csr_matrix(sp.load_npz(path))

    def __iter__(self) -> Iterator[list[tuple[int, int]]]:
        for chunk in self.chunks():
            yield from BowCorpus(chunk)

    def column_sums(self) -> np.ndarray:
        """Corpus count of every term."""
        total = np.zeros(self.n_terms, dtype=np.int64)
        for chunk in self.chunks():
            total += np.asarray(chunk.sum(axis=0)).ravel().astype(np.int64)
        return total

    def row_sums(self) -> np.ndarray:
        """Tokens of every unit kept in the vocabulary."""
        parts = [np.asarray(chunk.sum(axis=1)).ravel() for chunk in self.chunks()]
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)

    def sum(self, axis: int) -> np.ndarray:
        """Row (``axis=1``) or column (``axis=0``) sums, shaped as a sparse matrix gives them."""
        if axis == 1:
            return self.row_sums()[:, None]
        if axis == 0:
            return self.column_sums()[None, :]
        raise ValueError(f"axis must be 0 or 1, got {axis!r}")

    def to_csr(self) -> sp.csr_matrix:
        """The whole count matrix (sparse: memory grows with the non-zero counts only)."""
        return sp.csr_matrix(sp.vstack(list(self.chunks()), format="csr"))

    tocsr = to_csr

    def tfidf(self) -> sp.csr_matrix:
        """The TF-IDF matrix written beside the counts."""
        return self.stored_tfidf().load()

    def stored_tfidf(self) -> StoredMatrix:
        """The TF-IDF matrix as a :class:`StoredMatrix` (read where it is used)."""
        return StoredMatrix(self.root / "tfidf.npz", self.shape)

    @property
    def vocab(self) -> list[str]:
        """Term of each column, sorted."""
        return [term for term, _ in sorted(self.dictionary().token2id.items(), key=_by_id)]

    def dictionary(self) -> Dictionary:
        """The gensim Dictionary of the kept terms (ids in sorted term order)."""
        return Dictionary.load_from_text(str(self.root / "dictionary.txt"))

    def removed(self) -> pd.DataFrame:
        """Terms removed by the frequency filters, with the reason."""
        return pd.read_csv(self.root / "removed.csv", keep_default_na=False)


class StoredMatrix:
    """A sparse matrix saved as NPZ, read only where it is used.

    It pickles as its path, so a process that fits on it (:func:`topiclab.evaluate.
    fit_topic_models` calls :meth:`load` in the fitting process) reads the matrix itself,
    and the run that hands out the fits does not hold it for the rest of the run.

    Parameters
    ----------
    path : str or Path
        The ``.npz`` file (``scipy.sparse.save_npz``).
    shape : tuple of int
        Its shape (units, terms), known without reading it.
    """

    def __init__(self, path: str | Path, shape: tuple[int, int]) -> None:
        self.path = Path(path)
        self.shape = (int(shape[0]), int(shape[1]))

    def load(self) -> sp.csr_matrix:
        """The whole matrix (CSR)."""
        return sp.csr_matrix(sp.load_npz(self.path))

    tocsr = load


def _by_id(item: tuple[str, int]) -> int:
    return item[1]


def vectorize_store(
    tokens: TokenStore | Iterable[list[str]],
    root: str | Path,
    *,
    no_below: int = 2,
    no_above: float = 0.95,
    keep_n: int | None = 20000,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> BowStore:
    """:func:`~topiclab.vectorize` over streamed tokens, with the matrices on disk.

    The same vectorizer core (:func:`topiclab.vectorize.learn_vocabulary` in one pass,
    :func:`topiclab.vectorize.count_chunks` in a second, chunk by chunk); the TF-IDF
    matrix is computed from the sparse counts. Rows, vocabulary and values equal
    ``vectorize(list(tokens))``.

    Parameters
    ----------
    tokens : TokenStore or re-iterable of list of str
    root : str or Path
        The store folder; ``bow/``, ``tfidf.npz``, ``dictionary.txt``, ``removed.csv``.
    no_below, no_above, keep_n
        As in :func:`~topiclab.vectorize`.
    chunk_size : int, default=1000
        Units per chunk file of ``bow/`` (a :class:`TokenStore`'s own chunks are kept).

    Returns
    -------
    BowStore

    Raises
    ------
    ValueError
        If there are no units or the vocabulary is empty after filtering.
    """
    if isinstance(tokens, TokenStore):
        chunks = tokens.chunks
    else:

        def chunks() -> Iterator[list[list[str]]]:
            return _batched(tokens, chunk_size)

    vocabulary = learn_vocabulary(chunks(), no_below=no_below, no_above=no_above, keep_n=keep_n)
    root = Path(root)
    dictionary = empty_dictionary(vocabulary)
    n_units, empty_units = write_bow_parts(root, count_chunks(chunks(), vocabulary, dictionary))
    parts = [sp.csr_matrix(sp.load_npz(path)) for path in bow_parts(root)]
    tfidf = tfidf_of(sp.vstack(parts, format="csr") if len(parts) > 1 else parts[0])
    del parts
    write_vectorized_rest(
        root,
        dictionary=dictionary,
        removed=vocabulary.removed,
        params=vocabulary.params,
        n_units=n_units,
        n_terms=len(vocabulary.terms),
        empty_units=empty_units,
        tfidf=tfidf,
    )
    warn_empty_units(empty_units, n_units)
    return BowStore(root)


def _batched(items: Iterable[list[str]], size: int) -> Iterator[list[list[str]]]:
    batch: list[list[str]] = []
    for item in items:
        batch.append(list(item))
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def load_vectorized(store: BowStore) -> VectorizedCorpus:
    """The store as an in-memory :class:`~topiclab.vectorize.VectorizedCorpus` (sparse)."""
    return VectorizedCorpus.load(store.root)


def stored_vectorized(store: BowStore) -> VectorizedCorpus:
    """The store as a :class:`~topiclab.vectorize.VectorizedCorpus` whose ``bow`` is the
    :class:`BowStore` itself (read chunk by chunk) and whose ``tfidf`` is a
    :class:`StoredMatrix` (read by the process that fits NMF); the vocabulary in memory."""
    meta = _read_meta(store.root)["vectorize"]
    return VectorizedCorpus(
        vocab=store.vocab,
        bow=store,
        tfidf=store.stored_tfidf(),
        dictionary=store.dictionary(),
        removed=store.removed(),
        empty_units=list(meta["empty_units"]),
        params={k: meta[k] for k in ("no_below", "no_above", "keep_n")},
    )
