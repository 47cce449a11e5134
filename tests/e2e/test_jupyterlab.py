"""One JupyterLab round trip: run examples/quickstart.ipynb, filter by a label chip, relabel a span,
undo and redo it with the keyboard, Save, and check every step reached the kernel and the file.

Saves ``test-artifacts/jupyterlab_quickstart.png``; with ``BIO_EXPLORER_SCREENSHOTS=1`` also the
whole Explorer into ``docs/img/explorer.png`` (the README screenshot).
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest
from lab_helpers import kernel, kernel_value, wait_kernel

pytestmark = [pytest.mark.e2e, pytest.mark.browser]
expect = pytest.importorskip("playwright.sync_api").expect

ROOT = Path(__file__).resolve().parents[2]


def test_quickstart_in_jupyterlab(lab_server, e2e_page, artifacts):
    base, token, _root = lab_server
    page = e2e_page
    page.set_default_timeout(60_000)
    page.goto(f"{base}/lab/tree/quickstart.ipynb?token={token}")
    page.wait_for_selector(".jp-NotebookPanel .jp-Cell")
    # the kernel-ready race: the toolbar says idle before a kernel exists; the status bar doesn't
    page.wait_for_function(
        "() => /Python 3.*\\|\\s*Idle/.test("
        "document.querySelector('#jp-main-statusbar')?.textContent || '')"
    )
    page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
    view = page.locator(".bx-spanview").first
    view.locator(".bx-row").first.wait_for()
    page.locator(".jp-OutputArea-output svg .mark-rect path").first.wait_for()  # charts drew marks

    total = kernel_value(page, "view.total_sentences")
    assert kernel_value(page, "view.query") == {}

    # filter to one label by clicking its chip
    label = "Library"
    want = kernel_value(page, f"len(c.filter(labels=[{label!r}]))")
    assert 0 < want < total
    view.locator(f".bx-lchip[data-label='{label}']").click()
    wait_kernel(page, "view.query", {"labels": [label]})
    page.wait_for_function(
        """([label, n]) => {
             const rows = [...document.querySelectorAll('.bx-spanview .bx-row')];
             return rows.length === n
               && rows.every(r => r.querySelector(`.bx-span[data-label='${label}']`));
           }""",
        arg=[label, want],
    )
    # the first two numbers of the count line: matching and total sentences
    expect(view.locator(".bx-count-line")).to_have_text(
        re.compile(rf"^\D*{want:,}\D+{total:,}(\D|$)"))
    # the linked label chart shows the selection too
    wait_kernel(page, "explorer.charts.labels.selection", [{"label": label}])
    page.screenshot(path=str(artifacts / "jupyterlab_quickstart.png"), full_page=True)

    # click a span, pick another label in its menu: the kernel's corpus changes
    span = view.locator(f".bx-span[data-label='{label}']").first
    sid = int(span.evaluate("el => el.closest('.bx-row').dataset.sentence"))
    start = int(span.get_attribute("data-start"))
    spans_expr = (f"c.spans.filter((pl.col('sentence') == {sid}) & (pl.col('start') == {start}))"
                  "['label'].to_list()")
    kernel(page, "import polars as pl")
    assert kernel_value(page, spans_expr) == [label]
    span.click()
    menu = view.locator(".bx-pop-span")
    menu.wait_for(state="visible")
    menu.locator("[role='menuitemradio']:has-text('Algorithm')").first.click()
    wait_kernel(page, spans_expr, ["Algorithm"])
    page.wait_for_function(
        # the page is re-requested: the span shows its new label, or the sentence left the
        # Library filter when that was its only Library span
        "([sid, start, n]) => { const row = document.querySelector("
        "`.bx-spanview .bx-row[data-sentence='${sid}']`);"
        " return row ? row.querySelector(`.bx-span[data-start='${start}']`)?.dataset.label"
        " === 'Algorithm' : document.querySelectorAll('.bx-spanview .bx-row').length === n; }",
        arg=[sid, start, kernel_value(page, f"len(c.filter(labels=[{label!r}]))")],
    )
    assert kernel_value(page, "c.unsaved") == 1

    # undo with the keyboard (focus inside the span view, not on a notebook cell)
    view.locator(".bx-row .bx-gutter").first.click()
    page.keyboard.press("Control+z")
    wait_kernel(page, spans_expr, [label])
    assert kernel_value(page, "c.unsaved") == 0

    # redo with the keyboard, then Save: the sample's file (bx.sample() reads a temp copy) differs
    # from the packaged original only in the tag field of that span's lines
    page.keyboard.press("Control+Shift+z")
    wait_kernel(page, spans_expr, ["Algorithm"])
    assert kernel_value(page, "c.unsaved") == 1
    view.locator("button.bx-primary:has-text('Save')").click()
    wait_kernel(page, "c.unsaved", 0)
    saved = Path(kernel_value(page, "str(c.state.files[0].path)"))
    end = kernel_value(page, f"c.spans.filter((pl.col('sentence') == {sid}) & "
                             f"(pl.col('start') == {start}))['end'].item()")
    span_lines = kernel_value(page, f"c.tokens.filter((pl.col('sentence') == {sid}) & "
                                    f"(pl.col('position') >= {start}) & "
                                    f"(pl.col('position') < {end}))['line'].to_list()")
    original = (ROOT / "bio_explorer" / "data" / "pytorch_wiki.bio").read_bytes().split(b"\n")
    written = saved.read_bytes().split(b"\n")
    assert len(written) == len(original)
    changed = [i + 1 for i, (a, b) in enumerate(zip(original, written, strict=True)) if a != b]
    assert changed == span_lines
    for n in changed:
        token, tag = written[n - 1].split(b"\t")
        assert original[n - 1].split(b"\t")[0] == token and tag.endswith(b"-Algorithm")

    explorer_el = page.locator(".bx-explorer").first
    explorer_el.screenshot(path=str(artifacts / "jupyterlab_explorer.png"))
    if os.environ.get("BIO_EXPLORER_SCREENSHOTS") == "1":
        # README screenshot: the whole Explorer on the unfiltered sample
        kernel(page, "explorer.clear()")
        page.wait_for_function(
            "n => document.querySelectorAll('.bx-spanview .bx-row').length === n", arg=total
        )
        page.set_viewport_size({"width": 1400, "height": 2600})  # the whole Explorer in view
        explorer_el.scroll_into_view_if_needed()
        time.sleep(1.0)
        (ROOT / "docs" / "img").mkdir(parents=True, exist_ok=True)
        explorer_el.screenshot(path=str(ROOT / "docs" / "img" / "explorer.png"))
