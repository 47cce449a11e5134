"""Benchmark: the Explorer's Python side on a 1M-token corpus.

Prints, from one run, with the load time (``bx.read``) as the baseline:

* Explorer construction to first display (header, span view, the cheap charts; the anomalies and
  the inconsistency table follow from a background thread) as a ratio of the load time, and the
  time until that thread's results are shown too (``Explorer.wait()``);
* a chart click → updated span page + chart data: setting ``charts.labels.selection`` (what the
  front end does) up to the page reply for the new query and the re-rendered chart specs, median
  over several labels; split into "page" (span view query + page reply, what the user sees first;
  in a kernel the charts follow, debounced) and "charts" (aggregates + specs: Altair builds each
  chart once, later filters only swap the data into the cached Vega-Lite dict).

Run: ``python benchmarks/bench_explorer.py [n_tokens] [--dir DIR]``.
Targets (issue 5): click → page + chart data ≤ 100 ms; construction ≤ 1.5× load time.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from _make_corpus import make_corpus  # noqa: E402

import bio_explorer as bx  # noqa: E402
from bio_explorer.explorer import Explorer  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("n_tokens", nargs="?", type=float, default=1e6)
    ap.add_argument("--dir", type=Path, default=None)
    args = ap.parse_args()
    folder = args.dir or Path(tempfile.mkdtemp(prefix="bx-bench-"))
    path = make_corpus(int(args.n_tokens), folder)

    t = time.perf_counter()
    corpus = bx.read(path)
    load = time.perf_counter() - t
    print(f"corpus: {corpus.n_tokens:,} tokens, {len(corpus):,} sentences; "
          f"load {load * 1000:.0f} ms (baseline)")

    t = time.perf_counter()
    ex = Explorer(corpus, progress=False)
    build = time.perf_counter() - t
    print(f"Explorer construction (first display): {build * 1000:.0f} ms = "
          f"{build / load:.2f}× load (target ≤ 1.5×)")
    assert ex.wait()
    done = time.perf_counter() - t
    print(f"  … anomalies + inconsistencies shown (background thread done): {done * 1000:.0f} ms "
          f"= {done / load:.2f}× load")
    t = time.perf_counter()
    other = Explorer(corpus, progress=False)
    other.wait()
    print(f"  second Explorer on the same corpus (analysis cached), complete: "
          f"{(time.perf_counter() - t) / load:.2f}× load")

    view = ex.span_view
    replies: list[dict] = []
    view.send = lambda msg, buffers=None: replies.append(msg)
    labels = corpus.label_counts().sort("spans", descending=True)["label"].to_list()[:12]
    page_ms, chart_ms, total_ms = [], [], []
    for i, label in enumerate(labels):
        ex.clear()
        t0 = time.perf_counter()
        # as in a kernel: the page reply goes out before the charts and the header
        with ex.hold_updates():
            ex.charts.labels.selection = [{"label": label}]
            view.handle_request({"kind": "page", "id": f"c{i}", "query": view.query,
                                 "offset": 0, "limit": 50}, [])
            t1 = time.perf_counter()
        t2 = time.perf_counter()
        assert replies[-1]["kind"] == "page" and view.query == {"labels": [label]}
        page_ms.append((t1 - t0) * 1000)
        chart_ms.append((t2 - t1) * 1000)
        total_ms.append((t2 - t0) * 1000)
    med = statistics.median
    print(f"chart click → span page: median {med(page_ms):.1f} ms")
    print(f"chart click → chart specs re-rendered: median {med(chart_ms):.1f} ms more")
    print(f"chart click → page + chart data: median {med(total_ms):.1f} ms, "
          f"{med(total_ms) / (load * 1000):.3f}× load (target ≤ 100 ms)")


if __name__ == "__main__":
    main()
