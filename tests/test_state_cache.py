"""The one cache (``State.memo``): after edits, undo, redo, relabel-all, a background global scan
and a save, every current entry equals the same key built from scratch on a fresh state.

A fresh state shares the frames and versions of the real one but has an empty cache (only the latest
global anomaly result is handed over: it is an input of the "fast" anomaly keys, by design possibly
stale).  The real state reaches its entries incrementally (``last()``), the fresh one from nothing.
Also checks that every key used is documented in ``docs/ARCHITECTURE.md``.
"""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl
import pytest

import bio_explorer as bx
from bio_explorer.analysis import anomalies as an
from bio_explorer.analysis import transitions as tr
from bio_explorer.corpus import Corpus
from bio_explorer.state import State

DOC = Path(__file__).resolve().parent.parent / "docs" / "ARCHITECTURE.md"


def _documented_keys() -> list[re.Pattern]:
    text = DOC.read_text(encoding="utf-8")
    section = text[text.index("## State and the one cache"):]
    keys = re.findall(r"^\| `([^`]+)` \|", section, flags=re.M)
    keys = [k for k in keys if k not in ("tags", "tokens", "edits", "global")]  # the things table
    return [re.compile("^" + re.sub(r"\\\{[^}]*\\\}", ".+", re.escape(k)) + "$") for k in keys]


def _populate(c: Corpus, *, exact: bool) -> None:
    """What a session does: frames, filters and pages, the fast anomaly counts, transitions."""
    c.spans  # noqa: B018
    c.sentences  # noqa: B018
    c.file_tags()
    label = c.labels()[0]
    for q in ({"labels": [label]}, {"text": "torch"}, {"text": "py", "where": "span"},
              {"anomaly": list(an.KINDS)}, {"transition": ["O", f"I-{label}"]}, {}):
        c.filter(**q).page(0, 50)
    an.anomalies(c, stale_ok=True)
    c.transitions()
    tr.invalid_by_sentence(c)
    c.label_counts()
    if exact:
        c.anomalies()
        c.inconsistencies()


def _fresh(c: Corpus) -> Corpus:
    st = c.state
    fresh = State(st.tok, st.files, st.scheme, st.problems)
    fresh.versions = dict(st.versions)
    latest = st.last("anomalies_global")
    if latest is not None:
        fresh.put("anomalies_global", latest[1], latest[0], ("tags",))
    return Corpus(fresh)


def _rows(frame: pl.DataFrame) -> list[str]:
    return sorted(repr(r) for r in frame.rows())


def _same(a, b, where: str) -> None:
    assert type(a) is type(b), f"{where}: {type(a).__name__} != {type(b).__name__}"
    if isinstance(a, pl.DataFrame):
        assert a.columns == b.columns, where
        assert _rows(a) == _rows(b), f"{where}: frames differ"
    elif isinstance(a, pl.Series):
        assert a.to_list() == b.to_list(), f"{where}: series differ"
    elif isinstance(a, dict):
        assert sorted(map(str, a)) == sorted(map(str, b)), f"{where}: keys differ"
        for k in a:
            _same(a[k], b[k], f"{where}[{k!r}]")
    elif isinstance(a, (tuple, list)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _same(x, y, f"{where}[{i}]")
    elif hasattr(a, "__dict__"):
        _same(vars(a), vars(b), where)
    else:
        assert a == b, f"{where}: {a!r} != {b!r}"


def _check(c: Corpus, step: str, documented: list[re.Pattern], *, exact: bool) -> int:
    _populate(c, exact=exact)
    st = c.state
    fresh = _fresh(c)
    _populate(fresh, exact=exact)
    checked = 0
    for key in list(st._memo):
        assert any(p.match(key) for p in documented), f"cache key {key!r} not in ARCHITECTURE.md"
        value = st.peek(key)
        if value is None:  # stale: never served
            continue
        if key == "label_counts":  # the widget's incremental label counts
            counts = fresh.spans.group_by("label").len()
            want = dict(zip(counts["label"].to_list(), counts["len"].to_list(), strict=True))
            assert value[1] == want, f"{step}: label_counts"
            assert value[0].to_list() == st.tok["tag"].to_list()
            continue
        other = fresh.state.peek(key)
        if other is None and key.startswith("consistency"):
            fresh.inconsistencies()  # the real state ran it for its first global anomaly result
            other = fresh.state.peek(key)
        assert other is not None, f"{step}: {key!r} not rebuilt on the fresh state"
        _same(value, other, f"{step}: {key}")
        checked += 1
    return checked


@pytest.fixture
def corpus() -> Corpus:
    return bx.sample()  # a private copy: saving in place is fine


def test_every_cached_frame_equals_a_fresh_computation(corpus):
    documented = _documented_keys()
    c = corpus
    from bio_explorer.widget import SpanView

    view = SpanView(c)

    def check(step: str) -> None:
        view.spans_per_label(c)
        assert _check(c, step + " (fast)", documented, exact=False) > 10
        assert _check(c, step + " (exact)", documented, exact=True) > 10

    check("read")
    sp = c.spans.row(0, named=True)
    other = next(lab for lab in c.labels() if lab != sp["label"])
    c.relabel(sp["sentence"], sp["start"], sp["end"], other)
    check("relabel")
    tags = c.tokens.filter(pl.col("tag") == "O").row(0, named=True)
    c.add_span(tags["sentence"], tags["position"], tags["position"] + 1, other)
    check("add_span")
    c.undo()
    check("undo")
    c.redo()
    check("redo")
    form = c.spans.group_by("text").len().sort(["len", "text"], descending=[True, False])
    c.relabel_all(form["text"][0], other).apply()
    check("relabel_all")
    an.refresh_global(c)  # what the span view runs in the background
    c.relabel(sp["sentence"], sp["start"], sp["end"], sp["label"])
    check("relabel after a global scan")
    c.undo()
    check("undo after a global scan")
    c.write()
    assert c.unsaved == 0
    check("save")
    first = c.spans.row(1, named=True)
    c.delete_span(first["sentence"], first["start"])
    check("delete after save")
    c.undo()
    c.undo()
    check("undo past the save")


def test_memo_api_versions():
    st = bx.sample().state
    calls = []

    def build():
        calls.append(1)
        return len(calls)

    assert st.memo("k", build, depends_on=("tokens",)) == 1
    assert st.memo("k", build, depends_on=("tokens",)) == 1
    st.touch()  # tags and edits: a tokens-only entry survives
    assert st.peek("k") == 1
    st.touch("tokens")
    assert st.peek("k") is None
    assert st.last("k")[1] == 1  # the stale value, for incremental updates
    assert st.memo("k", build, depends_on=("tokens",)) == 2
    # a background result built on older versions never replaces a newer one
    assert st.put("g", "new", (5,), newer_only=True)
    assert not st.put("g", "old", (4,), newer_only=True)
    assert st.last("g") == ((5,), "new")
