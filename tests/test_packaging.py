"""The wheel must carry the built front end and the sample corpus (no Node needed to install)."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    proc = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out),
         str(ROOT)],
        capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    wheels = list(out.glob("bio_explorer-*.whl"))
    assert len(wheels) == 1
    return wheels[0]


def test_wheel_contains_bundles_and_sample(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in (
        "bio_explorer/static/span_view.js",
        "bio_explorer/static/span_view.css",
        "bio_explorer/static/chart_view.js",
        "bio_explorer/data/pytorch_wiki.bio",
        "bio_explorer/corpus.py",
    ):
        assert required in names, f"{required} missing from {wheel.name}"
    assert not any(n.startswith(("js/", "tests/")) for n in names)


def test_bundles_import_nothing_from_the_network() -> None:
    for js in (ROOT / "bio_explorer" / "static").glob("*.js"):
        text = js.read_text(encoding="utf-8")
        needles = ("https://esm.sh", "cdn.jsdelivr", "unpkg.com", 'from "http', 'import("http')
        for needle in needles:
            assert needle not in text, f"{js.name} refers to {needle}"


def test_sample_is_the_seed_corpus() -> None:
    import bio_explorer as bx

    c = bx.sample()
    assert c.scheme == "IOB2"
    assert len(c) == 20 and c.n_tokens == 406
    assert "Library" in c.labels()
