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
# # 06 · Your own corpus
#
# A template: point topiclab at another folder of articles (plain text, HTML, or a CSV /
# JSONL table with a `text` column) and get the same tables and figures as the paper. Put
# a `metadata.csv` next to the articles (columns `file`, `locality`, `year`, ...) to give
# the metadata yourself; what it lacks is inferred from the texts and marked as inferred.
#
# Change the parameters below and run all cells. Without a config file the shipped defaults
# are used; `overrides` take any `--set`-style setting of `topiclab run`. A fixed `k` skips
# model selection, which is the slow part on a large corpus.

# %% tags=["parameters"]
corpus = "../corpus"  # your folder of articles (or a .csv / .jsonl / .parquet table)
metadata = None  # a curated metadata table; None = <folder>/metadata.csv when present
output = "my_corpus_results"  # tables go to <output>/tables, figures to <output>
cache = "my_corpus_cache"  # reused by the next run; delete it to start afresh
unit = "paragraph"  # document | paragraph | window
models = ["lda", "nmf"]
k = None  # an integer fits exactly K topics and skips model selection
seed = 20181206
overrides = []  # e.g. ["themes.n_boot=200", "figures.language=vi"]

# %%
from pathlib import Path

import pandas as pd
from IPython.display import Image, Markdown, display

from topiclab import load_config, run

settings = {
    "corpus": {"path": str(Path(corpus).resolve()), "metadata": metadata},
    "units": {"unit": unit},
    "models": {"names": list(models), "k": k},
    "seed": seed,
    "output": str(Path(output).resolve()),
    "cache": str(Path(cache).resolve()) if cache else None,
}
# the settings and the overrides are checked together, before any work
config = load_config(None, [settings, *overrides])
written = run(config)
print(f"{len(written)} files written to {output}")

# %% [markdown]
# ## What was read
#
# The manifest lists every input file; excluded files say why.

# %%
tables = Path(output) / "tables"
manifest = pd.read_csv(tables / "manifest.csv")
manifest.groupby(["status", "reason"], dropna=False).size().rename("files").to_frame()

# %% [markdown]
# ## The figures
#
# `README.md` in the output says which function and table each figure comes from, and which
# figures were not drawn and why: a corpus without dates has no figure by year, a run of one
# model no LDA-NMF alignment. The tables are all written either way (empty but with their
# columns when there is nothing to compare). Each run replaces the whole output folder.

# %%
display(Markdown((Path(output) / "README.md").read_text(encoding="utf-8")))
for png in sorted(Path(output).glob("fig*.png")):
    display(Markdown(f"**{png.stem}**"), Image(filename=str(png), width=700))

# %% [markdown]
# ## The main table
#
# Mean theme shares by locality with their intervals, for each measure.

# %%
pd.read_csv(tables / "theme_prevalence_by_locality.csv").round(3).head(30)
