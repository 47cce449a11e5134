"""The edit journal: an append-only JSONL file, ``fsync``-ed after every edit, undo and redo.

Every record is written completely (or not at all: a failed append raises
:class:`~bio_explorer.errors.EditError` and cuts the file back) before the operation is applied.
One session uses a journal at a time (:class:`~bio_explorer.locks.SessionLock`).
A crashed kernel loses no applied edit: :func:`bio_explorer.edits.replay_journal` (called by
``bx.read(path, journal=...)`` and by ``bx.explore(path)``) re-applies the journal on a fresh read.
The span view keeps a journal by itself in :func:`state_dir` (:func:`auto_journal`).
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import time
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import EditError
from .folders import state_dir
from .io.writer import atomic_write, fsync_dir, write_all
from .locks import SessionLock

if TYPE_CHECKING:
    from .state import State as _State
    from .state import View as Corpus  # the lower layers take a view of the state

JOURNAL_SUFFIX = ".bio-journal.jsonl"
JOURNAL_VERSION = 2  # 2: the header and the save records carry the files' SHA-256

_OPEN: dict[str, weakref.ref] = {}  # journal path -> the Journal of this process that holds it


class Journal:
    """Append-only JSONL file of applied edits, undos, redos and saves (``fsync`` after each line).

    The header names the files and the SHA-256 of their content the journal applies to; a
    ``save`` record (written by :meth:`Corpus.write` just before its atomic rename) holds the
    SHA-256 of the saved files, so a replay knows which save the file on disk reflects.

    Parameters
    ----------
    path : Path
        The journal file; created (with a header line) on the first append.
    files : list of dict
        Name and path of the corpus files, written in the header for a human reader.
    state : callable, optional
        Returns the header fields that describe the session when the header is written
        (``files`` with their ``sha256``, ``next_id``, ``saved``).
    """

    def __init__(self, path: Path, files: list[dict], state: Callable[[], dict] | None = None
                 ) -> None:
        self.path = Path(path)
        self.files = files
        self.state = state
        self.lock: SessionLock | None = None
        self.detached = False

    # ------------------------------------------------------------------ session lock
    def acquire(self) -> None:
        """Take the journal for this session.

        A journal held by another *process* raises :class:`EditError`.  One held by another
        corpus of this process (a re-read after a simulated crash) is taken over: that corpus's
        next edit raises :class:`EditError` instead of writing to it.
        """
        key = str(self.path.resolve())
        old = _OPEN.get(key)
        prev = old() if old is not None else None
        if prev is not None and prev is not self and prev.lock is not None:
            self.lock, prev.lock, prev.detached = prev.lock, None, True
        elif self.lock is None:
            self.lock = SessionLock(self.path)
        _OPEN[key] = weakref.ref(self)

    def release(self) -> None:
        """Let another session use the journal (the corpus stops journalling)."""
        if self.lock is not None:
            self.lock.release()
            self.lock = None
        self.detached = True

    def _header(self) -> dict:
        head = {"kind": "header", "version": JOURNAL_VERSION, "files": self.files,
                "created": time.time()}
        if self.state is not None:
            head.update(self.state())
        return head

    # ------------------------------------------------------------------ writing
    def append(self, record: dict) -> None:
        """Append one record and make it durable before returning.

        Raises
        ------
        EditError
            When the record cannot be written completely (disk full, I/O error): the journal is
            cut back to its previous length, so the caller must not apply the operation.
        """
        if self.detached:
            raise EditError(f"{self.path} is now used by another corpus of this process (a "
                            "later read with journal=); this corpus can no longer journal its "
                            "edits. Continue in the newer corpus")
        line = json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
        except OSError as exc:
            raise self._failed(exc) from exc
        try:
            size = _cut_torn_tail(fd, os.fstat(fd).st_size)
            head = json.dumps(self._header(), ensure_ascii=False) + "\n" if size == 0 else ""
            try:
                write_all(fd, (head + line).encode("utf-8"))
                os.fsync(fd)
                if size == 0:
                    fsync_dir(self.path.parent)
            except OSError as exc:
                with contextlib.suppress(OSError):
                    os.ftruncate(fd, size)  # no torn line stays behind
                    os.fsync(fd)
                raise self._failed(exc) from exc
        finally:
            os.close(fd)

    def _failed(self, exc: OSError) -> EditError:
        why = "the disk is full" if exc.errno in (errno.ENOSPC, errno.EDQUOT) else exc.strerror
        return EditError(f"{self.path}: could not journal this operation ({why}); it was not "
                         "applied. Free some space (or save) and try again")

    def rewrite(self, records: list[dict], state: dict | None = None) -> None:
        """Replace the journal by a fresh header and ``records`` (atomically).

        ``state`` overrides the header's session fields (the state ``records`` start from).
        """
        if not records:
            self.clear()
            return
        head = {**self._header(), **(state or {})}
        text = "".join(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n"
                       for r in [head, *records])
        atomic_write(self.path, text.encode("utf-8"))

    def clear(self) -> None:
        """Empty the journal (after a save): the file is removed."""
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            return
        with contextlib.suppress(OSError):
            fsync_dir(self.path.parent)

    # ------------------------------------------------------------------ reading
    def all_records(self) -> list[dict]:
        """Every record, header and save records included; a torn last line is ignored."""
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
            if rec.get("kind") == "header" and rec.get("version", 1) > JOURNAL_VERSION:
                raise EditError(f"{self.path}: journal version {rec['version']} is newer than "
                                f"this bio_explorer understands ({JOURNAL_VERSION})")
            out.append(rec)
        return out

    def records(self) -> list[dict]:
        """Every record but the header and the save records (edits, undos, redos, reviews)."""
        return [r for r in self.all_records() if r.get("kind") not in ("header", "save")]


def _cut_torn_tail(fd: int, size: int) -> int:
    """Drop an unterminated last line (a kill mid-append: never acknowledged); returns the size."""
    if size == 0 or os.pread(fd, 1, size - 1) == b"\n":
        return size
    end = size
    while end > 0:
        start = max(0, end - 65536)
        cut = os.pread(fd, end - start, start).rfind(b"\n")
        if cut >= 0:
            end = start + cut + 1
            break
        end = start
    os.ftruncate(fd, end)
    return end


def _journal_path(c: Corpus, journal: str | os.PathLike | bool) -> Path:
    if journal is True:
        files = [f for f in c.state.files if f.path is not None]
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
    st = c.state
    path = _journal_path(c, journal)
    files = [{"name": f.name, "path": str(f.path) if f.path else None} for f in st.files]
    jr = Journal(path, files, lambda: session_state(st))
    jr.acquire()
    if st.journal is not None and st.journal is not jr:
        st.journal.release()
    st.journal = jr
    return jr


def file_hashes(st: _State) -> list[str | None]:
    """SHA-256 of each corpus file's content as last read or saved (None: not file-backed)."""
    return [f.raw.sha256 or None if f.raw is not None and f.path is not None else None
            for f in st.files]


def session_state(st: _State) -> dict:
    """What a journal header records of the session: file hashes and the edit-id state."""
    log = st.log
    files = [{"name": f.name, "path": str(f.path) if f.path else None, "sha256": h}
             for f, h in zip(st.files, file_hashes(st), strict=True)]
    return {"files": files, "next_id": log.next_id if log is not None else 1,
            "saved": list(log.saved) if log is not None else [],
            "done": log.done_ids() if log is not None else []}


def auto_journal_path(path: str | os.PathLike) -> Path:
    """Where :func:`auto_journal` journals the corpus read from ``path``."""
    import hashlib

    resolved = Path(path).resolve()
    digest = hashlib.sha1(str(resolved).encode("utf-8")).hexdigest()[:12]
    return state_dir() / "journals" / f"{resolved.name}.{digest}{JOURNAL_SUFFIX}"
