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


# ------------------------------------------------------------- local / global split after edits
def _fake_consistency(monkeypatch, calls: list):
    """Global rows on sentences 0 and 3 of the sample, whatever the tags; counts the calls."""
    from bio_explorer.analysis import consistency

    fake = pl.DataFrame({
        "sentence": [0, 3], "start": [0, 28], "end": [1, 29], "text": ["PyTorch", "PyTorch"],
        "label": ["Algorithm", "O"], "majority": ["Library", "Library"], "score": [0.9, 0.8],
        "kind": ["inconsistent_label", "unlabelled_mention"],
        "form_labels": ["Library:12, Algorithm:1, O:1", "Library:12, Algorithm:1, O:1"],
    }, schema_overrides={"sentence": pl.UInt32, "start": pl.UInt32, "end": pl.UInt32})

    def fake_inconsistencies(corpus, occurrences=False, **k):
        calls.append(corpus.state.version)
        return fake

    monkeypatch.setattr(consistency, "inconsistencies", fake_inconsistencies)


def _kinds(page: dict) -> dict[int, set[str]]:
    return {s["sentence"]: {a[2] for a in s["anomalies"]} for s in page["sentences"]}


def test_stale_global_marks_dropped_on_edited_sentences(monkeypatch):
    calls: list[int] = []
    _fake_consistency(monkeypatch, calls)
    c = bx.sample()
    assert not set(anomalies_mod.LOCAL_KINDS) & set(anomalies_mod.GLOBAL_KINDS)
    assert set(anomalies_mod.LOCAL_KINDS) | set(anomalies_mod.GLOBAL_KINDS) == set(
        anomalies_mod.KINDS)
    v = c.filter(sentences=[0, 3, 12])
    assert _kinds(v.page()) == {0: {"inconsistent_label"}, 3: {"unlabelled_mention"},
                                12: {"boundary_punct"}}
    assert calls == [0] and anomalies_mod.global_version(c) == 0
    c.relabel(3, 5, 7, "Library")  # sentence 3 changes; its global mark may be wrong now
    assert _kinds(v.page()) == {0: {"inconsistent_label"}, 3: set(), 12: {"boundary_punct"}}
    assert c.filter(anomaly="unlabelled_mention").sentence_ids().to_list() == []
    assert c.filter(anomaly="inconsistent_label").sentence_ids().to_list() == [0]
    fast = anomalies_mod.anomalies(c, stale_ok=True)
    assert set(fast["sentence"].to_list()) == {0, 12}
    assert calls == [0]  # nothing recomputed the global kinds
    assert anomalies_mod.global_version(c) == 0 != c.state.version
    c.undo()  # the tags are those of the global result again: its mark comes back
    assert _kinds(v.page())[3] == {"unlabelled_mention"}
    c.redo()
    exact = c.anomalies()  # exact: recomputes the global kinds for the current tags
    assert calls == [0, c.state.version]
    assert anomalies_mod.global_version(c) == c.state.version
    assert set(exact["sentence"].to_list()) == {0, 3, 12}
    assert _kinds(v.page())[3] == {"unlabelled_mention"}


def test_refresh_global_installs_newer_result_only(monkeypatch):
    calls: list[int] = []
    _fake_consistency(monkeypatch, calls)
    c = bx.sample()
    c.page()
    c.relabel(3, 5, 7, "Library")
    v1 = c.state.version
    assert anomalies_mod.refresh_global(c) == v1
    assert anomalies_mod.global_version(c) == v1 and calls == [0, v1]
    assert _kinds(c.filter(sentences=[3]).page())[3] == {"unlabelled_mention"}
    # an older result (e.g. a slow background run) never replaces a newer one
    old = anomalies_mod._Result(0, anomalies_mod._empty(), c.state.tok["tag"],
                                c.state.tok["_field"])
    anomalies_mod._install_global(c.state, old)
    assert anomalies_mod.global_version(c) == v1


def test_local_marks_fresh_after_edits_match_exact(shared_corpora):
    """After edits, page marks / the anomaly filter of local kinds equal a full recomputation."""
    c = bx.read(shared_corpora / "stackoverflow_ner" / "test.txt")
    before = c.anomalies()
    local = list(anomalies_mod.LOCAL_KINDS)
    # edits that remove and create local anomalies: delete a span with a boundary problem, tag a
    # span ending with '.', relabel another span
    bp = before.filter(pl.col("kind") == "boundary_punct").row(0, named=True)
    c.delete_span(bp["sentence"], bp["start"])
    toks = c.tokens
    dot = toks.filter((pl.col("token") == ".") & (pl.col("position") > 0)
                      & (pl.col("tag") == "O")).row(3, named=True)
    c.add_span(dot["sentence"], dot["position"] - 1, dot["position"] + 1, "Punct")
    sp = c.spans.filter(~pl.col("sentence").is_in([bp["sentence"], dot["sentence"]])).row(
        5, named=True)
    c.relabel(sp["sentence"], sp["start"], sp["end"], "Other")
    edited = sorted({bp["sentence"], dot["sentence"], sp["sentence"]})
    assert anomalies_mod.global_version(c) == 0  # nothing exact ran since the edits
    page = c.filter(sentences=edited).page()
    got = {(s["sentence"], a[0], a[1], a[2]) for s in page["sentences"] for a in s["anomalies"]
           if a[2] in local}
    fast_ids = {k: c.filter(anomaly=k).sentence_ids().to_list() for k in local}
    # independent of the fast path: recompute everything for the current tags
    exact = anomalies_mod._finish(
        [*anomalies_mod._local_parts(c), anomalies_mod._format(c)])
    want = {(r["sentence"], r["start"], r["end"], r["kind"])
            for r in exact.filter(pl.col("sentence").is_in(edited)).iter_rows(named=True)}
    assert got == want
    assert (bp["sentence"], bp["start"], bp["end"], "boundary_punct") not in got
    assert (dot["sentence"], dot["position"] - 1, dot["position"] + 1, "boundary_punct") in got
    for k in local:
        assert fast_ids[k] == sorted(set(exact.filter(pl.col("kind") == k)["sentence"]
                                         .drop_nulls().to_list()))
