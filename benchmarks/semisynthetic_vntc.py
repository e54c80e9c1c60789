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
replication uses) makes themes = categories. The full default pipeline then runs on them::

    topiclab run --corpus corpus.jsonl --set corpus.metadata=metadata.csv \
        --set themes.lexicon=benchmarks/vntc_categories.yaml --set models.k_grid=[4,5,6] ...

and :func:`topiclab.themes.effects.estimate_effects` regresses each theme's document share
on ``locality + year + outlet`` (the refits of the run as replicates, documents resampled).

Each interval is compared with three truths: the *sample truth* (the same regression fitted
to the category indicators of the articles the run kept: a document of category c has share
1 for theme c; the planted composition as realised in this sample), the *planted* population
value of the design, and a diagnostic *measured truth* (the sample composition seen through
the run's own measurement: each document given the mean theme shares of its category's
documents), which says what a consistent but imperfect measure would report.

Usage (results in benchmarks/results/semisynthetic_vntc.md)::

    nice -n 10 .venv/bin/python benchmarks/semisynthetic_vntc.py \
        --data ../shared/data/vntc_20k.jsonl.gz --replications 20 --docs 1200 \
        --work /tmp/semisyn
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
    """The ``--set`` assignments of the run (also used to rebuild its refits in-process)."""
    sets = [
        f"corpus.path={folder / 'corpus.jsonl'}",
        f"corpus.metadata={folder / 'metadata.csv'}",
        f"themes.lexicon={LEXICON}",
        f"models.k_grid={args.k_grid}",
        f"seed={seed}",
        f"output={folder / 'run'}",
        f"cache={cache}",
        "figures.enabled=false",
    ]
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


def replicate_shares(sets: list[str], folder: Path) -> tuple[pd.DataFrame, dict[str, int]]:
    """Document shares of every refit (stacked, ``replicate`` column) of the finished run.

    The run writes only the mean of its refits (``document_themes.csv``); the method of
    composition needs each refit. They are rebuilt with the pipeline's own stages from the
    run's cache (tokens, vectorized corpus and fitted models are all cached: nothing is
    refitted) at the K the run chose, as the run's themes stage
    (:func:`topiclab.pipeline.theme_tables`) does.
    """
    from topiclab import themes
    from topiclab.config import load_config
    from topiclab.pipeline import fit_models, prepare
    from topiclab.tables import share_units

    config = load_config(None, sets)
    selection = pd.read_csv(folder / "run" / "tables" / "model_selection.csv")
    chosen = {
        str(m): int(k)
        for m, k in selection.loc[selection["selected"], ["model", "k"]].drop_duplicates().values
    }
    prepared = prepare(config)
    units, tokens, vectorized = prepared.units, prepared.tokens, prepared.vectorized
    refits = fit_models(prepared, config, chosen).refits
    lexicon = themes.load_lexicon(config["themes"]["lexicon"])
    min_lift = float(config["themes"]["min_lift"])
    seen = themes.weigh_units_by_tokens_seen(share_units(units), vectorized.bow)
    replicates = []
    for fits in refits.values():
        for r, fit in enumerate(fits):
            shares = themes.theme_shares(fit, lexicon, seen, min_lift=min_lift)
            replicates.append(themes.document_shares(shares).assign(replicate=r))
    dictionary = themes.lexicon_shares(tokens, lexicon, share_units(units))
    replicates.append(themes.document_shares(dictionary).assign(replicate=0))
    return themes.stack_replicates(replicates), chosen


def truths(
    assignment: pd.DataFrame, documents: pd.DataFrame, shares: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``truth`` (category composition) and ``truth_measured`` per theme, covariate and level.

    ``truth``: the regression of the category indicators of the kept documents on the
    formula (the planted composition as realised). ``truth_measured``: the same regression
    on each document's expected share given its category under the model's measurement
    (per model, the mean share of each theme among documents of that category).
    """
    from topiclab.themes.effects import estimate_effects

    theme_ids = list(CATEGORIES.values())
    kept = assignment.set_index("id").loc[documents["doc_id"].astype(str)].reset_index()
    kept = kept.rename(columns={"id": "doc_id"})
    meta = kept[["doc_id", "locality", "year", "outlet"]]
    onehot = pd.DataFrame({t: (kept["theme"] == t).astype(float) for t in theme_ids})
    oracle = pd.concat([kept[["doc_id"]].assign(model="truth"), onehot], axis=1)
    truth = estimate_effects(oracle, meta, FORMULA, draws=1, random_state=0, themes=theme_ids)
    truth = truth[["theme", "covariate", "level", "estimate"]].rename(columns={"estimate": "truth"})
    measured = []
    first = shares[shares["replicate"] == 0]
    for model, part in first.groupby("model", sort=False):
        part = part.merge(kept[["doc_id", "theme"]], on="doc_id", suffixes=("", "_category"))
        confusion = part.groupby("theme")[theme_ids].mean()  # category x theme
        expected = confusion.loc[kept["theme"]].reset_index(drop=True)
        frame = pd.concat([kept[["doc_id"]].assign(model=model), expected], axis=1)
        table = estimate_effects(frame, meta, FORMULA, draws=1, random_state=0, themes=theme_ids)
        measured.append(
            table[["model", "theme", "covariate", "level", "estimate"]].rename(
                columns={"estimate": "truth_measured"}
            )
        )
    return truth, pd.concat(measured, ignore_index=True)


def one_replication(r: int, pool: pd.DataFrame, args: argparse.Namespace) -> pd.DataFrame:
    """Assign, run, estimate, compare with the truth; one row per effect."""
    from topiclab.themes.effects import estimate_effects

    rng = np.random.default_rng([args.seed, r])
    folder = args.work / f"rep{r:02d}"
    assigned = assign(pool, args.docs, rng)
    write_corpus(assigned, folder)
    sets = overrides(folder, args.work / "cache", args.seed + 1000 * r, args)
    wall = run_pipeline(sets, args)
    documents = pd.read_csv(folder / "run" / "tables" / "documents.csv", dtype={"doc_id": str})
    started = time.perf_counter()
    shares, chosen = replicate_shares(sets, folder)
    theme_ids = list(CATEGORIES.values())
    meta = assigned.rename(columns={"id": "doc_id"})[["doc_id", "locality", "year", "outlet"]]
    effects = estimate_effects(
        shares, meta, FORMULA, draws=args.draws, random_state=r, themes=theme_ids
    )
    truth, measured = truths(assigned, documents, shares)
    out = effects.merge(truth, on=["theme", "covariate", "level"], how="left").merge(
        measured, on=["model", "theme", "covariate", "level"], how="left"
    )
    planted = planted_effects()
    keys = list(zip(out["theme"], out["covariate"], out["level"], strict=True))
    out["planted"] = [planted.get(key, 0.0) for key in keys]
    out["planted_nonzero"] = out["planted"].abs() > 1e-9
    out["replication"] = r
    out["n_kept"] = len(documents)
    out["k_lda"] = chosen.get("lda")
    out["k_nmf"] = chosen.get("nmf")
    out["run_s"] = round(wall, 1)
    out["effects_s"] = round(time.perf_counter() - started, 1)
    logger.info("replication %d: %d documents, K %s, run %.0f s", r, len(documents), chosen, wall)
    return out


# ------------------------------------------------------------------------------------ summary


def summarise(table: pd.DataFrame) -> str:
    """Markdown: coverage of the planted effects against three truths, null rate, widths.

    ``truth`` is the category composition of the sample (the regression on category
    indicators), ``planted`` the population value of the design, ``truth_measured`` the
    composition seen through each model's measurement (see :func:`truths`).
    """
    t = table.copy()
    for name, column in (("", "truth"), ("_planted", "planted"), ("_measured", "truth_measured")):
        t["covered" + name] = (t["lower"] <= t[column]) & (t[column] <= t["upper"])
    t["declared"] = (t["lower"] > 0) | (t["upper"] < 0)
    keys = list(zip(t["theme"], t["covariate"], t["level"], strict=True))
    t["primary"] = [key in PLANTED for key in keys]
    lines = []

    def rate(mask: pd.Series) -> str:
        n = int(mask.notna().sum())
        p = float(mask.mean()) if n else float("nan")
        se = np.sqrt(p * (1 - p) / n) if n else float("nan")
        return f"{p:.2f} ± {se:.2f} ({n})"

    lines.append(
        "| model | 4 planted effects covered (sample truth) | all 10 planted non-zero "
        "(sample truth) | all 16 locality/year (sample truth) | 10 planted non-zero (planted "
        "value) | 10 planted non-zero (measured truth) | null outlet declared | "
        "mean abs estimate / mean abs truth |"
    )
    lines.append("|---|---|---|---|---|---|---|---|")
    for model, part in t.groupby("model", sort=False):
        planted = part[part["planted_nonzero"]]
        real = part[part["covariate"] != "outlet"]
        null = part[part["covariate"] == "outlet"]
        ratio = planted["estimate"].abs().mean() / planted["truth"].abs().mean()
        lines.append(
            f"| {model} | {rate(part.loc[part['primary'], 'covered'])} | "
            f"{rate(planted['covered'])} | {rate(real['covered'])} | "
            f"{rate(planted['covered_planted'])} | {rate(planted['covered_measured'])} | "
            f"{rate(null['declared'])} | {ratio:.2f} |"
        )
    lines.append("")
    lines.append("Interval width against the spread of the errors (planted non-zero effects):")
    lines.append("")
    lines.append(
        "| model | mean 95% width | 3.92 x SD(estimate - sample truth) | "
        "3.92 x SD(estimate - planted) |"
    )
    lines.append("|---|---|---|---|")
    for model, part in t[t["planted_nonzero"]].groupby("model", sort=False):
        # per effect, then averaged: effects differ in size and so in spread
        width = (part["upper"] - part["lower"]).mean()
        groups = part.groupby(["theme", "covariate", "level"])
        sample = groups.apply(lambda g: (g["estimate"] - g["truth"]).std(ddof=1)).mean()
        population = groups.apply(lambda g: (g["estimate"] - g["planted"]).std(ddof=1)).mean()
        lines.append(f"| {model} | {width:.3f} | {3.92 * sample:.3f} | {3.92 * population:.3f} |")
    lines.append("")
    lines.append("Planted effects, mean over replications:")
    lines.append("")
    lines.append(
        "| model | theme | covariate | level | planted | sample truth | measured truth | "
        "estimate | covered (sample truth) | covered (planted) |"
    )
    lines.append("|---|---|---|---|---|---|---|---|---|---|")
    planted = t[t["planted_nonzero"]]
    for key, part in planted.groupby(["model", "theme", "covariate", "level"], sort=False):
        lines.append(
            f"| {' | '.join(map(str, key))} | {part['planted'].iloc[0]:+.3f} | "
            f"{part['truth'].mean():+.3f} | {part['truth_measured'].mean():+.3f} | "
            f"{part['estimate'].mean():+.3f} | {part['covered'].mean():.2f} | "
            f"{part['covered_planted'].mean():.2f} |"
        )
    return "\n".join(lines)


def confusion(work: Path) -> str:
    """Markdown: mean theme shares (and ``other``) of each category's documents, per model.

    Read from every finished replication under ``work`` (the run's ``document_themes.csv``,
    the mean of its refits, and the replication's ``truth_assignment.csv``): how much of a
    category's text each measure gives to the category's own theme, which is what shrinks
    the estimated contrasts against the category composition.
    """
    frames = []
    for folder in sorted(work.glob("rep*")):
        shares = folder / "run" / "tables" / "document_themes.csv"
        if not shares.exists():
            continue
        table = pd.read_csv(shares, dtype={"doc_id": str})
        truth = pd.read_csv(folder / "truth_assignment.csv", dtype={"id": str})
        frames.append(table.merge(truth[["id", "theme"]], left_on="doc_id", right_on="id"))
    data = pd.concat(frames, ignore_index=True)
    themes = [*CATEGORIES.values(), "other"]
    themes = [t for t in themes if t in data.columns]
    lines = [f"| model | category | {' | '.join(themes)} |", "|---|---|" + "---|" * len(themes)]
    for (model, category), part in data.groupby(["model", "theme"], sort=False):
        values = " | ".join(f"{part[t].mean():.2f}" for t in themes)
        lines.append(f"| {model} | {category} | {values} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--replications", type=int, default=12)
    parser.add_argument("--start", type=int, default=0, help="first replication index")
    parser.add_argument("--docs", type=int, default=800)
    parser.add_argument("--draws", type=int, default=200)
    parser.add_argument("--k-grid", default="[4,5,6]")
    parser.add_argument("--backend", default="tomotopy", help="models.lda.backend ('' = default)")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--seed", type=int, default=20261201)
    parser.add_argument("--work", type=Path, default=Path("/tmp/semisyn"))
    parser.add_argument(
        "--out", type=Path, default=None, help="one row per effect (default <work>/effects.csv)"
    )
    parser.add_argument("--rebuild-lexicon", action="store_true")
    parser.add_argument("--summarise-only", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    if args.out is None:
        args.out = args.work / "effects.csv"
    if args.summarise_only:
        print(summarise(pd.read_csv(args.out)))
        if args.work.exists():
            print("\nMean theme shares of each category's documents:\n")
            print(confusion(args.work))
        return 0
    if not args.data.exists():
        print(f"VNTC data not found at {args.data}; pass --data", file=sys.stderr)
        return 2
    articles = load_articles(args.data)
    held_out, pool = split_pool(articles, args.seed)
    if args.rebuild_lexicon or not LEXICON.exists():
        build_lexicon(held_out, LEXICON)
    args.work.mkdir(parents=True, exist_ok=True)
    for r in range(args.start, args.start + args.replications):
        table = one_replication(r, pool, args)
        # append as we go: a long benchmark on a shared machine keeps what it finished
        table.to_csv(args.out, mode="a", header=not args.out.exists(), index=False)
    print(summarise(pd.read_csv(args.out)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
