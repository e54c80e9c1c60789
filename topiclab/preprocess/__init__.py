"""Vietnamese preprocessing: normalization, segmentation, phrases, token filters.

Normalisation, the word lists and the gazetteer live in the base language layer
(:mod:`topiclab.text`), below this room and the corpus room, so neither imports the other.
:func:`normalize_text` is re-exported here because ``from topiclab.preprocess import
normalize_text`` is the documented path.
"""

from __future__ import annotations

from topiclab.preprocess.preprocessor import Preprocessor, preprocessor_from_config, tokenize
from topiclab.preprocess.segment import segment
from topiclab.text.normalize import normalize_text

__all__ = ["Preprocessor", "normalize_text", "preprocessor_from_config", "segment", "tokenize"]
