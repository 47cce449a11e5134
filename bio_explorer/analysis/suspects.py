"""One ranked list of suspected label errors from every finder.

:func:`suspects` turns the output of each finder into rows of one schema (:data:`SCHEMA`):

``consistency``
    the model-free surface-form finder (:func:`bio_explorer.analysis.consistency.inconsistencies`);
``context``
    the type the context alone gives a span (its words masked), from a model trained on the other
    documents (:mod:`.context_type`);
``cross_check``
    a tagger trained on the other folds disagrees with the file (:mod:`.crosscheck`), when
    ``corpus.cross_check()`` has been run for the current tags;
``predictions``
    a model's predictions loaded with ``corpus.load_predictions()`` (:mod:`.predictions`).

Each finder's raw score is mapped to a calibrated probability that the flagged tokens are really
wrong (see :data:`CALIBRATION`), so that the scores of different finders compare.  Rows flagged by
several finders at the same place are merged into one (their evidence joined; the probability
combined).  This module does not import ``corpus.py``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import polars as pl

from ..state import restrict
from .suspect_schema import (  # noqa: F401 - the finders' schema, reachable from here too
    CALIBRATION,
    DEFAULT_THRESHOLD,
    SCHEMA,
    TIE_BREAK,
    calibrate,
    empty,
)

if TYPE_CHECKING:
    from ..state import View as Corpus  # the lower layers take a view of the state


def _counts_phrase(col: str) -> pl.Expr:
    """``"LOC:39, MISC:1"`` → ``"LOC 39 times and MISC once"``."""
    e = (pl.col(col).str.replace_all(r":1(,|$)", " once$1")
         .str.replace_all(r":2(,|$)", " twice$1")
         .str.replace_all(r":(\d+)", " $1 times"))
    return e.str.replace(r", ([^,]*)$", " and $1").str.replace_all("<x>", "cut by a span boundary")


def from_consistency(corpus: Corpus, threshold: float = 0.0, *, raw: bool = False
                     ) -> pl.DataFrame:
    """Suspects from the model-free surface-form finder (``inconsistencies(occurrences=True)``).

    A dissenting occurrence suggests the majority label of its form on the form's extent: for an
    over-long span (``CDU 3`` where ``CDU`` is an ORG elsewhere) that is the inner form, found in
    the span text.  Occurrences whose majority is "cut by a span boundary" carry no label to
    suggest and are left out.
    """
    from .consistency import inconsistencies

    occ = inconsistencies(corpus, occurrences=True, threshold=threshold)
    occ = occ.filter(pl.col("majority") != "<x>")
    if occ.height == 0:
        return empty()
    low_text, low_form = pl.col("text").str.to_lowercase(), pl.col("form").str.to_lowercase()
    char = low_text.str.find(low_form, literal=True)
    inner = ((pl.col("kind") == "inconsistent_boundary") & (low_text != low_form)
             & char.is_not_null())
    offset = pl.col("text").str.slice(0, char).str.count_matches(" ").cast(pl.UInt32)
    width = (pl.col("form").str.count_matches(" ") + 1).cast(pl.UInt32)
    ss = pl.when(inner).then(pl.col("start") + offset).otherwise(pl.col("start"))
    se = pl.when(inner).then(pl.col("start") + offset + width).otherwise(pl.col("end"))
    where = pl.when(inner).then(
        pl.format("the span '{}' ({}) contains '{}'; ", pl.col("text"), pl.col("label"),
                  pl.col("form"))
    ).when(pl.col("label") == "O").then(
        pl.format("'{}' is untagged here; ", pl.col("text"))
    ).otherwise(pl.format("'{}' is {} here; ", pl.col("text"), pl.col("label")))
    evidence = where + pl.format(
        "in the corpus the text{} '{}' is {}", pl.when(pl.col("variant") == "casefold")
        .then(pl.lit(" (any case)")).otherwise(pl.lit("")), pl.col("form"),
        _counts_phrase("form_labels"))
    if raw:  # uncalibrated, with the kind (for fitting the calibration)
        return occ.select("sentence", "start", "end", ss.cast(pl.UInt32).alias("suggest_start"),
                          se.cast(pl.UInt32).alias("suggest_end"), "kind",
                          pl.col("score").alias("raw"))
    out = occ.select(
        "sentence", "start", "end", "text", "label", pl.col("majority").alias("suggestion"),
        ss.cast(pl.UInt32).alias("suggest_start"), se.cast(pl.UInt32).alias("suggest_end"),
        calibrate(pl.col("score"), "consistency", pl.col("kind")).alias("score"),
        pl.lit("consistency").alias("finder"), evidence.alias("evidence"),
    )
    # a suggestion that changes nothing (same label, same extent) is no suspect
    same = ((pl.col("suggestion") == pl.col("label")) & (pl.col("suggest_start") == pl.col("start"))
            & (pl.col("suggest_end") == pl.col("end")))
    return out.filter(~same).cast(SCHEMA)  # type: ignore[arg-type]


def _finder_frames(corpus: Corpus, finders: tuple[str, ...]) -> list[pl.DataFrame]:
    frames = []
    if "consistency" in finders:
        frames.append(from_consistency(corpus))
    if "cross_check" in finders:
        from .crosscheck import cached_result, suspects_from_cross_check

        res = cached_result(corpus)
        if res is not None:
            frames.append(suspects_from_cross_check(corpus, res))
    if "context" in finders:
        from .context_type import suspects_from_context

        frames.append(suspects_from_context(corpus))
    if "predictions" in finders:
        from .predictions import loaded_predictions, suspects_from_predictions

        pred = loaded_predictions(corpus)
        if pred is not None:
            frames.append(suspects_from_predictions(corpus, pred))
    return frames


def merge(frames: list[pl.DataFrame]) -> pl.DataFrame:
    """Merge finder rows flagging the same place with the same suggestion into one row.

    The merged score is ``1 - Π(1 - score)`` (independent evidence); ``finder`` lists the
    finders joined by ``+`` and ``evidence`` their sentences joined by ``"; "``.  Sorted by score
    (highest first), then sentence and start.
    """
    frames = [f for f in frames if f.height]
    if not frames:
        return empty()
    allrows = pl.concat([f.cast(SCHEMA).select(list(SCHEMA)) for f in frames])  # type: ignore[arg-type]
    key = ["sentence", "start", "end", "suggestion", "suggest_start", "suggest_end"]
    out = allrows.sort("score", descending=True).group_by(key, maintain_order=True).agg(
        pl.col("text").first(), pl.col("label").first(),
        (1.0 - (1.0 - pl.col("score")).product()).alias("score"),
        pl.col("finder").unique(maintain_order=True).sort().str.join("+"),
        pl.col("evidence").str.join("; "),
    )
    return out.select(list(SCHEMA)).sort(
        ["score", "sentence", "start"], descending=[True, False, False])


def suspects(
    corpus: Corpus,
    *,
    threshold: float | None = None,
    finders: tuple[str, ...] = ("consistency", "context", "cross_check", "predictions"),
) -> pl.DataFrame:
    """Every suspected label error from every finder, as one ranked frame.

    Parameters
    ----------
    corpus : Corpus
        The corpus or a view (evidence comes from the whole corpus; a view restricts the rows).
    threshold : float, optional
        Minimum calibrated score; default :data:`DEFAULT_THRESHOLD`.  ``0`` returns every row.
    finders : tuple of str
        Which finders to merge.  ``cross_check`` contributes only after ``corpus.cross_check()``
        ran on the current tags, ``predictions`` after ``corpus.load_predictions()``.

    Returns
    -------
    pl.DataFrame
        ``sentence``, ``start``, ``end`` (the flagged tokens, end exclusive), ``text``, ``label``
        (the file's label there, ``"O"`` for untagged text), ``suggestion`` (a label or ``"O"``),
        ``suggest_start`` / ``suggest_end`` (the suggested extent; equal to start/end when
        unchanged), ``score`` (calibrated probability that this is a real error, in [0, 1]),
        ``finder`` (``consistency``, ``cross_check``, ``predictions``, or several joined by
        ``+``) and ``evidence`` (a sentence a person can judge).  Highest score first.
    """
    thr = DEFAULT_THRESHOLD if threshold is None else threshold
    out = merge(_finder_frames(corpus, tuple(finders))).filter(pl.col("score") >= thr)
    return restrict(out, corpus.selection)


def apply_suggestion(corpus: Corpus, row: Any) -> Any:
    """Apply one suspects row now (one undo step); returns the applied ``Preview``."""
    from ..edits import apply_suggestions

    p = apply_suggestions(corpus, row, op="apply_suggestion")
    p.apply()
    return p


__all__ = ["CALIBRATION", "DEFAULT_THRESHOLD", "SCHEMA", "apply_suggestion", "calibrate", "empty",
           "from_consistency", "merge", "suspects"]
