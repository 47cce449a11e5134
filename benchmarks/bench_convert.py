"""Conversion benchmark: ``bx.scan(path, rebuild=True)`` against ``pl.scan_csv(...).sink_parquet``.

Builds a file by repeating ``../shared/corpora/conll2003/train.txt`` in a temporary folder (never
committed), then runs, each in a fresh child process and alternating, ``--repeat`` times:

* baseline: ``pl.scan_csv(path, separator=" ", 4 String columns).sink_parquet(out)`` — polars'
  own text → Parquet conversion of the same file (no validation, no sentences, no spans);
* ``bx.scan(path, dataset, rebuild=True, progress=False)`` — the one-off conversion of the lazy
  path (tokens, spans, sentences and the per-part aggregates).

Each child reports its wall time, its process CPU time (user + system, every thread) and its
peak RSS; the script prints medians, the ratios bx / baseline and the load average.

Usage::

    python benchmarks/bench_convert.py                       # 100M tokens, 1 repeat
    python benchmarks/bench_convert.py --tokens 10000000 --repeat 3
    python benchmarks/bench_convert.py --compare /work/main   # also bx.scan of another checkout
"""

from __future__ import annotations

import os
import shutil
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TARGET_S = 180.0
sys.path.insert(0, str(HERE))

from _child import (  # noqa: E402
    bench_parser,
    cpu_seconds,
    peak_rss_mb,
    print_result,
    run_child,
    work_folder,
)


def child(kind: str, path: str, out: str) -> dict:
    """Run one conversion in this process; wall, CPU and peak RSS."""
    cpu0 = cpu_seconds()
    start = time.perf_counter()
    if kind == "baseline":
        import polars as pl

        schema = {f"c{i}": pl.String for i in range(4)}
        pl.scan_csv(path, separator=" ", has_header=False, schema=schema, quote_char=None,
                    truncate_ragged_lines=True).sink_parquet(out)
        parts = 1
    else:
        sys.path.insert(0, os.environ.get("BX_BENCH_ROOT", str(ROOT)))
        import bio_explorer as bx

        parts = len(bx.scan(path, out, rebuild=True, progress=False).meta["parts"])
    wall = time.perf_counter() - start
    return {"wall_s": wall, "cpu_s": cpu_seconds() - cpu0, "rss_mb": peak_rss_mb(),
            "parts": parts}


def _run(kind: str, path: Path, out: Path, root: Path = ROOT) -> dict:
    res = run_child(__file__, kind, str(path), str(out),
                    env={"PYTHONPATH": str(root), "BX_BENCH_ROOT": str(root)})
    res["load"] = os.getloadavg()[0]
    shutil.rmtree(out, ignore_errors=True)
    if out.is_file():
        out.unlink()
    return res


def main(argv: list[str] | None = None) -> int:
    parser = bench_parser(__doc__, nargs=3)
    parser.add_argument("--tokens", type=int, default=100_000_000)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--folder", type=Path, default=None,
                        help="where to build the file (kept there; default: a temporary folder)")
    parser.add_argument("--compare", type=Path, default=None,
                        help="another checkout (e.g. main's worktree): its bx.scan runs too")
    args = parser.parse_args(argv)
    if args.child:
        print_result(child(*args.child))
        return 0
    from _make_corpus import CONLL, make_corpus

    folder, remove_folder = work_folder(args.folder, "bench_convert_")
    try:
        path = make_corpus(args.tokens, folder, CONLL)
        print(f"{path.name}: {path.stat().st_size / 1e9:.2f} GB; load average at start "
              f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", flush=True)
        runs: dict[str, list[dict]] = {"baseline": [], "bx": []}
        if args.compare is not None:
            runs["compare"] = []
        for _ in range(args.repeat):
            for kind in runs:
                out = folder / ("base.parquet" if kind == "baseline" else "dataset")
                root = args.compare if kind == "compare" else ROOT
                res = _run("bx" if kind == "compare" else kind, path, out, root)
                runs[kind].append(res)
                print(f"  {kind:8s} wall {res['wall_s']:7.1f} s  CPU {res['cpu_s']:7.1f} s  "
                      f"peak RSS {res['rss_mb']:5.0f} MB  load {res['load']:.1f}", flush=True)
    finally:
        remove_folder()
    med = {k: {m: statistics.median(r[m] for r in v) for m in ("wall_s", "cpu_s", "rss_mb")}
           for k, v in runs.items()}
    b, x = med["baseline"], med["bx"]
    verdict = "met" if x["wall_s"] <= TARGET_S else "MISSED"
    print(f"\nconversion of {args.tokens:,} tokens ({runs['bx'][0]['parts']} parts), medians of "
          f"{args.repeat}: bx.scan {x['wall_s']:.1f} s wall / {x['cpu_s']:.1f} s CPU, peak RSS "
          f"{x['rss_mb']:.0f} MB; scan_csv -> sink_parquet {b['wall_s']:.1f} s wall / "
          f"{b['cpu_s']:.1f} s CPU: {x['wall_s'] / b['wall_s']:.2f}x wall, "
          f"{x['cpu_s'] / b['cpu_s']:.2f}x CPU; target <= {TARGET_S:.0f} s: {verdict}; "
          f"load average now {os.getloadavg()[0]:.1f}")
    if "compare" in med:
        o = med["compare"]
        print(f"  {args.compare}: bx.scan {o['wall_s']:.1f} s wall / {o['cpu_s']:.1f} s CPU, "
              f"peak RSS {o['rss_mb']:.0f} MB: {o['wall_s'] / b['wall_s']:.2f}x wall, "
              f"{o['cpu_s'] / b['cpu_s']:.2f}x CPU of the baseline")
    return 0


if __name__ == "__main__":
    sys.exit(main())
