"""Browser test fixtures: a local static server for the harness and a sync-playwright Chromium.

Only this conftest defines playwright fixtures (importing them into several modules breaks the
asyncio loop). Tests here skip cleanly when Debian's chromium or playwright is missing, unless
BIO_EXPLORER_REQUIRE_BROWSER=1, in which case they fail.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
LOCAL_HOSTS = {"127.0.0.1"}


def _unavailable(reason: str) -> None:
    if os.environ.get("BIO_EXPLORER_REQUIRE_BROWSER") == "1":
        pytest.fail(f"browser tests required (BIO_EXPLORER_REQUIRE_BROWSER=1) but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def static_server(repo_server):
    """The repository served on 127.0.0.1 (defined once, in tests/conftest.py)."""
    return repo_server


class PageInfo:
    """What happened on a page besides the DOM: blocked requests, dialogs, errors."""

    def __init__(self) -> None:
        self.blocked: list[str] = []
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        self.console_errors: list[str] = []


@pytest.fixture
def context(browser):
    """A context that aborts (and records) every request not to 127.0.0.1."""
    ctx = browser.new_context(viewport={"width": 1200, "height": 900})
    info = PageInfo()

    def route(r):
        host = urlsplit(r.request.url).hostname
        if host in LOCAL_HOSTS:
            r.continue_()
        else:
            info.blocked.append(r.request.url)
            r.abort()

    ctx.route("**/*", route)
    ctx.bx_info = info
    try:
        yield ctx
    finally:
        ctx.close()


@pytest.fixture
def page_info(context) -> PageInfo:
    return context.bx_info


@pytest.fixture
def harness(context, static_server):
    """The harness page, loaded and ready (window.bxHarness defined); nothing mounted yet."""
    page = context.new_page()
    info: PageInfo = context.bx_info

    def on_dialog(d):
        info.dialogs.append(d.message)
        d.dismiss()

    page.on("dialog", on_dialog)
    page.on("pageerror", lambda e: info.errors.append(str(e)))
    page.on("console", lambda m: info.console_errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{static_server}/tests/browser/harness.html")
    page.wait_for_function("window.bxHarness !== undefined", timeout=10_000)
    yield page
    page.close()


SPAN_VIEW_TRAITS = (
    "query",
    "total_sentences",
    "matching_sentences",
    "page_size",
    "_labels",
    "_anomaly_kinds",
    "_sources",
    "_data_version",
    "_selection",
    "_status",
    "_token_prefix",
    "review_mode",
    "review_query",
)

_BRIDGE_JS = """(state) => {
  const apply = (items) => {
    for (const it of items) {
      if ('msg' in it) bxHarness.receive(it.msg); else bxHarness.set(it.trait, it.value);
    }
  };
  bxHarness.onSave = (name, value) => { window.bxPyTrait(name, value).then(apply); };
  bxHarness.mount(state, (msg) => { window.bxPySend(msg).then(apply); });
  window.__bxBridge = setInterval(() => window.bxPyFlush().then(apply), 40);
}"""


@pytest.fixture
def connect_widget(harness):
    """Mount the harness span view wired to a real Python ``SpanView``.

    ``connect_widget(widget)`` forwards the widget's custom messages (``send``) and synced trait
    changes to the page, and the page's messages and saved traits to the widget's handler.
    Returns the page.
    """

    def _json(x):
        return json.loads(json.dumps(x, default=str))

    def connect(widget):
        outbox: list[dict] = []

        def send(content, buffers=None):
            outbox.append({"msg": _json(content)})

        def on_change(change):
            if change["name"] in SPAN_VIEW_TRAITS:
                outbox.append({"trait": change["name"], "value": _json(change["new"])})

        def drain():
            items = list(outbox)
            outbox.clear()
            return items

        def py_send(msg):
            widget.handle_request(msg)
            return drain()

        def py_trait(name, value):
            if name in SPAN_VIEW_TRAITS:
                setattr(widget, name, value)
            return drain()

        widget.send = send
        widget.observe(on_change)
        harness.expose_function("bxPySend", py_send)
        harness.expose_function("bxPyTrait", py_trait)
        harness.expose_function("bxPyFlush", drain)
        state = {name: _json(getattr(widget, name)) for name in SPAN_VIEW_TRAITS}
        harness.evaluate(_BRIDGE_JS, state)
        return harness

    yield connect
    try:
        harness.evaluate("clearInterval(window.__bxBridge)")
    except Exception:  # page already closed
        pass
