"""Issue 5 in JupyterLab: the Explorer's charts drive the span view, in a real kernel.

A notebook written into the server's temp root runs ``bx.explore(<stackoverflow_ner/test.txt>)``.
The test clicks a bar of the label chart, checks the span view and the kernel's query, clears, then
clicks the one invalid transition cell (``O → I-User_Name``) of the heat map and checks that every
sentence shown contains that transition, read from the raw tags shown in the DOM.

Expected values are computed in this process with polars on the file's spans (independently of the
widget), never read back from the widget under test.  Saves
``test-artifacts/jupyterlab_explorer_links.png``.
"""

from __future__ import annotations

import polars as pl
import pytest
from lab_helpers import kernel_value, open_and_run_all, screenshot, wait_kernel, write_notebook

import bio_explorer as bx
from bio_explorer.charts import INVALID_COLOR

pytestmark = [pytest.mark.e2e, pytest.mark.browser, pytest.mark.shared]
expect = pytest.importorskip("playwright.sync_api").expect

LABEL = "Library"  # 257 spans in 219 sentences: more than one page of 50
INVALID = ("O", "I-User_Name")  # the only invalid transition of the stackoverflow test file

# every row: which sentence it is, the labels of its span boxes, its (tag, highlighted) tokens
_ROWS = """() => [...document.querySelectorAll('.bx-spanview .bx-row')].map(r => ({
  sentence: Number(r.dataset.sentence),
  labels: [...r.querySelectorAll('.bx-span')].map(s => s.dataset.label),
  toks: [...r.querySelectorAll('.bx-tok')].map(t => ({
    pos: Number(t.dataset.pos),
    hl: t.classList.contains('bx-hl'),
    tag: t.querySelector('.bx-tag')?.textContent ?? null })),
}))"""


def _click_mark(page, locator) -> None:
    """Click the centre of an SVG mark (paths have no box of their own for playwright's checks)."""
    box = locator.bounding_box()
    assert box and box["width"] > 0 and box["height"] > 0, box
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)


def test_explorer_charts_filter_span_view(shared_corpora, lab_server, e2e_page, artifacts):
    path = (shared_corpora / "stackoverflow_ner" / "test.txt").resolve()
    base, token, root = lab_server

    # independent expectations, from the file's spans and transitions
    c = bx.read(path)
    spans = c.spans
    label_sents = spans.filter(pl.col("label") == LABEL)["sentence"].unique().sort().to_list()
    bad = c.transitions().filter(~pl.col("valid"))
    assert bad.select("prev_tag", "tag").rows() == [INVALID]  # README: exactly one invalid I-
    total = c.sentences.height

    write_notebook(root / "explorer.ipynb",
                   f"import bio_explorer as bx\nex = bx.explore({str(path)!r})\nex")
    page = e2e_page
    page.set_default_timeout(60_000)
    try:
        open_and_run_all(page, f"{base}/lab/tree/explorer.ipynb?token={token}")
        view = page.locator(".bx-spanview").first
        view.locator(".bx-row").first.wait_for()
        assert kernel_value(page, "ex.span_view.query") == {}
        assert kernel_value(page, "ex.span_view.total_sentences") == total

        # ---- click the label chart's bar for LABEL
        labels_chart = page.locator(".bx-chartview").first  # charts.labels comes first
        wait_kernel(page, "ex.charts.labels.selection", [])
        # Vega-Lite describes each bar (aria-label) from its tooltip: "Label: Library; Spans: …"
        bar = labels_chart.locator(f"g.mark-rect path[aria-label*='Label: {LABEL};']").first
        _click_mark(page, bar)
        wait_kernel(page, "ex.span_view.query", {"labels": [LABEL]})
        want_rows = label_sents[:50]
        page.wait_for_function(
            "ids => { const r = [...document.querySelectorAll('.bx-spanview .bx-row')];"
            " return r.length === ids.length"
            " && r.every((x, i) => Number(x.dataset.sentence) === ids[i]); }",
            arg=want_rows,
        )
        rows = page.evaluate(_ROWS)
        assert [r["sentence"] for r in rows] == want_rows
        # every sentence shown has a LABEL span box (other labels of those sentences stay visible)
        missing = [r["sentence"] for r in rows if LABEL not in r["labels"]]
        assert not missing, missing
        assert kernel_value(page, "ex.span_view.matching_sentences") == len(label_sents)
        assert kernel_value(page, "ex.charts.labels.selection") == [{"label": LABEL}]

        # ---- clear, then click the invalid cell of the transition heat map
        page.locator(".bx-explorer button:has-text('Clear filter')").first.click()
        wait_kernel(page, "ex.span_view.query", {})
        expect(view.locator(".bx-row")).to_have_count(50)
        heat = page.locator(".bx-chartview").nth(1)  # charts.transitions
        outlined = heat.locator(f"g.mark-rect path[stroke='{INVALID_COLOR}' i]")
        # exactly one invalid cell, outlined (auto-waits: the chart is re-sent after the clear)
        expect(outlined).to_have_count(1)
        _click_mark(page, outlined.first)
        wait_kernel(page, "ex.span_view.query", {"transition": list(INVALID)})
        want_sents = c.filter(transition=INVALID).sentences["sentence"].to_list()
        page.wait_for_function(
            "ids => { const r = [...document.querySelectorAll('.bx-spanview .bx-row')];"
            " return r.length === ids.length"
            " && r.every((x, i) => Number(x.dataset.sentence) === ids[i]); }",
            arg=want_sents,
        )
        # show the raw tags under the tokens and check the transition at every highlighted token
        view.locator("button.bx-toggle:has-text('Tags')").click()
        view.locator(".bx-tok .bx-tag").first.wait_for()
        expect(view.locator(".bx-tok:not(:has(.bx-tag))")).to_have_count(0)
        rows = page.evaluate(_ROWS)
        assert rows, "no sentence shown for the invalid transition"
        for r in rows:
            tags = ["<s>"] + [t["tag"] for t in sorted(r["toks"], key=lambda t: t["pos"])]
            hl = [t["pos"] for t in r["toks"] if t["hl"]]
            assert hl, f"sentence {r['sentence']}: no highlighted token"
            for p in hl:  # tags[p] is the tag before token p, tags[p + 1] its own
                assert (tags[p], tags[p + 1]) == INVALID, (r["sentence"], p, tags)
        assert kernel_value(page, "ex.span_view.query['transition']") == list(INVALID)
        assert kernel_value(page, "ex.charts.transitions.selection") == [
            {"prev_tag": INVALID[0], "tag": INVALID[1]}]
        assert not page.bx_blocked, page.bx_blocked
    finally:
        screenshot(page, artifacts / "jupyterlab_explorer_links.png")
