"""Property tests for the reader (issue 11): random near-valid BIO files are read exactly, a
single corrupted line raises a BioFormatError naming that line, and random bytes either read or
raise a BioFormatError – never another exception, never a hang."""

from __future__ import annotations

import datetime
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import bio_explorer as bx
from bio_explorer import BioFormatError

_SETTINGS = {
    "deadline": datetime.timedelta(seconds=30),  # a hang fails the test (machine is busy)
    "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
}
_TOKENS = ["EU", "rejects", "German", "call", "to", ",", ".", "Peter", "Blackburn", "é", "x#y",
           "(", "naïve", "Zürich", "a-b", "F-16", "I"]
_TYPES = ["PER", "LOC", "ORG", "MISC", "Library"]
_POS = ["NN", "VBZ", "JJ", "NNP", ","]


@st.composite
def _sentence(draw) -> list[tuple[str, str]]:
    """A sentence with valid IOB2 tags."""
    n = draw(st.integers(1, 8))
    out, open_type = [], None
    for _ in range(n):
        token = draw(st.sampled_from(_TOKENS))
        move = draw(st.sampled_from(["O", "B", "I"]))
        if move == "I" and open_type is not None:
            tag = f"I-{open_type}"
        elif move == "B":
            open_type = draw(st.sampled_from(_TYPES))
            tag = f"B-{open_type}"
        else:
            open_type, tag = None, "O"
        out.append((token, tag))
    return out


@st.composite
def _file(draw) -> tuple[bytes, list[list[tuple[str, str]]], list[int], dict]:
    """A near-valid file: its bytes, its sentences, the 1-based line of every token and how it
    was laid out."""
    sentences = draw(st.lists(_sentence(), min_size=1, max_size=6))
    sep = draw(st.sampled_from(["\t", " "]))
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    tag_first = sep == "\t" and draw(st.booleans())
    pos = not tag_first and draw(st.booleans())
    lead = not tag_first and draw(st.booleans())
    blank_first = draw(st.booleans())
    final = draw(st.booleans())
    lines: list[str] = [""] if blank_first else []
    token_lines: list[int] = []
    for k, sent in enumerate(sentences):
        if k:
            lines.append("")
        for i, (token, tag) in enumerate(sent):
            fields = [tag, token] if tag_first else [token, *([_POS[i % 5]] if pos else []), tag]
            lines.append((sep if lead else "") + sep.join(fields))
            token_lines.append(len(lines))
    text = newline.join(lines) + (newline if final else "")
    layout = {"sep": sep, "newline": newline, "tag_first": tag_first}
    return text.encode("utf-8"), sentences, token_lines, layout


def _write(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "prop.txt"
    path.write_bytes(data)
    return path


@settings(max_examples=120, **_SETTINGS)
@given(case=_file())
def test_near_valid_files_read_exactly(tmp_path, case):
    data, sentences, token_lines, _ = case
    c = bx.read(_write(tmp_path, data))
    want = [pair for sent in sentences for pair in sent]
    assert c.tokens.select("token", "tag").rows() == want
    assert len(c) == len(sentences)
    assert c.tokens["line"].to_list() == token_lines
    assert c.scheme == "IOB2"
    assert c.summary(anomalies=False)["invalid_transitions"] == 0


_CORRUPT_TAGS = ["B-O", "I-O", "X-PER", "B-", "b-PER", "B_PER", "B-PER,I-LOC"]


@settings(max_examples=120, **_SETTINGS)
@given(case=_file(), data=st.data())
def test_one_corrupt_line_is_named(tmp_path, case, data):
    raw, _, token_lines, layout = case
    sep, newline, tag_first = layout["sep"], layout["newline"], layout["tag_first"]
    lines = raw.decode("utf-8").split(newline)
    target = data.draw(st.sampled_from(token_lines))
    kind = data.draw(st.sampled_from(["tag", "nul", "drop"]))
    line = lines[target - 1]
    if kind == "tag":
        bad = data.draw(st.sampled_from(_CORRUPT_TAGS))
        parts = line.split(sep)
        parts[0 if tag_first else -1] = bad
        lines[target - 1] = sep.join(parts)
    elif kind == "nul":
        lines[target - 1] = line[:1] + "\x00" + line[1:]
    else:
        parts = line.split(sep)
        lines[target - 1] = sep.join(parts[1:] if tag_first else parts[:-1])
    path = _write(tmp_path, newline.join(lines).encode("utf-8"))
    try:
        bx.read(path)
    except BioFormatError as e:
        assert e.line == target, (e, target)
        assert e.path == str(path)
        return
    raise AssertionError(f"corrupted line {target} ({kind}) was read without an error")


_PIECES = ["a", "B-PER", "I-PER", "O", "I-O", "\t", " ", "\n", "\r\n", "\r", "#", "-DOCSTART-",
           "<s>", "</s>", ",", "B-", "3-2", "1", "x", "é", "\u200b", "\ufeff", "_", "|",
           "name=B-LOC", "\x00", "\xff"]


def _read_or_named_error(path: Path, **kwargs) -> None:
    try:
        c = bx.read(path, **kwargs)
    except BioFormatError as e:
        assert e.path == str(path)
        if e.line is not None:
            assert e.line >= 1
        return
    assert c.tokens.height == c.n_tokens
    _ = c.spans, c.sentences, c.scheme_evidence
    c.summary(anomalies=False)


@settings(max_examples=150, **_SETTINGS)
@given(blob=st.binary(max_size=400))
def test_random_bytes_read_or_raise_bioformaterror(tmp_path, blob):
    path = _write(tmp_path, blob)
    _read_or_named_error(path)
    _read_or_named_error(path, errors="collect")


@settings(max_examples=200, **_SETTINGS)
@given(parts=st.lists(st.sampled_from(_PIECES), max_size=80))
def test_random_near_bio_text_read_or_raise_bioformaterror(tmp_path, parts):
    path = _write(tmp_path, "".join(parts).encode("utf-8"))
    _read_or_named_error(path)
    _read_or_named_error(path, errors="collect")
    _read_or_named_error(path, multi_tag="keep", strict=False)
