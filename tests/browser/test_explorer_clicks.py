"""Issue 16.5: chart clicks select exactly what they count, and mark it.

The Explorer runs in Python on the stackoverflow test file; its span view is the real widget bridged
into the page.  A chart click is its ``selection`` trait (the browser → trait path is covered by the
chart tests); what the span view then shows is read from the DOM.  Expected values come from
``Corpus.anomalies()`` / ``inconsistencies(occurrences=True)``, not from the widget.
"""

from __future__ import annotations

import polars as pl
import pytest
from playwright.sync_api import expect

import bio_explorer as bx

pytestmark = [pytest.mark.browser, pytest.mark.shared]


@pytest.fixture
def ex(shared_corpora):
    c = bx.read(shared_corpora / "stackoverflow_ner" / "test.txt")
    explorer = bx.explore(c, page_size=200)
    assert explorer.wait(timeout=120)
    return explorer


def test_anomaly_bar_shows_and_marks_exactly_its_occurrences(ex, connect_widget):
    found = ex.corpus.anomalies()
    bars = (found.filter(pl.col("label").is_not_null())
            .group_by("kind", "label").agg(pl.len().alias("n"), pl.col("sentence").n_unique()
                                            .alias("sents"))
            .sort("n", "kind", "label", descending=[True, False, False]))
    kind, label, n, sents = bars.filter(pl.col("kind") == "inconsistent_label").row(0)
    # the old filter ("has label" AND "has any anomaly of the kind") selected more sentences
    old = ex.corpus.filter(labels=[label], anomaly=[kind])
    assert len(old) > sents, (len(old), sents)
    page = connect_widget(ex.span_view)
    ex.charts.anomalies.selection = [{"kind": kind, "label": label}]
    assert ex.span_view.query == {"anomaly": [f"{kind}:{label}"]}
    expect(page.locator("#app .bx-row")).to_have_count(sents)
    expect(page.locator("#app .bx-anom-hit")).to_have_count(n)  # the bar's count, each marked
    expect(page.locator("#app .bx-row .bx-tok.bx-hl").first).to_be_visible()


def test_inconsistency_row_shows_untagged_dissenter_and_applies_majority(ex, connect_widget):
    occ = ex.corpus.inconsistencies(occurrences=True)
    untagged = occ.filter((pl.col("kind") == "unlabelled_mention")
                          & (pl.col("end") - pl.col("start") == 1))
    # one whose sentence has no tagged span of the same text (a span search would miss it)
    untagged = untagged.join(ex.corpus.spans.select("sentence", "text"), on=["sentence", "text"],
                             how="anti")
    sentence, start, _end, text, _label, majority = untagged.row(0)[:6]
    page = connect_widget(ex.span_view)
    ex.charts.inconsistencies.selection = [{"text": text}]
    row = page.locator(f"#app .bx-row[data-sentence='{sentence}']")
    expect(row).to_have_count(1)
    tok = row.locator(f".bx-toks > .bx-tok[data-pos='{start}']")
    expect(tok).to_have_class(lambda_re("bx-anom"))
    expect(tok).to_have_attribute("title", lambda_re("unlabelled_mention"))
    # the tagged occurrences are there too
    tagged = ex.corpus.spans.filter(pl.col("text") == text)["sentence"].unique().to_list()
    for sid in tagged[:3]:
        expect(page.locator(f"#app .bx-row[data-sentence='{sid}']")).to_have_count(1)

    assert ex._majority_button.layout.display != "none"
    changed = ex.apply_majority()
    assert changed >= 1
    span = row.locator(f".bx-span[data-start='{start}']")
    expect(span).to_have_attribute("data-label", majority)


def lambda_re(text):
    import re

    return re.compile(re.escape(text))
