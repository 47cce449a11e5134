"""Scale benchmark: every target of issue 14 with its figure and peak RSS, from one run.

Builds files by repeating ``../shared/corpora/conll2003/train.txt`` in a temporary folder (never
committed) and measures, each step in a fresh child process (peak RSS per step, via
``resource.getrusage(RUSAGE_SELF).ru_maxrss``):

* reopen of an unchanged file (``bx.read`` with its snapshot) against Python ``read()`` + decode,
  and the first read (``bx.read(cache=False)`` + spans) against the bare polars floor, at
  ``--load-sizes`` tokens (children of ``bench_load.py``);
* at ``--tokens`` tokens (default 100M): the one-off conversion by ``bx.scan`` (with its progress
  bar off); then, on the converted dataset:

  - "Explorer on screen", three times, each in a new process: ``bx.explore(bx.scan(dataset))``
    built in Python (header, span view, every chart's Vega-Lite spec) plus the span view's reply
    to the front end's first page request (a faked front end: no browser), with that process's
    peak RSS; the data side of it (summary, label counts, transitions, first page straight from
    the ``LazyCorpus``) is the baseline measured in the same run; then (no target) a click on a
    label bar of that Explorer;
  - in a new process: filter + first page for a label, a token, a regex and a transition; label
    counts and transitions alone; peak RSS of that process.

Usage::

    python benchmarks/bench_scale.py                      # 100M tokens, loads at 1M and 10M
    python benchmarks/bench_scale.py --tokens 10000000 --load-sizes 1000000
    python benchmarks/bench_scale.py --dataset /tmp/scale/dataset   # a dataset converted before
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from _child import (  # noqa: E402
    bench_parser,
    cpu_seconds,
    peak_rss_mb,
    print_result,
    run_child,
    work_folder,
)

TARGETS = {
    "reopen_vs_raw": 3.0, "first_vs_floor": 1.3, "convert_s": 180.0, "explorer_s": 10.0,
    "filter_page_s": 1.0, "aggregate_s": 5.0, "rss_mb": 4096.0,
}
CLICK_LABEL = "PER"
QUERIES = {
    "label": {"labels": "PER"},
    "token": {"text": "Germany", "case": True},
    "regex": {"regex": "^[0-9]{4}$"},
    "transition": {"transition": ["B-ORG", "I-ORG"]},
}


def _timed(fn):
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def child_convert(path: str, dataset: str) -> dict:
    """Convert ``path`` to a dataset (the one-off step)."""
    import bio_explorer as bx

    seconds, lazy = _timed(lambda: bx.scan(path, dataset, rebuild=True, progress=False))
    return {"convert_s": seconds, "cpu_s": cpu_seconds(),
            "parts": len(lazy.meta["parts"]), "rss_mb": peak_rss_mb()}


def child_screen(dataset: str) -> dict:
    """The Explorer on a LazyCorpus, built in Python, with its first page and chart specs."""
    import bio_explorer as bx

    def screen():
        explorer = bx.explore(bx.scan(dataset), progress=False)
        view = explorer.span_view
        replies: list[dict] = []
        view.send = lambda msg, *a, **k: replies.append(msg)
        view.handle_request({"kind": "page", "id": "1", "query": {}, "offset": 0,
                             "limit": view.page_size})
        explorer.wait()  # the anomaly chart and the header's anomaly count, too
        specs = {name: chart.spec for name, chart in explorer.charts.items()}
        return replies[-1], specs

    seconds, (reply, specs) = _timed(screen)
    assert reply["kind"] == "page" and reply["sentences"], reply.get("message")
    out = {"explorer_s": seconds, "rows": len(reply["sentences"]),
           "charts": sorted(n for n, spec in specs.items() if spec), "rss_mb": peak_rss_mb()}
    # not a target: a click on the label chart (filter, counts, every chart for the filter)
    explorer = bx.explore(bx.scan(dataset), progress=False)
    explorer.wait()

    def click():
        explorer.charts.labels.selection = [{"label": CLICK_LABEL}]
        explorer.wait()

    out["click_s"], _ = _timed(click)
    out["click_rss_mb"] = peak_rss_mb()
    return out


def child_explore(dataset: str) -> dict:
    """Open a converted dataset and ask what the Explorer and a user ask."""
    import bio_explorer as bx

    out: dict = {}

    def screen():
        lazy = bx.scan(dataset)
        summary = lazy.summary()
        lazy.label_counts()
        lazy.transitions()
        lazy.page(0, 50)
        return summary

    out["data_s"], summary = _timed(screen)
    out["tokens"] = summary["tokens"]
    for name, query in QUERIES.items():
        seconds, page = _timed(lambda q=query: bx.scan(dataset).filter(**q).page(0, 50))
        out[f"filter_{name}_s"] = seconds
        out[f"filter_{name}_n"] = len(page["sentences"])
    out["label_counts_s"], _ = _timed(lambda: bx.scan(dataset).label_counts())
    out["transitions_s"], _ = _timed(lambda: bx.scan(dataset).transitions())
    out["rss_mb"] = peak_rss_mb()
    return out


def _run(*args: str) -> dict:
    return run_child(__file__, *args, cwd=ROOT, env={"PYTHONPATH": str(ROOT)})


def _explore_lines(dataset: Path) -> list[str]:
    """Explorer on screen (3 processes) and the filter / aggregate figures on ``dataset``."""
    lines: list[str] = []
    screens = [_run("screen", str(dataset)) for _ in range(3)]
    ex = _run("explore", str(dataset))
    best = sorted(screens, key=lambda r: r["explorer_s"])[1]  # the median of three
    each = ", ".join(f"{r['explorer_s']:.2f}" for r in screens)
    rss = max(r["rss_mb"] for r in screens)
    lines.append(f"Explorer on screen (bx.explore(LazyCorpus) in Python: header, span view, "
                 f"{len(best['charts'])} chart specs, first page reply of {best['rows']} "
                 f"sentences; no browser), median of 3 processes: {best['explorer_s']:.2f} s "
                 f"({each}) = "
                 f"{best['explorer_s'] / ex['data_s']:.2f}x its data side straight from the "
                 f"LazyCorpus ({ex['data_s']:.2f} s), target <= {TARGETS['explorer_s']:.0f} s: "
                 f"{_verdict(best['explorer_s'] <= TARGETS['explorer_s'])}; peak RSS "
                 f"{rss:.0f} MB, target <= 4 GB: {_verdict(rss <= TARGETS['rss_mb'])}")
    clicks = sorted(r["click_s"] for r in screens)
    lines.append(f"(no target) a click on the label bar {CLICK_LABEL} in that Explorer (filter, "
                 f"chips, header and every chart for the filter): median {clicks[1]:.2f} s "
                 f"({', '.join(f'{c:.2f}' for c in clicks)}); peak RSS "
                 f"{max(r['click_rss_mb'] for r in screens):.0f} MB")
    for name in QUERIES:
        s = ex[f"filter_{name}_s"]
        lines.append(f"filter + first page, {name} {QUERIES[name]}: {s:.2f} s "
                     f"({ex[f'filter_{name}_n']} sentences), target <= 1 s: "
                     f"{_verdict(s <= TARGETS['filter_page_s'])}")
    for key in ("label_counts_s", "transitions_s"):
        lines.append(f"{key[:-2].replace('_', ' ')}: {ex[key]:.2f} s, target <= 5 s: "
                     f"{_verdict(ex[key] <= TARGETS['aggregate_s'])}")
    lines.append(f"peak RSS while exploring {ex['tokens']:,} tokens: {ex['rss_mb']:.0f} MB, "
                 f"target <= 4 GB: {_verdict(ex['rss_mb'] <= TARGETS['rss_mb'])}")
    return lines


def _verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def main(argv: list[str] | None = None) -> int:
    parser = bench_parser(__doc__, nargs="+")
    parser.add_argument("--tokens", type=int, default=100_000_000)
    parser.add_argument("--load-sizes", type=int, nargs="*", default=[1_000_000, 10_000_000])
    parser.add_argument("--folder", type=Path, default=None)
    parser.add_argument("--dataset", type=Path, default=None,
                        help="a dataset converted by an earlier run (--folder F keeps it in "
                             "F/dataset): measure only the Explorer, filters and aggregates")
    args = parser.parse_args(argv)
    if args.child:
        sys.path.insert(0, str(ROOT))
        kind, rest = args.child[0], args.child[1:]
        child = {"convert": child_convert, "screen": child_screen}.get(kind, child_explore)
        print_result(child(*rest))
        return 0

    if args.dataset is not None:
        print(f"dataset {args.dataset}; load average at start: {os.getloadavg()[0]:.1f} on "
              f"{os.cpu_count()} cores", flush=True)
        lines = _explore_lines(args.dataset)
        print(f"\nload average now {os.getloadavg()[0]:.1f}:")
        print("\n".join(f"  {line}" for line in lines))
        return 0
    import bench_load
    from _make_corpus import CONLL, make_corpus

    folder, remove_folder = work_folder(args.folder, "bench_scale_")
    print(f"base corpus: {CONLL} (repeated); machine load average at start: "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", flush=True)
    lines = []
    try:
        for n in args.load_sizes:
            path = make_corpus(n, folder, CONLL)
            repeat = 3 if n <= 2_000_000 else 1
            res = bench_load.measure(("raw", "floor", "bx", "reopen"), path, repeat, 1, "conll")
            reopen = res["reopen"]["seconds"] / res["raw"]["seconds"]
            first = res["bx"]["seconds"] / res["floor"]["seconds"]
            lines.append(f"reopen {n:,} tokens: {res['reopen']['seconds']:.3f} s = {reopen:.1f}x "
                         f"read+decode ({res['raw']['seconds']:.3f} s), target <= "
                         f"{TARGETS['reopen_vs_raw']:.0f}x: {_verdict(reopen <= 3)}; "
                         f"peak RSS {res['reopen']['rss_mb']:.0f} MB")
            lines.append(f"first read {n:,} tokens: {res['bx']['seconds']:.3f} s = {first:.2f}x "
                         f"the polars floor ({res['floor']['seconds']:.3f} s), target <= "
                         f"{TARGETS['first_vs_floor']}x: {_verdict(first <= 1.3)}; "
                         f"peak RSS {res['bx']['rss_mb']:.0f} MB")
            print(lines[-2], lines[-1], sep="\n", flush=True)
        start = time.perf_counter()
        big = make_corpus(args.tokens, folder, CONLL)
        print(f"built {big.stat().st_size / 1e9:.2f} GB in {time.perf_counter() - start:.0f} s",
              flush=True)
        dataset = folder / "dataset"
        conv = _run("convert", str(big), str(dataset))
        lines.append(f"conversion {args.tokens:,} tokens: {conv['convert_s']:.0f} s wall, "
                     f"{conv['cpu_s']:.0f} s process CPU ({conv['parts']} parts; "
                     f"bench_convert.py compares it with scan_csv -> sink_parquet), "
                     f"target <= {TARGETS['convert_s']:.0f} s: "
                     f"{_verdict(conv['convert_s'] <= TARGETS['convert_s'])}; "
                     f"peak RSS {conv['rss_mb']:.0f} MB")
        print(lines[-1], flush=True)
        big.unlink()  # the text is not needed any more: only the dataset is read from now on
        lines += _explore_lines(dataset)
        print("\n".join(lines[-9:]), flush=True)
    finally:
        remove_folder()
    print(f"\nall targets (load average now {os.getloadavg()[0]:.1f}):")
    print("\n".join(f"  {line}" for line in lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
