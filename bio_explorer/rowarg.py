"""A row argument of the fix-it calls (``apply_inconsistency``, ``review``): one row of a finder's
frame, given as a mapping or as a one-row DataFrame."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import polars as pl

from .errors import EditError

__all__ = ["row_as_dict"]


def row_as_dict(row: Any, op: str, noun: str, what: str) -> dict:
    """One row of a finder's frame (a mapping or a one-row DataFrame) as a dict.

    ``op`` names the caller in the error, ``noun`` the row expected ("row", "suspect row") and
    ``what`` says what to pass (e.g. "a row of corpus.inconsistencies() as a dict").
    """
    if isinstance(row, pl.DataFrame):
        if row.height != 1:
            raise EditError(f"{op}: expected one {noun}, got {row.height}")
        return row.row(0, named=True)
    if isinstance(row, Mapping):
        return dict(row)
    raise EditError(f"{op}: pass {what} or a one-row DataFrame")
