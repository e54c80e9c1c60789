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
# # 03 · Choosing the number of topics
#
# How many topics should LDA and NMF have? This notebook fits both models over a grid of K
# and puts the diagnostics side by side, as R's `stm::searchK` does: topic coherence
# ($C_V$ and $C_{NPMI}$, computed on the corpus itself), topic diversity (the share of
# unique words among all topics' top words) and seed stability (how well the topics of fits
# with different seeds match). The choice rule is the one `topiclab run` applies: the
# highest $C_{NPMI}$, ties to the smaller K. With the config's grid and settings the table
# is the same as `figures/tables/model_selection.csv`.

# %% tags=["parameters"]
config_file = "../analysis.yaml"
k_grid = None  # None: the config's models.k_grid; anchored themes need K >= 9
overrides = []  # more `--set`-style settings, e.g. ["models.lda.passes=5"]
cache = None  # a token/model cache folder; None computes everything afresh

# %%
import matplotlib.pyplot as plt

from topiclab import load_config, pipeline
from topiclab.plotting import paper_style, plot_model_selection

grid = [] if k_grid is None else [f"models.k_grid={k_grid}"]
config = load_config(config_file, [*overrides, *grid, "models.k=null"])
config["cache"] = cache
# the run's first stages in memory: read, split into units, tokenize, vectorize
prepared = pipeline.prepare(config)
vectorized = prepared.vectorized
print(f"{vectorized.n_units} units, {vectorized.n_terms} terms")

# %% [markdown]
# ## The grid
#
# One row per model and K. `stability` is the mean similarity of matched topics across fits
# with seeds derived from the one seed of the config.

# %%
selection, chosen = pipeline.select_models(prepared, config)
selection.drop(columns=["note"]).round(3)

# %%
with paper_style():
    fig = plt.figure(figsize=(7.0, 4.2))
    plot_model_selection(selection, fig)
plt.show()

# %% [markdown]
# ## The choice and why
#
# The ringed points are the chosen K. $C_{NPMI}$ is the coherence measure that agrees best
# with human judgements of topic quality (Röder et al. 2015); diversity and stability guard
# against a K whose topics repeat each other or change with the seed. Read the ringed K
# against the other panels before accepting it.

# %%
for model, k in chosen.items():
    row = selection[(selection["model"] == model) & (selection["k"] == k)].iloc[0]
    print(
        f"{model.upper()}: K = {k} (c_npmi {row['c_npmi']:.3f}, diversity "
        f"{row['diversity']:.2f}, stability {row['stability']:.2f})"
    )
