"""Reading corpora: files of any encoding into clean documents, with a manifest."""

from topiclab.corpus.reader import Corpus, CorpusError
from topiclab.corpus.store import DocumentStore, ingest
from topiclab.corpus.stream import DocumentStream, load_corpus
from topiclab.corpus.units import make_units

__all__ = [
    "Corpus",
    "CorpusError",
    "DocumentStore",
    "DocumentStream",
    "ingest",
    "load_corpus",
    "make_units",
]
