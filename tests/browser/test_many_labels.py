"""Issue 16.3: charts stay readable with many labels (stackoverflow_ner: 27 labels, 56 tags).

Each Explorer chart is rendered in a 424 px column (what a notebook column gave the reporter):
the transition heat map fits it, axis labels never overlap, and no count label is cut at the
chart's edge.  The inconsistency table explains its ``<x>`` majority label.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

import bio_explorer as bx
from bio_explorer.charts import CROSS_LABEL

pytestmark = [pytest.mark.browser, pytest.mark.shared]

COLUMN = 424

# boxes of the visible texts of a role (axis labels, mark texts) and the svg's own box
_BOXES = """(role) => {
  const svg = document.querySelector('#chart-holder svg');
  const s = svg.getBoundingClientRect();
  const texts = [...svg.querySelectorAll(`.${role} text`)]
    .filter(t => t.textContent && t.getAttribute('opacity') !== '0'
                 && getComputedStyle(t).opacity !== '0')
    .map(t => { const r = t.getBoundingClientRect();
                return {text: t.textContent, x0: r.left, x1: r.right, y0: r.top, y1: r.bottom,
                        axis: t.closest('.role-axis')?.getAttribute('aria-label') ?? ''}; });
  return {svg: {x0: s.left, x1: s.right, w: s.width}, texts};
}"""


def _overlaps(texts):
    out = []
    for i, a in enumerate(texts):
        for b in texts[i + 1:]:
            if a["axis"] != b["axis"]:
                continue
            if a["x0"] < b["x1"] - 0.5 and b["x0"] < a["x1"] - 0.5 and \
               a["y0"] < b["y1"] - 0.5 and b["y0"] < a["y1"] - 0.5:
                out.append((a["text"], b["text"]))
    return out


@pytest.fixture(scope="module")
def specs(shared_corpora):
    ex = bx.explore(bx.read(shared_corpora / "stackoverflow_ner" / "test.txt"))
    assert ex.wait(timeout=120)
    return {name: view.spec for name, view in ex.charts.items()}


@pytest.mark.parametrize(
    "name", ["labels", "transitions", "anomalies", "lengths", "inconsistencies"])
def test_chart_fits_its_column_without_overlapping_or_cut_labels(harness, specs, name):
    harness.evaluate("([s, w]) => bxHarness.mountChart(s, {width: w + 'px'})",
                     [specs[name], COLUMN])
    expect(harness.locator("#chart-holder svg .role-mark").first).to_be_attached()
    got = harness.evaluate(_BOXES, "role-axis-label")
    if name in ("transitions", "inconsistencies"):
        assert got["svg"]["w"] <= COLUMN, got["svg"]
    overlaps = _overlaps(got["texts"])
    assert not overlaps, overlaps[:5]
    marks = harness.evaluate(_BOXES, "role-mark")
    cut = [t["text"] for t in marks["texts"] if t["x1"] > marks["svg"]["x1"] + 0.5]
    assert not cut, cut


def test_big_counts_do_not_collide_or_get_cut(harness, shared_corpora):
    """CoNLL-2003 train: bars of 7,000-11,000 spans (the "7,0008,000" ticks, "23,42" labels)."""
    from bio_explorer.charts import label_chart

    c = bx.read(shared_corpora / "conll2003" / "train.txt")
    spec = label_chart(c.label_counts(), base=c.label_counts()).to_dict()
    harness.evaluate("([s, w]) => bxHarness.mountChart(s, {width: w + 'px'})", [spec, 300])
    expect(harness.locator("#chart-holder svg .role-mark").first).to_be_attached()
    ticks = harness.evaluate(_BOXES, "role-axis-label")["texts"]
    assert len(ticks) >= 4
    assert not _overlaps(ticks), _overlaps(ticks)[:5]
    marks = harness.evaluate(_BOXES, "role-mark")
    cut = [t["text"] for t in marks["texts"] if t["x1"] > marks["svg"]["x1"] + 0.5]
    assert not cut, cut


def test_inconsistency_table_explains_the_cross_label(harness, specs):
    spec = specs["inconsistencies"]
    values = spec.get("data", {}).get("values") or next(iter(spec.get("datasets", {}).values()))
    assert CROSS_LABEL in {row.get("majority") for row in values}
    harness.evaluate("s => bxHarness.mountChart(s)", spec)
    expect(harness.locator("#chart-holder svg")).to_contain_text(
        "<x>: a span boundary cuts through the form")
