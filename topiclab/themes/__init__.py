"""Theory-driven themes: a lexicon, topic labels, theme shares and their comparison.

The research question is which Party-building themes each locality emphasises and how the
emphasis moves over the years. This module answers it in a few calls on plain data:

1. :func:`load_lexicon` reads the theme lexicon (``resources/themes.yaml`` or a researcher's YAML).
2. :func:`label_topics` scores every topic of a fitted model against every theme.
3. :func:`theme_shares` turns a model's doc-topic matrix into theme shares per unit and per
   document; :func:`lexicon_shares` is the dictionary-only baseline from the tokens.
4. :func:`compare` gives mean shares per group (locality, year, ...) with bootstrap intervals.
5. :func:`exemplars` returns passages to read; :func:`agreement` correlates the measures.

How a topic becomes a theme
---------------------------
A theme's *score* in topic ``k`` is the weighted lexicon mass of the topic's word distribution,
``s[k, t] = sum_w weight[t, w] * phi[k, w]``. The score alone favours themes with frequent words,
so topics are labelled by *lift*: the score divided by the same mass in the corpus-wide word
distribution (the topics averaged with their prevalence). A topic whose best lift is below
``min_lift`` matches no theme and is labelled ``other``; it is never forced onto a theme.
Otherwise the topic is shared among the themes whose lift reaches ``min_lift``, in proportion
to their excess lift ``lift - 1``; its ``confidence`` is the part that goes to its best theme.

A unit's theme share is then ``sum_k theta[unit, k] * membership[k, theme]``; the ``other``
column holds the rest, so the shares of a unit sum to one.

From units to documents
-----------------------
Every share table carries a ``weight`` column, and a document's share is the weighted mean of
its units' shares. For topic-based shares the weight is the unit's token count, so a document's
share is the share of its text (a long paragraph says more about what an article emphasises
than a one-line caption). For the dictionary baseline the weight is the unit's indicator mass,
so a document's share is its theme's part of all indicator terms in the document (a ratio of
sums): a paragraph with a single indicator term would otherwise count as wholly about one theme.
"""

from __future__ import annotations

import logging
import re
import unicodedata
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from topiclab.progress import progress

logger = logging.getLogger(__name__)

OTHER = "other"
_ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
_MAX_PHRASE_TOKENS = 6
_REQUIRED_FIELDS = ("id", "terms")
# Optional: an English-only lexicon needs no Vietnamese label nor definition, and a theme
# without a colour takes one from the palette (see topiclab.plotting.theme_colors).
_OPTIONAL_FIELDS = ("label_en", "label_vi", "definition", "colour")


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

    The tone-mark convention is left to :func:`topiclab.preprocess.normalize_text` when it is
    available, so lexicon terms and tokens follow the same rule.
    """
    text = _normalize_text(term.strip())
    return "_".join(text.lower().split())


def _normalize_text(text: str) -> str:
    try:
        from topiclab.preprocess.normalize import normalize_text
    except ImportError:
        # the preprocessing room may not be installed in a trimmed build; NFC still makes
        # composed and decomposed input compare equal
        return unicodedata.normalize("NFC", text)
    return normalize_text(text)


# --------------------------------------------------------------------------------------------
# topics -> themes


def label_topics(
    result: Any,
    lexicon: Lexicon | None = None,
    *,
    min_lift: float = 1.5,
    n_terms: int = 10,
) -> pd.DataFrame:
    """Score every topic against every theme and give each topic its best theme.

    Parameters
    ----------
    result : TopicResult
        A fitted model (``topic_word``, ``doc_topic``, ``vocab``, ``model``).
    lexicon : Lexicon, optional
        Default: the shipped lexicon.
    min_lift : float, default=1.5
        A topic whose best theme has a lift below this is labelled ``other``.
    n_terms : int, default=10
        Number of top terms listed per topic.

    Returns
    -------
    DataFrame
        One row per topic: ``model, topic, top_terms`` (space-joined), ``theme`` (best theme id
        or ``other``), ``theme_score`` (the best theme's lexicon mass), ``lift`` (its lift),
        ``confidence`` (the topic's membership in that theme, 0 for ``other``), then one column
        per theme id with the theme's lexicon mass in the topic.

    Notes
    -----
    See the module docstring for the definitions of score, lift and membership.
    """
    lexicon = lexicon or load_lexicon()
    if min_lift < 1:
        raise ValueError(f"min_lift must be at least 1, got {min_lift}")
    scores, lifts = _topic_scores(result, lexicon)
    membership = _membership(lifts, min_lift)
    top_terms = result.top_terms(n_terms)
    rows = []
    for k in range(result.n_topics):
        best = int(np.argmax(lifts[k])) if len(lexicon) else 0
        matched = membership[k, -1] < 1.0
        row: dict[str, Any] = {
            "model": result.model,
            "topic": k,
            "top_terms": " ".join(top_terms[k]),
            "theme": lexicon.ids[best] if matched else OTHER,
            "theme_score": float(scores[k, best]),
            "lift": float(lifts[k, best]),
            "confidence": float(membership[k, best]) if matched else 0.0,
        }
        for i, theme_id in enumerate(lexicon.ids):
            row[theme_id] = float(scores[k, i])
        rows.append(row)
    columns = ["model", "topic", "top_terms", "theme", "theme_score", "lift", "confidence"]
    return pd.DataFrame(rows, columns=[*columns, *lexicon.ids])


def _topic_scores(result: Any, lexicon: Lexicon) -> tuple[np.ndarray, np.ndarray]:
    """Lexicon mass (K x T) of each topic and its lift over the corpus-wide distribution."""
    phi = np.asarray(result.topic_word, dtype=float)
    phi = phi / np.clip(phi.sum(axis=1, keepdims=True), 1e-300, None)
    weights = lexicon.weight_matrix(result.vocab)
    scores = phi @ weights.T
    theta = np.asarray(result.doc_topic, dtype=float)
    prevalence = theta.sum(axis=0)
    if prevalence.sum() <= 0:
        prevalence = np.ones(phi.shape[0])
    background = (prevalence / prevalence.sum()) @ scores
    with np.errstate(divide="ignore", invalid="ignore"):
        lifts = np.where(background > 0, scores / background, 0.0)
    return scores, lifts


def _membership(lifts: np.ndarray, min_lift: float) -> np.ndarray:
    """Share of each topic that goes to each theme, last column ``other`` (rows sum to 1)."""
    # only themes that clear min_lift take part, so smoothing noise in a topic's tail does
    # not leak a little of every topic into every theme
    excess = np.where(lifts >= min_lift, lifts - 1.0, 0.0)
    matched = lifts.max(axis=1, initial=0.0) >= min_lift
    total = excess.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(total > 0, excess / total, 0.0)
    share[~matched] = 0.0
    other = (~matched).astype(float)[:, None]
    return np.hstack([share, other])


def topic_theme_membership(
    result: Any, lexicon: Lexicon | None = None, *, min_lift: float = 1.5
) -> pd.DataFrame:
    """The K x (themes + other) membership matrix used by :func:`theme_shares`."""
    lexicon = lexicon or load_lexicon()
    _, lifts = _topic_scores(result, lexicon)
    return pd.DataFrame(
        _membership(lifts, min_lift),
        index=pd.RangeIndex(result.n_topics, name="topic"),
        columns=[*lexicon.ids, OTHER],
    )


# --------------------------------------------------------------------------------------------
# shares per unit and per document


def theme_shares(
    result: Any,
    lexicon: Lexicon | None = None,
    units: pd.DataFrame | None = None,
    *,
    level: str = "unit",
    min_lift: float = 1.5,
) -> pd.DataFrame:
    """Theme shares of every unit (or document) from a model's doc-topic matrix.

    Parameters
    ----------
    result : TopicResult
        The fitted model; its ``unit_ids`` say which unit each doc-topic row belongs to.
    lexicon : Lexicon, optional
        Default: the shipped lexicon.
    units : DataFrame
        The units table (``unit_id, doc_id``, metadata, optionally ``n_tokens``). Units the
        model did not see (no row in ``doc_topic``) are left out and logged.
    level : {"unit", "document"}, default="unit"
        ``"document"`` aggregates units to documents (see :func:`document_shares`).
    min_lift : float, default=1.5
        Passed to the topic labelling (see :func:`label_topics`).

    Returns
    -------
    DataFrame
        ``unit_id`` (unit level), ``doc_id``, the metadata columns present in ``units``,
        ``model``, ``n_tokens`` (when ``units`` has it), ``weight`` (the unit's weight in its
        document: ``n_tokens``, or 1 when unknown), one column per theme id and ``other``.
        The document level adds ``n_units`` and drops ``unit_id`` and ``unit_index``.
    """
    lexicon = lexicon or load_lexicon()
    if units is None:
        raise ValueError("theme_shares needs the units table to attach metadata")
    _check_level(level)
    membership = topic_theme_membership(result, lexicon, min_lift=min_lift).to_numpy()
    theta = np.asarray(result.doc_topic, dtype=float)
    sums = theta.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        theta = np.where(sums > 0, theta / sums, 0.0)
    values = pd.DataFrame(
        theta @ membership,
        columns=[*lexicon.ids, OTHER],
        index=pd.Index(result.unit_ids, name="unit_id"),
    )
    shares = _attach_units(values, units, model=result.model)
    if "n_tokens" in shares.columns:
        weights = shares["n_tokens"].astype(float).to_numpy()
    else:
        weights = np.ones(len(shares))
    shares.insert(shares.columns.get_loc(lexicon.ids[0]), "weight", weights)
    return shares if level == "unit" else document_shares(shares)


def lexicon_shares(
    tokens: Sequence[Sequence[str]],
    lexicon: Lexicon | None = None,
    units: pd.DataFrame | None = None,
    *,
    level: str = "unit",
) -> pd.DataFrame:
    """Dictionary-only theme shares, counted directly from the indicator terms.

    A unit's share of theme ``t`` is the weighted count of ``t``'s indicator terms in the unit
    divided by the weighted count of all themes' terms. Units without any indicator term get
    share 0 for every theme and 1 for ``other``. Multi-word terms match as one protected token
    or as their run of adjacent tokens; the longest match wins and a token is counted once
    per theme.

    Parameters
    ----------
    tokens : sequence of list of str
        Tokens of each unit, aligned with ``units``.
    lexicon : Lexicon, optional
        Default: the shipped lexicon.
    units : DataFrame
        The units table, one row per token list.
    level : {"unit", "document"}, default="unit"
        At document level a theme's share is its part of the document's whole indicator
        mass (units are weighted by their indicator mass).

    Returns
    -------
    DataFrame
        Same layout as :func:`theme_shares` with ``model = "lexicon"``, ``n_tokens`` (tokens
        of the unit), ``n_hits`` (indicator terms found) and ``weight`` (their weighted mass).
    """
    lexicon = lexicon or load_lexicon()
    if units is None:
        raise ValueError("lexicon_shares needs the units table to attach metadata")
    _check_level(level)
    if len(tokens) != len(units):
        raise ValueError(f"got {len(tokens)} token lists for {len(units)} units")
    mass = np.zeros((len(tokens), len(lexicon)))
    hits = np.zeros(len(tokens), dtype=int)
    indexes = [_term_index(theme.terms) for theme in lexicon]
    for i, unit_tokens in enumerate(tokens):
        for t, theme in enumerate(lexicon):
            found = _match(unit_tokens, *indexes[t])
            mass[i, t] = sum(theme.terms[term] for term in found)
            hits[i] += len(found)
    total = mass.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(total > 0, mass / total, 0.0)
    other = (total[:, 0] == 0).astype(float)
    values = pd.DataFrame(
        np.hstack([share, other[:, None]]),
        columns=[*lexicon.ids, OTHER],
        index=pd.Index(units["unit_id"].astype(str).tolist(), name="unit_id"),
    )
    units = units.copy()
    units["n_tokens"] = [len(t) for t in tokens]
    shares = _attach_units(values, units, model="lexicon")
    shares.insert(shares.columns.get_loc(lexicon.ids[0]), "n_hits", hits)
    shares.insert(shares.columns.get_loc(lexicon.ids[0]), "weight", total[:, 0])
    return shares if level == "unit" else document_shares(shares)


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


def document_shares(shares: pd.DataFrame) -> pd.DataFrame:
    """Aggregate unit shares to documents: the ``weight``-weighted mean per model and document.

    See the module docstring for what the weight is. When the ``weight`` column is absent,
    or a document's weights are all zero, its units count the same.
    """
    value_columns = share_columns(shares)
    keys = ["model", "doc_id"] if "model" in shares.columns else ["doc_id"]
    frame = shares.reset_index(drop=True)
    if "weight" in frame.columns:
        w = frame["weight"].astype(float).to_numpy()
    else:
        logger.info("no 'weight' column: units weigh the same in each document")
        w = np.ones(len(frame))
    w = np.where(np.isfinite(w) & (w > 0), w, 0.0)
    sums = pd.DataFrame(
        frame[value_columns].to_numpy(dtype=float) * w[:, None], columns=value_columns
    )
    sums["_w"] = w
    for key in keys:
        sums[key] = frame[key].to_numpy()
    totals = sums.groupby(keys, sort=False)[[*value_columns, "_w"]].sum()
    means = totals[value_columns].div(totals["_w"].where(totals["_w"] > 0), axis=0)
    plain = frame.groupby(keys, sort=False)[value_columns].mean()
    means = means.fillna(plain)
    counters = [c for c in ("n_tokens", "n_hits", "weight") if c in frame.columns]
    meta_columns = [
        c
        for c in frame.columns
        if c not in value_columns
        and c not in keys
        and c not in ("unit_id", "unit_index", "replicate", *counters)
    ]
    grouped = frame.groupby(keys, sort=False)
    out = grouped[meta_columns].first()
    out["n_units"] = grouped.size()
    for column in counters:
        out[column] = grouped[column].sum()
    out = out.join(means).reset_index()
    return out[[*keys, *meta_columns, "n_units", *counters, *value_columns]]


def share_columns(shares: pd.DataFrame) -> list[str]:
    """The share columns of a share table (theme ids and ``other``).

    They are the columns after ``weight`` (or after the last bookkeeping column).

    Stacking tables of different measures (``pd.concat``) may move a column only one of them
    has (``n_hits``) to the end, so bookkeeping columns are skipped wherever they stand.
    """
    bookkeeping = ("model", "n_units", "n_tokens", "n_hits", "weight", "replicate")
    if "weight" in shares.columns:
        start = shares.columns.get_loc("weight") + 1
    else:
        present = [c for c in bookkeeping if c in shares.columns]
        if not present:
            raise ValueError(
                "cannot tell the share columns apart: expected a 'model' column before them "
                "(use theme_shares or lexicon_shares, or pass themes=...)"
            )
        start = max(shares.columns.get_loc(c) for c in present) + 1
    return [c for c in shares.columns[start:] if c not in bookkeeping]


def _attach_units(values: pd.DataFrame, units: pd.DataFrame, *, model: str) -> pd.DataFrame:
    units = units.copy()
    units["unit_id"] = units["unit_id"].astype(str)
    if units["unit_id"].duplicated().any():
        raise ValueError("units has duplicated unit_id values")
    unknown = values.index.difference(pd.Index(units["unit_id"]))
    if len(unknown):
        # a model fitted without unit_ids names its rows "0", "1", ...: say how to fix that
        raise ValueError(
            f"{len(unknown)} unit ids of the model are not in units, e.g. {unknown[0]!r}; "
            "fit the model with the units' ids, e.g. "
            "LDA(k).fit(bow, vocab=vocab, unit_ids=units['unit_id']), so that its rows "
            "name the units"
        )
    unseen = pd.Index(units["unit_id"]).difference(values.index)
    if len(unseen):
        logger.info("%d units have no doc-topic row (e.g. empty after filtering)", len(unseen))
    meta_columns = [c for c in units.columns if c not in ("text",) and c not in values.columns]
    meta = units.set_index("unit_id").loc[values.index, [c for c in meta_columns if c != "unit_id"]]
    front = [c for c in meta.columns if c != "n_tokens"]
    out = meta[front].copy()
    out["model"] = model
    if "n_tokens" in meta.columns:
        out["n_tokens"] = meta["n_tokens"].to_numpy()
    out = out.join(values)
    return out.reset_index()


def _check_level(level: str) -> None:
    if level not in ("unit", "document"):
        raise ValueError(f"level must be 'unit' or 'document', got {level!r}")


# --------------------------------------------------------------------------------------------
# comparisons with uncertainty


def compare(
    shares: pd.DataFrame,
    by: str | Sequence[str] = "locality",
    n_boot: int = 1000,
    random_state: int | None = None,
    *,
    themes: Sequence[str] | None = None,
    level: float = 0.95,
    min_group_size: int = 3,
) -> pd.DataFrame:
    """Mean theme share per group with bootstrap confidence intervals.

    Documents are the unit of inference: unit-level shares are first aggregated to documents
    (:func:`document_shares`), then each group's documents are resampled with replacement.
    When ``shares`` holds several fits of the same model (a ``replicate`` column, e.g. refits
    with different seeds), each bootstrap draw also picks one refit at random, so the interval
    carries the model's own instability as well as the sampling of documents.

    Parameters
    ----------
    shares : DataFrame
        Output of :func:`theme_shares` or :func:`lexicon_shares` (unit or document level),
        possibly several models stacked (a ``model`` column) and several refits
        (a ``replicate`` column).
    by : str or list of str, default="locality"
        Metadata column(s) defining the groups. Rows with a missing or blank value there are
        left out and logged.
    n_boot : int, default=1000
        Bootstrap resamples.
    random_state : int, optional
        Seed. Each group draws from its own stream derived from the seed and the group's key,
        so adding a group does not change the others' intervals.
    themes : list of str, optional
        Share columns to compare; default all (theme ids and ``other``).
    level : float, default=0.95
        Nominal coverage of the interval: an expanded percentile interval (see
        :func:`expanded_tail`), which keeps close to nominal coverage in groups of ten or
        twenty documents where the plain percentile interval is too narrow.
    min_group_size : int, default=3
        Groups with fewer documents are flagged ``too_small``; groups of one document get no
        interval at all.

    Returns
    -------
    DataFrame
        ``[model], <by...>, theme, mean, lower, upper, n, too_small`` where ``mean`` is the
        mean over the group's documents (and refits), ``n`` the number of documents.
    """
    by_columns = [by] if isinstance(by, str) else list(by)
    if not by_columns:
        raise ValueError("by must name at least one column")
    missing = [c for c in by_columns if c not in shares.columns]
    if missing:
        raise KeyError(f"shares has no column(s) {missing}; columns: {list(shares.columns)}")
    if n_boot < 1:
        raise ValueError(f"n_boot must be positive, got {n_boot}")
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level}")
    value_columns = list(themes) if themes is not None else share_columns(shares)
    documents = _documents_for_compare(shares, value_columns)
    dropped = _missing_group(documents, by_columns)
    if dropped.any():
        # one row per document and measure and refit: count the documents themselves
        logger.warning(
            "compare: %d of %d documents have no %s and are left out",
            documents.loc[dropped, "doc_id"].nunique(),
            documents["doc_id"].nunique(),
            "/".join(by_columns),
        )
        documents = documents[~dropped]
    model_key = ["model"] if "model" in documents.columns else []
    seed = random_state if random_state is not None else np.random.SeedSequence().entropy
    alpha = (1 - level) / 2
    rows = []
    groups = documents.groupby([*model_key, *by_columns], sort=True, dropna=True)
    for key, group in progress(
        groups, desc=f"bootstrap by {'/'.join(by_columns)}", total=groups.ngroups, unit="group"
    ):
        key = key if isinstance(key, tuple) else (key,)
        stack = _replicate_stack(group, value_columns)  # (R, n, T)
        n_docs = stack.shape[1]
        means = stack.mean(axis=(0, 1))
        if n_docs >= 2:
            rng = np.random.default_rng([int(seed), zlib.crc32(repr(key).encode("utf-8"))])
            boots = _bootstrap_means(stack, n_boot, rng)
            tail = expanded_tail(alpha, n_docs)
            lower = np.quantile(boots, tail, axis=0)
            upper = np.quantile(boots, 1 - tail, axis=0)
        else:
            lower = upper = np.full(len(value_columns), np.nan)
        for t, theme_id in enumerate(value_columns):
            row = dict(zip([*model_key, *by_columns], key, strict=True))
            row.update(
                theme=theme_id,
                mean=float(means[t]),
                lower=float(lower[t]),
                upper=float(upper[t]),
                n=int(n_docs),
                too_small=bool(n_docs < min_group_size),
            )
            rows.append(row)
    columns = [*model_key, *by_columns, "theme", "mean", "lower", "upper", "n", "too_small"]
    out = pd.DataFrame(rows, columns=columns)
    # lexicon order of themes within each group reads better than alphabetical
    order = {theme_id: i for i, theme_id in enumerate(value_columns)}
    out["_order"] = out["theme"].map(order)
    out = out.sort_values([*model_key, *by_columns, "_order"], kind="stable")
    return out.drop(columns="_order").reset_index(drop=True)


def expanded_tail(alpha: float, n: int) -> float:
    """Tail probability of Hesterberg's expanded percentile interval for ``n`` observations.

    The plain percentile bootstrap is too narrow in small samples: the bootstrap variance of a
    mean is ``(n - 1) / n`` of the unbiased one and normal tails are thinner than Student's t.
    Taking the quantiles at ``Phi(-sqrt(n / (n - 1)) * t[1 - alpha, n - 1])`` instead of ``alpha``
    corrects both (Hesterberg 2015, doi:10.1080/00031305.2015.1089789).
    """
    from scipy import stats

    if n < 2:
        return alpha
    widened = np.sqrt(n / (n - 1)) * stats.t.ppf(1 - alpha, df=n - 1)
    return float(stats.norm.cdf(-widened))


def _missing_group(frame: pd.DataFrame, by_columns: list[str]) -> pd.Series:
    """Rows with no value in a grouping column: missing, or blank as ingestion leaves a
    metadata field it could neither read nor infer (a blank locality is not a locality)."""
    missing = frame[by_columns].isna()
    for column in by_columns:
        values = frame[column]
        if not pd.api.types.is_numeric_dtype(values):
            missing[column] |= values.astype("string").str.strip().fillna("").eq("")
    return missing.any(axis=1)


def _documents_for_compare(shares: pd.DataFrame, value_columns: list[str]) -> pd.DataFrame:
    if "doc_id" not in shares.columns:
        raise KeyError("shares needs a doc_id column: documents are resampled")
    replicate = "replicate" in shares.columns
    keys = [c for c in ("model", "replicate") if c in shares.columns]
    if not shares.duplicated([*keys, "doc_id"]).any():
        return shares
    # unit-level input: aggregate each (model, replicate) to documents
    parts = []
    groups = shares.groupby("replicate", sort=True) if replicate else [(None, shares)]
    for rep, part in groups:
        docs = document_shares(part.drop(columns="replicate") if replicate else part)
        if replicate:
            docs["replicate"] = rep
        parts.append(docs)
    documents = pd.concat(parts, ignore_index=True)
    absent = [c for c in value_columns if c not in documents.columns]
    if absent:
        raise KeyError(f"share columns {absent} not found")
    return documents


def _replicate_stack(group: pd.DataFrame, value_columns: list[str]) -> np.ndarray:
    """Shares of a group as an array (replicates, documents, themes), documents aligned."""
    if "replicate" not in group.columns:
        ordered = group.sort_values("doc_id", kind="stable")
        return ordered[value_columns].to_numpy(dtype=float)[None, :, :]
    replicates = sorted(group["replicate"].unique())
    doc_ids = sorted(group["doc_id"].unique())
    stack = np.empty((len(replicates), len(doc_ids), len(value_columns)))
    for r, rep in enumerate(replicates):
        part = group[group["replicate"] == rep].set_index("doc_id")
        if part.index.duplicated().any() or len(part) != len(doc_ids):
            raise ValueError(f"replicate {rep!r} does not hold each document exactly once")
        stack[r] = part.loc[doc_ids, value_columns].to_numpy(dtype=float)
    return stack


def _bootstrap_means(stack: np.ndarray, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """Bootstrap means (n_boot, T): resample documents, and a refit when there are several."""
    n_rep, n_docs, _ = stack.shape
    picks = rng.integers(0, n_rep, size=n_boot) if n_rep > 1 else np.zeros(n_boot, dtype=int)
    out = np.empty((n_boot, stack.shape[2]))
    # multinomial counts instead of index arrays keep memory at n_boot x n_docs
    chunk = max(1, min(n_boot, 2_000_000 // max(n_docs, 1)))
    for start in range(0, n_boot, chunk):
        stop = min(n_boot, start + chunk)
        counts = rng.multinomial(n_docs, np.full(n_docs, 1.0 / n_docs), size=stop - start)
        for r in range(n_rep):
            mask = picks[start:stop] == r
            if mask.any():
                out[start:stop][mask] = counts[mask] @ stack[r] / n_docs
    return out


# --------------------------------------------------------------------------------------------
# passages to read, and agreement between measures


def exemplars(
    shares: pd.DataFrame,
    units: pd.DataFrame,
    theme: str,
    by: str | Sequence[str] | None = None,
    n: int = 3,
    *,
    lexicon: Lexicon | None = None,
    tokens: Sequence[Sequence[str]] | None = None,
    model: str | None = None,
) -> pd.DataFrame:
    """The passages that most represent a theme, overall or within each group.

    Only units that contain at least one of the theme's indicator terms are candidates, so
    every passage shown can be checked by eye against the lexicon; among them the units with
    the highest share of the theme come first (ties broken by unit id).

    Parameters
    ----------
    shares : DataFrame
        Unit-level output of :func:`theme_shares` or :func:`lexicon_shares`.
    units : DataFrame
        The units table with ``unit_id`` and ``text``.
    theme : str
        Theme id.
    by : str or list of str, optional
        Metadata column(s): return the top ``n`` passages of each group.
    n : int, default=3
        Passages per group.
    lexicon : Lexicon, optional
        Default: the shipped lexicon.
    tokens : sequence of list of str, optional
        Tokens aligned with ``units``; when given, indicator terms are matched on them
        (as :func:`lexicon_shares` does), otherwise on the normalised text.
    model : str, optional
        Which model's shares to use when ``shares`` stacks several.

    Returns
    -------
    DataFrame
        ``model, theme, <by...>, rank, unit_id, doc_id, locality, year, share,
        indicator_terms`` (``;``-joined, in order of first occurrence), ``text``.
    """
    lexicon = lexicon or load_lexicon()
    terms = lexicon[theme].terms
    by_columns = [] if by is None else ([by] if isinstance(by, str) else list(by))
    if "unit_id" not in shares.columns:
        raise KeyError("exemplars needs unit-level shares (a unit_id column)")
    if model is not None:
        shares = shares[shares["model"] == model]
    models = shares["model"].unique().tolist() if "model" in shares.columns else [None]
    if len(models) > 1:
        raise ValueError(f"shares hold several models {models}; pass model=...")
    if tokens is not None and len(tokens) != len(units):
        raise ValueError(f"got {len(tokens)} token lists for {len(units)} units")
    unit_ids = units["unit_id"].astype(str).tolist()
    texts = dict(zip(unit_ids, units["text"].astype(str), strict=True))
    if tokens is not None:
        index = _term_index(terms)
        token_lists = dict(zip(unit_ids, tokens, strict=True))

        def terms_in(unit_id: str) -> list[str]:
            return _match(token_lists[unit_id], *index)
    else:

        def terms_in(unit_id: str) -> list[str]:
            return find_terms_in_text(texts[unit_id], terms)

    frame = shares.copy()
    frame["unit_id"] = frame["unit_id"].astype(str)
    frame = frame.assign(share=frame[theme].astype(float))
    frame = frame[frame["unit_id"].isin(texts)]
    if by_columns:
        frame = frame[~_missing_group(frame, by_columns)]
    frame = frame.sort_values(["share", "unit_id"], ascending=[False, True], kind="stable")
    # Walk down the ranking and match terms only until every group has its n passages: on a
    # large corpus that reads a few hundred units instead of all of them, with the same result.
    keys = (
        list(frame[by_columns].itertuples(index=False, name=None))
        if by_columns
        else [()] * len(frame)
    )
    wanted = len(set(keys)) * n
    taken: dict[tuple, int] = {}
    rows, found_terms = [], []
    for position, (unit_id, key) in enumerate(zip(frame["unit_id"], keys, strict=True)):
        if len(rows) == wanted:
            break
        if taken.get(key, 0) >= n:
            continue
        found = terms_in(unit_id)
        if found:
            taken[key] = taken.get(key, 0) + 1
            rows.append(position)
            found_terms.append(";".join(dict.fromkeys(found)))
    frame = frame.iloc[rows].assign(
        indicator_terms=found_terms, text=lambda f: f["unit_id"].map(texts)
    )
    if by_columns:
        frame = frame.sort_values(
            [*by_columns, "share", "unit_id"],
            ascending=[True] * len(by_columns) + [False, True],
            kind="stable",
        )
        frame["rank"] = frame.groupby(by_columns, sort=False).cumcount() + 1
    else:
        frame = frame.copy()
        frame["rank"] = np.arange(1, len(frame) + 1)
    frame["theme"] = theme
    frame["model"] = models[0]
    meta = [c for c in ("doc_id", "locality", "year") if c in frame.columns and c not in by_columns]
    columns = ["model", "theme", *by_columns, "rank", "unit_id", *meta, "share"]
    return frame[[*columns, "indicator_terms", "text"]].reset_index(drop=True)


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


def agreement(
    shares: pd.DataFrame,
    *,
    on: str = "doc_id",
    themes: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Correlation between the theme shares of different measures, per theme.

    Parameters
    ----------
    shares : DataFrame
        Several measures stacked, told apart by the ``model`` column (e.g. ``lda``, ``nmf``,
        ``lexicon``), at unit or document level.
    on : {"doc_id", "unit_id"}, default="doc_id"
        Compare documents (unit shares are aggregated first) or units.
    themes : list of str, optional
        Default: every share column.

    Returns
    -------
    DataFrame
        ``theme, model_a, model_b, n, pearson, spearman``: one row per theme and pair of
        measures. A correlation is NaN when a measure does not vary over the rows.
    """
    if "model" not in shares.columns:
        raise KeyError("agreement needs a 'model' column telling the measures apart")
    if on not in ("doc_id", "unit_id"):
        raise ValueError(f"on must be 'doc_id' or 'unit_id', got {on!r}")
    value_columns = list(themes) if themes is not None else share_columns(shares)
    frame = shares
    if on == "doc_id" and shares.duplicated(["model", "doc_id"]).any():
        frame = document_shares(shares)
    models = list(dict.fromkeys(frame["model"]))
    rows = []
    for theme_id in value_columns:
        wide = frame.pivot(index=on, columns="model", values=theme_id)
        for i, a in enumerate(models):
            for b in models[i + 1 :]:
                pair = wide[[a, b]].dropna()
                rows.append(
                    {
                        "theme": theme_id,
                        "model_a": a,
                        "model_b": b,
                        "n": len(pair),
                        "pearson": _correlation(pair[a], pair[b], "pearson"),
                        "spearman": _correlation(pair[a], pair[b], "spearman"),
                    }
                )
    return pd.DataFrame(rows, columns=["theme", "model_a", "model_b", "n", "pearson", "spearman"])


def _correlation(a: pd.Series, b: pd.Series, method: str) -> float:
    if len(a) < 3 or a.nunique() < 2 or b.nunique() < 2:
        return float("nan")
    return float(a.astype(float).corr(b.astype(float), method=method))
