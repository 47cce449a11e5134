"""Measurements in fresh child processes, shared by ``bench_load.py``, ``bench_scale.py`` and
``bench_convert.py``.

A benchmark re-runs its own script with a hidden ``--child KIND ARGS...`` option; the child does
one measurement and prints its result as a JSON object on its last line of output, with its peak
RSS read by :func:`peak_rss_mb` (so peak RSS is per measurement).

Benchmarks import it::

    from _child import bench_parser, peak_rss_mb, print_result, run_child
    parser = bench_parser(__doc__, nargs="+")       # description + the hidden --child option
    ...
    if args.child:                                   # in the child
        print_result({"seconds": s, "rss_mb": peak_rss_mb()})
    res = run_child(__file__, "bx", str(path))       # in the parent: the child's dict
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

__all__ = ["bench_parser", "cpu_seconds", "peak_rss_mb", "print_result", "run_child",
           "work_folder"]


def bench_parser(doc: str, nargs: int | str, metavar: Sequence[str] | None = None,
                 ) -> argparse.ArgumentParser:
    """The command line of a benchmark: its docstring's first line and a hidden ``--child``.

    Parameters
    ----------
    doc : str
        The benchmark's module docstring (its first line describes the script in ``--help``).
    nargs : int or str
        ``nargs`` of ``--child`` (the kind of measurement and its arguments).
    metavar : sequence of str, optional
        Names of those arguments (with an ``int`` ``nargs``).

    Returns
    -------
    argparse.ArgumentParser
        The parser; the benchmark adds its own options.
    """
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--child", nargs=nargs, metavar=None if metavar is None else tuple(metavar),
                        help=argparse.SUPPRESS)
    return parser


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MB.

    On Linux it is ``VmHWM`` of ``/proc/self/status``: the peak of this program's own address
    space.  ``ru_maxrss`` survives ``exec``, so a child started by a large parent would report at
    least the parent's size at the fork (the pages it shared before ``exec``).
    """
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_seconds() -> float:
    """CPU time of this process so far (user + system, every thread), in seconds."""
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def print_result(result: Mapping) -> None:
    """Print a child's ``result`` as the JSON line :func:`run_child` reads."""
    print(json.dumps(result))


def run_child(script: str | os.PathLike, *args: str, cwd: str | os.PathLike | None = None,
              env: Mapping[str, str] | None = None) -> dict:
    """Run ``script --child ARGS...`` in a fresh interpreter and return its result.

    Parameters
    ----------
    script : path
        The benchmark script (``__file__``).
    *args : str
        What follows ``--child`` (options of the script may follow the child's arguments).
    cwd : path, optional
        Working folder of the child (default: this process's).
    env : mapping, optional
        Variables set for the child on top of this process's environment.

    Returns
    -------
    dict
        The JSON object on the child's last line of output.

    Raises
    ------
    subprocess.CalledProcessError
        When the child fails (its output and error output are on the exception).
    """
    done = subprocess.run([sys.executable, str(Path(script).resolve()), "--child", *args],
                          capture_output=True, text=True, check=True, cwd=cwd,
                          env=dict(os.environ, **(env or {})))
    return json.loads(done.stdout.strip().splitlines()[-1])


def work_folder(folder: Path | None, prefix: str) -> tuple[Path, Callable[[], None]]:
    """Where a benchmark builds its files: ``folder`` (kept), or a new temporary folder.

    The state of the measured code (reopen snapshots, journals) goes to its ``state`` subfolder
    (``$BIO_EXPLORER_STATE_DIR``, inherited by the children).  Returns the folder and the call
    that removes it when it was temporary (a no-op otherwise).
    """
    tmp = None
    if folder is None:
        tmp = tempfile.TemporaryDirectory(prefix=prefix)
        folder = Path(tmp.name)
    os.environ["BIO_EXPLORER_STATE_DIR"] = str(folder / "state")
    return folder, (tmp.cleanup if tmp is not None else lambda: None)
