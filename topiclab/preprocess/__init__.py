"""Vietnamese preprocessing: normalization, segmentation, phrases, token filters.

Nothing from :mod:`topiclab.corpus` is imported here at import time: the corpus reader
imports :func:`normalize_text`, and the gazetteer is loaded lazily when a
:class:`Preprocessor` first needs place names.
"""

from __future__ import annotations

from topiclab.preprocess.normalize import normalize_text
from topiclab.preprocess.preprocessor import Preprocessor, preprocessor_from_config, tokenize
from topiclab.preprocess.segment import segment

__all__ = ["Preprocessor", "normalize_text", "preprocessor_from_config", "segment", "tokenize"]
