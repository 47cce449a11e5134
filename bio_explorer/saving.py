"""The durable part of :meth:`Corpus.write`: temp files, lock, on-disk check, backup, rename.

Order of a save (each file: ``write_temp`` → lock → check → ``.bak`` → journal → rename):

1. the new content goes to a temporary file next to the target and is ``fsync``-ed;
2. the write lock of the target is taken (:func:`bio_explorer.locks.file_lock`), and under it
3. the file on disk must still have the modification time and size, and the content (SHA-256),
   this corpus read or last saved, else ``FileExistsError`` (unless ``force``): another program
   or session saved it meanwhile (a replacement that restores size and mtime is caught by the
   hash);
4. the first in-place save keeps the original as ``<file>.bak`` (written atomically);
5. a journalling corpus appends a ``save`` record holding the new content's SHA-256, so a
   recovery knows whether the rename below happened;
6. the temporary file is renamed over the target and the folder ``fsync``-ed.

A failure anywhere before 6 leaves the target as it was and the temporary files removed.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .io.writer import atomic_write, replace_into, write_temp
from .locks import file_lock


@dataclass
class Planned:
    """One file to save: its record, target, new bytes and (for in-place saves) new lines."""

    rec: Any  # io.FileRecord
    target: Path
    data: bytes
    lines: Any  # pl.Series of the new lines, or None
    in_place: bool


def sha256_of(path: Path) -> str | None:
    """SHA-256 of the file's bytes (None when it does not exist)."""
    h = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    except FileNotFoundError:
        return None
    return h.hexdigest()


def _check_unchanged(item: Planned) -> None:
    expected = item.rec.raw.sha256 if item.rec.raw is not None else ""
    if item.rec.changed_on_disk() or (expected and sha256_of(item.target) != expected):
        raise FileExistsError(
            f"{item.target} changed on disk since it was read (another program or bio_explorer "
            "session saved it); pass force=True to overwrite it, or read it again")


def _backup(target: Path) -> None:
    bak = target.with_name(target.name + ".bak")
    if not bak.exists() and target.exists():
        atomic_write(bak, target.read_bytes())


def save_files(items: list[Planned], *, force: bool, backup: bool, journal: Any = None,
               checkpoint: dict | None = None) -> None:
    """Write every planned file durably (see the module docstring).

    Parameters
    ----------
    items : list of Planned
    force : bool
        Skip the "changed on disk" check.
    backup : bool
        Keep ``<file>.bak`` on the first in-place save.
    journal : Journal, optional
        Where the ``save`` checkpoint goes (in-place saves of a journalling corpus).
    checkpoint : dict, optional
        Extra fields of the checkpoint record (``next_id``, ``saved``).
    """
    temps: list[Path] = []
    try:
        for item in items:
            temps.append(write_temp(item.target, item.data))
        with contextlib.ExitStack() as locks:
            for item in sorted(items, key=lambda i: str(i.target.resolve())):
                locks.enter_context(file_lock(item.target))
            for item in items:
                if item.in_place and not force:
                    _check_unchanged(item)
            for item in items:
                if item.in_place and backup:
                    _backup(item.target)
            if journal is not None:
                files = [{"name": i.rec.name, "path": str(i.target),
                          "sha256": hashlib.sha256(i.data).hexdigest()} for i in items]
                journal.append({"kind": "save", "files": files, **(checkpoint or {})})
            for item, tmp in zip(items, temps, strict=True):
                replace_into(tmp, item.target)
                if item.in_place and item.rec.raw is not None:
                    item.rec.raw.lines = item.lines
                    item.rec.raw.sha256 = hashlib.sha256(item.data).hexdigest()
                    st = os.stat(item.target)
                    item.rec.stat = (st.st_mtime_ns, st.st_size)
    finally:
        for tmp in temps:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
