"""Answers to the questions a person asks of a corpus, as polars DataFrames.

Modules, one job each:

``stats``
    label counts, corpus summary, span lengths.
``transitions``
    adjacent-tag transitions (in the file's own scheme) and their validity.
``anomalies``
    one row per suspicious place: invalid transitions, punctuation at span boundaries,
    surface-form inconsistencies, multi-tags and format problems.
``consistency``
    surface forms labelled in conflicting ways.
``compare``
    a predicted corpus against a gold one.
``crosscheck``
    out-of-fold CRF tagging (python-crfsuite): what a model trained on the other folds says.
``context_type``
    the type a span's context alone gives it (its words masked), out-of-fold by documents.
``predictions``
    a model's predictions (a corpus or probabilities), aligned and ranked by confidence.
``suspects``
    every finder's suspected errors in one ranked, calibrated list.

Every function takes a :class:`~bio_explorer.Corpus` (or a view of one) and describes only the
sentences of that view.  Whole-corpus results are memoised on the corpus state and views filter
them.
"""

from __future__ import annotations

__all__ = ["anomalies", "compare", "consistency", "context_type", "crosscheck", "predictions",
           "stats", "suspects", "transitions"]
