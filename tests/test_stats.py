"""label_counts / span_lengths / summary, checked against seqeval and a plain-Python reader."""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path

import polars as pl
import pytest
from seqeval.metrics.sequence_labeling import get_entities

import bio_explorer as bx
from bio_explorer.analysis.stats import summary


def plain_sentences(path: Path, tag_col: int, token_col: int = 0, sep: str = "\t",
                    docstart: bool = False) -> list[list[tuple[str, str]]]:
    """An independent line-loop reader: [(token, tag), ...] per sentence (blank lines break)."""
    sents: list[list[tuple[str, str]]] = []
    cur: list[tuple[str, str]] = []
    for line in path.read_text(encoding="utf-8").split("\n"):
        line = line.rstrip("\r")
        if line.strip() == "" or (docstart and line.startswith("-DOCSTART-")):
            if cur:
                sents.append(cur)
            cur = []
            continue
        fields = line.split(sep)
        cur.append((fields[token_col], fields[tag_col]))
    if cur:
        sents.append(cur)
    return sents


def seqeval_spans(sents: list[list[tuple[str, str]]]) -> list[tuple[int, str, int, int]]:
    """(sentence, label, start, end_exclusive) of every entity, per seqeval."""
    out = []
    for i, s in enumerate(sents):
        for label, a, b in get_entities([t for _, t in s]):
            out.append((i, label, a, b + 1))
    return out


@pytest.fixture(scope="module")
def so_test(shared_corpora):
    path = shared_corpora / "stackoverflow_ner" / "test.txt"
    return path, bx.read(path), plain_sentences(path, tag_col=1)


def test_label_counts_match_seqeval(so_test):
    _path, c, sents = so_test
    assert len(c) == len(sents)
    ents = seqeval_spans(sents)
    spans, tokens, sent_sets = Counter(), Counter(), defaultdict(set)
    for i, label, a, b in ents:
        spans[label] += 1
        tokens[label] += b - a
        sent_sets[label].add(i)
    lc = c.label_counts()
    assert lc.columns == ["label", "spans", "tokens", "sentences", "mean_length"]
    got = {r["label"]: r for r in lc.iter_rows(named=True)}
    assert set(got) == set(spans)
    for label in spans:
        assert got[label]["spans"] == spans[label]
        assert got[label]["tokens"] == tokens[label]
        assert got[label]["sentences"] == len(sent_sets[label])
        assert got[label]["mean_length"] == pytest.approx(tokens[label] / spans[label])
    # sorted by spans, descending
    assert lc["spans"].to_list() == sorted(lc["spans"].to_list(), reverse=True)


def test_label_counts_by_source(shared_corpora):
    files = [shared_corpora / "btc" / "a.conll", shared_corpora / "btc" / "e.conll"]
    both = bx.read(files)
    lc = both.label_counts(by="source")
    assert set(lc.columns) == {"label", "source", "spans", "tokens", "sentences", "mean_length"}
    for f in files:
        alone = bx.read(f).label_counts().sort("label")
        part = lc.filter(pl.col("source") == f.name).drop("source").sort("label")
        assert part.select(alone.columns).equals(alone)
    # a view of one source describes only that source
    view = both.filter(source=files[1].name)
    assert view.label_counts().sort("label").equals(bx.read(files[1]).label_counts().sort("label"))
    with pytest.raises(ValueError, match="by="):
        both.label_counts(by="nope")


def test_span_lengths_match_seqeval(so_test):
    _, c, sents = so_test
    expect = Counter((label, b - a) for _, label, a, b in seqeval_spans(sents))
    sl = c.span_lengths()
    assert sl.columns == ["label", "length", "count"]
    got = {(r["label"], r["length"]): r["count"] for r in sl.iter_rows(named=True)}
    assert got == dict(expect)


def test_summary_real_counts(shared_corpora, so_test):
    wiki = bx.read(shared_corpora / "wikigold" / "wikigold.conll.txt")
    s = wiki.summary()
    assert (s["tokens"], s["sentences"]) == (39_007, 1_696)  # README's checked facts
    assert s["scheme"] == "IOB1"
    btc = bx.read(sorted((shared_corpora / "btc").glob("*.conll")))
    s = summary(btc, anomalies=False)
    assert (s["tokens"], s["sentences"]) == (150_387, 9_339)
    assert s["docs"] == 6  # one per file
    _path, c, sents = so_test
    s = c.summary()
    assert s["invalid_transitions"] == 1  # README: the test file holds 1 invalid I-
    assert s["spans"] == len(seqeval_spans(sents))
    assert s["labels"] == len({lab for _, lab, _, _ in seqeval_spans(sents)})
    assert s["anomalies"] == c.anomalies().height
    assert sum(s["anomaly_kinds"].values()) == s["anomalies"]


def test_stats_hand_made(tmp_path):
    p = tmp_path / "tiny.tsv"
    p.write_text("A\tB-X\nb\tI-X\nc\tO\n\nd\tB-Y\ne\tB-X\n\nf\tO\n", encoding="utf-8")
    c = bx.read(p)
    lc = c.label_counts()
    assert lc.rows() == [("X", 2, 3, 2, 1.5), ("Y", 1, 1, 1, 1.0)]
    assert c.span_lengths().rows() == [("X", 1, 1), ("X", 2, 1), ("Y", 1, 1)]
    s = c.summary()
    assert (s["tokens"], s["sentences"], s["spans"], s["labels"]) == (6, 3, 3, 2)
    v = c.filter(sentences=[1, 2])
    assert v.label_counts().rows() == [("X", 1, 1, 1, 1.0), ("Y", 1, 1, 1, 1.0)]
    assert summary(v, anomalies=False)["tokens"] == 3
    assert "anomalies" not in summary(v, anomalies=False)
