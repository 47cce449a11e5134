"""The span view against the real Python ``SpanView`` (bridged through the harness page)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser
expect = pytest.importorskip("playwright.sync_api").expect


@pytest.fixture
def widget():
    bx = pytest.importorskip("bio_explorer")
    widget_mod = pytest.importorskip("bio_explorer.widget")
    return widget_mod.SpanView(bx.sample(), page_size=10)


def test_real_widget_pages_filters_and_edits(connect_widget, widget, page_info):
    page = connect_widget(widget)
    page.wait_for_selector("#app .bx-row")
    total = widget.total_sentences
    expect(page.locator("#app .bx-row")).to_have_count(min(10, total))
    expect(page.locator("#app .bx-count-line")).to_have_text(f"{total} of {total} sentences")

    # a label chip filters in Python
    label = widget.label_chips[0]["label"]
    page.click(f"#app .bx-lchip[data-label='{label}']")
    page.wait_for_function(
        "n => !document.querySelector('#app .bx-count-line').textContent.startsWith(n + ' of')",
        arg=total,
    )
    assert widget.query == {"labels": [label]}
    rows = page.locator("#app .bx-row")
    expect(rows).to_have_count(min(10, widget.matching_sentences))

    # relabel a span through the menu; the Python corpus changes and the view re-renders
    span = page.locator(f"#app .bx-span[data-label='{label}']").first
    sentence = int(span.evaluate("el => el.closest('.bx-row').dataset.sentence"))
    start = int(span.get_attribute("data-start"))
    target = next(item["label"] for item in widget.label_chips if item["label"] != label)
    span.click()
    page.locator(
        f"#app .bx-pop-span [role='menuitemradio'][aria-checked='false']:has-text('{target}')"
    ).first.click()
    page.wait_for_function(
        "([s, st, t]) => document.querySelector("
        "`#app .bx-row[data-sentence='${s}'] .bx-span[data-start='${st}']`)"
        "?.dataset.label === t",
        arg=[sentence, start, target],
    )
    spans = widget.corpus.spans
    row = spans.filter((spans["sentence"] == sentence) & (spans["start"] == start)).to_dicts()
    assert row and row[0]["label"] == target
    assert widget._status["unsaved"] == 1
    page.wait_for_function(
        "document.querySelector('#app .bx-unsaved').textContent === '1 unsaved edit'"
    )

    # its menu offers "apply to all N occurrences": N = spans of the whole corpus with that text
    text = row[0]["text"]
    n = spans.filter(spans["text"] == text).height
    page.click(f"#app .bx-row[data-sentence='{sentence}'] .bx-span[data-start='{start}']")
    item = page.locator("#app .bx-pop-span .bx-mi-applyall")
    expect(item).to_have_attribute("data-count", str(n))
    if n > 1:
        expect(item).to_have_text(f"Apply to all {n:,} occurrences of this text…")
    page.keyboard.press("Escape")

    # Ctrl+Z undoes it in Python
    page.click("#app .bx-row .bx-gutter")
    page.keyboard.press("Control+z")
    page.wait_for_function(
        "document.querySelector('#app .bx-unsaved').textContent === 'No unsaved edits'"
    )
    spans = widget.corpus.spans
    assert (
        spans.filter((spans["sentence"] == sentence) & (spans["start"] == start))["label"][0]
        == label
    )
    expect(page.locator("#app .bx-error")).to_be_hidden()
    assert page_info.blocked == []
