"""The Explorer on a LazyCorpus in the browser: its span view shows rows, its charts draw.

The Python Explorer runs on a LazyCorpus of CoNLL-2003 valid (several Parquet parts); its span
view is the real widget bridged into the harness page, and each chart's spec is mounted in the
harness's chart view (the bundled vega-embed, offline).
"""

from __future__ import annotations

import shutil

import pytest
from playwright.sync_api import expect

import bio_explorer as bx

pytestmark = [pytest.mark.browser, pytest.mark.shared]


@pytest.fixture
def lazy_ex(shared_corpora, tmp_path):
    src = tmp_path / "valid.txt"
    shutil.copyfile(shared_corpora / "conll2003" / "valid.txt", src)
    lazy = bx.scan(src, tmp_path / "ds", part_mb=0.2)
    explorer = bx.explore(lazy, page_size=20, progress=False)
    assert explorer.wait(timeout=120)
    return explorer


def _mount_chart(page, spec: dict) -> None:
    # not awaited by evaluate(): with exposed functions on the page, chromium garbage collects
    # the promise of the module import (as in tests/e2e/test_harness_bridge.py)
    page.evaluate("""s => { window.bxMounted = null;
        bxHarness.mountChart(s).then(() => { window.bxMounted = "ok"; },
                                     e => { window.bxMounted = String(e); }); }""", spec)
    page.wait_for_function("window.bxMounted !== null")
    assert page.evaluate("window.bxMounted") == "ok"


def test_lazy_explorer_renders_rows_and_charts(lazy_ex, connect_widget, page_info):
    view = lazy_ex.span_view
    page = connect_widget(view)
    rows = page.locator("#app .bx-row")
    expect(rows).to_have_count(20)
    total = view.total_sentences
    expect(page.locator("#app .bx-count-line")).to_have_text(f"{total:,} of {total:,} sentences"
                                                             if total >= 1000 else
                                                             f"{total} of {total} sentences")
    expect(rows.first.locator(".bx-span").first).to_be_visible()

    # a label chip filters through the lazy pushdown query
    page.click("#app .bx-lchip[data-label='MISC']")
    expect(page.locator("#app .bx-row .bx-span[data-label='MISC']").first).to_be_visible()
    assert view.query == {"labels": ["MISC"]}
    assert 0 < view.matching_sentences < total

    # every chart draws from the merged aggregates; the one not available says so
    for name in ("labels", "transitions", "lengths", "anomalies"):
        _mount_chart(page, lazy_ex.charts[name].spec)
        expect(page.locator("#chart svg .mark-rect path").first).to_be_visible()
    _mount_chart(page, lazy_ex.charts.inconsistencies.spec)
    expect(page.locator("#chart svg")).to_contain_text("not available on a LazyCorpus")
    assert not page_info.errors, page_info.errors
    assert not page_info.blocked, page_info.blocked
