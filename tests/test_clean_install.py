"""The wheel works in a fresh venv without the dev extras (issue 11 item 13, issue 15 item 9).

Builds the wheel, installs it with only its runtime dependencies into a new venv, and runs
``bx.explore`` there on a file of more than 300,000 tokens (CoNLL-2003 train + valid + train,
concatenated into a temp file): above 200k tokens the Explorer shows progress, which once came
from ``tqdm``, a dev-only package.  The script also checks that no dev package got imported.
Marker ``install`` (run it with ``-m install``); skipped without ../shared.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.install

ROOT = Path(__file__).resolve().parents[1]
DEV_ONLY = ("tqdm", "pytest", "seqeval", "hypothesis", "playwright", "pandas", "pyarrow",
            "jupyterlab", "notebook", "voila", "nbclient", "ruff")

SCRIPT = """
import sys
import bio_explorer as bx

assert "site-packages" in bx.__file__, bx.__file__
ex = bx.explore(sys.argv[1])
assert ex.wait(timeout=600), "the background analysis did not finish"
n = ex.corpus.n_tokens
assert n > 300_000, n
page = ex.span_view.filtered.page(0, 5)
assert page["sentences"] and page["total"] == len(ex.corpus)
loaded = sorted(m for m in sys.modules if m.split(".")[0] in sys.argv[2].split(","))
assert not loaded, f"dev-only modules imported: {loaded}"
print("OK", n)
"""


def _run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=600, **kw)


def test_explore_big_file_in_a_clean_venv(shared_corpora, tmp_path):
    conll = shared_corpora / "conll2003"
    parts = [conll / "train.txt", conll / "valid.txt", conll / "train.txt"]
    big = tmp_path / "big.conll"
    with big.open("wb") as out:
        for part in parts:
            data = part.read_bytes()
            out.write(data if data.endswith(b"\n\n") else data.rstrip(b"\n") + b"\n\n")

    wheels = tmp_path / "wheel"
    proc = _run([sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps",
                 "--no-build-isolation", "-q", "-w", str(wheels)])
    if proc.returncode != 0 and "No module named" in proc.stderr:
        pytest.skip(f"cannot build a wheel here: {proc.stderr.strip()[-300:]}")
    assert proc.returncode == 0, proc.stderr[-2000:]
    wheel = next(wheels.glob("bio_explorer-*.whl"))

    venv = tmp_path / "venv"
    proc = _run([sys.executable, "-m", "venv", str(venv)])
    if proc.returncode != 0:
        pytest.skip(f"cannot create a venv: {proc.stderr.strip()[-300:]}")
    py = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    proc = _run([str(py), "-m", "pip", "install", "-q", str(wheel)])
    assert proc.returncode == 0, proc.stderr[-2000:]
    listed = _run([str(py), "-m", "pip", "list", "--format=freeze"]).stdout.lower()
    installed = {line.split("==")[0] for line in listed.splitlines()}
    assert not installed & set(DEV_ONLY), installed & set(DEV_ONLY)

    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    proc = _run([str(py), "-I", "-c", SCRIPT, str(big), ",".join(DEV_ONLY)], cwd=tmp_path,
                env=env)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    assert proc.stdout.startswith("OK ")
    assert "Building charts" in proc.stderr  # progress as text, without tqdm
