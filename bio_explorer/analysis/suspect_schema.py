"""The row schema and score calibration shared by every suspect finder (no finder imported here).

:mod:`.suspects` merges the finders' rows; :mod:`.crosscheck` and :mod:`.predictions` build rows in
this schema.  Kept apart so that the finders never import the module that merges them.
"""

from __future__ import annotations

import polars as pl

__all__ = ["CALIBRATION", "DEFAULT_THRESHOLD", "SCHEMA", "TIE_BREAK", "calibrate", "empty"]

#: columns of :func:`bio_explorer.analysis.suspects.suspects`, in order
SCHEMA: dict[str, pl.DataType] = {
    "sentence": pl.UInt32, "start": pl.UInt32, "end": pl.UInt32, "text": pl.String,
    "label": pl.String, "suggestion": pl.String, "suggest_start": pl.UInt32,
    "suggest_end": pl.UInt32, "score": pl.Float64, "finder": pl.String, "evidence": pl.String,
}

#: default minimum (calibrated) score of ``suspects()``: the lowest (0.01 steps) at which the
#: combined ranking reaches precision 0.30 on the fit half of the yardstick (even documents of
#: CoNLL-2003 valid.txt vs CleanCoNLL; ``bench_detect.py --calibrate`` prints it); the held-out
#: figures are in ``bench_detect.py`` and the README
DEFAULT_THRESHOLD = 0.23

#: per finder: piecewise-linear map from the raw score to the share of real errors among the
#: rows flagged with that raw score that touch a real error (knots ``raw`` → ``p``, monotone),
#: per finder and per kind of row (``"<finder>:<kind>"``).  Fitted by
#: ``benchmarks/bench_detect.py --calibrate`` on CleanCoNLL's corrections of the *even* documents
#: of CoNLL-2003 valid.txt; the benchmark reports on the odd ones.
CALIBRATION: dict[str, tuple[tuple[float, ...], tuple[float, ...]]] = {
    "consistency": ((0.0, 0.0146, 0.0387, 0.1913, 1.0), (0.0775, 0.0775, 0.1553, 0.2039, 0.2039)),
    "consistency:inconsistent_boundary": (
        (0.0, 0.0096, 0.0134, 0.021, 0.0359, 0.1351, 1.0),
        (0.0488, 0.0488, 0.0494, 0.0675, 0.1111, 0.1358, 0.1358),
    ),
    "consistency:inconsistent_label": (
        (0.0, 0.0003, 0.0014, 0.005, 0.0319, 0.3048, 1.0),
        (0.0526, 0.0526, 0.1111, 0.2222, 0.2703, 0.3889, 0.3889),
    ),
    "context": ((0.0, 0.4236, 0.8058, 0.9918, 1.0), (0.121, 0.121, 0.1301, 0.1693, 0.1693)),
    "context:LOC>MISC": ((0.0, 0.8488, 1.0), (0.1858, 0.1858, 0.1858)),
    "context:LOC>ORG": ((0.0, 0.58, 0.7929, 0.9558, 1.0), (0.4286, 0.4286, 0.5294, 0.6765, 0.6765)),
    "context:LOC>PER": (
        (0.0, 0.4592, 0.8081, 0.9628, 0.9961, 1.0),
        (0.2222, 0.2222, 0.3143, 0.3529, 0.4706, 0.4706),
    ),
    "context:MISC>LOC": ((0.0, 0.4136, 0.8519, 1.0), (0.0, 0.0, 0.1458, 0.1458)),
    "context:MISC>ORG": ((0.0, 0.6524, 0.9825, 1.0), (0.0833, 0.0833, 0.0857, 0.0857)),
    "context:ORG>LOC": ((0.0, 0.785, 0.988, 0.9986, 1.0), (0.0676, 0.0676, 0.1667, 0.2222, 0.2222)),
    "context:ORG>MISC": (
        (0.0, 0.4395, 0.6685, 0.8274, 0.9801, 1.0),
        (0.0625, 0.0625, 0.0625, 0.0625, 0.0638, 0.0638),
    ),
    "context:ORG>PER": ((0.0, 0.5227, 0.9102, 0.9981, 1.0), (0.0, 0.0, 0.0278, 0.0588, 0.0588)),
    "context:PER>LOC": (
        (0.0, 0.374, 0.5949, 0.7581, 0.9037, 0.9862, 0.9997, 1.0),
        (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0588, 0.0588),
    ),
    "context:PER>MISC": ((0.0, 0.6492, 0.9785, 1.0), (0.0, 0.0, 0.0556, 0.0556)),
    "context:PER>ORG": (
        (0.0, 0.4437, 0.6291, 0.8718, 0.9703, 1.0),
        (0.0, 0.0, 0.0, 0.0, 0.0588, 0.0588),
    ),
    "cross_check": (
        (0.0, 0.3084, 0.6731, 0.845, 0.9609, 0.9929, 1.0),
        (0.1951, 0.1951, 0.1951, 0.2073, 0.2195, 0.325, 0.325),
    ),
    "cross_check:boundary": ((0.0, 0.613, 1.0), (0.2133, 0.2133, 0.2133)),
    "cross_check:spurious": ((0.0, 0.7804, 0.9852, 1.0), (0.1471, 0.1471, 0.3125, 0.3125)),
    "cross_check:type": (
        (0.0, 0.5743, 0.714, 0.9127, 0.9942, 1.0),
        (0.125, 0.125, 0.125, 0.2553, 0.2667, 0.2667),
    ),
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
