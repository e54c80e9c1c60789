"""The themes stage of a run: every theme table from the fitted models and the lexicon."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from topiclab.memory import release_memory
from topiclab.pipeline._fits import Fitted
from topiclab.settings import ThemeSettings
from topiclab.tables import (
    alignment_table,
    document_topics_table,
    exemplar_candidates,
    exemplar_hits,
    exemplars_of_candidates,
    share_units,
    topics_table,
)

logger = logging.getLogger("topiclab.pipeline")


def _stage_themes(fitted: Fitted, settings: ThemeSettings, *, seed: int) -> dict[str, pd.DataFrame]:
    """Every theme table: topics, document topics and themes, prevalence, exemplars, ...

    The measures are taken one at a time: the unit shares of a measure (its refits averaged,
    or the dictionary's) give its document shares, coverage and exemplar candidates, and
    are freed before the next measure's. Only document tables outlive their measure: at
    80,000 VNTC articles the unit shares of the three measures were 1.3 million rows,
    held together with the tables built from them.
    """
    from topiclab import themes

    lexicon = themes.load_lexicon(settings.lexicon)
    floors = {"min_lift": settings.min_lift, "min_mass": settings.min_mass}
    units = share_units(fitted.units)
    seen = themes.weigh_units_by_tokens_seen(units, fitted.vectorized.bow)
    # the dictionary measure first: which units hold a theme's indicator terms decides the
    # exemplar candidates of every measure
    dictionary = themes.lexicon_shares(fitted.tokens, lexicon, units)
    hits = exemplar_hits(dictionary, lexicon)
    summaries: dict[str, _MeasureSummary] = {}
    replicates = []
    for name in fitted.refits:
        # one refit's unit shares at a time: their running sum gives mean_of_refits
        mean = _RefitMean()
        for r, result in enumerate(fitted.each_refit(name)):
            shares = themes.theme_shares(result, lexicon, seen, **floors)
            del result
            replicates.append(themes.document_shares(shares).assign(replicate=r))
            mean.add(shares)
            del shares
            # each refit's unit tables leave freed blocks that would otherwise add up
            release_memory(collect=False)
        summaries[name] = _MeasureSummary.of(mean.result(), hits, lexicon)
        del mean
        release_memory(collect=False)
    summaries["lexicon"] = _MeasureSummary.of(dictionary, hits, lexicon)
    replicates.append(summaries["lexicon"].documents.assign(replicate=0))
    del dictionary, units, hits
    release_memory(collect=False)
    documents = themes.stack_documents([summary.documents for summary in summaries.values()])
    coverage = pd.concat([summary.coverage for summary in summaries.values()], ignore_index=True)
    candidates = [summary.candidates for summary in summaries.values()]
    del summaries
    topics = topics_table(
        fitted.results, fitted.tokens, fitted.vectorized.dictionary, lexicon, **floors
    )
    # counting co-occurrences over every token leaves freed pages in the heap: 220 MB at
    # 80,000 articles, on top of which the next tables would allocate
    release_memory(collect=False)
    document_topics = document_topics_table(fitted.results, fitted.units, fitted.vectorized.bow)
    release_memory(collect=False)
    exemplars = exemplars_of_candidates(candidates, fitted.units, fitted.tokens, lexicon)
    del candidates
    stacked_replicates = themes.stack_replicates(replicates)
    del replicates  # one copy of the replicate tables during the comparisons, not two
    release_memory(collect=False)
    out: dict[str, pd.DataFrame] = {
        "topics": topics,
        "document_topics": document_topics,
        "document_themes": documents,
    }
    for by in ("locality", "year"):
        logger.info("themes: comparing by %s (%d resamples)", by, settings.n_boot)
        out[f"theme_prevalence_by_{by}"] = themes.compare(
            stacked_replicates,
            by=by,
            n_boot=settings.n_boot,
            random_state=seed,
            min_group_size=settings.min_group_size,
            themes=[*lexicon.ids, themes.OTHER],
        )
    del stacked_replicates
    release_memory()
    out["exemplars"] = exemplars
    out["alignment"] = alignment_table(fitted.results)
    out["agreement"] = themes.agreement(documents)
    out["lexicon_coverage"] = coverage
    if note := themes.coverage_note(out["lexicon_coverage"]):
        logger.warning("themes: %s", note)
    from topiclab.themes.refits import refit_sequences  # read one refit at a time

    refits = refit_sequences(fitted.refits)
    out["label_sensitivity"] = themes.label_sensitivity(refits, seen, lexicon, **floors)
    return out


@dataclass(frozen=True)
class _MeasureSummary:
    """What the theme tables need of one measure's unit shares: its document shares, its
    row of lexicon_coverage.csv and its exemplar candidates (a few units per theme and
    locality)."""

    documents: pd.DataFrame
    coverage: pd.DataFrame
    candidates: pd.DataFrame

    @classmethod
    def of(cls, shares: pd.DataFrame, hits: dict[str, set[str]], lexicon: Any) -> _MeasureSummary:
        from topiclab import themes

        return cls(
            documents=themes.document_shares(shares),
            coverage=themes.lexicon_coverage(shares),
            candidates=exemplar_candidates(shares, hits, lexicon),
        )


def _stage_effects(
    fitted: Fitted, documents: pd.DataFrame, settings: ThemeSettings, *, seed: int
) -> pd.DataFrame:
    """``tables/theme_effects.csv``: the regressions of ``themes.effects`` on the metadata.

    Parameters
    ----------
    fitted : Fitted
        The refits, units, tokens and vectorized corpus of the run.
    documents : DataFrame
        The ingested documents with their metadata.
    settings : ThemeSettings
        The run's ``themes`` section (lexicon, label floors, ``min_group_size`` and
        ``effects``).
    seed : int
        The run's seed: it decides every draw.

    Returns
    -------
    DataFrame
        The tidy effects table (:func:`topiclab.themes.effects_run.theme_effects_table`).
    """
    from topiclab.themes.effects_run import theme_effects_table
    from topiclab.themes.lexicon import load_lexicon
    from topiclab.themes.refits import refit_sequences  # read one refit at a time

    effects = settings.effects
    # what the theme tables freed goes back to the system before the regressions allocate
    release_memory()
    table = theme_effects_table(
        refit_sequences(fitted.refits),
        fitted.units,
        fitted.vectorized.bow,
        fitted.tokens,
        load_lexicon(settings.lexicon),
        documents,
        formula=effects.formula,
        draws=effects.draws,
        random_state=seed,
        reference=effects.reference,
        cluster=effects.cluster,
        family=effects.family,
        min_lift=settings.min_lift,
        min_mass=settings.min_mass,
        min_group_size=settings.min_group_size,
    )
    # the thousands of regressions leave freed blocks behind in the allocator
    release_memory()
    return table


class _RefitMean:
    """:func:`topiclab.themes.mean_of_refits` of unit share tables given one at a time: the
    first table with its share columns replaced by their mean (summed in refit order, then
    divided, as ``np.mean`` over the stacked tables does)."""

    def __init__(self) -> None:
        self.first: pd.DataFrame | None = None
        self.total: np.ndarray | None = None
        self.n = 0

    def add(self, shares: pd.DataFrame) -> None:
        from topiclab.themes import share_columns

        values = shares[share_columns(shares)].to_numpy(dtype=float)
        if self.first is None:
            self.first, self.total = shares, values.copy()
        else:
            self.total += values
        self.n += 1

    def result(self) -> pd.DataFrame:
        from topiclab.themes import share_columns

        if self.first is None:
            raise ValueError("no refit to average")
        if self.n == 1:
            return self.first
        mean = self.first.copy()
        mean[share_columns(mean)] = self.total / self.n
        return mean
