"""Helpers shared by the JupyterLab / Notebook 7 end-to-end tests.

They drive the front end through ``window.jupyterapp`` (the servers run with
``expose_app_in_browser``) and run code in the notebook's kernel *through the page*, so a value read
back proves that what the browser did reached the kernel.
"""

from __future__ import annotations

import ast
import json
import time
from pathlib import Path

# The reply promise is kept in a window-level set until it settles, and raced against a timer.
# Chromium tracks the promise page.evaluate awaits through a weak handle: when the kernel
# connection drops a future (a websocket reconnect on a busy machine), nothing holds the chain any
# more and the evaluate fails with "Resulting promise was garbage collected" (seen once in CI).
# Now such a call ends with the LOST_REPLY marker (and the reason), and ``kernel`` sends it again.
LOST_REPLY = "__bx_kernel_reply_lost__"
_RUN_IN_KERNEL = """
async ([code, lost, waitMs]) => {
  const keep = (window.__bxKernelCalls ||= new Set());
  const run = (async () => {
    const panel = window.jupyterapp.shell.currentWidget;
    const kernel = panel.sessionContext.session.kernel;
    const future = kernel.requestExecute({ code, silent: false, store_history: false });
    let out = "";
    future.onIOPub = (msg) => {
      const t = msg.header.msg_type;
      if (t === "stream") out += msg.content.text;
      if (t === "error") out += `ERROR ${msg.content.ename}: ${msg.content.evalue}`;
    };
    await future.done;
    return out;
  })();
  keep.add(run);
  let timer;
  const late = new Promise((resolve) => { timer = setTimeout(() => resolve(lost), waitMs); });
  try {
    return await Promise.race([run, late]);
  } catch (err) {
    return `${lost} ${err}`;  // the future was disposed (kernel restart or reconnect)
  } finally {
    clearTimeout(timer);
    keep.delete(run);
  }
}
"""

# the kernel exists and is idle: the toolbar says "idle" for a moment *before* a kernel exists, so
# look at the session's kernel object itself
_KERNEL_IDLE = """() => {
  const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
  return !!k && k.status === "idle" && !!w.content && w.content.widgets.length > 0;
}"""


def write_notebook(path: Path, *cells: str) -> Path:
    """Write a minimal nbformat-4 notebook with one code cell per string (python3 kernelspec)."""
    nb = {
        "cells": [
            {"cell_type": "code", "execution_count": None, "id": f"cell{i}", "metadata": {},
             "outputs": [], "source": src}
            for i, src in enumerate(cells)
        ],
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path.write_text(json.dumps(nb, indent=1), encoding="utf-8")
    return path


def open_and_run_all(page, url: str) -> None:
    """Open a notebook URL, wait until its kernel is really idle, then run all cells."""
    page.goto(url)
    page.wait_for_selector(".jp-NotebookPanel .jp-Cell")
    page.wait_for_function(_KERNEL_IDLE)
    page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")


def kernel(page, code: str, attempts: int = 3, wait_s: float = 60.0) -> str:
    """Run ``code`` in the notebook's kernel (through the front end) and return what it printed.

    Every caller sends idempotent code (reads, imports, ``clear()``), so a reply lost on the way
    (the kernel connection dropped the request) is sent again, up to ``attempts`` times.
    """
    for _ in range(attempts):
        try:
            out = page.evaluate(_RUN_IN_KERNEL, [code, LOST_REPLY, int(wait_s * 1000)])
        except Exception as exc:  # playwright's Error: only its message tells the cases apart
            if "garbage collected" not in str(exc) and "Promise was collected" not in str(exc):
                raise
            out = f"{LOST_REPLY} {exc}"
        if not out.startswith(LOST_REPLY):
            return out
    raise AssertionError(
        f"the kernel never answered {code!r} ({attempts} tries of {wait_s:.0f} s; last: {out})"
    )


def kernel_value(page, expr: str):
    """``expr`` evaluated in the kernel, read back through ``repr`` + ``ast.literal_eval``."""
    out = kernel(page, f"print(repr({expr}))").strip()
    assert not out.startswith("ERROR"), out
    return ast.literal_eval(out)


def wait_kernel(page, expr: str, want, timeout: float = 15.0):
    """Poll ``expr`` in the kernel until it equals ``want`` (messages from the widget are async)."""
    deadline = time.monotonic() + timeout
    got = None
    while time.monotonic() < deadline:
        got = kernel_value(page, expr)
        if got == want:
            return got
        time.sleep(0.25)
    raise AssertionError(f"kernel: {expr} = {got!r}, expected {want!r}")


def screenshot(page, path: Path) -> None:
    """Full-page screenshot that never raises (for ``finally`` blocks: success and failure)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(path), full_page=True, timeout=15_000)
    except Exception as exc:
        print(f"screenshot {path.name} not saved: {exc}")
