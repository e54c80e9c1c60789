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
# # 02 · Preprocessing, step by step
#
# Topic models of Vietnamese need words, not syllables: "cán bộ" (cadre) is one word written
# as two syllables. This notebook follows one real paragraph of the corpus through each step
# of `topiclab.Preprocessor`: Unicode and tone-mark normalisation, pyvi's word segmentation,
# protected multi-word terms, and the token filters (stopwords, numbers, person and place
# names). It then shows what the document-frequency filter of `topiclab.vectorize` removes
# from the vocabulary, and why.

# %% tags=["parameters"]
corpus = "../corpus"
paragraph_index = 2  # which paragraph of the chosen article to follow
doc_index = 2  # which article (0-based, in doc_id order)
no_below = 2  # keep terms in at least this many units
no_above = 0.95  # drop terms in more than this fraction of units

# %%
import pandas as pd

from topiclab import Preprocessor, load_corpus, make_units, normalize_text
from topiclab.preprocess import segment
from topiclab.vectorize import vectorize

loaded = load_corpus(corpus)
units = make_units(loaded.documents, unit="paragraph")
doc_id = sorted(units["doc_id"].unique())[doc_index]
paragraph = units[units["doc_id"] == doc_id]["text"].iloc[paragraph_index]
print(paragraph)

# %% [markdown]
# ## 1. Normalisation
#
# NFC composition, invisible characters removed, and one tone-mark convention ("hòa", "ủy"),
# so that the same word is always the same string.

# %%
normalized = normalize_text(paragraph)
print("changed characters:", sum(a != b for a, b in zip(paragraph, normalized, strict=False)))

# %% [markdown]
# ## 2. Word segmentation with pyvi
#
# pyvi joins the syllables of one word with "_". On its own it keeps everything: function
# words, numbers, names.

# %%
words = segment(normalized)
print(len(words), "words")
print(" ".join(words[:60]))

# %% [markdown]
# ## 3. The full preprocessor
#
# Abbreviations written out, multi-word terms protected ("tự_phê_bình", "tổ_chức_cơ_sở_đảng"),
# then lower case, and the filters: generic and domain stopwords, numbers, person names and
# place names (localities belong in the metadata, not in the topics).

# %%
full = Preprocessor()
tokens = full.transform_one(paragraph)
print(len(tokens), "tokens")
print(" ".join(tokens))

# %% [markdown]
# ## 4. What each filter removes
#
# The same paragraph with one filter switched off at a time: the extra tokens are what that
# filter removes.

# %%
variants = {
    "generic stopwords": {"generic_stopwords": False},
    "domain stopwords": {"domain_stopwords": False},
    "numbers": {"remove_numbers": False},
    "person names": {"remove_names": False},
    "place names": {"remove_places": False},
}
kept = set(tokens)
rows = []
for name, setting in variants.items():
    without = Preprocessor(**setting).transform_one(paragraph)
    extra = sorted(set(without) - kept)
    rows.append({"filter off": name, "tokens": len(without), "it removes": " ".join(extra[:15])})
pd.DataFrame(rows)

# %% [markdown]
# ## 5. Document-frequency filter
#
# Over all units of the corpus, terms in fewer than `no_below` units or in more than
# `no_above` of them are removed from the vocabulary. Every removed term is reported with
# its reason, and units left without tokens are listed, not dropped silently.

# %%
all_tokens = full.transform(units["text"].tolist())
vectorized = vectorize(all_tokens, no_below=no_below, no_above=no_above)
print(f"vocabulary: {len(vectorized.vocab)} terms; removed: {len(vectorized.removed)}")
print("units left empty:", vectorized.empty_units)
vectorized.removed.groupby("reason").size().rename("terms").to_frame()

# %%
vectorized.removed.sort_values("doc_freq", ascending=False).head(10)
