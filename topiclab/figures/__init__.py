"""The paper's figures: one registry, drawn from the tables, written byte for byte the same.

Every figure of the paper is registered once in :data:`FIGURES` with the plot function
that draws it and the table(s) behind it. :func:`build_figures` reads those tables from
``<output>/tables/``, draws every figure in the paper style and writes a PDF (vector, for
the paper) and a PNG (300 dpi, preview) of each, plus ``README.md`` (which figure comes
from which function and table) and ``ENVIRONMENT.txt`` (package versions, config, seed,
corpus checksums). :func:`write_ldavis` writes the interactive pyLDAvis page of the chosen
LDA model as one self-contained HTML file.

Two builds from the same tables write the same bytes: no creation dates or producer
strings in PDF and PNG metadata, a fixed SVG hash salt, fixed HTML element ids, outputs
written in sorted order, and nothing time- or machine-dependent in the text files.

One concern per module: ``registry`` (:data:`FIGURES`, the tables behind them),
``render`` (deterministic drawing and serialising), ``ldavis`` (the pyLDAvis page),
``notes`` (``README.md`` and ``ENVIRONMENT.txt``) and ``stage`` (the cached figure stage of
``topiclab run``). The public names are re-exported here.
"""

from __future__ import annotations

from topiclab.figures.ldavis import (
    LDAVIS_DIV_ID,
    LDAVIS_FILE,
    ldavis_data,
    ldavis_html,
    write_ldavis,
)
from topiclab.figures.notes import (
    RECORDED_PACKAGES,
    environment_text,
    figures_readme,
    outputs_digest,
    write_notes,
)
from topiclab.figures.registry import (
    FIGURES,
    MAX_LOCALITIES,
    TERM_COLUMNS,
    FigureSpec,
    Tables,
    read_tables,
    table_files,
    topic_terms_table,
)
from topiclab.figures.render import (
    HASH_SALT,
    PDF_METADATA,
    PNG_METADATA,
    SVG_METADATA,
    build_figures,
    figure_bytes,
    freeze_layout,
    lexicon_labels,
    render_figure,
)
from topiclab.figures.stage import figure_stage, write_figures

__all__ = [
    "FIGURES",
    "HASH_SALT",
    "LDAVIS_DIV_ID",
    "LDAVIS_FILE",
    "MAX_LOCALITIES",
    "PDF_METADATA",
    "PNG_METADATA",
    "RECORDED_PACKAGES",
    "SVG_METADATA",
    "TERM_COLUMNS",
    "FigureSpec",
    "Tables",
    "build_figures",
    "environment_text",
    "figure_bytes",
    "figure_stage",
    "figures_readme",
    "freeze_layout",
    "ldavis_data",
    "ldavis_html",
    "lexicon_labels",
    "outputs_digest",
    "read_tables",
    "render_figure",
    "table_files",
    "topic_terms_table",
    "write_figures",
    "write_ldavis",
    "write_notes",
]
