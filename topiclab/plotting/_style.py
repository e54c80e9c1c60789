"""The paper style, the theme palette and the theme labels shared by every figure.

A theme keeps one colour in every figure of the paper, so a reader who learns that
wine is party discipline in the heatmap finds it wine in the year trends too.

Labels, theme order and colours come from the caller as plain mappings (a
:class:`ThemeLabels`, or any object with ``labels(language)``, ``ids`` and ``colours()``
such as a loaded lexicon); this room never imports :mod:`topiclab.themes`. Drawn without
them, a theme is labelled by its id in sentence case, and the shipped ids keep the order and
colours of :data:`THEME_ORDER` and :data:`THEME_COLORS`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any

import matplotlib as mpl
from matplotlib import colors as mcolors

from topiclab.palette import OKABE_ITO

#: The paper style file shipped with topiclab (``plt.style.use(PAPER_STYLE)``).
PAPER_STYLE: Path = Path(str(resources.files("topiclab.plotting").joinpath("paper.mplstyle")))

#: Theme ids in the order the shipped lexicon lists them: the order of a table drawn without
#: its lexicon (a lexicon's own order always comes first).
THEME_ORDER: tuple[str, ...] = (
    "cadre_planning",
    "cadre_rotation",
    "political_education",
    "party_discipline",
    "training",
    "grassroots_organisation",
    "party_congress",
    "socioeconomic_development",
    "mass_mobilisation",
)

#: Label of units or topics that match no theme; always drawn last, always grey.
OTHER = "other"

# Paul Tol's "muted" scheme (https://personal.sron.nl/~pault/): nine colours told apart
# under deuteranopia, protanopia and tritanopia, plus his grey for "no theme". The shipped
# lexicon gives its themes these colours; this table only colours a table drawn without
# labels, and never overrides a lexicon's colours.
THEME_COLORS: dict[str, str] = {
    "cadre_planning": "#332288",
    "cadre_rotation": "#88ccee",
    "political_education": "#44aa99",
    "party_discipline": "#882255",
    "training": "#117733",
    "grassroots_organisation": "#999933",
    "party_congress": "#ddcc77",
    "socioeconomic_development": "#cc6677",
    "mass_mobilisation": "#aa4499",
    OTHER: "#bbbbbb",
}

# Okabe and Ito's colour-blind-safe set, for theme ids a researcher's own lexicon adds.
_EXTRA_COLORS: tuple[str, ...] = OKABE_ITO

# Label of "other" in each language; every theme label comes from a lexicon.
_OTHER_LABELS: dict[str, str] = {"en": "Other", "vi": "Khác"}

LANGUAGES: tuple[str, ...] = ("en", "vi")

#: One colour, marker and line style per measure of theme shares.
MODEL_STYLES: dict[str, dict[str, str]] = {
    "lda": {"color": "#0072b2", "marker": "o", "linestyle": "-", "label": "LDA"},
    "nmf": {"color": "#d55e00", "marker": "s", "linestyle": "--", "label": "NMF"},
    "lexicon": {"color": "#000000", "marker": "^", "linestyle": ":", "label": "Dictionary"},
}


@contextmanager
def paper_style(rc: Mapping[str, Any] | None = None) -> Iterator[None]:
    """Draw inside the paper style: ``with paper_style(): fig, ax = plt.subplots()``.

    Parameters
    ----------
    rc : mapping, optional
        rcParams applied on top of the style, e.g. ``{"font.size": 9}``.
    """
    with mpl.style.context(str(PAPER_STYLE)), mpl.rc_context(dict(rc or {})):
        yield


class ThemeLabels(dict):
    """Theme id to display label, carrying the lexicon's theme order and colours.

    What :func:`theme_labels` returns. A plain ``dict`` to every reader of labels; the plot
    functions also read :attr:`order` and :attr:`colors` from it, so a researcher's lexicon
    keeps its own order and colours in every figure it labels.

    Attributes
    ----------
    order : tuple of str
        Theme ids in lexicon order (empty when the labels came without a lexicon).
    colors : dict of str to str
        Theme id to hex colour for the lexicon's themes (see :func:`theme_colors`).
    """

    def __init__(
        self,
        labels: Mapping[str, str] = (),
        *,
        order: Iterable[str] = (),
        colors: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(labels)
        self.order: tuple[str, ...] = tuple(order)
        self.colors: dict[str, str] = dict(colors or {})


def theme_colors(lexicon: Any) -> dict[str, str]:
    """The colour of every theme of a lexicon, as the lexicon gives them.

    Parameters
    ----------
    lexicon : Lexicon, ThemeLabels or mapping
        An object with a ``colours()`` method (a loaded
        :class:`~topiclab.themes.Lexicon`: each theme's own colour, or a free colour of its
        palette), a :class:`ThemeLabels` (its ``colors``), or a mapping theme id -> colour.

    Returns
    -------
    dict of str to str
        Theme id to hex colour, in the order given.
    """
    if isinstance(lexicon, ThemeLabels):
        return dict(lexicon.colors)
    if hasattr(lexicon, "colours"):
        return {str(k): mcolors.to_hex(v) for k, v in lexicon.colours().items()}
    if isinstance(lexicon, Mapping):
        return {str(k): mcolors.to_hex(v) for k, v in lexicon.items()}
    raise TypeError("lexicon must have a colours() method, or be ThemeLabels or a mapping")


def theme_color(theme: str, lexicon: Any = None) -> str:
    """The colour of a theme id (hex string), the same in every figure.

    Parameters
    ----------
    theme : str
        A theme id.
    lexicon : Lexicon or ThemeLabels, optional
        Where the theme comes from: its themes take the lexicon's colours (see
        :func:`theme_colors`), so two themes of one lexicon never share one.

    Notes
    -----
    An id the lexicon lacks (or any id, without a lexicon) takes its colour from
    :data:`THEME_COLORS` when it is a shipped id, else a colour chosen from its name, so it
    never changes between figures.
    """
    colors = _lexicon_colors(lexicon)
    if theme in colors:
        return colors[theme]
    if theme in THEME_COLORS:
        return THEME_COLORS[theme]
    digest = hashlib.sha256(str(theme).encode("utf-8")).digest()
    return _EXTRA_COLORS[digest[0] % len(_EXTRA_COLORS)]


def order_themes(themes: Iterable[str], lexicon: Any = None) -> list[str]:
    """Sort theme ids: lexicon order, then shipped order, then the rest, ``other`` last.

    Parameters
    ----------
    themes : iterable of str
        The ids to sort (e.g. a table's ``theme`` column).
    lexicon : Lexicon or ThemeLabels, optional
        Its themes come first, in the order of its file. Ids it lacks follow in the order
        of the shipped lexicon (:data:`THEME_ORDER`), then in order of first appearance
        (tables list themes in lexicon order, so a table drawn without its lexicon keeps it).
    """
    unique = list(dict.fromkeys(str(theme) for theme in themes))
    present = set(unique)
    first = [theme for theme in _lexicon_order(lexicon) if theme in present and theme != OTHER]
    shipped = [theme for theme in THEME_ORDER if theme in present and theme not in first]
    placed = {*first, *shipped, OTHER}
    extra = [theme for theme in unique if theme not in placed]
    tail = [OTHER] if OTHER in present else []
    return first + shipped + extra + tail


def _lexicon_order(lexicon: Any) -> tuple[str, ...]:
    if isinstance(lexicon, ThemeLabels):
        return lexicon.order
    if lexicon is not None and hasattr(lexicon, "ids"):
        return tuple(lexicon.ids)
    return ()


def _lexicon_colors(lexicon: Any) -> dict[str, str]:
    if isinstance(lexicon, ThemeLabels):
        return lexicon.colors
    if lexicon is not None and hasattr(lexicon, "colours"):
        return theme_colors(lexicon)
    return {}


def theme_labels(
    language: str = "en", lexicon: Any = None, themes: Iterable[str] | None = None
) -> ThemeLabels:
    """Map theme ids to display labels in ``language`` (``"en"`` or ``"vi"``).

    Parameters
    ----------
    language : {"en", "vi"}, default="en"
        English glosses or the Vietnamese labels.
    lexicon : Lexicon or mapping, optional
        Labels from a loaded lexicon: an object with a ``labels(language)`` method (its
        ``ids`` and ``colours()`` give the order and colours), or a mapping
        ``theme id -> label``. The lexicon is the one source of theme labels: pass it (the
        figure build does), or ids are shown in sentence case.
    themes : iterable of str, optional
        Extra ids to label (ids without a label become their id in sentence case).

    Returns
    -------
    ThemeLabels
        A dict of labels that also carries the lexicon's theme order and colours (from a
        :class:`~topiclab.themes.Lexicon` or another ``ThemeLabels``; a plain mapping only
        overrides labels).
    """
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {LANGUAGES}, got {language!r}")
    labels = {OTHER: _OTHER_LABELS[language]}
    if lexicon is not None:
        if isinstance(lexicon, Mapping):
            labels.update({str(k): str(v) for k, v in lexicon.items()})
        elif hasattr(lexicon, "labels"):
            labels.update({str(k): str(v) for k, v in lexicon.labels(language).items()})
        else:
            raise TypeError("lexicon must be a mapping or have a labels(language) method")
    for theme in themes or ():
        labels.setdefault(str(theme), _sentence_case(str(theme)))
    return ThemeLabels(labels, order=_lexicon_order(lexicon), colors=_lexicon_colors(lexicon))


def label_of(theme: str, labels: Mapping[str, str]) -> str:
    """The display label of one theme id, falling back to the id in sentence case."""
    return labels.get(theme, _sentence_case(theme))


def display_term(term: str) -> str:
    """Show a segmented token as words: ``"cán_bộ"`` becomes ``"cán bộ"``."""
    return term.replace("_", " ")


def order_models(models: Iterable[str]) -> list[str]:
    """Sort measures: ``lda``, ``nmf``, ``lexicon``, then any other alphabetically."""
    unique = {str(model) for model in models}
    known = [model for model in MODEL_STYLES if model in unique]
    return known + sorted(unique - set(MODEL_STYLES))


def readable_color(color: str) -> str:
    """A darker shade of pale palette colours (sand, cyan), which vanish as text on white."""
    red, green, blue = mcolors.to_rgb(color)
    if 0.2126 * red + 0.7152 * green + 0.0722 * blue > 0.6:
        return mcolors.to_hex((red * 0.6, green * 0.6, blue * 0.6))
    return color


def model_style(model: str) -> dict[str, str]:
    """Colour, marker, line style and label of a measure (``lda``, ``nmf``, ``lexicon``)."""
    if model in MODEL_STYLES:
        return dict(MODEL_STYLES[model])
    color = theme_color(f"model:{model}")
    return {"color": color, "marker": "D", "linestyle": "-.", "label": model}


def figure_legend(fig: Any, handles: list, labels: list[str], where: str) -> Any:
    """A legend for the whole figure, outside the panels when the layout allows it.

    ``where`` is a location such as ``"lower center"``; with the constrained layout of the
    paper style the legend is placed outside the panels and they make room for it.
    """
    engine = fig.get_layout_engine()
    constrained = engine is not None and "Constrained" in type(engine).__name__
    return fig.legend(
        handles,
        labels,
        loc=f"outside {where}" if constrained else where,
        ncols=max(1, len(handles)),
    )


def require_columns(table: Any, columns: Iterable[str], what: str) -> None:
    """Raise a clear error naming the missing columns of a table a figure needs."""
    missing = [column for column in columns if column not in table.columns]
    if missing:
        raise ValueError(
            f"{what} needs columns {missing}; the table has {list(map(str, table.columns))}"
        )


def select_model(table: Any, model: str | None, what: str) -> Any:
    """Rows of one model, or the whole table when it holds one model only."""
    if "model" not in table.columns:
        return table
    models = sorted(table["model"].astype(str).unique())
    if model is None:
        if len(models) > 1:
            raise ValueError(f"{what}: the table holds models {models}; pass model=")
        return table
    if model not in models:
        raise ValueError(f"{what}: no rows for model {model!r}; the table has {models}")
    return table[table["model"].astype(str) == model]


def _sentence_case(theme: str) -> str:
    text = re.sub(r"[_\s]+", " ", theme).strip()
    return text[:1].upper() + text[1:]
