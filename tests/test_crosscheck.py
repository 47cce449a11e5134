"""cross_check(): out-of-fold CRF tagging, deterministic for a seed, cancellable."""

from __future__ import annotations

import itertools
import sys

import polars as pl
import pytest

import bio_explorer as bx
from bio_explorer.analysis import crosscheck as X

pytest.importorskip("pycrfsuite")

FAST = {"max_iterations": 15}


def _write(path, sents):
    path.write_text("\n\n".join("\n".join(f"{w} {t}" for w, t in s) for s in sents) + "\n")
    return path


@pytest.fixture(scope="module")
def wikigold_small(shared_corpora, tmp_path_factory):
    """The first ~250 sentences of wikigold (a shared corpus), as a temp file."""
    text = (shared_corpora / "wikigold" / "wikigold.conll.txt").read_text(encoding="utf-8")
    blocks = text.split("\n\n")[:250]
    p = tmp_path_factory.mktemp("wg") / "wg.conll"
    p.write_text("\n\n".join(blocks) + "\n", encoding="utf-8")
    return p


def test_deterministic_for_a_seed(wikigold_small):
    a = X.cross_check(bx.read(wikigold_small), 3, seed=7, workers=1, params=FAST)
    b = X.cross_check(bx.read(wikigold_small), 3, seed=7, workers=2, params=FAST)
    assert a.equals(b)
    c = X.cross_check(bx.read(wikigold_small), 3, seed=8, workers=1, params=FAST)
    assert not a["fold"].equals(c["fold"])
    assert a.columns == list(X.RESULT_SCHEMA)
    assert a["p_tag"].is_between(0, 1).all() and a["p_predicted"].is_between(0, 1).all()
    # one fold per sentence
    assert a.group_by("sentence").agg(pl.col("fold").n_unique())["fold"].max() == 1


def test_cached_per_version(wikigold_small):
    c = bx.read(wikigold_small)
    r1 = c.cross_check(3, 0, workers=1, params=FAST)
    assert c.cross_check(3, 0, workers=1, params=FAST) is r1
    sp = c.spans.row(0, named=True)
    c.relabel(sp["sentence"], sp["start"], sp["end"], "MISC" if sp["label"] != "MISC" else "PER")
    assert X.cached_result(c) is None  # stale after an edit
    assert c.cross_check(3, 0, workers=1, params=FAST) is not r1


def _marker_corpus(tmp_path, n=30):
    """Sentence i holds the word ``qz<i>`` tagged with a type ``T<i>`` found nowhere else."""
    sents = [[("Then", "O"), (f"qz{i}", f"B-T{i}"), ("met", "O"), ("Anna", "B-PER")]
             for i in range(n)]
    return _write(tmp_path / "m.txt", sents)


def test_out_of_fold_no_sentence_tagged_by_a_model_that_saw_it(tmp_path):
    c = bx.read(_marker_corpus(tmp_path))
    r = c.cross_check(3, 0, workers=1, params=FAST)
    marks = r.filter(pl.col("token").str.starts_with("qz"))
    own = marks["tag"].to_list()
    assert not any(p == t for p, t in zip(marks["predicted"].to_list(), own, strict=True))
    assert (marks["p_tag"] == 0.0).all()
    # control: a model trained on every sentence does tag its own markers (the test can fail)
    import pycrfsuite

    data = X._prepare(c, 3, 0)
    tr = pycrfsuite.Trainer(verbose=False)
    tr.set_params({**X.CRF_PARAMS, **FAST})
    first = [*data["start"].arg_true().to_list(), data.height]
    feats, tags = data["f"].to_list(), data["tag"].to_list()
    seqs = [([f.split("\t") for f in feats[a:b]], tags[a:b]) for a, b in itertools.pairwise(first)]
    for x, y in seqs:
        tr.append(x, y)
    model = str(tmp_path / "all.crf")
    tr.train(model)
    tg = pycrfsuite.Tagger()
    tg.open(model)
    seen = sum(tg.tag(x)[1] == y[1] for x, y in seqs)
    assert seen > len(seqs) // 2


def test_document_features_leave_the_own_sentence_out(tmp_path):
    # one document; "Wales" is ORG in sentence 0 and LOC in sentence 1
    p = tmp_path / "d.txt"
    p.write_text("-DOCSTART- O\n\nWales B-ORG\nwon O\n\nWales B-LOC\nis O\n")
    c = bx.read(p)
    f = X._prepare(c, 2, 0)["f"].to_list()
    assert "dm=LOC" in f[0].split("\t") and "d:ORG" not in f[0].split("\t")
    assert "dm=ORG" in f[2].split("\t") and "d:LOC" not in f[2].split("\t")


def test_progress_cancel_and_missing_extra(tmp_path, monkeypatch):
    c = bx.read(_marker_corpus(tmp_path))
    seen = []
    c.cross_check(2, 0, workers=1, params=FAST, progress=lambda d, t: seen.append((d, t)))
    assert seen and seen[-1][0] == seen[-1][1]
    with pytest.raises(X.CrossCheckCancelled):
        c.cross_check(2, 1, workers=1, params=FAST, cancel=lambda: True)
    with pytest.raises(X.CrossCheckCancelled):
        c.cross_check(2, 2, workers=2, params=FAST, cancel=lambda: True)
    monkeypatch.setitem(sys.modules, "pycrfsuite", None)
    with pytest.raises(ImportError, match=r"bio-explorer\[check\]"):
        c.cross_check(2, 3, workers=1)


def test_cross_check_feeds_suspects(tmp_path):
    c = bx.read(_marker_corpus(tmp_path))
    assert c.suspects(threshold=0.0, finders=("cross_check",)).height == 0  # not run yet
    c.cross_check(3, 0, workers=1, params=FAST)
    s = c.suspects(threshold=0.0, finders=("cross_check",))
    assert s.height and set(s["finder"]) == {"cross_check"}
    row = s.filter(pl.col("text").str.starts_with("qz")).row(0, named=True)
    assert row["evidence"].startswith("a tagger trained on the other folds says")


def test_background_job_reports_progress_and_can_be_cancelled(tmp_path):
    c = bx.read(_marker_corpus(tmp_path))
    seen = []
    job = X.start_cross_check(c, 2, 0, workers=1, params=FAST, on_progress=seen.append)
    assert job.wait(300) and job.error is None
    assert job.progress == 1.0 and seen[-1] == 1.0
    assert job.result is not None and X.cached_result(c) is job.result
    stopped = X.start_cross_check(c, 2, 5, workers=2, params={"max_iterations": 500})
    stopped.cancel()
    assert stopped.wait(300)
    assert isinstance(stopped.error, X.CrossCheckCancelled) and stopped.result is None
