"""A full disk (issue 11, item 3): no acknowledged edit lost, no torn line, no truncated .bak.

The disk is filled for real in a child process with ``RLIMIT_FSIZE`` (a write past the limit
stops short, then fails with EFBIG, as on a full disk), and simulated in-process by patching
``os.write``/``os.open`` for the journal only.
"""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from bx_testdata import tags_of

import bio_explorer as bx
from bio_explorer.errors import EditError
from bio_explorer.journal import JOURNAL_SUFFIX

ROOT = Path(__file__).resolve().parents[1]


def _journal_writes(monkeypatch, fake) -> None:
    """Route os.write calls that write journal records through ``fake(fd, data)``."""
    real = os.write

    def write(fd, data):
        if b'"kind":"edit"' in bytes(data) or b'"kind":"header"' in bytes(data):
            return fake(real, fd, data)
        return real(fd, data)

    monkeypatch.setattr(os, "write", write)


def test_short_writes_are_completed(seed_copy, monkeypatch):
    _journal_writes(monkeypatch, lambda real, fd, data: real(fd, bytes(data)[:7]))
    c = bx.read(seed_copy, journal=True)
    c.relabel(0, 0, 1, "Library")
    c.add_span(1, 0, 2, "Thing")
    monkeypatch.undo()
    expected = tags_of(c)
    assert tags_of(bx.read(seed_copy, journal=True)) == expected


def test_enospc_mid_append_raises_edit_error_and_changes_nothing(seed_copy, monkeypatch):
    c = bx.read(seed_copy, journal=True)
    c.relabel(0, 0, 1, "Library")
    jpath = seed_copy.with_name(seed_copy.name + JOURNAL_SUFFIX)
    before_bytes, before_tags = jpath.read_bytes(), tags_of(c)

    def full(real, fd, data):
        real(fd, bytes(data)[: len(data) // 2])
        raise OSError(errno.ENOSPC, "No space left on device")

    _journal_writes(monkeypatch, full)
    with pytest.raises(EditError, match=r"disk is full.*not applied"):
        c.add_span(1, 0, 2, "Thing")
    monkeypatch.undo()
    assert tags_of(c) == before_tags and c.unsaved == 1  # memory and journal agree
    assert jpath.read_bytes() == before_bytes  # no torn line left behind
    c.add_span(1, 0, 2, "Thing")  # space is back: the session goes on
    expected = tags_of(c)
    assert tags_of(bx.read(seed_copy, journal=True)) == expected


def test_no_space_at_all_raises_edit_error(seed_copy, monkeypatch):
    c = bx.read(seed_copy, journal=True)
    real_open = os.open

    def no_space(path, *args, **kwargs):
        if str(path).endswith(JOURNAL_SUFFIX):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", no_space)
    with pytest.raises(EditError, match="disk is full"):
        c.relabel(0, 0, 1, "Library")
    monkeypatch.undo()
    assert c.unsaved == 0 and tags_of(c) == tags_of(bx.read(seed_copy))


_CHILD = textwrap.dedent("""
    import json, os, resource, signal, sys
    import polars as pl
    import bio_explorer as bx
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # past the limit a write fails with EFBIG
    path, jpath = sys.argv[1], sys.argv[2]
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    out = {}
    c = bx.read(path, journal=True)
    c.relabel(0, 0, 1, "Library")
    resource.setrlimit(resource.RLIMIT_FSIZE, (os.path.getsize(jpath) + 40, hard))
    try:
        c.add_span(1, 0, 2, "Thing")  # the journal line does not fit
        out["edit"] = "ok"
    except Exception as e:
        out["edit"] = type(e).__name__
    resource.setrlimit(resource.RLIMIT_FSIZE, (2000, hard))  # the file and its .bak do not fit
    try:
        c.write()
        out["save"] = "ok"
    except Exception as e:
        out["save"] = type(e).__name__
    resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
    out["tags"] = c.tokens["tag"].cast(pl.String).to_list()
    out["unsaved"] = c.unsaved
    print(json.dumps(out))
""")


def test_real_full_disk_in_a_child(seed_copy):
    """RLIMIT_FSIZE: the journal append and the save hit the limit half-way."""
    original = seed_copy.read_bytes()
    jpath = seed_copy.with_name(seed_copy.name + JOURNAL_SUFFIX)
    env = {**os.environ, "PYTHONPATH": str(Path(bx.__file__).resolve().parents[1])}
    run = subprocess.run([sys.executable, "-c", _CHILD, str(seed_copy), str(jpath)], env=env,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout.strip().splitlines()[-1])
    assert out["edit"] == "EditError"  # the documented error, the edit not applied
    assert out["save"] != "ok"
    assert seed_copy.read_bytes() == original  # the failed save left the file as it was
    bak = seed_copy.with_name(seed_copy.name + ".bak")
    assert not bak.exists() or bak.read_bytes() == original  # never a truncated .bak
    back = bx.read(seed_copy, journal=True)  # the acknowledged state is recovered exactly
    assert tags_of(back) == out["tags"] and back.unsaved == out["unsaved"] == 1
    back.write()  # with space again the save works and the .bak is the whole original
    assert bak.read_bytes() == original
