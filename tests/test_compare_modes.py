"""``compare(mode="strict")`` against seqeval's strict mode and ``Comparison.schemas()`` against
the real nervaluate package, on CoNLL-2003-like gold/prediction pairs."""

from __future__ import annotations

import polars as pl
import pytest

import bio_explorer as bx

pytestmark = pytest.mark.shared


def _perturb(tags: pl.Expr, labels: list[str], seed: int) -> pl.Expr:
    """Deterministic prediction errors: relabelled span starts, dropped inside tokens, orphan
    I- tags and spurious B- tags (by a hash of the row number)."""
    h = (pl.int_range(pl.len()) * 2654435761 + seed).hash(seed) % 1000
    t = tags.cast(pl.String)
    other = pl.lit("B-") + pl.lit(pl.Series(labels)).get(h % len(labels))
    return (
        pl.when(t.str.starts_with("B-") & (h < 60)).then(other)
        .when(t.str.starts_with("I-") & (h < 40)).then(pl.lit("O"))
        .when((t == "O") & (h < 15)).then(pl.lit("I-") + pl.lit(labels[0]))
        .when((t == "O") & (h > 985)).then(pl.lit("B-") + pl.lit(labels[-1]))
        .otherwise(t)
    )


def _pair(gold: bx.Corpus, seed: int = 7) -> bx.Corpus:
    tok = gold.tokens.select("sentence", "token", "tag")
    pred = tok.with_columns(_perturb(pl.col("tag"), gold.labels(), seed).alias("tag"))
    return bx.read(pred, tokens="token", tags="tag", scheme="IOB2")


@pytest.fixture(scope="module")
def pairs(shared_corpora, tmp_path_factory):
    """(gold, pred) on CoNLL-2003 valid: clean IOB2 gold, and gold in CoNLL's original IOB1 read as
    IOB2 (orphan I- everywhere)."""
    valid = bx.read(shared_corpora / "conll2003" / "valid.txt")
    iob1 = tmp_path_factory.mktemp("conll") / "eng.testa"
    valid.write(iob1, scheme="IOB1")
    orphan = bx.read(iob1, scheme="IOB2")
    gold_clean = bx.read(valid.tokens.select("sentence", "token", "tag"), tokens="token",
                         tags="tag", scheme="IOB2")
    gold_orphan = bx.read(orphan.tokens.select("sentence", "token", "tag"), tokens="token",
                          tags="tag", scheme="IOB2")
    return [(gold_clean, _pair(gold_clean)), (gold_orphan, _pair(gold_orphan, 3))]


def _seqs(c: bx.Corpus, col: pl.Series | None = None) -> list[list[str]]:
    tags = col if col is not None else c.tokens["tag"].cast(pl.String)
    frame = pl.DataFrame({"s": c.tokens["sentence"], "t": tags.cast(pl.String)})
    return frame.group_by("s", maintain_order=True).agg("t")["t"].to_list()


def _check_report(ours: pl.DataFrame, report: dict) -> None:
    rows = {r["label"]: r for r in ours.iter_rows(named=True)}
    for label, want in report.items():
        got = rows[label]
        for k in ("precision", "recall"):
            assert got[k] == pytest.approx(want[k], abs=1e-12), (label, k)
        assert got["f1"] == pytest.approx(want["f1-score"], abs=1e-12), label
        assert got["support"] == want["support"], label


def test_strict_iob2_equals_seqeval(pairs):
    seqeval = pytest.importorskip("seqeval.metrics")
    from seqeval.scheme import IOB2

    for gold, pred in pairs:
        y_true, y_pred = _seqs(gold), _seqs(pred)
        report = seqeval.classification_report(y_true, y_pred, mode="strict", scheme=IOB2,
                                               output_dict=True, zero_division=0)
        _check_report(bx.compare(gold, pred, mode="strict").metrics(), report)
        lenient = seqeval.classification_report(y_true, y_pred, output_dict=True,
                                                zero_division=0)
        _check_report(bx.compare(gold, pred).metrics(), lenient)
    # orphan I- spans count in the default mode but not in the strict one
    gold, pred = pairs[1]
    assert (bx.compare(gold, pred, mode="strict").metrics()["support"][-1]
            < bx.compare(gold, pred).metrics()["support"][-1])


def test_strict_bioes_equals_seqeval(shared_corpora):
    seqeval = pytest.importorskip("seqeval.metrics")
    from seqeval.scheme import IOBES

    gold = bx.read(shared_corpora / "ncrfpp_bioes" / "train.bmes")
    raw = gold.file_tags().cast(pl.String)
    h = (pl.int_range(pl.len()) * 2654435761).hash(5) % 1000
    broken = pl.DataFrame({"t": raw}).select(
        pl.when(pl.col("t").str.starts_with("E-") & (h < 80))
        .then(pl.lit("I-") + pl.col("t").str.slice(2))
        .when(pl.col("t").str.starts_with("S-") & (h < 60))
        .then(pl.lit("B-") + pl.col("t").str.slice(2))
        .otherwise(pl.col("t"))).to_series()
    pred = bx.read(gold.tokens.select("sentence", "token").with_columns(broken.alias("tag")),
                   tokens="token", tags="tag", scheme="BIOES")
    assert pred.scheme == "BIOES"
    y_true, y_pred = _seqs(gold, raw), _seqs(pred, pred.file_tags())
    report = seqeval.classification_report(y_true, y_pred, mode="strict", scheme=IOBES,
                                           output_dict=True, zero_division=0)
    _check_report(bx.compare(gold, pred, mode="strict").metrics(), report)


def test_schemas_equal_nervaluate(pairs):
    nervaluate = pytest.importorskip("nervaluate")
    for gold, pred in pairs:
        cmp = bx.compare(gold, pred)
        labels = sorted(set(gold.labels()) | set(pred.labels()))
        result = nervaluate.Evaluator(_seqs(gold), _seqs(pred), tags=labels,
                                      loader="list").evaluate()
        ours = {r["schema"]: r for r in cmp.schemas().iter_rows(named=True)}
        assert set(ours) == set(result["overall"])
        for schema, want in result["overall"].items():
            got = ours[schema]
            for k in ("correct", "incorrect", "partial", "missed", "spurious", "possible",
                      "actual"):
                assert got[k] == getattr(want, k), (schema, k)
            for k in ("precision", "recall", "f1"):
                assert got[k] == pytest.approx(getattr(want, k), abs=1e-12), (schema, k)
        per = cmp.schemas(by_label=True)
        for label, by_schema in result["entities"].items():
            for schema, want in by_schema.items():
                got = per.filter((pl.col("label") == label) & (pl.col("schema") == schema))
                assert got.height == 1
                got = got.row(0, named=True)
                for k in ("correct", "incorrect", "partial", "missed", "spurious"):
                    assert got[k] == getattr(want, k), (label, schema, k)


def test_schemas_many_to_many_sentence():
    """A prediction overlapping two gold spans, and two predictions on one gold span."""
    nervaluate = pytest.importorskip("nervaluate")
    tokens = [["a", "b", "c", "d", "e", "f", "g"]]
    gold = bx.read(pl.DataFrame({"tokens": tokens, "ner_tags": [
        ["B-PER", "I-PER", "B-LOC", "O", "B-ORG", "I-ORG", "I-ORG"]]}))
    pred = bx.read(pl.DataFrame({"tokens": tokens, "ner_tags": [
        ["B-LOC", "I-LOC", "I-LOC", "O", "B-ORG", "B-PER", "I-PER"]]}))
    result = nervaluate.Evaluator(_seqs(gold), _seqs(pred), tags=["LOC", "ORG", "PER"],
                                  loader="list").evaluate()["overall"]
    ours = {r["schema"]: r for r in bx.compare(gold, pred).schemas().iter_rows(named=True)}
    for schema, want in result.items():
        for k in ("correct", "incorrect", "partial", "missed", "spurious"):
            assert ours[schema][k] == getattr(want, k), (schema, k)


def test_unknown_mode_is_refused(sample_corpus):
    with pytest.raises(ValueError, match="strict"):
        bx.compare(sample_corpus, sample_corpus, mode="lenient")


def test_strict_scheme_names(sample_corpus):
    for name in ("iob2", "IOBES", "bioes"):
        m = bx.compare(sample_corpus, sample_corpus, mode="strict", scheme=name).metrics()
        assert m["f1"][-1] == pytest.approx(1.0)
