"""The Explorer in a marimo app, in a real browser: a chart click filters the span view.

``marimo run`` serves an app whose cell ends with ``bx.explore(<stackoverflow_ner/test.txt>)``.
marimo shows anywidgets but not ipywidgets boxes, so the Explorer displays through its
``_display_`` hook as marimo stacks of its linked anywidget parts.  The test clicks the label
chart's bar for ``Library`` and checks, against polars on the file's spans, that the span view
shows exactly the matching sentences and that the header reports the filter; then "Clear filter".
"""

from __future__ import annotations

import polars as pl
import pytest
from playwright.sync_api import expect

import bio_explorer as bx
from bio_explorer.explorer import CHART_NAMES

pytestmark = [pytest.mark.e2e, pytest.mark.browser, pytest.mark.shared]

LABEL = "Library"

APP = '''
import marimo

app = marimo.App()


@app.cell
def _():
    import bio_explorer as bx

    ex = bx.explore({path!r})
    ex
    return (ex,)


if __name__ == "__main__":
    app.run()
'''


def _click_mark(page, locator) -> None:
    box = locator.bounding_box()
    assert box and box["width"] > 0 and box["height"] > 0, box
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)


def test_explorer_in_marimo_links_chart_and_span_view(shared_corpora, marimo_app, e2e_page):
    path = (shared_corpora / "stackoverflow_ner" / "test.txt").resolve()
    c = bx.read(path)
    sents = c.spans.filter(pl.col("label") == LABEL)["sentence"].unique().sort().to_list()
    total = c.sentences.height

    url = marimo_app(APP.format(path=str(path)))
    page = e2e_page
    page.set_default_timeout(90_000)
    page.goto(url)
    slow = 90_000  # the first display imports the package and computes the charts

    header = page.locator(".bx-headerview")
    expect(header).to_contain_text(f"{total:,} sentences", timeout=slow)
    expect(page.locator(".bx-spanview .bx-row")).to_have_count(50, timeout=slow)
    expect(page.locator(".bx-chartview")).to_have_count(len(CHART_NAMES), timeout=slow)
    bar = page.locator(".bx-chartview").first.locator(
        f"g.mark-rect path[aria-label*='Label: {LABEL};']").first
    expect(bar).to_be_visible(timeout=slow)
    _click_mark(page, bar)

    note = header.locator(".bx-filter-note")
    expect(note).to_contain_text(f"filter: {len(sents):,} of {total:,} sentences",
                                 timeout=30_000)
    rows = page.locator(".bx-spanview .bx-row")
    expect(rows).to_have_count(min(50, len(sents)))
    expect(rows.first).to_have_attribute("data-sentence", str(sents[0]))
    expect(rows.nth(min(50, len(sents)) - 1)).to_have_attribute(
        "data-sentence", str(sents[min(50, len(sents)) - 1]))
    # every row shown has a span box of the clicked label
    expect(page.locator(f".bx-spanview .bx-row:not(:has(.bx-span[data-label='{LABEL}']))")
           ).to_have_count(0)

    header.locator("button:has-text('Clear filter')").click()
    expect(note).to_have_count(0)
    expect(rows).to_have_count(50)
    expect(rows.first).to_have_attribute("data-sentence", "0")
    assert not page.bx_blocked, page.bx_blocked
    assert not page.bx_errors, page.bx_errors
