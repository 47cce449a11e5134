"""Issues 16.4 / 15.11: a filter keeps one label order (chips, menu digits, label chart).

The span view is the real Python ``SpanView`` bridged into the page.  Before any filter the chips
follow the whole corpus's span counts; after filtering to a label the order must not move, and the
digit ``2`` of the relabel menu must still pick the second label of that order.
"""

from __future__ import annotations

import polars as pl
import pytest
from playwright.sync_api import expect

import bio_explorer as bx
from bio_explorer import charts as ch

pytestmark = pytest.mark.browser

_CHIPS = "#app .bx-lchip[data-label]"


def _whole_order(c):
    counts = c.spans.group_by("label").agg(pl.len().alias("n"))
    return counts.sort(["n", "label"], descending=[True, False])["label"].to_list()


def test_filter_keeps_chip_order_and_digit_shortcuts(connect_widget):
    c = bx.sample()
    order = _whole_order(c)
    view = bx.SpanView(c, page_size=10, journal=False)
    page = connect_widget(view)
    chips = page.locator(_CHIPS)
    expect(chips).to_have_count(len(order))
    for i, lab in enumerate(order):
        expect(chips.nth(i)).to_have_attribute("data-label", lab)

    # filter to a label that is not the most frequent one: under the old code it moved first
    target = order[2]
    page.locator(f"{_CHIPS}[data-label='{target}']").click()
    expect(page.locator("#app .bx-count-line")).not_to_have_text(
        f"{len(c)} of {len(c)} sentences")
    assert view.query == {"labels": [target]}
    for i, lab in enumerate(order):
        expect(chips.nth(i)).to_have_attribute("data-label", lab)

    # digit 2 in the menu relabels as the second label of that same order
    span = page.locator(f"#app .bx-span[data-label='{target}']").first
    sentence = int(span.evaluate("el => el.closest('.bx-row').dataset.sentence"))
    start = int(span.get_attribute("data-start"))
    span.click()
    current = page.locator(".bx-pop-span [role='menuitemradio'][aria-checked='true']")
    expect(current).to_be_focused()
    page.keyboard.press("2")
    want = order[1] if order[1] != target else order[0]
    expect(page.locator("#app .bx-status")).to_have_text(f"relabelled as {want}")
    got = c.spans.filter((pl.col("sentence") == sentence) & (pl.col("start") == start))
    assert got["label"].to_list() == [want]


def test_label_chart_order_is_the_whole_corpus_order_under_a_filter():
    c = bx.sample()
    order = _whole_order(c)
    filtered = c.filter(labels=[order[-1]])
    spec = ch.label_chart(filtered.label_counts(), base=c.label_counts()).to_dict()
    sorts = [layer["encoding"]["y"]["sort"] for layer in spec.get("layer", [spec])
             if "y" in layer.get("encoding", {})]
    assert sorts and all(s == order for s in sorts), sorts
