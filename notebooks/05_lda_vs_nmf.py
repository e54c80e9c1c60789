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
# # 05 · LDA versus NMF, and the dictionary baseline
#
# A theme that shows up only in one model is a finding about the model, not about the
# corpus. This notebook puts the two topic models side by side: their topics with the theme
# each was labelled with, the alignment of LDA and NMF topics (cosine similarity of their
# word distributions, one-to-one matching by the Hungarian algorithm), and the agreement of
# the theme shares the three measures give each document (LDA, NMF and the dictionary-only
# baseline that counts the lexicon's indicator terms).
#
# Like notebook 04 it reads the tables of `make figures`, or reruns the pipeline.

# %% tags=["parameters"]
config_file = "../analysis.yaml"
output = "../figures"
rerun = False
overrides = []
language = "en"

# %%
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from topiclab import load_config, load_lexicon, run
from topiclab.figures import read_tables
from topiclab.plotting import (
    paper_style,
    plot_agreement,
    plot_alignment,
    plot_top_terms,
    theme_color,
    theme_labels,
)

pd.set_option("display.max_colwidth", 120)
if rerun:
    config = load_config(config_file, [*overrides, f"output={Path(output).resolve()}"])
    run(config)
tables_dir = Path(output) / "tables"
tables = read_tables(tables_dir)
missing = {"topics.csv", "topic_terms.csv", "alignment.csv", "agreement.csv"} - set(tables)
if missing:
    raise FileNotFoundError(f"{sorted(missing)} not in {tables_dir}: run `make figures`")
# the figures take their theme labels, order and colours from the lexicon
names = theme_labels(language, load_lexicon())

# %% [markdown]
# ## The topics and their themes
#
# `theme` is the best-matching theme of the lexicon, `lift` how much more of that theme's
# vocabulary the topic holds than the corpus as a whole, `mass` the part of the topic's
# probability on that vocabulary, `spread_mass` the same without the vocabulary's most
# probable term in the topic, `confidence` the topic's membership in it; topics whose spread
# mass is below `themes.min_mass` or whose lift is below `themes.min_lift` are `other`, never
# forced, and an `anchored` topic keeps the theme it was anchored on.

# %%
topics = tables["topics.csv"]
columns = [
    "model",
    "topic",
    "theme",
    "lift",
    "mass",
    "spread_mass",
    "confidence",
    "anchored",
    "c_npmi",
]
topics[[*columns, "top_terms"]].round(3)

# %%
for name in ("lda", "nmf"):
    with paper_style():
        fig = plt.figure(figsize=(7.0, 4.5))
        plot_top_terms(
            tables["topic_terms.csv"],
            fig,
            topics=topics,
            model=name,
            language=language,
            labels=names,
        )
    plt.show()

# %% [markdown]
# ## Alignment of LDA and NMF topics
#
# Outlined cells are the matched pairs. A matched pair with high similarity and the same
# theme label is a theme both models find.

# %%
alignment = tables["alignment.csv"]
if {"topic_a", "topic_b"} <= set(alignment.columns):
    with paper_style():
        fig, ax = plt.subplots(figsize=(6.5, 5.0))
        plot_alignment(alignment, ax, topics=topics, language=language, labels=names)
    plt.show()
    labels = topics.set_index(["model", "topic"])["theme"]
    matched = alignment[alignment["matched"]].copy()
    matched["theme_lda"] = [labels[("lda", t)] for t in matched["topic_a"]]
    matched["theme_nmf"] = [labels[("nmf", t)] for t in matched["topic_b"]]
    display_columns = ["topic_a", "topic_b", "similarity", "theme_lda", "theme_nmf"]
    print(matched[display_columns].round(3).to_string(index=False))
else:
    print(alignment.iloc[0].to_dict())

# %% [markdown]
# ## Agreement of the three measures
#
# Per theme, the correlation over documents between the shares of each pair of measures.
# The dictionary baseline needs no model: where a topic-based share disagrees with it, read
# the passages (notebook 04) before trusting either. With few documents, correlations are
# noisy or not computable (a hollow marker at zero).

# %%
agreement = tables["agreement.csv"]
with paper_style():
    fig, ax = plt.subplots(figsize=(5.5, 3.6))
    plot_agreement(agreement, ax, language=language, labels=names)
plt.show()
agreement.round(3)

# %% [markdown]
# ## One theme, document by document
#
# The share of party discipline in each document by each measure.

# %%
documents = pd.read_csv(tables_dir / "document_themes.csv")
wide = documents.pivot(index="doc_id", columns="model", values="party_discipline")
with paper_style():
    fig, ax = plt.subplots(figsize=(3.5, 3.0))
    for name in [c for c in ("nmf", "lexicon") if c in wide.columns]:
        ax.scatter(
            wide["lda"],
            wide[name],
            label=name,
            color=theme_color("party_discipline", names),
            marker="s" if name == "nmf" else "^",
        )
    ax.set_xlabel("LDA share")
    ax.set_ylabel("Other measure")
    ax.legend()
plt.show()
