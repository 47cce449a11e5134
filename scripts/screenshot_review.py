"""Take the README screenshot of the review queue: ``docs/img/review.png``.

Runs the real Python ``SpanView`` on a temp copy of ``../shared/corpora/wikigold`` (the bundled
sample has no suspects), bridged to the built front end in the browser test harness, with Debian's
chromium through playwright (see /work/shared/TOOLCHAIN.md).  It opens the review queue, accepts the
first suspect (key ``a``) and rejects the second (``r``), so the counter shows progress.

    python scripts/screenshot_review.py [--dark] [--out docs/img/review.png]
"""

from __future__ import annotations

import argparse
import functools
import http.server
import json
import shutil
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpora" / "wikigold" / "wikigold.conll.txt"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]
TRAITS = ("query", "total_sentences", "matching_sentences", "page_size", "_labels",
          "_anomaly_kinds", "_sources", "_data_version", "_selection", "_status", "review_mode",
          "review_query")


def _plain(x):
    return json.loads(json.dumps(x, default=str))


def _serve() -> tuple[http.server.ThreadingHTTPServer, str]:
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(ROOT))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "img" / "review.png")
    ap.add_argument("--dark", action="store_true", help="JupyterLab dark theme variables")
    args = ap.parse_args()

    from playwright.sync_api import expect, sync_playwright

    import bio_explorer as bx

    tmp = Path(tempfile.mkdtemp(prefix="bx_review_shot_"))
    copy = tmp / "wikigold.conll.txt"
    shutil.copyfile(CORPUS, copy)
    view = bx.SpanView(bx.read(copy), page_size=10, journal=False)
    outbox: list[dict] = []
    view.send = lambda content, buffers=None: outbox.append({"msg": _plain(content)})
    view.observe(lambda ch: outbox.append({"trait": ch["name"], "value": _plain(ch["new"])})
                 if ch["name"] in TRAITS else None)

    def drain() -> list[dict]:
        items = list(outbox)
        outbox.clear()
        return items

    def py_send(msg: dict) -> list[dict]:
        view.handle_request(msg)
        return drain()

    def py_trait(name: str, value) -> list[dict]:
        if name in TRAITS:
            setattr(view, name, value)
        return drain()

    server, base = _serve()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1000, "height": 700},
                                    device_scale_factor=2)
            page.route("**/*", lambda r: r.continue_() if "127.0.0.1" in r.request.url
                       else r.abort())
            page.goto(f"{base}/tests/browser/harness.html")
            page.wait_for_function("window.bxHarness !== undefined")
            if args.dark:
                page.evaluate("document.getElementById('wrap').classList.add('dark');"
                              "document.body.classList.add('dark-page')")
            page.expose_function("bxPySend", py_send)
            page.expose_function("bxPyTrait", py_trait)
            page.expose_function("bxPyFlush", drain)  # replies the kernel-side coalescer deferred
            page.evaluate("""(state) => {
              const apply = (items) => { for (const it of items) {
                if ('msg' in it) bxHarness.receive(it.msg); else bxHarness.set(it.trait, it.value);
              } };
              bxHarness.onSave = (n, v) => { window.bxPyTrait(n, v).then(apply); };
              bxHarness.mount(state, (msg) => { window.bxPySend(msg).then(apply); });
              setInterval(() => window.bxPyFlush().then(apply), 40);
            }""", {name: _plain(getattr(view, name)) for name in TRAITS})
            app = page.locator("#app")
            expect.set_options(timeout=60_000)  # the first page computes the anomalies
            expect(app.locator(".bx-row").first).to_be_visible()
            app.locator(".bx-review-toggle").click()
            counter = app.locator(".bx-review-counter")
            expect(counter).to_contain_text("0 of")
            page.keyboard.press("a")
            expect(counter).to_contain_text("1 fixed")
            page.keyboard.press("r")
            expect(counter).to_contain_text("2 of")
            page.mouse.move(0, 0)
            args.out.parent.mkdir(parents=True, exist_ok=True)
            page.locator("#wrap").screenshot(path=str(args.out))
            browser.close()
    finally:
        server.shutdown()
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
