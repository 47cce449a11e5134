"""Planted-error benchmark of the surface-form inconsistency finder, and its speed at 1M tokens.

Usage::

    python benchmarks/bench_detect.py            # quality table + speed (1M tokens)
    python benchmarks/bench_detect.py --quick    # quality only
    python benchmarks/bench_detect.py --fit      # refit the score weights (prints a dict)

Quality: on each shared corpus, errors are planted with fixed seeds (2% of spans get another label,
2% are dropped to ``O``, 1% have a boundary moved by one token; see
:func:`bio_explorer.analysis.consistency.plant_errors`).  A flagged occurrence is a hit when it
overlaps a planted error.  Columns:

``P``        precision over *all* flagged occurrences (the corpora's own inconsistencies count as
             misses, although many are real annotation errors);
``P_new``    precision over the occurrences that were not already flagged before planting;
``R``        recall of all planted errors;
``R3``       recall of planted errors whose text occurs ≥ 3 times in the corpus (any labelling);
``R3span``   recall of planted errors whose text is an entity ≥ 3 times in the original corpus;
``det_ge3``  planted errors counted in ``R3`` that are *detectable* at all: their text is an entity
             span at least twice elsewhere in the planted corpus (a dropped or shifted span whose
             text is a span nowhere else leaves nothing a model-free finder can see);
``R3det``    recall over those detectable errors.

Note on btc: user mentions are anonymised to the token ``@``, labelled PER, ORG, LOC or ``O``
depending on the hidden user; errors planted on ``@`` count as detectable but no surface-form
finder can tell them apart (about half of btc's detectable ``R3`` errors).

Speed: ``inconsistencies()`` (and ``anomalies()`` when that module exists) on 1M tokens, as a ratio
to ``bx.read`` of the same file, measured in the same run.
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

SHARED = ROOT.parent / "shared" / "corpora"
CORPORA = {
    "stackoverflow_ner/train": "stackoverflow_ner/train.txt",
    "wnut17/train": "wnut17/wnut17train.conll",
    "wikigold": "wikigold/wikigold.conll.txt",
    "btc": "btc/*.conll",
    "gum/train": "gum/gum-train.conll",
}
SEEDS = (1, 2)
FIT_SEEDS = (101, 102)
THRESHOLDS = (0.2, 0.3, C.DEFAULT_THRESHOLD, 0.5)


def quality(seeds=SEEDS, thresholds=THRESHOLDS) -> pl.DataFrame:
    """Planted-error precision/recall per corpus and threshold (mean over ``seeds``)."""
    rows = []
    for name, pattern in CORPORA.items():
        for seed in seeds:
            c = bx.read(str(SHARED / pattern))
            before = c.inconsistencies(occurrences=True, threshold=0.0)
            span_count = c.spans.group_by("text").len("count")
            planted = C.plant_errors(c, seed=seed)
            occ = c.inconsistencies(occurrences=True, threshold=0.0)
            freq = C.form_frequency(c, planted["text"])
            det = detectable(c, planted, freq)
            for thr in sorted(set(thresholds)):
                flagged = occ.filter(pl.col("score") >= thr)
                r = C.evaluate_planted(flagged, planted, freq)
                rs = C.evaluate_planted(flagged, planted, span_count)
                new = flagged.join(
                    before.filter(pl.col("score") >= thr).select("sentence", "start", "end"),
                    on=["sentence", "start", "end"], how="anti",
                )
                rn = C.evaluate_planted(new, planted)
                rd = C.evaluate_planted(flagged, det) if det.height else {"recall": float("nan")}
                rows.append({
                    "corpus": name, "seed": seed, "threshold": thr, "spans": c.spans.height,
                    "planted": r["planted"], "planted_ge3": r["planted_ge3"],
                    "flagged": r["flagged"], "P": r["precision"], "P_new": rn["precision"],
                    "R": r["recall"], "R3": r["recall_ge3"], "R3span": rs["recall_ge3"],
                    "det_ge3": det.height, "R3det": rd["recall"],
                })
    df = pl.DataFrame(rows)
    return df.group_by("corpus", "threshold", maintain_order=True).agg(
        pl.col("spans", "planted", "planted_ge3", "det_ge3", "flagged").mean().round(0)
        .cast(pl.Int64),
        pl.col("P", "P_new", "R", "R3", "R3span", "R3det").mean().round(3),
    ).sort("corpus", "threshold", maintain_order=True)


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


def speed(target_tokens: int = 1_000_000, repeats: int = 3) -> dict:
    """Load time vs inconsistencies (+ anomalies) time on a ~1M-token copy of SO NER train."""
    src = (SHARED / "stackoverflow_ner" / "train.txt").read_bytes()
    n_src = bx.read(str(SHARED / "stackoverflow_ner" / "train.txt")).n_tokens
    copies = -(-target_tokens // n_src)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.txt"
        path.write_bytes(b"\n".join([src.rstrip(b"\n")] * copies) + b"\n")
        loads, finds, anoms = [], [], []
        for _ in range(repeats):
            t = time.perf_counter()
            c = bx.read(str(path))
            loads.append(time.perf_counter() - t)
            t = time.perf_counter()
            c.inconsistencies(occurrences=True)
            c.inconsistencies()
            finds.append(time.perf_counter() - t)
            try:
                t = time.perf_counter()
                c.anomalies()
                anoms.append(time.perf_counter() - t)
            except (ImportError, AttributeError, NotImplementedError):
                pass
        tokens = c.n_tokens
    load = min(loads)
    out = {"tokens": tokens, "load_s": load, "inconsistencies_s": min(finds),
           "ratio": min(finds) / load}
    if anoms:
        out["anomalies_s"] = min(anoms)
        out["ratio_with_anomalies"] = (min(finds) + min(anoms)) / load
    return out


def fit(seeds=FIT_SEEDS, l2: float = 1.0) -> dict[str, float]:
    """Refit the logistic score weights on planted errors (corpora weighted equally)."""
    import numpy as np

    xs, ys, groups = [], [], []
    for g, pattern in enumerate(CORPORA.values()):
        for seed in seeds:
            c = bx.read(str(SHARED / pattern))
            planted = C.plant_errors(c, seed=seed)
            _, _, feat = C._compute(c, 6, 2, True)
            feat = feat.with_row_index("fid")
            pairs = feat.join(
                planted.select("sentence", pl.col("start").alias("ps"), pl.col("end").alias("pe")),
                on="sentence",
            ).filter((pl.col("start") < pl.col("pe")) & (pl.col("ps") < pl.col("end")))
            ys.append(feat["fid"].is_in(pairs["fid"].implode()).to_numpy())
            xs.append(feat.select(C.FEATURES).to_numpy())
            groups.append(np.full(feat.height, g))
    x = np.hstack([np.ones((sum(len(y) for y in ys), 1)), np.vstack(xs)])
    y = np.concatenate(ys).astype(float)
    grp = np.concatenate(groups)
    w = np.zeros(len(y))
    for g in np.unique(grp):
        w[grp == g] = 1.0 / (grp == g).sum()
    w *= len(y) / w.sum()
    beta = np.zeros(x.shape[1])
    reg = l2 * np.diag(np.r_[0.0, np.ones(x.shape[1] - 1)])
    for _ in range(100):  # Newton steps of a weighted, L2-regularised logistic regression
        p = 1.0 / (1.0 + np.exp(-x @ beta))
        grad = x.T @ (w * (p - y)) + reg @ beta
        hess = (x * (w * p * (1 - p))[:, None]).T @ x + reg
        step = np.linalg.solve(hess, grad)
        beta -= step
        if np.abs(step).max() < 1e-8:
            break
    return {k: round(float(v), 2) for k, v in zip(("bias", *C.FEATURES), beta, strict=True)}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="quality only (no 1M speed run)")
    ap.add_argument("--fit", action="store_true", help="refit the score weights and print them")
    args = ap.parse_args(argv)
    if not SHARED.is_dir():
        sys.exit(f"{SHARED} not found")
    pl.Config.set_tbl_rows(100)
    pl.Config.set_tbl_width_chars(200)
    pl.Config.set_tbl_cols(-1)
    if args.fit:
        print(fit())
        return
    print(f"planted-error detection (default threshold {C.DEFAULT_THRESHOLD}, seeds {SEEDS}; "
          f"score weights fitted on seeds {FIT_SEEDS})")
    q = quality()
    print(q)
    print(f"\nsummary at the default threshold {C.DEFAULT_THRESHOLD} "
          "(target: R3 >= 0.8 at P >= 0.5):")
    at = q.filter(pl.col("threshold") == C.DEFAULT_THRESHOLD)
    print(at.select("corpus", "planted", "planted_ge3", "det_ge3", "flagged", "P", "P_new", "R",
                    "R3", "R3span", "R3det"))
    lost = 1 - at["det_ge3"].sum() / at["planted_ge3"].sum()
    print(f"{lost:.0%} of the planted errors with a form occurring >= 3 times are undetectable "
          "by any model-free finder (their text is an entity span fewer than twice elsewhere "
          "in the planted corpus); R3det is the recall over the detectable ones.")
    if not args.quick:
        s = speed()
        print(f"\nspeed on {s['tokens']:,} tokens: load {s['load_s']:.2f} s, "
              f"inconsistencies {s['inconsistencies_s']:.2f} s = {s['ratio']:.2f}x load")
        if "anomalies_s" in s:
            print(f"with anomalies(): {s['anomalies_s']:.2f} s more = "
                  f"{s['ratio_with_anomalies']:.2f}x load")


if __name__ == "__main__":
    main()
