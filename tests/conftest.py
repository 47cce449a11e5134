"""Shared fixtures: the real corpora in ../shared/corpora.

In a user's clone without ../shared the tests that need them are skipped; with
BIO_EXPLORER_REQUIRE_SHARED=1 (set by .ci/run) a missing folder is an error, so CI never skips them.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading
from pathlib import Path
from typing import ClassVar

import pytest
from bx_testdata import ROOT, SHARED, corpus_files

# journals the span view keeps by itself go to a throw-away folder, never to ~ or ../shared
# (set at import so that Jupyter servers and kernels started by the tests inherit it)
if "BIO_EXPLORER_STATE_DIR" not in os.environ:
    import tempfile

    os.environ["BIO_EXPLORER_STATE_DIR"] = tempfile.mkdtemp(prefix="bx-test-state-")
# every read parses (tests that patch the parser must not be served a snapshot); test_cache.py
# turns the reopen cache on
os.environ.setdefault("BIO_EXPLORER_CACHE", "0")

__all__ = ["ROOT", "SHARED", "corpus_files"]


@pytest.fixture(scope="session")
def shared_corpora() -> Path:
    """Folder of the real corpora (``../shared/corpora``)."""
    if not SHARED.is_dir():
        if os.environ.get("BIO_EXPLORER_REQUIRE_SHARED") == "1":
            pytest.fail(f"{SHARED} is missing but BIO_EXPLORER_REQUIRE_SHARED=1")
        pytest.skip(f"{SHARED} not found (the shared corpora are not part of the package)")
    return SHARED


@pytest.fixture(autouse=True)
def _own_state_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """Each test journals into its own state folder: an unsaved edit made by one test is never
    replayed by ``bx.explore(path)`` in another."""
    monkeypatch.setenv("BIO_EXPLORER_STATE_DIR", str(tmp_path_factory.mktemp("state")))


@pytest.fixture()
def seed_copy(tmp_path, shared_corpora):
    """A copy of the shared seed corpus (pytorch_wiki.bio) in a temporary folder, to edit."""
    dst = tmp_path / "pytorch_wiki.bio"
    shutil.copyfile(shared_corpora / "seed" / "pytorch_wiki.bio", dst)
    return dst


@pytest.fixture(scope="session")
def sample_corpus():
    import bio_explorer as bx

    return bx.sample()


# ----------------------------------------------------------------------------- real browser
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
_BROWSER_DIRS = ("browser", "e2e")


def browser_unavailable(reason: str) -> None:
    """Skip (or, with BIO_EXPLORER_REQUIRE_BROWSER=1, fail) a test that needs the real browser."""
    if os.environ.get("BIO_EXPLORER_REQUIRE_BROWSER") == "1":
        pytest.fail(f"browser tests required (BIO_EXPLORER_REQUIRE_BROWSER=1) but {reason}")
    pytest.skip(reason)


def pytest_collection_modifyitems(config, items):
    """Run the browser and end-to-end tests last.

    Sync playwright keeps an asyncio loop registered on the main thread while its session-scoped
    browser lives; the pure-Python tests must not run under it.
    """
    def in_browser_dir(item) -> bool:
        parts = Path(str(item.fspath)).relative_to(ROOT / "tests").parts
        return len(parts) > 1 and parts[0] in _BROWSER_DIRS

    items.sort(key=in_browser_dir)  # stable: keeps the order within each group


@pytest.fixture(scope="session")
def browser():
    """Debian's chromium driven by sync playwright: ONE instance for the whole session.

    Defined here only (two sync-playwright sessions in one process break its asyncio loop).
    """
    executable = CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium")
    if not executable:
        browser_unavailable(f"{CHROMIUM} is not installed (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        browser_unavailable("playwright is not installed (pip install playwright)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Static files with JS/CSS MIME types, no caching and no request log."""

    extensions_map: ClassVar[dict[str, str]] = {
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".js": "text/javascript",
        ".mjs": "text/javascript",
        ".css": "text/css",
    }

    def log_message(self, format, *args):
        pass

    def end_headers(self):
        self.send_header("Cache-Control", "no-store")
        super().end_headers()


@pytest.fixture(scope="session")
def repo_server():
    """The repository root served on 127.0.0.1 at a free port (harness page, built bundles)."""
    for bundle in ("span_view.js", "span_view.css", "chart_view.js"):
        if not (ROOT / "bio_explorer" / "static" / bundle).exists():
            browser_unavailable(
                f"bio_explorer/static/{bundle} is not built (cd js && npm ci && npm run build)"
            )
    handler = functools.partial(_QuietHandler, directory=str(ROOT))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
