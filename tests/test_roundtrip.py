"""Writing: byte-identical round trip of every shared corpus; after edits only tag fields change."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from bx_testdata import corpus_files

import bio_explorer as bx
from bio_explorer import BioFormatError

FILES = corpus_files()


def _id(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


def _read(path: Path, **kwargs) -> bx.Corpus:
    if path.name == "emerging.test.conll":
        kwargs.setdefault("multi_tag", "first")
    return bx.read(path, **kwargs)


def _lines(path: Path) -> list[str]:
    """Lines of a file, terminators included (so CRLF and a missing final newline count)."""
    raw = path.read_bytes()
    return raw.decode("utf-8-sig").splitlines(keepends=True) if raw else []


def set_tags(corpus: bx.Corpus, rows: list[int], tags: list[str]) -> None:
    """Edit tags directly on the token frame (the edit API is another module's job)."""
    st = corpus.state
    tag = st.tok["tag"].cast(pl.String).scatter(rows, tags)
    st.tok = st.tok.with_columns(tag.cast(pl.Categorical).alias("tag"))
    st.touch()


def assert_only_tag_fields_differ(before: Path, after: Path, corpus: bx.Corpus) -> set[int]:
    """Compare two files line by line; return the 1-based lines that differ.

    Every differing line must be a token line, and must differ only inside its tag field.
    """
    old, new = _lines(before), _lines(after)
    assert len(old) == len(new)
    tok = corpus.state.tok.select("line", "_field", "_off", "_has_key"
                                   if "_has_key" in corpus.state.tok.columns else pl.lit(True))
    info = {r[0]: r for r in tok.iter_rows()}
    changed = set()
    for number, (a, b) in enumerate(zip(old, new, strict=True), start=1):
        if a == b:
            continue
        changed.add(number)
        assert number in info, f"line {number} is not a token line but changed: {a!r} -> {b!r}"
        _, field, off, has_key = info[number]
        if not has_key:  # CoNLL-U token without name=: the tag is added to MISC
            assert b.startswith(a.rstrip("\r\n").removesuffix("_"))
            continue
        assert a[:off] == b[:off], f"line {number}: text before the tag changed"
        rest_a = a[off + len(field):]
        assert b.endswith(rest_a), f"line {number}: text after the tag changed"
    return changed


# ---------------------------------------------------------------------------- no edits
@pytest.mark.parametrize("path", FILES, ids=_id)
def test_round_trip_is_byte_identical(tmp_path, path):
    if path.name == "emerging.test":
        with pytest.raises(BioFormatError, match="no tag column"):
            bx.read(path)
        return
    c = _read(path)
    out = tmp_path / path.name
    written = c.write(out)
    assert written == [out]
    assert out.read_bytes() == path.read_bytes()


def test_round_trip_of_several_files_into_a_folder(tmp_path, shared_corpora):
    paths = sorted((shared_corpora / "gum").glob("*.conll"))
    c = bx.read(paths)
    written = c.write(tmp_path / "out")
    assert [p.name for p in written] == [p.name for p in paths]
    for src, dst in zip(paths, written, strict=True):
        assert dst.read_bytes() == src.read_bytes()


# ---------------------------------------------------------------------------- after edits
def _relabel_some_spans(c: bx.Corpus, every: int = 37) -> list[int]:
    """Relabel every ``every``-th span to type EDITED (prefixes kept); return the edited rows."""
    st = c.state
    spans = c.spans.gather_every(every).join(st.sent.select("sentence", "row"), on="sentence")
    rows = spans.select(pl.int_ranges(pl.col("row") + pl.col("start"),
                                      pl.col("row") + pl.col("end")).alias("r")).explode("r")
    rows = rows["r"].cast(pl.UInt32).sort()
    old = st.tok["tag"].cast(pl.String).gather(rows)
    new = (old.str.slice(0, 2) + "EDITED").to_list()
    set_tags(c, rows.to_list(), new)
    return rows.to_list()


# one file per corpus folder, every dialect and scheme
EDIT_FILES = sorted(
    {p.parent.name: p for p in sorted((p for p in FILES if p.name != "emerging.test"),
                                      key=lambda p: -p.stat().st_size)}.values()
)


@pytest.mark.parametrize("path", EDIT_FILES, ids=_id)
def test_after_relabels_only_edited_tag_fields_change(tmp_path, path):
    c = _read(path)
    rows = _relabel_some_spans(c)
    assert rows
    edited_lines = set(c.state.tok["line"].gather(rows).to_list())
    out = tmp_path / path.name
    c.write(out)
    changed = assert_only_tag_fields_differ(path, out, c)
    if c.scheme in ("IOB2", "BIOES"):
        assert changed == edited_lines
    else:  # IOB1: a B- after a relabelled span may turn into I- (the span before is gone)
        assert edited_lines <= changed
        lines = c.state.tok["line"]
        neighbours = {int(lines[r + 1]) for r in rows if r + 1 < lines.len()}
        assert changed <= edited_lines | neighbours
    back = _read(out)
    assert "EDITED" in back.labels()
    assert back.spans.filter(pl.col("label") == "EDITED").height == len(c.spans.filter(
        pl.col("label") == "EDITED"))


def test_iob2_single_token_edits_change_only_those_lines(tmp_path, shared_corpora):
    path = shared_corpora / "stackoverflow_ner" / "test.txt"
    c = bx.read(path)
    n = c.state.tok.height
    rows = list(range(5, n, 997))
    tags = ["B-EDITED" if i % 3 else "O" for i in range(len(rows))]
    before = c.state.tok["tag"].cast(pl.String).gather(rows).to_list()
    set_tags(c, rows, tags)
    out = tmp_path / "test.txt"
    c.write(out)
    changed = assert_only_tag_fields_differ(path, out, c)
    lines = c.state.tok["line"].gather(rows).to_list()
    # an edit that keeps the tag changes nothing; every other edited line changes, and only those
    assert changed == {ln for ln, a, b in zip(lines, before, tags, strict=True) if a != b}
    # an untouched orphan I-X after a new B-EDITED is written exactly as the file had it
    back = bx.read(out)
    assert back.tokens["tag"].cast(pl.String).gather(rows).to_list() == tags


def test_undoing_an_edit_restores_the_bytes(tmp_path, shared_corpora):
    path = shared_corpora / "wikigold" / "wikigold.conll.txt"
    c = bx.read(path)
    original = c.state.tok["tag"].cast(pl.String)
    _relabel_some_spans(c)
    st = c.state
    st.tok = st.tok.with_columns(original.cast(pl.Categorical).alias("tag"))
    st.touch()
    out = tmp_path / "w.txt"
    c.write(out)
    assert out.read_bytes() == path.read_bytes()


# ---------------------------------------------------------------------------- other schemes
@pytest.mark.parametrize("path", EDIT_FILES, ids=_id)
@pytest.mark.parametrize("target", ["BIOES", "IOB1", "BILOU"])
def test_write_in_another_scheme_changes_only_tags(tmp_path, path, target):
    c = _read(path)
    out = tmp_path / path.name
    c.write(out, scheme=target)
    assert_only_tag_fields_differ(path, out, c)
    back = _read(out, scheme=target)
    assert back.tokens["tag"].equals(c.tokens["tag"]) or c.scheme == "IOB2"
    assert back.spans.select("sentence", "start", "end", "label").equals(
        c.spans.select("sentence", "start", "end", "label"))


def test_write_scheme_then_back(tmp_path, shared_corpora):
    path = shared_corpora / "ncrfpp_bioes" / "test.bmes"
    c = bx.read(path)
    iob2 = tmp_path / "iob2.txt"
    c.write(iob2, scheme="IOB2")
    text = iob2.read_text(encoding="utf-8")
    assert "S-" not in text and "E-" not in text
    back = bx.read(iob2)
    assert back.scheme == "IOB2"
    bioes = tmp_path / "bioes.txt"
    back.write(bioes, scheme="BIOES")
    assert bioes.read_bytes() == path.read_bytes()


def test_unknown_scheme_on_write(tmp_path, sample_corpus):
    with pytest.raises(ValueError, match="scheme"):
        sample_corpus.write(tmp_path / "x.bio", scheme="NOPE")


# ---------------------------------------------------------------------------- CoNLL-U
CONLLU = """\
# sent_id = 1
1\tKari\tKari\tPROPN\t_\t_\t0\troot\t_\tname=B-PER
2\tbor\tbo\tVERB\t_\t_\t1\tx\t_\t_
3\ti\ti\tADP\t_\t_\t4\tcase\t_\tSpaceAfter=No
4\tOslo\tOslo\tPROPN\t_\t_\t2\tobl\t_\tname=B-GPE_LOC|SpaceAfter=No
5\t.\t.\tPUNCT\t_\t_\t2\tpunct\t_\tname=O

"""


def test_conllu_writer_adds_name_where_missing(tmp_path):
    path = tmp_path / "in.conllu"
    path.write_text(CONLLU, encoding="utf-8")
    c = bx.read(path)
    assert c.tokens["tag"].cast(pl.String).to_list() == ["B-PER", "O", "O", "B-GPE_LOC", "O"]
    out = tmp_path / "same.conllu"
    c.write(out)
    assert out.read_bytes() == path.read_bytes()
    set_tags(c, [1, 2, 3], ["B-X", "I-X", "B-ORG"])
    c.write(out)
    lines = out.read_text(encoding="utf-8").split("\n")
    assert lines[2].endswith("\t_\tname=B-X")
    assert lines[3].endswith("\tSpaceAfter=No|name=I-X")
    assert lines[4].endswith("\tname=B-ORG|SpaceAfter=No")
    assert lines[1] == CONLLU.split("\n")[1] and lines[5] == CONLLU.split("\n")[5]
    back = bx.read(out)
    assert back.tokens["tag"].cast(pl.String).to_list() == ["B-PER", "B-X", "I-X", "B-ORG", "O"]


def test_frame_corpus_writes_plain_tsv(tmp_path):
    frame = pl.DataFrame({"tokens": [["a", "b"], ["c"]], "ner_tags": [["B-X", "I-X"], ["O"]]})
    c = bx.read(frame)
    out = tmp_path / "f.tsv"
    c.write(out)
    assert out.read_text(encoding="utf-8").rstrip("\n") == "a\tB-X\nb\tI-X\n\nc\tO"
    with pytest.raises(ValueError, match="pass a path"):
        c.write()


@pytest.mark.parametrize("path", FILES, ids=_id)
def test_line_table_is_released_and_rebuilt_exactly(path):
    """After a read the corpus keeps the file's text once (bytes); the line table the writer needs
    is rebuilt on demand and equals the one built while reading."""
    from bio_explorer.io.lines import split_lines

    if path.name == "emerging.test":
        return
    c = _read(path)
    for rec in c.state.files:
        assert rec.raw._lines is None or not rec.raw.utf8
        fresh = split_lines(rec.path.read_bytes(), str(rec.path))
        assert rec.raw.lines.to_list() == fresh.lines.to_list()
        assert (rec.raw.newline, rec.raw.final_newline) == (fresh.newline, fresh.final_newline)
