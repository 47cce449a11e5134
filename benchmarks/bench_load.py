"""Load benchmark: ``bx.read`` (tokens + spans) against a plain-Python reader and raw read+decode.

Builds 1M- and 10M-token files by repeating ``stackoverflow_ner/train.txt`` (``--base conll``:
``conll2003/train.txt``, the corpus of issue 14; see ``_make_corpus.py``) and measures, each in a
fresh child process (so that peak RSS is per measurement, via
``resource.getrusage(RUSAGE_SELF).ru_maxrss``):

``raw``    ``open().read().decode()`` – the floor: bytes in, text out, nothing parsed;
``plain``  a straightforward line loop producing tokens, tags, sentence ids and spans (lists);
``csv``    ``polars.read_csv`` of the same columns – a floor for any polars-based reader: no line
           classification, validation, sentences or spans;
``floor``  the bare polars pipeline: lines → tokens → spans (token, tag, sentence, position;
           IOB2 spans), no validation, no dialect detection, no writer bookkeeping;
``bx``     ``bx.read(path, cache=False)`` plus ``corpus.spans`` – the first read;
``reopen`` ``bx.read(path)`` plus ``corpus.spans`` with the reopen snapshot in place (the second
           open: see ``bio_explorer/cache.py``).

Times are the best of ``--repeat`` runs inside the child (imports excluded), wall clock and CPU
time (``time.process_time``: every thread of the process, so a shared machine's load inflates it
less than the wall clock); each reader runs in ``--runs`` children, interleaved with the other
readers (round after round: the machine's load drifts alike for all), and the medians of time and
peak RSS are printed.  Everything is printed as ratios against the other readers measured in the
same run.

Usage::

    python benchmarks/bench_load.py               # 1M and 10M tokens
    python benchmarks/bench_load.py --sizes 1000000 --repeat 5
    python benchmarks/bench_load.py --base conll   # with the floor and reopen targets of issue 14
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from _child import (  # noqa: E402
    bench_parser,
    peak_rss_mb,
    print_result,
    run_child,
    work_folder,
)

TARGETS = {"speedup_vs_plain": 10.0, "max_vs_raw": 6.0, "rss_vs_plain_10M": 1.2,
           "first_vs_floor": 1.3, "reopen_vs_raw": 3.0}
# base corpus → (field separator, tag column) for the plain reader and the floor
LAYOUTS = {"conll": (" ", 3), "stackoverflow": ("\t", 1)}
LAYOUT = LAYOUTS["conll"]


# ---------------------------------------------------------------------------- the readers
def read_raw(path: str) -> int:
    """Bytes in, text out."""
    with open(path, "rb") as fh:
        return len(fh.read().decode("utf-8"))


def read_plain(path: str) -> tuple[int, int]:
    """A fair plain-Python reader: token first, tag in column ``LAYOUT[1]``, blank/TAB-only and
    ``-DOCSTART-`` lines break sentences; spans with seqeval's lenient IOB2 rule (orphan ``I-X``
    starts a span)."""
    sep, tag_col = LAYOUT
    tokens: list[str] = []
    tags: list[str] = []
    sentence_ids: list[int] = []
    spans: list[tuple[int, int, int, str]] = []
    sentence, position = 0, 0
    open_start, open_label = -1, ""
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            line = line.rstrip("\r\n")
            if not line.strip() or line.startswith("-DOCSTART-"):
                if position:
                    if open_start >= 0:
                        spans.append((sentence, open_start, position, open_label))
                        open_start = -1
                    sentence += 1
                    position = 0
                continue
            fields = line.split(sep)
            token, tag = fields[0], fields[tag_col]
            tokens.append(token)
            tags.append(tag)
            sentence_ids.append(sentence)
            if tag == "O":
                if open_start >= 0:
                    spans.append((sentence, open_start, position, open_label))
                    open_start = -1
            else:
                label = tag[2:]
                if tag[0] == "B" or open_start < 0 or label != open_label:
                    if open_start >= 0:
                        spans.append((sentence, open_start, position, open_label))
                    open_start, open_label = position, label
            position += 1
    if open_start >= 0:
        spans.append((sentence, open_start, position, open_label))
    return len(tokens), len(spans)


def read_csv_floor(path: str) -> tuple[int, None]:
    """Polars' CSV reader alone: the fields of every line, nothing else."""
    import polars as pl

    frame = pl.read_csv(path, separator="\t", has_header=False, quote_char=None,
                        infer_schema=False, truncate_ragged_lines=True)
    return frame.height, None


def read_floor(path: str) -> tuple[int, int]:
    """The bare polars pipeline: lines → tokens → spans, nothing validated or kept for writing."""
    import polars as pl

    sep, tag_col = LAYOUT
    fields = pl.read_csv(path, separator=sep, has_header=False, quote_char=None,
                         infer_schema=False, truncate_ragged_lines=True, columns=[0, tag_col],
                         )
    fields.columns = ["token", "tag"]
    token, tag = pl.col("token"), pl.col("tag")
    brk = token.is_null() | (token.str.strip_chars() == "") | (token == "-DOCSTART-")
    tok = (
        fields.lazy()
        .with_columns(brk.alias("_brk"))
        .with_columns(pl.col("_brk").cum_sum().alias("sentence"))
        .filter(~pl.col("_brk"))
        .select("sentence", "token", "tag",
                pl.int_range(pl.len(), dtype=pl.UInt32).over("sentence").alias("position"))
        .collect()
    )
    label = tag.str.slice(2)
    new_sentence = pl.col("sentence") != pl.col("sentence").shift(1)
    begins = (tag != "O") & (tag.str.starts_with("B-") | (tag.shift(1) == "O")
                             | (label != label.shift(1)) | new_sentence).fill_null(True)
    spans = (
        tok.lazy()
        .with_columns(begins.cum_sum().alias("_span"))
        .filter(tag != "O")
        .group_by("_span")
        .agg(pl.col("sentence").first(), pl.col("position").min().alias("start"),
             (pl.col("position").max() + 1).alias("end"), label.first().alias("label"))
        .collect()
    )
    return tok.height, spans.height


def read_bx(path: str) -> tuple[int, int]:
    """The package, first read: tokens, tags, sentences and spans as polars frames."""
    import bio_explorer as bx

    corpus = bx.read(path, cache=False)
    return corpus.state.tok.height, corpus.spans.height


def read_reopen(path: str) -> tuple[int, int]:
    """The package, second open: the snapshot written by an earlier read is loaded."""
    import bio_explorer as bx

    corpus = bx.read(path, cache=True)
    return corpus.state.tok.height, corpus.spans.height


def _child(kind: str, path: str, repeat: int, base: str) -> None:
    global LAYOUT
    LAYOUT = LAYOUTS[base]
    sys.path.insert(0, str(ROOT))
    if kind in ("bx", "reopen"):
        import bio_explorer  # noqa: F401 - import cost is not part of the measurement
    if kind in ("csv", "floor"):
        import polars  # noqa: F401
    if kind == "prime":  # write the snapshot the reopen children load
        from bio_explorer import cache

        read_reopen(path)
        cache.wait()
        print_result({"seconds": 0.0, "cpu": 0.0, "rss_mb": 0.0})
        return
    fn = {"raw": read_raw, "plain": read_plain, "csv": read_csv_floor, "floor": read_floor,
          "bx": read_bx, "reopen": read_reopen}[kind]
    best = best_cpu = float("inf")
    result = None
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = fn(path)
        best_cpu = min(best_cpu, time.process_time() - start_cpu)  # every thread's CPU time
        best = min(best, time.perf_counter() - start)
    tokens, spans = result if isinstance(result, tuple) else (None, None)
    print_result({"seconds": best, "cpu": best_cpu, "rss_mb": peak_rss_mb(),
                  "tokens": tokens, "spans": spans})


def measure(kinds: tuple[str, ...], path: Path, repeat: int, runs: int = 1,
            base: str = "stackoverflow") -> dict[str, dict]:
    """Run every reader of ``kinds`` in ``runs`` fresh interpreters each, interleaved (one child
    per reader in turn, ``runs`` rounds), so that a shared machine's drifting load weighs on every
    reader alike; returns per reader the medians of seconds, CPU and rss_mb (peak RSS varies by
    ±10% from run to run with polars' allocator), tokens and spans."""
    if "reopen" in kinds:  # the snapshot is written by another process: RSS is the reopen's own
        run_child(__file__, "prime", str(path), "--repeat", "1", "--base", base, cwd=ROOT)
    results: dict[str, list[dict]] = {k: [] for k in kinds}
    for _ in range(runs):
        for kind in kinds:
            results[kind].append(run_child(__file__, kind, str(path), "--repeat", str(repeat),
                                           "--base", base, cwd=ROOT))
    out = {}
    for kind, rows in results.items():
        out[kind] = dict(rows[0])
        for key in ("seconds", "cpu", "rss_mb"):
            out[kind][key] = statistics.median(r[key] for r in rows)
    return out


def baseline_rss() -> dict:
    """Peak RSS of an interpreter that only imported what each reader imports."""
    code = ("import resource,sys;{imp};"
            "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss/1024)")
    out = {}
    for kind, imp in (("plain", "pass"), ("bx", f"sys.path.insert(0,{str(ROOT)!r});"
                                               "import bio_explorer")):
        done = subprocess.run([sys.executable, "-c", code.format(imp=imp)], capture_output=True,
                              text=True, check=True)
        out[kind] = float(done.stdout.strip())
    return out


def main(argv: list[str] | None = None) -> int:
    parser = bench_parser(__doc__, nargs=2, metavar=("KIND", "PATH"))
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--repeat", type=int, default=3, help="runs per child, best time kept")
    parser.add_argument("--runs", type=int, default=3,
                        help="child processes per reader (medians of time and peak RSS)")
    parser.add_argument("--base", choices=sorted(LAYOUTS), default="stackoverflow",
                        help="the corpus repeated to build the files")
    parser.add_argument("--folder", type=Path, default=None,
                        help="where to build the files (default: a temporary folder)")
    args = parser.parse_args(argv)
    if args.child:
        _child(args.child[0], args.child[1], args.repeat, args.base)
        return 0

    from _make_corpus import BASE, CONLL, make_corpus

    folder, remove_folder = work_folder(args.folder, "bench_load_")  # the reopen snapshots
    base_path = CONLL if args.base == "conll" else BASE
    print(f"base corpus: {base_path}")
    base = baseline_rss()
    print(f"interpreter after imports: plain {base['plain']:.0f} MB, "
          f"bio_explorer {base['bx']:.0f} MB peak RSS\n")
    kinds = ("raw", "plain", "csv", "floor", "bx", "reopen")
    header = (f"{'tokens':>11} {'file MB':>8} | " + " ".join(f"{k + ' s':>8}" for k in kinds)
              + f" | {'bx/plain':>8} {'bx/floor':>8} {'reopen/raw':>10} | "
              + " ".join(f"{'RSS ' + k:>10}" for k in kinds))
    print(header)
    print("-" * len(header))
    rows = []
    try:
        for n in args.sizes:
            path = make_corpus(n, folder, base_path)
            repeat = args.repeat if n <= 2_000_000 else 1
            res = measure(kinds, path, repeat, args.runs, args.base)
            for k in ("plain", "floor", "reopen"):
                assert res[k]["tokens"] == res["bx"]["tokens"], (k, res[k], res["bx"])
                assert res[k]["spans"] == res["bx"]["spans"], (k, res[k], res["bx"])
            sec = {k: res[k]["seconds"] for k in kinds}
            speed = sec["plain"] / sec["bx"]
            vs_raw = sec["bx"] / sec["raw"]
            vs_floor = sec["bx"] / sec["floor"]
            cpu_floor = res["bx"]["cpu"] / res["floor"]["cpu"]
            reopen = sec["reopen"] / sec["raw"]
            rss = res["bx"]["rss_mb"] / res["plain"]["rss_mb"]
            rows.append((n, speed, vs_raw, rss, vs_floor, reopen, cpu_floor))
            print(f"{res['bx']['tokens']:>11,} {path.stat().st_size / 1e6:>8.1f} | "
                  + " ".join(f"{sec[k]:>8.3f}" for k in kinds)
                  + f" | {speed:>7.1f}x {vs_floor:>7.2f}x {reopen:>9.1f}x | "
                  + " ".join(f"{res[k]['rss_mb']:>10.0f}" for k in kinds), flush=True)
            print(f"{'':>11} {'CPU s':>8} | " + " ".join(f"{res[k]['cpu']:>8.3f}" for k in kinds)
                  + f" | {'':>8} {cpu_floor:>7.2f}x   (load {os.getloadavg()[0]:.1f})", flush=True)
    finally:
        remove_folder()
    print(f"\ntargets: bx >= {TARGETS['speedup_vs_plain']:.0f}x faster than plain, "
          f"<= {TARGETS['max_vs_raw']:.0f}x raw read+decode, "
          f"peak RSS at 10M <= {TARGETS['rss_vs_plain_10M']}x plain, "
          f"first read <= {TARGETS['first_vs_floor']}x the polars floor, "
          f"reopen <= {TARGETS['reopen_vs_raw']:.0f}x raw read+decode")
    for n, speed, vs_raw, rss, vs_floor, reopen, cpu_floor in rows:
        verdict = [
            f"speed {'met' if speed >= TARGETS['speedup_vs_plain'] else 'MISSED'}",
            f"vs raw {'met' if vs_raw <= TARGETS['max_vs_raw'] else 'MISSED'}",
            f"first read vs floor {vs_floor:.2f}x wall "
            f"{'met' if vs_floor <= TARGETS['first_vs_floor'] else 'MISSED'}, {cpu_floor:.2f}x "
            f"CPU {'met' if cpu_floor <= TARGETS['first_vs_floor'] else 'MISSED'}",
            f"reopen vs raw {reopen:.1f}x "
            f"{'met' if reopen <= TARGETS['reopen_vs_raw'] else 'MISSED'}",
        ]
        if n >= 10_000_000:
            verdict.append(f"RSS {'met' if rss <= TARGETS['rss_vs_plain_10M'] else 'MISSED'}")
        print(f"  {n:>11,} tokens: " + ", ".join(verdict))
    return 0


if __name__ == "__main__":
    sys.exit(main())
