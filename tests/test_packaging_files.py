"""The sdist and the wheel carry the licence; the sdist carries the docs (a publishable package)."""

from __future__ import annotations

import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def dists(tmp_path_factory) -> tuple[Path, Path]:
    out = tmp_path_factory.mktemp("dist")
    proc = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(ROOT)],
        capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    (wheel,) = out.glob("bio_explorer-*.whl")
    (sdist,) = out.glob("bio_explorer-*.tar.gz")
    return wheel, sdist


def test_wheel_has_license_and_metadata(dists) -> None:
    wheel, _ = dists
    zf = zipfile.ZipFile(wheel)
    names = zf.namelist()
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names), names[-10:]
    meta = zf.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    assert "License-Expression: MIT" in meta
    assert "Provides-Extra: interop" in meta
    # the interop tools stay optional
    hard = [line for line in meta.splitlines()
            if line.startswith("Requires-Dist:") and "extra ==" not in line]
    assert not any(pkg in line for line in hard for pkg in ("datasets", "spacy", "nervaluate"))


def test_sdist_has_license_and_docs(dists) -> None:
    _, sdist = dists
    names = tarfile.open(sdist).getnames()
    top = names[0].split("/")[0]
    assert f"{top}/LICENSE" in names
    assert f"{top}/docs/ARCHITECTURE.md" in names
    assert any(n.startswith(f"{top}/docs/img/") for n in names)


def test_license_file_is_mit() -> None:
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License")
    tomllib = pytest.importorskip("tomllib")
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert meta["license"] == "MIT"
    assert "interop" in meta["optional-dependencies"]
