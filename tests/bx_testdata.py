"""Where the real corpora are, importable from any test module (``from bx_testdata import ...``)."""

from __future__ import annotations

import os
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("BIO_EXPLORER_SHARED", ROOT.parent / "shared")) / "corpora"


def corpus_files() -> list[Path]:
    """Every corpus file in ../shared/corpora (for parametrised tests); empty when it is missing."""
    if not SHARED.is_dir():
        return []
    return sorted(
        p for p in SHARED.glob("*/*")
        if p.is_file() and p.name not in ("README.md", "SOURCES.tsv")
    )


def tags_of(c) -> list[str]:
    """The tag of every token of corpus ``c``, as strings."""
    return c.tokens["tag"].cast(pl.String).to_list()
