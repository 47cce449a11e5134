"""select / filter / page on real corpora, checked against plain-Python answers."""

from __future__ import annotations

import json
import re
from collections import Counter

import polars as pl
import pytest
from seqeval.metrics.sequence_labeling import get_entities
from test_stats import plain_sentences, seqeval_spans

import bio_explorer as bx
from bio_explorer.query import select

PAGE_KEYS = {"offset", "limit", "total", "sentences"}
SENT_KEYS = {"sentence", "source", "line", "doc", "tokens", "tags", "spans", "span_counts",
             "anomalies", "highlight", "edited"}


@pytest.fixture(scope="module")
def so(shared_corpora):
    path = shared_corpora / "stackoverflow_ner" / "test.txt"
    sents = plain_sentences(path, tag_col=1)
    return bx.read(path), sents, seqeval_spans(sents)


def ids(corpus) -> list[int]:
    return corpus.sentence_ids().to_list()


def test_labels_or_within(so):
    c, _, ents = so
    lib = {i for i, lab, _, _ in ents if lab == "Library"}
    both = {i for i, lab, _, _ in ents if lab in ("Library", "Language")}
    assert ids(c.filter(labels=["Library"])) == sorted(lib)
    assert ids(c.filter(labels="Library")) == sorted(lib)
    assert ids(c.filter(labels=["Library", "Language"])) == sorted(both)
    with pytest.warns(UserWarning, match="no label 'NoSuchLabel'"):
        assert ids(c.filter(labels=["NoSuchLabel"])) == []


def test_text_token_substring_regex_case(so):
    c, sents, _ = so
    def want(pred):
        return sorted(i for i, s in enumerate(sents) if any(pred(t) for t, _ in s))
    assert ids(c.filter(text="python")) == want(lambda t: "python" in t.lower())
    assert ids(c.filter(text="Python", case=True)) == want(lambda t: "Python" in t)
    rx = r"^[A-Z][a-z]+Exception$"
    assert ids(c.filter(text=rx, regex=True, case=True)) == want(lambda t: re.search(rx, t))
    assert ids(c.filter(regex=r"^jquery$")) == want(lambda t: re.search(r"(?i)^jquery$", t))
    # highlight = the matching token positions
    v = c.filter(text="python")
    for s in v.page(0, 20)["sentences"]:
        assert s["highlight"] == [i for i, t in enumerate(s["tokens"]) if "python" in t.lower()]


def test_text_span_with_labels(so):
    c, sents, ents = so
    def span_text(i, a, b):
        return " ".join(t for t, _ in sents[i][a:b])
    want = sorted({i for i, lab, a, b in ents if "java" in span_text(i, a, b).lower()})
    assert ids(c.filter(text="java", where="span")) == want
    want_lang = sorted({i for i, lab, a, b in ents
                        if lab == "Language" and "java" in span_text(i, a, b).lower()})
    v = c.filter(text="java", where="span", labels=["Language"])
    assert ids(v) == want_lang
    for s in v.page(0, 10)["sentences"]:
        expect = sorted({p for a, b, lab in s["spans"] if lab == "Language"
                         and "java" in " ".join(s["tokens"][a:b]).lower() for p in range(a, b)})
        assert s["highlight"] == expect


def test_and_across_conditions_and_views(so):
    c, _, ents = so
    lib = {i for i, lab, _, _ in ents if lab == "Library"}
    py = set(ids(c.filter(text="python")))
    assert set(ids(c.filter(labels="Library", text="python"))) == lib & py
    # filtering a view filters within it
    v = c.filter(labels="Library")
    assert set(ids(v.filter(text="python"))) == lib & py
    assert set(ids(v.filter(sentences=[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]))) == lib & set(range(10))
    # the view's frames describe only its sentences
    assert set(v.spans["sentence"].unique().to_list()) == lib
    assert v.label_counts().filter(pl.col("label") == "Library")["spans"].item() == sum(
        1 for _, lab, _, _ in ents if lab == "Library")


def test_source_doc_sentences(shared_corpora):
    files = [shared_corpora / "btc" / "a.conll", shared_corpora / "btc" / "e.conll"]
    c = bx.read(files)
    n_a = len(bx.read(files[0]))
    assert ids(c.filter(source="e.conll")) == list(range(n_a, len(c)))
    assert ids(c.filter(source=["a.conll", "e.conll"])) == list(range(len(c)))
    assert ids(c.filter(doc=0)) == list(range(n_a))
    assert ids(c.filter(sentences=[5, 3, 3, 10**9])) == [3, 5]
    got = select(c, source="a.conll", sentences=[0, n_a])
    assert got.dtype == pl.UInt32 and got.to_list() == [0]
    assert ids(c.filter()) == list(range(len(c)))


def test_anomaly_filter(so):
    c, _, _ = so
    an = c.anomalies()
    for kind in an["kind"].unique().to_list():
        assert ids(c.filter(anomaly=[kind])) == sorted(
            set(an.filter(pl.col("kind") == kind)["sentence"].to_list()))
    v = c.filter(anomaly="boundary_punct")
    for s in v.page(0, 10)["sentences"]:
        assert any(a[2] == "boundary_punct" for a in s["anomalies"])


def test_bad_queries():
    c = bx.sample()
    with pytest.raises(ValueError) as err:
        c.filter(text="torch(", regex=True)
    msg = str(err.value)
    assert "'torch('" in msg and "unclosed group" in msg
    assert "This error occurred" not in msg and err.value.__cause__ is None
    with pytest.raises(ValueError, match="unknown query key 'label'"):
        c.filter(label=["Library"])
    with pytest.raises(ValueError, match=r"query\['where'\]"):
        c.filter(text="x", where="doc")
    with pytest.raises(ValueError, match=r"query\['transition'\]"):
        c.filter(transition=("O",))


def test_page_shape_and_content(so):
    c, sents, ents = so
    v = c.filter(labels="Library")
    p = v.page(5, 7)
    assert set(p) == PAGE_KEYS
    assert (p["offset"], p["limit"], p["total"]) == (5, 7, len(v))
    assert [s["sentence"] for s in p["sentences"]] == ids(v)[5:12]
    json.dumps(p)  # JSON-ready
    spans_by = {}
    for i, lab, a, b in ents:
        spans_by.setdefault(i, []).append([a, b, lab])
    heads = c.sentences
    for s in p["sentences"]:
        assert set(s) == SENT_KEYS
        i = s["sentence"]
        assert s["tokens"] == [t for t, _ in sents[i]]
        assert s["tags"] == [t for _, t in sents[i]]
        assert s["spans"] == spans_by[i]
        h = heads.filter(pl.col("sentence") == i).row(0, named=True)
        assert (s["line"], s["source"], s["doc"]) == (h["line"], h["source"], h["doc"])
        assert s["edited"] == [] and s["highlight"] == []
    # past the end: empty page, right total
    end = v.page(len(v) + 10, 5)
    assert end["sentences"] == [] and end["total"] == len(v)
    # whole corpus
    assert c.page(0, 3)["total"] == len(sents)


def test_page_edited_and_anomaly_marks():
    c = bx.sample()
    c.relabel(0, 0, 1, "Library")
    s0 = c.page(0, 1)["sentences"][0]
    assert s0["edited"] == [0] and s0["tags"][0] == "B-Library"
    assert s0["spans"][0] == [0, 1, "Library"]
    p = c.filter(anomaly="boundary_punct").page()
    s = p["sentences"][0]
    a = next(a for a in s["anomalies"] if a[2] == "boundary_punct")
    assert a[:4] == [20, 23, "boundary_punct", "Library"] and "'.'" in a[4]


def test_page_right_after_edit_is_fresh_without_whole_corpus_work(so):
    """A page after an edit shows the new spans, tags and local marks of its sentences without
    rebuilding the whole-corpus spans or the global anomaly kinds."""
    from bio_explorer.analysis.anomalies import global_version

    path = so[0].state.files[0].path
    c = bx.read(path)
    c.page(0, 5)
    an = c.anomalies()
    bp = an.filter(pl.col("kind") == "boundary_punct").row(0, named=True)
    s = bp["sentence"]
    c.delete_span(s, bp["start"])
    assert c.state.peek("spans") is None  # stale: the page must not rely on it
    p = c.filter(sentences=[s]).page()["sentences"][0]
    assert global_version(c) == 0  # no whole-corpus consistency run for the page
    assert c.state.peek("spans") is None  # nor a whole-corpus span rebuild
    assert all(tag == "O" for tag in p["tags"][bp["start"]:bp["end"]])
    assert [bp["start"], bp["end"]] not in [sp[:2] for sp in p["spans"]]
    assert not any(a[2] == "boundary_punct" and a[0] == bp["start"] for a in p["anomalies"])
    assert p["edited"] == list(range(bp["start"], bp["end"]))
    # the page equals the one of a fresh read of the same tags (spans from the whole corpus)
    want = {(a, b, lab) for a, b, lab in c.spans.filter(pl.col("sentence") == s)
            .select("start", "end", "label").rows()}
    assert {tuple(x) for x in p["spans"]} == want


def _text_counter(sentences) -> Counter:
    """Plain-Python count of span texts, any label: ``sentences`` are lists of (token, tag)."""
    out = Counter()
    for s in sentences:
        toks = [t for t, _ in s]
        for _label, a, b in get_entities([tag for _, tag in s]):
            out[" ".join(toks[a:b + 1])] += 1
    return out


def _current_sentences(c) -> list[list[tuple[str, str]]]:
    tok = c.tokens.select("sentence", "token", pl.col("tag").cast(pl.String))
    return [list(zip(g["token"], g["tag"], strict=True))
            for _, g in tok.group_by("sentence", maintain_order=True)]


def test_page_span_counts_are_whole_corpus_text_counts(so):
    c, sents, _ = so
    want = _text_counter(sents)
    v = c.filter(labels="Library")  # a view: the counts still cover the whole corpus
    pages = [v.page(0, 40), c.page(100, 40)]
    seen = Counter()
    for p in pages:
        json.dumps(p)
        for s in p["sentences"]:
            assert len(s["span_counts"]) == len(s["spans"])
            for (a, b, _lab), n in zip(s["spans"], s["span_counts"], strict=True):
                text = " ".join(s["tokens"][a:b])
                assert n == want[text], text
                seen[n > 1] += 1
    assert seen[True] and seen[False]  # both repeated and one-off texts were checked
    # a repeated text under several labels counts every one of them
    multi = next(t for t, _n in want.most_common() if len({
        lab for i, lab, a, b in seqeval_spans(sents)
        if " ".join(t2 for t2, _ in sents[i][a:b]) == t}) > 1)
    p = c.filter(text=multi, where="span").page(0, 5)
    s = p["sentences"][0]
    k = [" ".join(s["tokens"][a:b]) for a, b, _ in s["spans"]].index(multi)
    assert s["span_counts"][k] == want[multi]


def test_page_span_counts_stay_exact_after_edits(so):
    """After each edit the counts follow the tags, without a whole-corpus span rebuild."""
    c = bx.read(so[0].state.files[0].path)
    c.page(0, 5)
    st = c.state
    sp = c.spans
    lib = sp.filter(pl.col("label") == "Library")
    text = lib.group_by("text").len().sort("len", descending=True)["text"][0]
    occ = lib.filter(pl.col("text") == text).row(0, named=True)
    other = lib.filter((pl.col("text") == text) & (pl.col("sentence") != occ["sentence"]))
    other = other.row(0, named=True)  # another sentence with the same text
    # an untagged token whose text is a one-token span elsewhere
    one = sp.filter(pl.col("end") - pl.col("start") == 1)["text"].unique().implode()
    o = c.tokens.filter((pl.col("tag") == "O") & pl.col("token").is_in(one)).row(0, named=True)

    def check(sentence: int) -> dict:
        p = c.filter(sentences=[sentence]).page()["sentences"][0]
        assert st.peek("spans") is None  # counted incrementally
        want = _text_counter(_current_sentences(c))
        assert p["span_counts"] == [want[" ".join(p["tokens"][a:b])] for a, b, _ in p["spans"]]
        return p

    before = _text_counter(_current_sentences(c))[text]
    c.relabel(occ["sentence"], occ["start"], occ["end"], "Class")  # same text: same count
    p = check(occ["sentence"])
    k = [sp_[0] for sp_ in p["spans"]].index(occ["start"])
    assert p["span_counts"][k] == before
    c.delete_span(occ["sentence"], occ["start"])  # one fewer, seen from another sentence
    check(occ["sentence"])
    p = check(other["sentence"])
    k = [sp_[0] for sp_ in p["spans"]].index(other["start"])
    assert p["span_counts"][k] == before - 1
    n_o = _text_counter(_current_sentences(c))[o["token"]]
    c.add_span(o["sentence"], o["position"], o["position"] + 1, "Library")  # one more
    p = check(o["sentence"])
    k = [sp_[0] for sp_ in p["spans"]].index(o["position"])
    assert p["span_counts"][k] == n_o + 1
    while c.undo():
        pass
    p = check(occ["sentence"])
    k = [sp_[0] for sp_ in p["spans"]].index(occ["start"])
    assert p["span_counts"][k] == before
