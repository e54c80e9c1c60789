"""Simulated corpora with known themes, to check that theme comparisons recover the truth.

A simulated corpus has one topic per theme (its word distribution puts most mass on the theme's
indicator terms and on words of its own) plus a background topic of common words. Documents
draw their topic proportions from a Dirichlet whose mean depends on the document's locality
and year: one theme (``planted``) gets a locality difference and a linear year trend. The true
group means of every theme's share are therefore known, and :func:`coverage_study` measures how
often :func:`topiclab.themes.compare` intervals contain them.

Size: one generator with its design options (correlated designs, specialised paragraphs,
shared vocabulary) and the coverage study that reads it; the options share the generator's
state, so they stay in one module.

Harder corpora than the balanced default, for the simulation a reviewer can believe
(``benchmarks/simulation_grid.py``):

- an unbalanced design in which locality and year are correlated: :func:`correlated_design`
  gives the documents per (locality, year) cell for ``docs_per_cell``;
- null effects: a locality whose ``locality_effect`` equals the reference's, or zero effects
  throughout; :attr:`SimulatedCorpus.true_effects` states every planted (and null) effect;
- paragraphs that specialise within a document (``paragraph_concentration``): each unit
  draws its own mixture around its document's, so one paragraph is mostly about one theme;
- vocabulary shared between themes (``shared_vocabulary``): each theme topic puts part of its
  mass on the other themes' words, as real themes share words such as "cán_bộ".
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from topiclab.themes import OTHER, Lexicon, compare, load_lexicon, theme_shares

#: the themes a simulated corpus contains, besides the background topic
DEFAULT_THEMES = ("cadre_planning", "cadre_rotation", "party_discipline", "training")


@dataclass
class SimulatedCorpus:
    """A corpus drawn from known topics.

    Attributes
    ----------
    units : DataFrame
        ``unit_id, doc_id, unit_index, locality, year, n_tokens, text``.
    tokens : list of list of str
        Tokens of each unit.
    theta : DataFrame
        True topic proportions of each document (``doc_id`` index, one column per theme and
        ``other`` for the background topic).
    truth_by_locality, truth_by_year : DataFrame
        True expected share of each theme per group: ``<by>, theme, truth``.
    topic_word : ndarray
        The generating topic-word distributions (themes, then background).
    vocab : list of str
    true_effects : DataFrame
        The true average marginal effects of the design on every theme's expected share, in
        the layout of :func:`topiclab.themes.effects.estimate_effects`: ``theme, covariate,
        level, reference, truth``; ``locality`` rows contrast each locality with the first,
        the ``year`` row (level ``"per unit"``) is the change per year. Because the expected
        shares are additive in locality and year, these hold whatever the design's balance.
    unit_theta : ndarray
        The topic mixture each unit was drawn from (equal to its document's ``theta`` unless
        ``paragraph_concentration`` is set); empty when tokens were not drawn.
    """

    units: pd.DataFrame
    tokens: list[list[str]]
    theta: pd.DataFrame
    truth_by_locality: pd.DataFrame
    truth_by_year: pd.DataFrame
    topic_word: np.ndarray
    vocab: list[str]
    true_effects: pd.DataFrame | None = None
    unit_theta: np.ndarray | None = None


def correlated_design(
    n: float,
    n_localities: int = 3,
    n_years: int = 5,
    *,
    strength: float = 0.6,
) -> np.ndarray:
    """Documents per (locality, year) cell of an unbalanced design where the two are correlated.

    The first locality reports mostly in the early years, the second mostly in the late years,
    the others evenly: the first two localities' weights tilt linearly over the years, from
    ``1 + strength`` to ``1 - strength`` (and the reverse). A year difference is then
    confounded with which localities report in it, unless the model holds locality fixed.

    Parameters
    ----------
    n : float
        Average documents per cell (each row of weights averages 1).
    n_localities, n_years : int
        Shape of the design; at least 2 localities and 2 years.
    strength : float, default=0.6
        Tilt in [0, 1): 0 gives a balanced design.

    Returns
    -------
    ndarray of int, shape (n_localities, n_years)
        Documents per cell, at least one each, for ``simulate_corpus(docs_per_cell=...)``.

    Examples
    --------
    >>> correlated_design(2).tolist()
    [[3, 3, 2, 1, 1], [1, 1, 2, 3, 3], [2, 2, 2, 2, 2]]
    """
    if n_localities < 2 or n_years < 2:
        raise ValueError("a correlated design needs at least 2 localities and 2 years")
    if not 0 <= strength < 1:
        raise ValueError(f"strength must be in [0, 1), got {strength!r}")
    # -1 in the first year to +1 in the last
    position = np.linspace(-1.0, 1.0, n_years)
    tilt = np.zeros(n_localities)
    tilt[0], tilt[1] = -1.0, 1.0
    weights = 1.0 + strength * tilt[:, None] * position[None, :]
    return np.maximum(1, np.rint(n * weights)).astype(int)


def simulate_corpus(
    *,
    themes: Sequence[str] = DEFAULT_THEMES,
    planted: str = "party_discipline",
    localities: Sequence[str] = ("An Giang", "Bắc Ninh", "Cà Mau"),
    years: Sequence[int] = (2016, 2017, 2018, 2019, 2020),
    docs_per_cell: int | Sequence[Sequence[int]] = 4,
    units_per_doc: int = 3,
    unit_length: int = 60,
    base_share: float = 0.15,
    locality_effect: Sequence[float] = (0.0, 0.10, 0.20),
    year_trend: float = 0.03,
    background_share: float = 0.2,
    concentration: float = 4.0,
    lexicon: Lexicon | None = None,
    random_state: int = 0,
    draw_tokens: bool = True,
    paragraph_concentration: float | None = None,
    shared_vocabulary: float = 0.0,
) -> SimulatedCorpus:
    """Draw a corpus with a planted locality difference and year trend in one theme.

    Parameters
    ----------
    themes : sequence of str
        Theme ids of the lexicon that get a topic each.
    planted : str
        The theme whose share depends on locality and year.
    localities, years : sequences
        The design: every (locality, year) cell gets ``docs_per_cell`` documents.
    docs_per_cell : int or matrix of int
        Documents per cell, or one count per locality (rows) and year (columns): an
        unbalanced design, e.g. localities that report in different years.
    units_per_doc, unit_length : int
        Corpus size; every unit has ``unit_length`` tokens.
    base_share : float
        Expected share of ``planted`` in the first locality and first year.
    locality_effect : sequence of float
        Added to the planted share in each locality.
    year_trend : float
        Added to the planted share per year.
    background_share : float
        Expected share of the background topic; the remaining share is split evenly among
        the other themes.
    concentration : float
        Dirichlet concentration: larger means documents vary less around the cell mean.
    lexicon : Lexicon, optional
        Default: the shipped lexicon (its indicator terms are the theme topics' words).
    random_state : int
        Seed.
    draw_tokens : bool, default=True
        Draw the units' words; ``False`` draws only the true proportions (faster, for
        studies that use :func:`oracle_shares`), leaving tokens and texts empty.
    paragraph_concentration : float, optional
        Paragraphs that specialise: each unit draws its own mixture from
        ``Dirichlet(paragraph_concentration * theta)`` around its document's ``theta`` (so the
        document's expected share is unchanged); small values (e.g. 1) make most paragraphs
        about one topic. ``None`` (default): every unit of a document has its ``theta``.
    shared_vocabulary : float, default=0.0
        Fraction in [0, 1) of each theme topic's own mass (its indicator terms and own words)
        moved to words it shares with one other theme: every pair of themes has a pool of 5
        such words, used by those two themes only (as "kiểm_tra" belongs to discipline and to
        inspection). 0 keeps the themes' own words disjoint (only the common words, 20% of
        each theme topic, are shared). Each theme keeps words of its own, so its topic is not
        a mixture of the others (mixing whole topics would make the shares unidentifiable:
        the same corpus is then as well described by purer topics and shrunken shares).

    Returns
    -------
    SimulatedCorpus
    """
    lexicon = lexicon or load_lexicon()
    themes = list(themes)
    if planted not in themes:
        raise ValueError(f"planted theme {planted!r} must be one of {themes}")
    if len(locality_effect) != len(localities):
        raise ValueError("locality_effect needs one value per locality")
    if paragraph_concentration is not None and not paragraph_concentration > 0:
        raise ValueError("paragraph_concentration must be positive (or None)")
    if not 0 <= shared_vocabulary < 1:
        raise ValueError(f"shared_vocabulary must be in [0, 1), got {shared_vocabulary!r}")
    sizes = np.broadcast_to(np.asarray(docs_per_cell, dtype=int), (len(localities), len(years)))
    rng = np.random.default_rng(random_state)
    topic_word, vocab = _topic_word(themes, lexicon, rng)
    if shared_vocabulary:
        topic_word, vocab = _share_vocabulary(topic_word, vocab, themes, shared_vocabulary)
    others = [t for t in themes if t != planted]

    def cell_mean(li: int, yi: int) -> np.ndarray:
        planted_share = base_share + locality_effect[li] + year_trend * yi
        rest = 1.0 - background_share - planted_share
        if rest <= 0 or planted_share <= 0:
            raise ValueError("the design gives a non-positive share; lower the effects")
        mean = {t: rest / len(others) for t in others}
        mean[planted] = planted_share
        return np.array([*(mean[t] for t in themes), background_share])

    unit_rows: list[dict] = []
    tokens: list[list[str]] = []
    theta_rows: list[np.ndarray] = []
    unit_theta: list[np.ndarray] = []
    doc_ids: list[str] = []
    truth_rows: list[dict] = []
    n_doc = 0
    for li, locality in enumerate(localities):
        for yi, year in enumerate(years):
            mean = cell_mean(li, yi)
            truth_rows.extend(
                {"locality": locality, "year": year, "theme": t, "truth": mean[i]}
                for i, t in enumerate([*themes, OTHER])
            )
            for _ in range(sizes[li, yi]):
                doc_id = f"sim{n_doc:04d}"
                n_doc += 1
                theta = rng.dirichlet(concentration * mean)
                theta_rows.append(theta)
                doc_ids.append(doc_id)
                for u in range(units_per_doc):
                    mixture = theta
                    if draw_tokens and paragraph_concentration is not None:
                        # floor: a Dirichlet parameter must be positive, and a share of
                        # exactly 0 would underflow the gamma variates
                        mixture = rng.dirichlet(np.maximum(paragraph_concentration * theta, 1e-3))
                    if draw_tokens:
                        unit_theta.append(mixture)
                    counts = rng.multinomial(unit_length, mixture) if draw_tokens else []
                    words = [
                        vocab[j]
                        for k, count in enumerate(counts)
                        if count
                        for j in rng.choice(len(vocab), size=count, p=topic_word[k])
                    ]
                    tokens.append(words)
                    unit_rows.append(
                        {
                            "unit_id": f"{doc_id}:p{u:03d}",
                            "doc_id": doc_id,
                            "unit_index": u,
                            "locality": locality,
                            "year": year,
                            "n_tokens": unit_length,
                            "text": " ".join(w.replace("_", " ") for w in words),
                        }
                    )
    truth = pd.DataFrame(truth_rows)
    return SimulatedCorpus(
        units=pd.DataFrame(unit_rows),
        tokens=tokens,
        theta=pd.DataFrame(
            np.array(theta_rows), index=pd.Index(doc_ids, name="doc_id"), columns=[*themes, OTHER]
        ),
        truth_by_locality=truth.groupby(["locality", "theme"], sort=False, as_index=False)[
            "truth"
        ].mean(),
        truth_by_year=truth.groupby(["year", "theme"], sort=False, as_index=False)["truth"].mean(),
        topic_word=topic_word,
        vocab=vocab,
        true_effects=_true_effects(
            themes, planted, localities, locality_effect, year_trend, len(others)
        ),
        unit_theta=np.array(unit_theta) if unit_theta else np.zeros((0, len(themes) + 1)),
    )


def _true_effects(
    themes: list[str],
    planted: str,
    localities: Sequence[str],
    locality_effect: Sequence[float],
    year_trend: float,
    n_others: int,
) -> pd.DataFrame:
    """Contrasts with the first locality and the slope per year, for every theme.

    The planted theme's expected share is ``base + locality_effect + year_trend * year``; the
    other themes split the remainder evenly, so each moves by ``-effect / n_others``; the
    background share is fixed.
    """
    rows = []
    for theme in [*themes, OTHER]:
        if theme == planted:
            scale = 1.0
        elif theme == OTHER:
            scale = 0.0
        else:
            scale = -1.0 / n_others
        for locality, effect in zip(localities[1:], locality_effect[1:], strict=True):
            truth = scale * (effect - locality_effect[0])
            rows.append(
                {
                    "theme": theme,
                    "covariate": "locality",
                    "level": str(locality),
                    "reference": str(localities[0]),
                    "truth": truth + 0.0,  # no negative zeros in tables
                }
            )
        rows.append(
            {
                "theme": theme,
                "covariate": "year",
                "level": "per unit",
                "reference": "",
                "truth": scale * year_trend + 0.0,
            }
        )
    return pd.DataFrame(rows)


def _share_vocabulary(
    topic_word: np.ndarray, vocab: list[str], themes: list[str], fraction: float
) -> tuple[np.ndarray, list[str]]:
    """Move ``fraction`` of each theme topic's non-common mass to pools shared by two themes.

    Every pair of themes gets 5 words ``shared_<i>_<j>_<n>``; a theme's moved mass is split
    evenly over its pairs' pools (uniformly within a pool). The background topic and the
    common words are left alone; rows still sum to one. No random draw: the corpus stream of
    the other options stays the same.
    """
    n = len(themes)
    if n < 2:
        return topic_word, vocab
    pairs = [(i, j) for i in range(n) for j in range(i + 1, n)]
    pool = {pair: [f"shared_{pair[0]}_{pair[1]}_{m}" for m in range(5)] for pair in pairs}
    new_vocab = sorted({*vocab, *(w for words in pool.values() for w in words)})
    index = {w: j for j, w in enumerate(new_vocab)}
    old_columns = np.array([index[w] for w in vocab])
    out = np.zeros((topic_word.shape[0], len(new_vocab)))
    out[:, old_columns] = topic_word
    common = np.array([w.startswith("common") for w in new_vocab])
    for k in range(n):
        own = ~common & (out[k] > 0)
        moved = fraction * out[k, own].sum()
        out[k, own] *= 1.0 - fraction
        mine = [pair for pair in pairs if k in pair]
        for pair in mine:
            for w in pool[pair]:
                out[k, index[w]] += moved / (len(mine) * len(pool[pair]))
    return out, new_vocab


def _topic_word(
    themes: list[str], lexicon: Lexicon, rng: np.random.Generator
) -> tuple[np.ndarray, list[str]]:
    """Topics over a vocabulary of indicator terms, theme-own words and common words.

    Each theme topic puts 40% of its mass on its indicator terms, 40% on words no lexicon
    theme lists and 20% on the common words; the background topic is the common words alone.
    """
    used: set[str] = set()
    indicator: dict[str, list[str]] = {}
    for theme_id in themes:
        # single-token terms only: a phrase term would be generated as one token anyway, but
        # unigrams keep the vocabulary like a real one; a term shared by two themes goes to the
        # first so that the truth stays unambiguous
        terms = [t for t in lexicon[theme_id].terms if "_" in t or len(t) > 2]
        terms = [t for t in terms if t not in used][:12]
        used.update(terms)
        indicator[theme_id] = terms
    own = {t: [f"{t}_word{j:02d}" for j in range(20)] for t in themes}
    common = [f"common{j:02d}" for j in range(60)]
    vocab = sorted({*used, *(w for words in own.values() for w in words), *common})
    index = {w: j for j, w in enumerate(vocab)}
    topic_word = np.zeros((len(themes) + 1, len(vocab)))
    for k, theme_id in enumerate(themes):
        for words, mass in ((indicator[theme_id], 0.4), (own[theme_id], 0.4), (common, 0.2)):
            p = rng.dirichlet(np.full(len(words), 2.0)) * mass
            for w, value in zip(words, p, strict=True):
                topic_word[k, index[w]] += value
    p = rng.dirichlet(np.full(len(common), 2.0))
    for w, value in zip(common, p, strict=True):
        topic_word[-1, index[w]] = value
    return topic_word, vocab


FitFunction = Callable[[SimulatedCorpus, int], list]


def coverage_study(
    fit: FitFunction,
    *,
    n_sims: int = 20,
    n_boot: int = 500,
    level: float = 0.95,
    random_state: int = 0,
    lexicon: Lexicon | None = None,
    **simulate_options,
) -> pd.DataFrame:
    """Repeat simulate -> fit -> :func:`compare` and record whether intervals cover the truth.

    Parameters
    ----------
    fit : callable
        ``fit(corpus, seed) -> list of TopicResult``: one result, or several refits of the same
        model (they are stacked as replicates so :func:`compare` resamples over them too).
    n_sims : int, default=20
    n_boot : int, default=500
    level : float, default=0.95
    random_state : int, default=0
        Seed of the whole study; simulation ``i`` uses a seed derived from it.
    lexicon : Lexicon, optional
    **simulate_options
        Passed to :func:`simulate_corpus`.

    Returns
    -------
    DataFrame
        One row per simulation, grouping (``locality`` or ``year``), group and theme:
        ``sim, by, group, theme, truth, mean, lower, upper, covered, n``.
    """
    lexicon = lexicon or load_lexicon()
    seeds = np.random.SeedSequence(random_state).generate_state(n_sims)
    rows = []
    for sim, seed in enumerate(seeds):
        corpus = simulate_corpus(lexicon=lexicon, random_state=int(seed), **simulate_options)
        results = fit(corpus, int(seed))
        shares = _stack_replicates(results, lexicon, corpus.units)
        for by, truth in (("locality", corpus.truth_by_locality), ("year", corpus.truth_by_year)):
            table = compare(shares, by=by, n_boot=n_boot, random_state=int(seed), level=level)
            merged = table.merge(truth, on=[by, "theme"], how="inner")
            for record in merged.itertuples(index=False):
                record = record._asdict()
                rows.append(
                    {
                        "sim": sim,
                        "by": by,
                        "group": str(record[by]),
                        "theme": record["theme"],
                        "truth": record["truth"],
                        "mean": record["mean"],
                        "lower": record["lower"],
                        "upper": record["upper"],
                        "covered": bool(record["lower"] <= record["truth"] <= record["upper"]),
                        "n": record["n"],
                    }
                )
    return pd.DataFrame(rows)


def oracle_shares(corpus: SimulatedCorpus) -> pd.DataFrame:
    """Document shares equal to the true topic proportions (what a perfect model would give)."""
    docs = corpus.units.groupby("doc_id", sort=True)[["locality", "year"]].first()
    frame = docs.join(corpus.theta).reset_index()
    frame.insert(3, "model", "oracle")
    return frame


def _stack_replicates(results: list, lexicon: Lexicon, units: pd.DataFrame) -> pd.DataFrame:
    parts = []
    for r, result in enumerate(results):
        shares = theme_shares(result, lexicon, units, level="document")
        if len(results) > 1:
            shares["replicate"] = r
        parts.append(shares)
    return pd.concat(parts, ignore_index=True)


def fit_lda_refits(
    corpus: SimulatedCorpus,
    seed: int,
    *,
    n_refits: int = 1,
    n_topics: int | None = None,
    passes: int = 10,
    iterations: int = 100,
    alpha: str = "auto",
) -> list:
    """Fit LDA ``n_refits`` times with seeds ``seed, seed + 1, ...`` on a simulated corpus.

    ``n_topics`` defaults to the true number of topics (themes plus background).
    """
    from topiclab.models import LDA
    from topiclab.vectorize import vectorize

    vectorized = vectorize(corpus.tokens, no_below=2, no_above=1.0, keep_n=None)
    k = n_topics or corpus.topic_word.shape[0]
    unit_ids = corpus.units["unit_id"].tolist()
    return [
        LDA(k, random_state=seed + r, passes=passes, iterations=iterations, alpha=alpha)
        .fit(vectorized.bow, vocab=vectorized.vocab, unit_ids=unit_ids)
        .result_
        for r in range(n_refits)
    ]
