"""Semi-synthetic benchmark: real VNTC articles with a planted, known answer (issue 14, item 6).

Real news articles keep their real text; only their metadata is invented. Each replication
draws ``--docs`` articles of four VNTC categories and gives each a pseudo-locality, a year
and an outlet:

* ``locality`` (A, B, C, D) and ``year`` (2016-2021) are correlated (locality A reports
  mostly early, D mostly late), so a one-way comparison would confound them;
* the category of an article is drawn from a mix that depends on locality and year:
  locality B writes +0.15 more sport (``the_thao``), locality C +0.10 more law
  (``phap_luat``), business (``kinh_doanh``) rises by 0.03 a year and health
  (``suc_khoe``) falls by 0.03 a year, each change taken evenly from the other three
  categories (so the planted population effects are e.g. -0.05 for the others in B and
  +/-0.04 a year for business and health: :func:`planted_effects`);
* ``outlet`` (X, Y) is the null grouping: drawn independently of everything else.

The articles become a table corpus (``corpus.jsonl``: id and text) plus a curated metadata
table (``metadata.csv``: ``file, locality, year, outlet``), and a lexicon with one theme per
category (``benchmarks/vntc_categories.yaml``, derived once from held-out articles that no
replication uses) makes themes = categories. The full default pipeline then runs on them,
its effects stage with this benchmark's formula::

    topiclab run --corpus corpus.jsonl --set corpus.metadata=metadata.csv \
        --set themes.lexicon=benchmarks/vntc_categories.yaml \
        --set "themes.effects.formula=locality + year + outlet" ...

and its ``tables/theme_effects.csv`` (fractional logit, method of composition over the
refits, LDA posterior draws and resampled documents, t intervals) is compared with the truth.

The planted effects are in "share of articles of category c"; every measure reports "share
of theme c", and no measure gives a category-c article wholly to theme c. Each interval is
therefore compared with

* ``truth_calibrated`` (the estimand): the planted category probabilities of each document
  mapped through the measure's calibration ``C[j, t] = E[share of theme t | article of
  category j]``, measured on the *other* replications' runs and articles only, then the
  run's own regression; the planted effect on the measure's own scale;
* ``truth_planted``: the same regression on the planted category probabilities themselves
  (the raw planted effect, which a measure can reach only if it sees each article wholly
  as its category's theme);
* ``truth_sample`` (diagnostic): the regression on the category indicators actually drawn.

The attenuation (how much of each category a measure sees as its theme, and the ratio of the
calibrated to the planted truth) is reported beside the coverage.

Usage (results in benchmarks/results/semisynthetic_vntc.md)::

    nice -n 10 .venv/bin/python benchmarks/semisynthetic_vntc.py \
        --data ../shared/data/vntc_20k.jsonl.gz --replications 30 --docs 1200 \
        --work /tmp/semisyn --variant mass0:themes.min_mass=0
    .venv/bin/python benchmarks/semisynthetic_vntc.py --summarise-only --work /tmp/semisyn
"""

from __future__ import annotations

import argparse
import gzip
import json
import logging
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import numpy as np
import pandas as pd
import yaml

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data" / "vntc_20k.jsonl.gz"
LEXICON = REPO / "benchmarks" / "vntc_categories.yaml"

#: VNTC category -> theme id of the benchmark lexicon
CATEGORIES = {
    "The thao": "the_thao",
    "Suc khoe": "suc_khoe",
    "Kinh doanh": "kinh_doanh",
    "Phap luat": "phap_luat",
}
LOCALITIES = ("A", "B", "C", "D")
YEARS = tuple(range(2016, 2022))
OUTLETS = ("X", "Y")
FORMULA = "locality + year + outlet"
#: planted population effects: (theme, covariate, level) -> share change
PLANTED = {
    ("the_thao", "locality", "B"): 0.15,
    ("phap_luat", "locality", "C"): 0.10,
    ("kinh_doanh", "year", "per unit"): 0.03,
    ("suc_khoe", "year", "per unit"): -0.03,
}
#: the variant name of the run with only the benchmark's own settings
DEFAULT_VARIANT = "default"
HELD_OUT = 150  # articles per category kept aside for the lexicon, never in a replication

logger = logging.getLogger("semisynthetic_vntc")


# ------------------------------------------------------------------------------------ data


def load_articles(path: Path) -> pd.DataFrame:
    """The VNTC articles of :data:`CATEGORIES`: ``id, text, category``."""
    rows = []
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            if record["category"] in CATEGORIES:
                rows.append(
                    {"id": record["id"], "text": record["text"], "category": record["category"]}
                )
    return pd.DataFrame(rows)


def split_pool(articles: pd.DataFrame, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(held_out, pool)``: :data:`HELD_OUT` articles per category for the lexicon, the rest."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(articles))
    shuffled = articles.iloc[order].reset_index(drop=True)
    rank = shuffled.groupby("category").cumcount()
    return shuffled[rank < HELD_OUT].reset_index(drop=True), shuffled[rank >= HELD_OUT].reset_index(
        drop=True
    )


def category_mix(locality: str, year: int) -> np.ndarray:
    """Population category probabilities (order of :data:`CATEGORIES`) of one group."""
    themes = list(CATEGORIES.values())
    p = np.full(len(themes), 1.0 / len(themes))
    centred = year - np.mean(YEARS)
    for (theme, covariate, level), effect in PLANTED.items():
        i = themes.index(theme)
        if covariate == "locality" and level == locality:
            change = effect
        elif covariate == "year":
            change = effect * centred
        else:
            continue
        # the planted share is taken evenly from the other categories
        p[i] += change
        others = [j for j in range(len(themes)) if j != i]
        p[others] -= change / len(others)
    if np.any(p <= 0):
        raise ValueError(f"planted mix is not a distribution at {locality}, {year}: {p}")
    return p / p.sum()


def planted_effects() -> dict[tuple[str, str, str], float]:
    """Population effect of every (theme, covariate, level): what the planted mix implies.

    A locality level's contrast is its mix minus locality A's (the same in every year); the
    year effect is the change per year. Because each planted change is taken evenly from the
    other categories, the other themes carry effects too (e.g. sport +0.15 in B leaves each
    other category -0.05 there; health's trend is -0.03 - 0.03/3 = -0.04 a year).
    """
    themes = list(CATEGORIES.values())
    out: dict[tuple[str, str, str], float] = {}
    base = category_mix(LOCALITIES[0], YEARS[0])
    for locality in LOCALITIES[1:]:
        diff = category_mix(locality, YEARS[0]) - base
        out.update({(t, "locality", locality): float(d) for t, d in zip(themes, diff, strict=True)})
    slope = (category_mix(LOCALITIES[0], YEARS[-1]) - base) / (YEARS[-1] - YEARS[0])
    out.update({(t, "year", "per unit"): float(d) for t, d in zip(themes, slope, strict=True)})
    for level in OUTLETS[1:]:
        out.update({(t, "outlet", level): 0.0 for t in themes})
    return out


def assign(pool: pd.DataFrame, n_docs: int, rng: np.random.Generator) -> pd.DataFrame:
    """One replication: ``n_docs`` articles with locality, year, outlet and planted categories.

    Locality and year are correlated (A's articles lean early, D's late) so that only a
    regression holding the other fixed recovers each effect; the outlet is independent.
    """
    years = rng.choice(YEARS, size=n_docs)
    tilt = (years - np.mean(YEARS)) / (YEARS[-1] - YEARS[0])  # -0.5 .. 0.5
    weights = np.stack([1 - tilt, np.ones(n_docs), np.ones(n_docs), 1 + tilt], axis=1)
    weights /= weights.sum(axis=1, keepdims=True)
    localities = np.array(
        [LOCALITIES[rng.choice(len(LOCALITIES), p=w)] for w in weights], dtype=object
    )
    outlets = rng.choice(OUTLETS, size=n_docs)
    names = list(CATEGORIES)
    categories = [
        names[rng.choice(len(names), p=category_mix(loc, int(y)))]
        for loc, y in zip(localities, years, strict=True)
    ]
    picked = []
    for category, count in Counter(categories).items():
        candidates = np.flatnonzero(pool["category"].to_numpy() == category)
        if count > len(candidates):
            raise ValueError(f"only {len(candidates)} {category} articles for {count} draws")
        picked.append((category, list(rng.choice(candidates, size=count, replace=False))))
    rows = {c: iter(idx) for c, idx in picked}
    chosen = [next(rows[c]) for c in categories]
    out = pool.iloc[chosen].reset_index(drop=True)
    return out.assign(
        locality=localities,
        year=years.astype(int),
        outlet=outlets,
        theme=out["category"].map(CATEGORIES),
    )


def write_corpus(assigned: pd.DataFrame, folder: Path) -> tuple[Path, Path]:
    """``corpus.jsonl`` (id, text) and ``metadata.csv`` (file ``corpus.jsonl#<line>``, ...)."""
    folder.mkdir(parents=True, exist_ok=True)
    corpus = folder / "corpus.jsonl"
    with corpus.open("w", encoding="utf-8") as handle:
        for row in assigned.itertuples():
            handle.write(json.dumps({"id": row.id, "text": row.text}, ensure_ascii=False) + "\n")
    metadata = assigned.assign(file=[f"corpus.jsonl#{i}" for i in range(len(assigned))])
    path = folder / "metadata.csv"
    metadata[["file", "locality", "year", "outlet"]].to_csv(path, index=False)
    assigned[["id", "category", "theme", "locality", "year", "outlet"]].to_csv(
        folder / "truth_assignment.csv", index=False
    )
    return corpus, path


# ------------------------------------------------------------------------------------ lexicon


def build_lexicon(held_out: pd.DataFrame, path: Path, n_terms: int = 20) -> None:
    """A lexicon with one theme per category from the held-out articles.

    Terms are the preprocessed tokens (the pipeline's default preprocessing, so they take
    the form the models see) that most distinguish a category: at least 10% of its
    held-out articles, ranked by the smoothed log ratio of their document frequency in the
    category to that in the other three. Weights 3 / 2 / 1 for ranks 1-5 / 6-12 / 13-20.
    """
    from topiclab.config import load_config
    from topiclab.preprocess import Preprocessor

    options = dict(load_config(None, [])["preprocess"])
    options.pop("n_jobs"), options.pop("backend")
    tokens = Preprocessor(**options).transform(held_out["text"].tolist())
    sets = [set(t) for t in tokens]
    themes = []
    categories = held_out["category"].to_numpy()
    for category, theme in CATEGORIES.items():
        inside = [s for s, c in zip(sets, categories, strict=True) if c == category]
        outside = [s for s, c in zip(sets, categories, strict=True) if c != category]
        df_in = Counter(w for s in inside for w in s)
        df_out = Counter(w for s in outside for w in s)
        scored = []
        for word, n in df_in.items():
            if n < 0.1 * len(inside):
                continue
            ratio = np.log((n + 0.5) / (len(inside) + 1)) - np.log(
                (df_out[word] + 0.5) / (len(outside) + 1)
            )
            scored.append((ratio, word))
        top = [w for _, w in sorted(scored, reverse=True)[:n_terms]]
        terms = {w: (3 if i < 5 else 2 if i < 12 else 1) for i, w in enumerate(top)}
        themes.append({"id": theme, "label_en": category, "label_vi": category, "terms": terms})
    header = (
        "# Benchmark lexicon of benchmarks/semisynthetic_vntc.py: one theme per VNTC category.\n"
        f"# Derived by build_lexicon() from {HELD_OUT} held-out articles per category (never used\n"
        "# in a replication): tokens in >= 10% of a category's articles, ranked by the log ratio\n"
        "# of their document frequency inside vs outside the category; weights 3/2/1 by rank.\n"
    )
    path.write_text(
        header + yaml.safe_dump({"themes": themes}, allow_unicode=True, sort_keys=False),
        encoding="utf-8",
    )


# ------------------------------------------------------------------------------------ one run


def overrides(folder: Path, cache: Path, seed: int, args: argparse.Namespace) -> list[str]:
    """The ``--set`` assignments of the run: the corpus, the lexicon, the seed, the formula.

    Everything else is the shipped default (``models.k_grid`` and ``models.lda.backend`` only
    when ``--k-grid`` / ``--backend`` ask for another value).
    """
    sets = [
        f"corpus.path={folder / 'corpus.jsonl'}",
        f"corpus.metadata={folder / 'metadata.csv'}",
        f"themes.lexicon={LEXICON}",
        f"themes.effects.formula={FORMULA}",
        f"seed={seed}",
        f"output={folder / 'run'}",
        f"cache={cache}",
        "figures.enabled=false",
    ]
    if args.k_grid:
        sets.append(f"models.k_grid={args.k_grid}")
    if args.backend:
        sets.append(f"models.lda.backend={args.backend}")
    return sets


def run_pipeline(sets: list[str], args: argparse.Namespace) -> float:
    """``topiclab run`` with ``sets``; returns wall seconds."""
    command = [str(REPO / ".venv" / "bin" / "topiclab"), "run", "--jobs", str(args.jobs)]
    for item in sets:
        command += ["--set", item]
    logger.info("running %s", " ".join(command))
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def run_folder(variant: str) -> str:
    """The output folder of a variant's run inside its replication folder."""
    return "run" if variant == DEFAULT_VARIANT else f"run_{variant}"


def parse_variant(text: str) -> tuple[str, list[str]]:
    """``name:key=value,key=value`` -> ``(name, ["key=value", ...])``."""
    name, _, assignments = text.partition(":")
    if not name or not assignments or name == DEFAULT_VARIANT:
        raise argparse.ArgumentTypeError(f"a variant is name:key=value[,key=value], got {text!r}")
    return name, assignments.split(",")


def one_replication(
    r: int, pool: pd.DataFrame | None, args: argparse.Namespace, *, variants_only: bool = False
) -> pd.DataFrame:
    """Assign, run; the run's own ``theme_effects.csv`` with the replication's bookkeeping.

    Then each ``--variant`` runs on the same corpus and cache (the fits are reused: a variant
    of the labels costs only the themes and effects stages). ``variants_only`` skips the
    assignment and the default run (already done). The truths are computed by
    :func:`with_truths` once every replication has run, because the calibration of
    replication ``r`` comes from the others.
    """
    folder = args.work / f"rep{r:02d}"
    sets = overrides(folder, args.work / "cache", args.seed + 1000 * r, args)
    frames = []
    if not variants_only:
        rng = np.random.default_rng([args.seed, r])
        write_corpus(assign(pool, args.docs, rng), folder)
        frames.append(_run_effects(r, folder, sets, DEFAULT_VARIANT, args))
    for name, extra in args.variant:
        variant_sets = [s for s in sets if not s.startswith("output=")]
        variant_sets += [f"output={folder / run_folder(name)}", *extra]
        frames.append(_run_effects(r, folder, variant_sets, name, args))
    return pd.concat(frames, ignore_index=True)


def _run_effects(
    r: int, folder: Path, sets: list[str], variant: str, args: argparse.Namespace
) -> pd.DataFrame:
    """One ``topiclab run`` and its effects table with the bookkeeping columns."""
    wall = run_pipeline(sets, args)
    tables = folder / run_folder(variant) / "tables"
    effects = pd.read_csv(tables / "theme_effects.csv")
    selection = pd.read_csv(tables / "model_selection.csv")
    chosen = {
        str(m): int(k)
        for m, k in selection.loc[selection["selected"], ["model", "k"]].drop_duplicates().values
    }
    n_kept = len(pd.read_csv(tables / "documents.csv"))
    logger.info(
        "replication %d (%s): %d documents, K %s, run %.0f s", r, variant, n_kept, chosen, wall
    )
    return effects.assign(
        variant=variant,
        replication=r,
        n_kept=n_kept,
        k_lda=chosen.get("lda"),
        k_nmf=chosen.get("nmf"),
        run_s=round(wall, 1),
    )


# ------------------------------------------------------------------------------------ truths


def design_probabilities(assigned: pd.DataFrame) -> pd.DataFrame:
    """Each document's planted category probabilities ``p(locality, year)``, one column per theme.

    The population expectation of its category indicators given its covariates: what an
    infinitely large corpus with the same covariates would show, free of which categories
    happened to be drawn.
    """
    probabilities = np.stack(
        [
            category_mix(loc, int(y))
            for loc, y in zip(assigned["locality"], assigned["year"], strict=True)
        ]
    )
    return pd.DataFrame(probabilities, columns=list(CATEGORIES.values()), index=assigned.index)


def load_replication(folder: Path, variant: str = "default") -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(assignment of the documents the run kept, the run's document_themes.csv)``."""
    tables = folder / run_folder(variant) / "tables"
    kept = pd.read_csv(tables / "documents.csv", dtype={"doc_id": str})["doc_id"]
    assignment = pd.read_csv(folder / "truth_assignment.csv", dtype={"id": str})
    assignment = assignment.set_index("id").loc[kept].reset_index().rename(columns={"id": "doc_id"})
    shares = pd.read_csv(tables / "document_themes.csv", dtype={"doc_id": str})
    return assignment, shares


def calibration(
    replications: dict[int, tuple[pd.DataFrame, pd.DataFrame]], r: int, *, own: bool = False
) -> dict[str, pd.DataFrame]:
    """Per model, ``E[share of theme t | article of category j]`` measured without replication r.

    The mean theme shares (and ``other``) of each category's articles in every *other*
    replication, leaving out the articles replication ``r`` also drew: neither its articles
    nor its fits enter its own calibration. Rows: theme ids of the categories; columns: the
    measure's share columns. ``own=True`` gives the diagnostic opposite: replication ``r``'s
    own runs and articles only.
    """
    drawn = set(replications[r][0]["doc_id"])
    frames = []
    for q, (assignment, shares) in replications.items():
        if (q == r) != own:
            continue
        merged = shares.merge(assignment[["doc_id", "theme"]], on="doc_id")
        frames.append(merged if own else merged[~merged["doc_id"].isin(drawn)])
    data = pd.concat(frames, ignore_index=True)
    columns = [*CATEGORIES.values(), "other"]
    return {
        str(model): part.groupby("theme")[[c for c in columns if c in part.columns]].mean()
        for model, part in data.groupby("model", sort=False)
    }


def _regression_estimates(frame: pd.DataFrame, meta: pd.DataFrame, name: str) -> pd.DataFrame:
    """The point estimate of :func:`estimate_effects` on ``frame`` (one column ``name``)."""
    from topiclab.themes.effects import estimate_effects

    share_columns = [c for c in frame.columns if c not in ("model", "doc_id")]
    table = estimate_effects(
        frame, meta, FORMULA, draws=2, random_state=0, themes=share_columns, min_group_size=1
    )
    return table[["model", "theme", "covariate", "level", "estimate"]].rename(
        columns={"estimate": name}
    )


def truths(
    assignment: pd.DataFrame,
    calibrated: dict[str, pd.DataFrame],
    own: dict[str, pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """The truths of one replication per (model, theme, covariate, level).

    The same regression as the run's (``FORMULA``, fractional logit, average marginal
    effects against A / X), fitted on the documents the run kept, to

    * ``truth_planted``: the planted category probabilities ``p(x)`` of each document (the
      planted effects on the scale of "share of articles of category c", as this estimator
      reads them at this sample's covariates);
    * ``truth_calibrated``: ``p(x) @ C``, with ``C`` the model's calibration from the other
      replications (:func:`calibration`): the planted effects on the measure's own scale,
      "share of theme c", for a measure that sees a category-j article as ``C[j]``;
    * ``truth_sample``: the category indicators actually drawn (a diagnostic: it carries the
      sampling noise of this corpus, which the intervals are meant to cover, not remove);
    * ``truth_own`` (when ``own`` is given): ``p(x)`` through the replication's own
      calibration (a diagnostic: how far a run's measurement strays from the others').
    """
    meta = assignment[["doc_id", "locality", "year", "outlet"]]
    probabilities = design_probabilities(assignment)
    onehot = pd.DataFrame(
        {t: (assignment["theme"] == t).astype(float) for t in CATEGORIES.values()}
    )
    ids = assignment[["doc_id"]]
    planted = _regression_estimates(
        pd.concat([ids.assign(model="design"), probabilities], axis=1), meta, "truth_planted"
    ).drop(columns="model")
    sample = _regression_estimates(
        pd.concat([ids.assign(model="design"), onehot], axis=1), meta, "truth_sample"
    ).drop(columns="model")
    keys = ["theme", "covariate", "level"]
    out = []
    for model, matrix in calibrated.items():
        table = _mapped(probabilities, matrix, ids.assign(model=model), meta, "truth_calibrated")
        if own is not None:
            table = table.merge(
                _mapped(probabilities, own[model], ids.assign(model=model), meta, "truth_own"),
                on=["model", *keys],
                how="left",
            )
        out.append(table.merge(planted, on=keys, how="left").merge(sample, on=keys, how="left"))
    return pd.concat(out, ignore_index=True)


def _mapped(
    probabilities: pd.DataFrame,
    matrix: pd.DataFrame,
    ids: pd.DataFrame,
    meta: pd.DataFrame,
    name: str,
) -> pd.DataFrame:
    """The regression on ``probabilities @ matrix``: expected shares under a calibration."""
    expected = probabilities.to_numpy() @ matrix.loc[list(CATEGORIES.values())].to_numpy()
    frame = pd.concat([ids, pd.DataFrame(expected, columns=matrix.columns)], axis=1)
    return _regression_estimates(frame, meta, name)


def with_truths(effects: pd.DataFrame, work: Path, variant: str) -> pd.DataFrame:
    """``effects`` (one row per model, theme, covariate, level and replication) with truths."""
    reps = sorted(int(r) for r in effects["replication"].unique())
    replications = {r: load_replication(work / f"rep{r:02d}", variant) for r in reps}
    frames = []
    for r in reps:
        table = truths(
            replications[r][0],
            calibration(replications, r),
            calibration(replications, r, own=True),
        ).assign(replication=r)
        frames.append(table)
    keys = ["model", "theme", "covariate", "level", "replication"]
    out = effects.merge(pd.concat(frames, ignore_index=True), on=keys, how="left")
    planted = planted_effects()
    out["planted"] = [
        planted.get(key, 0.0)
        for key in zip(out["theme"], out["covariate"], out["level"], strict=True)
    ]
    out["planted_nonzero"] = out["planted"].abs() > 1e-9
    return out


# ------------------------------------------------------------------------------------ summary


def _rate(t: pd.DataFrame, column: str) -> str:
    """Mean of a boolean column ± its Monte Carlo SE, clustered by replication, (n)."""
    data = t[t[column].notna()]
    if data.empty:
        return "-"
    per_rep = data.groupby("replication")[column].mean()
    p = float(data[column].mean())
    # effects of one replication share its corpus and fits: the replications are the
    # independent units (with equal rows per replication this is the SE of p)
    se = float(per_rep.std(ddof=1) / np.sqrt(len(per_rep))) if len(per_rep) > 1 else np.nan
    return f"{p:.2f} ± {se:.2f} ({len(data)})"


def summarise(table: pd.DataFrame, work: Path, variant: str) -> str:
    """Markdown: coverage against the calibrated and the planted truth, null rate, attenuation."""
    t = table.copy()
    for name in ("calibrated", "planted", "sample", "own"):
        inside = (t["lower"] <= t[f"truth_{name}"]) & (t[f"truth_{name}"] <= t["upper"])
        t[f"covered_{name}"] = inside.where(t["lower"].notna())
    t["declared"] = ((t["lower"] > 0) | (t["upper"] < 0)).where(t["lower"].notna())
    # power: a planted change found, in its planted direction (a coverage of a truth the
    # measure has shrunk to nothing is no finding)
    t["found"] = (
        ((t["planted"] > 0) & (t["lower"] > 0)) | ((t["planted"] < 0) & (t["upper"] < 0))
    ).where(t["lower"].notna())
    keys = list(zip(t["theme"], t["covariate"], t["level"], strict=True))
    t["primary"] = [key in PLANTED for key in keys]
    lines = [
        "| model | 4 planted effects, calibrated truth | 4 planted, planted truth | "
        "10 non-zero, calibrated | 10 non-zero, planted | 16 locality/year, calibrated | "
        "null outlet declared (4 themes) | null outlet declared (with other) | "
        "4 planted found (sign right, interval excludes 0) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for model, part in t.groupby("model", sort=False):
        primary = part[part["primary"]]
        nonzero = part[part["planted_nonzero"]]
        real = part[(part["covariate"] != "outlet") & part["theme"].isin(CATEGORIES.values())]
        null = part[part["covariate"] == "outlet"]
        lines.append(
            f"| {model} | {_rate(primary, 'covered_calibrated')} | "
            f"{_rate(primary, 'covered_planted')} | {_rate(nonzero, 'covered_calibrated')} | "
            f"{_rate(nonzero, 'covered_planted')} | {_rate(real, 'covered_calibrated')} | "
            f"{_rate(null[null['theme'].isin(CATEGORIES.values())], 'declared')} | "
            f"{_rate(null, 'declared')} | {_rate(primary, 'found')} |"
        )
    lines += ["", "Attenuation: how much of a category each measure sees as its theme", ""]
    replications = {
        int(r): load_replication(work / f"rep{int(r):02d}", variant)
        for r in t["replication"].unique()
    }
    data = pd.concat(
        [
            s.merge(a[["doc_id", "theme"]], on="doc_id").assign(replication=r)
            for r, (a, s) in replications.items()
        ],
        ignore_index=True,
    )
    lines.append(
        "| model | own-theme share: "
        + " | ".join(CATEGORIES.values())
        + " | calibrated / planted truth, 4 planted effects | mean estimate / planted | "
        "(replication, category) pairs not measured (own share < 1/4 of its 90th percentile) |"
    )
    lines.append("|---|" + "---|" * (len(CATEGORIES) + 3))
    for model, part in t[t["primary"]].groupby("model", sort=False):
        own = data[data["model"] == model]
        diag = [f"{own.loc[own['theme'] == c, c].mean():.2f}" for c in CATEGORIES.values()]
        ratio = (part["truth_calibrated"] / part["truth_planted"]).mean()
        shrink = (part["estimate"] / part["truth_planted"]).mean()
        # a theme a run did not measure: its own share under a quarter of the same
        # category's 90th percentile over the runs (relative: the dictionary's scale is
        # ~0.03; not the median, which is itself 0 when most runs miss the theme)
        own_share = pd.DataFrame(
            [
                (c, float(g.loc[g["theme"] == c, c].mean()))
                for _, g in own.groupby("replication")
                for c in CATEGORIES.values()
            ],
            columns=["category", "share"],
        )
        typical = own_share.groupby("category")["share"].transform(lambda v: v.quantile(0.9))
        missed = f"{int((own_share['share'] < 0.25 * typical).sum())} of {len(own_share)}"
        lines.append(f"| {model} | {' | '.join(diag)} | {ratio:.2f} | {shrink:.2f} | {missed} |")
    lines += ["", "Planted non-zero effects, mean over replications:", ""]
    lines.append(
        "| model | theme | covariate | level | design | planted truth | calibrated truth | "
        "estimate | bias vs calibrated (± SE) | mean width | covered calibrated | "
        "covered planted | covered sample | covered own calibration |"
    )
    lines.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    nonzero = t[t["planted_nonzero"]]
    for key, part in nonzero.groupby(["model", "theme", "covariate", "level"], sort=False):
        error = part["estimate"] - part["truth_calibrated"]
        lines.append(
            f"| {' | '.join(map(str, key))} | {part['planted'].iloc[0]:+.3f} | "
            f"{part['truth_planted'].mean():+.3f} | {part['truth_calibrated'].mean():+.3f} | "
            f"{part['estimate'].mean():+.3f} | {error.mean():+.4f} ± "
            f"{error.std(ddof=1) / np.sqrt(len(error)):.4f} | "
            f"{(part['upper'] - part['lower']).mean():.3f} | "
            f"{part['covered_calibrated'].mean():.2f} | {part['covered_planted'].mean():.2f} | "
            f"{part['covered_sample'].mean():.2f} | {part['covered_own'].mean():.2f} |"
        )
    lines += ["", "Interval width against the spread of the errors (10 non-zero effects):", ""]
    lines.append("| model | mean 95% width | 3.92 x SD(estimate - calibrated truth) |")
    lines.append("|---|---|---|")
    for model, part in nonzero.groupby("model", sort=False):
        groups = part.groupby(["theme", "covariate", "level"])
        spread = groups.apply(lambda g: (g["estimate"] - g["truth_calibrated"]).std(ddof=1))
        width = (part["upper"] - part["lower"]).mean()
        lines.append(f"| {model} | {width:.3f} | {3.92 * spread.mean():.3f} |")
    first = t.drop_duplicates("replication")
    lines += [
        "",
        "K chosen: LDA "
        + ", ".join(f"{k} ({n})" for k, n in first["k_lda"].value_counts().sort_index().items())
        + "; NMF "
        + ", ".join(f"{k} ({n})" for k, n in first["k_nmf"].value_counts().sort_index().items())
        + f"; run wall time {first['run_s'].min():.0f}-{first['run_s'].max():.0f} s "
        f"(mean {first['run_s'].mean():.0f} s).",
    ]
    return "\n".join(lines)


def confusion(work: Path, variant: str) -> str:
    """Markdown: mean theme shares (and ``other``) of each category's documents, per model.

    Read from every finished replication under ``work`` (the run's ``document_themes.csv``,
    the mean of its refits, and the replication's ``truth_assignment.csv``): the
    calibration of every measure, pooled over replications.
    """
    frames = []
    for folder in sorted(work.glob("rep*")):
        if not (folder / run_folder(variant) / "tables" / "document_themes.csv").exists():
            continue
        assignment, shares = load_replication(folder, variant)
        frames.append(shares.merge(assignment[["doc_id", "theme"]], on="doc_id"))
    data = pd.concat(frames, ignore_index=True)
    themes = [t for t in [*CATEGORIES.values(), "other"] if t in data.columns]
    lines = [f"| model | category | {' | '.join(themes)} |", "|---|---|" + "---|" * len(themes)]
    for (model, category), part in data.groupby(["model", "theme"], sort=False):
        values = " | ".join(f"{part[t].mean():.2f}" for t in themes)
        lines.append(f"| {model} | {category} | {values} |")
    return "\n".join(lines)


def label_masses(work: Path, variant: str) -> str:
    """Markdown: the lexicon mass of each theme's best topic, per model, over the runs.

    Read from the runs' ``topics.csv`` (``mass`` of the topic's best theme, at the
    variant's labels), and its ``spread_mass`` (the same without the theme's top term: what
    the ``themes.min_mass`` floor compares, 0.012 by default) where the run reports it.
    """
    rows = []
    for folder in sorted(work.glob("rep*")):
        path = folder / run_folder(variant) / "tables" / "topics.csv"
        if path.exists():
            topics = pd.read_csv(path)
            if "spread_mass" not in topics.columns:  # runs before the spread mass
                topics["spread_mass"] = np.nan
            topics = topics[topics["theme"].isin(CATEGORIES.values())]
            best = topics.groupby(["model", "theme"])[["mass", "spread_mass"]].max()
            rows.append(best.reset_index().assign(replication=folder.name))
    if not rows:
        return ""
    data = pd.concat(rows, ignore_index=True)
    lines = [
        "| model | theme | runs with a topic on it | largest mass: median (min-max) | "
        "runs where it is below 0.03 | largest spread mass: median (min-max) |",
        "|---|---|---|---|---|---|",
    ]
    for (model, theme), part in data.groupby(["model", "theme"]):
        spread = part["spread_mass"].dropna()
        spread_text = (
            f"{spread.median():.3f} ({spread.min():.3f}-{spread.max():.3f})" if len(spread) else ""
        )
        lines.append(
            f"| {model} | {theme} | {len(part)} | {part['mass'].median():.3f} "
            f"({part['mass'].min():.3f}-{part['mass'].max():.3f}) | "
            f"{int((part['mass'] < 0.03).sum())} | {spread_text} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--replications", type=int, default=20)
    parser.add_argument("--start", type=int, default=0, help="first replication index")
    parser.add_argument("--docs", type=int, default=1200)
    parser.add_argument("--k-grid", default="", help="models.k_grid ('' = the shipped grid)")
    parser.add_argument("--backend", default="", help="models.lda.backend ('' = the default)")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--seed", type=int, default=20261201)
    parser.add_argument("--work", type=Path, default=Path("/tmp/semisyn"))
    parser.add_argument(
        "--out", type=Path, default=None, help="one row per effect (default <work>/effects.csv)"
    )
    parser.add_argument(
        "--variant",
        type=parse_variant,
        action="append",
        default=[],
        help="also run name:key=value[,key=value] on each replication's corpus and cache",
    )
    parser.add_argument(
        "--variants-only", action="store_true", help="run only the variants (default run done)"
    )
    parser.add_argument("--rebuild-lexicon", action="store_true")
    parser.add_argument("--summarise-only", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    if args.out is None:
        args.out = args.work / "effects.csv"
    if not args.summarise_only:
        if not args.data.exists():
            print(f"VNTC data not found at {args.data}; pass --data", file=sys.stderr)
            return 2
        articles = load_articles(args.data)
        held_out, pool = split_pool(articles, args.seed)
        if args.rebuild_lexicon or not LEXICON.exists():
            build_lexicon(held_out, LEXICON)
        args.work.mkdir(parents=True, exist_ok=True)
        for r in range(args.start, args.start + args.replications):
            table = one_replication(r, pool, args, variants_only=args.variants_only)
            # append as we go: a long benchmark on a shared machine keeps what it finished
            table.to_csv(args.out, mode="a", header=not args.out.exists(), index=False)
    effects = pd.read_csv(args.out)
    if "variant" not in effects.columns:
        effects["variant"] = DEFAULT_VARIANT
    effects["variant"] = effects["variant"].fillna(DEFAULT_VARIANT)
    tables = []
    for variant, part in effects.groupby("variant", sort=False):
        if part["replication"].nunique() < 2:
            print(f"{variant}: the calibrated truth needs two replications", file=sys.stderr)
            continue
        table = with_truths(part, args.work, str(variant))
        tables.append(table)
        print(f"\n## Variant {variant}: {part['replication'].nunique()} replications\n")
        print(summarise(table, args.work, str(variant)))
        print("\nMean theme shares of each category's documents (all replications):\n")
        print(confusion(args.work, str(variant)))
        print("\nLexicon mass of each theme's best topic (topics.csv):\n")
        print(label_masses(args.work, str(variant)))
    if tables:
        truths_path = args.out.with_name(args.out.stem + "_truths.csv")
        pd.concat(tables, ignore_index=True).to_csv(truths_path, index=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
