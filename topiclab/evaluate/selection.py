"""The rule that chooses the number of topics K from the model-selection table that
:func:`topiclab.evaluate.select_k` computes."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

#: The measure K is chosen by, and the note the model-selection table carries about it.
CHOICE_METRIC = "c_npmi"
CHOICE_NOTE = "K chosen by the highest c_npmi over models.k_grid"


def choose_k(table: pd.DataFrame, models: Iterable[str] | None = None) -> dict[str, int]:
    """The chosen K of each model: the highest NPMI coherence, ties to the smaller K.

    NPMI coherence agrees best with human judgements of topic quality among the measures
    the table holds (Röder et al. 2015); among equally coherent fits the smaller K is the
    simpler model.

    Parameters
    ----------
    table : DataFrame
        The output of :func:`topiclab.evaluate.select_k`: columns ``model``, ``k`` and
        ``c_npmi``, one row per model and K.
    models : iterable of str, optional
        The models to choose for (default: every model of the table, in order of appearance).

    Returns
    -------
    dict of str to int
        Model name -> chosen K.

    Raises
    ------
    ValueError
        If a model has no row in the table.
    """
    names = list(models) if models is not None else list(dict.fromkeys(table["model"]))
    chosen: dict[str, int] = {}
    for name in names:
        rows = table[table["model"] == name]
        if rows.empty:
            raise ValueError(f"the model-selection table has no row for model {name!r}")
        best = rows.sort_values([CHOICE_METRIC, "k"], ascending=[False, True], kind="stable")
        chosen[name] = int(best.iloc[0]["k"])
    return chosen
