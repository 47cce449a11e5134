"""Progress display without extra dependencies: an ipywidgets bar in a notebook, text elsewhere.

In a Jupyter kernel (an IPython shell with a kernel) the bar is an ``ipywidgets.IntProgress``
(ipywidgets is a dependency already), removed when the work is done.  Elsewhere (scripts, the
CLI, a plain terminal) one line on ``stderr`` is rewritten in place when it is a terminal, and
written once at the end otherwise, so logs are not flooded.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Iterator
from typing import Any, TypeVar

__all__ = ["Progress", "in_kernel", "track"]

T = TypeVar("T")

_MIN_INTERVAL = 0.2  # s between two text updates


def in_kernel() -> bool:
    """True inside a Jupyter kernel (where widgets can be displayed)."""
    shell_mod = sys.modules.get("IPython")
    if shell_mod is None:
        return False
    try:
        shell = shell_mod.get_ipython()
    except Exception:  # an IPython too old or half-imported
        return False
    return shell is not None and getattr(shell, "kernel", None) is not None


def _size(n: float, unit: str) -> str:
    if unit != "B":
        return f"{n:,.0f}"
    for prefix in ("", "k", "M", "G"):
        if abs(n) < 1000 or prefix == "G":
            return f"{n:.0f} {prefix}B" if prefix == "" else f"{n:.1f} {prefix}B"
        n /= 1000
    return f"{n:.1f} GB"  # pragma: no cover


class Progress:
    """A progress display of ``total`` units of work.

    Parameters
    ----------
    total : int
        Units of work (bytes with ``unit="B"``, steps otherwise).
    desc : str
        What is being done ("reading", "Building charts").
    unit : str
        ``"B"`` shows sizes in kB/MB; anything else shows counts.
    widget : bool, optional
        Force (True) or refuse (False) the ipywidgets bar; default: in a kernel.
    stream : file, optional
        Where text goes (default ``sys.stderr``).

    Examples
    --------
    >>> with Progress(3, "work", widget=False, stream=io.StringIO()) as bar:  # doctest: +SKIP
    ...     bar.update()
    """

    def __init__(self, total: int, desc: str, unit: str = "", *, widget: bool | None = None,
                 stream: Any = None) -> None:
        self.total = max(int(total), 0)
        self.n = 0
        self.desc = desc
        self.unit = unit
        self.closed = False
        self._stream = stream if stream is not None else sys.stderr
        self._last = 0.0
        self._bar: Any = None
        if widget is None:
            widget = in_kernel()
        if widget:
            self._bar = self._make_bar()
        if self._bar is None and self._tty():
            self._write(end="")

    def _make_bar(self) -> Any:
        try:
            import ipywidgets as w
            from IPython.display import display
        except ImportError:
            return None
        bar = w.IntProgress(value=0, min=0, max=max(self.total, 1), description=self.desc,
                            layout=w.Layout(width="50%"))
        display(bar)
        return bar

    def _tty(self) -> bool:
        isatty = getattr(self._stream, "isatty", None)
        try:
            return bool(isatty and isatty())
        except ValueError:  # closed stream
            return False

    def _line(self) -> str:
        pct = f" ({100 * self.n / self.total:.0f}%)" if self.total else ""
        return (f"{self.desc}: {_size(self.n, self.unit)} / {_size(self.total, self.unit)}"
                f"{pct}")

    def _write(self, end: str) -> None:
        try:
            self._stream.write(("\r" if self._tty() else "") + self._line() + end)
            self._stream.flush()
        except (OSError, ValueError):  # nowhere to write to: progress is optional
            pass

    def update(self, n: int = 1) -> None:
        """Record ``n`` more units done."""
        self.n += int(n)
        if self._bar is not None:
            self._bar.value = min(self.n, self._bar.max)
            return
        now = time.monotonic()
        if self._tty() and now - self._last >= _MIN_INTERVAL:
            self._last = now
            self._write(end="")

    def close(self) -> None:
        """Finish: the bar is removed, the text line ends."""
        if self.closed:
            return
        self.closed = True
        if self._bar is not None:
            self._bar.close()
            return
        self._write(end="\n")

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def track(items: Iterable[T], desc: str, total: int | None = None, *,
          widget: bool | None = None, stream: Any = None) -> Iterator[T]:
    """Iterate over ``items`` with a :class:`Progress` of one step per item."""
    if total is None:
        items = list(items)
        total = len(items)
    with Progress(total, desc, widget=widget, stream=stream) as bar:
        for item in items:
            yield item
            bar.update()
