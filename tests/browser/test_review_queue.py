"""The span view's "Review" mode against the real Python ``SpanView`` (issue 13 item 4).

The queue is a hand-made suspects frame on the bundled sample (4 suspects after one duplicate is
merged), so every count below is known.  Keys a / r / e / j / k, the counter, the decisions reaching
Python, and "Reviewed sentences" are checked with auto-waiting ``expect`` assertions.
"""

from __future__ import annotations

import re

import polars as pl
import pytest

pytestmark = pytest.mark.browser

expect = pytest.importorskip("playwright.sync_api").expect

ROWS = [
    (0, 0, 1, "PyTorch", "Algorithm", "Library", 0, 1, 0.9, "cross_check",
     "a tagger trained on the other folds says Library (p = 0.90)"),
    (0, 5, 6, "framework", "Architecture", "O", 5, 6, 0.8, "consistency",
     "'framework' is O in 3 other places"),
    (2, 14, 15, "PyTorch", "Algorithm", "Library", 14, 15, 0.7, "consistency",
     "'PyTorch' is Library in 2 of 3 other places"),
    (3, 5, 7, "deep learning", "Algorithm", "Application", 5, 7, 0.5, "cross_check",
     "a tagger trained on the other folds says Application (p = 0.61)"),
]
SCHEMA = {"sentence": pl.UInt32, "start": pl.UInt32, "end": pl.UInt32, "text": pl.String,
          "label": pl.String, "suggestion": pl.String, "suggest_start": pl.UInt32,
          "suggest_end": pl.UInt32, "score": pl.Float64, "finder": pl.String,
          "evidence": pl.String}


@pytest.fixture
def view():
    bx = pytest.importorskip("bio_explorer")
    from bio_explorer.review import set_suspects

    c = bx.sample()
    set_suspects(c, pl.DataFrame(ROWS, schema=SCHEMA, orient="row"))
    return bx.SpanView(c, page_size=10, journal=False)


def _label(view, sentence, start):
    sp = view.corpus.spans.filter((pl.col("sentence") == sentence) & (pl.col("start") == start))
    return sp["label"].to_list()


def test_review_queue_keys_counter_and_decisions(connect_widget, view, page_info):
    page = connect_widget(view)
    app = page.locator("#app")
    expect(app.locator(".bx-row").first).to_be_visible()
    counter = app.locator(".bx-review-counter")
    where = app.locator(".bx-review-where")

    app.locator(".bx-review-toggle").click()
    expect(counter).to_have_text("0 of 4 reviewed · 0 fixed")
    expect(where).to_have_text("suspect 1 of 4 left")
    expect(app.locator(".bx-review-what")).to_contain_text("PyTorch")
    expect(app.locator(".bx-review-evidence")).to_have_text(ROWS[0][10])
    # one sentence, the suspect highlighted; the span filter bar and pager are gone
    expect(app.locator(".bx-row")).to_have_count(1)
    expect(app.locator(".bx-row")).to_have_attribute("data-sentence", "0")
    expect(app.locator(".bx-tok.bx-hl")).to_have_text(["PyTorch"])
    expect(app.locator(".bx-filterbar")).to_be_hidden()
    assert view.review_mode is True

    # a: accept → the span is relabelled in Python and on the page; the next suspect shows
    page.keyboard.press("a")
    expect(counter).to_have_text("1 of 4 reviewed · 1 fixed")
    first_span = app.locator(".bx-row .bx-span[data-start='0']")
    expect(first_span).to_have_attribute("data-label", "Library")
    assert _label(view, 0, 0) == ["Library"]
    expect(app.locator(".bx-review-what")).to_contain_text("framework")
    expect(app.locator(".bx-review-what")).to_contain_text("no entity")

    # r: reject → nothing changes in the corpus
    page.keyboard.press("r")
    expect(counter).to_have_text("2 of 4 reviewed · 1 fixed")
    expect(where).to_have_text("suspect 1 of 2 left")
    assert _label(view, 0, 5) == ["Architecture"]
    assert view.corpus.reviews["decision"].to_list() == ["accept", "reject"]

    # j / k walk the pending suspects without deciding
    expect(app.locator(".bx-row")).to_have_attribute("data-sentence", "2")
    page.keyboard.press("j")
    expect(where).to_have_text("suspect 2 of 2 left")
    expect(app.locator(".bx-row")).to_have_attribute("data-sentence", "3")
    expect(app.locator(".bx-tok.bx-hl")).to_have_text(["deep", "learning"])
    page.keyboard.press("j")  # at the end: stays
    expect(where).to_have_text("suspect 2 of 2 left")
    page.keyboard.press("k")
    expect(where).to_have_text("suspect 1 of 2 left")
    expect(app.locator(".bx-row")).to_have_attribute("data-sentence", "2")
    page.keyboard.press("j")
    expect(where).to_have_text("suspect 2 of 2 left")

    # e: the usual span menu; an edit of the suspect's sentence is its decision ("edit")
    page.keyboard.press("e")
    menu = app.locator(".bx-pop-span")
    expect(menu).to_be_visible()
    menu.get_by_role("menuitemradio", name=re.compile("^Device")).click()
    expect(counter).to_have_text("3 of 4 reviewed · 2 fixed")
    assert _label(view, 3, 5) == ["Device"]
    assert view.corpus.reviews["decision"].to_list() == ["accept", "reject", "edit"]

    # the last one, by the button; then nothing is left
    expect(where).to_have_text("suspect 1 of 1 left")
    app.locator(".bx-review-reject").click()
    expect(counter).to_have_text("4 of 4 reviewed · 2 fixed")
    expect(app.locator(".bx-review-empty")).to_contain_text("Nothing left to review")
    expect(app.locator(".bx-review-accept")).to_be_hidden()

    # "Reviewed sentences": back to the list, only the sentences a review touched
    app.locator(".bx-review button", has_text="Reviewed sentences").click()
    expect(app.locator(".bx-review")).to_be_hidden()
    expect(app.locator(".bx-row")).to_have_count(3)
    rows = app.locator(".bx-row")
    expect(rows.nth(0)).to_have_attribute("data-sentence", "0")
    expect(rows.nth(2)).to_have_attribute("data-sentence", "3")
    assert view.query == {"sentences": [0, 2, 3]} and view.review_mode is False
    assert not page_info.errors and not page_info.blocked


def test_review_query_from_python_filters_the_queue(connect_widget, view):
    page = connect_widget(view)
    app = page.locator("#app")
    expect(app.locator(".bx-row").first).to_be_visible()
    view.review(finders=["cross_check"])  # as a click in the Explorer's suspects chart does
    expect(app.locator(".bx-review-counter")).to_have_text("0 of 2 reviewed · 0 fixed")
    expect(app.locator(".bx-review-filter")).to_have_text("only finder cross_check")
    page.keyboard.press("j")  # focus is not in the widget: nothing happens
    app.locator(".bx-review-next").click()
    expect(app.locator(".bx-review-where")).to_have_text("suspect 2 of 2 left")
    expect(app.locator(".bx-review-meta")).to_contain_text("finder cross_check")
    view.review_query = {}
    expect(app.locator(".bx-review-counter")).to_have_text("0 of 4 reviewed · 0 fixed")
    expect(app.locator(".bx-review-where")).to_have_text("suspect 1 of 4 left")


def test_review_panel_follows_the_dark_theme(connect_widget, view):
    page = connect_widget(view)
    app = page.locator("#app")
    view.review()
    panel = app.locator(".bx-review")
    expect(panel).to_be_visible()
    light = panel.evaluate("el => getComputedStyle(el).backgroundColor")
    page.evaluate("document.getElementById('wrap').classList.add('dark')")
    expect(panel).to_have_css("background-color", "rgb(30, 30, 30)")  # --jp-layout-color1
    assert light != "rgb(30, 30, 30)"
    expect(app.locator(".bx-review-counter")).to_have_css("color", "rgba(255, 255, 255, 0.87)")


def test_a_failed_decision_is_shown_and_the_queue_goes_on(connect_widget, view):
    page = connect_widget(view)
    app = page.locator("#app")
    expect(app.locator(".bx-row").first).to_be_visible()
    app.locator(".bx-review-toggle").click()
    expect(app.locator(".bx-review-where")).to_have_text("suspect 1 of 4 left")
    # Python takes a new snapshot behind the page's back: the suspect shown is not in it
    view.review(pl.DataFrame(ROWS[2:], schema=SCHEMA, orient="row"))
    page.keyboard.press("a")
    expect(app.locator(".bx-error-text")).to_contain_text("not in the queue any more")
    assert view.corpus.reviews.height == 0 and view.corpus.unsaved == 0
    # the page shows what the new queue holds, and decisions go on
    expect(app.locator(".bx-review-counter")).to_have_text("0 of 2 reviewed · 0 fixed")
    expect(app.locator(".bx-row")).to_have_attribute("data-sentence", "2")
    page.keyboard.press("r")
    expect(app.locator(".bx-review-counter")).to_have_text("1 of 2 reviewed · 0 fixed")
    # "Find again" runs the real finders: the sample has no suspects
    app.locator(".bx-review button", has_text="Find again").click()
    empty = app.locator(".bx-review-empty")
    expect(empty).to_have_text("Nothing left to review (1 suspect reviewed).")
    expect(app.locator(".bx-review-counter")).to_have_text("1 of 1 reviewed · 0 fixed")
