"""Advisory locks that keep two bio_explorer sessions from overwriting each other's work.

Two kinds, both ``fcntl.flock`` locks on small files in ``<state dir>/locks`` (never next to the
data; see :func:`bio_explorer.journal.state_dir`):

* :func:`file_lock` – held by :meth:`Corpus.write` around "is the file still the one I read?" and
  the atomic rename, so two processes saving the same file cannot interleave those steps.
* :class:`SessionLock` – held for the life of a journalling session, so a second process cannot
  append to the same journal.  The kernel drops both when the process dies (even by SIGKILL).

The locks are advisory: a program that does not take them (an editor) is only noticed by the
content-hash check of :meth:`Corpus.write`.  On platforms without ``fcntl`` they are no-ops.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from .errors import EditError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

LOCK_TIMEOUT = 30.0


def lock_path(target: str | os.PathLike, kind: str) -> Path:
    """The lock file guarding ``target`` (a corpus file or a journal) for ``kind`` of use."""
    from .journal import state_dir

    resolved = Path(target).resolve()
    digest = hashlib.sha1(str(resolved).encode("utf-8")).hexdigest()[:16]
    name = f"{resolved.name[:60]}.{digest}.{kind}.lock"
    folder = state_dir() / "locks"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:  # read-only home: a per-user folder in the temp dir still works
        folder = Path(tempfile.gettempdir()) / f"bio_explorer-locks-{os.getuid()}"
        folder.mkdir(parents=True, exist_ok=True)
    return folder / name


def _holder(fd: int) -> str:
    try:
        pid = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        pid = ""
    return f"process {pid}" if pid else "another process"


def _stamp(fd: int) -> None:
    os.ftruncate(fd, 0)
    os.pwrite(fd, str(os.getpid()).encode("ascii"), 0)


@contextlib.contextmanager
def file_lock(target: str | os.PathLike, timeout: float = LOCK_TIMEOUT) -> Iterator[None]:
    """Hold the write lock of ``target`` (blocking up to ``timeout`` seconds).

    Raises
    ------
    TimeoutError
        When another process held it for longer than ``timeout``.
    """
    if fcntl is None:  # pragma: no cover
        yield
        return
    fd = os.open(lock_path(target, "write"), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{target} is being saved by {_holder(fd)}; "
                                       f"gave up after {timeout:.0f} s") from None
                time.sleep(0.01)
        _stamp(fd)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


class SessionLock:
    """Exclusive lock on a journal for as long as one session uses it.

    Parameters
    ----------
    journal : Path
        The journal file the lock guards.

    Raises
    ------
    EditError
        When another process holds it.
    """

    def __init__(self, journal: Path) -> None:
        self.journal = Path(journal)
        self.fd: int | None = None
        if fcntl is None:  # pragma: no cover
            return
        fd = os.open(lock_path(journal, "session"), os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            who = _holder(fd)
            os.close(fd)
            raise EditError(
                f"{journal} is the journal of another bio_explorer session ({who}); two "
                "sessions editing one file would overwrite each other's edits. Close the other "
                "session (or pass another journal=) to continue") from None
        _stamp(fd)
        self.fd = fd

    def release(self) -> None:
        """Let another session take the journal."""
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            self.release()
