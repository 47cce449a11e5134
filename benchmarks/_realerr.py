"""Real-error section of ``bench_detect.py``: every finder scored on the CoNLL-2003 yardstick.

Valid.txt is split by document: even documents are the *fit* half (the calibration of
:data:`bio_explorer.analysis.suspects.CALIBRATION` and the default threshold come from it, via
``bench_detect.py --calibrate``), odd documents the *report* half: every valid.txt figure printed
here is measured on the report half only.  Train.txt is scored against the audit (recall; its
precision understates the truth, the audit being incomplete).
"""

from __future__ import annotations

import os
import resource
import time

import _yardstick as Y
import polars as pl

from bio_explorer.analysis import suspects as S

THRESHOLDS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
TOP = (50, 200)


def split_valid(c, part: Y.Part) -> tuple[Y.Part, Y.Part]:
    """(fit, report) halves of the judged valid sentences: even / odd documents."""
    docs = c.sentences.select("sentence", "doc")
    judged = docs.filter(pl.col("sentence").is_in(part.judged.implode()))
    fit = judged.filter(pl.col("doc") % 2 == 0)["sentence"]
    rep = judged.filter(pl.col("doc") % 2 == 1)["sentence"]
    return (Y.Part(part.name + " (fit half)", part.errors, fit),
            Y.Part(part.name + " (report half)", part.errors, rep))


def run_cross_check(c, folds: int = 5, seed: int = 0) -> dict:
    """Time ``cross_check`` on the whole corpus, run as the Explorer runs it (a background thread,
    ``start_cross_check``): wall, CPU of this process and of the workers, the load average around
    it (the machine is shared), and meanwhile the latency of a filter + first page (the Explorer's
    round trip) every 0.2 s in this thread."""
    import statistics

    from bio_explorer.analysis.crosscheck import start_cross_check

    load0 = os.getloadavg()
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t, cpu = time.perf_counter(), time.process_time()
    job = start_cross_check(c, folds, seed, workers=2)
    lat = []
    queries = ({"labels": "ORG"}, {"text": "Eng"}, {"labels": ["PER", "LOC"]})
    while not job.wait(0.2):
        q = queries[len(lat) % len(queries)]
        t0 = time.perf_counter()
        c.filter(**q).page(0, 50)
        lat.append((time.perf_counter() - t0) * 1000)
    wall = time.perf_counter() - t
    if job.error is not None:
        raise job.error
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    lat.sort()
    return {"wall_s": wall, "parent_cpu_s": time.process_time() - cpu,
            "workers_cpu_s": (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime),
            "load_before": load0[0], "load_after": os.getloadavg()[0], "tokens": c.n_tokens,
            "page_ms_median": statistics.median(lat) if lat else float("nan"),
            "page_ms_p95": lat[int(0.95 * (len(lat) - 1))] if lat else float("nan"),
            "page_n": len(lat)}


def finder_frames(c) -> dict[str, pl.DataFrame]:
    """Each finder alone at its default threshold, the combined ranking, and the floor."""
    return {
        "majority vote floor": Y.majority_floor(c),
        "consistency (raw, inconsistencies() default)": c.inconsistencies(occurrences=True),
        "consistency": c.suspects(finders=("consistency",)),
        "context (context-only types)": c.suspects(finders=("context",)),
        "cross_check": c.suspects(finders=("cross_check",)),
        "combined (suspects())": c.suspects(),
    }


def in_part(frame: pl.DataFrame, part: Y.Part) -> pl.DataFrame:
    return frame.filter(pl.col("sentence").is_in(part.judged.implode()))


def table(frames: dict[str, pl.DataFrame], report: Y.Part, train: Y.Part) -> pl.DataFrame:
    rows = []
    for name, f in frames.items():
        v = Y.score(Y.flagged_tokens(f), report)
        t = Y.score(Y.flagged_tokens(f), train)
        rows.append({"finder": name, "valid_R": v["recall"], "valid_P": v["precision"],
                     "valid_flagged_tokens": v["flagged"], "train_R": t["recall"],
                     "train_P_audit": t["precision"], "train_flagged_tokens": t["flagged"]})
    return pl.DataFrame(rows).with_columns(pl.col(pl.Float64).round(3))


def top_precision(ranked: pl.DataFrame, part: Y.Part, ks=TOP) -> dict[int, float]:
    """Share of the first k suspects (rows, in rank order, within ``part``) that flag an error."""
    r = in_part(ranked, part)
    hit = Y.is_error(r, part)
    return {k: float(hit.head(k).mean()) if r.height else float("nan") for k in ks}


def pr_table(c, report: Y.Part, train: Y.Part, thresholds=THRESHOLDS) -> pl.DataFrame:
    every = c.suspects(threshold=0.0)
    rows = []
    for thr in thresholds:
        f = every.filter(pl.col("score") >= thr)
        v = Y.score(Y.flagged_tokens(f), report)
        t = Y.score(Y.flagged_tokens(f), train)
        rows.append({"threshold": thr, "suspects": in_part(f, report).height,
                     "valid_R": v["recall"], "valid_P": v["precision"], "train_R": t["recall"]})
    return pl.DataFrame(rows).with_columns(pl.col(pl.Float64).round(3))


def reliability(c, part: Y.Part) -> pl.DataFrame:
    """Calibration check: mean score vs share of real errors per score band, per finder."""
    every = in_part(c.suspects(threshold=0.0), part)
    every = every.with_columns(Y.is_error(every, part).alias("error"))
    band = (pl.col("score") * 5).floor().clip(0, 4) / 5
    return every.group_by("finder", band.alias("band")).agg(
        pl.len().alias("n"), pl.col("score").mean().round(3).alias("mean_score"),
        pl.col("error").mean().round(3).alias("error_share"),
    ).sort("finder", "band")


def _raw_frames(c) -> dict[str, pl.DataFrame]:
    """Uncalibrated finder rows with ``raw`` and ``kind`` (for fitting)."""
    from bio_explorer.analysis.context_type import suspects_from_context
    from bio_explorer.analysis.crosscheck import cached_result
    from bio_explorer.analysis.predictions import disagreement_suspects

    frames = {"consistency": S.from_consistency(c, raw=True),
              "context": suspects_from_context(c, raw=True)}
    res = cached_result(c)
    if res is not None:
        frames["cross_check"] = disagreement_suspects(c, res, "cross_check", "", debug=True)
    return frames


def _monotone_knots(f: pl.DataFrame, part: Y.Part, bins: int) -> tuple:
    f = f.sort("raw").with_columns(Y.is_error(f.sort("raw"), part).cast(pl.Float64).alias("y"),
                                   (pl.int_range(pl.len()) * bins // pl.len()).alias("bin"))
    g = f.group_by("bin").agg(pl.col("raw").mean(), pl.col("y").mean(), pl.len()).sort("bin")
    # pool adjacent violators: the share of errors never falls as the raw score rises
    blocks = [list(r) for r in zip(g["raw"].to_list(), g["y"].to_list(), g["len"].to_list(),
                                   strict=True)]
    i = 0
    while i < len(blocks) - 1:
        if blocks[i][1] > blocks[i + 1][1]:
            a, b = blocks[i], blocks.pop(i + 1)
            w = a[2] + b[2]
            blocks[i] = [(a[0] * a[2] + b[0] * b[2]) / w, (a[1] * a[2] + b[1] * b[2]) / w, w]
            i = max(i - 1, 0)
        else:
            i += 1
    kx = [0.0, *(round(b[0], 4) for b in blocks), 1.0]
    ky = [round(blocks[0][1], 4), *(round(b[1], 4) for b in blocks), round(blocks[-1][1], 4)]
    return tuple(kx), tuple(ky)


def fit_calibration(c, fit: Y.Part, bins: int = 6, min_rows: int = 30) -> dict:
    """Per finder and per kind of row: raw score → share of rows flagging a real error on
    ``fit`` (monotone, piecewise linear); kinds with fewer than ``min_rows`` rows use the finder's
    pooled map."""
    out = {}
    for name, f in _raw_frames(c).items():
        f = in_part(f, fit)
        if f.height >= min_rows:
            out[name] = _monotone_knots(f, fit, bins)
        for kind in sorted(f["kind"].unique().to_list()):
            k = f.filter(pl.col("kind") == kind)
            if k.height >= min_rows:
                out[f"{name}:{kind}"] = _monotone_knots(k, fit, max(2, min(bins, k.height // 15)))
    return out


def choose_threshold(c, fit: Y.Part, precision: float = 0.30) -> float:
    """The lowest threshold (0.01 steps) at which the combined ranking reaches ``precision`` on
    the fit half (token level); the highest grid point when none does."""
    every = c.suspects(threshold=0.0)
    grid = [round(0.01 * i, 2) for i in range(5, 96)]
    for thr in grid:
        flagged = Y.flagged_tokens(every.filter(pl.col("score") >= thr))
        if Y.score(flagged, fit)["precision"] >= precision:
            return thr
    return grid[-1]


def misses_by_kind(frames: dict[str, pl.DataFrame], part: Y.Part, kinds: pl.DataFrame,
                   top: int = 8) -> pl.DataFrame:
    """Per kind of correction (``LOC>ORG``, ``O>MISC``, …; a ``same type`` kind is a boundary
    change): the error tokens of ``part`` and the share each finder in ``frames`` flags."""
    err = kinds.filter(pl.col("sentence").is_in(part.judged.implode()))
    err = err.with_columns(pl.when(pl.col("kind").str.extract(r"^(.*)>") ==
                                   pl.col("kind").str.extract(r">(.*)$"))
                           .then(pl.lit("boundary")).otherwise(pl.col("kind")).alias("kind"))
    out = err.group_by("kind").len("errors")
    for name, f in frames.items():
        hit = err.join(Y.flagged_tokens(f), on=Y.KEY, how="semi").group_by("kind").len("n")
        out = out.join(hit, on="kind", how="left").with_columns(
            (pl.col("n").fill_null(0) / pl.col("errors")).round(2).alias(name)).drop("n")
    return out.sort("errors", descending=True).head(top)
