"""Two writers on one file (issue 11, item 4): no save silently overwrites another one.

* two processes run read-edit-save loops on one file: every save that returned is in the final
  file (the other process's save got ``FileExistsError`` and re-read instead of overwriting);
* a replacement with the same size and a restored mtime is noticed (content hash);
* a second process opening the same journal gets a clear error.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import polars as pl
import pytest

import bio_explorer as bx
from bio_explorer.errors import EditError

N_SENT = 120

_LOOP = textwrap.dedent("""
    import json, sys, time
    import bio_explorer as bx
    path, k, n, start_at = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
    while time.time() < start_at:  # both processes start their loops together
        time.sleep(0.001)
    saved, conflicts, other = [], 0, []
    for i in range(n):
        c = bx.read(path)
        s = 2 * i + k
        c.add_span(s, 0, 1, f"P{k}")
        try:
            c.write(backup=False)
            saved.append(s)
        except FileExistsError:
            conflicts += 1
        except Exception as e:
            other.append(repr(e))
    print(json.dumps({"saved": saved, "conflicts": conflicts, "other": other}))
""")


def _env() -> dict:
    return {**os.environ, "PYTHONPATH": str(Path(bx.__file__).resolve().parents[1])}


def test_two_processes_saving_in_a_loop_lose_nothing(tmp_path):
    path = tmp_path / "two.bio"
    path.write_text("".join(f"w{i}\tO\nx\tO\n\n" for i in range(N_SENT)), encoding="utf-8")
    n = N_SENT // 2 - 5
    start_at = time.time() + 3.0
    procs = [subprocess.Popen([sys.executable, "-c", _LOOP, str(path), str(k), str(n),
                               str(start_at)], env=_env(), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for k in (0, 1)]
    outs = []
    for p in procs:
        out, err = p.communicate(timeout=600)
        assert p.returncode == 0, err
        outs.append(json.loads(out.strip().splitlines()[-1]))
    final = bx.read(path).tokens.filter(pl.col("position") == 0)
    tags = final["tag"].cast(pl.String).to_list()
    lost = [(k, s) for k, o in enumerate(outs) for s in o["saved"] if tags[s] != f"B-P{k}"]
    assert lost == [], f"saves overwritten by the other process: {lost} ({outs})"
    assert all(not o["other"] for o in outs), outs
    assert all(o["saved"] for o in outs)
    # every tag in the file comes from a save that returned
    written = {s for s, t in enumerate(tags) if t != "O"}
    assert written == {s for o in outs for s in o["saved"]}


def test_same_size_replacement_with_restored_mtime_is_noticed(tmp_path):
    path = tmp_path / "f.bio"
    path.write_text("a\tB-X\nb\tO\n", encoding="utf-8")
    c = bx.read(path)
    c.relabel(0, 0, 1, "Y")
    st = os.stat(path)
    other = tmp_path / "other.bio"
    other.write_text("a\tB-Z\nb\tO\n", encoding="utf-8")  # same size, other content
    os.utime(other, ns=(st.st_atime_ns, st.st_mtime_ns))
    os.replace(other, path)
    with pytest.raises(FileExistsError, match="changed on disk"):
        c.write()
    assert path.read_text(encoding="utf-8") == "a\tB-Z\nb\tO\n"
    c.write(force=True)
    assert path.read_text(encoding="utf-8") == "a\tB-Y\nb\tO\n"


_HOLDER = textwrap.dedent("""
    import sys, time
    import bio_explorer as bx
    c = bx.read(sys.argv[1], journal=True)
    c.relabel(0, 0, 1, "Held")
    print("ready", flush=True)
    time.sleep(120)
""")


def test_second_session_on_one_journal_is_refused(tmp_path):
    path = tmp_path / "f.bio"
    path.write_text("a\tB-X\nb\tO\n", encoding="utf-8")
    holder = subprocess.Popen([sys.executable, "-c", _HOLDER, str(path)], env=_env(),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready", holder.stderr.read()
        with pytest.raises(EditError, match=r"journal of another bio_explorer session \(process "
                                            rf"{holder.pid}\)"):
            bx.read(path, journal=True)
    finally:
        holder.kill()
        holder.wait()
    # the holder died: its journal is recovered by the next session
    back = bx.read(path, journal=True)
    assert back.tokens["tag"].cast(pl.String).to_list()[0] == "B-Held"


def test_a_later_corpus_of_this_process_takes_the_journal_over(tmp_path):
    path = tmp_path / "f.bio"
    path.write_text("a\tB-X\nb\tO\n", encoding="utf-8")
    j = tmp_path / "j.jsonl"
    first = bx.read(path, journal=j)
    first.relabel(0, 0, 1, "Y")
    second = bx.read(path, journal=j)  # replays first's edit and takes the journal
    with pytest.raises(EditError, match="now used by another corpus of this process"):
        first.relabel(0, 0, 1, "Z")
    assert first.tokens["tag"].cast(pl.String).to_list()[0] == "B-Y"  # nothing changed
    second.add_span(0, 1, 2, "W")
    back = bx.read(path, journal=j)
    assert back.tokens["tag"].cast(pl.String).to_list() == ["B-Y", "B-W"]


_LOCKER = textwrap.dedent("""
    import sys, time
    from bio_explorer.locks import file_lock
    with file_lock(sys.argv[1]):
        print("held", flush=True)
        time.sleep(1.0)
        released = time.time()
    print(released, flush=True)
""")


def test_write_waits_for_the_lock_of_another_save(tmp_path):
    path = tmp_path / "f.bio"
    path.write_text("a\tB-X\nb\tO\n", encoding="utf-8")
    c = bx.read(path)
    c.relabel(0, 0, 1, "Y")
    locker = subprocess.Popen([sys.executable, "-c", _LOCKER, str(path)], env=_env(),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert locker.stdout.readline().strip() == "held", locker.stderr.read()
        c.write()
        done = time.time()
        released = float(locker.stdout.readline())
    finally:
        locker.wait(timeout=60)
    assert done >= released  # the save waited for the other one to finish its check and rename
    assert bx.read(path).labels() == ["Y"]
