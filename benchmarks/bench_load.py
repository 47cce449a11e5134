"""Load benchmark: ``bx.read`` (tokens + spans) against a plain-Python reader and raw read+decode.

Builds 1M- and 10M-token files by repeating ``stackoverflow_ner/train.txt`` (see
``_make_corpus.py``) and measures, each in a fresh child process (so that peak RSS is per
measurement, via ``resource.getrusage(RUSAGE_SELF).ru_maxrss``):

``raw``    ``open().read().decode()`` – the floor: bytes in, text out, nothing parsed;
``plain``  a straightforward line loop producing tokens, tags, sentence ids and spans (lists);
``csv``    ``polars.read_csv`` of the same columns – a floor for any polars-based reader: no line
           classification, validation, sentences or spans;
``bx``     ``bx.read(path)`` plus ``corpus.spans``.

Times are the best of ``--repeat`` runs inside the child (imports excluded); each reader runs in
``--runs`` children and the medians of time and peak RSS are printed.  Everything is
printed as ratios against the other readers measured in the same run.

Usage::

    python benchmarks/bench_load.py               # 1M and 10M tokens
    python benchmarks/bench_load.py --sizes 1000000 --repeat 5
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TARGETS = {"speedup_vs_plain": 10.0, "max_vs_raw": 6.0, "rss_vs_plain_10M": 1.2}


# ---------------------------------------------------------------------------- the readers
def read_raw(path: str) -> int:
    """Bytes in, text out."""
    with open(path, "rb") as fh:
        return len(fh.read().decode("utf-8"))


def read_plain(path: str) -> tuple[int, int]:
    """A fair plain-Python reader: TAB columns, token first, tag second, blank/TAB-only lines
    break sentences; spans with seqeval's lenient IOB2 rule (orphan ``I-X`` starts a span)."""
    tokens: list[str] = []
    tags: list[str] = []
    sentence_ids: list[int] = []
    spans: list[tuple[int, int, int, str]] = []
    sentence, position = 0, 0
    open_start, open_label = -1, ""
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            line = line.rstrip("\r\n")
            if not line.strip():
                if position:
                    if open_start >= 0:
                        spans.append((sentence, open_start, position, open_label))
                        open_start = -1
                    sentence += 1
                    position = 0
                continue
            fields = line.split("\t")
            if len(fields) == 1:
                fields = line.split(" ")
            token, tag = fields[0], fields[1]
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


def read_bx(path: str) -> tuple[int, int]:
    """The package: tokens, tags, sentences and spans as polars frames."""
    import bio_explorer as bx

    corpus = bx.read(path)
    return corpus._state.tok.height, corpus.spans.height


def _child(kind: str, path: str, repeat: int) -> None:
    sys.path.insert(0, str(ROOT))
    if kind == "bx":
        import bio_explorer  # noqa: F401 - import cost is not part of the measurement
    if kind == "csv":
        import polars  # noqa: F401
    fn = {"raw": read_raw, "plain": read_plain, "csv": read_csv_floor, "bx": read_bx}[kind]
    best = float("inf")
    result = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn(path)
        best = min(best, time.perf_counter() - start)
    rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tokens, spans = result if isinstance(result, tuple) else (None, None)
    print(json.dumps({"seconds": best, "rss_mb": rss_kb / 1024, "tokens": tokens,
                      "spans": spans}))


def measure(kind: str, path: Path, repeat: int, runs: int = 1) -> dict:
    """Run one reader in ``runs`` fresh interpreters; returns the medians of seconds and rss_mb
    (peak RSS varies by ±10% from run to run with polars' allocator), tokens and spans."""
    results = []
    for _ in range(runs):
        done = subprocess.run(
            [sys.executable, str(Path(__file__).resolve()), "--child", kind, str(path),
             "--repeat", str(repeat)],
            capture_output=True, text=True, check=True, cwd=ROOT,
        )
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
    out = dict(results[0])
    for key in ("seconds", "rss_mb"):
        out[key] = statistics.median(r[key] for r in results)
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
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--repeat", type=int, default=3, help="runs per child, best time kept")
    parser.add_argument("--runs", type=int, default=3,
                        help="child processes per reader (medians of time and peak RSS)")
    parser.add_argument("--folder", type=Path, default=None,
                        help="where to build the files (default: a temporary folder)")
    parser.add_argument("--child", nargs=2, metavar=("KIND", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(args.child[0], args.child[1], args.repeat)
        return 0

    sys.path.insert(0, str(HERE))
    from _make_corpus import base_file, make_corpus

    tmp = None
    folder = args.folder
    if folder is None:
        tmp = tempfile.TemporaryDirectory(prefix="bench_load_")
        folder = Path(tmp.name)
    print(f"base corpus: {base_file()}")
    base = baseline_rss()
    print(f"interpreter after imports: plain {base['plain']:.0f} MB, "
          f"bio_explorer {base['bx']:.0f} MB peak RSS\n")
    header = (f"{'tokens':>11} {'file MB':>8} | {'raw s':>7} {'plain s':>8} {'csv s':>7} "
              f"{'bx s':>7} | {'bx vs plain':>11} {'bx / raw':>8} {'csv vs plain':>12} | "
              f"{'RSS raw':>8} {'plain':>7} {'bx':>7} {'bx/plain':>8}")
    print(header)
    print("-" * len(header))
    rows = []
    try:
        for n in args.sizes:
            path = make_corpus(n, folder)
            repeat = args.repeat if n <= 2_000_000 else 1
            res = {k: measure(k, path, repeat, args.runs) for k in ("raw", "plain", "csv", "bx")}
            assert res["plain"]["tokens"] == res["bx"]["tokens"], (res["plain"], res["bx"])
            assert res["plain"]["spans"] == res["bx"]["spans"], (res["plain"], res["bx"])
            speed = res["plain"]["seconds"] / res["bx"]["seconds"]
            vs_raw = res["bx"]["seconds"] / res["raw"]["seconds"]
            rss = res["bx"]["rss_mb"] / res["plain"]["rss_mb"]
            floor = res["plain"]["seconds"] / res["csv"]["seconds"]
            rows.append((n, speed, vs_raw, rss))
            print(f"{res['bx']['tokens']:>11,} {path.stat().st_size / 1e6:>8.1f} | "
                  f"{res['raw']['seconds']:>7.3f} {res['plain']['seconds']:>8.3f} "
                  f"{res['csv']['seconds']:>7.3f} "
                  f"{res['bx']['seconds']:>7.3f} | {speed:>10.1f}x {vs_raw:>7.1f}x "
                  f"{floor:>11.1f}x | "
                  f"{res['raw']['rss_mb']:>8.0f} {res['plain']['rss_mb']:>7.0f} "
                  f"{res['bx']['rss_mb']:>7.0f} {rss:>7.2f}x", flush=True)
    finally:
        if tmp is not None:
            tmp.cleanup()
    print(f"\ntargets: bx >= {TARGETS['speedup_vs_plain']:.0f}x faster than plain, "
          f"<= {TARGETS['max_vs_raw']:.0f}x raw read+decode, "
          f"peak RSS at 10M <= {TARGETS['rss_vs_plain_10M']}x plain")
    for n, speed, vs_raw, rss in rows:
        verdict = [
            f"speed {'met' if speed >= TARGETS['speedup_vs_plain'] else 'MISSED'}",
            f"vs raw {'met' if vs_raw <= TARGETS['max_vs_raw'] else 'MISSED'}",
        ]
        if n >= 10_000_000:
            verdict.append(f"RSS {'met' if rss <= TARGETS['rss_vs_plain_10M'] else 'MISSED'}")
        print(f"  {n:>11,} tokens: " + ", ".join(verdict))
    return 0


if __name__ == "__main__":
    sys.exit(main())
