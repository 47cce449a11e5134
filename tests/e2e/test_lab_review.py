"""Issue 13 item 4 in JupyterLab: review decisions survive a kernel restart.

The notebook explores a temp COPY of ``wikigold`` (never the shared file) and opens the review
queue.  The test accepts the first suspect and rejects the next with the keys ``a`` and ``r``,
checks the counter and that the decisions reached the kernel, restarts the kernel, clears the
outputs and runs the notebook again: the new Explorer replays the span view's own journal, so the
accepted fix and both decisions are back, and the counter says so.  Saves
``test-artifacts/jupyterlab_review.png``.
"""

from __future__ import annotations

import re
import shutil

import pytest
from lab_helpers import kernel_value, open_and_run_all, screenshot, write_notebook

import bio_explorer as bx
from bio_explorer import review as rv

pytestmark = [pytest.mark.e2e, pytest.mark.browser, pytest.mark.shared]

expect = pytest.importorskip("playwright.sync_api").expect

_IDLE = """() => {
  const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
  return !!k && k.status === "idle";
}"""
# started, not awaited: the test polls for the flag (a promise page.evaluate awaits can be garbage
# collected while the kernel connection is replaced; see lab_helpers.LOST_REPLY)
_RESTART = """() => {
  window.__bxRestarted = false;
  window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.restart()
    .then(() => { window.__bxRestarted = true; });
}"""
T = 60_000  # ms: a busy machine, a kernel start and an Explorer on 39k tokens


def test_reviews_survive_a_kernel_restart(shared_corpora, lab_server, e2e_page, artifacts):
    base, token, root = lab_server
    copy = root / "wikigold.txt"
    shutil.copyfile(shared_corpora / "wikigold" / "wikigold.conll.txt", copy)

    # independent expectations: the queue the kernel will build, from a fresh read
    c = bx.read(copy)
    queue = rv.set_suspects(c, c.suspects())
    n = queue.height
    assert n >= 3
    first = queue.row(0, named=True)

    write_notebook(
        root / "review.ipynb",
        "import bio_explorer as bx\nimport polars as pl\n"
        f"ex = bx.explore({str(copy)!r})\nc = ex.corpus\nex.review()\nex",
    )
    page = e2e_page
    page.set_default_timeout(T)
    view = page.locator(".bx-spanview")
    counter = view.locator(".bx-review-counter")
    try:
        open_and_run_all(page, f"{base}/lab/tree/review.ipynb?token={token}")
        expect(counter).to_have_text(f"0 of {n} reviewed · 0 fixed", timeout=T)
        expect(view.locator(".bx-review-what")).to_contain_text(first["text"], timeout=T)

        view.locator(".bx-review-where").click()  # focus inside the widget
        page.keyboard.press("a")
        expect(counter).to_have_text(f"1 of {n} reviewed · 1 fixed", timeout=T)
        page.keyboard.press("r")
        expect(counter).to_have_text(f"2 of {n} reviewed · 1 fixed", timeout=T)
        assert kernel_value(page, "c.reviews['decision'].to_list()") == ["accept", "reject"]
        assert kernel_value(page, "c.unsaved") == 1

        # a new kernel: nothing in memory any more
        page.evaluate(_RESTART)
        page.wait_for_function("() => window.__bxRestarted === true")
        page.wait_for_function(_IDLE)
        assert kernel_value(page, "'c' in globals()") is False
        page.evaluate("window.jupyterapp.commands.execute('notebook:clear-all-cell-outputs')")
        expect(view).to_have_count(0, timeout=T)
        page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")

        # the auto journal replayed the fix and both decisions
        expect(counter).to_have_text(re.compile(r"^2 of \d+ reviewed · 1 fixed$"), timeout=T)
        assert kernel_value(page, "c.reviews['decision'].to_list()") == ["accept", "reject"]
        assert kernel_value(page, "c.unsaved") == 1
        label_now = kernel_value(
            page, f"c.tokens.filter(pl.col('sentence') == {first['sentence']})['tag']"
                  f"[{first['start']}]")
        want = "O" if first["suggestion"] == "O" else f"B-{first['suggestion']}"
        assert label_now == want, (label_now, first)
        # the accepted suspect is not in the queue again
        expect(view.locator(".bx-review-what")).not_to_contain_text(
            f"{first['text']} {first['label']}", timeout=T)
        assert not page.bx_blocked, page.bx_blocked
    finally:
        screenshot(page, artifacts / "jupyterlab_review.png")
