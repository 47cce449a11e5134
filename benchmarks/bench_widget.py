"""Benchmark: the span view's Python side on a 1M-token corpus, and the browser render of a page.

Prints, from one run:

* the load time (``bx.read``) and the core ``corpus.filter(**q).page(0, 50)`` time — the baselines;
* the widget round trip for a query change: set ``view.query`` (counts for the chips) + answer the
  front end's page message (what the user waits for), median per query kind, and as a ratio of the
  core filter + page;
* the JSON payload size of one page of 50 sentences;
* the edit round trip: a relabel message (reply, counts, ``_data_version`` bump) + the page
  request that follows it, median of 15, and the background recomputation of the surface-form
  anomalies that the widget then runs (``view.wait_idle()``), against the load time;
* with chromium available, the time the front end takes to render a page of 50 real sentences
  (``window.bxHarness.lastRenderMs`` in tests/browser/harness.html), against one frame (16 ms).

Run: ``python benchmarks/bench_widget.py [n_tokens] [--dir DIR] [--no-browser]``.
Targets (issue 4): round trip ≤ 50 ms, payload ≤ 100 KB per 50 sentences, render ≤ 16 ms;
(issue 6): single relabel round trip including the page refresh ≤ 100 ms.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import ClassVar

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

from _make_corpus import make_corpus  # noqa: E402

import bio_explorer as bx  # noqa: E402
from bio_explorer.widget import SpanView  # noqa: E402


def _median_ms(fn, runs: int = 15) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def queries(corpus: bx.Corpus) -> dict[str, dict]:
    counts = corpus.label_counts().sort("spans", descending=True)
    top, rare = counts["label"][0], counts["label"][-1]
    out = {
        "label (top)": {"labels": [top]},
        "label (rare)": {"labels": [rare]},
        "token text": {"text": "the"},
        "regex": {"text": "^[A-Z][a-z]+[0-9]$", "regex": True},
        "span text": {"text": "python", "where": "span"},
    }
    kinds = corpus.anomalies()["kind"].unique().sort().to_list()
    if kinds:
        out["anomaly kind"] = {"anomaly": [kinds[0]]}
    bad = corpus.transitions().filter(~corpus.transitions()["valid"])
    if bad.height:
        out["transition"] = {"transition": [bad["prev_tag"][0], bad["tag"][0]]}
    return out


def bench_python(corpus: bx.Corpus) -> tuple[SpanView, list[dict]]:
    view = SpanView(corpus)
    replies: list[dict] = []
    view.send = lambda msg, buffers=None: replies.append(msg)  # the fake front end
    qs = queries(corpus)
    for q in qs.values():  # warm the per-corpus indexes, as in a session
        corpus.filter(**q).page(0, 50)
    print(f"{'query':<14} {'core ms':>8} {'widget ms':>10} {'ratio':>6} {'payload KB':>11}")
    n = 0
    worst = 0.0
    for name, q in qs.items():
        core = _median_ms(lambda q=q: corpus.filter(**q).page(0, 50))

        def round_trip(q=q) -> None:
            nonlocal n
            n += 1
            view.query = {}  # a different query first, so nothing is memoised
            view.query = q
            view.handle_request({"kind": "page", "id": f"r{n}", "query": q,
                                 "offset": 0, "limit": 50}, [])

        widget = _median_ms(round_trip)
        reply = replies[-1]
        assert reply["kind"] == "page", reply
        size = len(json.dumps(reply).encode()) / 1024
        worst = max(worst, widget)
        print(f"{name:<14} {core:8.1f} {widget:10.1f} {widget / core:6.2f} {size:11.1f}")
    print(f"worst widget round trip: {worst:.1f} ms (target ≤ 50 ms)")
    return view, replies


def bench_edit(corpus: bx.Corpus, load_ms: float) -> None:
    """Relabel through the widget, then the page refresh the front end asks for."""
    view = SpanView(corpus)
    replies: list[dict] = []
    view.send = lambda msg, buffers=None: replies.append(msg)
    spans = corpus.spans.head(400).select("sentence", "start", "end").rows()
    view.wait_idle()
    core = _median_ms(lambda: corpus.page(0, 50))
    state = {"i": 0}

    def round_trip() -> None:
        i = state["i"] = state["i"] + 1
        s, a, b = spans[i % len(spans)]
        view.handle_request({"kind": "edit", "id": f"e{i}", "op": "relabel",
                             "sentence": s, "start": a, "end": b,
                             "label": "Bench" if i % 2 else "Bench2"}, [])
        assert replies[-1]["kind"] == "edit" and replies[-1]["ok"], replies[-1]
        view.handle_request({"kind": "page", "id": f"p{i}", "query": {},
                             "offset": 0, "limit": 50}, [])
        assert replies[-1]["kind"] == "page", replies[-1]

    round_trip()  # warm
    edit = _median_ms(round_trip)
    t = time.perf_counter()
    view.wait_idle()
    background = (time.perf_counter() - t) * 1000
    print(f"edit round trip (relabel + refresh + page): median {edit:.1f} ms = "
          f"{edit / core:.1f}x a plain page ({core:.1f} ms) (target ≤ 100 ms)")
    print(f"background global anomaly refresh after edits: {background:.0f} ms = "
          f"{background / load_ms:.2f}x load (off the round trip)")


class _Quiet(http.server.SimpleHTTPRequestHandler):
    extensions_map: ClassVar[dict[str, str]] = {
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".js": "text/javascript"}

    def log_message(self, format, *args):
        pass


def bench_browser(view: SpanView, replies: list[dict]) -> None:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        print("browser render: skipped (playwright not installed)")
        return
    if not Path("/usr/bin/chromium").exists():
        print("browser render: skipped (/usr/bin/chromium missing)")
        return
    handler = functools.partial(_Quiet, directory=str(ROOT))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/tests/browser/harness.html"
    # the synced state the browser receives when the widget is displayed
    traits = view.get_state([
        "query", "total_sentences", "matching_sentences", "page_size", "_labels",
        "_anomaly_kinds", "_sources", "_data_version", "_selection", "_status"])
    view.query = {}
    pages = []
    for i in range(15):
        view.handle_request({"kind": "page", "id": f"b{i}", "query": {},
                             "offset": (i % 5) * 50, "limit": 50}, [])
        pages.append(replies[-1])
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=[
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.route("**/*", lambda r: r.continue_() if "127.0.0.1" in r.request.url
                       else r.abort())
            page.goto(url)
            page.wait_for_function("window.bxHarness !== undefined")
            page.evaluate("t => bxHarness.mount(t, 'manual')", traits)
            times = []
            for reply in pages:
                rid = page.evaluate("bxHarness.lastPageRequest().id")
                page.evaluate("m => bxHarness.receive(m)", {**reply, "id": rid})
                times.append(page.evaluate("bxHarness.lastRenderMs"))
            browser.close()
    finally:
        server.shutdown()
    med = statistics.median(times[3:])
    print(f"browser render of 50 real sentences: median {med:.1f} ms = {med / 16:.2f} frames "
          f"(target ≤ 1 frame, 16 ms)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("n_tokens", nargs="?", type=float, default=1e6)
    ap.add_argument("--dir", type=Path, default=None)
    ap.add_argument("--no-browser", action="store_true")
    args = ap.parse_args()
    folder = args.dir or Path(tempfile.mkdtemp(prefix="bx-bench-"))
    path = make_corpus(int(args.n_tokens), folder)
    t = time.perf_counter()
    corpus = bx.read(path)
    load = time.perf_counter() - t
    print(f"corpus: {corpus.n_tokens:,} tokens, {len(corpus):,} sentences ({path.name}); "
          f"load {load * 1000:.0f} ms (baseline)")
    view, replies = bench_python(corpus)
    bench_edit(corpus, load * 1000)
    if not args.no_browser and os.environ.get("BIO_EXPLORER_NO_BROWSER") != "1":
        bench_browser(view, replies)


if __name__ == "__main__":
    main()
