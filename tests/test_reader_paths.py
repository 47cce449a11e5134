"""The column reader's shortcut gives exactly what the full line-by-line classification gives.

``parse_text`` decides the layout on the first lines, classifies only the lines that are not
plainly token lines, and (for clean UTF-8 files) frees the line table before polars' CSV reader
splits the fields, rebuilding the few lines it still needs from their fields.  Here every shared
corpus and a set of hand-made awkward files are read twice: normally, and with the shortcuts
switched off (fields split from the kept line table, layout decided on the whole file) – the
token tables, layouts, problems and errors must be identical.
"""

from __future__ import annotations

import polars as pl
import pytest
from bx_testdata import corpus_files
from polars.testing import assert_frame_equal

import bio_explorer as bx
from bio_explorer.errors import BioFormatError
from bio_explorer.io import text as text_mod

TEXT_FILES = [p for p in corpus_files() if p.suffix != ".conllu"]


def _read(path, slow: bool, monkeypatch: pytest.MonkeyPatch, **kwargs):
    with monkeypatch.context() as m:
        if slow:
            m.setattr(text_mod, "_csv_fields", lambda *a, **k: None)  # fields from the lines
            m.setattr(text_mod, "_HEAD_LINES", 10**12)  # layout decided on the whole file
        try:
            corpus = bx.read(path, **kwargs)
        except BioFormatError as e:
            return ("error", str(e))
    st = corpus.state
    tok = st.full_tok().with_columns(pl.col(pl.Categorical).cast(pl.String))
    return ("ok", tok, vars(st.files[0].layout), corpus.problems)


def _same(a, b) -> None:
    assert a[0] == b[0], (a[:2], b[:2])
    if a[0] == "error":
        assert a[1] == b[1]
        return
    assert_frame_equal(a[1], b[1])
    assert a[2] == b[2]
    assert_frame_equal(a[3], b[3])


@pytest.mark.shared
@pytest.mark.parametrize("path", TEXT_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
@pytest.mark.parametrize("options", [{}, {"errors": "collect", "multi_tag": "first"}],
                         ids=["default", "collect"])
def test_shortcut_equals_full_classification_on_shared(shared_corpora, path, options,
                                                       monkeypatch):
    _same(_read(path, False, monkeypatch, **options), _read(path, True, monkeypatch, **options))


AWKWARD = {
    # lone-TAB and white-space-only breaks, a '#' token, a comment, -DOCSTART- with the tag column
    "breaks": "-DOCSTART-\tO\n\na\tB-X\n#include\tI-X\n\t\n   \nb\tO\n# a comment\nc\tB-Y\n",
    # lines with more fields than the layout (trailing TABs, one real extra field) in a
    # 3-column file, and one with fewer
    "wide": "1\ta\tB-X\n2\tb\tO\t\n3\tc\tO\t\t\n\n4\td\tO\textra\n5\te\n6\tf\tI-X\n",
    # <s> markers with trailing white space, a line that is only a TAB
    "markers": "<s> \na\tB-X\nb\tI-X\n</s>\t\n\t\n<s>\nc\tO\n</s>\n",
    # a bad tag and a comma-joined multi-tag
    "bad_tags": "a\tB-X\nb\tB_X\n\nc\tB-X,B-Y\nd\tO\n",
    # space-separated CoNLL with a DOCSTART line of full width
    "conll": "-DOCSTART- -X- O\n\nEU NNP B-ORG\nrejects VBZ O\n\nPeter NNP B-PER\n",
    # four columns: the POS and chunk columns are left for later (io.text.Deferred)...
    "conll4": "-DOCSTART- -X- -X- O\n\nEU NNP B-NP B-ORG\nrejects VBZ B-VP O\n\n"
              "Peter NNP B-NP B-PER\nBlackburn NNP I-NP I-PER\nsaid VBD B-VP O\n",
    # ... with an empty middle field, non-ASCII tokens (offsets in characters), a '#' line of
    # full width (a comment) and one that is a token
    "conll4_odd": "# a b c\nZürich  B-NP B-LOC\nist VBZ B-VP O\n\n#x NN B-NP B-LOC\nß NN I-NP O\n"
                  "a NN B-NP O\nb NN B-NP O\n",
    # ... a line short of the unread columns (the separator count fails: every column is read)
    "conll4_short": "EU NNP B-NP B-ORG\nx NN O\n\nb NN B-NP O\nc NN B-NP O\nd NN B-NP O\n",
    # ... a full-width line opened by a marker or a blank field (its unread fields decide what
    # it is: the line-table path reads it)
    "conll4_marker": "a\tNN\tB-NP\tB-X\n<s>\tp\tq\tr\nb\tNN\tI-NP\tO\nc\tNN\tB-NP\tO\n",
    "conll4_blank": "a\tNN\tB-NP\tB-X\n \t \t \t \nb\tNN\tI-NP\tO\nc\tNN\tB-NP\tO\n",
}


@pytest.mark.parametrize("name", sorted(AWKWARD))
@pytest.mark.parametrize("options", [{}, {"errors": "collect", "multi_tag": "first"},
                                     {"strict": False, "errors": "collect"}],
                         ids=["default", "collect", "lenient"])
def test_shortcut_equals_full_classification_on_awkward_files(tmp_path, name, options,
                                                              monkeypatch):
    path = tmp_path / f"{name}.txt"
    path.write_bytes(AWKWARD[name].encode())
    _same(_read(path, False, monkeypatch, **options), _read(path, True, monkeypatch, **options))


def test_layout_falls_back_to_the_whole_file_when_the_head_misleads(tmp_path, monkeypatch):
    """The head says 2 columns, most of the file has 3: the column count is the whole file's."""
    monkeypatch.setattr(text_mod, "_HEAD_LINES", 4)
    monkeypatch.setattr(text_mod, "_DETECT_SAMPLE", 1)
    head = "a\tB-X\nb\tO\n\n"
    rest = "".join(f"t{i}\tPOS\tO\n" + ("\n" if i % 3 == 2 else "") for i in range(30))
    path = tmp_path / "misleading.txt"
    path.write_text(head + rest)
    corpus = bx.read(path, errors="collect")
    assert corpus.state.files[0].layout.n_cols == 3
    assert corpus.problems["kind"].to_list() == ["column_count", "column_count"]
    assert corpus.problems["line"].to_list() == [1, 2]
    assert corpus.tokens.height == 30


def test_many_long_spans_get_their_text(tmp_path):
    """Span texts of short spans come from per-token gathers, long ones from a join: both exact."""
    tokens = [f"w{i}" for i in range(12)]
    tags = ["B-A", "I-A", "O", "B-B"] + ["I-B"] * 7 + ["B-C"]
    path = tmp_path / "long.tsv"
    path.write_text("".join(f"{t}\t{g}\n" for t, g in zip(tokens, tags, strict=True)))
    spans = bx.read(path).spans
    assert spans["text"].to_list() == ["w0 w1", " ".join(tokens[3:11]), "w11"]


# ------------------------------------------------ the bytes-only path (no line table at all)
def _no_line_table(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make building the whole line table of a file fail (the bytes-only path never does)."""
    from bio_explorer.io.lines import RawText

    def refuse(self):
        raise AssertionError("the line table was built")

    monkeypatch.setattr(RawText, "_split_pending", refuse)


def test_plain_file_is_read_from_its_bytes_without_a_line_table(tmp_path, monkeypatch):
    """A clean CoNLL file longer than the head: layout, fields and field counts from the bytes;
    the tokens are those of the line-table path."""
    path = tmp_path / "plain.txt"
    # 2,802 lines: more than the CoNLL-U sniff's 2,000
    path.write_text("-DOCSTART- -X- O\n\n" + "EU NNP B-ORG\nrejects VBZ O\nit PRP O\n\n" * 700)
    want = _read(path, True, monkeypatch)
    monkeypatch.setattr(text_mod, "_HEAD_LINES", 40)
    monkeypatch.setattr(text_mod, "_DETECT_SAMPLE", 10)
    _no_line_table(monkeypatch)
    got = _read(path, False, monkeypatch)
    _same(got, want)
    assert got[1]["token"].to_list()[:2] == ["EU", "rejects"]


@pytest.mark.parametrize("body", [
    # every token line ends with a TAB (an empty last field): the byte sum cannot prove the
    # field counts, the line table decides them
    "a\tB-X\t\nb\tI-X\t\n\nc\tO\t\nd\tB-Y\t\n",
    # one such line among plain ones: it has one field more than the layout
    "a\tB-X\nb\tI-X\t\n\nc\tO\nd\tB-Y\n",
    # an empty middle field in a 3-column file, and a line of only separators
    "1\t\tB-X\n2\tb\tO\n\t\t\n3\tc\tO\n",
], ids=["trailing_tab_everywhere", "one_trailing_tab", "empty_fields"])
def test_field_counts_from_bytes_equal_the_line_table(tmp_path, monkeypatch, body):
    path = tmp_path / "fields.txt"
    path.write_text(body * 4)
    for options in ({}, {"errors": "collect"}, {"strict": False, "errors": "collect"}):
        _same(_read(path, False, monkeypatch, **options), _read(path, True, monkeypatch, **options))


def _spy_columns(monkeypatch: pytest.MonkeyPatch) -> list:
    """Record the ``columns`` of every call of polars' CSV reader."""
    calls, real = [], text_mod._csv_fields

    def spy(*args, **kwargs):
        calls.append(kwargs.get("columns"))
        return real(*args, **kwargs)

    monkeypatch.setattr(text_mod, "_csv_fields", spy)
    return calls


LONE_TAB = ("a\tB-X\tx\tO\nb\tI-X\ty\tO\nc\tO\tz\tO\n\t\nd\tB-Y\tw\tO\ne\tO\tv\tO\n\n"
            "\t\t\t\nf\tO\tu\tO\n")


@pytest.mark.parametrize("final_newline", [True, False], ids=["final_newline", "no_final_newline"])
def test_lone_separator_lines_are_counted_from_the_line_ends(tmp_path, monkeypatch,
                                                             final_newline):
    """StackOverflow NER breaks sentences with lone-TAB lines: no sum of lower bounds proves the
    field counts, so they are each line's separator bytes (counted in slices far smaller than
    the file here) – still from the bytes alone, with the same tokens, and without reading the
    columns after the tag (they are left for later, io.text.Deferred)."""
    body = LONE_TAB * 300
    path = tmp_path / "lone_tab.txt"
    path.write_text(body if final_newline else body.rstrip("\n"))
    want = _read(path, True, monkeypatch)
    monkeypatch.setattr(text_mod, "_HEAD_LINES", 40)
    monkeypatch.setattr(text_mod, "_DETECT_SAMPLE", 10)
    monkeypatch.setattr(text_mod, "_COUNT_CHUNK", 7)
    _no_line_table(monkeypatch)
    columns = _spy_columns(monkeypatch)
    got = _read(path, False, monkeypatch)
    _same(got, want)
    assert got[1].height == 1800  # (2,700 lines: more than the CoNLL-U sniff reads)
    assert columns[0] == [0, 1]  # the first read skips the columns after the tag
    assert None not in columns  # no read of every column


@pytest.mark.parametrize("odd", [
    "\tO\tx\tO\n",  # a blank first field on a line that is not only separators
    "\t\tx\t\n",  # ... and with its only text in the unread column
    "<s>\t\t\t\n",  # a marker with separators
    "g\tO\tt\tO\t\n",  # a line wider than the layout
    "g\tO\tt\t\n",  # an empty last field on a token line (regular: 4 fields, a tag)
    "g\t\tt\t\n",  # ... and on an odd line (no tag): its unread separator matters
    " \t\n",  # a space and a separator
], ids=["blank_first", "only_unread", "marker", "wide", "empty_last", "odd_empty_last",
        "space_sep"])
def test_lone_separator_files_with_odd_lines_equal_the_line_table(tmp_path, monkeypatch, odd):
    """Lines whose unread column could change what they are send the file to the full path (or
    are decided exactly from their bytes): the tokens and problems are the line table's."""
    path = tmp_path / "lone_tab_odd.txt"
    path.write_text(LONE_TAB * 150 + odd + LONE_TAB * 150)
    monkeypatch.setattr(text_mod, "_HEAD_LINES", 40)
    monkeypatch.setattr(text_mod, "_DETECT_SAMPLE", 10)
    for options in ({}, {"errors": "collect"}, {"strict": False, "errors": "collect"}):
        _same(_read(path, False, monkeypatch, **options), _read(path, True, monkeypatch, **options))


def test_undecodable_byte_after_the_head_is_named_as_before(tmp_path, monkeypatch):
    """The layout is decided on valid first lines; a bad byte far below them is still reported
    with its line (raise) or replaced and listed (collect), exactly as the line-table path does."""
    monkeypatch.setattr(text_mod, "_HEAD_LINES", 8)
    monkeypatch.setattr(text_mod, "_DETECT_SAMPLE", 2)
    lines = [f"t{i} NN O" if i % 5 else "" for i in range(1, 60)]
    lines[40] = "bad\xff NN B-PER"
    path = tmp_path / "bad.txt"
    path.write_bytes("\n".join(lines).encode("latin-1"))
    with pytest.raises(BioFormatError, match=r":41: byte 0xff"):
        bx.read(path, cache=False)
    _same(_read(path, False, monkeypatch, errors="collect"),
          _read(path, True, monkeypatch, errors="collect"))


@pytest.mark.parametrize("chunk", [1, 3, 7, 1 << 24])
def test_line_shapes_count_every_line_exactly(monkeypatch, chunk):
    """Separators per line and separator-only lines, across slice edges, against a plain split."""
    import random

    rng = random.Random(chunk)
    lines = ["".join(rng.choice("ab\t\t ") for _ in range(rng.randrange(0, 9)))
             for _ in range(400)]
    monkeypatch.setattr(text_mod, "_COUNT_CHUNK", chunk)
    for final_newline in (True, False):
        body = "\n".join(lines) + ("\n" if final_newline else "")
        got = text_mod._line_shapes(body.encode(), "\t", final_newline)
        assert got["n_fields"].to_list() == [line.count("\t") + 1 for line in lines]
        assert got["sep_only"].to_list() == [line != "" and set(line) == {"\t"} for line in lines]
        assert got["sep_last"].to_list() == [line.endswith("\t") for line in lines]
