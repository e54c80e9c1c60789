"""Reading corpora: files of any encoding into clean documents, with a manifest."""

from topiclab.corpus.reader import Corpus, load_corpus

__all__ = ["Corpus", "load_corpus"]
