"""compare(gold, pred): metrics against seqeval, errors on a hand-made pair."""

from __future__ import annotations

import random

import polars as pl
import pytest
from seqeval.metrics import classification_report
from test_stats import plain_sentences

import bio_explorer as bx


def _perturb(src, dst, seed=0):
    """Copy a TAB file, changing the tag column (col 1) of ~10% of the entity lines."""
    rng = random.Random(seed)
    labels = ["Library", "Language", "Application", "Class_Name"]
    out = []
    for line in src.read_text(encoding="utf-8").split("\n"):
        f = line.split("\t")
        if len(f) < 2 or not f[1]:  # sentence breaks (lone TAB lines) stay as they are
            out.append(line)
            continue
        if f[1] != "O" and rng.random() < 0.1:
            f[1] = rng.choice(["O", f[1][:2] + rng.choice(labels)])
        elif f[1] == "O" and rng.random() < 0.01:
            f[1] = "B-" + rng.choice(labels)
        out.append("\t".join(f))
    dst.write_text("\n".join(out), encoding="utf-8")


def test_metrics_match_seqeval(shared_corpora, tmp_path):
    src = shared_corpora / "stackoverflow_ner" / "test.txt"
    dst = tmp_path / "pred.txt"
    _perturb(src, dst)
    gold_s = plain_sentences(src, tag_col=1)
    pred_s = plain_sentences(dst, tag_col=1)
    y_true = [[t for _, t in s] for s in gold_s]
    y_pred = [[t for _, t in s] for s in pred_s]
    ref = classification_report(y_true, y_pred, output_dict=True, zero_division=0)
    cmp = bx.compare(bx.read(src), bx.read(dst))
    m = cmp.metrics()
    assert m.columns == ["label", "precision", "recall", "f1", "support", "predicted", "correct"]
    got = {r["label"]: r for r in m.iter_rows(named=True)}
    for label, r in ref.items():
        if label not in got:  # seqeval lists only labels with gold support
            continue
        assert got[label]["precision"] == pytest.approx(r["precision"]), label
        assert got[label]["recall"] == pytest.approx(r["recall"]), label
        assert got[label]["f1"] == pytest.approx(r["f1-score"]), label
        assert got[label]["support"] == r["support"], label
    assert got["micro avg"]["f1"] < 1.0
    assert {k for k in ref if not k.endswith("avg")} <= set(got)
    # errors: every non-perfect gold span appears once
    err = cmp.errors()
    assert set(err["kind"].unique().to_list()) <= {"missed", "spurious", "wrong_label",
                                                   "wrong_boundary"}
    micro = got["micro avg"]
    gold_side = err.filter(pl.col("kind") != "spurious").height
    assert gold_side == micro["support"] - micro["correct"]


def test_errors_hand_made(tmp_path):
    g = tmp_path / "g.tsv"
    p = tmp_path / "p.tsv"
    g.write_text("a\tB-X\nb\tO\nc\tB-Y\nd\tI-Y\ne\tO\nf\tB-Z\ng\tO\n", encoding="utf-8")
    p.write_text("a\tB-W\nb\tB-V\nc\tB-Y\nd\tO\ne\tO\nf\tO\ng\tO\n", encoding="utf-8")
    err = bx.compare(bx.read(g), bx.read(p)).errors()
    assert err.select("start", "end", "gold_label", "pred_label", "kind").rows() == [
        (0, 1, "X", "W", "wrong_label"),
        (1, 2, None, "V", "spurious"),
        (2, 4, "Y", "Y", "wrong_boundary"),
        (5, 6, "Z", None, "missed"),
    ]


def test_misaligned_is_a_clear_error(tmp_path):
    g = tmp_path / "g.tsv"
    p = tmp_path / "p.tsv"
    g.write_text("a\tO\nb\tO\n", encoding="utf-8")
    p.write_text("a\tO\nB\tO\n", encoding="utf-8")
    with pytest.raises(ValueError, match="token 1 is 'b' in gold but 'B' in pred"):
        bx.compare(bx.read(g), bx.read(p))
    p.write_text("a\tO\n\nb\tO\n", encoding="utf-8")
    with pytest.raises(ValueError, match="do not align"):
        bx.compare(bx.read(g), bx.read(p))
