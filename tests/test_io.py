"""Reading every dialect on its real file, checked against an independent plain-Python reader."""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl
import pytest

import bio_explorer as bx
from bio_explorer.io.text import TAG_OR_O

# ---------------------------------------------------------------------------- reference reader
_TAG = re.compile(TAG_OR_O)


def plain_read(path: Path, *, sep: str = "\t", token_col: int = 0, tag_col: int = -1,
               encoding: str = "utf-8-sig") -> list[list[tuple[int, str, str]]]:
    """Sentences of ``(line, token, tag)`` read line by line, without bio_explorer.

    A sentence ends at a blank (or whitespace-only) line, ``<s>``/``</s>``, ``-DOCSTART-`` or a
    ``#`` comment whose tag field is not a tag.  In a TAB file a line without a TAB is split on
    spaces (StackOverflow's merged-labels file).
    """
    text = path.read_bytes().decode(encoding)
    lines = text.split("\n")
    if text.endswith("\n"):
        lines.pop()
    sentences, current = [], []
    for number, line in enumerate(lines, start=1):
        line = line[:-1] if line.endswith("\r") else line
        fields = line.split(sep) if (sep != "\t" or "\t" in line) else line.split(" ")
        while len(fields) > 2 and fields[-1] == "":  # a trailing separator is not a column
            fields.pop()
        is_break = (
            not line.strip() or line.strip() in ("<s>", "</s>") or line.startswith("-DOCSTART-")
            or (line.startswith("#")
                and not _TAG.match(fields[tag_col] if len(fields) > max(tag_col, 1) else ""))
        )
        if is_break:
            if current:
                sentences.append(current)
            current = []
            continue
        current.append((number, fields[token_col], fields[tag_col]))
    if current:
        sentences.append(current)
    return sentences


def assert_same_as_plain(corpus: bx.Corpus, sentences: list[list[tuple[int, str, str]]],
                         raw_tags: bool = True) -> None:
    """Tokens, lines and sentence boundaries of ``corpus`` equal the reference reader's."""
    tok = corpus.state.tok
    flat = [(i, *t) for i, s in enumerate(sentences) for t in s]
    assert tok.height == len(flat)
    assert corpus.sentences.height == len(sentences)
    assert tok["sentence"].to_list() == [f[0] for f in flat]
    assert tok["line"].to_list() == [f[1] for f in flat]
    assert tok["token"].to_list() == [f[2] for f in flat]
    if raw_tags:
        assert tok["_field"].cast(pl.String).to_list() == [f[3] for f in flat]
    positions = [p for s in sentences for p in range(len(s))]
    assert tok["position"].to_list() == positions


def invalid_i_count(tags_by_sentence: list[list[str]]) -> int:
    """IOB2 ``I-X`` after ``O``, a sentence start or another type (counted from raw tags)."""
    n = 0
    for tags in tags_by_sentence:
        prev = "O"
        for tag in tags:
            if tag.startswith("I-") and (prev == "O" or prev[2:] != tag[2:]):
                n += 1
            prev = tag
    return n


# ---------------------------------------------------------------------------- dialects
def test_seed_dialect(shared_corpora):
    path = shared_corpora / "seed" / "pytorch_wiki.bio"
    c = bx.read(path)
    ref = plain_read(path)
    assert_same_as_plain(c, ref)
    assert c.state.files[0].layout.dialect == "seed"
    assert c.scheme == "IOB2"
    assert len(c) == 20 and c.n_tokens == 406
    # '.' tagged I-Library inside a span stays inside that span
    dots = c.tokens.filter((pl.col("token") == ".") & (pl.col("tag") == "I-Library"))
    assert dots.height >= 1
    s, p = dots.row(0, named=True)["sentence"], dots.row(0, named=True)["position"]
    assert c.spans.filter((pl.col("sentence") == s) & (pl.col("start") < p)
                          & (pl.col("end") > p) & (pl.col("label") == "Library")).height == 1


def test_sample_is_the_seed_file(shared_corpora):
    s = bx.sample()
    assert (Path(bx.__file__).parent / "data" / "pytorch_wiki.bio").read_bytes() == (
        shared_corpora / "seed" / "pytorch_wiki.bio").read_bytes()
    assert s.n_tokens == 406


def test_conll2003_wikigold_counts_and_docs(shared_corpora):
    path = shared_corpora / "wikigold" / "wikigold.conll.txt"
    c = bx.read(path)
    assert c.n_tokens == 39_007 and len(c) == 1_696  # README's checked facts
    ref = plain_read(path, sep=" ")
    assert_same_as_plain(c, ref)
    assert c.state.files[0].layout.sep == " "
    text = path.read_text(encoding="utf-8")
    assert c.tokens["doc"].n_unique() == text.count("-DOCSTART-") == 145
    assert c.scheme == "IOB1"
    # line 6235: "Kreis I-LOC" right after "Prussian I-MISC": two spans, split by the type change
    row = c.tokens.filter(pl.col("line") == 6235).row(0, named=True)
    sp = c.spans.filter(pl.col("sentence") == row["sentence"])
    assert (row["position"] - 1, row["position"], "MISC") in sp.select("start", "end",
                                                                       "label").rows()
    assert (row["position"], row["position"] + 2, "LOC") in sp.select("start", "end",
                                                                      "label").rows()
    # IOB1 is normalised to IOB2 in `tag`
    assert c.tokens.filter(pl.col("line") == 6235)["tag"].item() == "B-LOC"


def test_conll_extra_columns_sec_filings(shared_corpora):
    path = shared_corpora / "sec_filings" / "FIN3.txt"
    c = bx.read(path)
    ref = plain_read(path, sep=" ")
    assert_same_as_plain(c, ref)
    assert {"col1", "col2"} <= set(c.tokens.columns)
    first = ref[0][0]
    fields = path.read_text(encoding="utf-8").split("\n")[first[0] - 1].split(" ")
    assert c.tokens.row(0, named=True)["col1"] == fields[1]
    assert c.tokens.row(0, named=True)["col2"] == fields[2]
    assert c.tokens["doc"].n_unique() == 3
    assert c.scheme == "IOB1"


@pytest.mark.parametrize("name,invalid", [("train.txt", 7), ("dev.txt", 3), ("test.txt", 1)])
def test_stackoverflow_tag_in_column_2(shared_corpora, name, invalid):
    path = shared_corpora / "stackoverflow_ner" / name
    c = bx.read(path)
    ref = plain_read(path, tag_col=1)
    assert_same_as_plain(c, ref)
    layout = c.state.files[0].layout
    assert (layout.token_col, layout.tag_col, layout.n_cols) == (0, 1, 4)
    assert {"col2", "col3"} <= set(c.tokens.columns)
    assert c.scheme == "IOB2"
    # invalid I- tags: counted here from the raw tags, and the tags are kept as the file says
    assert invalid_i_count([[t for _, _, t in s] for s in ref]) == invalid
    tags = c.tokens.group_by("sentence", maintain_order=True).agg(pl.col("tag").cast(pl.String))
    assert invalid_i_count(tags["tag"].to_list()) == invalid
    if name == "train.txt":
        assert len(c.labels()) == 28
        assert c.tokens.filter(pl.col("line") == 57413)["token"].item() == "\u200c"


def test_stackoverflow_merged_labels_mixed_separators(shared_corpora):
    path = shared_corpora / "stackoverflow_ner" / "train_merged_labels.txt"
    c = bx.read(path)
    assert_same_as_plain(c, plain_read(path, tag_col=1))


def test_stackoverflow_github(shared_corpora):
    path = shared_corpora / "stackoverflow_ner_github" / "GH_test_set.txt"
    c = bx.read(path)
    ref = plain_read(path, tag_col=1)
    assert_same_as_plain(c, ref)
    assert invalid_i_count([[t for _, _, t in s] for s in ref]) == 5


def test_blank_runs_and_lone_tab_breaks_give_no_empty_sentences(shared_corpora):
    path = shared_corpora / "stackoverflow_ner" / "dev.txt"
    lines = path.read_text(encoding="utf-8").split("\n")
    assert any(a.strip() == b.strip() == c_.strip() == "" for a, b, c_ in
               zip(lines, lines[1:], lines[2:], strict=False))
    c = bx.read(path)
    assert c.sentences["n_tokens"].min() >= 1


def test_mit_movie_tag_first_crlf(shared_corpora):
    path = shared_corpora / "mit_movie_trivia10k13" / "trivia10k13train.bio"
    assert b"\r\n" in path.read_bytes()[:200]
    c = bx.read(path)
    ref = plain_read(path, token_col=1, tag_col=0)
    assert_same_as_plain(c, ref)
    layout = c.state.files[0].layout
    assert (layout.token_col, layout.tag_col) == (1, 0)
    assert c.state.files[0].raw.newline == "\r\n"
    assert not c.tokens["token"].str.ends_with("\r").any()
    assert c.tokens["token"][0] == "steve" and c.tokens["tag"][0] == "B-Actor"


def test_wnut17_lone_tab_breaks(shared_corpora):
    path = shared_corpora / "wnut17" / "wnut17train.conll"
    lines = path.read_text(encoding="utf-8").split("\n")
    breaks = [ln for ln in lines if "\t" not in ln or ln == "\t"]
    assert breaks[:2394] == ["\t"] * 2394
    c = bx.read(path)
    assert_same_as_plain(c, plain_read(path))


def test_wnut17_invisible_characters_kept(shared_corpora):
    c = bx.read(shared_corpora / "wnut17" / "emerging.dev.conll")
    tok = c.tokens
    assert tok.filter(pl.col("line") == 15556)["token"].item() == "watched\u200bwas"
    assert tok.filter(pl.col("line") == 16730)["token"].item() == "Dubbz\ufeff"


def test_btc_counts_sources_empty_tokens_and_trailing_space(shared_corpora):
    folder = shared_corpora / "btc"
    c = bx.read(sorted(folder.glob("*.conll")))
    assert c.n_tokens == 150_387 and len(c) == 9_339  # README's checked facts
    assert sorted(c.tokens["source"].cast(pl.String).unique().to_list()) == [
        f"{x}.conll" for x in "abefgh"]
    h = c.tokens.filter(pl.col("source") == "h.conll")
    assert h.filter(pl.col("line").is_in([22918, 30879]))["token"].to_list() == ["", ""]
    e = c.tokens.filter(pl.col("source") == "e.conll")
    assert e.filter(pl.col("line") == 2225)["token"].item() == "MH17 "
    for p in sorted(folder.glob("*.conll")):
        part = c.tokens.filter(pl.col("source") == p.name)
        ref = plain_read(p)
        assert part.height == sum(len(s) for s in ref)
        assert part["token"].to_list() == [t for s in ref for _, t, _ in s]


def test_glob_and_list_give_the_same_corpus(shared_corpora):
    folder = shared_corpora / "btc"
    by_glob = bx.read(str(folder / "*.conll"))
    by_list = bx.read(sorted(folder.glob("*.conll")))
    assert by_glob.tokens.equals(by_list.tokens)
    # sentence ids are global and in reading order, docs one per file
    assert by_glob.tokens["sentence"].is_sorted()
    assert by_glob.tokens["doc"].n_unique() == 6


def test_germeval_comments_and_nested_layer(shared_corpora):
    path = shared_corpora / "germeval2014" / "NER-de-dev.tsv"
    outer = bx.read(path)
    assert_same_as_plain(outer, plain_read(path, token_col=1, tag_col=2))
    comments = path.read_text(encoding="utf-8").count("\n#\t") + 1
    assert len(outer) == comments == 2200
    assert "#" not in outer.tokens["token"].head(3).to_list()
    nested = bx.read(path, tag_col=3)
    ref = plain_read(path, token_col=1, tag_col=3)
    assert_same_as_plain(nested, ref)
    assert nested.tokens["col2"].to_list() == outer.tokens["tag"].cast(pl.String).to_list()
    assert set(nested.labels()) != set(outer.labels())
    assert "LOCderiv" in outer.labels()


def test_germeval_trailing_tab(shared_corpora):
    path = shared_corpora / "germeval2014" / "NER-de-test.tsv"
    c = bx.read(path)
    assert_same_as_plain(c, plain_read(path, token_col=1, tag_col=2))
    assert c.tokens.filter(pl.col("line") == 19728).height == 1


def test_ncrfpp_bioes_docstart_and_no_final_newline(shared_corpora):
    path = shared_corpora / "ncrfpp_bioes" / "dev.bmes"
    assert not path.read_bytes().endswith(b"\n")
    c = bx.read(path)
    assert c.scheme == "BIOES"
    assert_same_as_plain(c, plain_read(path, sep=" "))
    text = path.read_text(encoding="utf-8")
    # tokens before the first -DOCSTART- form a document of their own
    assert c.tokens["doc"].n_unique() == text.count("-DOCSTART-") + (
        not text.startswith("-DOCSTART-"))
    assert set(c.tokens["tag"].cast(pl.String).str.slice(0, 2).unique()) <= {"B-", "I-", "O"}
    wide = bx.read(shared_corpora / "ncrfpp_bioes" / "train.cappos.bmes")
    assert wide.state.files[0].layout.tag_col == 3
    assert wide.tokens["col1"][0] == "[Cap]1"


# ---------------------------------------------------------------------------- CoNLL-U
def plain_conllu(path: Path) -> list[list[tuple[int, str, str]]]:
    """Sentences of (line, form, name tag) from a CoNLL-U file with ``name=`` in MISC."""
    sentences, current = [], []
    for number, line in enumerate(path.read_text(encoding="utf-8").split("\n"), start=1):
        if not line.strip():
            if current:
                sentences.append(current)
            current = []
            continue
        if line.startswith("#"):
            continue
        cols = line.split("\t")
        if not cols[0].isdigit():
            continue  # multi-word range or empty node
        tag = next((kv[5:] for kv in cols[9].split("|") if kv.startswith("name=")), "O")
        current.append((number, cols[1], tag))
    if current:
        sentences.append(current)
    return sentences


def test_norne_conllu(shared_corpora):
    path = shared_corpora / "norne_conllu" / "no_bokmaal-ud-dev.conllu"
    c = bx.read(path)
    assert c.state.files[0].layout.dialect == "conllu"
    assert_same_as_plain(c, plain_conllu(path))
    assert {"lemma", "upos", "misc"} <= set(c.tokens.columns)
    assert "GPE_LOC" in c.labels()


CONLLU_MWT = """\
# sent_id = 1
# text = Han kom til Oslo-festen.
1\tHan\than\tPRON\t_\t_\t2\tnsubj\t_\tname=O
2\tkom\tkomme\tVERB\t_\t_\t0\troot\t_\tname=O
3-4\ttil Oslo\t_\t_\t_\t_\t_\t_\t_\t_
3\ttil\ttil\tADP\t_\t_\t4\tcase\t_\tname=O
4\tOslo\tOslo\tPROPN\t_\t_\t2\tobl\t_\tSpaceAfter=No|name=B-GPE_LOC
5\t-festen\tfest\tNOUN\t_\t_\t4\tflat\t_\t_
5.1\tx\tx\tX\t_\t_\t_\t_\t_\t_

# sent_id = 2
1\tKari\tKari\tPROPN\t_\t_\t0\troot\t_\tname=B-PER
2\tNordmann\tNordmann\tPROPN\t_\t_\t1\tflat\t_\tname=I-PER
"""


def test_conllu_multiword_ranges_and_missing_name(tmp_path):
    path = tmp_path / "mwt.conllu"
    path.write_text(CONLLU_MWT, encoding="utf-8")
    c = bx.read(path)
    assert c.tokens["token"].to_list() == ["Han", "kom", "til", "Oslo", "-festen", "Kari",
                                           "Nordmann"]
    assert c.tokens["line"].to_list() == [3, 4, 6, 7, 8, 12, 13]
    assert c.tokens["tag"].cast(pl.String).to_list() == ["O", "O", "O", "B-GPE_LOC", "O",
                                                         "B-PER", "I-PER"]
    assert c.spans.select("sentence", "start", "end", "label").rows() == [
        (0, 3, 4, "GPE_LOC"), (1, 0, 2, "PER")]
    out = tmp_path / "out.conllu"
    c.write(out)
    assert out.read_bytes() == path.read_bytes()


# ---------------------------------------------------------------------------- frames
LABELS = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]
ROWS = {"tokens": [["Ann", "Lee", "met", "Bob"], ["in", "New", "York"]],
        "ner_tags": [[1, 2, 0, 1], [0, 3, 4]]}


def _expected_frame_spans():
    return [(0, 0, 2, "PER"), (0, 3, 4, "PER"), (1, 1, 3, "LOC")]


def test_hf_frame_ints_and_label_names():
    c = bx.read(pl.DataFrame(ROWS), label_names=LABELS)
    assert c.tokens["token"].to_list() == ["Ann", "Lee", "met", "Bob", "in", "New", "York"]
    assert c.tokens["sentence"].to_list() == [0, 0, 0, 0, 1, 1, 1]
    assert c.tokens["position"].to_list() == [0, 1, 2, 3, 0, 1, 2]
    assert c.spans.select("sentence", "start", "end", "label").rows() == _expected_frame_spans()


def test_hf_frame_strings_and_pandas():
    pd = pytest.importorskip("pandas")
    strings = {"tokens": ROWS["tokens"],
               "ner_tags": [[LABELS[i] for i in row] for row in ROWS["ner_tags"]]}
    for frame in (pl.DataFrame(strings), pd.DataFrame(strings)):
        c = bx.read(frame)
        assert c.spans.select("sentence", "start", "end", "label").rows() == \
            _expected_frame_spans()
    c = bx.read(pd.DataFrame(ROWS), label_names=LABELS)
    assert c.spans.select("sentence", "start", "end", "label").rows() == _expected_frame_spans()


def test_hf_frame_split_column_is_source_and_write(tmp_path):
    frame = pl.DataFrame({**ROWS, "split": ["train", "test"]})
    c = bx.read(frame, label_names=LABELS)
    assert c.tokens["source"].cast(pl.String).to_list() == ["train"] * 4 + ["test"] * 3
    out = tmp_path / "frame.tsv"
    c.write(out)
    back = bx.read(out)
    assert back.spans.select("sentence", "start", "end", "label").rows() == \
        _expected_frame_spans()


def test_one_row_per_token_frame():
    frame = pl.DataFrame({"sentence": [0, 0, 1], "tokens": ["a", "b", "c"],
                          "ner_tags": ["B-X", "I-X", "O"], "pos": ["N", "N", "V"]})
    c = bx.read(frame)
    assert c.tokens["pos"].to_list() == ["N", "N", "V"]
    assert c.spans.select("sentence", "start", "end", "label").rows() == [(0, 0, 2, "X")]


# ---------------------------------------------------------------------------- bytes kept
@pytest.mark.parametrize(
    "data",
    [
        b"a\tB-X\r\nb\tI-X\r\n\r\nc\tO\r\n",  # CRLF
        b"\xef\xbb\xbfa\tB-X\nb\tI-X\n\nc\tO\n",  # BOM
        b"a\tB-X\nb\tI-X\n\nc\tO",  # no final newline
        b"\xef\xbb\xbfa\tB-X\r\nb\tI-X\r\n\r\nc\tO",  # all three
        b"a\tB-X\nb\tI-X\r\n\nc\tO\n",  # mixed line ends
        b"\n\na\tB-X\nb\tI-X\n\n\n\nc\tO\n\n",  # leading and repeated blank lines
    ],
)
def test_line_ends_bom_and_final_newline(tmp_path, data):
    path = tmp_path / "in.tsv"
    path.write_bytes(data)
    c = bx.read(path)
    assert c.tokens["token"].to_list() == ["a", "b", "c"]
    assert c.tokens["tag"].cast(pl.String).to_list() == ["B-X", "I-X", "O"]
    assert len(c) == 2
    out = tmp_path / "out.tsv"
    c.write(out)
    assert out.read_bytes() == data
    c.write(out, scheme="BIOES")
    expected = data.replace(b"B-X", b"B-X").replace(b"I-X", b"E-X").replace(b"c\tO", b"c\tO")
    assert out.read_bytes() == expected


def test_same_file_name_in_two_folders(tmp_path):
    for sub in ("a", "b"):
        (tmp_path / sub).mkdir()
        (tmp_path / sub / "train.tsv").write_text(f"{sub}\tB-X\n", encoding="utf-8")
    c = bx.read([tmp_path / "a" / "train.tsv", tmp_path / "b" / "train.tsv"])
    assert c.tokens["source"].cast(pl.String).n_unique() == 2


@pytest.mark.parametrize("blank", ["\u3000", "\u3000\t", " \u00a0 ", "\t\u2003"])
def test_lines_of_unicode_white_space_are_blank(tmp_path, blank):
    data = f"a\tB-X\nb\tI-X\n{blank}\nc\tO\n".encode()
    path = tmp_path / "in.tsv"
    path.write_bytes(data)
    c = bx.read(path)
    # independent count: Python's str.strip() knows every Unicode white space
    lines = data.decode().split("\n")[:-1]
    assert sum(1 for ln in lines if not ln.strip()) == 1
    assert c.tokens["token"].to_list() == ["a", "b", "c"]
    assert c.sentences["n_tokens"].to_list() == [2, 1]
    out = tmp_path / "out.tsv"
    c.write(out)
    assert out.read_bytes() == data


def test_low_cardinality_extra_columns_are_categorical(shared_corpora):
    # CoNLL POS and chunk columns: few values → Categorical, values as in the file
    path = shared_corpora / "sec_filings" / "FIN3.txt"
    c = bx.read(path)
    assert c.tokens.schema["col1"] == pl.Categorical
    assert c.tokens.schema["col2"] == pl.Categorical
    rows = [ln.split(" ") for ln in path.read_text(encoding="utf-8").splitlines()
            if ln.strip() and not ln.startswith("-DOCSTART-")]
    assert c.tokens["col1"].cast(pl.String).to_list() == [r[1] for r in rows]
    assert c.tokens["col2"].cast(pl.String).to_list() == [r[2] for r in rows]
    # StackOverflow: column 3 repeats the token (many values → String), column 4 a markdown tag
    so = bx.read(shared_corpora / "stackoverflow_ner" / "train.txt")
    assert so.tokens.schema["col2"] == pl.String
    assert so.tokens.schema["col3"] == pl.Categorical
    assert so.tokens["col2"].n_unique() > 1000
    assert (so.tokens["col2"] == so.tokens["token"]).mean() > 0.99
