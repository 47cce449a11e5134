"""Reader defects found by the outside campaign (issue 11, items 5, 6, 8, 10; issue 15 item 10).

Every test here failed before the fix: a file was read wrongly without a word, or a bad option
or path gave a raw exception.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import warnings
from pathlib import Path

import pytest

import bio_explorer as bx
from bio_explorer import BioFormatError
from bio_explorer.cli import main as cli_main


def _write(tmp_path: Path, name: str, data: bytes | str) -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def _error(path: Path, **kwargs) -> BioFormatError:
    with pytest.raises(BioFormatError) as info:
        bx.read(path, **kwargs)
    assert info.value.path == str(path)
    return info.value


def _pairs(c) -> list[tuple[str, str]]:
    return c.tokens.select("token", "tag").rows()


# ---------------------------------------------------------------------------- item 5: IOB1
def _iob1_eng_train(src: Path, dst: Path, stray: int = 2) -> Path:
    """The CoNLL-2003 training file as the original ``eng.train`` has it: IOB1 (``B-`` only
    where a span follows a span of the same type), plus ``stray`` ``B-MISC`` after ``O`` like the
    two the original file holds.  The shared copy is the IOB2 conversion of the same data."""
    out, prev, n_stray = [], None, 0
    for line in src.read_text(encoding="utf-8").split("\n"):
        parts = line.split(" ")
        if len(parts) < 4 or parts[0] == "-DOCSTART-":
            prev = None
            out.append(line)
            continue
        tag = parts[-1]
        if tag.startswith("B-") and not (prev and prev != "O" and prev[2:] == tag[2:]):
            tag = "I-" + tag[2:]
            if tag == "I-MISC" and prev == "O" and n_stray < stray and len(out) > 50_000:
                tag, n_stray = "B-MISC", n_stray + 1
        prev = parts[-1]
        out.append(" ".join([*parts[:-1], tag]))
    dst.write_text("\n".join(out), encoding="utf-8")
    return dst


@pytest.fixture(scope="module")
def eng_train(shared_corpora, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("eng")
    return _iob1_eng_train(shared_corpora / "conll2003" / "train.txt", folder / "eng.train")


def test_iob1_eng_train_is_detected_as_iob1(eng_train, shared_corpora):
    c = bx.read(eng_train)
    assert c.scheme == "IOB1"
    ev = c.scheme_evidence.row(0, named=True)
    assert ev["detected"] == "IOB1" and not ev["mixed"]
    assert ev["iob1_votes"] == 23_427 and ev["iob2_votes"] == 2
    assert ev["confidence"] > 0.999
    s = c.summary(anomalies=False)
    assert s["scheme"] == "IOB1"
    assert s["invalid_transitions"] == 2  # the two stray B-MISC, not 23,427
    assert 0.999 < s["scheme_confidence"] <= 1.0
    # the same spans as the IOB2 conversion of the same data
    iob2 = bx.read(shared_corpora / "conll2003" / "train.txt")
    assert c.spans.equals(iob2.spans)


def test_iob1_validate_prints_only_the_stray_tags(eng_train, capsys):
    assert cli_main(["validate", str(eng_train)]) == 1
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 2
    assert all("invalid transition O -> B-MISC (IOB1)" in line for line in out)


def test_relabel_in_iob1_file_writes_iob1(eng_train, tmp_path):
    c = bx.read(eng_train)
    sp = c.spans.filter(c.spans["label"] == "LOC").row(0, named=True)
    c.relabel(sp["sentence"], sp["start"], sp["end"], "PER")
    out = tmp_path / "eng.out"
    c.write(out)
    before = eng_train.read_text(encoding="utf-8").split("\n")
    after = out.read_text(encoding="utf-8").split("\n")
    changed = [i for i, (a, b) in enumerate(zip(before, after, strict=True)) if a != b]
    assert changed  # the span's lines changed, and only their tag
    for i in changed:
        assert after[i].rsplit(" ", 1)[0] == before[i].rsplit(" ", 1)[0]
        assert after[i].endswith(" I-PER"), after[i]  # IOB1: no B- after O
    assert bx.read(out).scheme == "IOB1"


def test_iob2_files_stay_iob2_with_a_few_orphan_i(shared_corpora):
    c = bx.read(shared_corpora / "stackoverflow_ner" / "train.txt")
    ev = c.scheme_evidence.row(0, named=True)
    assert c.scheme == "IOB2" and ev["iob1_votes"] == 7 and 0.999 < ev["confidence"] < 1.0
    c = bx.read(shared_corpora / "wikigold" / "wikigold.conll.txt")
    assert c.scheme == "IOB1" and c.scheme_evidence["iob2_votes"][0] == 0


def _mixed_file(tmp_path: Path) -> Path:
    rows = []
    for i in range(60):  # half the spans open with B-, half with I-
        rows.append(f"w{i}\t{'B' if i % 2 else 'I'}-PER\nx\tI-PER\ny\tO\n\n")
    return _write(tmp_path, "mixed.tsv", "".join(rows))


def test_mixed_file_is_reported_as_mixed(tmp_path):
    path = _mixed_file(tmp_path)
    with pytest.warns(UserWarning, match="mixes IOB1 and IOB2"):
        c = bx.read(path)
    ev = c.scheme_evidence.row(0, named=True)
    assert ev["mixed"] and ev["iob1_votes"] == 30 and ev["iob2_votes"] == 30
    assert ev["confidence"] == 0.5
    assert c.summary(anomalies=False)["scheme_confidence"] == 0.5
    rows = c.problems.filter(c.problems["kind"] == "mixed_scheme")
    assert rows.height == 1 and rows["line"][0] == 1  # the first span opened with I-


def test_forced_scheme_is_not_reported_as_mixed(tmp_path):
    path = _mixed_file(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        c = bx.read(path, scheme="IOB2")
    assert c.problems.height == 0 and c.scheme == "IOB2"


# ---------------------------------------------------------------------------- item 6
def test_integer_tag_column_is_refused(tmp_path):
    path = _write(tmp_path, "ids.tsv", "EU\t3\nrejects\t0\nGerman\t7\n\nPeter\t1\n")
    err = _error(path)
    assert err.line == 1 and "integers" in err.reason and "column 1" in err.reason


def test_cr_only_line_ends_read_every_token_and_round_trip(tmp_path):
    data = b"EU\tB-ORG\rrejects\tO\rGerman\tB-MISC\r\rPeter\tB-PER\rBlackburn\tI-PER\r"
    path = _write(tmp_path, "mac.tsv", data)
    c = bx.read(path)
    assert _pairs(c) == [("EU", "B-ORG"), ("rejects", "O"), ("German", "B-MISC"),
                         ("Peter", "B-PER"), ("Blackburn", "I-PER")]
    assert len(c) == 2 and c.tokens["line"].to_list() == [1, 2, 3, 5, 6]
    c.write(tmp_path / "same.tsv")
    assert (tmp_path / "same.tsv").read_bytes() == data
    c.relabel(0, 2, 3, "LOC")
    c.write(tmp_path / "edited.tsv")
    assert (tmp_path / "edited.tsv").read_bytes() == data.replace(b"B-MISC", b"B-LOC")


@pytest.mark.parametrize("lead", [" ", "\t"])
def test_leading_separator_on_every_line(tmp_path, lead):
    sep = lead
    text = "".join(f"{lead}{t}{sep}{g}\n" if t else "\n" for t, g in
                   [("EU", "B-ORG"), ("rejects", "O"), ("", ""), ("Peter", "B-PER"),
                    ("Blackburn", "I-PER")])
    path = _write(tmp_path, "lead.txt", text)
    c = bx.read(path)
    assert _pairs(c) == [("EU", "B-ORG"), ("rejects", "O"), ("Peter", "B-PER"),
                         ("Blackburn", "I-PER")]
    c.relabel(1, 0, 2, "LOC")
    c.write(tmp_path / "out.txt")
    assert (tmp_path / "out.txt").read_text() == text.replace("PER", "LOC")


def test_hash_token_line_with_broken_tag_is_not_a_comment(tmp_path):
    path = _write(tmp_path, "hash.tsv", "EU\tB-ORG\n#\tB-\nrejects\tO\n")
    err = _error(path)
    assert err.line == 2 and "'B-'" in err.reason
    # a real comment and a '#' token with a good tag are unchanged
    path = _write(tmp_path, "ok.tsv", "# a comment\nEU\tB-ORG\n#\tB-ORG\nrejects\tO\n")
    assert _pairs(bx.read(path)) == [("EU", "B-ORG"), ("#", "B-ORG"), ("rejects", "O")]


@pytest.mark.parametrize("sep", [" ", "\t"])
def test_conll_file_without_entities_keeps_the_ner_column(tmp_path, sep):
    rows = [("EU", "NNP", "B-NP"), ("rejects", "VBZ", "B-VP"), ("German", "JJ", "B-NP"),
            ("call", "NN", "I-NP")]
    path = _write(tmp_path, "noent.txt", "".join(sep.join([*r, "O"]) + "\n" for r in rows))
    c = bx.read(path)
    assert c.tokens["tag"].to_list() == ["O"] * 4 and c.spans.height == 0
    assert c.tokens["token"].to_list() == ["EU", "rejects", "German", "call"]


def test_chunk_column_is_still_not_taken_when_entities_exist(shared_corpora):
    c = bx.read(shared_corpora / "conll2003" / "valid.txt")
    assert set(c.labels()) == {"LOC", "MISC", "ORG", "PER"}


_CONLLU_WORD = "{i}\t{f}\t{f}\tX\t_\t_\t0\troot\t_\tname={t}\n"


def test_conllu_backwards_range_is_refused(tmp_path):
    body = (_CONLLU_WORD.format(i=1, f="A", t="B-PER") + "3-2\tBC\t_\t_\t_\t_\t_\t_\t_\t_\n"
            + _CONLLU_WORD.format(i=2, f="B", t="O") + _CONLLU_WORD.format(i=3, f="C", t="O"))
    path = _write(tmp_path, "range.conllu", body + "\n")
    err = _error(path)
    assert err.line == 2 and "'3-2'" in err.reason
    c = bx.read(path, errors="collect")
    assert c.problems["line"].to_list() == [2]


def test_conllu_bad_word_id_is_named(tmp_path):
    body = "".join(_CONLLU_WORD.format(i=i, f="w", t="O") for i in (1, 2, 3)) \
        + _CONLLU_WORD.format(i="x", f="w", t="O")
    path = _write(tmp_path, "id.conllu", body + "\n")
    err = _error(path)
    assert err.line == 4 and "word id 'x'" in err.reason
    assert "found 10" not in err.reason


# ---------------------------------------------------------------------------- item 8
@pytest.mark.parametrize("tag", ["B-O", "I-O"])
def test_entity_type_o_is_refused(tmp_path, tag):
    path = _write(tmp_path, "o.tsv", f"EU\tB-ORG\nrejects\tO\nxyz\t{tag}\n")
    err = _error(path)
    assert err.line == 3 and f"'{tag}'" in err.reason and "type 'O'" in err.reason


def test_entity_type_o_collected(tmp_path):
    path = _write(tmp_path, "o.tsv", "EU\tB-ORG\nrejects\tO\nxyz\tI-O\n")
    c = bx.read(path, errors="collect")
    assert c.problems["line"].to_list() == [3]
    assert "O" not in c.labels()
    c.summary()  # every analysis runs


# ---------------------------------------------------------------------------- item 10
def test_directory_is_a_clear_error(tmp_path):
    with pytest.raises(IsADirectoryError, match="is a directory; pass the corpus files"):
        bx.read(tmp_path)


@pytest.mark.parametrize("command", ["stats", "validate"])
def test_cli_on_a_directory_exits_2_without_traceback(tmp_path, command):
    env = {**os.environ, "PYTHONPATH": str(Path(bx.__file__).parents[1])}
    proc = subprocess.run([sys.executable, "-m", "bio_explorer", command, str(tmp_path)],
                          capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 2
    assert "is a directory" in proc.stderr and "Traceback" not in proc.stderr


def test_glob_skips_directories(tmp_path):
    (tmp_path / "sub.tsv").mkdir()
    _write(tmp_path, "a.tsv", "EU\tB-ORG\n")
    assert bx.read(str(tmp_path / "*.tsv")).n_tokens == 1


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pipe.tsv"
    os.mkfifo(fifo)
    outcome: list = []

    def read() -> None:
        try:
            bx.read(fifo)
        except OSError as e:
            outcome.append(e)

    worker = threading.Thread(target=read, daemon=True)
    worker.start()
    worker.join(60)
    if worker.is_alive():  # unblock the reader so the test process can finish
        with open(fifo, "wb"):
            pass
        pytest.fail("bx.read blocked on a FIFO")
    assert outcome and "not a regular file" in str(outcome[0])
    assert cli_main(["stats", str(fifo)]) == 2


@pytest.mark.parametrize("token_col", [5, -1, "1", 1.0])
def test_bad_token_col_is_a_clear_error(tmp_path, token_col):
    path = _write(tmp_path, "a.tsv", "EU\tB-ORG\nrejects\tO\n")
    with pytest.raises(ValueError, match="token_col") as info:
        bx.read(path, token_col=token_col)
    if token_col == 5:
        assert isinstance(info.value, BioFormatError) and info.value.line == 1
        assert "2 columns" in str(info.value)


def test_token_col_equal_to_tag_col(tmp_path):
    path = _write(tmp_path, "a.tsv", "EU\tB-ORG\nrejects\tO\n")
    with pytest.raises(ValueError, match="must differ"):
        bx.read(path, token_col=1, tag_col=1)
    with pytest.raises(BioFormatError, match="token_col=1 is the tag column"):
        bx.read(path, token_col=1)


@pytest.mark.parametrize("codec, advice", [("utf-16-le", "utf-16-le"), ("utf-16-be", "utf-16-be"),
                                            ("utf-16", "utf-16")])
def test_utf16_is_explained(tmp_path, codec, advice):
    text = "EU\tB-ORG\nrejects\tO\n\nPeter\tB-PER\n"
    path = _write(tmp_path, "u16.tsv", text.encode(codec))
    err = _error(path)
    assert err.line == 1 and f"encoding='{advice}'" in err.reason
    assert _pairs(bx.read(path, encoding=codec)) == [("EU", "B-ORG"), ("rejects", "O"),
                                                     ("Peter", "B-PER")]


def test_stray_nul_byte_names_its_line(tmp_path):
    path = _write(tmp_path, "nul.tsv", b"EU\tB-ORG\nrej\x00ects\tO\n")
    err = _error(path)
    assert err.line == 2 and "NUL byte" in err.reason


@pytest.mark.parametrize("sep", ["", "ab", "\n"])
def test_bad_sep_is_a_clear_error(tmp_path, sep):
    path = _write(tmp_path, "a.tsv", "EU\tB-ORG\n")
    with pytest.raises(ValueError, match=r"sep=.*expected 'auto'"):
        bx.read(path, sep=sep)


# ---------------------------------------------------------------------------- issue 15 item 10
@pytest.mark.parametrize("name", ["iob1", "Iob1", " IOB1 "])
def test_scheme_names_are_case_insensitive(tmp_path, name):
    path = _write(tmp_path, "a.tsv", "EU\tI-ORG\nrejects\tO\n")
    c = bx.read(path, scheme=name)
    assert c.scheme == "IOB1"
    c.write(tmp_path / "b.tsv", scheme="bioes")
    assert (tmp_path / "b.tsv").read_text() == "EU\tS-ORG\nrejects\tO\n"
    assert cli_main(["stats", str(path), "--scheme-in", name.strip()]) == 0
