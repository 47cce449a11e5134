"""The edit journal: an append-only JSONL file, ``fsync``-ed after every edit, undo and redo.

A crashed kernel loses no applied edit: :func:`bio_explorer.edits.replay_journal` (called by
``bx.read(path, journal=...)`` and by ``bx.explore(path)``) re-applies the journal on a fresh read.
The span view keeps a journal by itself in :func:`state_dir` (:func:`auto_journal`).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import EditError

if TYPE_CHECKING:
    from .corpus import Corpus

JOURNAL_SUFFIX = ".bio-journal.jsonl"
JOURNAL_VERSION = 1


class Journal:
    """Append-only JSONL file of applied edits, undos and redos (``fsync`` after each line).

    Parameters
    ----------
    path : Path
        The journal file; created (with a header line) on the first append.
    files : list of dict
        Name and path of the corpus files, written in the header for a human reader.
    """

    def __init__(self, path: Path, files: list[dict]) -> None:
        self.path = Path(path)
        self.files = files

    def _header(self) -> dict:
        return {"kind": "header", "version": JOURNAL_VERSION, "files": self.files,
                "created": time.time()}

    def append(self, record: dict) -> None:
        """Append one record and make it durable before returning."""
        new = not self.path.exists() or self.path.stat().st_size == 0
        lines = ([json.dumps(self._header(), ensure_ascii=False)] if new else [])
        lines.append(json.dumps(record, ensure_ascii=False, separators=(",", ":")))
        data = ("\n".join(lines) + "\n").encode("utf-8")
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)

    def clear(self) -> None:
        """Empty the journal (after a save): the file is removed."""
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass

    def records(self) -> list[dict]:
        """The records after the header; a torn last line (crash mid-write) is ignored."""
        if not self.path.exists():
            return []
        lines = self.path.read_text(encoding="utf-8", errors="replace").split("\n")
        last = max((i for i, line in enumerate(lines) if line.strip()), default=-1)
        out = []
        for i, line in enumerate(lines):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as exc:
                if i == last:
                    break  # torn final line: the crash hit mid-write, that edit never returned
                raise EditError(f"{self.path}:{i + 1}: unreadable journal line ({exc})") from None
            if rec.get("kind") == "header":
                if rec.get("version", 1) > JOURNAL_VERSION:
                    raise EditError(f"{self.path}: journal version {rec['version']} is newer than "
                                    f"this bio_explorer understands ({JOURNAL_VERSION})")
                continue
            out.append(rec)
        return out


def _journal_path(c: Corpus, journal: str | os.PathLike | bool) -> Path:
    if journal is True:
        files = [f for f in c._state.files if f.path is not None]
        if not files:
            raise EditError("journal=True needs a file-backed corpus; pass journal=<path> instead")
        first = files[0].path
        return first.with_name(first.name + JOURNAL_SUFFIX)
    return Path(journal)


def enable_journal(c: Corpus, journal: str | os.PathLike | bool = True) -> Journal:
    """Start journalling the edits of ``c`` (without replaying anything).

    Parameters
    ----------
    c : Corpus
    journal : path or True
        ``True`` puts it next to the (first) corpus file as ``<file>.bio-journal.jsonl``.

    Returns
    -------
    Journal
    """
    st = c._state
    path = _journal_path(c, journal)
    files = [{"name": f.name, "path": str(f.path) if f.path else None} for f in st.files]
    st.journal = Journal(path, files)
    return st.journal


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


def auto_journal_path(path: str | os.PathLike) -> Path:
    """Where :func:`auto_journal` journals the corpus read from ``path``."""
    import hashlib

    resolved = Path(path).resolve()
    digest = hashlib.sha1(str(resolved).encode("utf-8")).hexdigest()[:12]
    return state_dir() / "journals" / f"{resolved.name}.{digest}{JOURNAL_SUFFIX}"


def auto_journal(c: Corpus) -> Journal | None:
    """Journal the edits of a file-backed corpus in :func:`state_dir`, unless it is journalled.

    Used by the span view so that interactive edits survive a crashed kernel without the user
    asking: ``bx.explore(path)`` (or ``bx.read(path, journal=auto_journal_path(path))``) replays
    it.  When a journal of an earlier, unsaved session exists it is left intact, with a warning.

    Returns
    -------
    Journal or None
        The journal now in use, or None (table-backed corpus, or an earlier journal exists).
    """
    import warnings

    st = c._state
    if st.journal is not None:
        return st.journal
    if not st.files or st.files[0].path is None:
        return None
    path = auto_journal_path(st.files[0].path)
    if path.exists() and path.stat().st_size > 0:
        kinds = {r.get("kind") for r in Journal(path, []).records()}
        if kinds == {"review"}:
            from .edits import replay_journal  # only review decisions (kept by a save): restore

            replay_journal(c, path)
            return st.journal
        warnings.warn(
            f"{path} holds edits of an earlier session that were never saved; "
            f"bx.explore({str(st.files[0].path)!r}) replays them. "
            "This session's edits are not journalled, to keep that file intact.",
            stacklevel=3,
        )
        return None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return enable_journal(c, path)
