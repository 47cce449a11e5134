"""Issue 15.7: a notebook saved with the Explorer's widget state is small, readable without kernel.

The widget state is what JupyterLab writes into a notebook's metadata on save
(``Widget.get_manager_state()``): the Explorer is built, its span view answers the front end's first
page request (as in a live notebook), and the state is written into a notebook file.  The chart
bundle (~0.9 MB) must be in it once, not once per chart.  Then the span view is mounted in the
browser with only that saved state and nothing answering its messages (a static view): it shows
the saved sentences and says there is no kernel instead of "Loading…".
"""

from __future__ import annotations

import json
import re

import ipywidgets as w
import pytest
from playwright.sync_api import expect

import bio_explorer as bx

pytestmark = pytest.mark.browser

BUNDLE_CHARS = 800_000  # the chart bundle is ~883 KB


def _saved_notebook(tmp_path):
    ex = bx.explore(bx.sample())
    view = ex.span_view
    view.handle_request({"kind": "page", "id": "p0", "query": {}, "offset": 0, "limit": 50})
    ex.wait()
    state = w.Widget.get_manager_state(drop_defaults=False)
    nb = {"cells": [], "nbformat": 4, "nbformat_minor": 5,
          "metadata": {"widgets": {"application/vnd.jupyter.widget-state+json": state}}}
    path = tmp_path / "saved.ipynb"
    path.write_text(json.dumps(nb), encoding="utf-8")
    models = {mid: m["state"] for mid, m in state["state"].items()}
    span_state = models[view.model_id]
    return path, models, span_state, [ex.charts[n].model_id for n, _ in ex.charts.items()]


def test_saved_notebook_ships_the_chart_bundle_once(tmp_path):
    w.Widget.close_all()
    path, models, _span, chart_ids = _saved_notebook(tmp_path)
    big = [mid for mid in chart_ids if len(models[mid].get("_esm", "")) > BUNDLE_CHARS]
    assert len(big) == 1, f"{len(big)} of {len(chart_ids)} chart models carry the whole bundle"
    size = path.stat().st_size
    assert size < 1_500_000, f"saved notebook is {size:,} bytes"
    w.Widget.close_all()


def test_static_view_shows_saved_text_and_says_no_kernel(tmp_path, harness, page_info):
    w.Widget.close_all()
    _path, _models, span, _charts = _saved_notebook(tmp_path)
    w.Widget.close_all()
    saved = span["_first_page"]
    assert saved["sentences"], "the first page is not in the widget state"
    traits = {k: v for k, v in span.items() if not k.startswith("_model") and
              not k.startswith("_view") and k not in ("_esm", "_css", "layout")}
    traits["_page_timeout_ms"] = 400  # nothing will answer: give up quickly
    harness.evaluate("([t]) => bxHarness.mount(t, 'manual')", [traits])
    first = " ".join(saved["sentences"][0]["tokens"])
    row = harness.locator("#app .bx-row").first
    expect(row).to_have_attribute("data-sentence", str(saved["sentences"][0]["sentence"]))
    words = [t for t in first.split() if t.isalpha()][:3]
    for word in words:
        expect(row).to_contain_text(word)
    position = harness.locator("#app .bx-position")
    expect(position).to_have_text(re.compile("No kernel"), timeout=10_000)
    expect(harness.locator("#app .bx-error")).to_contain_text("did not answer")
    expect(harness.locator("#app .bx-error .bx-retry")).to_be_visible()
    assert page_info.blocked == []


def test_unanswered_page_request_is_retried_then_reported(harness):
    harness.evaluate("() => bxHarness.mount({_page_timeout_ms: 300}, 'manual')")
    expect(harness.locator("#app .bx-error")).to_contain_text("did not answer", timeout=10_000)
    reqs = [m for m in harness.evaluate("bxHarness.sent") if m["kind"] == "page"]
    assert len(reqs) == 3 and len({r["id"] for r in reqs}) == 1  # sent, then retried twice
    expect(harness.locator("#app .bx-position")).to_have_text("No kernel answer")
    # Retry asks again; an answer clears the message
    harness.locator("#app .bx-error .bx-retry").click()
    expect(harness.locator("#app .bx-error")).to_be_hidden()
    rid = harness.evaluate("bxHarness.lastPageRequest().id")
    harness.evaluate(
        """id => bxHarness.receive({kind: 'page', id, offset: 0, limit: 50, total: 1, sentences: [
             {sentence: 0, source: 'a.txt', line: 1, doc: 0, tokens: ['Hello'], tags: ['O'],
              spans: [], anomalies: [], highlight: [], edited: []}]})""", rid)
    expect(harness.locator("#app .bx-position")).to_have_text("sentences 1–1 of 1")
    expect(harness.locator("#app .bx-row")).to_have_count(1)
