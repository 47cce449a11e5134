"""Where bio_explorer keeps its own files (journals, locks, reopen snapshots): :func:`state_dir`."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["state_dir"]


def state_dir() -> Path:
    """Folder for the journals the span view keeps by itself.

    ``$BIO_EXPLORER_STATE_DIR`` when set, else ``$XDG_STATE_HOME/bio_explorer`` (default
    ``~/.local/state/bio_explorer``).  Corpus folders are never written to unless asked.
    """
    env = os.environ.get("BIO_EXPLORER_STATE_DIR")
    if env:
        return Path(env)
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local",
                                                            "state")
    return Path(base) / "bio_explorer"
