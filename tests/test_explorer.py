"""Explorer: linking between chart selections and the span view's query, specs, header, layout.

Clicks are simulated by setting a ChartView's ``selection`` trait, as the front end does.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import ipywidgets as w
import jsonschema
import polars as pl
import pytest
from altair.vegalite.v6.schema import load_schema

import bio_explorer as bx
from bio_explorer.explorer import (
    CHART_NAMES,
    Explorer,
    explore,
    query_to_selection,
    selection_to_query,
)

SO_TEST = "stackoverflow_ner/test.txt"


@pytest.fixture(scope="module")
def vl_schema():
    return load_schema()


@pytest.fixture
def so_corpus(shared_corpora):
    return bx.read(shared_corpora / SO_TEST)


@pytest.fixture
def ex(so_corpus):
    explorer = Explorer(so_corpus)
    assert explorer.wait(timeout=120)  # the anomalies are computed in a background thread
    return explorer


def _plain_tags(path: Path) -> list[list[str]]:
    """IOB2 tags per sentence of a TAB file (tag in column 2), read without the package."""
    out, cur = [], []
    for line in path.read_text(encoding="utf-8").split("\n"):
        if line.strip("\t\r ") == "":
            if cur:
                out.append(cur)
                cur = []
            continue
        cur.append(line.rstrip("\r").split("\t")[1])
    if cur:
        out.append(cur)
    return out


def _rows(spec: dict) -> int:
    """Inline data rows of a Vega-Lite spec (top level, datasets and every layer)."""
    n = len(spec.get("data", {}).get("values", []) or [])
    n += sum(len(v) for v in spec.get("datasets", {}).values())
    for key in ("layer", "hconcat", "vconcat", "concat"):
        n += sum(_rows(sub) for sub in spec.get(key, []))
    if "spec" in spec:
        n += _rows(spec["spec"])
    return n


# ------------------------------------------------------------------------------------ pure mapping
def test_selection_query_mapping_round_trips():
    q = selection_to_query("labels", [{"label": "Library"}, {"label": "Algorithm"}], {"text": "x"})
    assert q == {"text": "x", "labels": ["Library", "Algorithm"]}
    assert selection_to_query("labels", [], q) == {"text": "x"}
    t = selection_to_query("transitions", [{"prev_tag": "O", "tag": "I-Library"}], {})
    assert t == {"transition": ["O", "I-Library"]}
    a = selection_to_query("anomalies", [{"kind": "invalid_transition", "label": None}], {})
    assert a == {"anomaly": ["invalid_transition"]}
    i = selection_to_query("inconsistencies", [{"text": "PyTorch"}], {"regex": True})
    assert i == {"text": "PyTorch", "where": "span"}
    for name, query in (("labels", q), ("transitions", t), ("inconsistencies", i)):
        assert selection_to_query(name, query_to_selection(name, query), query) == query
    assert query_to_selection("anomalies", {"anomaly": ["k:L"], "labels": ["L"]}) == [
        {"kind": "k", "label": "L"}
    ]
    b = selection_to_query("anomalies", [{"kind": "k", "label": "L"}], {"labels": ["M"]})
    assert b == {"labels": ["M"], "anomaly": ["k:L"]}  # the bar's own label, not "has L"


# ------------------------------------------------------------------------------------ the widget
def test_explorer_parts_and_specs(ex, vl_schema, so_corpus):
    assert isinstance(ex, w.VBox)
    assert [name for name, _v in ex.charts.items()] == list(CHART_NAMES)
    assert ex.charts.labels is ex.charts["labels"]
    assert isinstance(ex.span_view, bx.SpanView)
    n_labels = len(so_corpus.labels())
    n_tags = 2 * n_labels + 3  # B-/I- per label, O, <s>, </s>
    for name, view in ex.charts.items():
        spec = view.spec
        jsonschema.Draft7Validator(vl_schema).validate(spec)  # valid Vega-Lite
        assert "url" not in str(spec.get("data", ""))  # inlined, no file or URL
        # aggregated: bounded by the tag vocabulary, never by the 16k tokens
        assert 0 < _rows(spec) <= 4 * n_tags**2, (name, _rows(spec))
        assert any(p.get("name") == "select" for p in _params(spec)), name
    html = ex.header.value
    for word in ("tokens", "sentences", "spans", "labels", "IOB2", "invalid transition",
                 "anomal"):
        assert word in html
    assert f"{so_corpus.n_tokens:,}" in html


def normalized(spec: dict) -> object:
    """The spec with generated names (views, datasets) replaced by their order of appearance."""
    names: dict[str, str] = {}
    text = re.sub(r"view_[0-9a-f]+_\d+|view_\d+|data-[0-9a-f]{32}",
                  lambda m: names.setdefault(m.group(0), f"name{len(names)}"),
                  json.dumps(spec, sort_keys=True))
    return json.loads(text)


def _params(spec: dict) -> list[dict]:
    out = list(spec.get("params", []))
    for sub in spec.get("layer", []):
        out += _params(sub)
    if "spec" in spec:
        out += _params(spec["spec"])
    return out


def test_label_click_filters_span_view_and_charts_follow(ex, shared_corpora):
    before = {name: v.spec for name, v in ex.charts.items()}
    ex.charts.labels.selection = [{"label": "Library"}]
    assert ex.span_view.query == {"labels": ["Library"]}
    tags = _plain_tags(shared_corpora / SO_TEST)
    want = sum(1 for s in tags if any(t.endswith("-Library") for t in s))
    assert ex.span_view.matching_sentences == want
    # the other charts show the selection too, and were re-rendered for the filtered sentences
    assert ex.charts.lengths.selection == [{"label": "Library"}]
    assert ex.charts.labels.spec != before["labels"]
    assert "whole corpus" in str(ex.charts.labels.spec)  # grey whole-corpus bars behind
    assert ex.charts.transitions.spec != before["transitions"]
    assert ex.charts.inconsistencies.spec == before["inconsistencies"]  # whole-corpus table
    assert "of" in ex.header.value and f"<b>{want:,}</b>" in ex.header.value
    # shift-click adds a second label
    ex.charts.labels.selection = [{"label": "Library"}, {"label": "Algorithm"}]
    assert ex.span_view.query == {"labels": ["Library", "Algorithm"]}
    # clearing restores everything
    ex.charts.labels.selection = []
    assert ex.span_view.query == {}
    assert ex.span_view.matching_sentences == len(tags)
    assert {name: v.spec for name, v in ex.charts.items()} == before
    assert all(v.selection == [] for v in ex.charts)


def test_hold_updates_redraws_once_when_the_block_ends(ex):
    before = ex.charts.labels.spec
    header = ex.header.value
    with ex.hold_updates():
        ex.span_view.query = {"labels": ["Library"]}
        ex.span_view.handle_request({"kind": "page", "id": "h", "offset": 0, "limit": 5})
        assert ex.charts.labels.spec == before and ex.header.value == header  # not yet
    assert ex.charts.labels.spec != before and ex.header.value != header
    ex.span_view.query = {}


def test_transition_cell_click(ex):
    trans = ex.corpus.transitions().filter(~pl.col("valid"))
    assert trans.height == 1  # stackoverflow test.txt: one invalid I- (README)
    prev, tag = trans["prev_tag"][0], trans["tag"][0]
    ex.charts.transitions.selection = [{"prev_tag": prev, "tag": tag}]
    assert ex.span_view.query == {"transition": [prev, tag]}
    assert ex.span_view.matching_sentences == 1
    ex.clear()
    assert ex.charts.transitions.selection == []


def test_anomaly_and_inconsistency_clicks(ex):
    anomalies = ex.corpus.anomalies()
    kind = anomalies["kind"][0]
    ex.charts.anomalies.selection = [{"kind": kind, "label": None}]
    assert ex.span_view.query == {"anomaly": [kind]}
    want = anomalies.filter(pl.col("kind") == kind)["sentence"].n_unique()
    assert ex.span_view.matching_sentences == want
    ex.clear()
    inc = ex.corpus.inconsistencies()
    if inc.height == 0:
        pytest.skip("no inconsistencies in this corpus")
    text = inc["text"][0]
    ex.charts.inconsistencies.selection = [{"text": text}]
    ids = ex.span_view.query["sentences"]
    assert ex.span_view.matching_sentences == len(ids) >= 1
    assert ex.charts.inconsistencies.selection == [{"text": text}]


def test_span_view_query_updates_chart_selections(ex):
    before = ex.charts.labels.spec
    ex.span_view.query = {"labels": ["Algorithm"], "text": "the"}
    assert ex.charts.labels.selection == [{"label": "Algorithm"}]
    assert ex.charts.labels.spec != before
    assert ex.query == ex.span_view.query
    ex.query = {}
    assert ex.charts.labels.selection == [] and ex.charts.labels.spec == before


def test_parts_keep_linking_in_a_user_layout(so_corpus):
    ex = bx.explore(so_corpus, charts=("labels", "transitions"))
    box = w.HBox([ex.charts.labels, w.VBox([ex.span_view])])
    assert box.children[0] is ex.charts.labels
    ex.charts.labels.selection = [{"label": "Library"}]
    assert ex.span_view.query == {"labels": ["Library"]}
    with pytest.raises(AttributeError):
        _ = ex.charts.anomalies
    with pytest.raises(ValueError, match="unknown chart"):
        Explorer(so_corpus, charts=("pie",))


def test_explore_from_path_and_header_escaping(tmp_path):
    src = Path(bx.__file__).parent / "data" / "pytorch_wiki.bio"
    odd = tmp_path / "<b>x&y.bio"
    odd.write_bytes(src.read_bytes())
    ex = explore(odd, progress=False)
    assert "&lt;b&gt;x&amp;y.bio" in ex.header.value and "<b>x&y" not in ex.header.value
    assert ex.span_view.total_sentences == len(bx.read(src))
    with pytest.raises(TypeError, match="need a path"):
        explore(ex.corpus, sep="\t")


def test_edit_in_span_view_refreshes_charts(ex, monkeypatch):
    if not hasattr(bx.Corpus, "relabel"):
        pytest.skip("edits not available")
    replies = []
    monkeypatch.setattr(ex.span_view, "send", lambda m, buffers=None: replies.append(m))
    before = ex.charts.labels.spec
    sp = ex.corpus.spans.filter(pl.col("label") == "Library").head(1)
    ex.span_view.handle_request({
        "kind": "edit", "id": "e", "op": "relabel", "sentence": int(sp["sentence"][0]),
        "start": int(sp["start"][0]), "end": int(sp["end"][0]), "label": "Algorithm"}, [])
    assert replies[-1]["ok"] is True, replies[-1]
    assert ex.charts.labels.spec != before


# ------------------------------------------------------------------------------------ background
def test_slow_parts_follow_in_the_background(so_corpus, vl_schema):
    """Construction shows the span view and cheap charts; anomalies follow from a thread."""
    ex = Explorer(so_corpus)
    # without a kernel loop nothing is applied behind the caller's back: deterministic here
    assert "computing" in ex.header.value
    assert ex.span_view._anomaly_kinds == []
    for name in ("anomalies", "inconsistencies"):
        spec = ex.charts[name].spec
        jsonschema.Draft7Validator(vl_schema).validate(spec)  # a valid placeholder
        assert not _params(spec) and "computing" in str(spec)
    assert any(p.get("name") == "select" for p in _params(ex.charts.labels.spec))
    assert ex.wait(timeout=120) and ex.ready
    found = so_corpus.anomalies()
    assert "computing" not in ex.header.value
    assert f"<b>{found.height:,}</b> anomalies" in ex.header.value
    kinds = {d["kind"]: d["count"] for d in ex.span_view._anomaly_kinds}
    assert kinds == {k: n for k, n in found.group_by("kind").len().iter_rows()}
    spec = ex.charts.anomalies.spec
    jsonschema.Draft7Validator(vl_schema).validate(spec)
    assert any(p.get("name") == "select" for p in _params(spec))
    assert sum(r["count"] for r in spec["data"]["values"]) == found.height


def test_page_request_before_the_thread_is_done_waits_for_it(so_corpus, monkeypatch):
    ex = Explorer(so_corpus)
    replies = []
    monkeypatch.setattr(ex.span_view, "send", lambda m, buffers=None: replies.append(m))
    ex.span_view.handle_request({"kind": "page", "id": "p", "query": {},
                                 "offset": 0, "limit": 20}, [])
    assert [r["kind"] for r in replies] == ["page"] and replies[0]["id"] == "p"
    assert ex.ready and "computing" not in ex.header.value  # answered with the anomalies


def test_corpus_edited_while_computing_shows_the_new_figures(so_corpus):
    ex = Explorer(so_corpus)
    sp = so_corpus.spans.filter(pl.col("label") == "Library").head(3)
    for s, a, b in sp.select("sentence", "start", "end").iter_rows():
        so_corpus.relabel(s, a, b, "Algorithm")  # while (or after) the thread computes
    ex.refresh()
    assert ex.wait(timeout=120)
    assert f"<b>{so_corpus.anomalies().height:,}</b> anomalies" in ex.header.value
    counts = dict(so_corpus.label_counts().select("label", "spans").iter_rows())
    rows = {r["label"]: r["spans"] for r in ex.charts.labels.spec["data"]["values"]}
    assert rows == {k: v for k, v in counts.items() if k != "O"}


def test_fast_specs_equal_the_altair_charts_and_unchanged_charts_are_not_resent(ex):
    inconsistencies = ex.charts.inconsistencies.spec
    ex.charts.labels.selection = [{"label": "Library"}]
    for name, view in ex.charts.items():
        chart = view.chart  # the Altair object, built on demand for users
        assert normalized(view.spec) == normalized(chart.to_dict()), name
    assert ex.charts.inconsistencies.spec is inconsistencies  # same data: not re-sent
    ex.clear()
    assert ex.charts.inconsistencies.spec is inconsistencies


def test_in_a_kernel_results_arrive_by_themselves(so_corpus, monkeypatch):
    """With a kernel's event loop, the thread hands its results to the loop: no wait() needed,
    and a page request made meanwhile is answered when they are there (the loop stays free)."""
    import asyncio

    import bio_explorer.explorer as explorer_mod

    monkeypatch.setattr(explorer_mod, "_kernel_loop", asyncio.get_running_loop, raising=True)

    async def scenario() -> tuple[list[dict], list[str], bool, int]:
        ex = Explorer(so_corpus)
        replies: list[dict] = []
        ex.span_view.send = lambda m, buffers=None: replies.append(m)
        ex.span_view.handle_request({"kind": "page", "id": "k", "query": {},
                                     "offset": 0, "limit": 5}, [])
        headers = [ex.header.value]
        ticks = 0
        while not ex.ready and ticks < 6000:  # the loop keeps running while the thread works
            await asyncio.sleep(0.02)
            ticks += 1
        headers.append(ex.header.value)
        return replies, headers, ex.ready, ticks

    replies, headers, ready, _ticks = asyncio.run(scenario())
    assert ready
    assert "computing" in headers[0] and "computing" not in headers[1]
    assert [r["kind"] for r in replies] == ["page"] and replies[0]["id"] == "k"


def test_after_an_edit_the_slow_charts_stay_until_recomputed(so_corpus, monkeypatch):
    """In a kernel, an edit restarts the whole-corpus anomaly scan (0.8 s after the last edit):
    meanwhile the anomaly and inconsistency charts keep their last figures instead of flashing a
    "computing" placeholder (issue 16.7: no second redraw the user can see), then show the new."""
    import asyncio

    import bio_explorer.explorer as explorer_mod

    monkeypatch.setattr(explorer_mod, "_kernel_loop", asyncio.get_running_loop, raising=True)
    monkeypatch.setattr(explorer_mod, "_SLOW_DELAY", 0.05)

    async def scenario() -> tuple[list[str], dict, bool]:
        ex = Explorer(so_corpus)
        ex.span_view.send = lambda m, buffers=None: None
        for _ in range(6000):
            if ex.ready:
                break
            await asyncio.sleep(0.02)
        sp = so_corpus.spans.filter(pl.col("label") == "Library").row(0, named=True)
        ex.span_view.handle_request({
            "kind": "edit", "id": "e", "op": "relabel", "sentence": sp["sentence"],
            "start": sp["start"], "end": sp["end"], "label": "Algorithm"}, [])
        ex._rerender.flush()
        during = [str(ex.charts[name].spec) for name in ("anomalies", "inconsistencies")]
        for _ in range(6000):
            if ex.ready:
                break
            await asyncio.sleep(0.02)
        return during, ex.charts.anomalies.spec, ex.ready

    during, spec, ready = asyncio.run(scenario())
    assert ready
    assert all("computing" not in text for text in during)
    assert sum(r["count"] for r in spec["data"]["values"]) == so_corpus.anomalies().height


def _label_sort(spec: dict) -> list[str] | None:
    """The ``sort`` of the first encoding on the field ``label`` in a Vega-Lite spec."""
    if isinstance(spec, dict):
        if spec.get("field") == "label" and isinstance(spec.get("sort"), list):
            return spec["sort"]
        values = spec.values()
    elif isinstance(spec, list):
        values = spec
    else:
        return None
    for value in values:
        found = _label_sort(value)
        if found:
            return found
    return None


def test_span_length_rows_keep_the_whole_corpus_order_under_a_filter():
    c = bx.sample()
    ex = bx.explore(c)
    whole = _label_sort(ex.charts["lengths"].spec)
    # independent: labels by their number of spans in the whole corpus, most first
    counts = c.spans.group_by("label").len().sort(["len", "label"], descending=[True, False])
    assert whole == counts["label"].to_list()
    # a sentence whose own counts rank its labels differently from the whole corpus
    per = c.spans.group_by("sentence", "label").len()
    rank = {label: i for i, label in enumerate(whole)}
    pick = None
    for (sid,), rows in per.group_by("sentence", maintain_order=True):
        own = rows.sort(["len", "label"], descending=[True, False])["label"].to_list()
        if own != sorted(own, key=rank.__getitem__):
            pick, own_order = sid, own
            break
    assert pick is not None, "the sample has no sentence that reorders its labels"
    ex.query = {"sentences": [pick]}
    ex.flush()
    shown = _label_sort(ex.charts["lengths"].spec)
    assert shown == sorted(own_order, key=rank.__getitem__) != own_order
