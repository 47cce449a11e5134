"""One background worker for slow whole-corpus jobs: anomaly scans (cross-check, lazy scans next).

A :class:`Worker` runs one job at a time in a daemon thread (polars releases the GIL: the kernel
stays responsive) and hands every finished run back to the main thread: in a kernel through the
event loop (``call_soon_threadsafe``), elsewhere when the caller asks (:meth:`Worker.poll`,
:meth:`Worker.wait`), so that nothing changes behind a script's back.  Each :class:`Run` carries
the version of the corpus it started on (so a stale result can be told and dropped), a
cancellation flag the job may check, and a progress fraction it may report.  :meth:`Worker.schedule`
debounces: every call restarts the wait on the running event loop.

The widget's global anomaly refresh (``widget._GlobalRefresh``) and the Explorer's slow frames
(``explorer._SlowFrames``) are two jobs on this worker.  No anywidget/ipywidgets import here.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["Coalescer", "Run", "Worker", "running_loop"]


def running_loop() -> asyncio.AbstractEventLoop | None:
    """The asyncio loop running in this thread (a kernel's), or None."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


class Run:
    """One run of a job: its start version, outcome, cancellation flag and progress."""

    def __init__(self, version: int) -> None:
        self.version = version  # the job may move it on when it starts again on newer data
        self.value: Any = None
        self.error: BaseException | None = None
        self.progress = 0.0
        self.finished = False
        self._cancelled = threading.Event()

    @property
    def cancelled(self) -> bool:
        """True once :meth:`Worker.cancel` was called during this run (the job may stop early)."""
        return self._cancelled.is_set()

    def report(self, fraction: float) -> None:
        """Record the share of the work done (0 … 1)."""
        self.progress = min(max(float(fraction), 0.0), 1.0)


class Worker:
    """Runs ``job(run)`` in a daemon thread, one run at a time, and hands each run to ``on_done``.

    Parameters
    ----------
    job : callable
        ``job(run) -> value``, called in the thread; an exception is kept as ``run.error``.
    version : callable
        The current version of the data (the tags); stamped on each run when it starts.
    on_done : callable
        ``on_done(run)``, called on the main thread once per finished, not cancelled run.
    loop : asyncio loop, optional
        Where finished runs are handed on; :meth:`schedule` takes the running loop when it has
        none.  Without a loop, :meth:`poll` / :meth:`wait` hand them on.
    name : str
        The thread's name.
    """

    def __init__(self, job: Callable[[Run], Any], *, version: Callable[[], int],
                 on_done: Callable[[Run], None], loop: asyncio.AbstractEventLoop | None = None,
                 name: str = "bio_explorer-background") -> None:
        self._job = job
        self._version = version
        self._on_done = on_done
        self.loop = loop
        self.name = name
        self._lock = threading.Lock()
        self.thread: threading.Thread | None = None
        self.run: Run | None = None  # the latest run
        self.result: Run | None = None  # the latest run that succeeded
        self.failure: Run | None = None  # the latest run that failed
        self._handled: Run | None = None
        self.timer: asyncio.TimerHandle | None = None
        self.pending = False  # scheduled (debounced) and not started yet
        self._delay = 0.0

    # ------------------------------------------------------------------ state
    def busy(self) -> bool:
        """True while a run is in the thread."""
        run = self.run
        return run is not None and not run.finished

    def unhandled(self) -> bool:
        """True when a finished run was not handed to ``on_done`` yet."""
        run = self.run
        return run is not None and run.finished and self._handled is not run

    def idle(self) -> bool:
        """Nothing scheduled, running or waiting to be handed on."""
        return not (self.pending or self.busy() or self.unhandled())

    @property
    def progress(self) -> float:
        """Progress of the latest run (1.0 when it finished)."""
        run = self.run
        return 0.0 if run is None else (1.0 if run.finished else run.progress)

    # ------------------------------------------------------------------ control
    def start(self) -> bool:
        """Start a run now unless one is in the thread; returns whether one was started."""
        with self._lock:
            if self.busy():
                return False
            self.pending = False
            run = Run(self._version())
            self.run = run
            self.thread = threading.Thread(target=self._execute, args=(run,), name=self.name,
                                           daemon=True)
            self.thread.start()
            return True

    def schedule(self, delay: float) -> None:
        """Start a run ``delay`` seconds from now on the running loop (every call restarts the
        wait); without a running loop the run stays pending until :meth:`wait`."""
        self.pending = True
        self._delay = delay
        loop = running_loop()
        if loop is None:
            return
        self.loop = loop
        if self.timer is not None:
            self.timer.cancel()
        self.timer = loop.call_later(delay, self._fire)

    def _fire(self) -> None:
        self.timer = None
        if not self.pending:
            return
        if self.busy():  # one run at a time: try again later
            if self.loop is not None:
                self.timer = self.loop.call_later(self._delay, self._fire)
            return
        self.start()

    def cancel(self, *, running: bool = False) -> None:
        """Drop the scheduled run; ``running=True`` also cancels the run in the thread (its
        result is never handed on)."""
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        self.pending = False
        run = self.run
        if running and run is not None and not run.finished:
            run._cancelled.set()

    # ------------------------------------------------------------------ the thread
    def _execute(self, run: Run) -> None:
        try:
            run.value = self._job(run)
        except BaseException as exc:  # kept for the main thread; never kills the kernel
            run.error = exc
        if not run.cancelled:
            if run.error is None:
                self.result = run
            else:
                self.failure = run
        run.finished = True
        loop = self.loop
        if loop is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(self.poll)
            except RuntimeError:  # the loop closed meanwhile: poll()/wait() hand it on
                pass

    # ------------------------------------------------------------------ main thread
    def poll(self) -> None:
        """Hand the latest finished run to ``on_done`` (once; never a cancelled run)."""
        run = self.run
        if run is None or not run.finished or self._handled is run:
            return
        self._handled = run
        if not run.cancelled:
            self._on_done(run)

    def wait(self, timeout: float | None = None) -> bool:
        """Start a pending run now (no debounce wait), join the thread and hand the run on.

        Returns False when the thread is still running after ``timeout``.
        """
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        if self.pending and not self.busy():
            self.start()
        thread = self.thread
        if thread is not None:
            thread.join(timeout)
            if thread.is_alive():
                return False
        self.poll()
        return True


class Coalescer:
    """Run ``fn`` once "soon": after the messages already waiting in the kernel were dispatched.

    In a kernel (a running asyncio loop) the call is scheduled with ``call_soon`` (or, with a
    ``delay``, debounced with ``call_later``: every new call restarts the wait) so that requests
    arriving in a burst are coalesced; without a loop (plain Python, tests) it runs at once.
    ``hold()`` defers every call until the ``with`` block ends (used by tests and benchmarks).
    """

    def __init__(self, fn: Callable[[], None], delay: float = 0.0) -> None:
        self._fn = fn
        self._delay = delay
        self._scheduled = False
        self._handle: asyncio.Handle | None = None
        self._held = 0

    def __call__(self) -> None:
        if self._held:
            self._scheduled = True
            return
        loop = running_loop()
        if loop is None:
            self._fn()
            return
        if self._handle is not None and self._delay:
            self._handle.cancel()  # debounce: the wait starts again
        elif self._scheduled:
            return
        self._scheduled = True
        if self._delay:
            self._handle = loop.call_later(self._delay, self._run)
        else:
            self._handle = loop.call_soon(self._run)

    def _run(self) -> None:
        self._scheduled = False
        self._handle = None
        self._fn()

    def after(self, delay: float) -> None:
        """Call it once ``delay`` seconds from now instead of after its own delay (at once
        without a loop); a call already scheduled is moved."""
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        self._scheduled = False
        loop = running_loop()
        if self._held or loop is None:
            self()
            return
        self._scheduled = True
        self._handle = loop.call_later(delay, self._run)

    def flush(self) -> None:
        """Run a pending call now."""
        if self._handle is not None:
            self._handle.cancel()
        if self._scheduled:
            self._run()

    @contextmanager
    def hold(self) -> Iterator[None]:
        """Defer every call until the ``with`` block ends, then run once if one was made."""
        self._held += 1
        try:
            yield
        finally:
            self._held -= 1
            if not self._held and self._scheduled:
                self._run()
