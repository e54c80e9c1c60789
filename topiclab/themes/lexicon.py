"""The theme lexicon: themes with their indicator terms, labels, order and colours.

:func:`load_lexicon` reads and validates a lexicon (``resources/themes.yaml`` or a
researcher's YAML); :func:`match_terms` and :func:`find_terms_in_text` find a theme's
indicator terms in tokens and in raw text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from topiclab.palette import OKABE_ITO, TOL_MUTED

OTHER = "other"
_ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
_MAX_PHRASE_TOKENS = 6
_REQUIRED_FIELDS = ("id", "terms")
# Optional: an English-only lexicon needs no Vietnamese label nor definition, and a theme
# without a colour takes one from the palette (see Lexicon.colours).
_OPTIONAL_FIELDS = ("label_en", "label_vi", "definition", "colour")


#: The colour of ``other`` (topics and units that match no theme) in every figure: grey.
OTHER_COLOUR = "#bbbbbb"
# Colours for themes whose entry gives none, in this order: Okabe and Ito's colour-blind-safe
# set, then Paul Tol's "muted" scheme (the shipped lexicon's colours), then matplotlib's tab20.
_PALETTE: tuple[str, ...] = (*OKABE_ITO, *TOL_MUTED)


class LexiconError(ValueError):
    """A theme lexicon that cannot be used, with the place of the problem in the message."""


@dataclass(frozen=True)
class Theme:
    """One theme of the lexicon.

    Parameters
    ----------
    id : str
        Stable snake_case identifier; names the theme's column in every table.
    label_vi, label_en : str
        Vietnamese and English labels for tables and figures.
    definition : str
        A short definition, so a reader knows what the theme is meant to capture (may be
        empty in a researcher's lexicon).
    terms : dict of str to float
        Indicator terms in the preprocessing output form, with positive weights.
    colour : str, optional
        The theme's colour in every figure (hex); ``None`` lets the palette choose.
    """

    id: str
    label_vi: str
    label_en: str
    definition: str
    terms: dict[str, float] = field(default_factory=dict)
    colour: str | None = None


@dataclass(frozen=True)
class Lexicon:
    """An ordered collection of themes.

    Attributes
    ----------
    themes : tuple of Theme
        The themes, in the order of the YAML file (the column order of every table).
    source : str
        Where the lexicon was read from.
    """

    themes: tuple[Theme, ...]
    source: str = "<memory>"

    @property
    def ids(self) -> list[str]:
        """Theme ids in lexicon order."""
        return [theme.id for theme in self.themes]

    def __len__(self) -> int:
        return len(self.themes)

    def __iter__(self):
        return iter(self.themes)

    def __getitem__(self, theme_id: str) -> Theme:
        for theme in self.themes:
            if theme.id == theme_id:
                return theme
        raise KeyError(f"no theme {theme_id!r} in the lexicon; themes: {', '.join(self.ids)}")

    def labels(self, language: str = "en") -> dict[str, str]:
        """Map theme id to its label in ``language`` (``"en"`` or ``"vi"``)."""
        if language not in ("en", "vi"):
            raise ValueError(f"language must be 'en' or 'vi', got {language!r}")
        return {t.id: (t.label_en if language == "en" else t.label_vi) for t in self.themes}

    def colours(self) -> dict[str, str]:
        """The colour of every theme, distinct within the lexicon, in lexicon order.

        A theme takes the ``colour`` its entry gives, else the next colour of the palette
        that no theme of this lexicon uses (Okabe and Ito's set, Paul Tol's muted scheme,
        then matplotlib's ``tab20``; never the grey of ``other``). Colours repeat only when
        a lexicon has more themes than that palette. The figures draw every theme in its
        colour, so a researcher's lexicon never collides with the shipped one's colours.

        Returns
        -------
        dict of str to str
            Theme id -> hex colour.
        """
        from matplotlib import colormaps
        from matplotlib import colors as mcolors

        given = {t.id: mcolors.to_hex(t.colour) for t in self.themes if t.colour}
        taken = {*given.values(), OTHER_COLOUR}
        tab20 = [mcolors.to_hex(c) for c in colormaps["tab20"].colors]
        pool = [c for c in dict.fromkeys([*_PALETTE, *tab20]) if c not in taken]
        colours: dict[str, str] = {}
        free = 0
        for theme in self.themes:
            if theme.id in given:
                colours[theme.id] = given[theme.id]
            else:
                colours[theme.id] = pool[free % len(pool)]
                free += 1
        return colours

    def anchor_words(self, min_weight: float) -> dict[str, list[str]]:
        """The terms of each theme of weight at least ``min_weight``, to guide a model.

        Parameters
        ----------
        min_weight : float
            The lowest term weight kept (the lexicon's weights say how surely a term
            indicates its theme; only the surest should pull a topic towards it).

        Returns
        -------
        dict of str to list of str
            Theme id -> its terms in lexicon order, for every theme (a theme with no term
            that heavy maps to an empty list).
        """
        floor = float(min_weight)
        return {t.id: [term for term, w in t.terms.items() if w >= floor] for t in self.themes}

    def weight_matrix(self, vocab: Sequence[str]) -> np.ndarray:
        """Weights of every theme over ``vocab``: array of shape (n_themes, len(vocab))."""
        index = {term: j for j, term in enumerate(vocab)}
        weights = np.zeros((len(self.themes), len(vocab)))
        for i, theme in enumerate(self.themes):
            for term, weight in theme.terms.items():
                j = index.get(term)
                if j is not None:
                    weights[i, j] = weight
        return weights

    def to_frame(self) -> pd.DataFrame:
        """Long table of the lexicon: ``theme, label_vi, label_en, term, weight``."""
        rows = [
            {
                "theme": t.id,
                "label_vi": t.label_vi,
                "label_en": t.label_en,
                "term": term,
                "weight": weight,
            }
            for t in self.themes
            for term, weight in t.terms.items()
        ]
        return pd.DataFrame(rows, columns=["theme", "label_vi", "label_en", "term", "weight"])


# --------------------------------------------------------------------------------------------
# loading and validation


def load_lexicon(path: str | Path | None = None) -> Lexicon:
    """Read and validate a theme lexicon.

    Parameters
    ----------
    path : str or Path, optional
        A YAML file with a top-level ``themes`` list (see ``topiclab/resources/themes.yaml``
        for the format). ``None`` reads the shipped lexicon. Each theme needs ``id`` and
        ``terms``; ``label_en``, ``label_vi`` and ``definition`` are optional (a missing
        label takes the other language's label, else the id in sentence case; a missing
        definition is empty), and ``colour`` (e.g. ``"#cc3311"``) fixes the theme's colour
        in the figures. The order of the file is the order of every table and figure.

    Returns
    -------
    Lexicon

    Raises
    ------
    LexiconError
        If a theme lacks a field, an id is duplicated or malformed, a weight is not a
        positive number, or a term is not a non-empty string. The message names the theme.

    Examples
    --------
    >>> lexicon = load_lexicon()
    >>> "party_discipline" in lexicon.ids
    True
    """
    if path is None:
        text = resources.files("topiclab.resources").joinpath("themes.yaml").read_text("utf-8")
        source = "topiclab/resources/themes.yaml"
    else:
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"theme lexicon {path} does not exist")
        text = path.read_text(encoding="utf-8")
        source = str(path)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise LexiconError(f"{source}: not valid YAML: {error}") from error
    return lexicon_from_mapping(data, source=source)


def lexicon_from_mapping(data: Any, source: str = "<memory>") -> Lexicon:
    """Build a validated :class:`Lexicon` from parsed YAML (see :func:`load_lexicon`)."""
    if isinstance(data, Mapping):
        entries = data.get("themes")
    else:
        entries = data
    if not isinstance(entries, list) or not entries:
        raise LexiconError(f"{source}: expected a non-empty list under 'themes'")
    themes: list[Theme] = []
    seen: set[str] = set()
    for position, entry in enumerate(entries, start=1):
        where = f"{source}: theme #{position}"
        if not isinstance(entry, Mapping):
            raise LexiconError(f"{where}: expected a mapping, got {type(entry).__name__}")
        if "id" in entry:
            where = f"{source}: theme {entry['id']!r}"
        missing = [name for name in _REQUIRED_FIELDS if name not in entry]
        if missing:
            raise LexiconError(f"{where}: missing field(s) {', '.join(missing)}")
        unknown = sorted(set(entry) - {*_REQUIRED_FIELDS, *_OPTIONAL_FIELDS})
        if unknown:
            fields = ", ".join((*_REQUIRED_FIELDS, *_OPTIONAL_FIELDS))
            raise LexiconError(
                f"{where}: unknown field(s) {', '.join(unknown)}; a theme has {fields}"
            )
        theme_id = entry["id"]
        if not isinstance(theme_id, str) or not _ID_PATTERN.match(theme_id):
            raise LexiconError(f"{where}: id must be snake_case ([a-z][a-z0-9_]*)")
        if theme_id == OTHER:
            raise LexiconError(f"{where}: the id {OTHER!r} is reserved for unmatched topics")
        if theme_id in seen:
            raise LexiconError(f"{where}: duplicate theme id {theme_id!r}")
        seen.add(theme_id)
        for name in ("label_vi", "label_en", "definition"):
            if name in entry and (not isinstance(entry[name], str) or not entry[name].strip()):
                raise LexiconError(f"{where}: {name} must be a non-empty string")
        terms = _validate_terms(entry["terms"], where)
        # one label stands in for the other, so an English-only lexicon draws in both
        label_en = entry.get("label_en", entry.get("label_vi", _sentence_case(theme_id)))
        label_vi = entry.get("label_vi", label_en)
        themes.append(
            Theme(
                id=theme_id,
                label_vi=label_vi.strip(),
                label_en=label_en.strip(),
                definition=" ".join(entry.get("definition", "").split()),
                terms=terms,
                colour=_validate_colour(entry["colour"], where) if "colour" in entry else None,
            )
        )
    return Lexicon(themes=tuple(themes), source=source)


def _sentence_case(theme_id: str) -> str:
    text = theme_id.replace("_", " ")
    return text[:1].upper() + text[1:]


def _validate_colour(raw: Any, where: str) -> str:
    from matplotlib import colors as mcolors

    if not isinstance(raw, str) or not mcolors.is_color_like(raw):
        raise LexiconError(
            f"{where}: colour {raw!r} is not a colour; write a hex colour in quotes, such"
            " as colour: '#cc3311' (unquoted, YAML reads # as the start of a comment)"
        )
    return mcolors.to_hex(raw)


def _validate_terms(raw: Any, where: str) -> dict[str, float]:
    if isinstance(raw, list):
        # a plain list gives every term weight 1
        raw = dict.fromkeys(raw, 1.0)
    if not isinstance(raw, Mapping) or not raw:
        raise LexiconError(f"{where}: terms must be a non-empty mapping of term to weight")
    terms: dict[str, float] = {}
    for term, weight in raw.items():
        if not isinstance(term, str) or not term.strip():
            raise LexiconError(f"{where}: term {term!r} must be a non-empty string")
        if isinstance(weight, bool) or not isinstance(weight, (int, float)):
            raise LexiconError(f"{where}: weight of {term!r} must be a number, got {weight!r}")
        if not np.isfinite(weight) or weight <= 0:
            raise LexiconError(f"{where}: weight of {term!r} must be positive, got {weight!r}")
        form = normalize_term(term)
        if form in terms:
            raise LexiconError(f"{where}: term {term!r} is listed twice")
        terms[form] = float(weight)
    return terms


def normalize_term(term: str) -> str:
    """Put a term in the preprocessing output form: NFC, lower case, spaces as ``_``.

    The tone-mark convention is left to :func:`topiclab.text.normalize_text` when it is
    available, so lexicon terms and tokens follow the same rule.
    """
    text = _normalize_text(term.strip())
    return "_".join(text.lower().split())


def _normalize_text(text: str) -> str:
    try:
        from topiclab.text.normalize import normalize_text
    except ImportError:
        # the language layer may not be installed in a trimmed build; NFC still makes
        # composed and decomposed input compare equal
        return unicodedata.normalize("NFC", text)
    return normalize_text(text)


# --------------------------------------------------------------------------------------------
# finding indicator terms in tokens and in text


def match_terms(tokens: Sequence[str], terms: Mapping[str, float] | Iterable[str]) -> list[str]:
    """Indicator terms found in ``tokens``, one entry per occurrence, in text order.

    At each position the longest run of up to six adjacent tokens whose ``_``-joined form is a
    term wins, so ``["tự", "phê_bình"]`` counts once as ``tự_phê_bình`` and not also as
    ``phê_bình``.
    """
    return _match(tokens, *_term_index(terms))


def _term_index(terms: Mapping[str, float] | Iterable[str]) -> tuple[set[str], set[str]]:
    """The terms, and every ``_``-boundary prefix of them (a match must start with one)."""
    vocabulary = set(terms)
    starts = set()
    for term in vocabulary:
        parts = term.split("_")
        starts.update("_".join(parts[:i]) for i in range(1, len(parts) + 1))
    return vocabulary, starts


def _match(tokens: Sequence[str], vocabulary: set[str], starts: set[str]) -> list[str]:
    found: list[str] = []
    i = 0
    n = len(tokens)
    while i < n:
        # a run that joins to a term begins with a token that is one of the term's prefixes;
        # most tokens are not, and are passed over without building any candidate
        if tokens[i] not in starts:
            i += 1
            continue
        for length in range(min(_MAX_PHRASE_TOKENS, n - i), 0, -1):
            candidate = "_".join(tokens[i : i + length])
            if candidate in vocabulary:
                found.append(candidate)
                i += length
                break
        else:
            i += 1
    return found


def find_terms_in_text(text: str, terms: Iterable[str]) -> list[str]:
    """Indicator terms occurring in raw text (syllables separated by spaces), in text order.

    The text is normalised as the preprocessing normalises it (NFC, tone-mark convention) and
    lower-cased; a term matches only whole syllables, so ``dân`` does not match ``dẫn``.
    """
    normal = _normalize_text(text).lower()
    hits: list[tuple[int, str]] = []
    for term in terms:
        pattern = r"(?<!\w)" + r"\s+".join(map(re.escape, term.split("_"))) + r"(?!\w)"
        match = re.search(pattern, normal)
        if match:
            hits.append((match.start(), term))
    return [term for _, term in sorted(hits)]
