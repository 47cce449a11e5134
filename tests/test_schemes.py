"""Schemes: detection, seqeval-equal span extraction, IOB2 normalisation, conversion, validity."""

from __future__ import annotations

import polars as pl
import pytest
from bx_testdata import corpus_files
from hypothesis import given, settings
from hypothesis import strategies as st
from seqeval.metrics.sequence_labeling import get_entities

import bio_explorer as bx
from bio_explorer import schemes

TAGGED = [p for p in corpus_files() if p.name != "emerging.test"]
# conversion is checked on the smallest file of every corpus folder (every dialect and scheme)
ONE_PER_FOLDER = sorted(
    {p.parent.name: p for p in sorted(TAGGED, key=lambda p: -p.stat().st_size)}.values()
)
_CANON = {"L": "E", "U": "S", "M": "I"}


def _read(path, **kwargs):
    if path.name == "emerging.test.conll":
        kwargs.setdefault("multi_tag", "first")
    return bx.read(path, **kwargs)


def _id(path):
    return f"{path.parent.name}/{path.name}"


def seqeval_spans(sentence_ids: list[int], tags: list[str], scheme: str) -> set[tuple]:
    """(sentence, label, start, end) from seqeval on the flattened tags, 'O' between sentences."""
    flat, where = [], []
    prev = None
    pos = 0
    for s, tag in zip(sentence_ids, tags, strict=True):
        if prev is not None and s != prev:
            flat.append("O")
            where.append(None)
            pos = 0
        if scheme in ("BILOU", "BMES") and tag != "O":
            tag = _CANON.get(tag[0], tag[0]) + tag[1:]
        flat.append(tag)
        where.append((s, pos))
        pos += 1
        prev = s
    out = set()
    for label, start, end in get_entities(flat):
        s, a = where[start]
        out.add((s, label, a, where[end][1] + 1))
    return out


def corpus_spans(c: bx.Corpus) -> set[tuple]:
    return set(c.spans.select("sentence", "label", "start", "end").iter_rows())


# ---------------------------------------------------------------------------- every corpus
@pytest.mark.parametrize("path", TAGGED, ids=_id)
def test_spans_equal_seqeval(path):
    c = _read(path)
    tok = c.state.tok
    raw = tok["_eff"].cast(pl.String).to_list()
    ref = seqeval_spans(tok["sentence"].to_list(), raw, c.scheme)
    assert corpus_spans(c) == ref
    # the IOB2-normalised tags give the same spans under seqeval too
    iob2 = seqeval_spans(tok["sentence"].to_list(), tok["tag"].cast(pl.String).to_list(), "IOB2")
    assert iob2 == ref


EXPECTED_SCHEME = {"wikigold": "IOB1", "sec_filings": "IOB1", "ncrfpp_bioes": "BIOES"}


@pytest.mark.parametrize("path", TAGGED, ids=_id)
def test_scheme_detection(path):
    c = _read(path)
    assert c.scheme == EXPECTED_SCHEME.get(path.parent.name, "IOB2")


@pytest.mark.parametrize("path", ONE_PER_FOLDER, ids=_id)
@pytest.mark.parametrize("target", schemes.SCHEMES)
def test_conversion_round_trips_spans(tmp_path, path, target):
    c = _read(path)
    before = corpus_spans(c)
    out = tmp_path / path.name
    c.write(out, scheme=target)
    layout = c.state.files[0].layout
    cols = {} if layout.dialect == "conllu" else {"token_col": layout.token_col,
                                                  "tag_col": layout.tag_col}
    back = _read(out, scheme=target, **cols)
    auto = _read(out, **cols)  # scheme detected from the converted file
    if target == "IO":
        # IO cannot separate adjacent spans of one type: compare with those merged
        spans = c.spans.sort("sentence", "start")
        glued = (
            (pl.col("sentence") == pl.col("sentence").shift(1))
            & (pl.col("label") == pl.col("label").shift(1))
            & (pl.col("start") == pl.col("end").shift(1))
        ).fill_null(False)
        merged = (
            spans.with_columns((~glued).cum_sum().alias("g"))
            .group_by("g", maintain_order=True)
            .agg(pl.col("sentence").first(), pl.col("label").first(), pl.col("start").first(),
                 pl.col("end").last())
        )
        before = set(merged.select("sentence", "label", "start", "end").iter_rows())
    assert corpus_spans(back) == before
    assert corpus_spans(auto) == before
    # only tag fields changed: tokens and lines are the same
    assert back.tokens["token"].equals(c.tokens["token"])


# ---------------------------------------------------------------------------- hand-made
def _frame(tags: list[str], sentence: list[int] | None = None) -> pl.DataFrame:
    sentence = sentence or [0] * len(tags)
    df = pl.DataFrame({"sentence": sentence, "tag": tags})
    return df.with_columns(pl.int_range(pl.len()).over("sentence").alias("position"))


def _spans(tags, scheme, sentence=None):
    ann = schemes.annotate(_frame(tags, sentence), "tag", scheme)
    return schemes.spans_from(ann).select("sentence", "start", "end", "label").rows()


@pytest.mark.parametrize(
    "tags,expected",
    [
        (["O", "I-X", "I-X"], "IOB1"),
        (["I-X", "B-X", "O"], "IOB1"),
        (["B-X", "I-X", "O"], "IOB2"),
        (["O", "I-X"], "IOB1"),
        (["B-X", "E-X", "S-Y"], "BIOES"),
        (["S-X", "O"], "BIOES"),
        (["B-X", "L-X", "U-Y"], "BILOU"),
        (["B-X", "M-X", "E-X"], "BMES"),
        (["I-X", "E-X", "O"], "IOE2"),
        (["I-X", "E-X", "I-X", "O"], "IOE1"),
        (["person", "O", "location"], "IO"),
        (["O", "O"], "IOB2"),
    ],
)
def test_detect_hand_made(tags, expected):
    assert schemes.detect_scheme(pl.Series(tags), pl.Series([0] * len(tags))) == expected


def test_iob2_keeps_orphan_i(tmp_path):
    path = tmp_path / "orphan.tsv"
    path.write_text("a\tB-X\nb\tO\nc\tI-X\nd\tI-X\ne\tI-Y\n", encoding="utf-8")
    c = bx.read(path)
    assert c.scheme == "IOB2"
    # the file says I-X after O: kept, never silently repaired
    assert c.tokens["tag"].cast(pl.String).to_list() == ["B-X", "O", "I-X", "I-X", "I-Y"]
    # spans follow seqeval's lenient reading
    assert corpus_spans(c) == {(0, "X", 0, 1), (0, "X", 2, 4), (0, "Y", 4, 5)}
    out = tmp_path / "out.tsv"
    c.write(out)
    assert out.read_bytes() == path.read_bytes()


def test_iob1_is_normalised(tmp_path):
    path = tmp_path / "iob1.txt"
    path.write_text("a I-X\nb I-X\nc B-X\nd I-Y\ne O\n", encoding="utf-8")
    c = bx.read(path)
    assert c.scheme == "IOB1"
    assert c.tokens["tag"].cast(pl.String).to_list() == ["B-X", "I-X", "B-X", "B-Y", "O"]


@pytest.mark.parametrize(
    "tags,scheme,spans",
    [
        (["B-X", "I-X", "O", "I-X"], "IOB2", [(0, 0, 2, "X"), (0, 3, 4, "X")]),
        (["I-X", "I-Y", "B-Y"], "IOB1", [(0, 0, 1, "X"), (0, 1, 2, "Y"), (0, 2, 3, "Y")]),
        (["B-X", "E-X", "S-X", "B-Y", "I-Y", "E-Y"], "BIOES",
         [(0, 0, 2, "X"), (0, 2, 3, "X"), (0, 3, 6, "Y")]),
        (["B-X", "L-X", "U-X"], "BILOU", [(0, 0, 2, "X"), (0, 2, 3, "X")]),
        (["B-X", "M-X", "E-X", "S-Y"], "BMES", [(0, 0, 3, "X"), (0, 3, 4, "Y")]),
        (["I-X", "E-X", "I-X"], "IOE2", [(0, 0, 2, "X"), (0, 2, 3, "X")]),
        (["x", "x", "O", "y"], "IO", [(0, 0, 2, "x"), (0, 3, 4, "y")]),
    ],
)
def test_spans_hand_made(tags, scheme, spans):
    assert _spans(tags, scheme) == spans


def test_spans_do_not_cross_sentences():
    assert _spans(["B-X", "I-X", "I-X"], "IOB2", [0, 0, 1]) == [(0, 0, 2, "X"), (1, 0, 1, "X")]


@pytest.mark.parametrize(
    "scheme,tags",
    [
        ("IOB2", ["B-X", "I-X", "O", "B-X", "B-X", "O"]),
        ("IOB1", ["I-X", "I-X", "O", "I-X", "B-X", "O"]),
        ("BIOES", ["B-X", "E-X", "O", "S-X", "S-X", "O"]),
        ("BILOU", ["B-X", "L-X", "O", "U-X", "U-X", "O"]),
        ("BMES", ["B-X", "E-X", "O", "S-X", "S-X", "O"]),
        ("IOE2", ["I-X", "E-X", "O", "E-X", "E-X", "O"]),
        ("IOE1", ["I-X", "I-X", "O", "E-X", "I-X", "O"]),
        ("IO", ["X", "X", "O", "X", "X", "O"]),
    ],
)
def test_from_iob2_hand_made(scheme, tags):
    iob2 = ["B-X", "I-X", "O", "B-X", "B-X", "O"]
    frame = pl.DataFrame({"sentence": [0] * len(iob2), "tag": iob2})
    got = frame.select(schemes.from_iob2(pl.col("tag"), pl.col("sentence"), scheme)).to_series()
    assert got.to_list() == tags


# ---------------------------------------------------------------------------- validity
VALIDITY = [
    # scheme, prev, cur, valid
    ("IOB2", "<s>", "I-X", False), ("IOB2", "O", "I-X", False), ("IOB2", "B-Y", "I-X", False),
    ("IOB2", "B-X", "I-X", True), ("IOB2", "I-X", "I-X", True), ("IOB2", "I-X", "B-X", True),
    ("IOB2", "I-X", "</s>", True), ("IOB2", "<s>", "B-X", True), ("IOB2", "O", "O", True),
    ("IOB1", "O", "I-X", True), ("IOB1", "O", "B-X", False), ("IOB1", "I-X", "B-X", True),
    ("IOB1", "I-Y", "B-X", False), ("IOB1", "<s>", "B-X", False),
    ("BIOES", "<s>", "I-X", False), ("BIOES", "B-X", "E-X", True), ("BIOES", "B-X", "O", False),
    ("BIOES", "B-X", "</s>", False), ("BIOES", "I-X", "I-X", True), ("BIOES", "E-X", "I-X", False),
    ("BIOES", "S-X", "E-X", False), ("BIOES", "B-X", "E-Y", False), ("BIOES", "E-X", "B-X", True),
    ("BIOES", "S-X", "S-X", True), ("BIOES", "I-X", "S-X", False), ("BIOES", "E-X", "</s>", True),
    ("BILOU", "B-X", "L-X", True), ("BILOU", "U-X", "L-X", False), ("BILOU", "B-X", "U-X", False),
    ("BMES", "B-X", "M-X", True), ("BMES", "M-X", "E-X", True), ("BMES", "M-X", "O", False),
    ("IOE2", "I-X", "O", False), ("IOE2", "I-X", "E-X", True), ("IOE2", "I-X", "E-Y", False),
    ("IOE2", "E-X", "I-Y", True), ("IOE2", "I-X", "</s>", False), ("IOE2", "O", "I-X", True),
    ("IOE1", "E-X", "I-X", True), ("IOE1", "E-X", "O", False), ("IOE1", "E-X", "I-Y", False),
    ("IO", "X", "Y", True), ("IO", "<s>", "X", True),
]


@pytest.mark.parametrize("scheme,prev,cur,valid", VALIDITY)
def test_transition_validity(scheme, prev, cur, valid):
    got = pl.select(schemes.transition_valid(pl.lit(prev), pl.lit(cur), scheme)).item()
    assert got is valid


# ---------------------------------------------------------------------------- properties
_TAGS = st.sampled_from(["O", "B-X", "I-X", "B-Y", "I-Y"])


@settings(max_examples=200, deadline=None)
@given(sentences=st.lists(st.lists(_TAGS, min_size=1, max_size=8), min_size=1, max_size=6))
def test_property_spans_equal_seqeval(sentences):
    tags = [t for s in sentences for t in s]
    sid = [i for i, s in enumerate(sentences) for _ in s]
    mine = {(s, lab, a, b) for s, a, b, lab in _spans(tags, "IOB2", sid)}
    assert mine == seqeval_spans(sid, tags, "IOB2")


@settings(max_examples=150, deadline=None)
@given(sentences=st.lists(st.lists(_TAGS, min_size=1, max_size=8), min_size=1, max_size=6),
       target=st.sampled_from([s for s in schemes.SCHEMES if s != "IO"]))
def test_property_conversion_keeps_spans(sentences, target):
    tags = [t for s in sentences for t in s]
    sid = [i for i, s in enumerate(sentences) for _ in s]
    frame = _frame(tags, sid)
    conv = frame.select("sentence", "position",
                        schemes.from_iob2(pl.col("tag"), pl.col("sentence"), target).alias("t"))
    got = schemes.spans_from(schemes.annotate(conv, "t", target))
    want = schemes.spans_from(schemes.annotate(frame, "tag", "IOB2"))
    assert got.rows() == want.rows()
    # and converting the normalised IOB2 tags back gives valid transitions only
    iob2 = schemes.annotate(conv, "t", target).select(
        "sentence", schemes.to_iob2(schemes.annotate(conv, "t", target), "t", target).alias("t"))
    pairs = iob2.select(
        pl.when(pl.col("sentence") == pl.col("sentence").shift(1)).then(pl.col("t").shift(1))
        .otherwise(pl.lit("<s>")).alias("prev"), "t")
    ok = pairs.select(schemes.transition_valid(pl.col("prev"), pl.col("t"), "IOB2")).to_series()
    assert ok.all() or target == "IOB2"
