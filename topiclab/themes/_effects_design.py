"""The design of a theme-effects regression: which data columns a formula uses, and the
model matrices and contrasts :func:`topiclab.themes.effects.estimate_effects` reads its
average marginal effects from."""

from __future__ import annotations

import ast
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

#: names a formula may use that are not data columns (patsy's transforms, numpy)
_FORMULA_FUNCTIONS = frozenset(
    {"C", "I", "Q", "bs", "cr", "cc", "te", "center", "standardize", "scale", "np", "numpy"}
)


def _formula_variables(rhs: str, columns: pd.Index) -> list[str]:
    """Data columns the formula uses, in order; a clear error for names that are not columns."""
    import patsy

    try:
        desc = patsy.ModelDesc.from_formula(rhs)
    except patsy.PatsyError as error:
        raise ValueError(f"cannot parse the formula {rhs!r}: {error}") from error
    names: list[str] = []
    for term in desc.rhs_termlist:
        for factor in term.factors:
            for name in _names_in(factor.code):
                if name not in names:
                    names.append(name)
    if not names:
        raise ValueError(f"the formula {rhs!r} names no covariate")
    known = {str(c) for c in columns}
    missing = [n for n in names if n not in known]
    if missing:
        listing = ", ".join(repr(m) for m in missing)
        raise ValueError(
            f"the formula {rhs!r} names column(s) {listing} that are in neither the shares "
            f"nor the metadata; available: {sorted(known)}"
        )
    return names


def _names_in(code: str) -> list[str]:
    """Variable names of one factor's code: names that are not called or dotted into."""
    tree = ast.parse(code.strip(), mode="eval")
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            skip.add(id(node.func))
        elif isinstance(node, ast.Attribute):
            skip.add(id(node.value))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and id(node) not in skip:
            if node.id not in _FORMULA_FUNCTIONS and node.id not in out:
                out.append(node.id)
    return out


# --------------------------------------------------------------------------------------------
# one model


class _Design:
    """The design matrix of all documents and its counterfactual versions for the AMEs."""

    def __init__(
        self,
        data: pd.DataFrame,
        rhs: str,
        variables: list[str],
        reference: str | Mapping[str, Any] | None,
    ) -> None:
        import patsy

        try:
            matrix = patsy.dmatrix(rhs, data, NA_action="raise", return_type="dataframe")
        except patsy.PatsyError as error:
            raise ValueError(f"cannot build the design of {rhs!r}: {error}") from error
        self.info = matrix.design_info
        self.X = matrix.to_numpy(dtype=float)
        self.data = data
        self._level_masks: dict[tuple[str, str], np.ndarray] = {}
        categorical_factors = {
            name
            for factor, info in self.info.factor_infos.items()
            if info.type == "categorical"
            for name in _names_in(factor.code)
        }
        # contrasts: (covariate, level, reference, X_level, X_reference or None, n_docs); the
        # counterfactual designs are Counterfactual (indexed by rows as the matrix would be)
        self.contrasts: list[tuple[str, str, str, Any, Any, np.ndarray]] = []
        for name in variables:
            column = data[name]
            numeric = pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(
                column
            )
            if numeric and name not in categorical_factors:
                self._add_numeric(name, column.astype(float))
            else:
                self._add_categorical(name, column, _reference_for(reference, name))

    def is_level(self, name: str, level: str) -> np.ndarray:
        """Which documents have ``level`` of covariate ``name`` (cached: asked every draw)."""
        key = (name, level)
        if key not in self._level_masks:
            self._level_masks[key] = (self.data[name].astype(str) == level).to_numpy()
        return self._level_masks[key]

    def _matrix(self, data: pd.DataFrame) -> np.ndarray:
        import patsy

        (matrix,) = patsy.build_design_matrices([self.info], data, NA_action="raise")
        return np.asarray(matrix, dtype=float)

    def _counterfactual(self, data: pd.DataFrame) -> Counterfactual:
        """The design of ``data`` kept as its differences from :attr:`X` (one at a time)."""
        return Counterfactual(self.X, self._matrix(data))

    def _add_numeric(self, name: str, column: pd.Series) -> None:
        # the average derivative by a centred difference of +-0.5 clipped to the observed
        # range (a spline's basis is not defined outside it); exact per-unit change when the
        # share is linear in the covariate
        low, high = float(column.min()), float(column.max())
        if high <= low:
            raise ValueError(f"covariate {name!r} takes one value only")
        minus = np.clip(column - 0.5, low, high).to_numpy()
        plus = np.clip(column + 0.5, low, high).to_numpy()
        step = plus - minus
        self.contrasts.append(
            (
                name,
                "per unit",
                "",
                self._counterfactual(self.data.assign(**{name: plus})),
                self._counterfactual(self.data.assign(**{name: minus})),
                step,
            )
        )

    def _add_categorical(self, name: str, column: pd.Series, reference: Any) -> None:
        if isinstance(column.dtype, pd.CategoricalDtype):
            levels = [lv for lv in column.cat.categories if (column == lv).any()]
        else:
            levels = sorted(column.unique().tolist(), key=lambda v: (str(type(v)), v))
        if len(levels) < 2:
            raise ValueError(f"covariate {name!r} has fewer than two levels")
        if reference is None:
            reference = levels[0]
        if reference != "mean" and reference not in levels:
            raise ValueError(f"reference {reference!r} is not a level of {name!r}: {levels}")
        cf = {}
        for lv in levels:
            value = (
                pd.Categorical([lv] * len(column), categories=column.cat.categories)
                if isinstance(column.dtype, pd.CategoricalDtype)
                else [lv] * len(column)
            )
            cf[lv] = self._counterfactual(self.data.assign(**{name: value}))
        for lv in levels:
            if lv == reference:
                continue
            n_level = (column == lv).to_numpy()
            self.contrasts.append(
                (
                    name,
                    str(lv),
                    str(reference),
                    cf[lv],
                    None if reference == "mean" else cf[reference],
                    n_level,
                )
            )


def _reference_for(reference: str | Mapping[str, Any] | None, name: str) -> Any:
    if isinstance(reference, Mapping):
        return reference.get(name)
    return reference


class Counterfactual:
    """A counterfactual design matrix stored as the columns where it differs from ``X``.

    A covariate set to one level (or shifted) changes only the columns built from it, and
    a categorical level makes each of them one constant: a contrast then costs a few numbers,
    not a documents x coefficients matrix (with one contrast per level of a covariate of
    hundreds of levels, the full matrices held tens of gigabytes). ``counterfactual[rows]``
    gives exactly ``matrix[rows]``: the columns that equal ``X`` bit for bit are read from
    ``X``, the others from what is stored.

    Parameters
    ----------
    X : ndarray of shape (n, p)
        The design of the observed data (kept by reference, not copied).
    matrix : ndarray of shape (n, p)
        The counterfactual design; only its differing columns are kept.
    """

    def __init__(self, X: np.ndarray, matrix: np.ndarray) -> None:
        if matrix.shape != X.shape or matrix.dtype != X.dtype:
            raise ValueError(f"a counterfactual design of {matrix.shape} for a design of {X.shape}")
        self.X = X
        self.shape = matrix.shape
        # bit patterns, not ==: -0.0 and 0.0 are told apart, so the rebuilt matrix is identical
        differs = (matrix.view(np.uint64) != X.view(np.uint64)).any(axis=0)
        self.constants: dict[int, np.ndarray] = {}
        self.columns: dict[int, np.ndarray] = {}
        for j in np.flatnonzero(differs).tolist():
            column = matrix[:, j]
            if len(column) and (column.view(np.uint64) == column[:1].view(np.uint64)).all():
                self.constants[j] = column[:1].copy()
            else:
                self.columns[j] = column.copy()

    def __getitem__(self, rows: Any) -> np.ndarray:
        out = self.X[rows]
        if np.may_share_memory(out, self.X):  # a slice gives a view: never write into X
            out = out.copy()
        for j, value in self.constants.items():
            out[:, j] = value[0]
        for j, column in self.columns.items():
            out[:, j] = column[rows]
        return out

    def toarray(self) -> np.ndarray:
        """The whole counterfactual matrix."""
        return self[np.arange(self.shape[0])]
