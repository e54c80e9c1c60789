"""Colour-blind-safe colour sets shared by the lexicon (which gives each theme a colour) and
the plotting room (which draws them); the two rooms may not import each other."""

from __future__ import annotations

#: Okabe and Ito's colour-blind-safe set (https://jfly.uni-koeln.de/color/).
OKABE_ITO: tuple[str, ...] = (
    "#e69f00",
    "#56b4e9",
    "#009e73",
    "#f0e442",
    "#0072b2",
    "#d55e00",
    "#cc79a7",
    "#000000",
)

#: Paul Tol's "muted" scheme (the shipped lexicon's theme colours).
TOL_MUTED: tuple[str, ...] = (
    "#332288",
    "#88ccee",
    "#44aa99",
    "#882255",
    "#117733",
    "#999933",
    "#ddcc77",
    "#cc6677",
    "#aa4499",
)
