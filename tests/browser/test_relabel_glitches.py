"""Issue 16.6: relabelling glitches, against the real Python ``SpanView`` bridged into the page.

* after a relabel the edited span stays where it was on screen (no scroll jump);
* the relabel-all preview says the occurrences are already that label instead of "0 occurrences";
* a bad regular expression clears the rows and shows the error (no rows of the old filter).
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from span_menu import relabel_through_menu, scrolled_to_sentence_12

import bio_explorer as bx

pytestmark = pytest.mark.browser

_TOP = ("s => document.querySelector(`#app .bx-row[data-sentence='${s}']`)"
        ".getBoundingClientRect().top")


@pytest.fixture
def view():
    return bx.SpanView(bx.sample(), journal=False)


def test_relabel_keeps_the_edited_span_in_place(view, connect_widget):
    page = connect_widget(view)
    _rows, span = scrolled_to_sentence_12(page, view)
    before = page.evaluate(_TOP, 12)
    start, target = relabel_through_menu(page, view, span)
    edited = page.locator(f"#app .bx-row[data-sentence='12'] .bx-span[data-start='{start}']")
    expect(edited).to_have_attribute("data-label", target)
    page.wait_for_function(f"Math.abs(({_TOP})(12) - {before}) < 2", timeout=5_000)


def test_preview_of_the_same_label_says_already(view, connect_widget):
    page = connect_widget(view)
    text = "PyTorch"
    span = page.locator("#app .bx-span[aria-label$=': PyTorch']").first
    label = span.get_attribute("data-label")
    n_same = view.corpus.spans.filter(
        (view.corpus.spans["text"] == text) & (view.corpus.spans["label"] == label)).height
    span.click()
    page.locator(".bx-pop-span [role='menuitem']", has_text="Apply to all").click()
    panel = page.locator(".bx-pop-span .bx-pcount")
    expect(panel).to_be_visible()
    # relabel-all to the label it already has: nothing to change, said so
    select = page.locator(".bx-pop-span select")
    select.select_option(label)
    expect(panel).to_have_text(re.compile(rf"^(All {n_same} occurrences of “{text}” are already "
                                          rf"{label}|.* \({n_same} already {label}\))$"))
    expect(panel).not_to_have_text(re.compile(r"^0 occurrences"))


def test_bad_regex_clears_rows_and_shows_the_error(view, connect_widget):
    page = connect_widget(view)
    expect(page.locator("#app .bx-row").first).to_be_visible()
    page.get_by_role("button", name="Regular expression").click()
    page.get_by_role("searchbox", name="Search tokens").fill("(torch")
    expect(page.locator("#app .bx-error")).to_be_visible()
    expect(page.locator("#app .bx-error")).to_contain_text("torch")
    expect(page.locator("#app .bx-row")).to_have_count(0)
    expect(page.locator("#app .bx-empty-title")).to_have_text("This filter cannot run.")
    with pytest.raises(ValueError):
        _ = view.filtered
    # a good pattern brings rows back
    page.get_by_role("searchbox", name="Search tokens").fill("torch")
    expect(page.locator("#app .bx-row").first).to_be_visible()


def _relabel_then_undo(view, page):
    """Relabel the first span of sentence 0 through its menu, then Ctrl+Z; returns the span's
    label, the label it was briefly given, and a locator of that span."""
    span = page.locator("#app .bx-row[data-sentence='0'] .bx-span").first
    label = span.get_attribute("data-label")
    start, target = relabel_through_menu(page, view, span)
    edited = page.locator(f"#app .bx-row[data-sentence='0'] .bx-span[data-start='{start}']")
    expect(edited).to_have_attribute("data-label", target)
    page.keyboard.press("Control+z")
    expect(edited).to_have_attribute("data-label", label)
    return label, target, edited


def test_menu_opens_after_undo_then_chip_click(view, connect_widget):
    page = connect_widget(view)
    label, _target, _edited = _relabel_then_undo(view, page)
    page.locator(f"#app .bx-lchip[data-label='{label}']").click()
    expect(page.locator("#app .bx-lchip[data-label='" + label + "']")).to_have_attribute(
        "aria-pressed", "true")
    first = page.locator(f"#app .bx-span[data-label='{label}']").first
    first.click()
    expect(page.locator(".bx-pop-span")).to_be_visible()


def _hold_pages(view):
    """Keep the page requests of ``view`` waiting (a busy kernel) until ``release()``."""
    held: list[dict] = []
    state = {"on": True}
    handle = view.handle_request

    def handler(msg, buffers=None):
        if state["on"] and isinstance(msg, dict) and msg.get("kind") == "page":
            held.append(msg)
            return
        handle(msg, buffers)

    def release():
        state["on"] = False
        for msg in held:
            handle(msg)
        held.clear()

    view.handle_request = handler
    state["on"] = False
    return state, release


def test_menu_opened_before_the_filtered_page_arrives_stays_open(view, connect_widget):
    """16.6 "the first click on a span after Ctrl+Z then a chip click opens no menu": after an
    undo the kernel is busy (charts, header, anomaly scan), so the chip's page comes late; the
    user clicks a span of the rows still shown, its menu opens, and the page reply that arrives
    next redrew the rows and closed the menu.  The menu must stay open on the same span, which
    the new page shows too, and act on it."""
    hold, release = _hold_pages(view)
    page = connect_widget(view)
    label, target, edited = _relabel_then_undo(view, page)
    n_all = len(view.corpus)
    expect(page.locator("#app .bx-position")).to_have_text(f"sentences 1–{n_all} of {n_all}")
    hold["on"] = True  # the chip's page request waits
    page.locator(f"#app .bx-lchip[data-label='{label}']").click()
    expect(page.locator(f"#app .bx-lchip[data-label='{label}']")).to_have_attribute(
        "aria-pressed", "true")
    edited.click()  # a span of the rows still on screen
    menu = page.locator(".bx-pop-span")
    expect(menu).to_be_visible()
    n = view.matching_sentences
    assert n < n_all
    release()
    expect(page.locator("#app .bx-position")).to_have_text(f"sentences 1–{n} of {n}")
    expect(menu).to_be_visible()
    expect(page.locator("#app .bx-span.bx-menu-open")).to_have_count(1)
    menu.locator("[role='menuitemradio']", has_text=target).first.click()
    expect(edited).to_have_attribute("data-label", target)
    expect(page.locator("#app .bx-status")).to_have_text(f"relabelled as {target}")


def test_edit_updates_in_place_without_a_second_redraw(view, connect_widget):
    """Issue 16.7: after an edit only the edited row is rebuilt, and the background anomaly
    refresh that follows (a second page request) rebuilds nothing that did not change."""
    view.anomaly_refresh_delay = 600.0  # the refresh runs at wait_idle(), however slow the machine
    page = connect_widget(view)
    rows = page.locator("#app .bx-row")
    n = len(view.corpus)
    expect(rows).to_have_count(n)
    marked = page.locator("#app .bx-row[data-mark]")
    rows.evaluate_all("rs => rs.forEach(r => r.setAttribute('data-mark', '1'))")
    expect(marked).to_have_count(n)
    span = page.locator("#app .bx-row[data-sentence='3'] .bx-span").first
    start, target = relabel_through_menu(page, view, span)
    edited = page.locator(f"#app .bx-row[data-sentence='3'] .bx-span[data-start='{start}']")
    expect(edited).to_have_attribute("data-label", target)
    expect(marked).to_have_count(n - 1)  # only the edited sentence was drawn again
    expect(page.locator("#app .bx-row[data-sentence='3'][data-mark]")).to_have_count(0)
    requests = len([m for m in page.evaluate("bxHarness.sent") if m["kind"] == "page"])
    view.wait_idle()  # the background recomputation of the global anomaly kinds: a new page
    page.wait_for_function(
        "n => bxHarness.sent.filter(m => m.kind === 'page').length > n", arg=requests)
    expect(page.locator("#app .bx-position")).to_have_text(f"sentences 1–{n} of {n}")
    expect(marked).to_have_count(n - 1)
