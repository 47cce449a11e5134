"""Shared fixtures: the real corpora in ../shared/corpora.

In a user's clone without ../shared the tests that need them are skipped; with
BIO_EXPLORER_REQUIRE_SHARED=1 (set by .ci/run) a missing folder is an error, so CI never skips them.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("BIO_EXPLORER_SHARED", ROOT.parent / "shared")) / "corpora"


@pytest.fixture(scope="session")
def shared_corpora() -> Path:
    """Folder of the real corpora (``../shared/corpora``)."""
    if not SHARED.is_dir():
        if os.environ.get("BIO_EXPLORER_REQUIRE_SHARED") == "1":
            pytest.fail(f"{SHARED} is missing but BIO_EXPLORER_REQUIRE_SHARED=1")
        pytest.skip(f"{SHARED} not found (the shared corpora are not part of the package)")
    return SHARED


def corpus_files() -> list[Path]:
    """Every corpus file in ../shared/corpora (for parametrised tests); empty when it is missing."""
    if not SHARED.is_dir():
        return []
    return sorted(
        p for p in SHARED.glob("*/*")
        if p.is_file() and p.name not in ("README.md", "SOURCES.tsv")
    )


@pytest.fixture(scope="session")
def sample_corpus():
    import bio_explorer as bx

    return bx.sample()
