"""Issue 16.7: a relabel updates its row in place from the edit reply, with no page request.

Against the real Python ``SpanView`` bridged into the page (``connect_widget``), and with the
"manual" harness (the test delivers replies) for the order of replies: rows of an edit reply are
shown only while the page they were made for is on screen and no page request went out since.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from span_menu import relabel_through_menu, scrolled_to_sentence_12

import bio_explorer as bx

pytestmark = pytest.mark.browser

_PAGES = "bxHarness.sent.filter(m => m.kind === 'page').length"


def _pages(page) -> int:
    return page.evaluate(_PAGES)


def test_relabel_updates_the_row_without_a_page_request_or_a_scroll(connect_widget):
    view = bx.SpanView(bx.sample(), journal=False)
    view.anomaly_refresh_delay = 600.0  # the background refresh runs at wait_idle() only
    page = connect_widget(view)
    rows, span = scrolled_to_sentence_12(page, view)
    page.locator("#app .bx-row").evaluate_all("rs => rs.forEach(r => r.dataset.mark = '1')")
    scroll = rows.evaluate("el => el.scrollTop")
    top = span.evaluate("el => el.getBoundingClientRect().top")
    asked = _pages(page)
    version = view._data_version
    start, target = relabel_through_menu(page, view, span)
    edited = page.locator(f"#app .bx-row[data-sentence='12'] .bx-span[data-start='{start}']")
    expect(edited).to_have_attribute("data-label", target)
    expect(page.locator("#app .bx-status")).to_have_text(f"relabelled as {target}")
    page.wait_for_function("v => bxHarness.get('_data_version') === v", arg=version + 1)
    # the trait bump has arrived and was covered by the reply's rows: nothing was asked
    assert _pages(page) == asked
    assert rows.evaluate("el => el.scrollTop") == scroll
    assert abs(edited.evaluate("el => el.getBoundingClientRect().top") - top) < 1
    # only the edited sentence was drawn again
    expect(page.locator("#app .bx-row:not([data-mark])")).to_have_count(1)
    expect(page.locator("#app .bx-row[data-sentence='12']:not([data-mark])")).to_have_count(1)
    # a later change the rows are not current for (the background anomaly refresh) asks again
    view.wait_idle()
    page.wait_for_function(f"n => {_PAGES} > n", arg=asked)
    expect(page.locator("#app .bx-row:not([data-mark])")).to_have_count(1)


def test_relabel_that_leaves_the_filter_refreshes_the_page(connect_widget):
    """Under a label filter, relabelling a sentence's only span of that label: the sentence no
    longer matches, the page is asked for again and the row leaves it (as before)."""
    corpus = bx.sample()
    view = bx.SpanView(corpus, journal=False)
    view.anomaly_refresh_delay = 600.0
    counts = corpus.spans.group_by("sentence", "label").len()
    one = counts.filter(counts["len"] == 1).sort("sentence").row(0, named=True)
    label, sid = one["label"], one["sentence"]
    page = connect_widget(view)
    page.locator(f"#app .bx-lchip[data-label='{label}']").click()
    row = page.locator(f"#app .bx-row[data-sentence='{sid}']")
    expect(row).to_have_count(1)
    n = view.matching_sentences
    expect(page.locator("#app .bx-position")).to_have_text(f"sentences 1–{n} of {n}")
    asked = _pages(page)
    relabel_through_menu(page, view, row.locator(f".bx-span[data-label='{label}']"))
    expect(row).to_have_count(0)
    assert _pages(page) == asked + 1
    expect(page.locator("#app .bx-position")).to_have_text(f"sentences 1–{n - 1} of {n - 1}")


def _sentence(n, tokens, spans=()):
    return {"sentence": n, "source": "train.txt", "line": n, "doc": 0, "tokens": list(tokens),
            "tags": ["O"] * len(tokens), "spans": [list(s) for s in spans], "anomalies": [],
            "highlight": [], "edited": []}


_LABELS = [{"label": "Library", "color": "#4e79a7", "count": 2},
           {"label": "Language", "color": "#e15759", "count": 0}]


def _page(id_, sentences, total=60, offset=0):
    return {"kind": "page", "id": id_, "offset": offset, "limit": 50, "total": total,
            "sentences": sentences}


def _show_two_rows_and_relabel(harness, total: int):
    """Mount the span view with the manual harness, answer its first page request with two
    sentences (of ``total``), and relabel sentence 0's span as Language through its menu;
    returns (that page's request id, its rows, the edit message sent)."""
    harness.evaluate("t => bxHarness.mount(t, 'manual')",
                     {"_labels": _LABELS, "total_sentences": total, "matching_sentences": total})
    first = harness.evaluate("bxHarness.sent")[0]["id"]
    rows = [_sentence(0, ["PyTorch", "is", "fast"], [(0, 1, "Library")]),
            _sentence(1, ["NumPy", "too"], [(0, 1, "Library")])]
    harness.evaluate("m => bxHarness.receive(m)", _page(first, rows, total=total))
    harness.locator("#app .bx-row[data-sentence='0'] .bx-span").click()
    harness.locator(".bx-pop-span [role='menuitemradio']", has_text="Language").click()
    edit = next(m for m in harness.evaluate("bxHarness.sent") if m["kind"] == "edit")
    return first, rows, edit


def test_rows_of_an_edit_reply_are_dropped_once_a_page_request_went_out(harness):
    first, rows, edit = _show_two_rows_and_relabel(harness, total=60)
    span = harness.locator("#app .bx-row[data-sentence='0'] .bx-span")
    assert edit["view"] == {"id": first, "query": {}, "offset": 0, "sentences": [0, 1]}
    new_rows = [_sentence(0, ["PyTorch", "is", "fast"], [(0, 1, "Language")]), rows[1]]
    reply = {"kind": "edit", "id": edit["id"], "ok": True, "message": "relabelled as Language",
             "view": first, "rows": new_rows, "version": 1}
    # the user pages on before the reply arrives: its rows are not drawn
    harness.get_by_role("button", name="Next page").click()
    harness.wait_for_function(f"{_PAGES} === 2")
    harness.evaluate("m => bxHarness.receive(m)", reply)
    expect(harness.locator("#app .bx-status")).to_have_text("relabelled as Language")
    expect(span).to_have_attribute("data-label", "Library")
    # the newer page decides
    second = [m for m in harness.evaluate("bxHarness.sent") if m["kind"] == "page"][1]["id"]
    harness.evaluate("m => bxHarness.receive(m)",
                     _page(second, [_sentence(50, ["later"])], offset=50))
    expect(harness.locator("#app .bx-row")).to_have_count(1)
    expect(harness.locator("#app .bx-row[data-sentence='50']")).to_have_count(1)


def test_rows_of_an_edit_reply_cover_their_data_version_only(harness):
    first, rows, edit = _show_two_rows_and_relabel(harness, total=2)
    new_rows = [_sentence(0, ["PyTorch", "is", "fast"], [(0, 1, "Language")]), rows[1]]
    harness.evaluate("m => bxHarness.receive(m)", {
        "kind": "edit", "id": edit["id"], "ok": True, "message": "ok", "view": first,
        "rows": new_rows, "version": 1})
    span = harness.locator("#app .bx-row[data-sentence='0'] .bx-span")
    expect(span).to_have_attribute("data-label", "Language")
    # the bump the reply's rows are current for asks nothing (a request goes out in a microtask:
    # counted after a macrotask); a later change asks again
    bump = f"""async (v) => {{
      bxHarness.set('_data_version', v);
      await new Promise((r) => setTimeout(r, 0));
      return {_PAGES};
    }}"""
    assert harness.evaluate(bump, 1) == 1
    assert harness.evaluate(bump, 2) == 2
