"""The analysis tables of ``topiclab run`` that are more than one library call.

Each builder takes plain data (the units table, token lists, fitted
:class:`~topiclab.models.TopicResult` objects, a lexicon) and returns the DataFrame written
as one CSV of ``<output>/tables/``; :mod:`topiclab.pipeline` only calls them and writes the
result. A notebook can call them on its own fits.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

#: unit metadata written to units.csv
UNIT_COLUMNS = ("unit_id", "doc_id", "unit_index", "title", "date", "year", "locality")
#: unit metadata carried into the share tables
SHARE_METADATA = ("unit_id", "doc_id", "unit_index", "date", "year", "locality", "district")
#: the unit columns the run's analysis stages read (share tables, exemplars, effects, the
#: fits' unit ids): the run holds only these in memory (units.csv has them all)
ANALYSIS_UNIT_COLUMNS = (*SHARE_METADATA, "n_tokens")


def units_table(units: pd.DataFrame) -> pd.DataFrame:
    """units.csv: the unit ids, their document, position, metadata, token count and text."""
    columns = [c for c in UNIT_COLUMNS if c in units.columns]
    return units[[*columns, "n_tokens", "text"]]


def share_units(units: pd.DataFrame) -> pd.DataFrame:
    """The columns of the units table that the share tables carry (metadata, tokens, and the
    text when the table holds it: the run keeps the texts on disk)."""
    columns = [c for c in SHARE_METADATA if c in units.columns]
    return units[[*columns, "n_tokens", *(["text"] if "text" in units.columns else [])]]


def topics_table(
    results: Mapping[str, Any],
    tokens: Sequence[Sequence[str]],
    dictionary: Any,
    lexicon: Any,
    min_lift: float = 1.5,
    min_mass: float = 0.012,
) -> pd.DataFrame:
    """topics.csv: top terms, theme label and scores, and coherence of every topic.

    Parameters
    ----------
    results : mapping of str to TopicResult
        The fitted model of each measure (``lda``, ``nmf``).
    tokens : sequence of list of str
        The token lists the coherence is measured on.
    dictionary : gensim Dictionary
        The vocabulary the models were fitted over.
    lexicon : Lexicon
        Where the theme labels come from.
    min_lift, min_mass : float, default=1.5 and 0.012
        The labelling floors, see :func:`topiclab.themes.label_topics`.
    """
    from topiclab import themes
    from topiclab.evaluate import coherence

    fits = list(results.values())
    if not fits:
        return pd.DataFrame(columns=["model", "topic"])
    labels = pd.concat(
        [themes.label_topics(r, lexicon, min_lift=min_lift, min_mass=min_mass) for r in fits],
        ignore_index=True,
    )
    scores = coherence(fits, tokens, dictionary)
    scores = scores.drop(columns=[c for c in ("k",) if c in scores.columns])
    merged = labels.merge(scores, on=["model", "topic"], how="left")
    front = list(themes.LABEL_COLUMNS)
    measures = [c for c in scores.columns if c not in ("model", "topic")]
    return merged[[*front, *measures, *lexicon.ids]]


def document_topics_table(
    results: Mapping[str, Any], units: pd.DataFrame, bow: Any
) -> pd.DataFrame:
    """document_topics.csv: one row per document and model, one column per topic.

    A document's topic proportions are the mean of its units' rows weighted by the tokens
    the model saw (those kept in the vocabulary, the row sums of ``bow``).

    Parameters
    ----------
    results : mapping of str to TopicResult
        The fitted model of each measure; its ``doc_topic`` rows are units.
    units : DataFrame
        The units table (``unit_id``, ``doc_id``), one row per row of ``bow``.
    bow : sparse matrix of shape (n_units, n_terms)
        The counts the models were fitted on.
    """
    unit_ids = pd.Index(units["unit_id"].astype(str))
    seen = np.asarray(bow.sum(axis=1), dtype=float).ravel()
    frames = []
    for name, result in results.items():
        theta = np.asarray(result.doc_topic)
        rows = pd.Index(result.unit_ids)
        if rows.equals(unit_ids):
            # a run's fits hold the units' ids in order: no lookup over every unit id
            w, doc_ids = seen, units["doc_id"].to_numpy()
        else:
            w = pd.Series(seen, index=unit_ids).reindex(rows).fillna(0.0).to_numpy()
            doc_ids = units.set_index("unit_id")["doc_id"].reindex(rows).to_numpy()
        # Grouped by each unit's document number, one topic at a time: the frames of every
        # unit's weighted shares, grouped by document id strings, took 360 MB at 80,000
        # articles. The groups and their order are those of groupby(doc_ids, sort=True), and
        # pandas sums each column on its own in row order: the same values to the last bit.
        codes, documents = pd.factorize(doc_ids, sort=True)
        kept = codes >= 0  # a unit of no known document belongs to no group, as in groupby
        codes, w = codes[kept], w[kept]
        total = pd.Series(w).groupby(codes, sort=True).sum()
        mean = {}
        for k in range(theta.shape[1]):
            values = theta[kept, k]
            sums = pd.Series(values * w).groupby(codes, sort=True).sum()
            plain = pd.Series(values).groupby(codes, sort=True).mean()
            mean[f"topic_{k}"] = sums.div(total.where(total > 0)).fillna(plain).to_numpy()
        table = pd.DataFrame(mean, index=pd.Index(documents[total.index], name="doc_id"))
        table = table.reset_index()
        table.insert(1, "model", name)
        frames.append(table)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def exemplars_table(
    stacked_units: pd.DataFrame,
    units: pd.DataFrame,
    tokens: Any,
    lexicon: Any,
    n: int = 3,
) -> pd.DataFrame:
    """exemplars.csv: for each measure and theme, the top ``n`` passages that contain one of
    the theme's indicator terms (``scope = overall``), and the top passage of each locality
    (``scope = locality``).

    Only the few passages that can be shown are read: a unit contains an indicator term of a
    theme exactly when its dictionary (``lexicon``) share of the theme is positive (term
    weights are positive), so the candidates of each measure, theme and group are ranked
    from the shares alone (:func:`exemplar_candidates`), and
    :func:`topiclab.themes.exemplars` then gets the texts and tokens of the top ``n`` of each
    (:func:`exemplars_of_candidates`). A run calls those two itself, one measure at a time,
    so that the unit shares of every measure are never in memory together.

    Parameters
    ----------
    stacked_units : DataFrame
        Unit-level shares of every measure, stacked (told apart by ``model``), the
        dictionary measure (``model = "lexicon"``) included.
    units : DataFrame
        The units table with ``unit_id`` (and ``text`` when ``tokens`` is a list), one row per
        unit in token order.
    tokens : sequence of list of str, or TokenStore
        Tokens aligned with ``units``; a :class:`~topiclab.stream.TokenStore` also gives the
        texts of the passages shown.
    lexicon : Lexicon
        The themes and their indicator terms.
    n : int, default=3
        Passages per measure and theme in the overall scope.
    """
    from topiclab import themes

    dictionary = stacked_units[stacked_units["model"] == "lexicon"]
    if dictionary.empty:
        dictionary = themes.lexicon_shares(tokens, lexicon, units)
    hits = exemplar_hits(dictionary, lexicon)
    candidates = [
        exemplar_candidates(stacked_units[stacked_units["model"] == model], hits, lexicon, n=n)
        for model in stacked_units["model"].unique()
    ]
    return exemplars_of_candidates(candidates, units, tokens, lexicon, n=n)


def exemplar_hits(dictionary: pd.DataFrame, lexicon: Any) -> dict[str, set[str]]:
    """The units that contain an indicator term of each theme: those whose dictionary share
    of the theme is positive.

    Parameters
    ----------
    dictionary : DataFrame
        Unit-level shares of the dictionary measure (:func:`topiclab.themes.lexicon_shares`).
    lexicon : Lexicon
        The themes.

    Returns
    -------
    dict of str to set of str
        Theme id -> the unit ids that hold one of its indicator terms.
    """
    ids = dictionary["unit_id"].astype(str)
    return {theme_id: set(ids[dictionary[theme_id] > 0]) for theme_id in lexicon.ids}


def exemplar_candidates(
    shares: pd.DataFrame, hits: Mapping[str, set[str]], lexicon: Any, n: int = 3
) -> pd.DataFrame:
    """The rows of one measure's unit shares that can be an exemplar passage of a theme.

    For each theme they are the top ``n`` units holding one of its indicator terms (by
    share, ties by unit id) and the top one of each locality: what
    :func:`exemplars_of_candidates` ranks again with the texts and tokens.

    Parameters
    ----------
    shares : DataFrame
        Unit-level shares of one measure (a ``model`` column with one value).
    hits : dict of str to set of str
        :func:`exemplar_hits`.
    lexicon : Lexicon
        The themes.
    n : int, default=3
        Passages per theme in the overall scope.

    Returns
    -------
    DataFrame
        The candidate rows of ``shares``, in their order.
    """
    # the ranking reads three columns of the unit shares: copying whole unit tables for
    # every measure and theme made this the largest step of a national run
    ids = shares["unit_id"].astype(str)
    columns = shares[["locality", *lexicon.ids]].assign(unit_id=ids)
    wanted: set[str] = set()
    for theme_id in lexicon.ids:
        ranked = columns.loc[ids.isin(hits[theme_id]), ["unit_id", "locality"]]
        ranked = ranked.assign(share=columns[theme_id])
        ranked = ranked.sort_values(["share", "unit_id"], ascending=[False, True], kind="stable")
        wanted.update(ranked["unit_id"].head(n))
        wanted.update(ranked.groupby("locality", dropna=False, sort=False).head(1)["unit_id"])
    return shares[ids.isin(wanted).to_numpy()]


def exemplars_of_candidates(
    candidates: Sequence[pd.DataFrame], units: pd.DataFrame, tokens: Any, lexicon: Any, n: int = 3
) -> pd.DataFrame:
    """exemplars.csv from the candidate rows of each measure (:func:`exemplar_candidates`).

    The result is that of :func:`exemplars_table` on the measures' whole unit shares: a
    measure's top passages of a theme are among its candidates, and the ranking of
    :func:`topiclab.themes.exemplars` is a total order (share, then unit id), so rows that
    are not candidates change nothing.

    Parameters
    ----------
    candidates : sequence of DataFrame
        The candidate rows of each measure, in the order the table lists the measures.
    units, tokens, lexicon, n
        As for :func:`exemplars_table`.
    """
    from topiclab import themes

    wanted = set().union(*(set(frame["unit_id"].astype(str)) for frame in candidates))
    positions = np.flatnonzero(units["unit_id"].astype(str).isin(wanted).to_numpy())
    few = units.iloc[positions].reset_index(drop=True)
    if hasattr(tokens, "passages"):
        found = tokens.passages(positions)
        few = few.assign(text=[found[p][0] for p in positions])
        few_tokens = [found[p][1] for p in positions]
    else:
        few_tokens = [list(tokens[p]) for p in positions]

    frames = []
    for shares in candidates:
        for theme_id in lexicon.ids:
            frames.append(
                themes.exemplars(
                    shares, few, theme_id, n=n, lexicon=lexicon, tokens=few_tokens
                ).assign(scope="overall")
            )
            frames.append(
                themes.exemplars(
                    shares, few, theme_id, by="locality", n=1, lexicon=lexicon, tokens=few_tokens
                ).assign(scope="locality")
            )
    table = pd.concat(frames, ignore_index=True)
    front = ["model", "theme", "scope", "rank"]
    return table[[*front, *[c for c in table.columns if c not in front]]]


def alignment_table(results: Mapping[str, Any]) -> pd.DataFrame:
    """alignment.csv: LDA-NMF topic similarities, or a note why there is nothing to align."""
    from topiclab.evaluate import align

    if {"lda", "nmf"} <= set(results):
        return align(results["lda"], results["nmf"])
    return pd.DataFrame(
        {"note": ["alignment needs both lda and nmf in models.names; it was not computed"]}
    )
