"""The model stages of a run: model selection and the refits at the chosen K.

They take the ``models`` and ``parallel`` sections, the seed, the lexicon and the cache
folder (:class:`_FitSettings`); fits are cached in the stage cache
(:mod:`topiclab.pipeline._keys`). :class:`Fitted` holds what the analysis stages need.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd

from topiclab.io import write_table
from topiclab.memory import release_memory
from topiclab.parallel import release_workers
from topiclab.pipeline._keys import (
    _counts_digest,
    _fit_revision,
    _model_key,
    _stage_cache,
    _tokens_digest,
)
from topiclab.progress import progress
from topiclab.settings import ModelSettings, ParallelSettings, Settings

logger = logging.getLogger("topiclab.pipeline")


@dataclass
class Fitted:
    """What the analysis stages need from the earlier ones.

    In a run, ``tokens`` is the :class:`~topiclab.stream.TokenStore` (read a chunk at a time),
    ``vectorized.bow`` the :class:`~topiclab.stream.BowStore` and ``units`` the units table
    without the texts; a notebook may give lists and matrices instead. A refit after the
    first of each model may be the folder it was saved to (:class:`SavedFit`): only the
    first fit of each model is held in memory, the others are read one at a time.
    """

    units: pd.DataFrame
    tokens: Any
    vectorized: Any
    refits: dict[str, list[Any]]

    @cached_property
    def unit_ids(self) -> list[str]:
        """The id of each unit, in the order of the rows of every fit."""
        return self.units["unit_id"].astype(str).tolist()

    @property
    def results(self) -> dict[str, Any]:
        """The first fit of each model (the one topics.csv and document_topics.csv show)."""
        return {
            name: _with_shared_ids(_loaded(fits[0]), self.unit_ids)
            for name, fits in self.refits.items()
        }

    def each_refit(self, name: str) -> Iterator[Any]:
        """The refits of model ``name`` in seed order, read one at a time."""
        for fit in self.refits[name]:
            yield _with_shared_ids(_loaded(fit), self.unit_ids)


@dataclass(frozen=True)
class SavedFit:
    """A fitted :class:`~topiclab.models.TopicResult` kept on disk, read when needed."""

    folder: Path

    def load(self):
        from topiclab.models import TopicResult

        return TopicResult.load(self.folder)


def _loaded(fit: Any) -> Any:
    return fit.load() if isinstance(fit, SavedFit) else fit


def _with_shared_ids(result: Any, unit_ids: list[str]) -> Any:
    """``result`` holding ``unit_ids`` itself when its unit ids are equal to them.

    A fit received from a worker or read from disk has its own copy of every id string
    (about 50 MB at 440,000 paragraph units), which each theme table built from it would
    carry along; equal ids are one list of strings shared by every fit and table instead.
    """
    if isinstance(result, SavedFit) or result.unit_ids is unit_ids:
        return result
    if result.unit_ids == unit_ids:
        result.unit_ids = unit_ids
    return result


# Model selection fits each (model, K) models.selection_fits times, with the seeds and
# parameters of the first refits (seed + r), so its fits at the chosen K are those refits.
# The choice reads only the first fit's c_npmi. By default (selection_fits 1) stability is
# measured at the chosen K only, over its first STABILITY_FITS refits: the same fits, so the
# same value, as when every K was fitted STABILITY_FITS times, which tripled the cost of
# selection (benchmarks/results/run_cost.md); analysis.yaml keeps 3 for every K's stability.
STABILITY_FITS = 3
STABILITY_NOTE = f"; stability at the chosen K only, over its first {STABILITY_FITS} refits"


@dataclass(frozen=True)
class _FitSettings:
    """What the model stages read: the ``models`` and ``parallel`` sections, the seed, the
    lexicon (anchor words may come from it) and the cache folder."""

    models: ModelSettings
    parallel: ParallelSettings
    seed: int
    lexicon: str | None
    cache: str | None

    @classmethod
    def of(cls, settings: Settings) -> _FitSettings:
        return cls(
            models=settings.models,
            parallel=settings.parallel,
            seed=settings.seed,
            lexicon=settings.themes.lexicon,
            cache=settings.cache,
        )


def _stage_model_selection(
    vectorized,
    tokens: list[list[str]],
    fitting: _FitSettings,
    fits_out: dict[str, Any] | None = None,
    unit_ids: list[str] | None = None,
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Choose K per model: fixed by ``models.k``, or the best c_npmi over ``models.k_grid``.

    The fits of each (model, K) use the seeds and parameters of the first refits (``seed + r``
    for ``r < min(models.refits, models.selection_fits)``), so the fits at the chosen K are
    the first refits: they go into ``fits_out`` (keyed by :func:`_model_key`) and into the model
    cache, where :func:`_stage_fit` finds them instead of fitting them again. With one fit per
    K the stability column is empty until :func:`_run_stages` fills it at the chosen K.

    Returns the model-selection table (with a ``selected`` column and a ``note`` saying how K
    was chosen) and the chosen K of each model.
    """
    models = fitting.models
    names = list(models.names)
    fixed = models.k
    if fixed is not None:
        k = int(fixed)
        logger.info("model selection: skipped, K=%d fixed by models.k", k)
        table = pd.DataFrame(
            {
                "model": names,
                "k": [k] * len(names),
                "selected": [True] * len(names),
                "note": [f"model selection skipped: K fixed to {k} by models.k (--k)"] * len(names),
            }
        )
        return table, dict.fromkeys(names, k)
    from topiclab.evaluate import select_k

    grid = [k for k in models.k_grid if k <= len(vectorized.vocab)]
    grid = [k for k in grid if k <= vectorized.n_units]
    anchors = anchor_words(models, fitting.lexicon)
    if anchors:
        grid = [k for k in grid if k >= len(anchors)]
    if not grid:
        raise ValueError(
            f"no K of models.k_grid {list(models.k_grid)} fits {vectorized.n_units} units"
            + (f" with {len(anchors)} anchored themes (K must be at least that)" if anchors else "")
        )
    lda_params = _lda_params(models, fitting.lexicon, vectorized.vocab)
    nmf_params = _nmf_params(models, fitting.lexicon, vectorized.vocab)
    seed = fitting.seed
    n_fits = min(models.refits, models.selection_fits)
    fit_seeds = [seed + r for r in range(n_fits)]  # see STABILITY_FITS
    selection_cache = _stage_cache(fitting.cache, "selection")
    key = selection_cache.key(
        # coherence is computed over the tokens, not only the filtered counts
        _counts_digest(vectorized, []) + _tokens_digest(tokens),
        {
            "models": names,
            "grid": grid,
            "lda": lda_params,
            "nmf": nmf_params,
            "seeds": fit_seeds,
            "fit_revision": _fit_revision(),
        },
    )
    table = selection_cache.load(
        key, lambda folder: pd.read_csv(folder / "model_selection.csv"), "model selection"
    )
    table_from_cache = table
    if table is not None:
        logger.info("model selection: from cache %s", selection_cache.folder(key))
    else:
        logger.info("model selection: %s over K=%s", ",".join(names), grid)
        table, grid_fits = select_k(
            vectorized,
            tokens,
            k_grid=grid,
            models=names,
            seeds=fit_seeds,
            unit_ids=unit_ids,
            lda_params=lda_params,
            nmf_params=nmf_params,
            progress=None,  # a bar over the fits of the grid on a terminal only
            n_jobs=fitting.parallel.n_jobs,
            return_fits=True,
        )
        selection_cache.save(
            key, lambda folder: write_table(table, folder / "model_selection.csv", float_digits=17)
        )
    from topiclab.evaluate import CHOICE_NOTE, choose_k

    chosen = choose_k(table, names)
    if table_from_cache is None and unit_ids is not None:
        # the fits at the chosen K are the first refits; the rest of the grid is dropped
        params = {"lda": lda_params, "nmf": nmf_params}
        fitted = _stage_cache(fitting.cache, "models")
        content = _counts_digest(vectorized, unit_ids)
        for name in names:
            for fit_seed, result in zip(fit_seeds, grid_fits[name, chosen[name]], strict=True):
                model_key = _model_key(fitted, content, name, chosen[name], params[name], fit_seed)
                if fits_out is not None:
                    fits_out[model_key] = result
                if fitted.enabled and not fitted.contains(model_key):
                    fitted.save(model_key, result.save)
    table = table.assign(
        selected=[chosen[m] == k for m, k in zip(table["model"], table["k"], strict=True)],
        note=CHOICE_NOTE + (STABILITY_NOTE if n_fits == 1 < models.refits else ""),
    )
    logger.info("model selection: chose %s", chosen)
    return table.reset_index(drop=True), chosen


def _stage_fit(
    vectorized,
    unit_ids: list[str],
    fitting: _FitSettings,
    chosen: dict[str, int],
    prefit: dict[str, Any] | None = None,
    *,
    spill: Path | None = None,
) -> dict[str, list[Any]]:
    """Fit each model at its chosen K ``models.refits`` times (seeds ``seed, seed + 1, ...``),
    reading and writing the result cache.

    A refit whose :func:`_model_key` is in ``prefit`` (the fits of model selection at the
    chosen K, same seed and parameters) is taken from there, not fitted again. LDA reads
    ``vectorized.bow`` (a matrix or a :class:`~topiclab.stream.BowStore`, read chunk by
    chunk in the process that fits it), NMF the TF-IDF matrix. The LDA refits run in
    ``parallel.n_jobs`` processes, the NMF refits in this one (:data:`PARALLEL_REFITS`).

    With ``spill`` (a folder), only the first fit of each model stays in memory: every
    other refit is a :class:`SavedFit` (its cache folder, or a folder under ``spill`` when
    there is no cache), read again one at a time by :meth:`Fitted.each_refit`, so the
    units' topic shares of ten fits are never in memory at once.
    """
    from topiclab.evaluate import fit_topic_models
    from topiclab.models import TopicResult

    fits: dict[str, list[Any]] = {}
    models = _stage_cache(fitting.cache, "models")
    content = _counts_digest(vectorized, unit_ids)
    seed = fitting.seed
    n_refits = fitting.models.refits
    for name in fitting.models.names:
        k = chosen[name]
        if name == "lda":
            params = _lda_params(fitting.models, fitting.lexicon, vectorized.vocab)
        else:
            params = _nmf_params(fitting.models, fitting.lexicon, vectorized.vocab)
        matrix = vectorized.bow if name == "lda" else vectorized.tfidf
        fits[name] = [None] * n_refits
        missing: list[tuple[int, str]] = []
        for r in range(n_refits):
            key = _model_key(models, content, name, k, params, seed + r)
            cached = models.folder(key)
            if prefit is not None and key in prefit:
                fits[name][r] = prefit[key]
                logger.info("fit: %s K=%d seed %d from model selection", name, k, seed + r)
            elif (loaded := models.load(key, TopicResult.load, "fitted model")) is not None:
                fits[name][r] = loaded
                logger.info("fit: %s K=%d seed %d from cache %s", name, k, seed + r, cached)
            else:
                missing.append((r, key))
                continue
            if r > 0 and spill is not None:
                fits[name][r] = _spilled(fits[name][r], cached, spill / f"{name}-{r}")
        tasks = [
            (name, k, seed + r, matrix, vectorized.vocab, params, unit_ids) for r, _ in missing
        ]
        n_jobs = _refit_jobs(name, fitting.parallel.n_jobs)
        logger.info("fit: %s K=%d, %d refit(s) to fit", name, k, len(tasks))
        if len(tasks) > 1:
            where = "this process" if n_jobs in (None, 1) else f"{n_jobs} processes"
            logger.info("fit: the %s refits run in %s", name, where)
        results = progress(
            fit_topic_models(tasks, n_jobs=n_jobs),
            desc=f"refits {name} K={k}",
            total=len(tasks),
            unit="fit",
        )
        for (r, key), result in zip(missing, results, strict=True):
            cached = models.save(key, result.save)
            if r > 0 and spill is not None:
                result = _spilled(result, cached, spill / f"{name}-{r}")
            fits[name][r] = _with_shared_ids(result, unit_ids)
            del result
        del results
        if len(tasks) > 1 and n_jobs not in (None, 1):
            # the next model's fits start in new workers, not in ones holding this model's
            # leftovers; this also frees the model's results, received and spilled
            release_workers()
        else:
            release_memory(collect=False)  # the model's results, received and spilled
    return fits


#: Models whose refits run in ``parallel.n_jobs`` processes; the others are refitted in the
#: run's own process, one after the other. A process fitting NMF holds its own copy of the
#: TF-IDF matrix and scikit-learn's randomized-SVD work arrays (n_units x (K + 10) floats,
#: four of them at once): at 80,000 VNTC articles a second NMF process added about 730 MB to
#: the run's peak (benchmarks/results/scale_run.md) to save about 15 s, whereas an LDA refit
#: (Gibbs sampling, about 160 s there) is worth its process. The fits are seeded and
#: single-threaded, so where they run changes no value.
PARALLEL_REFITS = frozenset({"lda"})


def _refit_jobs(model: str, n_jobs: int | None) -> int | None:
    """The processes the refits of ``model`` run in: ``n_jobs`` for the models of
    :data:`PARALLEL_REFITS`, 1 (this process) for the others."""
    return n_jobs if model in PARALLEL_REFITS else 1


def _spilled(result, cached: Path | None, folder: Path) -> SavedFit:
    """A fit as a :class:`SavedFit`: its cache folder when it has one, else ``folder``."""
    if cached is not None and cached.is_dir():
        return SavedFit(cached)
    if not folder.exists():
        # the run's own folder, deleted with its stores: no cache entry, no checksums
        result.save(folder)
    return SavedFit(folder)


def _stability_at_chosen_k(table: pd.DataFrame, refits: dict[str, list[Any]]) -> pd.DataFrame:
    """The selection table with each model's stability at its chosen K, over the first
    ``STABILITY_FITS`` refits, where selection fitted it once (NaN with fewer than two refits;
    NaN at the other K)."""
    if "stability" not in table.columns:  # K fixed by models.k: no selection table
        return table
    from topiclab.evaluate import stability

    table = table.copy()
    for name, fits in refits.items():
        row = (table["model"] == name) & table["selected"] & table["stability"].isna()
        if len(fits[:STABILITY_FITS]) > 1 and row.any():
            table.loc[row, "stability"] = stability(
                [_loaded(fit) for fit in fits[:STABILITY_FITS]], 10
            )
    return table


def anchor_words(
    models: ModelSettings, lexicon: str | None = None, model: str = "lda"
) -> dict[str, list[str]] | None:
    """Anchor words of ``model``: ``models.lda.anchor_words``, or, when ``models.anchor_models`` is
    on, the terms of the lexicon (``themes.lexicon``, None: the shipped one) of weight at
    least ``models.anchor_min_weight`` (one number, or one per model: ``{lda: 3, nmf: 2}``)."""
    explicit = models.lda.anchor_words
    if explicit:
        return {theme: list(words) for theme, words in explicit.items()}
    if not models.anchor_models:
        return None
    from topiclab.themes import load_lexicon

    floor = models.anchor_min_weight
    if isinstance(floor, dict):
        if model not in floor:
            raise KeyError(f"models.anchor_min_weight has no entry for {model!r}: {floor}")
        floor = floor[model]
    return load_lexicon(lexicon).anchor_words(float(floor))


# ------------------------------------------------------------------------------------ helpers


def _lda_params(
    models: ModelSettings, lexicon: str | None, vocab: list[str] | None = None
) -> dict[str, Any]:
    params = {k: v for k, v in models.lda.model_dump().items() if v is not None}
    anchors = _anchor_words_in_vocab(models, lexicon, vocab, "lda")
    if anchors:
        params["anchor_words"] = anchors
    return params


def _nmf_params(
    models: ModelSettings, lexicon: str | None, vocab: list[str] | None = None
) -> dict[str, Any]:
    params = {k: v for k, v in models.nmf.model_dump().items() if v is not None}
    anchors = _anchor_words_in_vocab(models, lexicon, vocab, "nmf")
    if anchors:
        params["anchor_words"] = anchors
        # coordinate descent lets anchored topics drift off their anchor words; "mu" cannot
        params.setdefault("solver", "mu")
    return params


def _anchor_words_in_vocab(
    models: ModelSettings, lexicon: str | None, vocab: list[str] | None, model: str
) -> dict[str, list[str]]:
    """Anchor words, restricted to the vocabulary when anchor words come from the lexicon.

    The lexicon lists a phrase both joined and as its parts, so some forms are always absent;
    they are logged here rather than warned about on every fit. Explicit
    ``models.lda.anchor_words`` are passed through untouched (the models warn about them).
    """
    anchors = anchor_words(models, lexicon, model)
    if not anchors or vocab is None or models.lda.anchor_words:
        return anchors or {}
    known = set(vocab)
    kept = {theme: [w for w in words if w in known] for theme, words in anchors.items()}
    absent = sum(len(words) for words in anchors.values()) - sum(map(len, kept.values()))
    empty = [theme for theme, words in kept.items() if not words]
    if empty:
        logger.warning("anchoring: no anchor word of %s is in the vocabulary; not anchored", empty)
        kept = {theme: words for theme, words in kept.items() if words}
    logger.info("anchoring: %d lexicon anchor words are not in the vocabulary", absent)
    return kept
