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
    tables_dir, ["theme_prevalence_by_locality.csv", "theme_prevalence_by_year.csv"]
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
