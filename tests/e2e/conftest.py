"""End-to-end fixtures: a real JupyterLab / Voila server and Debian's chromium driven by playwright.

Sync-playwright fixtures live only here (importing them into several modules breaks the asyncio
loop).  Every test skips cleanly when chromium, playwright, JupyterLab or Voila is missing, unless
``BIO_EXPLORER_REQUIRE_BROWSER=1``, in which case it fails.  Every request that is not to
127.0.0.1 is aborted and recorded, so a stray CDN import fails loudly.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("BIO_EXPLORER_ARTIFACTS", ROOT / "test-artifacts"))


def _unavailable(reason: str) -> None:
    if os.environ.get("BIO_EXPLORER_REQUIRE_BROWSER") == "1":
        pytest.fail(f"end-to-end tests required (BIO_EXPLORER_REQUIRE_BROWSER=1) but {reason}")
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_http(url: str, proc: subprocess.Popen, log: Path, timeout: float = 60,
               any_status: bool = False) -> None:
    """Poll ``url`` until it answers 200 (or anything at all with ``any_status``)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except urllib.error.HTTPError:
            if any_status:
                return
            time.sleep(0.3)
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"server did not answer {url} in {timeout}s:\n{log.read_text()[-3000:]}")


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _jupyter_env(home: Path) -> dict[str, str]:
    """Private settings/workspaces/runtime/config/IPython folders and the repo on PYTHONPATH."""
    env = dict(os.environ)
    for var, sub in (("JUPYTERLAB_SETTINGS_DIR", "settings"),
                     ("JUPYTERLAB_WORKSPACES_DIR", "workspaces"),
                     ("JUPYTER_RUNTIME_DIR", "runtime"), ("JUPYTER_CONFIG_DIR", "config"),
                     ("IPYTHONDIR", "ipython")):
        (home / sub).mkdir(parents=True, exist_ok=True)
        env[var] = str(home / sub)
    # no news / update toast over the page
    notif = home / "settings" / "@jupyterlab" / "apputils-extension"
    notif.mkdir(parents=True, exist_ok=True)
    (notif / "notification.jupyterlab-settings").write_text(
        json.dumps({"checkForUpdates": False, "fetchNews": "false", "doNotDisturbMode": True})
    )
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    env.pop("JUPYTER_PLATFORM_DIRS", None)
    return env


def _notebook_root(tmp: Path) -> Path:
    root = tmp / "root"
    root.mkdir()
    shutil.copy(ROOT / "examples" / "quickstart.ipynb", root / "quickstart.ipynb")
    return root


# ------------------------------------------------------------------------------------ browser
@pytest.fixture(scope="session")
def e2e_browser(browser):
    """The session's chromium (defined once, in tests/conftest.py)."""
    if importlib.util.find_spec("playwright") is None:
        _unavailable("playwright is not installed (pip install playwright)")
    for bundle in ("span_view.js", "span_view.css", "chart_view.js"):
        if not (ROOT / "bio_explorer" / "static" / bundle).exists():
            _unavailable(f"bio_explorer/static/{bundle} is not built")
    return browser


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the item, so fixtures can tell a failed test at teardown."""
    outcome = yield
    rep = outcome.get_result()
    setattr(item, f"bx_rep_{rep.when}", rep)


@pytest.fixture
def e2e_page(e2e_browser, request):
    """A page whose context aborts (and lists in ``page.bx_blocked``) non-127.0.0.1 requests.

    When the test fails, a full-page screenshot goes to ``<artifacts>/<test name>-failure.png``.
    """
    ctx = e2e_browser.new_context(viewport={"width": 1400, "height": 1000})
    blocked: list[str] = []
    errors: list[str] = []

    def route(r):
        if urlsplit(r.request.url).hostname == "127.0.0.1":
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    ctx.route("**/*", route)
    page = ctx.new_page()
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.bx_blocked = blocked
    page.bx_errors = errors
    try:
        yield page
        rep = getattr(request.node, "bx_rep_call", None)
        if rep is not None and rep.failed:
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            try:
                page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-failure.png"),
                                full_page=True, timeout=15_000)
            except Exception as exc:  # a dead page must not hide the test's own failure
                print(f"failure screenshot not saved: {exc}")
    finally:
        ctx.close()


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


# ------------------------------------------------------------------------------------ servers
@pytest.fixture
def lab_server(tmp_path):
    """``jupyter lab`` on 127.0.0.1 serving a temp copy of examples/quickstart.ipynb.

    Yields ``(base_url, token, root_dir)``.
    """
    if importlib.util.find_spec("jupyterlab") is None:
        _unavailable("jupyterlab is not installed")
    root = _notebook_root(tmp_path)
    yield from jupyter_server(tmp_path, root, "jupyterlab",
                               ["--LabApp.expose_app_in_browser=True", "--LabApp.news_url="])


@pytest.fixture
def notebook_server(tmp_path):
    """``jupyter notebook`` (Notebook 7) on 127.0.0.1 serving a temp copy of the quickstart.

    Same set-up as :func:`lab_server` (private settings with news/update checks off, token,
    ``--allow-root``, ``window.jupyterapp`` exposed).  Yields ``(base_url, token, root_dir)``.
    """
    if importlib.util.find_spec("notebook") is None:
        _unavailable("notebook (Notebook 7) is not installed (pip install 'notebook>=7')")
    from importlib.metadata import version

    if int(version("notebook").split(".")[0]) < 7:
        _unavailable(f"notebook {version('notebook')} is installed; Notebook 7 is needed")
    root = _notebook_root(tmp_path)
    yield from jupyter_server(tmp_path, root, "notebook",
                               ["--JupyterNotebookApp.expose_app_in_browser=True"])


def jupyter_server(tmp_path: Path, root: Path, module: str, extra: list[str]):
    """Start ``python -m <module>`` (JupyterLab or Notebook 7) on 127.0.0.1 with a private home,
    a token and ``--allow-root``; yield ``(base_url, token, root_dir)`` once it answers."""
    env = _jupyter_env(tmp_path / "home")
    port, token = _free_port(), "bx-e2e-token"
    log = tmp_path / f"{module}.log"
    cmd = [sys.executable, "-m", module, "--no-browser", "--allow-root",
           "--ip=127.0.0.1", f"--port={port}", f"--IdentityProvider.token={token}",
           f"--ServerApp.root_dir={root}", "--ServerApp.disable_check_xsrf=True", *extra]
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=root)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_http(f"{base}/api/status?token={token}", proc, log)
        yield base, token, root
    finally:
        _stop(proc)


@pytest.fixture
def voila_server(tmp_path):
    """``voila`` serving a temp copy of the quickstart notebook; yields the page URL."""
    if importlib.util.find_spec("voila") is None:
        _unavailable("voila is not installed")
    root = _notebook_root(tmp_path)
    env = _jupyter_env(tmp_path / "home")
    port = _free_port()
    log = tmp_path / "voila.log"
    cmd = [sys.executable, "-m", "voila", str(root / "quickstart.ipynb"), "--no-browser",
           f"--port={port}", "--Voila.ip=127.0.0.1", "--show_tracebacks=True"]
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=root)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_http(f"{base}/voila/static/", proc, log, any_status=True)
        yield base, log
    finally:
        _stop(proc)




@pytest.fixture
def marimo_app(tmp_path):
    """``marimo run`` serving an app written by the test; yields ``(write_app, start)``.

    Call ``start(source)`` with the app's Python source: it writes ``app.py`` into a temp folder,
    serves it headless on 127.0.0.1 without a token and returns the page URL.
    """
    if importlib.util.find_spec("marimo") is None:
        _unavailable("marimo is not installed (pip install marimo)")
    procs: list[subprocess.Popen] = []

    def start(source: str) -> str:
        app = tmp_path / "app.py"
        app.write_text(source)
        env = _jupyter_env(tmp_path / "home")
        port = _free_port()
        log = tmp_path / "marimo.log"
        cmd = [sys.executable, "-m", "marimo", "run", str(app), "--headless", "--no-token",
               "--host", "127.0.0.1", "--port", str(port), "--no-sandbox", "--no-check"]
        with log.open("w") as out:
            proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT,
                                    cwd=tmp_path)
        procs.append(proc)
        base = f"http://127.0.0.1:{port}"
        _wait_http(f"{base}/health", proc, log, any_status=True)
        return base

    try:
        yield start
    finally:
        for proc in procs:
            _stop(proc)
