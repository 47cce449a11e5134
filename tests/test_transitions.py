"""transitions(), invalid_by_sentence(), transition filters, against a plain-Python count."""

from __future__ import annotations

import itertools
from collections import Counter

import polars as pl
import pytest
from test_stats import plain_sentences

import bio_explorer as bx
from bio_explorer.analysis.transitions import invalid_by_sentence, invalid_tokens


def python_transitions(sents) -> Counter:
    out: Counter = Counter()
    for s in sents:
        tags = ["<s>"] + [t for _, t in s] + ["</s>"]
        out.update(itertools.pairwise(tags))
    return out


def iob2_invalid(prev: str, tag: str) -> bool:
    return tag.startswith("I-") and not (prev[:2] in ("B-", "I-") and prev[2:] == tag[2:])


@pytest.mark.parametrize("name, n_invalid", [("train.txt", 7), ("dev.txt", 3), ("test.txt", 1)])
def test_stackoverflow_transitions(shared_corpora, name, n_invalid):
    path = shared_corpora / "stackoverflow_ner" / name
    c = bx.read(path)
    expect = python_transitions(plain_sentences(path, tag_col=1))
    tr = c.transitions()
    assert tr.columns == ["prev_tag", "tag", "count", "valid"]
    got = {(r["prev_tag"], r["tag"]): r["count"] for r in tr.iter_rows(named=True)}
    assert got == dict(expect)
    for r in tr.iter_rows(named=True):
        assert r["valid"] == (not iob2_invalid(r["prev_tag"], r["tag"]))
    assert tr.filter(~pl.col("valid"))["count"].sum() == n_invalid  # README's checked counts
    assert invalid_by_sentence(c)["n_invalid"].sum() == n_invalid
    assert c.summary()["invalid_transitions"] == n_invalid


def test_bioes_file_uses_file_scheme(shared_corpora):
    path = shared_corpora / "ncrfpp_bioes" / "train.bmes"
    c = bx.read(path)
    assert c.scheme == "BIOES"
    expect = python_transitions(plain_sentences(path, tag_col=1, sep=" ", docstart=True))
    got = {(r["prev_tag"], r["tag"]): r["count"] for r in c.transitions().iter_rows(named=True)}
    assert got == dict(expect)
    assert any(t.startswith("S-") for _, t in got)  # file tags, not the IOB2 normalisation


def test_hand_made_bioes_offending_tokens(tmp_path):
    p = tmp_path / "bioes.txt"
    # sentence 0: B-X then O (unclosed span) ; sentence 1: E-Y after O ; sentence 2: ends on B-X
    p.write_text("a B-X\nb O\nc S-X\n\nd O\ne E-Y\n\nf S-Y\ng B-X\n", encoding="utf-8")
    c = bx.read(p)
    assert c.scheme == "BIOES"
    tr = c.transitions()
    bad = set(tr.filter(~pl.col("valid")).select("prev_tag", "tag").iter_rows())
    assert bad == {("B-X", "O"), ("O", "E-Y"), ("B-X", "</s>")}
    inv = invalid_tokens(c).sort("sentence")
    # the unclosed B-X is blamed (not the O after it); E-Y is blamed itself
    assert inv.select("sentence", "position", "token").rows() == [(0, 0, "a"), (1, 1, "e"),
                                                                    (2, 1, "g")]
    an = c.anomalies().filter(pl.col("kind") == "invalid_transition")
    assert an.select("sentence", "start", "end", "label").rows() == [
        (0, 0, 1, "X"), (1, 1, 2, "Y"), (2, 1, 2, "X")]
    assert "not allowed in BIOES" in an["detail"][0]


def test_view_transitions_and_filter(shared_corpora):
    path = shared_corpora / "stackoverflow_ner" / "dev.txt"
    c = bx.read(path)
    sents = plain_sentences(path, tag_col=1)
    want = {i for i, s in enumerate(sents)
            if any(a == "O" and b == "I-Library"
                   for a, b in zip(["<s>"] + [t for _, t in s], [t for _, t in s], strict=False))}
    v = c.filter(transition=("O", "I-Library"))
    assert set(v.sentence_ids().to_list()) == want
    # the view's transitions describe only its sentences
    expect = python_transitions([sents[i] for i in sorted(want)])
    got = {(r["prev_tag"], r["tag"]): r["count"] for r in v.transitions().iter_rows(named=True)}
    assert got == dict(expect)
    # page highlights the offending I-Library tokens
    page = v.page(0, 50)
    for s in page["sentences"]:
        tags = s["tags"]
        expect_hl = [i for i, t in enumerate(tags)
                     if t == "I-Library" and (i == 0 or tags[i - 1] == "O")]
        assert s["highlight"] == expect_hl
    # sentence-start and sentence-end transitions are filterable too
    first = c.filter(transition=["<s>", "B-Library"])
    assert len(first) == sum(1 for s in sents if s[0][1] == "B-Library")
    last = c.filter(transition=["I-Library", "</s>"])
    assert len(last) == sum(1 for s in sents if s[-1][1] == "I-Library")
    for s in last.page(0, 5)["sentences"]:
        assert s["highlight"] == [len(s["tokens"]) - 1]
    assert len(c.filter(transition=("O", "I-Nope"))) == 0


def test_transitions_follow_edits(sample_corpus):
    c = bx.sample()
    before = c.transitions()
    assert before.filter(~pl.col("valid")).height == 0
    c.relabel(0, 0, 1, "Library")
    after = c.transitions()
    assert after.filter((pl.col("prev_tag") == "<s>") & (pl.col("tag") == "B-Library"))[
        "count"].sum() == before.filter(
        (pl.col("prev_tag") == "<s>") & (pl.col("tag") == "B-Library"))["count"].sum() + 1
