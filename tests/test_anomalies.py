"""anomalies(): every kind on the sample, on a hand-made file and on real shared corpora."""

from __future__ import annotations

import re

import polars as pl
import pytest
from test_stats import plain_sentences, seqeval_spans

import bio_explorer as bx
from bio_explorer.analysis import anomalies as anomalies_mod

COLUMNS = ["sentence", "start", "end", "kind", "label", "detail"]


def test_sample_finds_framework_dot(sample_corpus):
    an = sample_corpus.anomalies()
    assert an.columns == COLUMNS
    bp = an.filter(pl.col("kind") == "boundary_punct")
    row = bp.filter(pl.col("label") == "Library").row(0, named=True)
    toks = sample_corpus.tokens.filter(pl.col("sentence") == row["sentence"])["token"].to_list()
    assert toks[row["start"]:row["end"]] == ["Metal", "Framework", "."]
    assert "ends with punctuation '.'" in row["detail"]


def test_hand_made_every_kind(tmp_path):
    p = tmp_path / "hand.tsv"
    p.write_text(
        "We\tO\nuse\tO\nlib\tI-Lib\n.\tO\n\n"          # 0: orphan I- after O
        "Big\tB-Org\nCorp\tI-Per\n\n"                  # 1: I-Per after B-Org
        "the\tO\nNew\tB-Loc\nYork\tI-Loc\n,\tI-Loc\n\n"  # 2: span ends with ','
        "Win\tB-OS\n(\tI-OS\nXP\tI-OS\n\n"             # 3: unbalanced '('
        "f\tB-Fn\n(\tI-Fn\n)\tI-Fn\n\n"                # 4: balanced brackets: fine
        "Gurez\tB-corporation,B-person\nis\tO\n",      # 5: multi-tag
        encoding="utf-8",
    )
    c = bx.read(p, multi_tag="keep")
    an = c.anomalies()
    mine = ("invalid_transition", "boundary_punct", "multi_tag")
    got = {(r["sentence"], r["start"], r["end"], r["kind"], r["label"])
           for r in an.iter_rows(named=True) if r["kind"] in mine}
    assert got == {
        (0, 2, 3, "invalid_transition", "Lib"),
        (1, 1, 2, "invalid_transition", "Per"),
        (2, 1, 4, "boundary_punct", "Loc"),
        (3, 0, 3, "boundary_punct", "OS"),
        (5, 0, 1, "multi_tag", "corporation"),
    }
    d = dict(((r["sentence"], r["kind"]), r["detail"]) for r in an.iter_rows(named=True))
    assert d[(0, "invalid_transition")].startswith("'lib' is tagged I-Lib right after O")
    assert d[(3, "boundary_punct")] == "span 'Win ( XP' (OS) has an unbalanced '('"
    assert "'B-corporation,B-person'" in d[(5, "multi_tag")]
    # a view reports only its own sentences
    v = c.filter(sentences=[2, 3])
    assert set(v.anomalies()["sentence"].to_list()) == {2, 3}
    # filter by kind
    assert c.filter(anomaly="invalid_transition").sentence_ids().to_list() == [0, 1]
    with pytest.raises(ValueError, match="unknown anomaly kind"):
        c.filter(anomaly="nope")


def test_format_problems_become_rows(tmp_path):
    p = tmp_path / "bad.tsv"
    p.write_text("a\tO\nb\tX-PER\n\nc\tB-ORG\nd\tO\textra\ne\tO\n", encoding="utf-8")
    c = bx.read(p, errors="collect")
    assert c.problems.height == 2
    fmt = c.anomalies().filter(pl.col("kind") == "format")
    assert fmt.height == 2
    rows = {(r["sentence"], r["start"]) for r in fmt.iter_rows(named=True)}
    assert (0, 1) in rows  # the unknown tag is on token 1 of sentence 0
    assert all(r["detail"].startswith("line ") for r in fmt.iter_rows(named=True))
    assert set(fmt["sentence"].to_list()) == {0, 1}


def test_invalid_transitions_stackoverflow(shared_corpora):
    path = shared_corpora / "stackoverflow_ner" / "train.txt"
    c = bx.read(path)
    sents = plain_sentences(path, tag_col=1)
    expect = set()
    for i, s in enumerate(sents):
        prev = "O"
        for j, (_, t) in enumerate(s):
            if t.startswith("I-") and not (prev[:2] in ("B-", "I-") and prev[2:] == t[2:]):
                expect.add((i, j, t[2:]))
            prev = t
    inv = c.anomalies().filter(pl.col("kind") == "invalid_transition")
    assert {(r["sentence"], r["start"], r["label"]) for r in inv.iter_rows(named=True)} == expect
    assert len(expect) == 7


def test_boundary_punct_real(shared_corpora):
    path = shared_corpora / "stackoverflow_ner" / "test.txt"
    c = bx.read(path)
    sents = plain_sentences(path, tag_col=1)
    clause = re.compile(r"^[.,;:!?]+$")
    # every multi-token span ending in a clause punctuation token is found (independent count)
    must = {(i, a, b) for i, _, a, b in seqeval_spans(sents)
            if b - a > 1 and (clause.match(sents[i][b - 1][0]) or clause.match(sents[i][a][0]))}
    bp = c.anomalies().filter(pl.col("kind") == "boundary_punct")
    found = {(r["sentence"], r["start"], r["end"]) for r in bp.iter_rows(named=True)}
    assert must and must <= found
    # and every finding is explained by its edge tokens or its brackets
    for r in bp.iter_rows(named=True):
        toks = [t for t, _ in sents[r["sentence"]][r["start"]:r["end"]]]
        text = " ".join(toks)
        edge = len(toks) > 1 and any(re.fullmatch(anomalies_mod.EDGE_PUNCT, t)
                                     for t in (toks[0], toks[-1]))
        unbalanced = any(text.count(o) != text.count(cl) for o, cl in anomalies_mod.BRACKETS)
        assert edge or unbalanced or text.count('"') % 2, r


def test_multi_tag_wnut17(shared_corpora):
    path = shared_corpora / "wnut17" / "emerging.test.conll"
    n_multi = sum(1 for line in path.read_text(encoding="utf-8").splitlines()
                  if "\t" in line and "," in line.split("\t")[-1])
    assert n_multi == 297  # README
    for kw in ({"multi_tag": "keep"}, {"errors": "collect"}):
        c = bx.read(path, **kw)
        an = c.anomalies()
        assert an.filter(pl.col("kind") == "multi_tag").height == n_multi
        assert an.filter(pl.col("kind") == "format").height == 0  # not reported twice


def test_consistency_rows_are_mapped(shared_corpora):
    c = bx.read(shared_corpora / "stackoverflow_ner" / "test.txt")
    occ = c.inconsistencies(occurrences=True)
    an = c.anomalies()
    for kind in ("inconsistent_label", "unlabelled_mention"):
        want = occ.filter(pl.col("kind") == kind).select("sentence", "start", "end").sort(
            pl.all())
        got = an.filter(pl.col("kind") == kind).select("sentence", "start", "end").sort(pl.all())
        assert got.equals(want)
    un = an.filter(pl.col("kind") == "unlabelled_mention")
    if un.height:
        assert un["detail"].str.contains(" is untagged here but ").all()
        assert (un["label"] != "O").all()


def test_consistency_detail_from_fake(monkeypatch, sample_corpus):
    from bio_explorer.analysis import consistency

    fake = pl.DataFrame({
        "sentence": [0, 3], "start": [0, 28], "end": [1, 29], "text": ["PyTorch", "PyTorch"],
        "label": ["Algorithm", "O"], "majority": ["Library", "Library"], "score": [0.9, 0.8],
        "kind": ["inconsistent_label", "unlabelled_mention"],
        "form_labels": ["Library:12, Algorithm:1, O:1", "Library:12, Algorithm:1, O:1"],
    }, schema_overrides={"sentence": pl.UInt32, "start": pl.UInt32, "end": pl.UInt32})
    monkeypatch.setattr(consistency, "inconsistencies", lambda corpus, occurrences=False, **k: fake)
    c = bx.sample()
    an = c.anomalies()
    rows = an.filter(pl.col("kind").is_in(["inconsistent_label", "unlabelled_mention"]))
    assert rows.select("sentence", "start", "kind", "label", "detail").rows() == [
        (0, 0, "inconsistent_label", "Algorithm",
         "'PyTorch' is Algorithm here but Library in 12 of 13 other places"),
        (3, 28, "unlabelled_mention", "Library",
         "'PyTorch' is untagged here but Library in 12 of 13 other places"),
    ]


def test_without_consistency_module(monkeypatch, sample_corpus):
    import builtins

    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name.endswith("consistency") or (args and args[2] and "consistency" in args[2]):
            raise ImportError("no consistency yet")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    an = bx.sample().anomalies()
    assert set(an["kind"].to_list()) == {"boundary_punct"}


def test_cached_and_invalidated_by_edits():
    c = bx.sample()
    a1 = c.anomalies()
    assert c.anomalies() is a1  # cached on the state
    c.relabel(12, 20, 23, "Framework")
    a2 = c.anomalies()
    assert a2 is not a1
    assert a2.filter(pl.col("kind") == "boundary_punct")["label"].to_list() == ["Framework"]
