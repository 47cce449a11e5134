"""The built front-end files in ``bio_explorer/static/`` (made by ``cd js && npm run build``)."""

from __future__ import annotations

from pathlib import Path

__all__ = ["STATIC", "asset"]

STATIC = Path(__file__).parent / "static"


def asset(name: str, fallback: str) -> Path | str:
    """The built static file ``name`` (anywidget reads and watches it), or ``fallback`` text."""
    path = STATIC / name
    return path if path.is_file() else fallback
