"""Edits written back to disk: minimal line diffs, valid schemes, safe in-place saves (issue 6)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import polars as pl
import pytest
from seqeval.metrics.sequence_labeling import get_entities

import bio_explorer as bx

# (folder/file, field separator, tag field index; None = CoNLL-U MISC name=)
REAL = [
    ("stackoverflow_ner/dev.txt", "\t", 1),
    ("mit_movie_trivia10k13/trivia10k13test.bio", "\t", 0),
    ("germeval2014/NER-de-dev.tsv", "\t", 2),
    ("norne_conllu/no_bokmaal-ud-dev.conllu", "\t", None),
    ("ncrfpp_bioes/dev.bmes", " ", -1),
    ("ncrfpp_bioes/train.cappos.bmes", " ", -1),
    ("wikigold/wikigold.conll.txt", " ", -1),
    ("btc/e.conll", "\t", -1),
    ("seed/pytorch_wiki.bio", "\t", -1),
]


def spans_by_sentence(c: bx.Corpus) -> list[tuple[int, str, int, int]]:
    out = []
    for (s,), part in c.tokens.group_by("sentence", maintain_order=True):
        for lab, a, b in get_entities(part["tag"].cast(pl.String).to_list()):
            out.append((int(s), lab, a, b + 1))
    return out


def edit_a_lot(c: bx.Corpus) -> None:
    """A varied set of edits: single ops on the first spans, a bulk relabel, a span on O tokens."""
    sp = c.spans
    labels = c.labels()
    other = labels[-1]
    for s, a, b, lab in sp.head(3).select("sentence", "start", "end", "label").iter_rows():
        c.relabel(s, a, b, other if lab != other else labels[0])
    s, a = sp.row(3)[:2]
    c.delete_span(s, a)
    long = sp.filter(pl.col("end") - pl.col("start") >= 2)
    if long.height:
        s, a, b = long.row(long.height // 2)[:3]
        c.split_span(s, a, a + 1)
    # tag the first run of two O tokens of a sentence without spans
    sents = c.sentences.filter((pl.col("n_spans") == 0) & (pl.col("n_tokens") >= 3))
    if sents.height:
        c.add_span(int(sents["sentence"][0]), 0, 2, labels[0])
    common = sp.group_by("text").len().sort(["len", "text"], descending=[True, False])
    text = common["text"][0]
    c.relabel_all(text, "Bulk").apply()
    c.undo()  # undone edits must not reach the file
    c.relabel_all(text, "Bulk2").apply()


def tag_field(line: str, sep: str, idx: int | None) -> tuple[list[str], str]:
    """(fields without the tag, tag) of one token line."""
    fields = line.split(sep)
    if idx is None:  # CoNLL-U: name=TAG inside MISC
        misc = fields[9].split("|")
        k = next(i for i, x in enumerate(misc) if x.startswith("name="))
        tag = misc.pop(k)
        return [*fields[:9], "|".join(misc)], tag
    tag = fields.pop(idx)
    return fields, tag


@pytest.mark.parametrize("name,sep,idx", REAL, ids=[r[0] for r in REAL])
def test_only_tag_fields_of_edited_lines_change(shared_corpora, tmp_path, name, sep, idx):
    src = shared_corpora / name
    c = bx.read(src)
    before = c.tokens.select("sentence", "line", pl.col("tag").cast(pl.String))
    edit_a_lot(c)
    after = c.tokens.select(pl.col("tag").cast(pl.String).alias("new"))
    changed = pl.concat([before, after], how="horizontal").filter(pl.col("tag") != pl.col("new"))
    assert changed.height > 0
    # lines allowed to change: edited tokens and (for schemes where a neighbour's prefix
    # depends on it, BIOES/IOB1) the tokens right next to them in the file
    allowed = set(changed["line"].to_list())
    if c.scheme != "IOB2":
        allowed |= {x + d for x in list(allowed) for d in (-1, 1)}
    out = tmp_path / Path(name).name
    c.write(out)
    old_bytes, new_bytes = src.read_bytes(), out.read_bytes()
    old_lines = old_bytes.split(b"\n")
    new_lines = new_bytes.split(b"\n")
    assert len(old_lines) == len(new_lines)
    diff = [i for i, (a, b) in enumerate(zip(old_lines, new_lines, strict=True)) if a != b]
    assert diff, "the edits reached the file"
    assert {i + 1 for i in diff} <= allowed
    for i in diff:
        a = old_lines[i].decode("utf-8").rstrip("\r")
        b = new_lines[i].decode("utf-8").rstrip("\r")
        assert old_lines[i].endswith(b"\r") == new_lines[i].endswith(b"\r")  # CRLF kept
        rest_a, tag_a = tag_field(a, sep, idx)
        rest_b, tag_b = tag_field(b, sep, idx)
        assert rest_a == rest_b, f"line {i + 1}: more than the tag changed"
        assert tag_a != tag_b
    # re-reading the output gives exactly the edited corpus
    back = bx.read(out)
    assert back.scheme == c.scheme
    assert spans_by_sentence(back) == spans_by_sentence(c)
    assert back.tokens["token"].equals(c.tokens["token"])


def bioes_valid(tags: list[str]) -> bool:
    """Independent BIOES check of one sentence."""
    open_type = None
    for t in [*tags, "O"]:
        p, typ = (t, None) if t == "O" else (t[0], t[2:])
        if p in ("I", "E"):
            if open_type != typ:
                return False
            open_type = typ if p == "I" else None
        else:
            if open_type is not None:
                return False
            open_type = typ if p == "B" else None
    return True


def file_tags_by_sentence(path: Path) -> list[list[str]]:
    sents, cur = [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("-DOCSTART-"):
            if cur:
                sents.append(cur)
            cur = []
            continue
        cur.append(line.split(" ")[-1])
    if cur:
        sents.append(cur)
    return sents


def test_bioes_file_stays_valid_after_edits(shared_corpora, tmp_path):
    src = shared_corpora / "ncrfpp_bioes" / "train.bmes"
    assert all(bioes_valid(s) for s in file_tags_by_sentence(src))
    c = bx.read(src)
    assert c.scheme == "BIOES"
    sp = c.spans.filter(pl.col("end") - pl.col("start") >= 3).head(5)
    for s, a, b in sp.select("sentence", "start", "end").iter_rows():
        c.resize_span(s, a, a + 1, b)  # cut the first token: B- moves, old B → O
    s, a, b = sp.row(0)[:3]
    c.add_span(s, a, a + 1, "MISC")  # a single-token span right before another: S- then B-
    c.relabel_all(c.spans["text"][0], "NEW").apply()
    out = tmp_path / "train.bmes"
    c.write(out)
    sents = file_tags_by_sentence(out)
    assert all(bioes_valid(x) for x in sents)
    assert sents[s][a] == "S-MISC" and sents[s][a + 1].startswith("B-")
    assert spans_by_sentence(bx.read(out)) == spans_by_sentence(c)


# ---------------------------------------------------------------- in-place saves


@pytest.fixture()
def so_copy(tmp_path, shared_corpora):
    dst = tmp_path / "dev.txt"
    shutil.copyfile(shared_corpora / "stackoverflow_ner" / "dev.txt", dst)
    return dst


def test_in_place_save_keeps_bak_and_baseline(so_copy):
    original = so_copy.read_bytes()
    c = bx.read(so_copy)
    s, a, b = c.spans.row(0)[:3]
    c.relabel(s, a, b, "First")
    assert c.unsaved == 1
    c.write()
    bak = so_copy.with_name("dev.txt.bak")
    assert bak.read_bytes() == original
    assert c.unsaved == 0
    # second edit of the same line (tag in the middle column): the new field is spliced correctly
    c.relabel(s, a, b, "Second_Name")
    c.write()
    assert bak.read_bytes() == original  # .bak is the original, kept from the first save
    back = bx.read(so_copy)
    assert back.spans.filter((pl.col("sentence") == s) & (pl.col("start") == a))["label"][0] \
        == "Second_Name"
    new_lines = so_copy.read_bytes().split(b"\n")
    old_lines = original.split(b"\n")
    diff = [i for i, (x, y) in enumerate(zip(old_lines, new_lines, strict=True)) if x != y]
    line = int(c.tokens.filter((pl.col("sentence") == s) & (pl.col("position") == a))["line"][0])
    assert diff == list(range(line - 1, line - 1 + (b - a)))
    assert new_lines[line - 1].split(b"\t")[1] == b"B-Second_Name"
    assert new_lines[line - 1].split(b"\t")[2:] == old_lines[line - 1].split(b"\t")[2:]


def test_write_refuses_a_file_changed_on_disk(so_copy):
    c = bx.read(so_copy)
    c.relabel(*c.spans.row(0)[:3], "X")
    st = os.stat(so_copy)
    os.utime(so_copy, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))
    with pytest.raises(FileExistsError, match="changed on disk"):
        c.write()
    assert c.unsaved == 1
    c.write(force=True)
    assert c.unsaved == 0
    assert bx.read(so_copy).spans.row(0)[3] == "X"


def test_write_is_atomic(so_copy, monkeypatch):
    original = so_copy.read_bytes()
    c = bx.read(so_copy)
    c.relabel(*c.spans.row(0)[:3], "X")

    def boom(src, dst):
        raise OSError("disk full (simulated)")

    import bio_explorer.io.writer as writer

    monkeypatch.setattr(writer.os, "replace", boom)
    with pytest.raises(OSError, match="simulated"):
        c.write()
    monkeypatch.undo()
    assert so_copy.read_bytes() == original  # the original is untouched
    leftovers = [p.name for p in so_copy.parent.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []
    assert c.unsaved == 1  # nothing was saved
    c.write()
    assert c.unsaved == 0


def test_edited_orphan_neighbour_is_written(tmp_path):
    """IOB2 file ``B-Y I-X``: relabelling B-Y to X writes ``B-X B-X`` (two spans, as in memory)."""
    f = tmp_path / "t.txt"
    f.write_text("a\tB-Y\nb\tI-X\nc\tO\n\nd\tO\ne\tI-X\n", encoding="utf-8")
    c = bx.read(f)
    c.relabel(0, 0, 1, "X")
    c.write()
    assert f.read_text(encoding="utf-8") == "a\tB-X\nb\tB-X\nc\tO\n\nd\tO\ne\tI-X\n"
    assert spans_by_sentence(bx.read(f)) == [(0, "X", 0, 1), (0, "X", 1, 2), (1, "X", 1, 2)]
