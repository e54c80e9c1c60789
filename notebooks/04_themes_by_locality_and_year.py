# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 04 · Themes by locality and year
#
# The research question: which themes of Party-building work does each locality emphasise,
# and how does the emphasis move over the years? Each unit's share of each theme comes from
# the topic model (its topics labelled with the theme lexicon) or, as a baseline, from the
# lexicon's indicator terms directly. Shares are averaged over a group's documents with 95%
# bootstrap intervals (documents resampled within groups, and model refits with different
# seeds, so the interval also carries the model's own instability). Groups too small to say
# anything are flagged.
#
# The group means answer one question at a time. The last section regresses each theme's
# share on locality and year *at once* (`tables/theme_effects.csv`), so a trend over the years
# is not the reflection of which localities reported in which year.
#
# By default the notebook reads the tables `make figures` wrote (`figures/tables/`), so the
# numbers are those of the paper; `rerun = True` runs the pipeline into `output` first.
# Below the numbers are the passages that carry each theme, in Vietnamese, to read and check.

# %% tags=["parameters"]
config_file = "../analysis.yaml"
output = "../figures"  # the folder holding tables/ (written by `make figures`)
rerun = False  # True: run the pipeline into `output` first
overrides = []  # `--set`-style settings for the rerun, e.g. ["models.k=4"]
model = "lda"  # lda | nmf | lexicon: the measure of the heatmap
language = "en"  # en | vi: theme labels in the figures

# %%
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from topiclab import load_config, load_lexicon, run
from topiclab.figures import read_tables
from topiclab.plotting import (
    paper_style,
    plot_prevalence_by_locality,
    plot_prevalence_by_year,
    plot_theme_effects,
    theme_labels,
)

pd.set_option("display.max_colwidth", 200)
if rerun:
    config = load_config(config_file, [*overrides, f"output={Path(output).resolve()}"])
    run(config)
tables_dir = Path(output) / "tables"
if not (tables_dir / "theme_prevalence_by_locality.csv").exists():
    raise FileNotFoundError(f"no tables in {tables_dir}: run `make figures`, or set rerun = True")
tables = read_tables(
    tables_dir,
    ["theme_prevalence_by_locality.csv", "theme_prevalence_by_year.csv", "theme_effects.csv"],
)
lexicon = load_lexicon()
# the figures take their theme labels, order and colours from the lexicon
labels = theme_labels(language, lexicon)

# %% [markdown]
# ## The themes
#
# Each theme of the lexicon with its Vietnamese label and the English gloss used in the
# figures.

# %%
pd.DataFrame(
    {
        "theme": lexicon.ids,
        "Vietnamese": [lexicon[t].label_vi for t in lexicon.ids],
        "English": [lexicon[t].label_en for t in lexicon.ids],
    }
)

# %% [markdown]
# ## By locality
#
# Mean share of each theme in each locality's documents; the brackets are the 95% interval.
# Hatched cells are groups with fewer documents than `themes.min_group_size`: read them as
# anecdotes, not estimates.

# %%
by_locality = tables["theme_prevalence_by_locality.csv"]
with paper_style():
    fig, ax = plt.subplots(figsize=(7.0, 3.6))
    plot_prevalence_by_locality(by_locality, ax, model=model, language=language, labels=labels)
plt.show()

# %%
which = by_locality[by_locality["model"] == model]
table = which.pivot(index="locality", columns="theme", values="mean")
table[[t for t in [*lexicon.ids, "other"] if t in table.columns]].round(2)

# %% [markdown]
# ## Over the years
#
# One panel per theme, one line per measure (LDA, NMF, dictionary); hollow markers are years
# with too few documents.

# %%
with paper_style():
    fig = plt.figure(figsize=(7.0, 4.0))
    plot_prevalence_by_year(
        tables["theme_prevalence_by_year.csv"], fig, language=language, labels=labels
    )
plt.show()

# %% [markdown]
# ## Holding the rest fixed: theme effects
#
# Each theme's document share is regressed on the covariates of `themes.effects.formula`
# (default: locality and year, those that vary; a fractional-logit GLM of statsmodels). A
# locality's row is its average marginal effect against the reference locality on the share
# scale (0.05 = five percentage points), each document keeping its own year; the year's row
# is the expected change of the share per year, each document keeping its locality. The 95%
# intervals come from the method of composition: each of `themes.effects.draws` draws takes
# one model refit, draws every paragraph's LDA topic mixture from its posterior, resamples the
# documents and refits the regression. A hollow marker has no interval (too few documents at
# that level).

# %%
effects = tables.get("theme_effects.csv")
if effects is None:
    print(f"no theme_effects.csv in {tables_dir}: run `make figures` (or set rerun = True)")
elif effects.empty:
    print("no covariate of themes.effects.formula varies in this corpus: no effects to show")
else:
    effects = effects.fillna({"reference": ""})
    with paper_style():
        fig, ax = plt.subplots(figsize=(7.0, 1.0 + 0.22 * (len(effects) // 3 + 10)))
        plot_theme_effects(effects, ax, labels=labels, colours=getattr(labels, "colors", None))
    plt.show()

# %%
columns = ["theme", "covariate", "level", "reference", "estimate", "lower", "upper", "n_documents"]
chosen = effects[effects["model"] == model] if effects is not None else pd.DataFrame()
chosen[[c for c in columns if c in chosen.columns]].round(3)

# %% [markdown]
# ## Passages to read
#
# For each theme, the passage that represents it best by the chosen measure, with its
# locality and year, the English gloss of the theme and the indicator terms found in it. A
# number is only as good as the passages behind it.

# %%
exemplars = pd.read_csv(tables_dir / "exemplars.csv", dtype={"year": "Int64"})
glosses = theme_labels("en", lexicon)
best = exemplars[(exemplars["model"] == model) & (exemplars["scope"] == "overall")]
best = best[best["rank"] == 1]
for row in best.itertuples(index=False):
    print(f"■ {glosses[row.theme]} ({row.theme}) · {row.locality}, {row.year}")
    print(f"  indicator terms: {row.indicator_terms}")
    print(f"  {row.text[:600]}")
    print()
