"""topiclab: topic models of Vietnamese political news.

The public names are imported lazily so that ``import topiclab`` stays fast and a
command such as ``topiclab --help`` does not pay for gensim, pyvi and matplotlib.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# The workflow names a notebook needs, public name -> module that defines it. Everything else
# lives in its module: ``topiclab.vectorize.vectorize``, ``topiclab.themes.exemplars``,
# ``topiclab.stream.ingest``, ``topiclab.figures.write_figures``, ... (``topiclab.vectorize``
# itself is the module, so it is not listed here).
_EXPORTS: dict[str, str] = {
    # config and the whole pipeline
    "load_config": "topiclab.config",
    "run": "topiclab.pipeline",
    # corpus
    "load_corpus": "topiclab.corpus",
    "Corpus": "topiclab.corpus",
    "make_units": "topiclab.corpus",
    # preprocess
    "normalize_text": "topiclab.preprocess",
    "Preprocessor": "topiclab.preprocess",
    "tokenize": "topiclab.preprocess",
    # models
    "LDA": "topiclab.models",
    "NMF": "topiclab.models",
    "TopicResult": "topiclab.models",
    # evaluate
    "coherence": "topiclab.evaluate",
    "select_k": "topiclab.evaluate",
    "align": "topiclab.evaluate",
    # themes
    "load_lexicon": "topiclab.themes",
    "label_topics": "topiclab.themes",
    "theme_shares": "topiclab.themes",
    "compare": "topiclab.themes",
    # figures
    "build_figures": "topiclab.figures",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    module_name = _EXPORTS.get(name)
    if module_name is None:
        raise AttributeError(f"module 'topiclab' has no attribute {name!r}")
    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
