"""Kill test (issue 11): random SIGKILLs of a process doing random edit/save/undo/redo.

A child process reads a copy of a corpus with ``journal=True`` (replaying what the previous child
left), then applies random operations (relabel, add_span, delete_span, undo, redo, save; see
``tests/bx_sessions.py``) as fast as it can, logging before each operation what it is going to
do and after it the SHA-256 of its tags (the state it acknowledged).  The parent kills it with
SIGKILL at a random moment — every other kill is aimed at a save, so that it lands inside
``write()`` — then recovers with ``bx.read(path, journal=True)`` and compares:

* the recovered tags must be the acknowledged state, or (when the kill hit an operation that had
  not returned) the state that operation would have produced — the parent computes it by
  applying the logged operation to its own copy of the corpus;
* **edits lost**: the recovery is an earlier acknowledged state of the round;
* **wrong recoveries**: any other state, or an error.

The next child goes on from the recovered file and journal, so later rounds recover after earlier
recoveries and saves.  Prints kills, kills inside ``write()``, edits lost, wrong recoveries (both
must be 0) and the median recovery time as a ratio of a plain ``bx.read`` of the same file (both
measured in every round).

Run: ``python benchmarks/bench_kill.py [--kills 60] [--corpus PATH] [--seed 1]``
(default corpus: ``../shared/corpora/conll2003/valid.txt``).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from bx_sessions import apply_op, tag_hash  # noqa: E402

import bio_explorer as bx  # noqa: E402

DEFAULT = ROOT.parent / "shared" / "corpora" / "conll2003" / "valid.txt"

CHILD = textwrap.dedent("""
    import json, random, sys
    sys.path[:0] = [sys.argv[4], sys.argv[5]]
    import bio_explorer as bx
    from bx_sessions import apply_op, choose_op, tag_hash
    path, log_path, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
    log = open(log_path, "a", buffering=1, encoding="utf-8")  # one write() per line
    c = bx.read(path, journal=True)
    log.write(json.dumps({"ev": "ready", "hash": tag_hash(c)}) + "\\n")
    rng = random.Random(seed)
    k = 0
    while True:
        op = choose_op(c, rng)
        log.write(json.dumps({"ev": "start", "k": k, "op": op}) + "\\n")
        try:
            apply_op(c, op)
            ev = "done"
        except (bx.EditError, FileExistsError) as e:
            ev = "fail"
        log.write(json.dumps({"ev": ev, "k": k, "hash": tag_hash(c)}) + "\\n")
        k += 1
""")


def _events(log: Path) -> list[dict]:
    out = []
    for line in log.read_text(encoding="utf-8").splitlines():
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            pass  # the kill cut the last log line
    return out


def _wait_for(log: Path, pred, timeout: float) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if log.exists() and any(pred(e) for e in _events(log)):
            return True
        time.sleep(0.005)
    return False


def _release(c: bx.Corpus) -> bx.Corpus:
    """Stop journalling ``c`` (the next child takes the journal); it becomes the shadow copy."""
    jr = c.state.journal
    if jr is not None and hasattr(jr, "release"):  # (older versions hold no lock)
        jr.release()
    c.state.journal = None
    return c


def run(kills: int, corpus: Path, seed: int) -> dict:
    rng = random.Random(seed)
    work = Path(tempfile.mkdtemp(prefix="bx-kill-"))
    path = work / corpus.name
    shutil.copyfile(corpus, path)
    env = {**os.environ, "BIO_EXPLORER_STATE_DIR": str(work / "state")}
    os.environ["BIO_EXPLORER_STATE_DIR"] = env["BIO_EXPLORER_STATE_DIR"]
    shadow = _release(bx.read(path, journal=True))
    stats = {"kills": 0, "in_write": 0, "edits_lost": 0, "wrong": 0, "ops": 0, "saves": 0,
             "temp_left": 0, "recover_s": [], "read_s": [], "errors": []}
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so that `finally` kills the child
    try:
        _rounds(kills, rng, work, path, env, shadow, stats)
    finally:
        if _CHILDREN and _CHILDREN[-1].poll() is None:
            _CHILDREN[-1].kill()
        shutil.rmtree(work, ignore_errors=True)
    return stats


_CHILDREN: list[subprocess.Popen] = []


def _rounds(kills: int, rng: random.Random, work: Path, path: Path, env: dict,
            shadow: bx.Corpus, stats: dict) -> None:
    for rnd in range(kills):
        log = work / f"round{rnd}.log"
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(path), str(log), str(rng.randrange(2**31)),
             str(ROOT), str(ROOT / "tests")], env=env, stderr=subprocess.PIPE)
        _CHILDREN.append(child)
        if not _wait_for(log, lambda e: e["ev"] == "ready", 120):
            raise RuntimeError(child.stderr.read().decode() if child.poll() is not None
                               else "child not ready")
        if rnd % 2:  # aim at a save: kill while write() runs
            n_saves = sum(1 for e in _events(log) if e.get("op") == ["save"])
            _wait_for(log, lambda e, n=n_saves: e.get("op") == ["save"] and e["k"] >= n, 60)
            time.sleep(rng.uniform(0, 0.03))
        else:
            time.sleep(rng.uniform(0.05, 1.5))
        child.send_signal(signal.SIGKILL)
        child.wait()
        stats["kills"] += 1
        events = _events(log)
        ready = next(e for e in events if e["ev"] == "ready")
        if ready["hash"] != tag_hash(shadow):
            stats["wrong"] += 1
            stats["errors"].append(f"round {rnd}: the child's replay differs from the parent's")
        # the states this round acknowledged, in order, and the operation the kill interrupted
        acked = [ready["hash"]]
        pending = None
        for e in events:
            if e["ev"] == "start":
                pending = e["op"]
            elif e["ev"] in ("done", "fail"):
                if e["ev"] == "done":
                    apply_op(shadow, tuple(pending), save=False)
                if tag_hash(shadow) != e["hash"]:  # the harness itself went wrong
                    raise RuntimeError(f"round {rnd}: op {e['k']} {pending} is not reproducible")
                acked.append(e["hash"])
                stats["ops"] += 1
                stats["saves"] += pending == ["save"] and e["ev"] == "done"
                pending = None
        allowed = {acked[-1]}
        if pending is not None:
            stats["in_write"] += pending == ["save"]
            try:
                apply_op(shadow, tuple(pending), save=False)
                allowed.add(tag_hash(shadow))
            except (bx.EditError, FileExistsError):
                pass
        t0 = time.perf_counter()
        try:
            rec = bx.read(path, journal=True)
        except Exception as exc:  # a recovery that needs a human is a wrong recovery
            stats["wrong"] += 1
            stats["errors"].append(f"round {rnd}: {type(exc).__name__}: {exc}")
            break
        stats["recover_s"].append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        bx.read(path)  # the baseline, measured in the same round
        stats["read_s"].append(time.perf_counter() - t0)
        got = tag_hash(rec)
        if got not in allowed:
            if got in acked:
                stats["edits_lost"] += len(acked) - 1 - acked.index(got)
            else:
                stats["wrong"] += 1
                stats["errors"].append(f"round {rnd}: recovered an unknown state "
                                       f"(interrupted: {pending})")
        stats["temp_left"] += len(list(work.glob(f".{path.name}.*.tmp")))
        for tmp in work.glob(f".{path.name}.*.tmp"):
            tmp.unlink()
        shadow = _release(rec)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kills", type=int, default=60)
    ap.add_argument("--corpus", type=Path, default=DEFAULT)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    s = run(args.kills, args.corpus, args.seed)
    rec = statistics.median(s["recover_s"]) if s["recover_s"] else float("nan")
    plain = statistics.median(s["read_s"]) if s["read_s"] else float("nan")
    print(f"corpus: {args.corpus}  (load {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    print(f"kills:                 {s['kills']}")
    print(f"kills inside write():  {s['in_write']}")
    print(f"operations acknowledged before the kills: {s['ops']} ({s['saves']} saves)")
    print(f"edits lost:            {s['edits_lost']}")
    print(f"wrong recoveries:      {s['wrong']}")
    print(f"temp files left by kills in write(): {s['temp_left']} (removed by the harness)")
    print(f"recovery (read + replay) median {rec * 1000:.0f} ms = {rec / plain:.2f} x a plain "
          f"bx.read of the same file ({plain * 1000:.0f} ms, median of the same rounds)")
    for err in s["errors"][:10]:
        print("  ", err)
    sys.exit(1 if s["edits_lost"] or s["wrong"] else 0)


if __name__ == "__main__":
    main()
