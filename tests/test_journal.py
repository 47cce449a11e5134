"""The crash-safe edit journal (issue 6): JSONL, fsync per operation, replay on read."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import polars as pl
import pytest
from bx_testdata import tags_of

import bio_explorer as bx
from bio_explorer.errors import EditError
from bio_explorer.journal import JOURNAL_SUFFIX

ROOT = Path(__file__).resolve().parents[1]


def journal_lines(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


def do_session(c: bx.Corpus) -> None:
    """The edits both the crashing child and the checking parent apply."""
    c.relabel(0, 0, 1, "Library")
    c.add_span(1, 0, 2, "Thing")
    c.relabel_all("PyTorch", "Framework", include_untagged=True).apply()
    c.delete_span(2, 0) if c.spans.filter((pl.col("sentence") == 2)
                                         & (pl.col("start") == 0)).height else None
    c.undo()
    c.repair("begin").apply()
    c.relabel_label("Algorithm", "Algo").apply()


def test_journal_lines_per_operation(seed_copy):
    c = bx.read(seed_copy, journal=True)
    jpath = seed_copy.with_name(seed_copy.name + JOURNAL_SUFFIX)
    assert not jpath.exists()  # created on the first edit only
    c.relabel(0, 0, 1, "Library")
    recs = journal_lines(jpath)
    assert recs[0]["kind"] == "header" and recs[0]["files"][0]["name"] == "pytorch_wiki.bio"
    assert recs[1]["kind"] == "edit" and recs[1]["op"] == "relabel"
    assert recs[1]["tokens"] == ["PyTorch"] and recs[1]["old"] == ["B-Algorithm"]
    assert recs[1]["new"] == ["B-Library"]
    c.undo()
    c.redo()
    assert [r["kind"] for r in journal_lines(jpath)] == ["header", "edit", "undo", "redo"]


def test_replay_restores_edits_and_undo_stack(seed_copy, tmp_path):
    j = tmp_path / "my.journal.jsonl"
    c = bx.read(seed_copy, journal=j)
    do_session(c)
    expected = tags_of(c)
    n_edits = c.unsaved
    again = bx.read(seed_copy, journal=j)
    assert tags_of(again) == expected
    assert again.unsaved == n_edits
    assert again.edits.drop("time").equals(c.edits.drop("time"))
    # the replayed undo stack works: undo everything → the file as read
    while again.undo():
        pass
    assert tags_of(again) == tags_of(bx.read(seed_copy))
    # and the journal keeps recording after a replay
    third = bx.read(seed_copy, journal=j)
    assert tags_of(third) == tags_of(bx.read(seed_copy))


def test_save_clears_journal(seed_copy):
    c = bx.read(seed_copy, journal=True)
    jpath = seed_copy.with_name(seed_copy.name + JOURNAL_SUFFIX)
    c.relabel(0, 0, 1, "Library")
    assert jpath.exists()
    c.write()
    assert not jpath.exists() and c.unsaved == 0
    c2 = bx.read(seed_copy)  # the file has the edit (a journalled re-read would take over c's)
    assert c2.tokens["tag"].cast(pl.String)[0] == "B-Library"
    # an undo after the save is journalled self-contained and replays onto the saved file
    c.undo()
    assert c.unsaved == 1
    c3 = bx.read(seed_copy, journal=True)
    assert c3.tokens["tag"].cast(pl.String)[0] == "B-Algorithm" and c3.unsaved == 1


def test_replay_refuses_a_changed_file(seed_copy, tmp_path):
    j = tmp_path / "j.jsonl"
    c = bx.read(seed_copy, journal=j)
    c.relabel(0, 0, 1, "Library")
    text = seed_copy.read_text(encoding="utf-8").replace("PyTorch\tB-Algorithm", "Torch\tO", 1)
    seed_copy.write_text(text, encoding="utf-8")
    with pytest.raises(EditError, match=r"pytorch_wiki.bio: the content on disk is neither the "
                       r"one the journal .*j.jsonl starts from nor one it saved"):
        bx.read(seed_copy, journal=j)


def test_torn_last_line_is_ignored(seed_copy, tmp_path):
    j = tmp_path / "j.jsonl"
    c = bx.read(seed_copy, journal=j)
    c.relabel(0, 0, 1, "Library")
    with open(j, "a", encoding="utf-8") as fh:
        fh.write('{"kind":"edit","id":2,"op":"relabel","rows":[5')  # crash mid-write
    again = bx.read(seed_copy, journal=j)
    assert again.unsaved == 1 and again.tokens["tag"].cast(pl.String)[0] == "B-Library"


def test_journal_true_needs_a_file():
    with pytest.raises(EditError, match="file-backed"):
        bx.read(pl.DataFrame({"tokens": [["a"]], "ner_tags": [["O"]]}), journal=True)


CHILD = textwrap.dedent("""
    import sys, time
    sys.path.insert(0, {root!r})
    import bio_explorer as bx
    sys.path.insert(0, {tests!r})
    from test_journal import do_session
    c = bx.read({corpus!r}, journal={journal!r})
    do_session(c)
    print("ready", flush=True)
    time.sleep(120)
""")


def test_sigkill_mid_session_loses_no_edit(tmp_path, shared_corpora):
    corpus = shared_corpora / "seed" / "pytorch_wiki.bio"  # read-only: the journal goes to tmp_path
    journal = tmp_path / "session.bio-journal.jsonl"
    script = tmp_path / "child.py"
    script.write_text(CHILD.format(root=str(ROOT), tests=str(ROOT / "tests"), corpus=str(corpus),
                                   journal=str(journal)), encoding="utf-8")
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    try:
        line = proc.stdout.readline()
        assert line.strip() == "ready", proc.stderr.read()
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    expected = bx.read(corpus)
    do_session(expected)
    recovered = bx.read(corpus, journal=journal)
    assert tags_of(recovered) == tags_of(expected)
    assert recovered.unsaved == expected.unsaved > 0
    assert tags_of(recovered) != tags_of(bx.read(corpus))
