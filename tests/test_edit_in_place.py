"""Issue 16.7: an edit reply carries the rows of the page it was made on (no second page request).

A fake front end plays the browser: it shows page replies, sends edits naming the page on screen
(``view``), and applies replies with the rules of ``js/src/span_view.js`` (rows of an edit reply
replace the page only when that page is still the one on screen and no page request went out
since; a ``_data_version`` bump the rows are current for asks for nothing).  Expected rows are what
a page request answers at the same data version; expected filter membership is the whole-corpus
``filter``.
"""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import polars as pl
import pytest

import bio_explorer as bx
from bio_explorer.edit_rows import matching, membership_kept, rows_by_id
from bio_explorer.widget import SpanView

SO_TEST = "stackoverflow_ner/test.txt"


class Front:
    """The span view's side of the protocol (the rules of span_view.js), without a DOM."""

    def __init__(self, view: SpanView, monkeypatch: pytest.MonkeyPatch) -> None:
        self.view = view
        self.inbox: list[dict] = []  # messages and trait changes from Python, not yet handled
        self.page: dict | None = None
        self.shown_id: str | None = None
        self.latest_id: str | None = None
        self.rows_version = -1
        self.page_requests = 0
        self._n = 0
        self._query: dict = {}
        monkeypatch.setattr(view, "send", lambda msg, buffers=None: self.inbox.append(msg))
        view.observe(lambda ch: self.inbox.append({"trait": ch["new"]}), names="_data_version")

    def _id(self, what: str) -> str:
        self._n += 1
        return f"{what}-{self._n}"

    def request_page(self, query: dict | None = None, offset: int = 0) -> str:
        self._query = dict(self.view.query if query is None else query)
        self.latest_id = rid = self._id("page")
        self.page_requests += 1
        self.view.handle_request({"kind": "page", "id": rid, "query": self._query,
                                  "offset": offset, "limit": 50})
        return rid

    def edit(self, **args) -> str:
        rid = self._id("edit")
        msg = {"kind": "edit", "id": rid, **args}
        if self.page and self.shown_id is not None and self.latest_id == self.shown_id:
            msg["view"] = {"id": self.shown_id, "query": self._query, "offset": self.page["offset"],
                           "sentences": [s["sentence"] for s in self.page["sentences"]]}
        self.view.handle_request(msg)
        return rid

    def handle(self) -> None:
        """Handle what Python sent, in order (as the browser does)."""
        while self.inbox:
            msg = self.inbox.pop(0)
            if "trait" in msg:
                if msg["trait"] > self.rows_version:
                    self.request_page(self._query, self.page["offset"] if self.page else 0)
            elif msg["kind"] == "page" and msg["id"] == self.latest_id:
                self.page, self.shown_id = msg, msg["id"]
            elif msg["kind"] == "edit" and msg.get("rows") is not None:
                if msg["view"] == self.shown_id == self.latest_id:
                    new = {r["sentence"]: r for r in msg["rows"]}
                    assert set(new) <= {s["sentence"] for s in self.page["sentences"]}
                    self.page = {**self.page, "sentences": [new.get(s["sentence"], s)
                                                            for s in self.page["sentences"]]}
                    self.rows_version = max(self.rows_version, msg["version"])
            elif msg["kind"] == "error":
                raise AssertionError(msg)

    def show(self, query: dict | None = None) -> dict:
        self.request_page(query)
        self.handle()
        return self.page

    def fresh(self) -> list[dict]:
        """The sentences a page request answers now, for the page on screen (not shown)."""
        out: list[dict] = []
        self.view.send = out.append
        try:
            self.view.handle_request({"kind": "page", "id": "check",
                                      "query": self._query,
                                      "offset": self.page["offset"], "limit": 50})
        finally:
            self.view.send = lambda msg, buffers=None: self.inbox.append(msg)
        return out[-1]["sentences"]


@pytest.fixture
def so_corpus(shared_corpora, tmp_path) -> bx.Corpus:
    path = tmp_path / "test.txt"  # a copy: the save below writes it
    shutil.copy(Path(shared_corpora) / SO_TEST, path)
    return bx.read(path)


@pytest.fixture
def front(so_corpus, monkeypatch) -> Front:
    view = SpanView(so_corpus, journal=False)
    view.anomaly_refresh_delay = 600.0  # no background refresh unless wait_idle() asks
    return Front(view, monkeypatch)


def _other_label(view: SpanView, label: str) -> str:
    return next(d["label"] for d in view.label_chips if d["label"] != label)


def _span_on_page(page: dict, pick=lambda s, sp: True) -> tuple[int, int, int, str]:
    for s in page["sentences"]:
        for a, b, lab in s["spans"]:
            if pick(s, (a, b, lab)):
                return s["sentence"], a, b, lab
    raise AssertionError("no such span on the page")


def test_edit_reply_carries_the_page_rows_and_no_page_is_asked(front):
    page = front.show()
    s, a, b, lab = _span_on_page(page)
    new = _other_label(front.view, lab)
    before = front.view._data_version
    rid = front.edit(op="relabel", sentence=s, start=a, end=b, label=new)
    reply, bump = front.inbox[0], front.inbox[1]
    # the reply goes first, with the rows, current for the version the bump then sets
    assert reply["kind"] == "edit" and reply["id"] == rid and reply["ok"] is True
    assert reply["version"] == before + 1 == front.view._data_version
    assert bump == {"trait": before + 1}
    assert reply["view"] == front.shown_id
    n = front.page_requests
    front.handle()
    assert front.page_requests == n  # updated in place: nothing asked
    row = next(r for r in front.page["sentences"] if r["sentence"] == s)
    assert [a, b, new] in row["spans"] and a in row["edited"]
    assert front.page["sentences"] == front.fresh()  # exactly what a page request answers


def test_a_deleted_span_updates_the_counts_of_other_rows_with_its_text(front):
    """``span_counts`` (the span menu's "apply to all N") count a text over the corpus: deleting
    one span changes them on every row of the page holding that text."""
    page = front.show()
    seen: dict[str, list[tuple[int, int]]] = {}
    for row in page["sentences"]:
        for a, b, _ in row["spans"]:
            seen.setdefault(" ".join(row["tokens"][a:b]), []).append((row["sentence"], a))
    text, where = next((t, w) for t, w in seen.items() if len({x[0] for x in w}) >= 2)
    s, a = where[0]
    n = front.page_requests
    front.edit(op="delete", sentence=s, start=a)
    assert front.inbox[0]["rows"], text
    front.handle()
    assert front.page["sentences"] == front.fresh()
    front.edit(op="undo")
    front.handle()
    assert front.page["sentences"] == front.fresh()
    assert front.page_requests == n


def test_undo_redo_save_and_relabel_all_update_in_place(front):
    page = front.show()
    s, a, b, lab = _span_on_page(page)
    new = _other_label(front.view, lab)
    n = front.page_requests
    for args in ({"op": "relabel", "sentence": s, "start": a, "end": b, "label": new},
                 {"op": "undo"}, {"op": "redo"},
                 {"op": "relabel_all", "text": " ".join(
                     next(r for r in page["sentences"] if r["sentence"] == s)["tokens"][a:b]),
                  "from_label": None, "to_label": lab, "include_untagged": False}):
        front.edit(**args)
        front.handle()
        assert front.page["sentences"] == front.fresh(), args
    assert front.page_requests == n
    row = next(r for r in front.page["sentences"] if r["sentence"] == s)
    assert [a, b, lab] in row["spans"]
    # a save clears the "edited" marks of the rows on screen
    front.edit(op="relabel", sentence=s, start=a, end=b, label=new)
    front.handle()
    assert any(r["edited"] for r in front.page["sentences"])
    front.edit(op="save")
    front.handle()
    assert not any(r["edited"] for r in front.page["sentences"])
    assert front.page["sentences"] == front.fresh()
    assert front.page_requests == n


def test_edit_that_takes_a_sentence_out_of_the_filter_asks_for_the_page(front):
    """Under a label filter, relabelling the only span of that label of a sentence: the sentence
    leaves the filter, and the page is asked for again (as before: it leaves the page)."""
    spans = front.view.corpus.spans
    lab = spans["label"].value_counts(sort=True)["label"][0]
    page = front.show({"labels": [lab]})
    single = {s["sentence"] for s in page["sentences"]
              if [x[2] for x in s["spans"]].count(lab) == 1}
    s, a, b, _ = _span_on_page(page, lambda s, sp: s["sentence"] in single and sp[2] == lab)
    n = front.page_requests
    front.edit(op="relabel", sentence=s, start=a, end=b, label=_other_label(front.view, lab))
    assert "rows" not in front.inbox[0]
    front.handle()
    assert front.page_requests == n + 1
    assert s not in [r["sentence"] for r in front.page["sentences"]]
    # undo: it comes back (it enters the filter again: the page is asked for again)
    front.edit(op="undo")
    assert "rows" not in front.inbox[0]
    front.handle()
    assert s in [r["sentence"] for r in front.page["sentences"]]
    assert front.page_requests == n + 2


def test_edit_keeping_the_sentence_in_the_filter_updates_in_place(front):
    spans = front.view.corpus.spans
    two = (spans.group_by("sentence", "label").len().filter(pl.col("len") >= 2)
           .sort("sentence").row(0, named=True))
    lab = two["label"]
    page = front.show({"labels": [lab], "sentences": [two["sentence"]]})
    s, a, b, _ = _span_on_page(page, lambda s, sp: sp[2] == lab)
    n = front.page_requests
    front.edit(op="relabel", sentence=s, start=a, end=b, label=_other_label(front.view, lab))
    assert front.inbox[0]["rows"]
    front.handle()
    assert front.page_requests == n
    assert front.page["sentences"] == front.fresh()


def test_stale_rows_are_not_applied(front):
    """A page request went out before the edit reply was handled: the reply's rows are not
    shown (the page on screen may be replaced by then); the reply to the latest page request
    decides, and it has the edit."""
    page = front.show()
    s, a, b, lab = _span_on_page(page)
    new = _other_label(front.view, lab)
    front.edit(op="relabel", sentence=s, start=a, end=b, label=new)
    reply = front.inbox[0]
    assert reply["rows"]
    front.request_page(offset=50)  # next page, sent before the edit reply was handled
    front.handle()
    assert front.rows_version == -1  # the rows of the reply were dropped
    assert front.shown_id == front.latest_id
    assert front.page["sentences"] == front.fresh()
    # an edit reply whose view is not the page on screen never replaces it
    shown = front.page
    front.inbox.append({**reply, "version": reply["version"] + 5})
    front.handle()
    assert front.page is shown and front.rows_version < reply["version"] + 5


def test_a_malformed_view_is_refused_and_nothing_changes(front):
    page = front.show()
    s, a, b, lab = _span_on_page(page)
    version = front.view._data_version
    for bad in ({"id": "x", "query": {}, "offset": 0, "sentences": "all"},
                {"id": "x", "query": {"nope": 1}, "offset": 0, "sentences": [s]},
                {"id": 3, "query": {}, "offset": 0, "sentences": [s]}, []):
        front.view.handle_request({
            "kind": "edit", "id": "e", "op": "relabel", "sentence": s, "start": a, "end": b,
            "label": _other_label(front.view, lab), "view": bad})
        assert front.inbox[-1]["kind"] == "error" and "'view'" in front.inbox[-1]["message"]
    assert front.view._data_version == version
    assert rows_by_id(front.view.corpus, {}, [s, s]) is None  # not ascending ids: no rows
    assert rows_by_id(front.view.corpus, {}, [10**6]) is None  # no such sentence


def test_counts_follow_the_in_place_reply_in_an_event_loop(so_corpus, monkeypatch):
    view = SpanView(so_corpus, journal=False)
    front = Front(view, monkeypatch)
    page = front.show()
    s, a, b, _ = _span_on_page(page)
    events: list[str] = []
    view.observe(lambda ch: events.append(ch["name"]), names=["_labels", "_data_version"])

    async def session() -> None:
        front.edit(op="relabel", sentence=s, start=a, end=b, label="Zzz_InPlace")
        assert [m.get("kind", "trait") for m in front.inbox] == ["edit", "trait"]
        assert events == ["_data_version"]  # the counts wait for the loop
        for _ in range(200):
            if "_labels" in events:
                break
            await asyncio.sleep(0.005)
        assert events == ["_data_version", "_labels"]
        assert any(d["label"] == "Zzz_InPlace" for d in view.label_chips)
        view._global.cancel()

    asyncio.run(session())


@pytest.mark.parametrize("query", [
    {"labels": ["Library"]},
    {"labels": ["Library", "Application"], "text": "py", "where": "span"},
    {"text": "the"},
    {"transition": ["O", "I-Library"]},
    {"anomaly": ["invalid_transition"]},
    {"anomaly": ["inconsistent_label"]},
    {"anomaly": ["boundary_punct:Library"], "labels": ["Library"]},
])
def test_matching_on_a_few_sentences_agrees_with_the_whole_corpus_filter(so_corpus, query):
    c = so_corpus
    c.anomalies()  # the global kinds exist
    spans = c.spans.filter(pl.col("label") == "Library").head(6)
    ids = pl.Series(sorted(set(spans["sentence"].to_list()) | {0, 1, 2, 3}), dtype=pl.UInt32)
    before = c.filter(**query).sentence_ids()
    tags = c.state.tok["tag"]
    for row in spans.head(3).iter_rows(named=True):  # edits: Library → Application, one I- tag
        c.relabel(row["sentence"], row["start"], row["end"], "Application")
    row = spans.row(4, named=True)
    c.delete_span(row["sentence"], row["start"])
    after = c.filter(**query).sentence_ids()
    want = ids.filter(ids.is_in(after.implode()))
    assert matching(c, query, ids).to_list() == want.to_list()
    if "anomaly" not in query:
        old = ids.filter(ids.is_in(before.implode()))
        assert matching(c, query, ids, tags=tags).to_list() == old.to_list()
        shown = [i for i in ids.to_list() if i in set(old.to_list())]
        assert membership_kept(c, query, shown, tags) == (want.to_list() == old.to_list())


def test_a_lazy_view_answers_an_edit_with_a_view_and_asks_for_the_page(so_corpus, tmp_path,
                                                                      monkeypatch):
    """A LazyCorpus has no tag column in memory: its edit replies carry no rows, and the bump
    makes the front end ask for its page (which shows the edit)."""
    lazy = bx.scan(so_corpus.state.files[0].path, tmp_path / "ds")
    front = Front(bx.LazySpanView(lazy, page_size=50), monkeypatch)
    page = front.show()
    s, a, b, lab = _span_on_page(page)
    new = _other_label(front.view, lab)
    n = front.page_requests
    front.edit(op="relabel", sentence=s, start=a, end=b, label=new)
    assert front.inbox[0]["ok"] is True and "rows" not in front.inbox[0]
    front.handle()
    assert front.page_requests == n + 1
    row = next(r for r in front.page["sentences"] if r["sentence"] == s)
    assert [a, b, new] in row["spans"]
