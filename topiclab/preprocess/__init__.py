"""Vietnamese preprocessing: normalization, segmentation, token filters, phrases.

Nothing from :mod:`topiclab.corpus` is imported here at import time: the corpus reader
imports :func:`normalize_text`, and the gazetteer is loaded lazily when a
:class:`Preprocessor` first needs place names.
"""

from __future__ import annotations

from topiclab.preprocess.normalize import normalize_text

__all__ = ["normalize_text"]
