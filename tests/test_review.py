"""The review queue (issue 13 item 4): decisions, the queue, the journal, the widget messages."""

from __future__ import annotations

import warnings

import polars as pl
import pytest

import bio_explorer as bx
from bio_explorer import review as rv
from bio_explorer.errors import EditError

# sentence, start, end, text, label, suggestion, suggest_start, suggest_end, score, finder, evidence
_ROWS = [
    (0, 0, 1, "PyTorch", "Algorithm", "Library", None, None, 0.9, "crosscheck",
     "a tagger trained on the other folds says Library (p = 0.90)"),
    (0, 5, 6, "framework", "Architecture", "O", None, None, 0.8, "consistency",
     "'framework' is O in 3 other places"),
    (2, 14, 15, "PyTorch", "Algorithm", "Library", None, None, 0.7, "consistency",
     "'PyTorch' is Library in 2 of 3 other places"),
    (0, 0, 1, "PyTorch", "Algorithm", "Library", None, None, 0.6, "consistency",
     "same span, same suggestion, another finder"),
    (3, 5, 7, "deep learning", "Algorithm", "Application", None, None, 0.5, "crosscheck",
     "a tagger trained on the other folds says Application (p = 0.61)"),
]


def suspects_frame() -> pl.DataFrame:
    return pl.DataFrame(_ROWS, schema={
        "sentence": pl.UInt32, "start": pl.UInt32, "end": pl.UInt32, "text": pl.String,
        "label": pl.String, "suggestion": pl.String, "suggest_start": pl.UInt32,
        "suggest_end": pl.UInt32, "score": pl.Float64, "finder": pl.String,
        "evidence": pl.String}, orient="row")


@pytest.fixture
def corpus(tmp_path):
    c = bx.sample()
    rv.set_suspects(c, suspects_frame())
    return c


def _span(c, s, a, b):
    hit = c.spans.filter((pl.col("sentence") == s) & (pl.col("start") == a)
                         & (pl.col("end") == b))
    return hit["label"].to_list()


def test_queue_is_the_ranked_snapshot_deduplicated(corpus):
    q = corpus.review_queue()
    # the duplicate key (another finder, same span and suggestion) is kept once, at its best rank
    assert q.select("sentence", "start", "label", "suggestion").rows() == [
        (0, 0, "Algorithm", "Library"), (0, 5, "Architecture", "O"),
        (2, 14, "Algorithm", "Library"), (3, 5, "Algorithm", "Application")]
    assert q["rank"].to_list() == [1, 2, 3, 4]
    assert rv.counts(corpus) == {"total": 4, "reviewed": 0, "fixed": 0, "pending": 4}
    assert corpus.review_queue(finders=["crosscheck"])["sentence"].to_list() == [0, 3]
    # labels match the current label
    assert corpus.review_queue(labels=["Architecture"])["start"].to_list() == [5]
    assert corpus.review_queue(labels=["Algorithm"], finders=["crosscheck"])["sentence"].to_list() \
        == [0, 3]


def test_accept_applies_the_suggestion_as_one_undo_step(corpus):
    row = corpus.review_queue().row(0, named=True)
    rec = corpus.review(row, "accept")
    assert _span(corpus, 0, 0, 1) == ["Library"]
    assert corpus.edits["edit_id"].n_unique() == 1
    assert rec["decision"] == "accept" and rec["edit_id"] == corpus.edits["edit_id"][0]
    assert corpus.review_queue()["rank"].to_list() == [2, 3, 4]
    assert rv.counts(corpus) == {"total": 4, "reviewed": 1, "fixed": 1, "pending": 3}
    assert corpus.undo() and _span(corpus, 0, 0, 1) == ["Algorithm"]
    # the undone fix is pending again; a redo makes it reviewed again
    assert corpus.review_queue()["rank"].to_list() == [1, 2, 3, 4]
    assert rv.counts(corpus)["reviewed"] == 0
    assert corpus.redo() and corpus.review_queue()["rank"].to_list() == [2, 3, 4]


def test_reject_changes_nothing_and_is_not_shown_again(corpus):
    tags = corpus.tokens["tag"]
    corpus.review(corpus.review_queue().row(1, named=True), "reject")
    assert corpus.tokens["tag"].equals(tags) and corpus.unsaved == 0
    assert 2 not in corpus.review_queue()["rank"].to_list()
    assert rv.counts(corpus)["fixed"] == 0 and rv.counts(corpus)["reviewed"] == 1
    r = corpus.reviews.row(0, named=True)
    assert (r["sentence"], r["start"], r["end"], r["label"], r["suggestion"], r["finder"],
            r["decision"], r["edit_id"]) == (0, 5, 6, "Architecture", "O", "consistency",
                                             "reject", None)
    assert corpus.reviews.schema == pl.Schema(rv.REVIEWS_SCHEMA)


def test_edit_decision_links_the_last_edit(corpus):
    corpus.relabel(3, 5, 7, "Application")
    rec = corpus.review(corpus.review_queue().row(3, named=True), "edit")
    assert rec["edit_id"] == corpus.edits["edit_id"][-1]
    assert rv.counts(corpus)["fixed"] == 1
    assert rv.reviewed_sentences(corpus) == [3]


def test_bad_decisions_raise_and_record_nothing(corpus):
    with pytest.raises(EditError, match="decision 'maybe'"):
        corpus.review(corpus.review_queue().row(0, named=True), "maybe")
    with pytest.raises(EditError, match="one suspect row"):
        corpus.review(corpus.review_queue(), "reject")
    with pytest.raises(ValueError, match="lacks the column"):
        rv.set_suspects(corpus, suspects_frame().drop("evidence"))
    assert corpus.reviews.height == 0


def test_reviews_survive_a_restart_through_the_journal(tmp_path):
    src = bx.sample()
    path = src.state.files[0].path
    c = bx.read(path, journal=True)
    rv.set_suspects(c, suspects_frame())
    c.review(c.review_queue().row(0, named=True), "accept")
    c.review(c.review_queue().row(0, named=True), "reject")
    before = c.reviews.drop("time")
    # a new "kernel": a fresh read replays edits and review decisions
    c2 = bx.read(path, journal=True)
    assert c2.reviews.drop("time").equals(before)
    assert _span(c2, 0, 0, 1) == ["Library"] and c2.unsaved == 1
    rv.set_suspects(c2, suspects_frame())
    assert c2.review_queue()["rank"].to_list() == [3, 4]
    # a save clears the edits from the journal, not the decisions
    c2.write()
    c3 = bx.read(path, journal=True)
    assert c3.unsaved == 0 and c3.reviews.height == 2
    assert _span(c3, 0, 0, 1) == ["Library"]


# ---------------------------------------------------------------------------- widget messages
class FakeFront:
    """Stands for the browser: sends messages to the widget and keeps what it sends back."""

    def __init__(self, view) -> None:
        self.view = view
        self.got: list[dict] = []
        view.send = lambda content, buffers=None: self.got.append(content)
        self.n = 0

    def ask(self, **msg) -> dict:
        self.n += 1
        self.view.handle_request({"kind": "review", "id": f"r{self.n}", **msg})
        replies = [m for m in self.got if m.get("id") == f"r{self.n}"]
        assert len(replies) == 1, self.got
        return replies[0]


@pytest.fixture
def front(corpus):
    view = bx.SpanView(corpus, journal=False)
    view.review()
    return FakeFront(view)


def test_get_answers_one_suspect_with_its_sentence(front):
    r = front.ask(op="get", index=0)
    assert r["kind"] == "review" and r["index"] == 0
    assert (r["total"], r["reviewed"], r["fixed"], r["pending"]) == (4, 0, 0, 4)
    s = r["suspect"]
    assert (s["sentence"], s["start"], s["end"], s["label"], s["suggestion"]) == (
        0, 0, 1, "Algorithm", "Library")
    assert s["evidence"].startswith("a tagger") and s["finder"] == "crosscheck"
    assert r["row"]["sentence"] == 0 and r["row"]["highlight"] == [0]
    assert r["row"]["tokens"][0] == "PyTorch" and r["row"]["suspect_current"] == "Algorithm"
    assert "rank" in s and set(s["key"]) == set(rv.KEY)
    # past the end: the last pending suspect
    assert front.ask(op="get", index=99)["suspect"]["rank"] == 4


def test_decide_accept_then_reject_moves_on(front):
    first = front.ask(op="get", index=0)
    version = front.view._data_version
    r = front.ask(op="decide", index=0, key=first["suspect"]["key"], decision="accept")
    assert r["message"] == "suggestion applied"
    assert (r["reviewed"], r["fixed"], r["pending"]) == (1, 1, 3)
    assert r["suspect"]["rank"] == 2
    assert front.view._data_version > version  # the page and the charts refresh
    r = front.ask(op="decide", index=0, key=r["suspect"]["key"], decision="reject")
    assert (r["reviewed"], r["fixed"], r["pending"], r["suspect"]["rank"]) == (2, 1, 2, 3)
    assert front.view.corpus.reviews["decision"].to_list() == ["accept", "reject"]
    assert front.view.review_version >= 2


def test_review_query_filters_the_queue(front):
    front.view.review_query = {"finders": ["crosscheck"]}
    r = front.ask(op="get", index=0)
    assert (r["total"], r["pending"], r["suspect"]["rank"]) == (2, 2, 1)
    assert r["query"] == {"labels": [], "finders": ["crosscheck"]}


def test_errors_are_replies_not_exceptions(front):
    key = {**front.ask(op="get")["suspect"]["key"], "sentence": 99}
    r = front.ask(op="decide", index=0, key=key, decision="reject")
    assert r["kind"] == "error" and "not in the queue" in r["message"]
    r = front.ask(op="explode")
    assert r["kind"] == "error" and "unknown review op" in r["message"]
    good = front.ask(op="get")["suspect"]["key"]
    r = front.ask(op="decide", key=good, decision="nope")
    assert r["kind"] == "error" and "got 'nope'" in r["message"]
    for index in (True, "1", -1, 1.5):
        r = front.ask(op="get", index=index)
        assert r["kind"] == "error" and "'index' must be a whole number" in r["message"]
    r = front.ask(op="decide", key={**good, "sentence": True}, decision="reject")
    assert r["kind"] == "error" and "fields sentence" in r["message"]
    assert front.view.corpus.reviews.height == 0


def test_show_reviewed_filters_the_span_view(front):
    key = front.ask(op="get", index=2)["suspect"]["key"]
    front.ask(op="decide", index=2, key=key, decision="reject")
    front.view.handle_request({"kind": "review", "id": "x", "op": "show_reviewed"})
    assert front.view.query == {"sentences": [2]} and front.view.review_mode is False
    assert front.view.matching_sentences == 1


def test_all_reviewed_gives_no_suspect(front):
    for _ in range(4):
        r = front.ask(op="get", index=0)
        front.ask(op="decide", index=0, key=r["suspect"]["key"], decision="reject")
    r = front.ask(op="get", index=0)
    assert r["suspect"] is None and r["row"] is None
    assert (r["total"], r["reviewed"], r["pending"]) == (4, 4, 0)


def test_explorer_suspects_chart_is_aggregated_and_filters_the_queue(corpus):
    ex = bx.Explorer(corpus, charts=["labels"])
    values = ex.review_chart.view.spec["data"]["values"]
    # plain Python: pending suspects per (label, finder), the duplicate key counted once
    want: dict[tuple, int] = {}
    seen = set()
    for r in _ROWS:
        key = (r[0], r[1], r[2], r[4], r[5])
        if key not in seen:
            seen.add(key)
            want[(r[4], r[9])] = want.get((r[4], r[9]), 0) + 1
    assert {(v["label"], v["finder"]): v["count"] for v in values} == want
    ex.review_chart.view.selection = [{"label": "Algorithm", "finder": "crosscheck"}]
    view = ex.span_view
    assert view.review_query == {"labels": ["Algorithm"], "finders": ["crosscheck"]}
    assert view.review_mode is True
    front = FakeFront(view)
    r = front.ask(op="get", index=0)
    assert (r["total"], r["pending"]) == (2, 2)
    front.ask(op="decide", index=0, key=r["suspect"]["key"], decision="reject")
    values = ex.review_chart.view.spec["data"]["values"]
    assert {(v["label"], v["finder"]): v["count"] for v in values}[("Algorithm", "crosscheck")] == 1
    ex.review_chart.view.selection = []
    assert view.review_query == {}
    # the sentences a review touched, through the Explorer's span view
    view.show_reviewed()
    assert ex.query == {"sentences": [0]}


def test_a_saved_session_with_reviews_keeps_journalling_in_the_span_view(tmp_path):
    path = bx.sample().state.files[0].path
    c = bx.read(path)
    view = bx.SpanView(c)  # the span view's own journal (state dir)
    rv.set_suspects(c, suspects_frame())
    c.review(c.review_queue().row(0, named=True), "accept")
    c.write()  # the edit is saved; the decision stays in the journal
    view.close()
    c2 = bx.read(path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "edits of an earlier session" warning
        bx.SpanView(c2)
    assert c2.reviews["decision"].to_list() == ["accept"] and c2.unsaved == 0
    c2.relabel(2, 14, 15, "Library")  # journalled: a third session replays it
    with pytest.warns(UserWarning, match="restored 1 unsaved edit"):
        ex = bx.explore(path, progress=False)
    assert ex.corpus.unsaved == 1 and ex.corpus.reviews.height == 1
