"""The base language layer: Vietnamese text conventions and language data.

Both the corpus room (reading, place inference) and the preprocessing room (tokens) compare
text on the same conventions, so they live here, below both, and neither room imports the
other:

- :mod:`~topiclab.text.normalize`: Unicode NFC, invisible characters, tone-mark placement
  (:func:`normalize_text`);
- :mod:`~topiclab.text.fold`: comparison keys for names (:func:`fold`);
- :mod:`~topiclab.text.lists`: the shipped word lists (stopwords, number words, keep-words,
  protected terms, abbreviations) in token form;
- :mod:`~topiclab.text.gazetteer`: Vietnam's pre-2025 administrative units and their names.

Only ``normalize_text`` is imported here: the gazetteer needs pandas, which a worker that
only normalises text should not load.
"""

from __future__ import annotations

from topiclab.text.normalize import normalize_text

__all__ = ["normalize_text"]
