"""A model's predictions loaded next to the corpus, ranked by confidence."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import polars as pl

from .suspects import empty

if TYPE_CHECKING:
    from ..corpus import Corpus


def loaded_predictions(corpus: Corpus) -> Any:
    """The predictions loaded with ``load_predictions`` (None when none were)."""
    return getattr(corpus._state, "predictions", None)


def suspects_from_predictions(corpus: Corpus, pred: Any) -> pl.DataFrame:
    """Suspects rows from loaded predictions."""
    return empty()
