"""Issue 16.2: the SVG clip paths (and gradients) of several charts on one page never share an id.

anywidget imports each chart model's ESM separately, so every chart had its own copy of Vega's id
counters and each defined ``clip1``…: a bar could be clipped by another chart's rectangle.  The five
Explorer charts are rendered here the same way (one module instance each, by distinct URLs); every
``clipPath`` id in the page must be unique and every ``clip-path`` reference must point at a
clip path of its own chart.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

import bio_explorer as bx

pytestmark = pytest.mark.browser

_MOUNT = """async (specs) => {
  const host = document.getElementById('chart');
  for (let i = 0; i < specs.length; i++) {
    const mod = await import(`/bio_explorer/static/chart_view.js?instance=${i}`);
    const fake = bxHarness.createFakeModel({_spec: specs[i], selection: []}, () => {});
    const el = document.createElement('div');
    el.className = 'bx-ids-chart';
    el.style.width = '480px';
    host.append(el);
    mod.default.render({model: fake.model, el});
  }
}"""

_IDS = """() => {
  const charts = [...document.querySelectorAll('.bx-ids-chart')];
  const all = [...document.querySelectorAll('clipPath')].map(c => c.id);
  const foreign = [];
  charts.forEach((c, i) => {
    const own = new Set([...c.querySelectorAll('clipPath')].map(x => x.id));
    for (const el of c.querySelectorAll('[clip-path]')) {
      const ref = el.getAttribute('clip-path').replace(/^url\\(#(.*)\\)$/, '$1');
      if (!own.has(ref)) foreign.push([i, ref]);
    }
  });
  return {all, foreign};
}"""


def test_clip_path_ids_are_unique_across_chart_views(harness, page_info, shared_corpora):
    ex = bx.explore(bx.read(shared_corpora / "stackoverflow_ner" / "test.txt"))
    ex.wait()
    specs = [view.spec for _name, view in ex.charts.items()]
    harness.evaluate(_MOUNT, specs + specs)  # two Explorers' worth of views
    expect(harness.locator(".bx-ids-chart svg")).to_have_count(2 * len(specs))
    # the inconsistency table's score bars are clipped (the bars the issue saw cut)
    clipped = harness.locator(".bx-ids-chart").nth(len(specs) - 1).locator("clipPath")
    expect(clipped.first).to_be_attached()
    expect(harness.locator(".bx-ids-chart").last.locator("clipPath").first).to_be_attached()
    out = harness.evaluate(_IDS)
    ids = out["all"]
    assert len(ids) == len(set(ids)), sorted(ids)
    assert out["foreign"] == []
    assert page_info.errors == []
