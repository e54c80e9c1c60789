"""Deterministic rendering: a registered figure drawn and serialised byte for byte the same.

Two builds from the same tables write the same bytes: no creation dates or producer
strings in PDF and PNG metadata, a fixed SVG hash salt, the layout frozen at the output
resolution, and outputs written in sorted order.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from topiclab import plotting
from topiclab.figures.registry import FIGURES, FigureSpec, Tables, columns_read, read_tables
from topiclab.io import atomic_write_bytes

logger = logging.getLogger(__name__)


#: Metadata that would otherwise stamp the run's date and the library versions into files.
PDF_METADATA: dict[str, None] = {"CreationDate": None, "Creator": None, "Producer": None}
PNG_METADATA: dict[str, None] = {"Software": None}
SVG_METADATA: dict[str, None] = {"Date": None}
HASH_SALT = "topiclab"


def render_figure(
    spec: FigureSpec,
    tables: Tables,
    *,
    language: str = "en",
    labels: Mapping[str, str] | None = None,
) -> Figure:
    """Draw one registered figure in the paper style and return it (not saved, not shown).

    ``labels`` (theme id -> label, with the lexicon's order and colours: see
    :func:`topiclab.plotting.theme_labels`) default to the shipped lexicon's in ``language``.
    """
    if labels is None:
        labels = lexicon_labels(language)
    # A bare Figure, not pyplot: no global figure manager, no GUI backend, and a notebook's
    # own backend is left alone. savefig renders PNG with Agg and PDF with the PDF backend.
    with plotting.paper_style({"svg.hashsalt": HASH_SALT}):
        fig = Figure(figsize=spec.size)
        spec.draw(tables, fig, language, labels)
    return fig


def lexicon_labels(language: str = "en", lexicon: Any = None) -> plotting.ThemeLabels:
    """The theme labels, order and colours of ``lexicon`` (default: the shipped one).

    What the figures hand to the plot functions: plotting takes them as plain mappings and
    never reads a lexicon itself.
    """
    if lexicon is None:
        from topiclab.themes import load_lexicon

        lexicon = load_lexicon()
    return plotting.theme_labels(language, lexicon)


def freeze_layout(fig: Figure, dpi: float, digits: int = 6) -> Figure:
    """Solve the constrained layout at ``dpi``, round every Axes position, and fix it.

    The layout solver's last bits depend on the order it meets its variables, which
    varies with memory addresses; the PDF backend writes positions with ten decimals, so
    those bits would reach the file. Rounded to ``digits`` decimals of the figure size,
    the positions are the same in every run. Text extents, hence the layout, depend on the
    resolution, so the layout is solved at the one the figure is written at (the solver
    needs two passes to settle once tick labels exist).
    """
    fig.set_dpi(dpi)
    fig.draw_without_rendering()
    fig.draw_without_rendering()
    for ax in fig.axes:
        box = ax.get_position(original=True)
        bounds = [round(float(value), digits) for value in box.bounds]
        ax.set_position(bounds, which="both")
    fig.set_layout_engine("none")
    return fig


def figure_bytes(fig: Figure, fmt: str, dpi: int = 300) -> bytes:
    """Serialise ``fig`` as ``pdf``, ``png`` or ``svg`` without any date or producer stamp.

    The figure's layout is fixed at the format's resolution first (see
    :func:`freeze_layout`), so draw a fresh figure for each format.
    """
    metadata = {"pdf": PDF_METADATA, "png": PNG_METADATA, "svg": SVG_METADATA}.get(fmt)
    if metadata is None:
        raise ValueError(f"unsupported figure format {fmt!r}; use pdf, png or svg")
    buffer = io.BytesIO()
    with plotting.paper_style({"svg.hashsalt": HASH_SALT}):
        # Vector backends lay out in points (72 per inch) whatever dpi says.
        freeze_layout(fig, dpi if fmt == "png" else 72)
        fig.savefig(buffer, format=fmt, dpi=dpi, metadata=dict(metadata))
    return buffer.getvalue()


def build_figures(
    tables_dir: str | Path,
    output_dir: str | Path,
    *,
    language: str = "en",
    formats: Sequence[str] = ("pdf", "png"),
    dpi: int = 300,
    lexicon: Any = None,
    names: Iterable[str] | None = None,
) -> tuple[list[Path], dict[str, str]]:
    """Draw every registered figure from the tables and write it in every format.

    Parameters
    ----------
    tables_dir : str or Path
        Folder of the analysis tables (``<output>/tables``).
    output_dir : str or Path
        Folder the figures go to.
    language : {"en", "vi"}, default="en"
        Language of the theme labels.
    formats : sequence of str, default=("pdf", "png")
        Output formats, any of ``pdf``, ``png``, ``svg``.
    dpi : int, default=300
        Resolution of raster outputs.
    lexicon : Lexicon, optional
        Where theme labels come from (default: the shipped lexicon).
    names : iterable of str, optional
        Only these registered figures (default: all).

    Returns
    -------
    written : list of Path
        The files written, in sorted order.
    skipped : dict
        Figure name -> why it was not drawn (e.g. a model that was not fitted). Skips are
        also logged and listed in the README, never silent.
    """
    output_dir = Path(output_dir)
    wanted = sorted(names) if names is not None else sorted(FIGURES)
    unknown = [name for name in wanted if name not in FIGURES]
    if unknown:
        raise KeyError(f"unknown figures {unknown}; registered: {sorted(FIGURES)}")
    # the texts of units.csv and documents.csv are not drawn: not read on a large corpus
    tables = read_tables(
        tables_dir, skip=("text",), columns=columns_read(FIGURES[name] for name in wanted)
    )
    labels = lexicon_labels(language, lexicon)
    written: list[Path] = []
    skipped: dict[str, str] = {}
    for name in wanted:
        spec = FIGURES[name]
        reason = spec.needs(tables)
        if reason:
            logger.warning("figure %s not drawn: %s", name, reason)
            skipped[name] = reason
            continue
        for fmt in sorted(formats):
            fig = render_figure(spec, tables, language=language, labels=labels)
            path = output_dir / f"{name}.{fmt}"
            atomic_write_bytes(path, figure_bytes(fig, fmt, dpi))
            written.append(path)
        logger.info("figure %s written", name)
    return sorted(written), skipped
