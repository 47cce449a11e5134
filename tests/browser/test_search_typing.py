"""Searching while typing: the newest query wins, whatever order the replies arrive in.

Typed key by key (slower than the search debounce, so each prefix sends its own page request),
then the replies are delivered out of order: a reply to an older query never replaces the rows of
the newest one.  The same typing against the real Python ``SpanView`` ends on the page Python
computes for the whole word.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser
sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect


def _mount_manual(page) -> None:
    page.evaluate("bxHarness.mount({}, 'manual')")


def _page_requests(page) -> list[dict]:
    return page.evaluate("bxHarness.sent.filter(m => m.kind === 'page')")


def _wait_request(page, text: str) -> dict:
    """Wait until a page request for the search ``text`` is sent; return it."""
    page.wait_for_function(
        "t => bxHarness.sent.some(m => m.kind === 'page' && (m.query || {}).text === t)",
        arg=text)
    return next(m for m in _page_requests(page) if m["query"].get("text") == text)


def _reply(page, request: dict, sid: int, word: str) -> None:
    page.evaluate("m => bxHarness.receive(m)", {
        "kind": "page", "id": request["id"], "offset": 0, "limit": 50, "total": 1,
        "sentences": [{"sentence": sid, "source": "train.txt", "line": 1, "doc": 0,
                       "tokens": [word], "tags": ["O"], "spans": [], "span_counts": [],
                       "anomalies": [], "highlight": [0], "edited": []}]})


def _shown(page, sid: int) -> None:
    rows = page.locator("#app .bx-row")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-sentence", str(sid))


@pytest.mark.parametrize("order", ["newest first", "newest last"])
def test_typing_fast_the_newest_query_wins(harness, order):
    _mount_manual(harness)
    _reply(harness, _page_requests(harness)[0], 0, "start")
    _shown(harness, 0)
    box = harness.get_by_role("searchbox", name="Search tokens")
    box.press_sequentially("fi", delay=20)
    older = _wait_request(harness, "fi")
    box.press_sequentially("le", delay=20)
    newest = _wait_request(harness, "file")
    assert newest["id"] != older["id"]
    if order == "newest first":
        _reply(harness, newest, 2, "file")
        _shown(harness, 2)
        _reply(harness, older, 1, "fi")  # the slow reply to the older query arrives last
    else:
        _reply(harness, older, 1, "fi")  # answered after "file" was asked: dropped too
        _reply(harness, newest, 2, "file")
    # a marker reply to the newest id: once it is drawn, the replies above were handled
    _reply(harness, newest, 3, "file")
    _shown(harness, 3)
    expect(box).to_have_value("file")
    assert harness.evaluate("bxHarness.get('query')") == {"text": "file"}


def test_typing_against_python_ends_on_the_page_of_the_whole_word(connect_widget):
    bx = pytest.importorskip("bio_explorer")
    widget_mod = pytest.importorskip("bio_explorer.widget")
    view = widget_mod.SpanView(bx.sample(), page_size=10, journal=False)
    page = connect_widget(view)
    page.wait_for_selector("#app .bx-row")
    word = "learning"
    want = view.corpus.filter(text=word)
    assert 0 < len(want) < view.total_sentences
    box = page.get_by_role("searchbox", name="Search tokens")
    box.press_sequentially(word[:3], delay=150)  # slower than the debounce: a request per key
    box.press_sequentially(word[3:], delay=0)
    ids = want.sentences["sentence"].head(10).to_list()
    rows = page.locator("#app .bx-row")
    expect(rows).to_have_count(len(ids))
    for i, sid in enumerate(ids):
        expect(rows.nth(i)).to_have_attribute("data-sentence", str(sid))
    expect(page.locator("#app .bx-count-line")).to_have_text(
        f"{len(want)} of {view.total_sentences} sentences")
    assert view.query == {"text": word}


def test_a_filter_change_sends_its_page_request_before_redrawing_the_chips(harness):
    harness.evaluate("bxHarness.mount({}, 'fake')")
    harness.wait_for_selector("#app .bx-row")
    # when the chips are rebuilt for the new query, its page request has already been sent
    harness.evaluate("""() => {
      window.__sentAtChips = [];
      new MutationObserver(() => window.__sentAtChips.push(
        bxHarness.sent.filter(m => m.kind === 'page').map(m => m.query)))
        .observe(document.querySelector('#app .bx-legend'), {childList: true});
    }""")
    harness.locator("#app .bx-lchip[data-label='Library']").click()
    harness.wait_for_function("window.__sentAtChips.length > 0")
    first = harness.evaluate("window.__sentAtChips[0]")
    assert first[-1] == {"labels": ["Library"]}


def test_counts_that_follow_a_page_reply_are_drawn_after_its_rows(harness):
    _mount_manual(harness)
    first = _page_requests(harness)[0]
    count = harness.locator("#app .bx-count-line")
    total = harness.evaluate("bxHarness.get('total_sentences')")
    # counts alone (no page just drawn): the filter bar follows at once
    now = harness.evaluate("""n => { bxHarness.set('matching_sentences', n);
        return document.querySelector('#app .bx-count-line').textContent; }""", 7)
    assert now.startswith("7 of")
    # a page reply, then its counts in the same task (as a kernel sends them): the rows are drawn
    # at once, the count line once the rows are on screen
    reply = {"kind": "page", "id": first["id"], "offset": 0, "limit": 50, "total": 1,
             "sentences": [{"sentence": 4, "source": "train.txt", "line": 1, "doc": 0,
                            "tokens": ["x"], "tags": ["O"], "spans": [], "span_counts": [],
                            "anomalies": [], "highlight": [], "edited": []}]}
    seen = harness.evaluate("""m => { bxHarness.receive(m); bxHarness.set('matching_sentences', 1);
        return [document.querySelectorAll('#app .bx-row').length,
                document.querySelector('#app .bx-count-line').textContent]; }""", reply)
    assert seen[0] == 1 and seen[1].startswith("7 of")
    expect(count).to_have_text(f"1 of {total:,} sentences")
