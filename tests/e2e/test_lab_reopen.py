"""Issue 16.1 in JupyterLab: a reopened tab on a live kernel never leaves "Loading…" for ever.

The notebook runs ``bx.explore(<stackoverflow_ner/test.txt>)``; the tab is reloaded without
shutting the kernel down and the notebook is run again.  JupyterLab (4.6, default "comms over
subshells: one per comm target") sends every widget message through a kernel subshell; the user
report shows that after a reopened tab these messages name a subshell the kernel no longer has
(``Cannot handle comm_msg …: Unknown subshell_id``) and are dropped.  The test puts the kernel in
that state for real: it deletes the subshell the page's widget comms use, then pages the span view.
The kernel must still answer (its comms are pinned to the main shell), so the pager shows the next
page instead of waiting forever.
"""

from __future__ import annotations

import re

import pytest
from lab_helpers import kernel_value, open_and_run_all, screenshot, write_notebook
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.browser, pytest.mark.shared]

# delete every subshell the page's comms use; their ids land in window.__bxDeleted when done
# (started, not awaited: see lab_helpers.LOST_REPLY)
_DELETE_COMM_SUBSHELLS = """() => {
  window.__bxDeleted = null;
  const k = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
  const ids = new Set();
  for (const c of k._comms.values()) if (c._subshellId) ids.add(c._subshellId);
  Promise.all([...ids].map((id) => k.requestDeleteSubshell({ subshell_id: id }).done))
    .then(() => { window.__bxDeleted = [...ids]; });
}"""


def test_reopened_tab_pages_after_stale_subshell(shared_corpora, lab_server, e2e_page, artifacts):
    path = (shared_corpora / "stackoverflow_ner" / "test.txt").resolve()
    base, token, root = lab_server
    write_notebook(root / "reopen.ipynb",
                   f"import bio_explorer as bx\nex = bx.explore({str(path)!r})\nex")
    page = e2e_page
    page.set_default_timeout(60_000)
    url = f"{base}/lab/tree/reopen.ipynb?token={token}"
    try:
        open_and_run_all(page, url)
        view = page.locator(".bx-spanview").first
        expect(view.locator(".bx-position")).to_have_text(re.compile(r"sentences 1–50 of"))

        # reload the tab: the kernel keeps running; run everything again in the new page
        page.reload()
        open_and_run_all(page, url)
        view = page.locator(".bx-spanview").first
        position = view.locator(".bx-position")
        expect(position).to_have_text(re.compile(r"sentences 1–50 of"))
        total = kernel_value(page, "len(ex.corpus)")

        # the subshell the comms of this page use goes away: their messages now name a stale id
        page.evaluate(_DELETE_COMM_SUBSHELLS)
        stale = page.wait_for_function("() => window.__bxDeleted").json_value()
        assert stale, "JupyterLab did not route comms through a subshell (setting changed?)"
        view.get_by_role("button", name="Next page").click()
        expect(position).to_have_text(f"sentences 51–100 of {total:,}")
        expect(view.locator(".bx-row").first).to_have_attribute("data-index", "0")
    finally:
        screenshot(page, artifacts / "jupyterlab_reopened_tab.png")
