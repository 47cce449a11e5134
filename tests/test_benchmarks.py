"""The benchmark scripts run end to end at a small size (their figures are not checked here).

A benchmark is only run by hand, so a change to a helper it shares (``benchmarks/_child.py``,
``bench_load.measure``) could break it unseen: each script is run once on a 20,000-token corpus
built in a temporary folder, and must finish and print its verdict lines.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


def _run(script: str, *args: str, corpora: Path, folder: Path) -> str:
    """Run ``benchmarks/script`` with ``args`` on the shared ``corpora``; its output."""
    env = dict(os.environ, BIO_EXPLORER_SHARED=str(corpora.parent))
    done = subprocess.run([sys.executable, str(BENCH / script), *args, "--folder", str(folder)],
                          capture_output=True, text=True, cwd=folder, env=env, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


@pytest.mark.shared
def test_bench_load_runs(shared_corpora, tmp_path):
    out = _run("bench_load.py", "--sizes", "20000", "--runs", "1", "--repeat", "1", "--base",
               "conll", corpora=shared_corpora, folder=tmp_path)
    assert "first read vs floor" in out and "reopen vs raw" in out


@pytest.mark.shared
def test_bench_convert_runs(shared_corpora, tmp_path):
    out = _run("bench_convert.py", "--tokens", "20000", "--repeat", "1", corpora=shared_corpora,
               folder=tmp_path)
    assert "conversion of" in out and "target <= 180 s" in out


@pytest.mark.shared
def test_bench_scale_runs(shared_corpora, tmp_path):
    out = _run("bench_scale.py", "--tokens", "20000", "--load-sizes", "20000",
               corpora=shared_corpora, folder=tmp_path)
    for line in ("first read 20,", "reopen 20,", "label counts:", "transitions:",
                 "filter + first page, regex"):
        assert line in out, (line, out[-2000:])
