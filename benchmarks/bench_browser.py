"""Click → rows and click → charts latencies of the Explorer, measured in a real browser.

The Explorer runs in this process on a generated corpus (``_make_corpus``: the StackOverflow NER
train file repeated); its span view is the built front end in Chromium (tests/browser/harness.html),
wired to the Python widget the way tests/browser/conftest.py does it (``expose_function``: one
browser → Python → browser round trip per message, like a kernel's comm).  Times are taken in the
page with ``performance.now()`` from the click to the frame after the rows changed.

* ``chip → rows``: click a label chip (filter), until the filtered page is drawn;
* ``next page → rows``; ``search → rows``: from the last keystroke (the 90 ms search debounce
  included); ``search Enter → rows``: a word typed then Enter (searches at once);
* ``edit → rows``: relabel through the menu until the row shows the new label, and how many
  rows are drawn again by the background anomaly refresh that follows (0 = updated in place);
  with its breakdown in the page: playwright's click (from the start of the measure to the
  trusted ``pointerdown``: actionability checks, not part of what a user waits for), the click
  event → rows drawn, the edit message's round trip through the bridge (and the Python handler's
  share of it), its reply → rows drawn, and how many page requests went out before the rows were
  drawn;
* ``click → charts``: a chart click sets the span view's query; Python re-renders the five charts
  (polars aggregates + spec patch), then the browser draws the heat map's new spec.

Every figure is the median of ``--repeat`` runs, printed for a small corpus (the baseline) and for
``--n-tokens`` (default 1M) with their ratio.  Run: ``python benchmarks/bench_browser.py``.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).parent))

from _make_corpus import make_corpus  # noqa: E402

import bio_explorer as bx  # noqa: E402

TRAITS = ("query", "total_sentences", "matching_sentences", "page_size", "_labels",
          "_anomaly_kinds", "_sources", "_data_version", "_selection", "_status", "_token_prefix")

_BRIDGE = """(state) => {
  const apply = (items) => {
    for (const it of items) {
      if ('msg' in it) bxHarness.receive(it.msg); else bxHarness.set(it.trait, it.value);
    }
  };
  bxHarness.onSave = (name, value) => { window.bxPyTrait(name, value).then(apply); };
  bxHarness.mount(state, (msg) => { window.bxPySend(msg).then(apply); });
  window.__bxBridge = setInterval(() => window.bxPyFlush().then(apply), 20);
}"""

# resolve with the ms from now until the frame after `.bx-rows` (or `sel`) changed
_ARM = """(sel) => {
  const target = document.querySelector(sel);
  window.__bxMs = null;
  const t0 = performance.now();
  Object.assign(window.__bxTrace, {t0, down: null, at: null, sends: []});
  const mo = new MutationObserver(() => {
    mo.disconnect();
    requestAnimationFrame(() => {
      window.__bxTrace.at = performance.now();
      window.__bxMs = window.__bxTrace.at - t0;
    });
  });
  mo.observe(target, {childList: true, subtree: true});  // rebuilt rows, not attributes
}"""


# the in-page breakdown: the trusted pointerdown, and each message's send and reply times
_TRACE = """() => {
  window.__bxTrace = {t0: 0, down: null, at: null, sends: []};
  document.addEventListener('pointerdown', (e) => {
    if (e.isTrusted && window.__bxTrace.down === null) window.__bxTrace.down = performance.now();
  }, true);
  const send = window.bxPySend;
  window.bxPySend = (msg) => {
    const rec = {kind: msg.kind, op: msg.op ?? null, sent: performance.now(), back: null};
    window.__bxTrace.sends.push(rec);
    return send(msg).then((items) => { rec.back = performance.now(); return items; });
  };
}"""


def _json(x):
    return json.loads(json.dumps(x, default=str))


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


def _serve() -> tuple[http.server.ThreadingHTTPServer, str]:
    handler = functools.partial(_Quiet, directory=str(ROOT))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def _connect(page, widget) -> list[float]:
    """Bridge ``widget`` into the page; returns the list the Python handler's times (ms) of the
    edit messages are appended to."""
    outbox: list[dict] = []
    edit_ms: list[float] = []
    widget.send = lambda content, buffers=None: outbox.append({"msg": _json(content)})
    widget.observe(lambda ch: outbox.append({"trait": ch["name"], "value": _json(ch["new"])})
                   if ch["name"] in TRAITS else None)

    def drain():
        items = list(outbox)
        outbox.clear()
        return items

    def py_send(msg):
        t0 = time.perf_counter()
        widget._handle_message(widget, msg)
        if msg.get("kind") == "edit":
            edit_ms.append((time.perf_counter() - t0) * 1000)
        return drain()

    def py_trait(name, value):
        if name in TRAITS:
            widget.set_state({name: value})  # as a kernel's comm applies a front-end change
        return drain()

    page.expose_function("bxPySend", py_send)
    page.expose_function("bxPyTrait", py_trait)
    page.expose_function("bxPyFlush", drain)
    page.evaluate(_BRIDGE, {name: _json(getattr(widget, name)) for name in TRAITS})
    page.evaluate(_TRACE)
    page.wait_for_selector("#app .bx-row")
    return edit_ms


def _settled(page, total: int, offset: int = 0, page_size: int = 50) -> None:
    """Wait until the rows of the page ``offset`` of ``total`` sentences are drawn (not just the
    count line, which follows the query trait before the page reply arrives)."""
    last = min(offset + page_size, total)
    page.wait_for_function(
        "t => document.querySelector('#app .bx-position').textContent === t"
        " && !document.querySelector('#app .bx-rows').hasAttribute('aria-busy')",
        arg=f"sentences {offset + 1:,}–{last:,} of {total:,}", timeout=60_000)


def _type_enter(box, word: str) -> None:
    box.fill(word)
    box.press("Enter")


def _timed(page, action, sel: str = "#app .bx-rows") -> float:
    page.evaluate(_ARM, sel)
    action()
    try:
        page.wait_for_function("window.__bxMs !== null", timeout=60_000)
    except Exception as exc:  # reported, not fatal: the other figures still count
        print(f"warning: no change in {sel} after the action ({type(exc).__name__})")
        return float("nan")
    return float(page.evaluate("window.__bxMs"))


EDIT_PARTS = ("  playwright click", "  pointerdown → rows", "  edit sent → reply",
              "    python handler", "  reply → rows drawn", "  page requests first")


def _edit_parts(trace: dict, edit_ms: list[float]) -> dict[str, float]:
    """The in-page breakdown of one edit → rows measure (see the module docstring)."""
    at, down = trace["at"], trace["down"]
    nan = float("nan")
    edit = next((m for m in trace["sends"] if m["kind"] == "edit"), None)
    pages = [m for m in trace["sends"] if m["kind"] == "page" and at is not None and m["sent"] < at]
    back = edit["back"] if edit and edit["back"] is not None else None
    return {
        "  playwright click": nan if down is None else down - trace["t0"],
        "  pointerdown → rows": nan if down is None or at is None else at - down,
        "  edit sent → reply": nan if back is None else back - edit["sent"],
        "    python handler": edit_ms[0] if edit_ms else nan,
        "  reply → rows drawn": nan if back is None or at is None else at - back,
        "  page requests first": float(len(pages)),
    }


def measure(browser, base: str, n_tokens: int, repeat: int, folder: Path) -> dict[str, float]:
    path = make_corpus(n_tokens, folder)
    ex = bx.explore(path, progress=False, journal=False)
    ex.wait()
    view = ex.span_view
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{base}/tests/browser/harness.html")
    page.wait_for_function("window.bxHarness !== undefined")
    edit_ms = _connect(page, view)
    out: dict[str, list[float]] = {k: [] for k in (
        "chip → rows", "next page → rows", "search → rows", "search Enter → rows", "edit → rows",
        *EDIT_PARTS, "rows redrawn after edit", "click → charts (python)",
        "click → charts (draw)")}
    labels = [d["label"] for d in view._labels][:repeat + 1]
    for i in range(repeat):
        lab = labels[i % len(labels)]
        chip = page.locator(f"#app .bx-lchip[data-label='{lab}']")
        out["chip → rows"].append(_timed(page, chip.click))
        page.locator("#app .bx-lchip[aria-pressed='true']").first.wait_for()
        nxt = page.get_by_role("button", name="Next page")
        if nxt.is_enabled():
            out["next page → rows"].append(_timed(page, nxt.click))
        chip.click()  # clear the label filter again
        _settled(page, view.total_sentences)
        box = page.get_by_role("searchbox", name="Search tokens")
        word = ["data", "file", "class", "error", "table"][i % 5]
        out["search → rows"].append(_timed(page, functools.partial(box.fill, word)))
        box.fill("")
        _settled(page, view.total_sentences)
        word = ["value", "function", "string", "list", "array"][i % 5]
        out["search Enter → rows"].append(_timed(page, functools.partial(_type_enter, box, word)))
        box.fill("")
        _settled(page, view.total_sentences)

        # an edit through the menu, then the background refresh: rows drawn again
        span = page.locator("#app .bx-row .bx-span").nth(i)
        old = span.get_attribute("data-label")
        where = span.evaluate("e => [e.closest('.bx-row').dataset.sentence, e.dataset.start]")
        span.click()
        new = next(d["label"] for d in view._labels if d["label"] != old)
        item = page.locator(".bx-pop-span [role='menuitemradio']").filter(
            has=page.get_by_text(new, exact=True)).first
        edit_ms.clear()
        out["edit → rows"].append(_timed(page, item.click))
        for key, ms in _edit_parts(page.evaluate("window.__bxTrace"), edit_ms).items():
            out[key].append(ms)
        try:  # the row shows the new label (the status line clears itself after 4 s)
            page.wait_for_function(
                "([s, a, lab]) => document.querySelector("
                "`#app .bx-row[data-sentence='${s}'] .bx-span[data-start='${a}']`)"
                "?.dataset.label === lab", arg=[*where, new], timeout=60_000)
        except Exception:
            print("warning: the relabel was not shown; edit figures of this run skipped")
            page.keyboard.press("Escape")
            ex.clear()
            ex.flush()
            continue
        page.evaluate("() => document.querySelectorAll('#app .bx-row')"
                      ".forEach(r => r.setAttribute('data-mark', '1'))")
        n_rows = page.locator("#app .bx-row").count()
        sent = len([m for m in page.evaluate("bxHarness.sent") if m["kind"] == "page"])
        view.wait_idle()
        page.wait_for_function("n => bxHarness.sent.filter(m => m.kind === 'page').length > n",
                               arg=sent)
        page.wait_for_timeout(150)
        out["rows redrawn after edit"].append(
            n_rows - page.locator("#app .bx-row[data-mark]").count())

        # a chart click: the query changes, Python re-renders the charts, the browser draws one
        ex.wait()  # the background anomaly scan after the edit (not part of a click)
        t0 = time.perf_counter()
        ex.charts.labels.selection = [{"label": lab}]
        ex.flush()
        out["click → charts (python)"].append((time.perf_counter() - t0) * 1000)
        spec = ex.charts.transitions.spec
        page.evaluate("s => { void bxHarness.mountChart(s); }", spec)
        page.locator("#chart-holder svg .role-mark").first.wait_for()
        t = _timed(page, lambda s=spec: page.evaluate(
            "s => bxHarness.chartSet('_spec', s)", {**s, "description": f"run {time.time()}"}),
            "#chart-holder")
        out["click → charts (draw)"].append(t)
        ex.clear()
        ex.flush()
    page.close()
    return {k: statistics.median([x for x in v if x == x]) if any(x == x for x in v)
            else float("nan") for k, v in out.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n-tokens", type=float, default=1_000_000)
    ap.add_argument("--baseline-tokens", type=float, default=20_000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    server, base = _serve()
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
        small = measure(browser, base, int(args.baseline_tokens), args.repeat, Path(tmp) / "a")
        big = measure(browser, base, int(args.n_tokens), args.repeat, Path(tmp) / "b")
        browser.close()
    server.shutdown()
    print(f"median of {args.repeat} runs (ms; 'rows redrawn' and 'page requests' are counts)")
    print(f"{'':28}{int(args.baseline_tokens):>12,}{int(args.n_tokens):>12,}   ratio")
    for key in small:
        a, b = small[key], big[key]
        ratio = b / a if a else float("nan")
        print(f"{key:28}{a:>12.1f}{b:>12.1f}   {ratio:5.2f}")


if __name__ == "__main__":
    main()
