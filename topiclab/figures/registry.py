"""The registry of the paper's figures: name -> plot function, tables behind it, caption.

Every figure of the paper is registered once in :data:`FIGURES` with the plot function
that draws it and the table(s) behind it; :func:`read_tables` reads those tables back.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from topiclab import plotting

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
    columns : dict of str to tuple of str
        The only columns read of some of its tables (those present are read); a table not
        named here is read whole. Set for the tables of one row per unit or document,
        whose other columns (ids, titles) are most of the memory of the figure stage on a
        large corpus.
    """

    name: str
    function: Callable[..., Any]
    tables: tuple[str, ...]
    caption: str
    size: tuple[float, float]
    draw: Callable[[Tables, Figure, str, Mapping[str, str] | None], Any]
    needs: Callable[[Tables], str] = field(default=lambda tables: "")
    columns: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


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


# levels of one categorical covariate in the effects figure: those with most documents
MAX_EFFECT_LEVELS = 8


def _effect_rows(table: pd.DataFrame) -> pd.DataFrame:
    """The rows of the effects figure: numeric covariates, and the ``MAX_EFFECT_LEVELS``
    levels of each categorical one with most documents (every level is in the table)."""
    levels = table[["covariate", "level", "n_documents"]].drop_duplicates(["covariate", "level"])
    levels = levels[levels["level"].astype(str) != "per unit"]
    kept = (
        levels.sort_values(["covariate", "n_documents", "level"], ascending=[True, False, True])
        .groupby("covariate", sort=False)
        .head(MAX_EFFECT_LEVELS)
    )
    keep = set(zip(kept["covariate"], kept["level"], strict=True))
    mask = [
        level == "per unit" or (covariate, level) in keep
        for covariate, level in zip(table["covariate"], table["level"].astype(str), strict=True)
    ]
    return table[mask]


def _draw_effects(tables: Tables, fig: Figure, language: str, labels: Mapping[str, str] | None):
    # a numeric covariate has no reference: read back as missing, drawn as none
    table = _effect_rows(tables["theme_effects.csv"]).fillna({"reference": ""})
    rows = len(table[["theme", "covariate", "level"]].drop_duplicates())
    # one row per theme and contrast, and one for each theme's heading
    _at_least_as_tall(fig, 1.0 + 0.22 * (rows + table["theme"].nunique()))
    ax = fig.subplots()
    return plotting.plot_theme_effects(
        table, ax, labels=labels, colours=getattr(labels, "colors", None)
    )


def _has_effects(tables: Tables) -> str:
    frame = tables.get("theme_effects.csv")
    if frame is None:
        return "theme_effects.csv was not written"
    if frame.empty:
        return (
            "theme_effects.csv has no rows: no term of themes.effects.formula could enter the "
            "regression (one that takes one value, or is known for too few documents; the "
            "run's log names each term left out and why)"
        )
    return ""


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
            # what plot_corpus_overview reads: the units' lengths, the documents' groups
            columns={
                "documents.csv": ("doc_id", "locality", "year"),
                "units.csv": ("doc_id", "n_tokens", "n_words"),
            },
        ),
        FigureSpec(
            name="fig8_theme_effects",
            function=plotting.plot_theme_effects,
            tables=("theme_effects.csv",),
            caption=(
                "Average marginal effect of each covariate of themes.effects.formula on each "
                "theme's share (LDA, NMF, dictionary), with 95% intervals by the method of "
                f"composition; at most {MAX_EFFECT_LEVELS} levels of a covariate are drawn."
            ),
            size=(7.0, 4.0),
            draw=_draw_effects,
            needs=_has_effects,
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
    directory: str | Path,
    names: Iterable[str] | None = None,
    *,
    skip: Iterable[str] = (),
    columns: Mapping[str, Iterable[str]] | None = None,
) -> dict[str, pd.DataFrame]:
    """Read the tables behind the figures from ``directory``; absent files are left out.

    Identifier-like columns (ids, localities, terms, themes) are read as strings so that a
    locality called ``"2"`` or a term ``"nan"`` stays what it is. Columns named in ``skip``
    are not read (the figures never draw ``text``, the bulk of documents.csv and units.csv
    on a large corpus); of a table named in ``columns``, only the columns listed there (those
    present) are read.
    """
    directory = Path(directory)
    skipped = set(skip)
    only = {name: set(wanted) for name, wanted in (columns or {}).items()}
    tables: dict[str, pd.DataFrame] = {}
    for name in sorted(names if names is not None else table_files()):
        path = directory / name
        if path.exists():
            kept = only.get(name)

            def read(column: str, kept: set[str] | None = kept) -> bool:
                return column not in skipped and (kept is None or column in kept)

            tables[name] = pd.read_csv(
                path,
                dtype={c: "string" for c in _TEXT_COLUMNS},
                keep_default_na=False,
                na_values=[""],
                usecols=read if skipped or kept is not None else None,
            )
    return tables


def columns_read(specs: Iterable[FigureSpec]) -> dict[str, tuple[str, ...]]:
    """The columns the figures ``specs`` read of the tables they all limit (see
    :attr:`FigureSpec.columns`); a table that one of them reads whole is not listed."""
    specs = list(specs)
    wanted: dict[str, tuple[str, ...]] = {}
    for table in sorted({name for spec in specs for name in spec.tables}):
        readers = [spec for spec in specs if table in spec.tables]
        if all(table in spec.columns for spec in readers):
            union = {column for spec in readers for column in spec.columns[table]}
            wanted[table] = tuple(sorted(union))
    return wanted


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
    "covariate",
    "level",
    "reference",
    "date",  # ISO text; on a large corpus mostly empty, and pandas would guess per chunk
    "source",
)
