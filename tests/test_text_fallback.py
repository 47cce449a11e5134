"""Issue 15.8: useful text where widgets cannot render (terminal, static export, no kernel)."""

from __future__ import annotations

import bio_explorer as bx
from bio_explorer.text_fallback import first_sentences


def test_span_view_repr_has_summary_and_first_sentences():
    c = bx.sample()
    view = bx.SpanView(c, journal=False)
    text = repr(view)
    assert text.startswith(f"<bio_explorer SpanView: {len(c)} of {len(c)} sentences>")
    assert "object at 0x" not in text
    assert "[PyTorch]Algorithm is a machine learning" in text
    data, _meta = view._repr_mimebundle_()
    assert data["text/plain"] == text
    assert "application/vnd.jupyter.widget-view+json" in data
    view.query = {"labels": ["License"]}
    assert "query {'labels': ['License']}" in repr(view)
    assert "[free and open-source software]License" in repr(view)


def test_explorer_and_chart_reprs():
    c = bx.sample()
    ex = bx.explore(c)
    ex.wait()
    text = ex._repr_mimebundle_()[0]["text/plain"]
    assert text.startswith("<bio_explorer Explorer of pytorch_wiki.bio: 406 tokens, 20 sentences")
    assert "Explorer(children=" not in text and "HBox" not in text
    assert "charts: labels, transitions, anomalies, lengths, inconsistencies" in text
    assert "#0  [PyTorch]Algorithm" in text
    assert repr(ex.charts.labels).startswith("<bio_explorer ChartView: Entity spans per label")


def test_comparison_html_and_first_sentences():
    c = bx.sample()
    cmp = bx.compare(c, c)
    html = cmp._repr_html_()
    assert "micro P 1.000" in html and "<table>" in html and "Algorithm" in html
    lines = first_sentences(c.filter(sentences=[1]))
    assert lines == ["#1  It is [free and open-source software]License released under the "
                     "modified BSD license ."]
