"""Topic models behind one interface, all producing :class:`TopicResult`."""

from topiclab.models._base import AnchorWordsWarning
from topiclab.models.lda import LDA
from topiclab.models.nmf import NMF
from topiclab.models.result import ResultFormatError, TopicResult

__all__ = ["LDA", "NMF", "AnchorWordsWarning", "ResultFormatError", "TopicResult"]
