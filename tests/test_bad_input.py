"""Malformed input: a clear BioFormatError (file, 1-based line, what was expected) or, with
``errors="collect"``, a corpus plus a ``problems`` table.  Never a traceback from inside polars."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import bio_explorer as bx
from bio_explorer import BioFormatError


def _write(tmp_path: Path, name: str, data: bytes | str) -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def _error(path: Path, **kwargs) -> BioFormatError:
    with pytest.raises(BioFormatError) as info:
        bx.read(path, **kwargs)
    err = info.value
    assert err.path == str(path)
    assert str(path) in str(err)
    return err


# ---------------------------------------------------------------------------- column count
def test_column_count_mismatch_names_line_and_expectation(tmp_path):
    path = _write(tmp_path, "cols.tsv", "a\tO\nb\tB-PER\nc\tI-PER\textra\nd\tO\n")
    err = _error(path)
    assert err.line == 3
    assert f"{path}:3:" in str(err)
    assert "expected 2" in err.reason and "found 3" in err.reason


def test_column_count_too_few_in_space_file(tmp_path):
    path = _write(tmp_path, "cols.conll",
                  "EU NNP B-ORG\nrejects VBZ O\nGerman\n\nPeter NNP B-PER\n")
    err = _error(path)
    assert err.line == 3
    assert "expected 3" in err.reason and "found 1" in err.reason


def test_column_count_not_strict_loads_the_line(tmp_path):
    # strict=False: a token line with an extra column is read (its extra field is ignored)
    path = _write(tmp_path, "cols.tsv", "a\tO\nb\tB-PER\nc\tI-PER\textra\nd\tO\n")
    c = bx.read(path, strict=False)
    assert c.tokens["token"].to_list() == ["a", "b", "c", "d"]
    assert c.spans.select("start", "end", "label").rows() == [(1, 3, "PER")]


def test_collect_loads_the_rest_and_lists_problems(tmp_path):
    path = _write(tmp_path, "cols.tsv", "a\tO\nb\tB-PER\tx\nc\tO\n\nd\tB-LOC\ne\tQ-LOC\n")
    c = bx.read(path, errors="collect")
    assert isinstance(c.problems, pl.DataFrame)
    assert c.problems.columns == ["source", "line", "kind", "message"]
    got = c.problems.select("line", "kind").rows()
    assert got == [(2, "column_count"), (6, "unknown_tag")]
    # the good lines are all there; the bad column line is left out
    assert c.tokens["token"].to_list() == ["a", "c", "d", "e"]
    assert c.tokens["line"].to_list() == [1, 3, 5, 6]


# ---------------------------------------------------------------------------- tags
@pytest.mark.parametrize("bad", ["X-PER", "B_PER", "B-", "b-PER"])
def test_unknown_prefix_among_valid_tags(tmp_path, bad):
    path = _write(tmp_path, "t.tsv", f"Ann\tB-PER\nlikes\tO\nBob\t{bad}\n")
    err = _error(path)
    assert err.line == 3
    assert repr(bad) in err.reason
    assert "expected 'O' or a prefix" in err.reason


@pytest.mark.parametrize("bad", ["X-PER", "B_PER", "B-"])
def test_unknown_prefix_alone_is_not_mistaken_for_bare_labels(tmp_path, bad):
    path = _write(tmp_path, "t.tsv", f"a\tO\nb\t{bad}\nc\tO\n")
    err = _error(path)
    assert err.line == 2
    assert repr(bad) in err.reason


def test_bare_labels_are_an_io_file(tmp_path):
    path = _write(tmp_path, "io.tsv", "Ann\tperson\nSmith\tperson\nin\tO\nParis\tlocation\n")
    c = bx.read(path)
    assert c.scheme == "IO"
    assert c.spans.select("start", "end", "label").rows() == [(0, 2, "person"), (3, 4, "location")]


def test_comma_multi_tags_need_multi_tag(tmp_path):
    path = _write(tmp_path, "m.tsv", "a\tO\nb\tB-corporation,B-person\nc\tI-corporation,I-person\n")
    err = _error(path)
    assert err.line == 2
    assert "multi_tag" in err.reason


def test_comma_multi_tags_first_and_keep(tmp_path):
    text = "a\tO\nb\tB-corporation,B-person\nc\tI-corporation,I-person\nd\tB-x\n"
    path = _write(tmp_path, "m.tsv", text)
    first = bx.read(path, multi_tag="first")
    assert first.tokens["tag"].cast(pl.String).to_list() == ["O", "B-corporation",
                                                             "I-corporation", "B-x"]
    assert "tag_all" not in first.tokens.columns
    keep = bx.read(path, multi_tag="keep")
    # "keep": the tag is still the first one, and every tag of the field is in `tag_all`
    assert keep.tokens["tag"].to_list() == first.tokens["tag"].to_list()
    assert keep.tokens["tag_all"].to_list() == [["O"], ["B-corporation", "B-person"],
                                                ["I-corporation", "I-person"], ["B-x"]]
    # both write the file back unchanged
    for corpus in (first, keep):
        out = tmp_path / "out.tsv"
        corpus.write(out)
        assert out.read_bytes() == path.read_bytes()


def test_wnut17_test_file_multi_tags(shared_corpora):
    path = shared_corpora / "wnut17" / "emerging.test.conll"
    with pytest.raises(BioFormatError, match="multi_tag"):
        bx.read(path)
    lines = path.read_text(encoding="utf-8").split("\n")
    n_multi = sum(1 for ln in lines if "\t" in ln and "," in ln.split("\t")[-1])
    assert n_multi == 297  # README's checked fact
    c = bx.read(path, errors="collect")
    assert (c.problems["kind"] == "multi_tag").sum() == n_multi


def test_no_tags_at_all(tmp_path, shared_corpora):
    path = _write(tmp_path, "tokens.txt", "just\nsome\ntokens\n\nand\nmore\n")
    err = _error(path)
    assert err.line == 1
    assert "no tag column" in err.reason
    err = _error(shared_corpora / "wnut17" / "emerging.test")
    assert "no tag column" in err.reason


def test_single_o_column_is_no_tags(tmp_path):
    path = _write(tmp_path, "o.txt", "O\nO\n")
    with pytest.raises(BioFormatError):
        bx.read(path)


# ---------------------------------------------------------------------------- encoding
def test_undecodable_bytes_name_the_byte_offset(tmp_path):
    data = "Zürich\tB-LOC\nist\tO\n".encode() + b"sch\xf6n\tO\n"
    path = _write(tmp_path, "latin.tsv", data)
    err = _error(path)
    offset = data.index(b"\xf6")
    assert err.line == 3
    assert f"byte offset {offset}" in err.reason
    assert "0xf6" in err.reason and "encoding=" in err.reason


def test_encoding_override(tmp_path):
    data = "Zürich\tB-LOC\nist\tO\nschön\tO\n".encode("latin-1")
    path = _write(tmp_path, "latin.tsv", data)
    c = bx.read(path, encoding="latin-1")
    assert c.tokens["token"].to_list() == ["Zürich", "ist", "schön"]
    out = tmp_path / "out.tsv"
    c.write(out)
    assert out.read_bytes() == data


def test_undecodable_bytes_collect(tmp_path):
    data = b"a\tB-PER\nb\xff\tO\n\nc\tO\n"
    path = _write(tmp_path, "bad.tsv", data)
    c = bx.read(path, errors="collect")
    assert c.problems["kind"].to_list() == ["encoding"]
    assert c.problems["line"].to_list() == [2]
    assert c.tokens["token"].to_list() == ["a", "b\ufffd", "c"]


def test_unknown_encoding(tmp_path):
    path = _write(tmp_path, "a.tsv", "a\tO\n")
    err = _error(path, encoding="no-such-codec")
    assert "unknown encoding" in err.reason


# ---------------------------------------------------------------------------- empty input
@pytest.mark.parametrize("content", [b"", b"\n", b"\n\n\n", b"\t\n\t\n", b"\r\n\r\n"])
def test_empty_file_is_an_empty_corpus(tmp_path, content):
    path = _write(tmp_path, "empty.txt", content)
    c = bx.read(path)
    assert c.n_tokens == 0
    assert len(c) == 0
    assert c.spans.height == 0
    out = tmp_path / "out.txt"
    c.write(out)
    assert out.read_bytes() == content


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        bx.read(tmp_path / "nope.txt")
    with pytest.raises(FileNotFoundError):
        bx.read(str(tmp_path / "*.nothing"))


def test_bad_options_are_value_errors(tmp_path):
    path = _write(tmp_path, "a.tsv", "a\tO\n")
    for kwargs in ({"multi_tag": "all"}, {"errors": "ignore"}, {"scheme": "XYZ"}, {"format": "x"}):
        with pytest.raises(ValueError):
            bx.read(path, **kwargs)
    with pytest.raises(BioFormatError, match="tag_col=5"):
        bx.read(path, tag_col=5)


# ---------------------------------------------------------------------------- CoNLL-U
def test_conllu_bad_word_line(tmp_path):
    good = "1\tA\ta\tX\t_\t_\t0\troot\t_\tname=B-PER\n"
    path = _write(tmp_path, "bad.conllu", "# sent_id = 1\n" + good + "2\tB\tb\tX\t_\n\n")
    with pytest.raises(BioFormatError) as info:
        bx.read(path, format="conllu")
    assert info.value.line == 3
    assert "10 TAB-separated fields" in info.value.reason


def test_conllu_without_ner(tmp_path):
    line = "1\tA\ta\tX\t_\t_\t0\troot\t_\tSpaceAfter=No\n"
    path = _write(tmp_path, "plain.conllu", line * 3)
    with pytest.raises(BioFormatError, match="no NER tags"):
        bx.read(path)


# ---------------------------------------------------------------------------- frames
def test_frame_errors():
    with pytest.raises(BioFormatError, match="missing column"):
        bx.read(pl.DataFrame({"words": [["a"]], "ner_tags": [["O"]]}))
    with pytest.raises(BioFormatError, match="label_names"):
        bx.read(pl.DataFrame({"tokens": [["a"]], "ner_tags": [[0]]}))
    with pytest.raises(BioFormatError, match="differ in length"):
        bx.read(pl.DataFrame({"tokens": [["a", "b"]], "ner_tags": [["O"]]}))
    with pytest.raises(BioFormatError, match="tag id 3"):
        bx.read(pl.DataFrame({"tokens": [["a"]], "ner_tags": [[3]]}), label_names=["O", "B-X"])


# ---------------------------------------------------------------------------- fuzzing
_ALPHABET = ["a", "B-PER", "I-PER", "O", "\t", " ", "\n", "\r\n", "#", "-DOCSTART-", "<s>",
             "</s>", ",", "B-", "X-Y", "1", "é", "\u200b", "_", "|", "name=B-LOC", "\x00"]


_FIXTURE_OK = [HealthCheck.function_scoped_fixture]


def _check_outcome(path: Path, **kwargs) -> None:
    try:
        c = bx.read(path, **kwargs)
    except BioFormatError:
        return
    # a corpus came back: its frames must be consistent
    assert c.tokens.height == c.n_tokens
    _ = c.spans, c.sentences


@settings(max_examples=150, deadline=None, suppress_health_check=_FIXTURE_OK)
@given(data=st.binary(max_size=300))
def test_fuzz_random_bytes(tmp_path, data):
    path = tmp_path / "fuzz.bin"
    path.write_bytes(data)
    _check_outcome(path)
    _check_outcome(path, errors="collect")


@settings(max_examples=200, deadline=None, suppress_health_check=_FIXTURE_OK)
@given(parts=st.lists(st.sampled_from(_ALPHABET), max_size=60))
def test_fuzz_random_lines(tmp_path, parts):
    path = tmp_path / "fuzz.txt"
    path.write_text("".join(parts), encoding="utf-8")
    _check_outcome(path)
    _check_outcome(path, errors="collect")
    _check_outcome(path, multi_tag="keep", strict=False)


@settings(max_examples=100, deadline=None, suppress_health_check=_FIXTURE_OK)
@given(rows=st.lists(st.tuples(st.sampled_from(["1", "2", "1-2", "3.1", "x", "#"]),
                               st.sampled_from(["name=B-PER", "name=I-PER", "_", "name=O",
                                                "name=Q", "SpaceAfter=No|name=B-X"])),
                     max_size=20))
def test_fuzz_conllu(tmp_path, rows):
    body = "".join(f"{i}\tw\tw\tX\t_\t_\t0\troot\t_\t{m}\n" for i, m in rows)
    path = tmp_path / "fuzz.conllu"
    path.write_text(body + "\n", encoding="utf-8")
    _check_outcome(path)
    _check_outcome(path, format="conllu", errors="collect")
