"""Click → rows and click → charts latencies of the Explorer, measured in a real browser.

The Explorer runs in this process on a generated corpus (``_make_corpus``: the StackOverflow NER
train file repeated); its span view is the built front end in Chromium (tests/browser/harness.html).
They talk like a widget and its kernel (``_comm_bridge.Kernel``): the Explorer is built and driven
on a "kernel" thread with its own asyncio loop, and the page and that loop exchange messages over
one WebSocket, pushed both ways the moment they are sent.  (Until 2026-12-06 the page polled Python
every 20 ms through playwright's ``expose_function``; the poll and playwright's relay of every
call added 20–120 ms to every round trip, and a reply waited behind whatever Python ran next.)

Times are taken in the page with ``performance.now()``, from the user's DOM event (the click,
the last keystroke, the Enter key, as a capturing listener on ``window`` first sees it) to the
frame after the rows changed:

* ``chip → rows``: click a label chip (filter), until the filtered page is drawn;
* ``next page → rows``; ``search → rows``: from the last keystroke (the search debounce
  included); ``search Enter → rows``: a word typed then Enter (searches at once);
* ``edit → rows``: relabel through the menu until the row shows the new label, and how many
  rows are drawn again by the background anomaly refresh that follows (0 = updated in place);
* ``click → charts``: a chart click sets the span view's query; Python re-renders the five charts
  (polars aggregates + spec patch), then the browser draws the heat map's new spec.

Every figure is the median of ``--repeat`` runs, printed for a small corpus (the baseline) and for
``--n-tokens`` (default 1M) with their ratio, then the parts of each click → rows: event → page
request sent (the debounce; before an edit's page request, the edit's own round trip; an edit
whose reply carries its rows is itself the request), Python (request arrived → reply sent;
and the CPU time of the kernel thread meanwhile), transport both ways, and reply → rows drawn.
Run: ``python benchmarks/bench_browser.py``.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).parent))

from _comm_bridge import BRIDGE_JS, Kernel  # noqa: E402
from _make_corpus import make_corpus  # noqa: E402

import bio_explorer as bx  # noqa: E402

# the synced traits the span view's kernel sends (``_first_page``: a copy of the first page of the
# current filter, kept in the widget state for notebooks saved with it)
TRAITS = ("query", "total_sentences", "matching_sentences", "page_size", "_labels",
          "_anomaly_kinds", "_sources", "_data_version", "_selection", "_status", "_token_prefix",
          "_first_page")

# resolve with the ms from the user's action (when the page saw the last `ev` event: the click, the
# last keystroke, Enter; a capturing listener on window, the first script to see it) until the
# frame after `.bx-rows` (or `sel`) changed, and its parts
_ARM = """([sel, ev]) => {
  const target = document.querySelector(sel);
  window.__bxMs = null;
  window.__bxT0 = null;
  const tCall = performance.now();
  const on = (e) => { if (!ev.key || e.key === ev.key) window.__bxT0 = performance.now(); };
  if (ev.type) window.addEventListener(ev.type, on, true);
  const mo = new MutationObserver(() => {
    mo.disconnect();
    const tMut = performance.now();
    requestAnimationFrame(() => {
      const tEnd = performance.now();
      if (ev.type) window.removeEventListener(ev.type, on, true);
      const t0 = window.__bxT0 ?? tCall;
      // the page request the drawn rows answer: the latest sent after t0, answered before tMut
      const net = window.__bxNet;
      let best = null;
      for (const [id, ts] of Object.entries(net.sent)) {
        if (ts >= t0 && net.recv[id] !== undefined && net.recv[id] <= tMut
            && (best === null || ts > net.sent[best])) best = id;
      }
      window.__bxParts = best === null ? null : {
        request: net.sent[best] - t0,
        python: net.py[best] ?? NaN,
        'py cpu': net.cpu[best] ?? NaN,
        transport: net.recv[best] - net.sent[best] - (net.py[best] ?? 0),
        draw: tEnd - net.recv[best],
        layout: bxHarness.lastRenderMs,
      };
      window.__bxMs = {ms: tEnd - t0, fromEvent: window.__bxT0 !== null && window.__bxT0 <= tMut};
    });
  });
  mo.observe(target, {childList: true, subtree: true});  // rebuilt rows, not attributes
}"""

CLICK = {"type": "click"}
KEY = {"type": "input"}  # fill() types the word: one input event, the last keystroke
ENTER = {"type": "keydown", "key": "Enter"}
PARTS = ("request", "python", "py cpu", "transport", "draw", "layout")


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


def _serve() -> tuple[http.server.ThreadingHTTPServer, str]:
    handler = functools.partial(_Quiet, directory=str(ROOT))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def _connect(page, kernel: Kernel, widget) -> None:
    state = kernel.attach(widget)
    page.evaluate(BRIDGE_JS, [kernel.url, state])
    page.wait_for_selector("#app .bx-row")


def _settled(page, total: int, offset: int = 0, page_size: int = 50) -> None:
    """Wait until the rows of the page ``offset`` of ``total`` sentences are drawn (not just the
    count line, which follows the query trait before the page reply arrives)."""
    last = min(offset + page_size, total)
    page.wait_for_function(
        "t => document.querySelector('#app .bx-position').textContent === t"
        " && !document.querySelector('#app .bx-rows').hasAttribute('aria-busy')",
        arg=f"sentences {offset + 1:,}–{last:,} of {total:,}", timeout=60_000)


def _type_enter(box, word: str) -> None:
    """The word typed and Enter pressed in one task of the page: Enter always comes before the
    search debounce fires (two playwright calls can be further apart than that on a busy machine,
    and then the rows answered the debounced request, not Enter)."""
    box.evaluate("(el, w) => { el.focus(); el.value = w;"
                 " el.dispatchEvent(new Event('input', {bubbles: true}));"
                 " el.dispatchEvent(new KeyboardEvent('keydown',"
                 " {key: 'Enter', bubbles: true})); }",
                 word)


def _timed(page, action, ev: dict | None, sel: str = "#app .bx-rows",
           parts: dict[str, list[float]] | None = None) -> float:
    """ms from the action's DOM event ``ev`` (None: from the call) to the frame after ``sel``
    changed; the parts of the round trip are appended to ``parts``."""
    page.evaluate(_ARM, [sel, ev or {}])
    action()
    try:
        page.wait_for_function("window.__bxMs !== null", timeout=60_000)
    except Exception as exc:  # reported, not fatal: the other figures still count
        print(f"warning: no change in {sel} after the action ({type(exc).__name__})")
        return float("nan")
    res = page.evaluate("window.__bxMs")
    if ev and not res["fromEvent"]:
        print(f"warning: no {ev} event before the change; timed from the call")
    got = page.evaluate("window.__bxParts")
    if parts is not None and got:
        for k in PARTS:
            parts.setdefault(k, []).append(float(got[k]))
    return float(res["ms"])


def measure(browser, base: str, kernel: Kernel, n_tokens: int, repeat: int,
            folder: Path) -> tuple[dict[str, float], dict[str, dict[str, float]]]:
    """The medians of every figure, and of the parts of the round trips (see :data:`PARTS`)."""
    path = make_corpus(n_tokens, folder)
    call = kernel.call

    def build():
        ex = bx.explore(path, progress=False, journal=False)
        ex.wait()
        return ex

    ex = call(build)  # in the "kernel": its deferred work runs on the kernel's loop
    view = ex.span_view
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{base}/tests/browser/harness.html")
    page.wait_for_function("window.bxHarness !== undefined")
    _connect(page, kernel, view)
    out: dict[str, list[float]] = {k: [] for k in (
        "chip → rows", "next page → rows", "search → rows", "search Enter → rows", "edit → rows",
        "rows redrawn after edit", "click → charts (python)", "click → charts (draw)")}
    parts: dict[str, dict[str, list[float]]] = {k: {} for k in (
        "chip → rows", "next page → rows", "search → rows", "search Enter → rows", "edit → rows")}
    labels = [d["label"] for d in view.label_chips][:repeat + 1]
    for i in range(repeat):
        lab = labels[i % len(labels)]
        chip = page.locator(f"#app .bx-lchip[data-label='{lab}']")
        out["chip → rows"].append(_timed(page, chip.click, CLICK, parts=parts["chip → rows"]))
        page.locator("#app .bx-lchip[aria-pressed='true']").first.wait_for()
        nxt = page.get_by_role("button", name="Next page")
        if nxt.is_enabled():
            out["next page → rows"].append(
                _timed(page, nxt.click, CLICK, parts=parts["next page → rows"]))
        chip.click()  # clear the label filter again
        _settled(page, view.total_sentences)
        box = page.get_by_role("searchbox", name="Search tokens")
        word = ["data", "file", "class", "error", "table"][i % 5]
        out["search → rows"].append(
            _timed(page, functools.partial(box.fill, word), KEY, parts=parts["search → rows"]))
        box.fill("")
        _settled(page, view.total_sentences)
        word = ["value", "function", "string", "list", "array"][i % 5]
        out["search Enter → rows"].append(_timed(
            page, functools.partial(_type_enter, box, word), ENTER,
            parts=parts["search Enter → rows"]))
        box.fill("")
        _settled(page, view.total_sentences)

        # an edit through the menu, then the background refresh: rows drawn again
        span = page.locator("#app .bx-row .bx-span").nth(i)
        old = span.get_attribute("data-label")
        where = span.evaluate("e => [e.closest('.bx-row').dataset.sentence, e.dataset.start]")
        span.click()
        new = next(d["label"] for d in view.label_chips if d["label"] != old)
        item = page.locator(".bx-pop-span [role='menuitemradio']").filter(
            has=page.get_by_text(new, exact=True)).first
        out["edit → rows"].append(_timed(page, item.click, CLICK, parts=parts["edit → rows"]))
        try:  # the row shows the new label (the status line clears itself after 4 s)
            page.wait_for_function(
                "([s, a, lab]) => document.querySelector("
                "`#app .bx-row[data-sentence='${s}'] .bx-span[data-start='${a}']`)"
                "?.dataset.label === lab", arg=[*where, new], timeout=60_000)
        except Exception:
            print("warning: the relabel was not shown; edit figures of this run skipped")
            page.keyboard.press("Escape")
            call(lambda: (ex.clear(), ex.flush()))
            continue
        page.evaluate("() => document.querySelectorAll('#app .bx-row')"
                      ".forEach(r => r.setAttribute('data-mark', '1'))")
        n_rows = page.locator("#app .bx-row").count()
        sent = len([m for m in page.evaluate("bxHarness.sent") if m["kind"] == "page"])
        call(view.wait_idle)
        page.wait_for_function("n => bxHarness.sent.filter(m => m.kind === 'page').length > n",
                               arg=sent)
        page.wait_for_timeout(150)
        out["rows redrawn after edit"].append(
            n_rows - page.locator("#app .bx-row[data-mark]").count())

        # a chart click: the query changes, Python re-renders the charts, the browser draws one
        call(ex.wait)  # the background anomaly scan after the edit (not part of a click)

        def chart_click(lab=lab) -> float:
            t0 = time.perf_counter()
            ex.charts.labels.selection = [{"label": lab}]
            ex.flush()
            return (time.perf_counter() - t0) * 1000

        out["click → charts (python)"].append(call(chart_click))
        spec = ex.charts.transitions.spec
        page.evaluate("s => { void bxHarness.mountChart(s); }", spec)
        page.locator("#chart-holder svg .role-mark").first.wait_for()
        t = _timed(page, lambda s=spec: page.evaluate(
            "s => bxHarness.chartSet('_spec', s)", {**s, "description": f"run {time.time()}"}),
            None, "#chart-holder")
        out["click → charts (draw)"].append(t)
        call(lambda: (ex.clear(), ex.flush()))
        _settled(page, view.total_sentences)  # its page drawn before the next click is timed
    page.close()
    kernel.detach()

    def med(v: list[float]) -> float:
        v = [x for x in v if x == x]
        return statistics.median(v) if v else float("nan")

    return ({k: med(v) for k, v in out.items()},
            {k: {p: med(v.get(p, [])) for p in PARTS} for k, v in parts.items()})


def size_args(doc: str, repeat: int) -> argparse.Namespace:
    """The command line of the browser benchmarks: ``--n-tokens``, ``--baseline-tokens``,
    ``--repeat``."""
    ap = argparse.ArgumentParser(description=doc.split("\n")[0])
    ap.add_argument("--n-tokens", type=float, default=1_000_000)
    ap.add_argument("--baseline-tokens", type=float, default=20_000)
    ap.add_argument("--repeat", type=int, default=repeat)
    return ap.parse_args()


def print_medians(small: dict[str, float], big: dict[str, float], n_small: int,
                  n_big: int) -> None:
    """Print the medians of the baseline and the big corpus side by side, with their ratio."""
    print(f"{'':28}{n_small:>12,}{n_big:>12,}   ratio")
    for key in small:
        a, b = small[key], big[key]
        ratio = b / a if a else float("nan")
        print(f"{key:28}{a:>12.1f}{b:>12.1f}   {ratio:5.2f}")


def main() -> None:
    args = size_args(__doc__, repeat=5)
    from playwright.sync_api import sync_playwright

    server, base = _serve()
    kernel = Kernel(TRAITS)
    cpu0 = time.process_time()
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
        small, small_parts = measure(browser, base, kernel, int(args.baseline_tokens),
                                     args.repeat, Path(tmp) / "a")
        big, big_parts = measure(browser, base, kernel, int(args.n_tokens), args.repeat,
                                 Path(tmp) / "b")
        browser.close()
    kernel.close()
    server.shutdown()
    print(f"median of {args.repeat} runs (ms; 'rows redrawn' is a count); click → rows is timed "
          "from the DOM event (click, last keystroke, Enter) to the frame after the rows changed")
    print_medians(small, big, int(args.baseline_tokens), int(args.n_tokens))
    print("\nparts of click → rows (ms, medians): event → page request sent | python (request "
          "arrived → reply sent) | its CPU | transport (both ways) | reply → rows drawn "
          "(next frame), of which building the rows + layout")
    for key in small_parts:
        row = "  ".join(f"{p} {small_parts[key][p]:5.1f} / {big_parts[key][p]:5.1f}"
                        for p in PARTS)
        print(f"{key:22} {row}")
    print(f"\nprocess CPU {time.process_time() - cpu0:.1f} s; load {os.getloadavg()}")


if __name__ == "__main__":
    main()
