"""The bio-explorer command line, through main([...]) and `python -m bio_explorer`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

import bio_explorer as bx
from bio_explorer.cli import invalid_transition_rows, main

ROOT = Path(__file__).resolve().parents[1]


def _invalid_i(path: Path, tag_col: int = 1) -> list[int]:
    """Lines of IOB2 I-X after O / sentence start / another type, read without bio_explorer."""
    out, prev = [], "O"
    for number, line in enumerate(path.read_text(encoding="utf-8").split("\n"), start=1):
        if not line.strip():
            prev = "O"
            continue
        tag = line.split("\t")[tag_col]
        if tag.startswith("I-") and (prev == "O" or prev[2:] != tag[2:]):
            out.append(number)
        prev = tag
    return out


def test_stats_text(shared_corpora, capsys):
    path = shared_corpora / "stackoverflow_ner" / "test.txt"
    assert main(["stats", str(path)]) == 0
    out = capsys.readouterr().out
    c = bx.read(path)
    assert f"{c.n_tokens:,}" in out and f"{len(c):,}" in out
    assert "IOB2" in out and "Code_Block" in out
    assert "invalid transitions" in out


def test_stats_json_counts(shared_corpora, capsys):
    path = shared_corpora / "wikigold" / "wikigold.conll.txt"
    assert main(["stats", "--json", str(path)]) == 0
    info = json.loads(capsys.readouterr().out.strip())
    assert info["tokens"] == 39_007 and info["sentences"] == 1_696  # README
    assert info["scheme"] == "IOB1"
    assert info["docs"] == 145
    assert sum(info["spans_per_label"].values()) == info["spans"]
    # independent span count: an IOB1 span starts at B-X, or I-X not continuing the same type
    n, prev = 0, "O"
    for line in path.read_text(encoding="utf-8").split("\n"):
        if not line.strip() or line.startswith("-DOCSTART-"):
            prev = "O"
            continue
        tag = line.split(" ")[-1]
        if tag.startswith("B-") or (tag.startswith("I-") and prev[2:] != tag[2:]):
            n += 1
        prev = tag
    assert info["spans"] == n


@pytest.mark.parametrize("name,count", [("train.txt", 7), ("dev.txt", 3), ("test.txt", 1)])
def test_stats_invalid_transitions(shared_corpora, capsys, name, count):
    path = shared_corpora / "stackoverflow_ner" / name
    assert main(["stats", "--json", str(path)]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["invalid_transitions"] == count == len(_invalid_i(path))


def test_validate_lists_file_and_line(shared_corpora, capsys):
    path = shared_corpora / "stackoverflow_ner" / "train.txt"
    assert main(["validate", str(path)]) == 1
    captured = capsys.readouterr()
    listed = [ln for ln in captured.out.splitlines() if ln]
    assert [int(ln.split(":")[1]) for ln in listed] == _invalid_i(path)
    assert all(ln.startswith(f"{path}:") and "invalid transition O -> I-" in ln for ln in listed)
    assert "7 problem(s)" in captured.err


def test_validate_clean_files_exit_0(shared_corpora, capsys):
    assert main(["validate", str(shared_corpora / "gum" / "*.conll")]) == 0
    assert "2 file(s) OK" in capsys.readouterr().err


def test_validate_format_problems(tmp_path, capsys):
    bad = tmp_path / "bad.tsv"
    bad.write_text("a\tB-X\nb\tI-X\textra\nc\tQ-X\n\nd\tI-Y\n", encoding="utf-8")
    notags = tmp_path / "notags.txt"
    notags.write_text("a\nb\n", encoding="utf-8")
    assert main(["validate", str(bad), str(notags)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(f"{bad}:2: expected 2")
    assert lines[1].startswith(f"{bad}:3: unknown tag 'Q-X'")
    assert lines[2] == f"{bad}:5: invalid transition <s> -> I-Y (IOB2)"
    assert lines[3].startswith(f"{notags}:1: no tag column")


def test_validate_bioes_sentence_end(tmp_path, capsys):
    path = tmp_path / "b.bmes"
    path.write_text("a S-X\nb B-X\nc E-X\n\nd B-Y\ne I-Y\n", encoding="utf-8")
    assert main(["validate", str(path)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out == [f"{path}:6: invalid transition I-Y -> </s> (BIOES)"]


def test_invalid_transition_rows(shared_corpora):
    c = bx.read(shared_corpora / "stackoverflow_ner" / "dev.txt")
    rows = invalid_transition_rows(c)
    assert rows.columns == ["source", "line", "sentence", "position", "from_tag", "to_tag"]
    assert rows["line"].to_list() == _invalid_i(shared_corpora / "stackoverflow_ner" / "dev.txt")
    assert (rows["from_tag"] == "O").all()


def test_convert(tmp_path, shared_corpora, capsys):
    src = shared_corpora / "wikigold" / "wikigold.conll.txt"
    out = tmp_path / "wikigold.bioes"
    assert main(["convert", str(src), str(out), "--scheme", "BIOES"]) == 0
    assert "IOB1" in capsys.readouterr().out
    c, back = bx.read(src), bx.read(out)
    assert back.scheme == "BIOES"
    assert back.spans.select("sentence", "start", "end", "label").equals(
        c.spans.select("sentence", "start", "end", "label"))
    assert back.tokens["token"].equals(c.tokens["token"])


def test_convert_errors(tmp_path, capsys):
    assert main(["convert", str(tmp_path / "missing.txt"), str(tmp_path / "o"), "--scheme",
                 "BIOES"]) == 2
    assert "missing.txt" in capsys.readouterr().err
    notags = tmp_path / "n.txt"
    notags.write_text("a\n", encoding="utf-8")
    assert main(["convert", str(notags), str(tmp_path / "o"), "--scheme", "IOB2"]) == 1
    assert f"{notags}:1:" in capsys.readouterr().err
    with pytest.raises(SystemExit) as info:
        main(["convert", str(notags), str(tmp_path / "o"), "--scheme", "NOPE"])
    assert info.value.code == 2


def test_reader_options_pass_through(shared_corpora, capsys):
    path = shared_corpora / "wnut17" / "emerging.test.conll"
    assert main(["stats", str(path)]) == 1
    assert "multi_tag" in capsys.readouterr().err
    assert main(["stats", "--json", "--multi-tag", "first", str(path)]) == 0
    assert json.loads(capsys.readouterr().out)["tokens"] == bx.read(
        path, multi_tag="first").n_tokens
    germ = shared_corpora / "germeval2014" / "NER-de-dev.tsv"
    assert main(["stats", "--json", "--tag-col", "3", str(germ)]) == 0
    nested = json.loads(capsys.readouterr().out)
    assert nested["spans"] == bx.read(germ, tag_col=3).spans.height


def test_python_dash_m(shared_corpora, tmp_path):
    path = shared_corpora / "seed" / "pytorch_wiki.bio"
    env_cmd = [sys.executable, "-m", "bio_explorer"]
    done = subprocess.run([*env_cmd, "stats", "--json", str(path)], capture_output=True,
                          text=True, cwd=ROOT, check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["tokens"] == 406
    bad = tmp_path / "bad.tsv"
    bad.write_text("a\tB-X\nb\tO\nc\tI-X\n", encoding="utf-8")
    done = subprocess.run([*env_cmd, "validate", str(bad)], capture_output=True, text=True,
                          cwd=ROOT, check=False)
    assert done.returncode == 1
    assert done.stdout.strip() == f"{bad}:3: invalid transition O -> I-X (IOB2)"
    done = subprocess.run([*env_cmd, "--help"], capture_output=True, text=True, cwd=ROOT,
                          check=False)
    assert done.returncode == 0 and "validate" in done.stdout


def test_stats_counts_match_the_corpus(shared_corpora, capsys):
    path = shared_corpora / "ncrfpp_bioes" / "dev.bmes"
    assert main(["stats", "--json", str(path)]) == 0
    info = json.loads(capsys.readouterr().out)
    c = bx.read(path)
    per_label = dict(c.spans.group_by("label").len().iter_rows())
    assert info["spans_per_label"] == per_label
    assert info["scheme"] == "BIOES"
    assert info["invalid_transitions"] == 0
    assert isinstance(c.tokens, pl.DataFrame)
