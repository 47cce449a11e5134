"""The Explorer in marimo, without a browser: its display hook and the HeaderView."""

from __future__ import annotations

import pytest

import bio_explorer as bx
from bio_explorer.header_view import HeaderView

mo = pytest.importorskip("marimo")


def _cells(stats: dict) -> dict:
    return {c["noun"]: c["value"] for c in stats["cells"]}


def test_display_hook_lays_out_the_anywidget_parts():
    ex = bx.explore(bx.sample())
    out = ex._display_()
    html = out.text
    # a header, one anywidget per chart and the span view, no ipywidgets box
    assert html.count("<marimo-anywidget") == len(ex.charts) + 2
    assert isinstance(ex._header_view, HeaderView)
    assert ex._display_() is not None and ex._header_view is ex._header_view


def test_header_view_shows_the_explorer_figures_and_follows_the_filter():
    c = bx.sample()
    ex = bx.explore(c)
    ex._display_()
    stats = ex._header_view._stats
    cells = _cells(stats)
    assert cells["tokens"] == c.n_tokens
    assert cells["sentences"] == len(c)
    assert cells["spans"] == c.spans.height
    assert stats["note"] == ""
    label = c.labels()[0]
    ex.query = {"labels": [label]}
    ex.flush()
    want = c.filter(labels=[label])
    note = ex._header_view._stats["note"]
    assert note.startswith(f"filter: {len(want):,} of {len(c):,} sentences"), note


def test_clear_message_from_the_front_end_clears_the_filter():
    c = bx.sample()
    ex = bx.explore(c, query={"labels": [c.labels()[0]]})
    ex._display_()
    assert ex.query
    ex._header_view._handle(ex._header_view, {"type": "clear"}, [])
    assert ex.query == {}
    ex._header_view._handle(ex._header_view, {"type": "nonsense"}, [])  # ignored
    ex._header_view._handle(ex._header_view, None, [])
    assert ex.query == {}
