"""Widget messages are validated by type (issue 11 item 11): a bad field gets a clear error reply,
never a coerced edit, and a hostile chart selection never leaves the span view broken."""

from __future__ import annotations

import pytest

import bio_explorer as bx
from bio_explorer.explorer import Explorer
from bio_explorer.messages import MessageError, chart_selection, edit_fields
from bio_explorer.widget import SpanView


@pytest.fixture
def view(monkeypatch):
    v = SpanView(bx.sample(), journal=False)
    v.replies = []
    monkeypatch.setattr(v, "send", lambda msg, buffers=None: v.replies.append(msg))
    return v


def _ask(view: SpanView, **msg) -> dict:
    msg.setdefault("id", "r1")
    view.handle_request(msg, [])
    view._drain.flush()
    return view.replies[-1]


def test_a_comm_message_is_answered_by_handle_request(view):
    # the path of a browser's message: the comm hands it to the widget's on_msg callbacks
    view._handle_custom_msg({"kind": "page", "id": "c1", "offset": 0, "limit": 3}, [])
    view._drain.flush()
    assert view.replies[-1]["kind"] == "page" and view.replies[-1]["id"] == "c1"
    assert len(view.replies[-1]["sentences"]) == 3
    view._handle_custom_msg({"kind": "nonsense", "id": "c2"}, [])
    assert view.replies[-1] == {"kind": "error", "id": "c2",
                                "message": "unknown message kind 'nonsense'"}


def _span(view: SpanView) -> tuple[int, int, int, str]:
    row = view.corpus.spans.row(0, named=True)
    return row["sentence"], row["start"], row["end"], row["label"]


@pytest.mark.parametrize("op, fields, match", [
    ("add", {"label": None}, "'label' must be a non-empty string, got null"),
    ("relabel", {"label": None}, "'label' must be a non-empty string, got null"),
    ("relabel", {"sentence": True}, "'sentence' must be a whole number, got true"),
    ("relabel", {"sentence": "0"}, "'sentence' must be a whole number, got \"0\""),
    ("relabel", {"start": 1.5}, "'start' must be a whole number, got 1.5"),
    ("delete", {"start": -1}, "'start' must be 0 or more, got -1"),
    ("resize", {"new_end": None}, "'new_end' must be a whole number, got null"),
    ("preview_all", {"label": ["X"]}, "'label' must be a non-empty string"),
])
def test_bad_edit_fields_get_an_error_reply_and_change_nothing(view, op, fields, match):
    s, a, b, _label = _span(view)
    base = {"sentence": s, "start": a, "end": b, "label": "Other",
            "new_start": a, "new_end": b} | fields
    before = view.corpus.tokens["tag"].to_list()
    reply = _ask(view, kind="edit", op=op, **base)
    assert reply["kind"] == "error" and reply["id"] == "r1"
    assert match in reply["message"] and f"edit {op!r}" in reply["message"]
    assert view.corpus.tokens["tag"].to_list() == before
    assert "None" not in view.corpus.labels()


def test_relabel_all_null_label_is_refused(view):
    s, a, b, label = _span(view)
    text = " ".join(view.corpus.tokens.filter(
        view.corpus.tokens["sentence"] == s)["token"].to_list()[a:b])
    reply = _ask(view, kind="edit", op="relabel_all", text=text, to_label=None,
                 from_label=None, include_untagged=False)
    assert reply["kind"] == "error" and "'to_label' must be a non-empty string" in reply["message"]
    reply = _ask(view, kind="edit", op="relabel_all", text=text, to_label="X",
                 from_label=None, include_untagged="yes")
    assert "'include_untagged' must be true or false" in reply["message"]
    assert "None" not in view.corpus.labels()
    reply = _ask(view, kind="edit", op="relabel_all", text=text, to_label="Renamed",
                 from_label=label, include_untagged=False)
    assert reply["kind"] == "edit" and reply["ok"], reply
    assert "Renamed" in view.corpus.labels()


def test_unknown_op_and_bad_page_fields(view):
    reply = _ask(view, kind="edit", op="relabl")
    assert reply["kind"] == "error" and "did you mean 'relabel'" in reply["message"]
    reply = _ask(view, kind="page", query={}, offset="10", limit=5)
    assert reply["kind"] == "error" and "'offset' must be a whole number" in reply["message"]
    reply = _ask(view, kind="page", query={"labels": [None]}, offset=0, limit=5)
    assert reply["kind"] == "error" and "query['labels'] must hold strings" in reply["message"]
    reply = _ask(view, kind="page", query={"sentences": [2**40]})
    assert reply["kind"] == "error" and "not a sentence id" in reply["message"]
    reply = _ask(view, kind="page", offset=None, limit=None)  # defaults
    assert reply["kind"] == "page" and reply["offset"] == 0 and reply["limit"] == view.page_size


def test_edit_fields_returns_clean_values():
    op, f = edit_fields({"op": "relabel_all", "text": "a b", "to_label": "X"})
    assert op == "relabel_all"
    assert f == {"text": "a b", "to_label": "X", "from_label": None, "include_untagged": False}
    with pytest.raises(MessageError):
        edit_fields({"op": None})


@pytest.mark.parametrize("selection, match", [
    ([{"kind": "nope"}], "unknown anomaly kind 'nope'"),
    ([{"kind": 3}], "'kind' must be a string, got 3"),
    ([{"kind": ["invalid_transition"]}], "'kind' must be a string"),
    ("invalid_transition", "a selection must be a list of points"),
    ([5], "a selected point must be an object"),
])
def test_chart_selection_validator(selection, match):
    with pytest.raises(MessageError, match=match):
        chart_selection("anomalies", selection, ("invalid_transition",))


@pytest.mark.parametrize("chart, selection", [
    ("anomalies", [{"kind": "nope", "label": None}]),
    ("anomalies", [{"kind": 7}]),
    ("labels", [{"label": {"x": 1}}]),
    ("transitions", [{"prev_tag": 1, "tag": None}]),
    ("inconsistencies", [{"text": 12}]),
])
def test_hostile_chart_selection_leaves_the_view_working(chart, selection, monkeypatch):
    ex = Explorer(bx.sample(), charts=("labels", "transitions", "anomalies", "inconsistencies"))
    assert ex.wait(timeout=120)
    replies: list[dict] = []
    sv = ex.span_view
    monkeypatch.setattr(sv, "send", lambda msg, buffers=None: replies.append(msg))
    label = sv.corpus.labels()[0]
    ex.charts.labels.selection = [{"label": label}]
    assert sv.query == {"labels": [label]}
    getattr(ex.charts, chart).selection = selection  # no exception out of the observer
    assert replies and replies[-1]["kind"] == "error" and replies[-1]["id"] is None
    assert sv.query == {"labels": [label]}  # the filter in force is kept
    assert getattr(ex.charts, chart).selection != selection  # the chart shows it again
    sv.handle_request({"kind": "page", "id": "p", "offset": 0, "limit": 5}, [])
    sv._drain.flush()
    assert replies[-1]["kind"] == "page" and replies[-1]["total"] == sv.matching_sentences > 0
