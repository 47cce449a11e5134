"""Recovery after a kill anywhere (issue 11, items 1, 2): the journal knows which save it follows.

A "kill" here is simulated in-process: an exception the code cannot catch (``Killed``, a
BaseException) is raised at a chosen point, the corpus object is abandoned, and the file is read
again with ``journal=True`` (which takes the journal over).  ``benchmarks/bench_kill.py`` does the
same with real SIGKILLs of a child process.
"""

from __future__ import annotations

import json
import random
import shutil

import polars as pl
import pytest
from bx_sessions import apply_op, choose_op, tag_hash
from bx_testdata import tags_of
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import bio_explorer as bx
import bio_explorer.journal as journal_mod
import bio_explorer.saving as saving_mod
from bio_explorer.errors import EditError
from bio_explorer.journal import JOURNAL_SUFFIX


class Killed(BaseException):
    """Stands for SIGKILL: nothing after the raise point runs."""


def test_save_then_undo_twice_recovers_both_undos(seed_copy):
    """Item 1: edit A, edit B, save, undo, undo, kill → both edits undone after recovery."""
    original = tags_of(bx.read(seed_copy))
    c = bx.read(seed_copy, journal=True)
    c.relabel(0, 0, 1, "Library")  # A
    c.add_span(1, 0, 2, "Thing")  # B
    c.write()
    assert c.undo() and c.undo()
    assert tags_of(c) == original
    back = bx.read(seed_copy, journal=True)  # the kill: c is abandoned here
    assert tags_of(back) == original
    assert back.unsaved == 2
    # the undone steps kept their ids: redo brings A then B back, as in the live session
    assert back.redo()
    assert tags_of(back)[0] == "B-Library"
    assert back.redo() and not back.redo()
    assert back.unsaved == 0


def test_save_undo_redo_undo_keeps_ids(seed_copy):
    """An undone pre-save step that is redone and undone again is found by its own id."""
    c = bx.read(seed_copy, journal=True)
    c.relabel(0, 0, 1, "Library")
    c.write()
    c.undo()
    c.redo()
    c.undo()
    c.relabel(2, 0, 1, "Gamma") if c.spans.filter((pl.col("sentence") == 2)
                                                 & (pl.col("start") == 0)).height else None
    expected = tags_of(c)
    back = bx.read(seed_copy, journal=True)
    assert tags_of(back) == expected


def test_kill_between_rename_and_journal_reset(seed_copy, monkeypatch):
    """Item 2: the file already holds the edits; recovery replays nothing and does not fail."""
    c = bx.read(seed_copy, journal=True)
    c.relabel(0, 0, 1, "Library")
    c.add_span(1, 0, 2, "Thing")
    expected = tags_of(c)
    real = saving_mod.replace_into

    def rename_then_die(tmp, path):
        real(tmp, path)
        raise Killed

    monkeypatch.setattr(saving_mod, "replace_into", rename_then_die)
    with pytest.raises(Killed):
        c.write()
    monkeypatch.undo()
    assert tags_of(bx.read(seed_copy)) == expected  # the rename happened
    back = bx.read(seed_copy, journal=True)
    assert tags_of(back) == expected and back.unsaved == 0
    jpath = seed_copy.with_name(seed_copy.name + JOURNAL_SUFFIX)
    assert not jpath.exists()  # the interrupted reset was finished
    back.relabel(0, 0, 1, "Gamma")  # the session goes on journalling after the saved state
    assert tags_of(bx.read(seed_copy, journal=True))[0] == "B-Gamma"


def test_kill_between_checkpoint_and_rename(seed_copy, monkeypatch):
    """The save record is written but the rename never happened: every edit is replayed."""
    original = tags_of(bx.read(seed_copy))
    c = bx.read(seed_copy, journal=True)
    c.relabel(0, 0, 1, "Library")
    expected = tags_of(c)

    def die(tmp, path):
        raise Killed

    monkeypatch.setattr(saving_mod, "replace_into", die)
    with pytest.raises(Killed):
        c.write()
    monkeypatch.undo()
    assert tags_of(bx.read(seed_copy)) == original
    jpath = seed_copy.with_name(seed_copy.name + JOURNAL_SUFFIX)
    kinds = [json.loads(x)["kind"] for x in jpath.read_text().splitlines()]
    assert kinds == ["header", "edit", "save"]
    assert tags_of(bx.read(seed_copy, journal=True)) == expected


def test_journal_header_and_save_records_hold_hashes(seed_copy):
    import hashlib

    c = bx.read(seed_copy, journal=True)
    c.relabel(0, 0, 1, "Library")
    jpath = seed_copy.with_name(seed_copy.name + JOURNAL_SUFFIX)
    head = json.loads(jpath.read_text().splitlines()[0])
    assert head["files"][0]["sha256"] == hashlib.sha256(seed_copy.read_bytes()).hexdigest()


# ----------------------------------------------------------------------------- property test
_KILL_POINTS = ("between", "in_append", "before_rename", "after_rename")


def _arm(monkeypatch: pytest.MonkeyPatch, point: str) -> None:
    """Make the next journal append or save die at ``point``."""
    if point == "in_append":
        real_write_all = journal_mod.write_all

        def torn(fd, data):
            real_write_all(fd, data[: max(1, len(data) // 2)])
            raise Killed

        monkeypatch.setattr(journal_mod, "write_all", torn)
    elif point == "before_rename":
        def die(tmp, path):
            raise Killed

        monkeypatch.setattr(saving_mod, "replace_into", die)
    elif point == "after_rename":
        real = saving_mod.replace_into

        def rename_then_die(tmp, path):
            real(tmp, path)
            raise Killed

        monkeypatch.setattr(saving_mod, "replace_into", rename_then_die)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1), n_before=st.integers(0, 14),
       point=st.sampled_from(_KILL_POINTS))
def test_kill_anywhere_recovers_the_acknowledged_state(seed_copy, shared_corpora, seed,
                                                       n_before, point):
    """Random edit/save/undo/redo sessions, killed at a random operation and point, across
    several sessions on one file: the recovery is exactly the state the session acknowledged."""
    shutil.copyfile(shared_corpora / "seed" / "pytorch_wiki.bio", seed_copy)
    seed_copy.with_name(seed_copy.name + ".bak").unlink(missing_ok=True)
    jpath = seed_copy.with_name(seed_copy.name + JOURNAL_SUFFIX)
    jpath.unlink(missing_ok=True)
    rng = random.Random(seed)
    c = bx.read(seed_copy, journal=True)
    for _session in range(2):  # recover, go on, get killed again
        for _ in range(n_before):
            apply_op(c, choose_op(c, rng))
        acknowledged = tag_hash(c)
        op = ("save",) if point in ("before_rename", "after_rename") else choose_op(c, rng)
        with pytest.MonkeyPatch.context() as mp:
            _arm(mp, point)
            try:
                apply_op(c, op)
                acknowledged = tag_hash(c)  # it returned: the operation was acknowledged
            except Killed:
                pass
        c = bx.read(seed_copy, journal=True)
        assert tag_hash(c) == acknowledged, (seed, n_before, point, op)


def test_a_changed_file_is_refused_not_misapplied(seed_copy):
    c = bx.read(seed_copy, journal=True)
    c.relabel(0, 0, 1, "Library")
    seed_copy.write_bytes(seed_copy.read_bytes().replace(b"is\tO", b"is\tB-X", 1))
    with pytest.raises(EditError, match="changed outside this session"):
        bx.read(seed_copy, journal=True)


def test_kill_between_the_renames_of_two_files(tmp_path, monkeypatch):
    """A two-file corpus killed after the first file's rename: one file holds the save, the other
    does not; the recovery takes the first back in memory and replays everything."""
    a, b = tmp_path / "a.bio", tmp_path / "b.bio"
    a.write_text("x\tB-X\ny\tO\n\nz\tO\n", encoding="utf-8")
    b.write_text("u\tB-Y\nv\tO\n", encoding="utf-8")
    j = tmp_path / "j.jsonl"
    c = bx.read([a, b], journal=j)
    c.relabel(0, 0, 1, "Alpha")  # file a
    c.add_span(2, 1, 2, "Beta")  # file b
    c.add_span(1, 0, 1, "Gamma")  # file a
    c.undo()
    expected = tags_of(c)
    real, calls = saving_mod.replace_into, []

    def second_dies(tmp, path):
        if calls:
            raise Killed
        calls.append(path)
        real(tmp, path)

    monkeypatch.setattr(saving_mod, "replace_into", second_dies)
    with pytest.raises(Killed):
        c.write()
    monkeypatch.undo()
    assert "Alpha" in a.read_text() and "Beta" not in b.read_text()  # a mix on disk
    back = bx.read([a, b], journal=j)
    assert tags_of(back) == expected
    back.write()
    assert tags_of(bx.read([a, b])) == expected
    assert back.undo() and back.undo() and back.redo()  # the undo stack came back too


def test_review_decisions_survive_a_kill_after_the_rename(tmp_path, monkeypatch):
    """Review decisions outlive a save: a kill between the rename and the journal reset keeps
    them."""
    from test_review import suspects_frame

    from bio_explorer import review as rv

    path = bx.sample().state.files[0].path
    work = tmp_path / path.name
    shutil.copyfile(path, work)
    c = bx.read(work, journal=True)
    rv.set_suspects(c, suspects_frame())
    c.review(c.review_queue().row(0, named=True), "accept")
    expected = tags_of(c)
    real = saving_mod.replace_into

    def rename_then_die(tmp, p):
        real(tmp, p)
        raise Killed

    monkeypatch.setattr(saving_mod, "replace_into", rename_then_die)
    with pytest.raises(Killed):
        c.write()
    monkeypatch.undo()
    back = bx.read(work, journal=True)
    assert tags_of(back) == expected and back.unsaved == 0
    assert back.reviews["decision"].to_list() == ["accept"]
    assert bx.read(work, journal=True).reviews.height == 1  # and in the compacted journal
