"""SpanView / ChartView with a fake front end: messages go to the handler, replies are captured.

Expected sentences and counts come from a plain-Python reading of the real file in the test
(``_plain_read``), independent of the package's loader and query code.
"""

from __future__ import annotations

from pathlib import Path

import altair as alt
import polars as pl
import pytest
import traitlets

import bio_explorer as bx
from bio_explorer.chart_widget import ChartView
from bio_explorer.query import Query
from bio_explorer.widget import SpanView

SO_TEST = "stackoverflow_ner/test.txt"


def _plain_read(path: Path, tag_col: int = 1) -> list[list[tuple[str, str]]]:
    """Sentences of a TAB-separated file as (token, tag) lists: blank or TAB-only lines break."""
    sentences: list[list[tuple[str, str]]] = []
    cur: list[tuple[str, str]] = []
    for line in path.read_text(encoding="utf-8").split("\n"):
        line = line.rstrip("\r")
        if line.strip("\t ") == "":
            if cur:
                sentences.append(cur)
                cur = []
            continue
        fields = line.split("\t")
        cur.append((fields[0], fields[tag_col]))
    if cur:
        sentences.append(cur)
    return sentences


def _label_spans(sent: list[tuple[str, str]], label: str) -> int:
    """Spans of ``label`` in one IOB2 sentence (an orphan I-X starts a span, as seqeval does)."""
    n, prev = 0, "O"
    for _tok, tag in sent:
        if tag == f"B-{label}" or (tag == f"I-{label}" and prev[2:] != label):
            n += 1
        prev = tag
    return n


class FakeFrontEnd:
    """Plays the browser: sends custom messages to the widget and records what Python sends."""

    def __init__(self, view: SpanView, monkeypatch: pytest.MonkeyPatch) -> None:
        self.view = view
        self.replies: list[dict] = []
        self._n = 0
        monkeypatch.setattr(view, "send", lambda msg, buffers=None: self.replies.append(msg))

    def ask(self, **msg) -> str:
        self._n += 1
        msg.setdefault("id", f"req-{self._n}")
        self.view.handle_request(msg, [])
        return msg["id"]

    def page(self, query=None, offset=0, limit=50) -> dict:
        rid = self.ask(kind="page", query=query if query is not None else self.view.query,
                       offset=offset, limit=limit)
        reply = self.replies[-1]
        assert reply["id"] == rid, reply
        return reply


@pytest.fixture(scope="module")
def so_path(shared_corpora) -> Path:
    return shared_corpora / SO_TEST


@pytest.fixture(scope="module")
def so_plain(so_path):
    return _plain_read(so_path)


@pytest.fixture
def so_corpus(so_path):
    return bx.read(so_path)


@pytest.fixture
def front(so_corpus, monkeypatch):
    return FakeFrontEnd(SpanView(so_corpus), monkeypatch)


# ---------------------------------------------------------------------------------------- query
def normalize_query(query):
    return Query.from_dict(query).to_dict()


def test_normalize_query_drops_empty_and_validates():
    q = normalize_query({"labels": "Library", "text": "", "regex": False, "anomaly": [],
                         "transition": ("O", "I-Library"), "source": None})
    assert q == {"labels": ["Library"], "transition": ["O", "I-Library"]}
    assert normalize_query(None) == {}
    with pytest.raises(ValueError, match=r"unknown query key.*'label'"):
        normalize_query({"label": ["Library"]})
    with pytest.raises(ValueError, match="where"):
        normalize_query({"where": "sentence"})
    with pytest.raises(ValueError, match="transition"):
        normalize_query({"transition": ["O"]})
    with pytest.raises(ValueError, match="sentences"):
        normalize_query({"sentences": ["1"]})


def test_constructor_pushes_nothing_and_sets_totals(so_corpus, so_plain, monkeypatch):
    sent: list = []
    view = SpanView(so_corpus)
    monkeypatch.setattr(view, "send", lambda msg, buffers=None: sent.append(msg))
    assert sent == []  # pages are only sent when the front end asks
    assert view.total_sentences == len(so_plain)
    assert view.matching_sentences == len(so_plain)
    assert view.page_size == 50
    assert view._sources == ["test.txt"]
    # label counts (unfiltered): spans per label, sorted by count descending
    expected = {}
    for s in so_plain:
        for lab in {t[2:] for _tok, t in s if t != "O"}:
            expected[lab] = expected.get(lab, 0) + _label_spans(s, lab)
    got = {d["label"]: d["count"] for d in view.label_chips}
    assert got == expected
    counts = [d["count"] for d in view.label_chips]
    assert counts == sorted(counts, reverse=True)
    assert all(d["color"].startswith("#") for d in view.label_chips)
    assert view._status["unsaved"] == 0 and view._status["path"].endswith("test.txt")


def test_page_returns_the_right_sentences(front, so_plain):
    want = [s for s in so_plain if any(t.endswith("-Library") for _tok, t in s)]
    reply = front.page({"labels": ["Library"]}, offset=0, limit=50)
    assert reply["kind"] == "page"
    assert reply["total"] == len(want)
    assert reply["offset"] == 0
    got = [s["tokens"] for s in reply["sentences"]]
    assert got == [[tok for tok, _t in s] for s in want[:50]]
    for s in reply["sentences"]:
        assert "Library" in [sp[2] for sp in s["spans"]]
        assert len(s["tags"]) == len(s["tokens"])
    # the second page continues where the first ended
    reply2 = front.page({"labels": ["Library"]}, offset=50, limit=50)
    assert [s["tokens"] for s in reply2["sentences"]] == [[t for t, _ in s] for s in want[50:100]]


def test_page_ids_echoed_and_stale_requests_dropped(front):
    view = front.view
    with view._drain.hold():  # three requests queue up while Python is busy
        front.ask(kind="page", id="a", query={}, offset=0, limit=5)
        front.ask(kind="page", id="b", query={"labels": ["Library"]}, offset=0, limit=5)
        front.ask(kind="page", id="c", query={"labels": ["Algorithm"]}, offset=0, limit=5)
        assert front.replies == []
    assert [r["id"] for r in front.replies] == ["c"]  # only the newest is answered
    assert all("Algorithm" in [sp[2] for sp in s["spans"]] for s in front.replies[0]["sentences"])
    # without a queue every request is answered with its own id
    for rid in ("x", "y"):
        front.ask(kind="page", id=rid, query={}, offset=0, limit=3)
    assert [r["id"] for r in front.replies[1:]] == ["x", "y"]


def test_errors_come_back_as_error_messages(front):
    front.ask(kind="page", id="bad-re", query={"text": "([", "regex": True}, offset=0, limit=5)
    err = front.replies[-1]
    assert err["kind"] == "error" and err["id"] == "bad-re"
    assert "([" in err["message"]
    front.ask(kind="page", id="bad-key", query={"lables": ["X"]}, offset=0, limit=5)
    assert front.replies[-1]["kind"] == "error" and "lables" in front.replies[-1]["message"]
    front.ask(kind="nonsense", id="k")
    assert front.replies[-1] == {"kind": "error", "id": "k",
                                 "message": "unknown message kind 'nonsense'"}
    front.ask(kind="edit", id="e", op="explode")
    assert front.replies[-1]["kind"] == "error" and "explode" in front.replies[-1]["message"]


def test_query_from_python_refilters(front, so_plain):
    view = front.view
    version = view._data_version
    view.query = {"labels": ["Library", "Algorithm"], "text": ""}
    assert view.query == {"labels": ["Library", "Algorithm"]}
    want = [s for s in so_plain
            if any(t[2:] in ("Library", "Algorithm") for _tok, t in s if t != "O")]
    assert view.matching_sentences == len(want)
    counts = {d["label"]: d["count"] for d in view.label_chips}
    assert counts["Library"] == sum(_label_spans(s, "Library") for s in want)
    assert counts["Algorithm"] == sum(_label_spans(s, "Algorithm") for s in want)
    assert view._data_version == version  # a query is not a data change
    assert len(view.filtered) == len(want)
    assert front.replies == []  # Python never pushes a page
    reply = front.page()
    assert reply["total"] == len(want)
    with pytest.raises(traitlets.TraitError, match="unknown query key"):
        view.query = {"colour": "red"}
    view.query = {}
    assert view.matching_sentences == len(so_plain)


def test_transition_filter_highlights_offending_tokens(front, so_plain):
    invalid = []
    for s in so_plain:
        prev = "O"
        for i, (_tok, tag) in enumerate(s):
            if tag.startswith("I-") and prev[2:] != tag[2:]:
                invalid.append((prev if i else "<s>", tag))
            prev = tag
    assert len(invalid) == 1  # the README's checked count for stackoverflow test.txt
    prev, tag = invalid[0]
    reply = front.page({"transition": [prev, tag]})
    assert reply["total"] == 1
    s = reply["sentences"][0]
    pos = [i for i, t in enumerate(s["tags"]) if t == tag and (i == 0 or s["tags"][i - 1] == prev)]
    assert pos and set(pos) <= set(s["highlight"])


def test_selected_and_filtered(front):
    view = front.view
    spans = view.corpus.spans.filter(pl.col("label") == "Library").head(1)
    s, start, end = (int(spans[c][0]) for c in ("sentence", "start", "end"))
    view._selection = {"sentence": s, "start": start, "end": end}
    row = view.selected
    assert row.height == 1 and row["label"][0] == "Library" and row["sentence"][0] == s
    view._selection = {"sentence": s, "start": None, "end": None}
    assert view.selected.columns == view.corpus.sentences.columns
    assert view.selected["sentence"].to_list() == [s]
    view._selection = None
    assert view.selected is None
    view.query = {"labels": ["Library"]}
    assert isinstance(view.filtered, bx.Corpus)
    assert view.filtered.spans.filter(pl.col("label") == "Library").height > 0


def test_edit_relabel_bumps_version_and_undo(front, so_path):
    pytest.importorskip("bio_explorer.edits")
    if not hasattr(bx.Corpus, "relabel"):
        pytest.skip("edits not available")
    view = front.view
    sp = view.corpus.spans.filter(pl.col("label") == "Library").head(1)
    s, start, end = (int(sp[c][0]) for c in ("sentence", "start", "end"))
    before = view._data_version
    lib_before = {d["label"]: d["count"] for d in view.label_chips}["Library"]
    front.ask(kind="edit", id="e1", op="relabel", sentence=s, start=start, end=end,
              label="Algorithm")
    reply = front.replies[-1]
    assert reply["kind"] == "edit" and reply["id"] == "e1" and reply["ok"] is True, reply
    assert view._data_version == before + 1
    assert {d["label"]: d["count"] for d in view.label_chips}["Library"] == lib_before - 1
    page = front.page({"sentences": [s]})
    assert [start, end, "Algorithm"] in page["sentences"][0]["spans"]
    assert view._status["unsaved"] == 1
    front.ask(kind="edit", id="e2", op="undo")
    assert front.replies[-1]["ok"] is True
    assert view._data_version == before + 2
    page = front.page({"sentences": [s]})
    assert [start, end, "Library"] in page["sentences"][0]["spans"]
    # a failing edit changes nothing and says why
    front.ask(kind="edit", id="e3", op="relabel", sentence=s, start=0, end=10_000, label="X")
    assert front.replies[-1]["kind"] == "error" and front.replies[-1]["id"] == "e3"
    assert view._data_version == before + 2


def test_page_span_counts_follow_edits(front):
    """The page reply's ``span_counts`` count spans of the whole corpus, also right after edits."""
    view = front.view
    sp = view.corpus.spans
    texts = sp.group_by("text").agg(pl.col("sentence").n_unique().alias("k")).filter(
        pl.col("k") >= 2).sort("text")["text"]
    text = texts[0]
    two = sp.filter(pl.col("text") == text).unique("sentence", keep="first").sort("sentence")
    a, b = two.row(0, named=True), two.row(1, named=True)
    n = sp.filter(pl.col("text") == text).height

    def count_at(row) -> int:
        page = front.page({"sentences": [row["sentence"]]})
        sent = page["sentences"][0]
        return sent["span_counts"][[x[0] for x in sent["spans"]].index(row["start"])]

    assert count_at(b) == n
    front.ask(kind="edit", id="d1", op="delete", sentence=a["sentence"], start=a["start"])
    assert front.replies[-1]["ok"] is True, front.replies[-1]
    assert count_at(b) == n - 1
    front.ask(kind="edit", id="d2", op="undo")
    assert count_at(b) == n


def test_page_after_edit_in_code_refreshes(front):
    if not hasattr(bx.Corpus, "relabel"):
        pytest.skip("edits not available")
    view = front.view
    sp = view.corpus.spans.head(1)
    s, start, end = (int(sp[c][0]) for c in ("sentence", "start", "end"))
    before = view._data_version
    view.corpus.relabel(s, start, end, "Zzz_New")
    front.page({"sentences": [s]})
    assert view._data_version == before + 1  # the front end is told to refetch
    assert "Zzz_New" in {d["label"] for d in view.label_chips}


# ---------------------------------------------------------------------------------- chart view
def test_chart_view_updates_spec_only_when_changed():
    df = pl.DataFrame({"label": ["A", "B"], "spans": [3, 1]})
    chart = alt.Chart(alt.Data(values=df.to_dicts())).mark_bar().encode(x="spans:Q", y="label:N")
    view = ChartView(chart)
    spec = view.spec
    assert spec["mark"]["type"] == "bar" and spec["data"]["values"][0] == {"label": "A", "spans": 3}
    assert view.chart is chart
    same = alt.Chart(alt.Data(values=df.to_dicts())).mark_bar().encode(x="spans:Q", y="label:N")
    assert view.set_chart(same) is False
    assert view.spec is spec  # not re-sent
    other = same.properties(title="t")
    assert view.set_chart(other) is True and view.spec["title"] == "t"
    assert view.selection == []
    view.selection = [{"label": "A"}]
    assert view.selection == [{"label": "A"}]


# ------------------------------------------------------------- edits: fast reply, then global
def _global_marked(corpus: bx.Corpus) -> dict:
    """A span occurrence flagged ``inconsistent_label`` by the exact anomalies."""
    an = corpus.anomalies()
    row = an.filter(pl.col("kind") == "inconsistent_label").row(0, named=True)
    sp = corpus.spans.filter((pl.col("sentence") == row["sentence"])
                             & (pl.col("start") == row["start"])).row(0, named=True)
    return sp


def _kind_counts_of(frame: pl.DataFrame) -> dict[str, int]:
    counts = frame.group_by("kind").len()
    return dict(zip(counts["kind"].to_list(), counts["len"].to_list(), strict=True))


def test_edit_replies_at_once_then_background_refreshes_global_marks(front):
    from bio_explorer.analysis.anomalies import GLOBAL_KINDS, global_version

    view = front.view
    corpus = view.corpus
    sp = _global_marked(corpus)
    s = sp["sentence"]
    assert any(a[2] == "inconsistent_label" for a in front.page({"sentences": [s]})
               ["sentences"][0]["anomalies"])
    before = view._data_version
    front.ask(kind="edit", id="e1", op="relabel", sentence=s, start=sp["start"], end=sp["end"],
              label="Zzz_Other")
    assert front.replies[-1]["ok"] is True and view._data_version == before + 1
    # label counts (updated from the edited sentence only) equal a recount of the spans
    recount = corpus.spans.group_by("label").len()
    assert {d["label"]: d["count"] for d in view.label_chips if d["count"]} == dict(
        zip(recount["label"].to_list(), recount["len"].to_list(), strict=True))
    assert {d["label"]: d["count"] for d in view.label_chips}["Zzz_Other"] == 1
    # fast path: the global result is the old one; its marks on the edited sentence are gone
    assert global_version(corpus) == 0 != corpus.state.version
    assert view._global.pending
    marks = front.page({"sentences": [s]})["sentences"][0]["anomalies"]
    assert not any(a[2] in GLOBAL_KINDS for a in marks)
    # the background run (done now, deterministically) installs the exact result and tells the
    # front end to refetch
    assert view.wait_idle(timeout=60) is True
    assert not view._global.pending and view._global.error is None
    assert global_version(corpus) == corpus.state.version
    assert view._data_version == before + 2
    exact = corpus.anomalies()
    assert {d["kind"]: d["count"] for d in view._anomaly_kinds} == _kind_counts_of(exact)
    page = front.page({"sentences": [s]})["sentences"][0]
    want = exact.filter(pl.col("sentence") == s).select("start", "end", "kind", "label").rows()
    assert [tuple(a[:4]) for a in page["anomalies"]] == want
    assert view.wait_idle() is True and view._data_version == before + 2  # nothing more to do


def test_background_refresh_in_event_loop(so_corpus, monkeypatch):
    """In a kernel (running asyncio loop) the refresh is debounced on the loop, runs in a thread
    and is handed back to the loop, which bumps the data version."""
    import asyncio

    from bio_explorer.analysis.anomalies import global_version

    view = SpanView(so_corpus)
    fe = FakeFrontEnd(view, monkeypatch)
    sp = so_corpus.spans.row(0, named=True)

    async def session() -> None:
        view.anomaly_refresh_delay = 0.0
        before = view._data_version
        fe.ask(kind="edit", op="relabel", sentence=sp["sentence"], start=sp["start"],
               end=sp["end"], label="Zzz_Loop")
        assert view._data_version == before + 1
        worker = view._global.worker
        assert worker.timer is not None and worker.thread is None  # debounced
        loop = asyncio.get_running_loop()
        for _ in range(1000):  # the timer (delay 0) fires on one of the next loop iterations
            if view._global.worker.thread is not None:
                break
            await asyncio.sleep(0)
        thread = view._global.worker.thread
        assert thread is not None
        await loop.run_in_executor(None, thread.join)
        await asyncio.sleep(0)
        assert global_version(so_corpus) == so_corpus.state.version
        assert view._data_version == before + 2

    asyncio.run(session())
    assert not view._global.pending


def _record_events(view, traits: list[str]) -> list[str]:
    """A list that records, in order, each change of ``traits`` (by name) and the kind of each
    message ``view`` sends."""
    events: list[str] = []
    view.observe(lambda ch: events.append(ch["name"]), names=traits)
    send = view.send
    view.send = lambda content, buffers=None: (events.append(content["kind"]),
                                               send(content, buffers))
    return events


def test_edit_in_event_loop_sends_rows_before_counts(so_corpus, monkeypatch):
    """In a kernel an edit is answered (reply, ``_data_version``) without recounting the chips
    and anomaly kinds: the page the front end then asks for goes out first, the counts follow
    it (issue 16.7: the rows are what the user waits for)."""
    import asyncio

    view = SpanView(so_corpus)
    fe = FakeFrontEnd(view, monkeypatch)
    sp = so_corpus.spans.row(0, named=True)
    events = _record_events(view, ["_labels", "_data_version"])

    async def session() -> None:
        fe.ask(kind="edit", op="relabel", sentence=sp["sentence"], start=sp["start"],
               end=sp["end"], label="Zzz_Rows")
        assert events == ["edit", "_data_version"]  # no recount yet
        fe.ask(kind="page", query=view.query, offset=0, limit=50)  # what the bump asks for
        for _ in range(100):
            if "page" in events:
                break
            await asyncio.sleep(0)
        assert events[:3] == ["edit", "_data_version", "page"]
        assert events[3:] == ["_labels"]  # the counts, right after the page reply
        assert any(d["label"] == "Zzz_Rows" for d in view.label_chips)
        view._global.cancel()

    asyncio.run(session())


def test_filter_from_the_front_end_sends_rows_before_counts(so_corpus, monkeypatch):
    """A query written by the front end (chip click) is answered page first, counts after (in a
    kernel); a query set in code has its counts at once."""
    import asyncio

    view = SpanView(so_corpus)
    fe = FakeFrontEnd(view, monkeypatch)
    label = view.label_chips[0]["label"]
    events = _record_events(view, ["_labels", "matching_sentences"])

    async def session() -> None:
        view.set_state({"query": {"labels": [label]}})  # as the comm does it
        assert events == []
        fe.ask(kind="page", query=view.query, offset=0, limit=50)
        for _ in range(100):
            if "page" in events:
                break
            await asyncio.sleep(0)
        assert events[0] == "page" and set(events[1:]) == {"_labels", "matching_sentences"}
        events.clear()
        view.query = {}  # in code: counted at once
        assert set(events) == {"_labels", "matching_sentences"}
        assert view.matching_sentences == len(so_corpus)
        view._global.cancel()

    asyncio.run(session())


def test_background_result_for_an_old_version_is_not_applied(front):
    view = front.view
    corpus = view.corpus
    sp = corpus.spans.head(2).rows(named=True)
    front.ask(kind="edit", op="relabel", sentence=sp[0]["sentence"], start=sp[0]["start"],
              end=sp[0]["end"], label="Zzz_A")
    stale_version = corpus.state.version
    front.ask(kind="edit", op="relabel", sentence=sp[1]["sentence"], start=sp[1]["start"],
              end=sp[1]["end"], label="Zzz_B")
    before = view._data_version
    view._on_global_done(stale_version)  # a run that finished after the corpus moved on
    assert view._data_version == before
    assert view.wait_idle() is True and view._data_version == before + 1


def test_undo_redo_with_nothing_to_do_is_not_an_error(front):
    front.ask(kind="edit", id="u1", op="undo")
    reply = front.replies[-1]
    assert reply == {"kind": "edit", "id": "u1", "ok": True, "message": "Nothing to undo"}
    front.ask(kind="edit", id="r1", op="redo")
    reply = front.replies[-1]
    assert reply["ok"] is True and reply["message"] == "Nothing to redo"


def test_the_last_few_searches_are_kept_for_one_data_version(front):
    """Typing "Lib", "Library", then erasing back to "Lib" filters once per query; an edit makes
    every kept view unusable (pages after it are of the edited corpus); only the last four
    queries are kept."""
    from bio_explorer import widget as widget_mod

    view = front.view
    corpus = view.corpus
    calls: list[dict] = []
    real_filter = corpus.filter

    def counting_filter(**query):
        calls.append(query)
        return real_filter(**query)

    corpus.filter = counting_filter
    words = ["Lib", "Library", "Lib", "Library"]
    replies = [front.page({"text": w}) for w in words]
    assert [q["text"] for q in calls] == ["Lib", "Library"]  # erased and retyped: no new filter
    assert replies[0]["total"] == replies[2]["total"] == len(real_filter(text="Lib"))

    # an edit: the kept views are of an older version, so the next page filters again and shows
    # the edited corpus
    sid = int(replies[1]["sentences"][0]["sentence"])
    start, end, label = replies[1]["sentences"][0]["spans"][0]
    other = next(d["label"] for d in view.label_chips if d["label"] != label)
    front.ask(kind="edit", op="relabel", sentence=sid, start=start, end=end, label=other)
    calls.clear()
    after = front.page({"text": "Library"})
    assert [q["text"] for q in calls] == ["Library"]
    row = next(s for s in after["sentences"] if s["sentence"] == sid)
    assert [start, end, other] in row["spans"]

    # at most _VIEWS_KEPT queries: the oldest one is filtered again
    kept = widget_mod._VIEWS_KEPT
    for i in range(kept + 1):
        front.page({"text": f"w{i}"})
    calls.clear()
    front.page({"text": f"w{kept}"})
    front.page({"text": "w0"})
    assert [q["text"] for q in calls] == ["w0"]
