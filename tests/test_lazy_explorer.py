"""The Explorer and the span view on a LazyCorpus show what they show on the eager corpus.

The front end is played by :class:`FakeFrontEnd` (custom messages in, replies recorded); chart
clicks are ``selection`` traits, as in ``test_explorer.py``.  The eager Explorer of the same file
is the reference; a LazyCorpus has the local anomaly kinds only, so the eager side is compared
on those.
"""

from __future__ import annotations

import json
import shutil

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from test_widget import FakeFrontEnd

import bio_explorer as bx
from bio_explorer.analysis.anomalies import LOCAL_KINDS
from bio_explorer.explorer import Explorer
from bio_explorer.lazy_view import REVIEW_UNAVAILABLE, LazySpanView
from bio_explorer.overlay import OVERLAY

pytestmark = pytest.mark.shared

NAME = "conll2003/valid.txt"  # 51k tokens; part_mb=0.2 cuts it into several parts
SAME_CHARTS = ("labels", "transitions", "lengths")


@pytest.fixture
def pair(shared_corpora, tmp_path):
    """(copy of the file, eager corpus, lazy corpus of it in several parts)."""
    src = tmp_path / "valid.txt"
    shutil.copyfile(shared_corpora / NAME, src)
    eager = bx.read(src, cache=False)
    lazy = bx.scan(src, tmp_path / "ds", part_mb=0.2)
    assert len(lazy.meta["parts"]) > 1
    return src, eager, lazy


def _local(page: dict) -> dict:
    """``page`` with the anomaly marks a LazyCorpus has (the local kinds)."""
    for s in page["sentences"]:
        s["anomalies"] = [a for a in s["anomalies"] if a[2] in LOCAL_KINDS]
    return page


def _strip(reply: dict) -> dict:
    return {k: v for k, v in reply.items() if k != "id"}


def _same_screen(lazy_ex: Explorer, eager_ex: Explorer, monkeypatch) -> None:
    """Charts (specs and input frames), chips and the first page of both Explorers agree."""
    for name in SAME_CHARTS:
        assert lazy_ex.charts[name].spec == eager_ex.charts[name].spec, name
        for mine, theirs in zip(lazy_ex._chart_inputs[name], eager_ex._chart_inputs[name],
                                strict=True):
            assert_frame_equal(mine, theirs)
    # the anomaly chart: the eager counts of the local kinds
    (mine,) = lazy_ex._chart_inputs["anomalies"]
    (theirs,) = eager_ex._chart_inputs["anomalies"]
    assert_frame_equal(mine, theirs.filter(pl.col("kind").is_in(LOCAL_KINDS)))
    lv, ev = lazy_ex.span_view, eager_ex.span_view
    assert lv.label_chips == ev.label_chips
    assert lv.matching_sentences == ev.matching_sentences
    assert lv.total_sentences == ev.total_sentences
    assert lv._sources == ev._sources
    local = {d["kind"]: d["count"] for d in ev._anomaly_kinds if d["kind"] in LOCAL_KINDS}
    assert {d["kind"]: d["count"] for d in lv._anomaly_kinds} == local
    mine = _strip(FakeFrontEnd(lv, monkeypatch).page(limit=20))
    theirs = _local(_strip(FakeFrontEnd(ev, monkeypatch).page(limit=20)))
    assert mine == theirs
    assert mine["sentences"]


def test_lazy_explorer_charts_and_pages_equal_the_eager_explorer(pair, monkeypatch):
    _src, eager, lazy = pair
    eager_ex = Explorer(eager)
    lazy_ex = bx.explore(lazy, progress=False)
    assert eager_ex.wait(timeout=120) and lazy_ex.wait(timeout=120)
    assert isinstance(lazy_ex.span_view, LazySpanView)
    _same_screen(lazy_ex, eager_ex, monkeypatch)
    whole = eager_ex._whole_stats()
    assert lazy_ex._whole_stats() == {**whole, "anomalies": int(
        eager.anomalies().filter(pl.col("kind").is_in(LOCAL_KINDS)).height)}
    # Altair and the front end get aggregated rows only: never one row per token or span
    for name in SAME_CHARTS:
        rows = json.dumps(lazy_ex.charts[name].spec)
        assert '"token"' not in rows and len(rows) < 200_000
    # a click in a chart filters both the same way
    for ex in (lazy_ex, eager_ex):
        ex.charts.labels.selection = [{"label": "MISC"}]
        ex.charts.transitions.selection = [{"prev_tag": "B-MISC", "tag": "I-MISC"}]
        ex.wait()
    assert lazy_ex.query == eager_ex.query == {"labels": ["MISC"],
                                               "transition": ["B-MISC", "I-MISC"]}
    assert 0 < lazy_ex.span_view.matching_sentences < len(eager)
    _same_screen(lazy_ex, eager_ex, monkeypatch)
    assert lazy_ex.header_stats() == {**eager_ex.header_stats(), "cells": lazy_ex.header_stats()[
        "cells"]}
    # a bar of the anomaly chart: that kind on that label
    bars = lazy_ex._chart_inputs["anomalies"][0].drop_nulls("label")
    assert bars.height
    kind, label = bars["kind"][0], bars["label"][0]
    for ex in (lazy_ex, eager_ex):
        ex.clear()
        ex.charts.anomalies.selection = [{"kind": kind, "label": label}]
        ex.wait()
    assert lazy_ex.query == eager_ex.query == {"anomaly": [f"{kind}:{label}"]}
    assert lazy_ex.span_view.matching_sentences > 0
    _same_screen(lazy_ex, eager_ex, monkeypatch)


def test_relabel_through_the_lazy_explorer_lands_in_the_overlay_and_saves_like_eager(
        pair, monkeypatch):
    src, eager, lazy = pair
    eager_ex, lazy_ex = Explorer(eager), bx.explore(lazy, progress=False)
    assert eager_ex.wait(timeout=120) and lazy_ex.wait(timeout=120)
    n = len(eager)
    picked = eager.spans.filter(pl.col("sentence").is_in([5, n // 2, n - 2])).group_by(
        "sentence", maintain_order=True).first()
    assert picked.height == 3
    edits = [{"op": "relabel", "sentence": s, "start": a, "end": b,
              "label": "MISC" if lab != "MISC" else "PER"}
             for s, a, b, lab in picked.select("sentence", "start", "end", "label").rows()]
    untagged = eager.tokens.filter((pl.col("position") == 0) & (pl.col("tag") == "O")
                                   & (pl.col("sentence") > 5))["sentence"][0]
    edits.append({"op": "add", "sentence": untagged, "start": 0, "end": 1, "label": "LOC"})
    fronts = {"lazy": FakeFrontEnd(lazy_ex.span_view, monkeypatch),
              "eager": FakeFrontEnd(eager_ex.span_view, monkeypatch)}
    for edit in edits:
        for front in fronts.values():
            front.ask(kind="edit", **edit)
            assert front.replies[-1]["ok"], front.replies[-1]
    # the edits are in the overlay, journalled in the dataset folder
    assert lazy.version == len(edits)
    got = lazy.overlay.frame
    assert set(got["sentence"].to_list()) == {e["sentence"] for e in edits}
    lines = (lazy.folder / OVERLAY).read_text("utf-8").splitlines()
    assert len(lines) >= len(edits)
    assert lazy_ex.span_view._status["unsaved"] > 0
    for query in ({}, {"labels": ["MISC"]}, {"transition": ["O", "B-LOC"]}):
        for ex in (lazy_ex, eager_ex):  # edited parts are recomputed, filtered or not
            ex.query = query
            ex.wait()
        _same_screen(lazy_ex, eager_ex, monkeypatch)
    # Save: the lazy view writes by the streaming writer (never over the source), the eager one
    # in place; the bytes are the same
    fronts["lazy"].ask(kind="edit", op="save")
    assert fronts["lazy"].replies[-1]["ok"], fronts["lazy"].replies[-1]
    assert lazy_ex.span_view._status["unsaved"] == 0
    saved = lazy.save_path
    assert saved.is_file() and saved.parent == lazy.folder / "edited"
    before = src.read_bytes()
    fronts["eager"].ask(kind="edit", op="save")
    assert fronts["eager"].replies[-1]["ok"], fronts["eager"].replies[-1]
    assert src.read_bytes() != before
    assert saved.read_bytes() == src.read_bytes()


def test_what_a_lazy_corpus_cannot_run_is_a_message_not_a_crash(pair, monkeypatch):
    _src, _eager, lazy = pair
    ex = bx.explore(lazy, progress=False)
    assert ex.wait(timeout=120)
    assert ex.review_chart is None
    note = json.dumps(ex.charts.inconsistencies.spec)
    assert "not available on a LazyCorpus" in note
    front = FakeFrontEnd(ex.span_view, monkeypatch)
    asks = [{"kind": "review", "op": "get", "index": 0},
            {"kind": "edit", "op": "undo"}, {"kind": "edit", "op": "redo"},
            {"kind": "edit", "op": "preview_all", "sentence": 1, "start": 0, "end": 1,
             "label": "PER"},
            {"kind": "edit", "op": "relabel_all", "text": "EU", "from_label": None,
             "to_label": "ORG", "include_untagged": False},
            {"kind": "page", "query": {"anomaly": ["inconsistent_label"]}, "offset": 0,
             "limit": 5}]
    for msg in asks:
        front.ask(**msg)
        reply = front.replies[-1]
        text = reply.get("message", "")
        assert reply["kind"] == "error" and ("LazyCorpus" in text or "consistency" in text), reply
    assert front.replies[0]["message"] == REVIEW_UNAVAILABLE
    assert front.page(query={})["sentences"]  # still working
    with pytest.raises(TypeError, match="LazySpanView"):
        bx.SpanView(lazy)
    with pytest.raises(NotImplementedError, match="Review"):
        ex.review()


def test_lazy_span_view_alone_equals_the_eager_span_view(pair, monkeypatch):
    _src, eager, lazy = pair
    views = {"lazy": bx.LazySpanView(lazy, page_size=10), "eager": bx.SpanView(eager,
                                                                              page_size=10)}
    for query in ({}, {"labels": ["ORG"], "text": "u", "where": "span"},
                  {"regex": "^[0-9]+$"}, {"transition": ["O", "I-PER"]}):
        for view in views.values():
            view.query = query
        lv, ev = views["lazy"], views["eager"]
        assert lv.matching_sentences == ev.matching_sentences, query
        assert lv.label_chips == ev.label_chips, query
        for offset in (0, 10):
            mine = FakeFrontEnd(lv, monkeypatch).page(offset=offset, limit=10)
            theirs = FakeFrontEnd(ev, monkeypatch).page(offset=offset, limit=10)
            assert _strip(mine) == _local(_strip(theirs)), query
    lv = views["lazy"]
    lv._selection = {"sentence": 3, "start": None, "end": None}
    assert lv.selected.height == 1
