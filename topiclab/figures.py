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
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import math
import os
import platform
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from matplotlib.figure import Figure

from topiclab import plotting
from topiclab.io import atomic_write_bytes, atomic_write_text, sha256_bytes

logger = logging.getLogger(__name__)

#: Metadata that would otherwise stamp the run's date and the library versions into files.
PDF_METADATA: dict[str, None] = {"CreationDate": None, "Creator": None, "Producer": None}
PNG_METADATA: dict[str, None] = {"Software": None}
SVG_METADATA: dict[str, None] = {"Date": None}
HASH_SALT = "topiclab"

#: Packages whose versions can change a figure or a number; recorded in ENVIRONMENT.txt.
RECORDED_PACKAGES: tuple[str, ...] = (
    "topiclab",
    "numpy",
    "scipy",
    "pandas",
    "scikit-learn",
    "gensim",
    "pyvi",
    "matplotlib",
    "pyLDAvis",
    "joblib",
    "PyYAML",
    "tomotopy",
)

LDAVIS_FILE = "ldavis_lda.html"
LDAVIS_DIV_ID = "ldavis_topiclab"

Tables = Mapping[str, pd.DataFrame]


@dataclass(frozen=True)
class FigureSpec:
    """One paper figure: how it is drawn and from which tables.

    Attributes
    ----------
    name : str
        File stem of the outputs (``<name>.pdf``, ``<name>.png``).
    function : callable
        The :mod:`topiclab.plotting` function that draws it.
    tables : tuple of str
        Files in ``<output>/tables/`` it is drawn from.
    caption : str
        One sentence for ``figures/README.md``.
    size : tuple of float
        Width and height in inches (a paper column is about 3.5, a page 7).
    draw : callable
        ``draw(tables, fig, language, labels)``: calls ``function`` with the right tables.
    needs : callable
        ``needs(tables) -> str``: why the figure cannot be drawn from these tables (a model
        that was not fitted, say), or ``""`` when it can.
    """

    name: str
    function: Callable[..., Any]
    tables: tuple[str, ...]
    caption: str
    size: tuple[float, float]
    draw: Callable[[Tables, Figure, str, Mapping[str, str] | None], Any]
    needs: Callable[[Tables], str] = field(default=lambda tables: "")


def _has_model(table: str, model: str) -> Callable[[Tables], str]:
    def check(tables: Tables) -> str:
        frame = tables.get(table)
        if frame is None:
            return f"{table} was not written"
        if "model" in frame.columns and model not in set(frame["model"].astype(str)):
            return f"{table} has no rows for model {model!r}"
        return ""

    return check


def _has_tables(*names: str, columns: Mapping[str, Sequence[str]] | None = None):
    """A check that the tables exist and hold the columns a figure draws.

    A table written in place of a result (e.g. ``alignment.csv`` with only a ``note`` when
    one model was fitted) gives its note as the reason.
    """

    def check(tables: Tables) -> str:
        missing = [name for name in names if tables.get(name) is None]
        if missing:
            return f"{', '.join(missing)} not written"
        for name, needed in (columns or {}).items():
            frame = tables[name]
            absent = [c for c in needed if c not in frame.columns]
            if absent:
                if "note" in frame.columns and len(frame):
                    return f"{name}: {frame['note'].iloc[0]}"
                return f"{name} has no column(s) {absent}"
            if frame.empty:
                return f"{name} has no rows"
        return ""

    return check


def _has_groups(table: str, column: str, what: str, model: str | None = None):
    """A check that a prevalence table has rows with a known ``column`` (for ``model``).

    ``compare`` leaves out documents without a year or locality, so an undated corpus
    writes ``theme_prevalence_by_year.csv`` with its header and no rows: the figure is then
    skipped with the reason, and the run goes on.
    """

    def check(tables: Tables) -> str:
        frame = tables.get(table)
        if frame is None:
            return f"{table} was not written"
        if column not in frame.columns:
            return f"{table} has no {column} column"
        known = frame[frame[column].notna()]
        if known.empty:
            return f"no document has a known {what} ({table} has no rows)"
        if model is not None and "model" in known.columns:
            if model not in set(known["model"].astype(str)):
                return f"{table} has no rows for model {model!r} (not in models.names)"
        return ""

    return check


# rows of the locality heatmaps; more localities than this are in the table, not the figure
MAX_LOCALITIES = 30
# panels per row of the top-terms figures
TERM_COLUMNS = 4


def _at_least_as_tall(fig: Figure, height: float) -> None:
    """Grow the figure to ``height`` inches when its rows need more than the spec's size."""
    width, current = fig.get_size_inches()
    fig.set_size_inches(width, max(current, height))


def _locality_spec(model: str, label: str) -> FigureSpec:
    def draw(tables: Tables, fig: Figure, language: str, labels: Mapping[str, str] | None):
        table = tables["theme_prevalence_by_locality.csv"]
        rows = min(table.loc[table["model"] == model, "locality"].nunique(), MAX_LOCALITIES)
        # each row carries a two-line interval annotation: grow the figure, never the overlap
        _at_least_as_tall(fig, 1.9 + 0.26 * rows)
        ax = fig.subplots()
        return plotting.plot_prevalence_by_locality(
            tables["theme_prevalence_by_locality.csv"],
            ax,
            model=model,
            language=language,
            labels=labels,
            max_groups=MAX_LOCALITIES,
        )

    return FigureSpec(
        name=f"fig1_prevalence_by_locality_{model}",
        function=plotting.plot_prevalence_by_locality,
        tables=("theme_prevalence_by_locality.csv",),
        caption=f"Mean theme share per locality ({label}), with 95% bootstrap intervals.",
        size=(7.0, 3.6),
        draw=draw,
        needs=_has_groups("theme_prevalence_by_locality.csv", "locality", "locality", model),
    )


def _terms_spec(model: str, label: str) -> FigureSpec:
    def draw(tables: Tables, fig: Figure, language: str, labels: Mapping[str, str] | None):
        terms = tables["topic_terms.csv"]
        rows = math.ceil(terms.loc[terms["model"] == model, "topic"].nunique() / TERM_COLUMNS)
        # eight bars and a two-line title per panel: grow the figure with the rows of panels
        _at_least_as_tall(fig, 0.4 + 2.0 * rows)
        return plotting.plot_top_terms(
            tables["topic_terms.csv"],
            fig,
            topics=tables["topics.csv"],
            model=model,
            language=language,
            labels=labels,
            ncols=TERM_COLUMNS,
            title_width=16,  # a quarter of a page: longer titles run out of the last column
        )

    def needs(tables: Tables) -> str:
        return _has_model("topic_terms.csv", model)(tables) or _has_model("topics.csv", model)(
            tables
        )

    return FigureSpec(
        name=f"fig3_top_terms_{model}",
        function=plotting.plot_top_terms,
        tables=("topic_terms.csv", "topics.csv"),
        caption=f"Top terms of each {label} topic, titled with the topic's theme label.",
        size=(7.0, 4.5),
        draw=draw,
        needs=needs,
    )


def _draw_year(tables: Tables, fig: Figure, language: str, labels: Mapping[str, str] | None):
    return plotting.plot_prevalence_by_year(
        tables["theme_prevalence_by_year.csv"], fig, language=language, labels=labels
    )


def _draw_selection(tables: Tables, fig: Figure, language: str, labels: Mapping[str, str] | None):
    return plotting.plot_model_selection(tables["model_selection.csv"], fig)


def _draw_alignment(tables: Tables, fig: Figure, language: str, labels: Mapping[str, str] | None):
    ax = fig.subplots()
    return plotting.plot_alignment(
        tables["alignment.csv"],
        ax,
        topics=tables.get("topics.csv"),
        language=language,
        labels=labels,
    )


def _draw_agreement(tables: Tables, fig: Figure, language: str, labels: Mapping[str, str] | None):
    ax = fig.subplots()
    return plotting.plot_agreement(tables["agreement.csv"], ax, language=language, labels=labels)


def _draw_overview(tables: Tables, fig: Figure, language: str, labels: Mapping[str, str] | None):
    localities = tables["documents.csv"]["locality"].nunique(dropna=False)
    rows = min(localities, MAX_LOCALITIES + 2)  # + "N others" and "unknown"
    _at_least_as_tall(fig, 1.0 + 0.2 * rows)
    return plotting.plot_corpus_overview(
        tables["documents.csv"], tables["units.csv"], fig, max_localities=MAX_LOCALITIES
    )


def _registry() -> dict[str, FigureSpec]:
    specs = [
        _locality_spec("lda", "LDA"),
        _locality_spec("nmf", "NMF"),
        _locality_spec("lexicon", "dictionary baseline"),
        FigureSpec(
            name="fig2_prevalence_by_year",
            function=plotting.plot_prevalence_by_year,
            tables=("theme_prevalence_by_year.csv",),
            caption="Mean theme share per year for each measure, with 95% bootstrap intervals.",
            size=(7.0, 4.0),
            draw=_draw_year,
            needs=_has_groups("theme_prevalence_by_year.csv", "year", "year"),
        ),
        _terms_spec("lda", "LDA"),
        _terms_spec("nmf", "NMF"),
        FigureSpec(
            name="fig4_model_selection",
            function=plotting.plot_model_selection,
            tables=("model_selection.csv",),
            caption="Coherence (C_V, C_NPMI), diversity and seed stability against K.",
            size=(7.0, 4.2),
            draw=_draw_selection,
            needs=_has_tables(
                "model_selection.csv",
                columns={"model_selection.csv": tuple(plotting.SELECTION_METRICS)},
            ),
        ),
        FigureSpec(
            name="fig5_alignment",
            function=plotting.plot_alignment,
            tables=("alignment.csv", "topics.csv"),
            caption="Similarity of every LDA topic to every NMF topic; matched pairs outlined.",
            size=(6.5, 5.0),
            draw=_draw_alignment,
            needs=_has_tables(
                "alignment.csv",
                columns={"alignment.csv": ("topic_a", "topic_b", "similarity", "matched")},
            ),
        ),
        FigureSpec(
            name="fig6_agreement",
            function=plotting.plot_agreement,
            tables=("agreement.csv",),
            caption="Correlation of topic-based and dictionary-based theme shares per theme.",
            size=(5.5, 3.6),
            draw=_draw_agreement,
            needs=_has_tables(
                "agreement.csv", columns={"agreement.csv": ("theme", "model_a", "model_b")}
            ),
        ),
        FigureSpec(
            name="fig7_corpus_overview",
            function=plotting.plot_corpus_overview,
            tables=("documents.csv", "units.csv"),
            caption="Documents and units per locality and year, and the lengths of the units.",
            size=(7.0, 2.8),
            draw=_draw_overview,
            needs=_has_tables("documents.csv", "units.csv"),
        ),
    ]
    return {spec.name: spec for spec in specs}


#: Every paper figure, by output name, in the order of the paper.
FIGURES: dict[str, FigureSpec] = _registry()


def topic_terms_table(results: Iterable[Any], n: int = 10) -> pd.DataFrame:
    """Top ``n`` terms of each topic of each result with their weights (``topic_terms.csv``).

    The long table ``model, topic, rank, term, weight`` behind the top-terms figures,
    stacked from :meth:`topiclab.TopicResult.to_frame`.
    """
    frames = [result.to_frame(n) for result in results]
    if not frames:
        return pd.DataFrame(columns=["model", "topic", "rank", "term", "weight"])
    return pd.concat(frames, ignore_index=True)


def table_files() -> list[str]:
    """Every table file some registered figure is drawn from, sorted."""
    return sorted({name for spec in FIGURES.values() for name in spec.tables})


def read_tables(
    directory: str | Path, names: Iterable[str] | None = None
) -> dict[str, pd.DataFrame]:
    """Read the tables behind the figures from ``directory``; absent files are left out.

    Identifier-like columns (ids, localities, terms, themes) are read as strings so that a
    locality called ``"2"`` or a term ``"nan"`` stays what it is.
    """
    directory = Path(directory)
    tables: dict[str, pd.DataFrame] = {}
    for name in sorted(names if names is not None else table_files()):
        path = directory / name
        if path.exists():
            tables[name] = pd.read_csv(
                path,
                dtype={c: "string" for c in _TEXT_COLUMNS},
                keep_default_na=False,
                na_values=[""],
            )
    return tables


_TEXT_COLUMNS = (
    "doc_id",
    "unit_id",
    "locality",
    "district",
    "province",
    "theme",
    "model",
    "model_a",
    "model_b",
    "term",
    "top_terms",
    "text",
    "title",
    "date",  # ISO text; on a large corpus mostly empty, and pandas would guess per chunk
    "source",
)


def render_figure(
    spec: FigureSpec,
    tables: Tables,
    *,
    language: str = "en",
    labels: Mapping[str, str] | None = None,
) -> Figure:
    """Draw one registered figure in the paper style and return it (not saved, not shown)."""
    # A bare Figure, not pyplot: no global figure manager, no GUI backend, and a notebook's
    # own backend is left alone. savefig renders PNG with Agg and PDF with the PDF backend.
    with plotting.paper_style({"svg.hashsalt": HASH_SALT}):
        fig = Figure(figsize=spec.size)
        spec.draw(tables, fig, language, labels)
    return fig


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
    tables = read_tables(tables_dir)
    labels = plotting.theme_labels(language, lexicon) if lexicon is not None else None
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


# --------------------------------------------------------------------------------------------
# the interactive LDA page


def ldavis_data(result: Any, bow: Any, *, n_terms: int = 30) -> Any:
    """pyLDAvis's prepared data of a fitted LDA :class:`~topiclab.TopicResult`.

    Parameters
    ----------
    result : TopicResult
        The LDA model (``topic_word``, ``doc_topic``, ``vocab``).
    bow : sparse matrix of shape (n_units, n_terms)
        The bag-of-words counts it was fitted on (unit lengths and term frequencies).
    n_terms : int, default=30
        Terms listed per topic in the page.

    Notes
    -----
    Topics keep the model's order (not pyLDAvis's sort by size) and are numbered from 1,
    as LDAvis requires: topic ``k`` of the page is topic ``k - 1`` of the tables.
    """
    import pyLDAvis

    counts = bow.tocsr() if hasattr(bow, "tocsr") else np.asarray(bow)
    if counts.shape != (result.doc_topic.shape[0], result.topic_word.shape[1]):
        raise ValueError(
            f"bow has shape {counts.shape}; the result needs "
            f"{(result.doc_topic.shape[0], result.topic_word.shape[1])}"
        )
    doc_lengths = np.asarray(counts.sum(axis=1)).ravel()
    term_frequency = np.asarray(counts.sum(axis=0)).ravel()
    keep = doc_lengths > 0
    if not keep.all():
        # pyLDAvis rejects empty units; they carry no words to show, and are reported
        # by the vectorizer as empty units already.
        logger.info("ldavis: %d empty units left out of the page", int((~keep).sum()))
    doc_topic = result.doc_topic[keep]
    doc_topic = doc_topic / doc_topic.sum(axis=1, keepdims=True)
    topic_word = result.topic_word / result.topic_word.sum(axis=1, keepdims=True)
    # n_jobs=1: the relevance tables are then computed in one process, in one order.
    return pyLDAvis.prepare(
        topic_word,
        doc_topic,
        doc_lengths[keep],
        [plotting.display_term(term) for term in result.vocab],
        term_frequency,
        R=min(n_terms, len(result.vocab)),
        n_jobs=1,
        sort_topics=False,
        # LDAvis reads topic 0 as "no topic selected", so its topics count from 1.
        start_index=1,
    )


def ldavis_html(prepared: Any, *, title: str = "LDA topics") -> str:
    """One self-contained HTML page of a pyLDAvis visualisation.

    d3, LDAvis's script and its style sheet are copied from the installed pyLDAvis into
    the page, so it opens offline and never fetches anything from a CDN; the element id is
    fixed, so the same model gives the same bytes.
    """
    import pyLDAvis.urls as urls

    d3 = Path(urls.D3_LOCAL).read_text(encoding="utf-8")
    ldavis = Path(urls.LDAVIS_LOCAL).read_text(encoding="utf-8")
    css = Path(urls.LDAVIS_CSS_LOCAL).read_text(encoding="utf-8")
    data = json.dumps(
        _rounded(prepared.to_dict()), cls=_NumpyJSON, ensure_ascii=False, sort_keys=True
    )
    # "</" inside inline scripts would end the script element early.
    data = data.replace("</", "<\\/")
    return (
        "<!DOCTYPE html>\n"
        '<html lang="vi">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{title}</title>\n"
        f"<style>\n{css}\n</style>\n"
        f"<script>\n{d3}\n</script>\n"
        f"<script>\n{ldavis}\n</script>\n"
        "</head>\n<body>\n"
        f'<div id="{LDAVIS_DIV_ID}" style="background-color:white;"></div>\n'
        "<script>\n"
        f'new LDAvis("#{LDAVIS_DIV_ID}", {data});\n'
        "</script>\n</body>\n</html>\n"
    )


def write_ldavis(result: Any, bow: Any, path: str | Path, *, n_terms: int = 30) -> Path:
    """Write the interactive pyLDAvis page of an LDA result to ``path`` (atomically)."""
    return atomic_write_text(path, ldavis_html(ldavis_data(result, bow, n_terms=n_terms)))


def _rounded(value: Any, digits: int = 6) -> Any:
    """``value`` with every float at ``digits`` significant digits, as the tables have them:
    the digits beyond differ between BLAS kernels and would change the page's bytes."""
    if isinstance(value, Mapping):
        return {k: _rounded(v, digits) for k, v in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [_rounded(v, digits) for v in value]
    if isinstance(value, float | np.floating):
        return float(f"{value:.{digits}g}")
    return value


class _NumpyJSON(json.JSONEncoder):
    def default(self, o: Any) -> Any:
        if isinstance(o, np.integer):
            return int(o)
        if isinstance(o, np.floating):
            return float(o)
        if isinstance(o, np.ndarray):
            return o.tolist()
        return super().default(o)


# --------------------------------------------------------------------------------------------
# README.md and ENVIRONMENT.txt


def figures_readme(
    written: Iterable[Path],
    skipped: Mapping[str, str],
    *,
    extra: Mapping[str, tuple[str, str, str]] | None = None,
    note: str = "",
) -> str:
    """``figures/README.md``: every figure, the function that draws it, the tables behind it.

    ``extra`` adds rows for other outputs: file name -> (producer, source, description).
    Figures that were not drawn are listed first, each with its reason (an undated corpus
    has no figure by year, a run of one model no alignment); ``note`` is a paragraph put
    before the table.
    """
    files = {Path(p).name for p in written}
    lines = [
        "# Figures",
        "",
        "Generated by `topiclab run` (`make figures` runs it on `analysis.yaml`); do not edit.",
        "Each figure is drawn by one function of `topiclab.plotting` from the tables in",
        "`tables/`, and written as PDF (vector, for the paper) and PNG (preview, at the",
        "`figures.dpi` of the config). `tables/topic_terms.csv` (top terms with weights) is",
        "written by the figure stage from the fitted models; every other table by the analysis.",
        "Rebuilding from the same tables gives the same bytes. Versions, config, seed and",
        "corpus checksums: `ENVIRONMENT.txt`; status, times and checksums of the run that",
        "wrote this folder: `run.json`.",
        "",
        "Numbers (tables, pyLDAvis page) are written at 6 significant digits. Builds on CPUs",
        "with different BLAS/SIMD kernels (AVX2, AVX-512) agree to about 1e-12 before rounding,",
        "so all 6 digits reproduce (`benchmarks/kernel_determinism.py` checks); not all are",
        "statistically meaningful: read shares with their bootstrap intervals. Top terms of",
        "equal weight (used in the same units; common with NMF on short units) are listed in",
        "vocabulary order; which of them makes the top 10 moves coherence in the 3rd decimal.",
        "",
    ]
    if note:
        lines += [note, ""]
    if skipped:
        lines += ["Not drawn, for lack of data or settings:", ""]
        lines += [f"- `{name}`: {reason}" for name, reason in sorted(skipped.items())]
        lines.append("")
    lines += [
        "| figure | files | drawn by | tables | shows |",
        "|---|---|---|---|---|",
    ]
    for name in sorted(FIGURES):
        spec = FIGURES[name]
        outputs = sorted(f for f in files if Path(f).stem == name)
        if not outputs and name not in skipped:
            continue
        shown = ", ".join(f"`{f}`" for f in outputs) if outputs else "not drawn"
        tables = ", ".join(f"`tables/{t}`" for t in spec.tables)
        function = f"`topiclab.plotting.{spec.function.__name__}`"
        caption = spec.caption
        if name in skipped:
            caption += f" Not drawn: {skipped[name]}."
        lines.append(f"| {name} | {shown} | {function} | {tables} | {caption} |")
    for file_name, (producer, source, description) in sorted((extra or {}).items()):
        lines.append(
            f"| {Path(file_name).stem} | `{file_name}` | `{producer}` | {source} | {description} |"
        )
    for name in sorted(set(skipped) - set(FIGURES)):
        lines.append(f"| {name} | not written | | | Not written: {skipped[name]}. |")
    lines.append("")
    return "\n".join(lines)


def environment_text(
    config: Mapping[str, Any],
    *,
    manifest: pd.DataFrame | None = None,
    base: str | Path | None = None,
) -> str:
    """``figures/ENVIRONMENT.txt``: package versions, the config, the seed, corpus checksums.

    Nothing time-dependent is written, paths in the config are made relative to ``base``
    (the project folder), and the cache folder is left out (it changes no result and is
    where this machine keeps it), so the file is the same on every clone.
    """
    lines = ["# Environment of the figures (generated; do not edit)", ""]
    lines.append(f"python: {platform.python_version()}")
    for package in RECORDED_PACKAGES:
        try:
            version = importlib_metadata.version(package)
        except importlib_metadata.PackageNotFoundError:
            version = "not installed"
        lines.append(f"{package}: {version}")
    for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        lines.append(f"{variable}: {os.environ.get(variable, 'unset')}")
    lines += ["", f"seed: {config.get('seed')}", "", "config:"]
    # the cache folder changes no number and is machine-specific (often in a home folder)
    recorded = {key: value for key, value in config.items() if key != "cache"}
    portable = _relative_paths(recorded, Path(base) if base is not None else None)
    dumped = yaml.safe_dump(portable, allow_unicode=True, sort_keys=True, width=100)
    lines += ["  " + line for line in dumped.rstrip().splitlines()]
    lines += ["", "corpus (sha256  status  file):"]
    if manifest is not None and not manifest.empty:
        frame = manifest.sort_values("file", kind="stable")
        for row in frame.itertuples(index=False):
            status = getattr(row, "status", "")
            lines.append(f"{getattr(row, 'sha256', '')}  {status}  {row.file}")
    else:
        lines.append("(no manifest)")
    lines.append("")
    return "\n".join(lines)


def _relative_paths(config: Mapping[str, Any], base: Path | None) -> dict[str, Any]:
    def convert(value: Any) -> Any:
        if isinstance(value, Mapping):
            return {str(k): convert(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [convert(v) for v in value]
        if isinstance(value, str) and base is not None and os.path.isabs(value):
            try:
                return os.path.relpath(value, base)
            except ValueError:
                return value
        return value

    return convert(config)


def outputs_digest(paths: Iterable[Path]) -> dict[str, str]:
    """SHA-256 of each file, by file name: what a cache stamp compares against."""
    return {Path(p).name: sha256_bytes(Path(p).read_bytes()) for p in sorted(paths)}


# --------------------------------------------------------------------------------------------
# the figure stage of `topiclab run`


def write_figures(
    config: Mapping[str, Any],
    *,
    lda_result: Any = None,
    bow: Any = None,
    lexicon: Any = None,
    folder: str | Path | None = None,
    skipped_out: dict[str, str] | None = None,
) -> list[Path]:
    """The figure stage: every figure, the pyLDAvis page, README.md and ENVIRONMENT.txt.

    Reads the tables the earlier stages wrote to ``<output>/tables/`` and writes into
    ``<output>/``. The stage is skipped when its inputs (tables, figure settings, lexicon,
    LDA model, versions) are those of the last build and its outputs are untouched; a
    figure file of a registered name that this build no longer produces (say, NMF after
    ``--models lda``) is removed, so ``figures/`` never shows a stale result.

    Parameters
    ----------
    config : dict
        The run configuration (``output``, ``cache``, ``seed``, ``figures.*``).
    lda_result : TopicResult, optional
        The chosen LDA model, for the interactive page.
    bow : sparse matrix, optional
        The bag-of-words counts ``lda_result`` was fitted on.
    lexicon : Lexicon, optional
        Where the theme labels come from (default: the shipped lexicon).
    folder : str or Path, optional
        Where the tables are read from and the outputs written (default: ``output``).
        :func:`topiclab.pipeline.run` passes its staging folder: the outputs of a reused
        stage are then linked there from ``output``, and the files record ``output``.
    skipped_out : dict, optional
        Filled with figure name -> why it was not drawn.

    Returns
    -------
    list of Path
        Every output of the stage, sorted (also when it was skipped).
    """
    output = Path(config["output"])
    target = Path(folder) if folder is not None else output
    tables_dir = target / "tables"
    settings = dict(config.get("figures", {}))
    language = settings.get("language", "en")
    formats = tuple(settings.get("formats", ("pdf", "png")))
    dpi = int(settings.get("dpi", 300))
    base = output.resolve().parent

    key = _stage_key(config, tables_dir, lda_result, bow, lexicon, base)
    # Without a cache (cache: null) every run draws afresh and leaves no stamp behind.
    # One stamp per output folder, so outputs sharing a cache do not overwrite each other's;
    # named by the output's place relative to the cache, so a moved project keeps its stamp.
    stamp_path = None
    if config.get("cache"):
        cache = Path(config["cache"])
        where = os.path.relpath(output.resolve(), cache.resolve())
        stamp_path = cache / "figures" / f"{sha256_bytes(where.encode('utf-8'))[:16]}.json"
    reused = _reuse(stamp_path, key, output) if stamp_path is not None else None
    if reused is not None:
        logger.info("figures: inputs unchanged, %d outputs reused", len(reused))
        if skipped_out is not None:
            skipped_out.update(_stamped_skips(stamp_path))
        if target == output:
            return reused
        return [_link_or_copy(path, target / path.name) for path in reused]

    written, skipped = build_figures(
        tables_dir, target, language=language, formats=formats, dpi=dpi, lexicon=lexicon
    )
    extra: dict[str, tuple[str, str, str]] = {}
    if lda_result is not None and bow is not None:
        written.append(write_ldavis(lda_result, bow, target / LDAVIS_FILE))
        extra[LDAVIS_FILE] = (
            "topiclab.figures.write_ldavis",
            "the chosen LDA model and its bag of words",
            "Interactive pyLDAvis page of the chosen LDA model (self-contained, works offline;"
            " its topics count from 1, so its topic k is topic k-1 of the tables).",
        )
    else:
        (target / LDAVIS_FILE).unlink(missing_ok=True)
        skipped["ldavis_lda"] = "no LDA model in this run (or figures.ldavis is false)"
        logger.warning("figures: no LDA model in this run, so no pyLDAvis page")
    written += write_notes(config, target, written, skipped, extra=extra)
    _remove_stale(target, {Path(p).name for p in written})
    written = sorted(written)
    if skipped_out is not None:
        skipped_out.update(skipped)
    stamp = {"key": key, "outputs": outputs_digest(written), "skipped": skipped}
    if stamp_path is not None:
        _write_stamp(stamp_path, stamp)
    return written


def _stage_key(
    config: Mapping[str, Any],
    tables_dir: Path,
    lda_result: Any,
    bow: Any,
    lexicon: Any,
    base: Path,
) -> str:
    import dataclasses

    digest = hashlib.sha256()

    def feed(label: str, data: bytes) -> None:
        digest.update(label.encode("utf-8") + b"\0" + sha256_bytes(data).encode() + b"\n")

    for name in sorted({*table_files(), "manifest.csv"}):
        path = tables_dir / name
        feed(name, path.read_bytes() if path.exists() else b"<absent>")
    feed("environment", environment_text(config, base=base).encode("utf-8"))
    if lexicon is not None:
        # The whole lexicon in its own order, not only its labels sorted: the figures take
        # their theme order (and colours) from it, so a reordered lexicon must redraw them.
        themes = getattr(lexicon, "themes", None)
        if themes is not None and all(dataclasses.is_dataclass(t) for t in themes):
            described: Any = [dataclasses.asdict(theme) for theme in themes]
        else:
            described = [[lang, list(lexicon.labels(lang).items())] for lang in plotting.LANGUAGES]
        feed("lexicon", json.dumps(described, ensure_ascii=False, default=str).encode("utf-8"))
        # the theme order and colours of the lexicon are drawn too (a dict keeps its order)
        feed("lexicon colours", json.dumps(plotting.theme_colors(lexicon)).encode("utf-8"))
    if lda_result is not None and bow is not None:
        feed("topic_word", np.ascontiguousarray(lda_result.topic_word).tobytes())
        feed("doc_topic", np.ascontiguousarray(lda_result.doc_topic).tobytes())
        feed("vocab", "\n".join(lda_result.vocab).encode("utf-8"))
        counts = bow.tocsr()
        feed("bow", counts.data.tobytes() + counts.indices.tobytes() + counts.indptr.tobytes())
    # The drawing code itself: a changed plot function must redraw the figures.
    feed("figures.py", Path(__file__).read_bytes())
    for private in sorted(Path(plotting.__file__).parent.glob("*")):
        if private.suffix in {".py", ".mplstyle"}:
            feed(private.name, private.read_bytes())
    return digest.hexdigest()


def _write_stamp(stamp_path: Path, stamp: dict[str, Any]) -> None:
    from topiclab import cachefiles

    # The stamp carries its own checksum, so a damaged stamp is noticed, not half-trusted.
    cachefiles.write_sealed_json(stamp_path, stamp)


def _reuse(stamp_path: Path, key: str, output: Path) -> list[Path] | None:
    from topiclab import cachefiles

    # A stamp without its checksum, or not matching it, is logged and deleted: a redraw.
    stamp = cachefiles.read_sealed_json(stamp_path, "figure stamp")
    if stamp is None or stamp.get("key") != key:
        return None
    if not isinstance(stamp.get("outputs"), dict):
        return None
    paths = [output / name for name in sorted(stamp["outputs"])]
    if not paths or any(not p.exists() for p in paths):
        return None
    if outputs_digest(paths) != stamp["outputs"]:
        return None
    return paths


def write_notes(
    config: Mapping[str, Any],
    folder: Path,
    written: Iterable[Path],
    skipped: Mapping[str, str],
    *,
    extra: Mapping[str, tuple[str, str, str]] | None = None,
    note: str = "",
) -> list[Path]:
    """Write ``README.md`` (what was drawn, what was not and why) and ``ENVIRONMENT.txt``.

    The tables are read from ``folder/tables``; paths in ENVIRONMENT.txt are relative to the
    parent of ``config["output"]`` (where the output ends up, not the staging folder).
    """
    output = Path(config["output"])
    base = output.resolve().parent
    manifest_path = folder / "tables" / "manifest.csv"
    manifest = pd.read_csv(manifest_path, dtype="string") if manifest_path.exists() else None
    readme = figures_readme(written, skipped, extra=extra, note=note)
    environment = environment_text(config, manifest=manifest, base=base)
    return [
        atomic_write_text(folder / "README.md", readme),
        atomic_write_text(folder / "ENVIRONMENT.txt", environment),
    ]


def _stamped_skips(stamp_path: Path | None) -> dict[str, str]:
    """The figures not drawn by the build a stamp records (for a reused stage)."""
    if stamp_path is None:
        return {}
    try:
        return dict(json.loads(stamp_path.read_text(encoding="utf-8")).get("skipped", {}))
    except (OSError, ValueError, AttributeError):
        return {}


def _link_or_copy(source: Path, target: Path) -> Path:
    """Put a reused output into the staging folder: a hard link (same bytes, same mtime),
    or a copy with its times where the file system has no hard links."""
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)
    except OSError:
        import shutil

        shutil.copy2(source, target)
    return target


def _remove_stale(output: Path, keep: set[str]) -> None:
    # Only files this stage could have written: registered figure names in figure formats.
    for name in FIGURES:
        for path in sorted(output.glob(f"{name}.*")):
            if path.suffix in {".pdf", ".png", ".svg"} and path.name not in keep:
                logger.info("figures: removing stale %s", path.name)
                path.unlink()


def figure_stage(
    fitted: Any,
    config: Mapping[str, Any],
    *,
    folder: str | Path | None = None,
    skipped_out: dict[str, str] | None = None,
) -> list[Path]:
    """The figure stage of :func:`topiclab.pipeline.run`, after the table stages.

    Writes ``tables/topic_terms.csv`` (the term weights behind the top-terms figures) from
    the fitted models, then every figure, the pyLDAvis page of the LDA model, README.md and
    ENVIRONMENT.txt (see :func:`write_figures`). ``figures.enabled: false`` draws no figure
    but still writes README.md (saying so) and ENVIRONMENT.txt (the seed and config of the
    tables).

    Parameters
    ----------
    fitted : topiclab.pipeline.Fitted
        The fitted models (``results``) and the vectorized corpus (``vectorized.bow``).
    config : dict
        The run configuration.
    folder : str or Path, optional
        Where the tables are and the outputs go (default: ``config["output"]``); the run
        passes its staging folder.
    skipped_out : dict, optional
        Filled with figure name -> why it was not drawn.

    Returns
    -------
    list of Path
        Every file the stage wrote or reused.
    """
    from topiclab.io import write_table
    from topiclab.themes import load_lexicon

    settings = config.get("figures", {})
    target = Path(folder) if folder is not None else Path(config["output"])
    tables = target / "tables"
    results = fitted.results
    # A table like the others (notebooks read it too), so written even without figures.
    terms = write_table(
        topic_terms_table(results[name] for name in sorted(results)),
        tables / "topic_terms.csv",
    )
    if not settings.get("enabled", True):
        logger.info("figures: skipped (figures.enabled is false)")
        skipped = {name: "figures.enabled is false" for name in FIGURES}
        if skipped_out is not None:
            skipped_out.update(skipped)
        notes = write_notes(
            config, target, [], {}, note="No figure was drawn: `figures.enabled` is false."
        )
        return [terms, *notes]
    lda = results.get("lda") if settings.get("ldavis", True) else None
    lexicon = load_lexicon(config.get("themes", {}).get("lexicon"))
    return [
        terms,
        *write_figures(
            config,
            lda_result=lda,
            bow=fitted.vectorized.bow,
            lexicon=lexicon,
            folder=target,
            skipped_out=skipped_out,
        ),
    ]
