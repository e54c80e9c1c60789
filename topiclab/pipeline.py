"""The paper pipeline: run the stages named by a config and write every output.

Each stage is a plain library call; this module only orders them, caches them and
decides where their outputs go.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from topiclab.corpus import load_corpus

logger = logging.getLogger(__name__)


def run(config: dict[str, Any]) -> list[Path]:
    """Run the pipeline described by ``config`` (see :func:`topiclab.load_config`).

    Returns
    -------
    list of Path
        Every file written, in the order written.
    """
    output = Path(config["output"])
    tables = output / "tables"
    logger.info("ingesting %s", config["corpus"]["path"])
    corpus = load_corpus(config["corpus"]["path"], metadata=config["corpus"]["metadata"])
    return corpus.write_tables(tables)
