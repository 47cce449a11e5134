"""The context-only type finder: features, out-of-fold naive Bayes, suspects rows and evidence,
checked against a plain-Python computation on a small corpus."""

from __future__ import annotations

import math
from collections import Counter

import polars as pl
import pytest

import bio_explorer as bx
from bio_explorer.analysis import context_type as CT
from bio_explorer.analysis import suspects as S


def _write(tmp_path, docs):
    """``docs``: list of documents, each a list of sentences of (word, tag)."""
    out = []
    for doc in docs:
        out.append("-DOCSTART- O\n")
        for s in doc:
            out.append("\n".join(f"{w} {t}" for w, t in s) + "\n")
    p = tmp_path / "c.txt"
    p.write_text("\n".join(out))
    return bx.read(p)


def _score_line(a, la, b, lb):
    return [(a, f"B-{la}"), ("2", "O"), (b, f"B-{lb}"), ("1", "O")]


def _said(w, lab):
    return [(w, f"B-{lab}"), ("said", "O"), ("on", "O"), ("Monday", "O"), (".", "O")]


@pytest.fixture
def small(tmp_path):
    docs = []
    for i in range(10):
        sports = [[("SOCCER", "O"), ("-", "O"), ("RESULTS", "O")],
                  _score_line(f"Club{i}", "ORG", f"Town{i}", "ORG"),
                  _score_line(f"Rovers{i}", "ORG", f"United{i}", "ORG")]
        news = [[("NEWS", "O"), ("-", "O"), ("TALKS", "O")], _said(f"Smith{i}", "PER"),
                [("in", "O"), (f"Paris{i}", "B-LOC"), ("today", "O")]]
        docs += [sports, news]
    # a country in a score line, labelled LOC: the metonymy the finder should point at
    docs.append([[("SOCCER", "O"), ("-", "O"), ("RESULTS", "O")],
                 _score_line("Japan", "LOC", "Syria", "LOC")])
    return _write(tmp_path, docs)


def _plain_fold(doc: int, folds: int, seed: int) -> int:
    return ((doc * 2654435761 + seed * 40503 + 12345) % 4294967291) % folds


def _plain_posteriors(ctx: pl.DataFrame, folds: int, seed: int, alpha: float):
    """Naive Bayes out-of-fold, by hand: every span scored by the counts of the other folds."""
    rows = ctx.to_dicts()
    labels = sorted({r["label"] for r in rows})
    for r in rows:
        r["fold"] = _plain_fold(r["unit"], folds, seed)
    vocab = Counter()
    seen = {}
    for r in rows:
        for f in r["feats"]:
            g = f.split("=", 1)[0]
            seen.setdefault(g, set()).add(f)
    vocab = {g: len(v) for g, v in seen.items()}
    out = []
    for r in rows:
        train = [q for q in rows if q["fold"] != r["fold"]]
        n_lab = Counter(q["label"] for q in train)
        n_fl = Counter((f, q["label"]) for q in train for f in q["feats"])
        tot = sum(n_lab.values())
        lj = {}
        for lab in labels:
            s = math.log((n_lab[lab] + 1.0) / (tot + len(labels)))
            for f in r["feats"]:
                g = f.split("=", 1)[0]
                s += math.log((n_fl[(f, lab)] + alpha) / (n_lab[lab] + alpha * vocab[g]))
            lj[lab] = s
        m = max(lj.values())
        z = sum(math.exp(v - m) for v in lj.values())
        out.append({lab: math.exp(v - m) / z for lab, v in lj.items()})
    return rows, out


def test_features_mask_the_span_and_read_the_context(small):
    ctx = CT.context_features(small)
    japan = ctx.filter(pl.col("text") == "Japan").row(0, named=True)
    feats = dict(f.split("=", 1) for f in japan["feats"])
    assert "japan" not in " ".join(japan["feats"]).lower()  # its own word is masked
    assert feats["p1"] == "<s>" and feats["n1"] == "<d>" and feats["n2"] == "syria"
    assert feats["num"] == "line+after"  # a score line: two numbers, one right after the span
    assert feats["topic"] == "soccer"  # the document's heading word
    syria = dict(f.split("=", 1) for f in ctx.filter(pl.col("text") == "Syria")["feats"][0])
    assert syria["p1"] == "<d>" and syria["num"] == "line+after+before"
    smith = dict(f.split("=", 1) for f in ctx.filter(pl.col("text") == "Smith0")["feats"][0])
    assert smith["nw"] == "said" and smith["num"] == "text" and smith["topic"] == "news"
    # one feature per group, for every span
    assert ctx["feats"].list.len().n_unique() == 1
    assert ctx.height == small.spans.height
    assert ctx["unit"].to_list() == ctx["doc"].to_list()  # 21 documents: they are the fold units


def test_without_documents_blocks_of_sentences_are_the_units(tmp_path):
    sents = [_said(f"Smith{i}", "PER") for i in range(45)]
    text = "\n\n".join("\n".join(f"{w} {t}" for w, t in s) for s in sents) + "\n"
    (tmp_path / "nodoc.txt").write_text(text)
    c = bx.read(tmp_path / "nodoc.txt")
    ctx = CT.context_features(c)
    # 45 sentences, no -DOCSTART-: blocks of max(1, min(10, 45 // 20)) = 2 sentences
    assert ctx["unit"].to_list() == [s // 2 for s in ctx["sentence"].to_list()]
    sc = CT.context_scores(c)
    assert (sc["p_own"] > 0.9).all()  # every fold has training spans: all agree on PER


def test_posteriors_match_plain_python(small):
    ctx = CT.context_features(small)
    sc = CT.context_scores(small, folds=3, seed=1, alpha=0.5)
    rows, post = _plain_posteriors(ctx, 3, 1, 0.5)
    got = {(r["sentence"], r["start"]): r for r in sc.iter_rows(named=True)}
    assert len(got) == len(rows)
    for r, p in zip(rows, post, strict=True):
        g = got[(r["sentence"], r["start"])]
        assert g["p_own"] == pytest.approx(p[r["label"]], abs=1e-9)
        others = {lab: v for lab, v in p.items() if lab != r["label"]}
        best = max(others.values())
        # the most probable other label (labels tied to 1e-12 are equally right)
        assert others[g["suggestion"]] == pytest.approx(best, abs=1e-12)
        assert g["p_sugg"] == pytest.approx(best, abs=1e-9)
        assert g["raw"] == pytest.approx(1 - p[r["label"]], abs=1e-9)


def test_the_metonymy_is_suspected_with_evidence(small):
    s = small.suspects(threshold=0.0, finders=("context",))
    japan = s.filter(pl.col("text") == "Japan").row(0, named=True)
    assert japan["label"] == "LOC" and japan["suggestion"] == "ORG"
    assert japan["finder"] == "context"
    assert (japan["suggest_start"], japan["suggest_end"]) == (japan["start"], japan["end"])
    ev = japan["evidence"]
    assert "'Japan' is labelled LOC" in ev
    assert "says ORG" in ev
    # the quoted cue's share is what the other documents hold (plain count)
    assert "% of " in ev and "entities elsewhere are ORG and" in ev
    # every span the context agrees with is no suspect
    assert s.filter(pl.col("text").str.starts_with("Smith")).height == 0
    assert s["score"].is_between(0, 1).all()


def test_cue_share_is_a_plain_count(small):
    sc = CT.context_scores(small).filter(pl.col("text") == "Japan").row(0, named=True)
    ctx = CT.context_features(small)
    fold = _plain_fold(ctx.filter(pl.col("text") == "Japan")["unit"][0], CT.FOLDS, 0)
    train = [r for r in ctx.to_dicts() if _plain_fold(r["unit"], CT.FOLDS, 0) != fold]
    having = [r for r in train if sc["cue"] in r["feats"]]
    assert sc["cue_n"] == len(having) >= CT.EVIDENCE_MIN
    share = sum(r["label"] == sc["suggestion"] for r in having) / len(having)
    assert sc["cue_share"] == pytest.approx(share)
    assert sc["cue_own_share"] == pytest.approx(
        sum(r["label"] == "LOC" for r in having) / len(having))
    # no other frequent feature favours the suggestion more (by (suggested + 1) / (own + 1))
    feats = {f for r in train for f in r["feats"]}

    def ratio(f):
        rows = [r for r in train if f in r["feats"]]
        return (sum(r["label"] == "ORG" for r in rows) + 1) / (
            sum(r["label"] == "LOC" for r in rows) + 1), len(rows)

    ok = [ratio(f)[0] for f in feats if ratio(f)[1] >= CT.EVIDENCE_MIN]
    assert ratio(sc["cue"])[0] == max(ok)


def test_in_suspects_and_cached(small):
    every = small.suspects(threshold=0.0)
    assert every.filter(pl.col("finder").str.contains("context")).height >= 1
    assert S.suspects(small, threshold=0.0, finders=("consistency",)).filter(
        pl.col("finder").str.contains("context")).height == 0
    a = CT.context_scores(small)
    assert CT.context_scores(small) is a  # memoised on the state
    sent = int(small.spans.filter(pl.col("text") == "Japan")["sentence"][0])
    small.relabel(sent, 0, 1, "ORG")  # an edit: the scores are rebuilt for the new tags
    b = CT.context_scores(small)
    assert b is not a
    assert b.filter(pl.col("text") == "Japan")["label"].to_list() == ["ORG"]


def test_runs_on_a_shared_corpus(shared_corpora):
    c = bx.read(str(shared_corpora / "wikigold" / "wikigold.conll.txt"))
    sc = CT.context_scores(c)
    assert sc.height == c.spans.height
    assert sc["p_own"].is_between(0, 1).all()
    again = CT.context_scores(bx.read(str(shared_corpora / "wikigold" / "wikigold.conll.txt")))
    assert again.equals(sc)  # deterministic
    rows = c.suspects(threshold=0.0, finders=("context",))
    assert rows.height > 0 and rows.schema == pl.Schema(S.SCHEMA)
    assert rows["evidence"].str.contains("is labelled").all()
