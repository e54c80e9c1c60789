"""Reading corpora: files of any encoding into clean documents, with a manifest."""

from topiclab.corpus.reader import Corpus, CorpusError, load_corpus
from topiclab.corpus.units import make_units

__all__ = ["Corpus", "CorpusError", "load_corpus", "make_units"]
