"""Topic models behind one interface, all producing :class:`TopicResult`."""

from topiclab.models.result import TopicResult

__all__ = ["TopicResult"]
