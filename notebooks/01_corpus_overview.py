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
# # 01 · What is in the corpus
#
# This notebook reads a folder of articles the way `topiclab run` does (`load_corpus`), and
# shows what came in: every input file with its status in the **manifest** (nothing is dropped
# without a recorded reason), the documents with their metadata (locality, year, source), how
# much of that metadata was curated and how much was inferred from the text, and the analysis
# units the models will see. The last cell draws the corpus-overview figure of the paper with
# the same function the figure build uses.

# %% tags=["parameters"]
corpus = "../corpus"  # a folder of articles, or a table file
metadata = None  # curated metadata table; None = <folder>/metadata.csv when present
unit = "paragraph"  # document | paragraph | window

# %%
import matplotlib.pyplot as plt
import pandas as pd

from topiclab import load_corpus, make_units
from topiclab.plotting import paper_style, plot_corpus_overview

pd.set_option("display.max_colwidth", 80)
loaded = load_corpus(corpus, metadata=metadata)
print(loaded.summary())

# %% [markdown]
# ## The manifest: every input file, included or excluded, with the reason

# %%
loaded.manifest[["file", "status", "reason", "doc_id"]]

# %% [markdown]
# ## The documents and their metadata
#
# `inferred` names the fields read from the article itself (a dateline, a locality in the
# title) rather than from the curated metadata table.

# %%
documents = loaded.documents
documents[["doc_id", "title", "date", "year", "locality", "province", "source", "inferred"]]

# %% [markdown]
# ## Metadata coverage
#
# The share of documents with a known value in each metadata column, and how often each
# field had to be inferred.

# %%
columns = ["title", "date", "year", "locality", "district", "province", "source"]
known = documents[columns].astype("string").fillna("").ne("")
coverage = pd.DataFrame(
    {
        "known": known.mean().round(2),
        "inferred": [
            documents["inferred"].fillna("").str.split(";").map(lambda f, c=c: c in f).mean()
            for c in columns
        ],
    }
)
coverage

# %% [markdown]
# ## Analysis units
#
# Topic models see units, not whole articles: here paragraphs (short ones are merged with a
# neighbour rather than dropped). Each unit keeps its document's metadata.

# %%
units = make_units(documents, unit=unit)
print(f"{len(units)} units from {units['doc_id'].nunique()} documents")
units.groupby("locality").size().rename("units").to_frame()

# %%
with paper_style():
    fig = plt.figure(figsize=(7.0, 2.8))
    plot_corpus_overview(documents, units, fig)
plt.show()
