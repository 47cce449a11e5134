"""Steps shared by the browser tests that relabel through the span menu of a real ``SpanView``."""

from __future__ import annotations

from playwright.sync_api import expect


def relabel_through_menu(page, view, span) -> tuple[str, str]:
    """Click ``span`` and pick the first other label in its menu; returns (start, new label)."""
    label = span.get_attribute("data-label")
    start = span.get_attribute("data-start")
    span.click()
    target = next(d["label"] for d in view.label_chips if d["label"] != label)
    page.locator(".bx-pop-span [role='menuitemradio']", has_text=target).first.click()
    return start, target


def scrolled_to_sentence_12(page, view):
    """Make the list of every sentence a 260 px scroll box scrolled half-way, with sentence 12's
    first span in view; returns (the rows box, that span)."""
    rows = page.locator("#app .bx-rows")
    expect(page.locator("#app .bx-row")).to_have_count(len(view.corpus))
    rows.evaluate("el => { el.style.maxHeight = '260px'; el.style.overflowY = 'auto'; }")
    rows.evaluate("el => { el.scrollTop = el.scrollHeight / 2; }")
    span = page.locator("#app .bx-row[data-sentence='12'] .bx-span").first
    span.scroll_into_view_if_needed()
    return rows, span
