"""Error finders: real errors first (CoNLL-2003 yardstick), then planted errors, then speed.

Usage::

    python benchmarks/bench_detect.py              # real errors + planted table + speed (1M tokens)
    python benchmarks/bench_detect.py --quick      # no 1M speed run
    python benchmarks/bench_detect.py --real-only  # the real-error section only
    python benchmarks/bench_detect.py --calibrate  # refit suspects.CALIBRATION (prints a dict)
    python benchmarks/bench_detect.py --fit        # refit the consistency score weights

Real errors (``_realerr.py``, ``_yardstick.py``): CoNLL-2003 train+valid read as one corpus; the
cross-check is run once (5 folds, seed 0, 2 workers; wall and CPU time and the load average
printed); each finder alone (consistency, the context-only type finder of
``analysis/context_type.py``, the cross-check), the combined ``suspects()`` ranking and a
majority-vote-per-surface-form floor are scored at token level on valid.txt vs CleanCoNLL (the
*report* half: odd documents; the calibration is fitted on the even ones) and on train.txt vs
the audit (recall; the audit is incomplete, so its precision understates the truth).  Then
precision among the top 50 / 200 suspects, the recall per kind of CleanCoNLL correction
(``LOC>ORG``, ``O>MISC``, ...) for each finder, a precision-recall table over thresholds and a
calibration check.  ``--calibrate`` also prints the default threshold: the lowest at which the
combined ranking reaches precision 0.30 on the fit half.

Planted errors (second table, diagnostic): on each shared corpus, errors are planted with fixed
seeds (2% of spans get another label, 2% are dropped to ``O``, 1% have a boundary moved by one
token; see :func:`_planted.plant_errors`).  A flagged occurrence is a hit when it
overlaps a planted error.  Counts are summed over the evaluation seeds (1, 2) before taking ratios;
the ``pooled`` rows sum them over the five corpora too.  The score weights (``--fit``) and the
default threshold (the lowest with pooled ``P >= 0.5``) come from seeds 101-104 only.  Columns:

``P``        precision over *all* flagged occurrences (the corpora's own inconsistencies count as
             misses, although many are real annotation errors);
``P_new``    precision over the occurrences that were not already flagged before planting;
``R``        recall of all planted errors;
``R3``       recall of planted errors whose text occurs ≥ 3 times in the corpus (any labelling);
``R3span``   recall of planted errors whose text is an entity ≥ 3 times in the original corpus;
``det_ge3``  planted errors counted in ``R3`` that are *detectable* at all: their text is an entity
             span at least twice elsewhere in the planted corpus (a dropped or shifted span whose
             text is a span nowhere else leaves nothing a model-free finder can see);
``R3det``    recall over those detectable errors;
``R3_flip`` / ``R3_drop`` / ``R3_shift``  ``R3`` per planted kind.

The last lines say whether the issue's target (``R3 >= 0.8`` at ``P >= 0.5``, at the default
threshold) is met, pooled and per corpus.

A second table repeats the measurement on copies of the corpora made consistent first
(:func:`make_consistent`: every form the finder reports at threshold 0 gets its majority
labelling everywhere, as "fix all" would do) before planting.  It separates two causes: errors the
finder cannot see, and precision lost to the corpora's own, unplanted inconsistencies (which it
reports too, and which count as false alarms in ``P``).

Note on btc: user mentions are anonymised to the token ``@``, labelled PER, ORG, LOC or ``O``
depending on the hidden user; errors planted on ``@`` count as detectable but no surface-form
finder can tell them apart (about half of btc's detectable ``R3`` errors).

Speed: ``inconsistencies()`` and ``anomalies()`` on 1M tokens, as a ratio to the load (``bx.read``
plus ``.spans``, as in ``bench_load.py``) of the same file just before them (median of 5 rounds).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import bio_explorer as bx  # noqa: E402
from bio_explorer.analysis import consistency as C  # noqa: E402
from bio_explorer.analysis import suspects as S  # noqa: E402

sys.path.insert(0, str(ROOT / "benchmarks"))
import _planted as P  # noqa: E402
import _realerr as R  # noqa: E402
import _yardstick as Y  # noqa: E402

SHARED = ROOT.parent / "shared" / "corpora"
CORPORA = {
    "stackoverflow_ner/train": "stackoverflow_ner/train.txt",
    "wnut17/train": "wnut17/wnut17train.conll",
    "wikigold": "wikigold/wikigold.conll.txt",
    "btc": "btc/*.conll",
    "gum/train": "gum/gum-train.conll",
}
SEEDS = (1, 2)
FIT_SEEDS = (101, 102, 103, 104)
THRESHOLDS = (0.2, C.DEFAULT_THRESHOLD, 0.4, 0.5)
TARGET_R3, TARGET_P = 0.8, 0.5
KINDS = ("flip", "drop", "shift")
NGRAM = C.DEFAULT_MAX_NGRAM


def make_consistent(c: bx.Corpus) -> int:
    """Give every conflicting surface form its majority labelling everywhere (the "fix all"
    workflow: ``apply_inconsistency`` on every exact form row at threshold 0), in place.

    Used for the diagnostic *consistent base* run: planting errors in a corpus that has no
    labelling variation of its own separates what the finder misses from what the corpora's own
    inconsistencies hide.  Returns the number of forms changed.
    """
    # a majority "cut by a span boundary" (<x>) names no labelling to give the form
    forms = c.inconsistencies(threshold=0.0).filter(pl.col("variant") == "exact",
                                                    pl.col("majority") != "<x>")
    for row in forms.iter_rows(named=True):
        c.apply_inconsistency(row).apply()
    return forms.height


def counts(seeds=SEEDS, thresholds=THRESHOLDS, consistent: bool = False) -> pl.DataFrame:
    """Raw planted-error counts per corpus, seed and threshold (summed into ratios by
    :func:`ratios`); ``consistent`` plants in a copy made consistent first
    (:func:`make_consistent`)."""
    rows = []
    for name, pattern in CORPORA.items():
        for seed in seeds:
            c = bx.read(str(SHARED / pattern))
            if consistent:
                make_consistent(c)
            before = c.inconsistencies(occurrences=True, threshold=0.0)
            span_count = c.spans.group_by("text").len("count")
            planted = P.plant_errors(c, seed=seed)
            occ = c.inconsistencies(occurrences=True, threshold=0.0)
            freq = P.form_frequency(c, planted["text"])
            det = detectable(c, planted, freq)
            for thr in sorted(set(thresholds)):
                flagged = occ.filter(pl.col("score") >= thr)
                r = P.evaluate_planted(flagged, planted, freq)
                rs = P.evaluate_planted(flagged, planted, span_count)
                new = flagged.join(
                    before.filter(pl.col("score") >= thr).select("sentence", "start", "end"),
                    on=["sentence", "start", "end"], how="anti",
                )
                rn = P.evaluate_planted(new, planted)
                rd = P.evaluate_planted(flagged, det)
                rows.append({
                    "corpus": name, "seed": seed, "threshold": thr, "spans": c.spans.height,
                    "planted": r["planted"], "found": r["found"], "flagged": r["flagged"],
                    "hits": r["hits"], "new": rn["flagged"], "new_hits": rn["hits"],
                    "planted_ge3": r["planted_ge3"], "found_ge3": r["found_ge3"],
                    "span_ge3": rs["planted_ge3"], "span_found": rs["found_ge3"],
                    "det_ge3": det.height, "det_found": rd["found"],
                    **{f"{k}_{kind}": r[f"{k}_ge3_{kind}"]
                       for kind in KINDS for k in ("planted", "found")},
                })
    return pl.DataFrame(rows)


def ratios(df: pl.DataFrame, by: list[str]) -> pl.DataFrame:
    """Sum the counts over seeds (and whatever is not in ``by``) and turn them into ratios."""
    def ratio(a: str, b: str) -> pl.Expr:
        return (pl.col(a) / pl.col(b)).round(3)

    nseeds = df["seed"].n_unique()
    return df.group_by(by, maintain_order=True).agg(
        pl.exclude("corpus", "seed", "threshold").sum()
    ).with_columns(
        (pl.col("spans", "planted", "planted_ge3", "det_ge3", "flagged") / nseeds)
        .round(0).cast(pl.Int64),
        P=ratio("hits", "flagged"), P_new=ratio("new_hits", "new"), R=ratio("found", "planted"),
        R3=ratio("found_ge3", "planted_ge3"), R3span=ratio("span_found", "span_ge3"),
        R3det=ratio("det_found", "det_ge3"),
        **{f"R3_{kind}": ratio(f"found_{kind}", f"planted_{kind}") for kind in KINDS},
    ).select(*by, "spans", "planted", "planted_ge3", "det_ge3", "flagged", "P", "P_new", "R",
             "R3", "R3span", "R3det", *(f"R3_{kind}" for kind in KINDS))


def quality(seeds=SEEDS, thresholds=THRESHOLDS, consistent: bool = False) -> pl.DataFrame:
    """Planted-error precision/recall per corpus and threshold, and pooled over the corpora
    (``corpus == "pooled"``); counts are summed over ``seeds`` before taking ratios."""
    df = counts(seeds, thresholds, consistent)
    per = ratios(df, ["corpus", "threshold"]).sort("corpus", "threshold", maintain_order=True)
    pooled = ratios(df.with_columns(pl.lit("pooled").alias("corpus")), ["corpus", "threshold"])
    return pl.concat([per, pooled.sort("threshold")])


def target_line(row: dict) -> str:
    """``met`` / ``MISSED`` for the issue's target on one row of :func:`quality`."""
    ok = row["R3"] >= TARGET_R3 and row["P"] >= TARGET_P
    return (f"{row['corpus']:<24} R3 {row['R3']:.3f}  P {row['P']:.3f}  "
            f"{'met' if ok else 'MISSED'}")


def choose_threshold(seeds=FIT_SEEDS, precision: float = TARGET_P) -> float:
    """Lowest threshold (0.01 steps) whose pooled precision on ``seeds`` reaches ``precision``."""
    grid = [round(x * 0.01, 2) for x in range(5, 96)]
    pooled = ratios(counts(seeds, grid).with_columns(pl.lit("pooled").alias("corpus")),
                    ["corpus", "threshold"]).sort("threshold")
    ok = pooled.filter(pl.col("P") >= precision)
    return float(ok["threshold"][0]) if ok.height else grid[-1]


def detectable(c: bx.Corpus, planted: pl.DataFrame, freq: pl.DataFrame) -> pl.DataFrame:
    """Planted errors with a form occurring ≥ 3 times that a model-free finder can see at all.

    Detectable: the original span text is an entity span at least twice *elsewhere* in the corpus
    after planting (a flipped span still counts itself, so it needs three).  A dropped or shifted
    span whose text is a span nowhere else leaves no trace for any finder that has no model.
    """
    spans = c.spans.group_by("text").len("span_n")
    own = (pl.col("kind") == "flip").cast(pl.UInt32)
    p = planted.join(freq, on="text", how="left").join(spans, on="text", how="left")
    return p.with_columns(
        (pl.col("span_n").fill_null(0) - own).alias("else_n")
    ).filter(pl.col("count") >= 3, pl.col("else_n") >= 2).drop("count", "span_n", "else_n")


def speed(target_tokens: int = 1_000_000, rounds: int = 5) -> dict:
    """Load time vs inconsistencies (+ anomalies) time on a ~1M-token copy of SO NER train.

    Each round reads the file (the baseline) and runs the analyses on that fresh corpus; the
    ratios are taken per round and their median is reported (as in ``bench_query.py``)."""
    import gc
    import statistics

    src = (SHARED / "stackoverflow_ner" / "train.txt").read_bytes()
    n_src = bx.read(str(SHARED / "stackoverflow_ner" / "train.txt")).n_tokens
    copies = -(-target_tokens // n_src)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.txt"
        path.write_bytes(b"\n".join([src.rstrip(b"\n")] * copies) + b"\n")
        loads, finds, anoms, ratios = [], [], [], []
        for _ in range(rounds):
            gc.collect()
            t = time.perf_counter()
            c = bx.read(str(path), progress=False)
            c.spans  # noqa: B018 (the load of bench_load.py: read + spans)
            loads.append(time.perf_counter() - t)
            t = time.perf_counter()
            c.inconsistencies(occurrences=True)
            c.inconsistencies()
            finds.append(time.perf_counter() - t)
            t = time.perf_counter()
            c.anomalies()
            anoms.append(time.perf_counter() - t)
            ratios.append((finds[-1] + anoms[-1]) / loads[-1])
            tokens = c.n_tokens
            del c
    med = statistics.median
    return {"tokens": tokens, "load_s": med(loads), "inconsistencies_s": med(finds),
            "anomalies_s": med(anoms), "ratio_with_anomalies": med(ratios),
            "ratios": ratios}


def fit_data(seeds=FIT_SEEDS) -> pl.DataFrame:
    """Feature rows of every scored occurrence on planted corpora, with ``y`` (hits a planted
    error), ``corpus`` and ``seed``."""
    frames = []
    for name, pattern in CORPORA.items():
        for seed in seeds:
            c = bx.read(str(SHARED / pattern))
            planted = P.plant_errors(c, seed=seed)
            feat = C.occurrence_features(c, max_ngram=NGRAM)
            feat = feat.with_row_index("fid")
            pairs = feat.join(
                planted.select("sentence", pl.col("start").alias("ps"), pl.col("end").alias("pe")),
                on="sentence",
            ).filter((pl.col("start") < pl.col("pe")) & (pl.col("ps") < pl.col("end")))
            frames.append(feat.with_columns(
                pl.col("fid").is_in(pairs["fid"].implode()).alias("y"),
                pl.lit(name).alias("corpus"), pl.lit(seed).alias("seed"),
            ))
    return pl.concat(frames, how="diagonal")


def _logistic(x, y, w, l2: float):
    """Weighted, L2-regularised logistic regression by Newton steps (column 0 = bias)."""
    import numpy as np

    beta = np.zeros(x.shape[1])
    reg = l2 * np.diag(np.r_[0.0, np.ones(x.shape[1] - 1)])
    for _ in range(100):
        p = 1.0 / (1.0 + np.exp(-x @ beta))
        grad = x.T @ (w * (p - y)) + reg @ beta
        hess = (x * (w * p * (1 - p))[:, None]).T @ x + reg
        step = np.linalg.solve(hess, grad)
        beta -= step
        if np.abs(step).max() < 1e-8:
            break
    return beta


def fit(seeds=FIT_SEEDS, l2: float = 0.1, data: pl.DataFrame | None = None
        ) -> dict[str, dict[str, float]]:
    """Refit the per-group logistic score weights on planted errors (corpora weighted equally)."""
    import numpy as np

    d = fit_data(seeds) if data is None else data
    # every corpus weighs the same in total, whatever its size
    d = d.with_columns((1.0 / pl.len().over("corpus")).alias("w"))
    d = d.with_columns(pl.col("w") * d.height / pl.col("w").sum())
    out: dict[str, dict[str, float]] = {}
    for grp in C.GROUPS:
        g = d.filter(pl.col("grp") == grp)
        names = C.INSIDE_FEATURES if grp == "inside" else C.VOTE_FEATURES
        # constant columns carry nothing the bias does not
        names = [n for n in names if g.height and g[n].fill_null(0).n_unique() > 1]
        if g.height == 0 or g["y"].n_unique() < 2:
            out[grp] = {"bias": -3.0}
            continue
        x = np.hstack([np.ones((g.height, 1)),
                       g.select(pl.col(n).fill_null(0.0).cast(pl.Float64) for n in names)
                       .to_numpy()])
        beta = _logistic(x, g["y"].cast(pl.Float64).to_numpy(), g["w"].to_numpy(), l2)
        out[grp] = {k: round(float(v), 2) for k, v in zip(("bias", *names), beta, strict=True)}
    return out

def real_errors(calibrate: bool = False) -> None:
    """The real-error section (see the module docstring)."""
    c = Y.read_corpus()
    parts = Y.parts(c)
    fit, report = R.split_valid(c, parts["valid"])
    train = parts["train"]
    print("=== real errors: CoNLL-2003 train+valid (one corpus, "
          f"{c.n_tokens:,} tokens) ===")
    cc = R.run_cross_check(c)
    print(f"cross_check(folds=5, seed=0, workers=2) on {cc['tokens']:,} tokens: wall "
          f"{cc['wall_s']:.1f} s, CPU {cc['parent_cpu_s']:.1f} s here + "
          f"{cc['workers_cpu_s']:.1f} s in the workers; 1-min load average "
          f"{cc['load_before']:.1f} before, {cc['load_after']:.1f} after (2 cores, shared); "
          f"meanwhile filter + first page took {cc['page_ms_median']:.0f} ms median, "
          f"{cc['page_ms_p95']:.0f} ms p95 over {cc['page_n']} requests (target <= 100 ms)")
    if calibrate:
        import pprint

        cal = R.fit_calibration(c, fit)
        print("CALIBRATION fitted on the fit half of valid.txt (even documents):")
        pprint.pprint(cal, width=100, sort_dicts=False)
        S.CALIBRATION.update(cal)
        print("DEFAULT_THRESHOLD (lowest with combined precision >= 0.30 on the fit half): "
              f"{R.choose_threshold(c, fit)}")
        return
    print(f"\nvalid.txt figures: {report.judged.len():,} judged sentences of odd documents "
          f"(the report half; calibration fitted on the {fit.judged.len():,} of even ones); "
          "train.txt: recall vs the audit (P_audit understates: the audit is incomplete).  "
          f"Default threshold of suspects(): {S.DEFAULT_THRESHOLD}.")
    frames = R.finder_frames(c)
    print(R.table(frames, report, train))
    top = R.top_precision(frames["combined (suspects())"], report)
    ranked_all = c.suspects(threshold=0.0)
    top_all = R.top_precision(ranked_all, report)
    print("precision of the combined ranking among its first suspects (rows flagging >= 1 "
          "CleanCoNLL-corrected token, report half): "
          + ", ".join(f"top {k}: {v:.3f}" for k, v in top_all.items()))
    del top
    print("\nrecall per kind of CleanCoNLL correction (report half; error tokens of each kind "
          "and the share each finder flags at its default threshold):")
    print(R.misses_by_kind({k: frames[k] for k in frames if not k.startswith(("majority",
                                                                              "consistency (raw"))},
                           report, Y.valid_kinds(c)))
    print("\nprecision-recall over thresholds (combined ranking):")
    print(R.pr_table(c, report, train))
    print("\ncalibration check on the report half (mean score vs share of real errors):")
    print(R.reliability(c, report))
    t = R.table({"combined": frames["combined (suspects())"]}, report, train).row(0, named=True)
    ok = t["valid_R"] >= 0.30 and t["valid_P"] >= 0.30
    print(f"\ntargets: combined valid R {t['valid_R']:.3f} at P {t['valid_P']:.3f} "
          f"(>= 0.30 at >= 0.30): {'met' if ok else 'MISSED'}; top-50 precision "
          f"{top_all[50]:.3f} (>= 0.6): {'met' if top_all[50] >= 0.6 else 'MISSED'}; train audit "
          f"recall {t['train_R']:.3f} (>= 0.30): {'met' if t['train_R'] >= 0.30 else 'MISSED'}; "
          f"cross-check {cc['wall_s']:.0f} s wall (<= 90 s): "
          f"{'met' if cc['wall_s'] <= 90 else 'MISSED'} at load {cc['load_after']:.1f}")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="quality only (no 1M speed run)")
    ap.add_argument("--fit", action="store_true", help="refit the score weights and print them")
    ap.add_argument("--real-only", action="store_true", help="only the real-error section")
    ap.add_argument("--calibrate", action="store_true",
                    help="refit suspects.CALIBRATION on the fit half of valid.txt and print it")
    args = ap.parse_args(argv)
    if not SHARED.is_dir():
        sys.exit(f"{SHARED} not found")
    pl.Config.set_tbl_rows(100)
    pl.Config.set_tbl_width_chars(200)
    pl.Config.set_tbl_cols(-1)
    if args.calibrate or args.real_only or not args.fit:
        real_errors(calibrate=args.calibrate)
        if args.calibrate or args.real_only:
            return
    if args.fit:
        import pprint

        weights = fit()
        pprint.pprint(weights, width=100, sort_dicts=False)
        C.SCORE_WEIGHTS.clear()
        C.SCORE_WEIGHTS.update(weights)
        print(f"threshold (pooled P >= {TARGET_P} on seeds {FIT_SEEDS}): {choose_threshold()}")
        return
    print(f"\n=== planted errors (diagnostic; the consistency finder alone) ===\n"
          f"planted-error detection (seeds {SEEDS}; score weights and default threshold "
          f"{C.DEFAULT_THRESHOLD} fitted on seeds {FIT_SEEDS})")
    q = quality()
    print(q.drop("R3span"))
    at = q.filter(pl.col("threshold") == C.DEFAULT_THRESHOLD)
    print(f"\nsummary at the default threshold {C.DEFAULT_THRESHOLD}:")
    print(at.drop("threshold"))
    pooled = at.filter(pl.col("corpus") == "pooled").row(0, named=True)
    lost = 1 - pooled["det_ge3"] / pooled["planted_ge3"]
    print(f"{lost:.0%} of the planted errors with a form occurring >= 3 times are undetectable "
          "by any model-free finder (their text is an entity span fewer than twice elsewhere "
          "in the planted corpus); R3det is the recall over the detectable ones.")
    print(f"\ntarget R3 >= {TARGET_R3} at P >= {TARGET_P} (default threshold): "
          f"{'met' if pooled['R3'] >= TARGET_R3 and pooled['P'] >= TARGET_P else 'MISSED'}"
          " (pooled)")
    for row in at.iter_rows(named=True):
        print("  " + target_line(row))
    print("\nthe same, planted in copies of the corpora made consistent first (every conflicting "
          "form given its majority labelling; diagnostic: what the finder misses when the "
          "corpora's own inconsistencies no longer compete with the planted ones):")
    qc = quality(consistent=True).filter(pl.col("threshold") == C.DEFAULT_THRESHOLD)
    print(qc.drop("threshold", "R3span"))
    for row in qc.iter_rows(named=True):
        print("  " + target_line(row))
    if not args.quick:
        s = speed()
        print(f"\nspeed on {s['tokens']:,} tokens (medians of 5 rounds): load {s['load_s']:.2f} s, "
              f"inconsistencies {s['inconsistencies_s']:.2f} s, anomalies {s['anomalies_s']:.2f} s;"
              f" (inconsistencies + anomalies) / load per round: median "
              f"{s['ratio_with_anomalies']:.2f}x ("
              + ", ".join(f"{r:.2f}" for r in s["ratios"]) + ")")


if __name__ == "__main__":
    main()
