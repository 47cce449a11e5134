"""One ranked list of suspected label errors from every finder.

:func:`suspects` turns the output of each finder into rows of one schema (:data:`SCHEMA`):

``consistency``
    the model-free surface-form finder (:func:`bio_explorer.analysis.consistency.inconsistencies`);
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

if TYPE_CHECKING:
    from ..corpus import Corpus

#: columns of :func:`suspects`, in order
SCHEMA: dict[str, pl.DataType] = {
    "sentence": pl.UInt32, "start": pl.UInt32, "end": pl.UInt32, "text": pl.String,
    "label": pl.String, "suggestion": pl.String, "suggest_start": pl.UInt32,
    "suggest_end": pl.UInt32, "score": pl.Float64, "finder": pl.String, "evidence": pl.String,
}

#: default minimum (calibrated) score of :func:`suspects`: chosen on the fit half of the yardstick
#: (see :data:`CALIBRATION`), where it keeps precision near 0.2 at recall 0.24 (the reachable
#: region: the held-out figures are in ``bench_detect.py`` and the README)
DEFAULT_THRESHOLD = 0.2

#: per finder: piecewise-linear map from the raw score to the share of real errors among the
#: rows flagged with that raw score that touch a real error (knots ``raw`` → ``p``, monotone),
#: per finder and per kind of row (``"<finder>:<kind>"``).  Fitted by
#: ``benchmarks/bench_detect.py --calibrate`` on CleanCoNLL's corrections of the *even* documents
#: of CoNLL-2003 valid.txt; the benchmark reports on the odd ones.
CALIBRATION: dict[str, tuple[tuple[float, ...], tuple[float, ...]]] = {
    "consistency": ((0.0, 0.0146, 0.0387, 0.1913, 1.0), (0.0775, 0.0775, 0.1553, 0.2039, 0.2039)),
    "consistency:inconsistent_boundary": ((0.0, 0.0096, 0.0134, 0.021, 0.0359, 0.1351, 1.0),
                                          (0.0488, 0.0488, 0.0494, 0.0675, 0.1111, 0.1358,
                                           0.1358)),
    "consistency:inconsistent_label": ((0.0, 0.0003, 0.0014, 0.005, 0.0319, 0.3048, 1.0),
                                       (0.0526, 0.0526, 0.1111, 0.2222, 0.2703, 0.3889, 0.3889)),
    "cross_check": ((0.0, 0.6687, 0.9659, 0.9943, 1.0), (0.205, 0.205, 0.275, 0.3, 0.3)),
    "cross_check:boundary": ((0.0, 0.619, 1.0), (0.2267, 0.2267, 0.2267)),
    "cross_check:spurious": ((0.0, 0.7616, 0.9718, 1.0), (0.1364, 0.1364, 0.2273, 0.2273)),
    "cross_check:type": ((0.0, 0.648, 0.8184, 0.9369, 0.9932, 1.0),
                         (0.1212, 0.1212, 0.25, 0.2727, 0.3125, 0.3125)),
    # no yardstick for a user's own model: its probabilities are taken as they are
    "predictions": ((0.0, 1.0), (0.0, 1.0)),
}


#: weight of the raw score added to the calibrated one (keeps the ranking strict)
TIE_BREAK = 0.01


def empty() -> pl.DataFrame:
    """An empty suspects frame."""
    return pl.DataFrame(schema=SCHEMA)


def calibrate(raw: pl.Expr, finder: str, kind: pl.Expr | None = None) -> pl.Expr:
    """The calibrated score of raw finder scores (piecewise linear between knots, clipped).

    With ``kind``, rows use the map ``"<finder>:<kind>"`` when :data:`CALIBRATION` has one.
    """
    def one(name: str) -> pl.Expr:
        xs, ys = CALIBRATION.get(name, CALIBRATION.get(finder, ((0.0, 1.0), (0.0, 1.0))))
        out = pl.lit(ys[0], pl.Float64)
        for i in range(len(xs) - 1):
            x0, x1, y0, y1 = xs[i], xs[i + 1], ys[i], ys[i + 1]
            slope = (y1 - y0) / (x1 - x0) if x1 > x0 else 0.0
            out = pl.when(raw >= x0).then(y0 + (raw - x0) * slope).otherwise(out)
        return pl.when(raw >= xs[-1]).then(pl.lit(ys[-1], pl.Float64)).otherwise(out)

    expr = one(finder)
    if kind is not None:
        for name in CALIBRATION:
            if name.startswith(finder + ":"):
                expr = pl.when(kind == name.split(":", 1)[1]).then(one(name)).otherwise(expr)
    # a map is flat past its last knot: a hundredth of the raw score keeps the order within it
    return (expr + TIE_BREAK * raw.clip(0.0, 1.0)).clip(0.0, 1.0)


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
    finders: tuple[str, ...] = ("consistency", "cross_check", "predictions"),
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
    return corpus._restrict(out) if corpus._sel is not None else out


def apply_suggestion(corpus: Corpus, row: Any) -> Any:
    """Apply one suspects row now (one undo step); returns the applied ``Preview``."""
    from ..edits import apply_suggestions

    p = apply_suggestions(corpus, row, op="apply_suggestion")
    p.apply()
    return p


__all__ = ["CALIBRATION", "DEFAULT_THRESHOLD", "SCHEMA", "apply_suggestion", "calibrate", "empty",
           "from_consistency", "merge", "suspects"]
