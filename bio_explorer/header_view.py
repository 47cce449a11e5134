"""``HeaderView``: the Explorer's summary line and "Clear filter" button as one anywidget.

JupyterLab shows the Explorer as an ipywidgets box whose header is an ``ipywidgets.HTML``. Front
ends that display anywidgets but not ipywidgets layouts (marimo) get this widget instead: Python
keeps the plain figures in the private ``_stats`` trait and the front end renders them as text.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import anywidget
import traitlets

__all__ = ["HeaderView"]

_BUNDLE = Path(__file__).parent / "static" / "header_view.js"


class HeaderView(anywidget.AnyWidget):
    """The summary of a corpus (and of the current filter) with a "Clear filter" button.

    Parameters
    ----------
    on_clear : callable, optional
        Called (without arguments) when the user presses "Clear filter".

    Notes
    -----
    ``_stats`` holds ``{"files": str, "cells": [{"value": int | str, "noun": str}, ...],
    "note": str}``; it is set by the Explorer, never by the browser.
    """

    _esm = _BUNDLE
    _stats = traitlets.Dict().tag(sync=True)

    def __init__(self, on_clear: Callable[[], None] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._on_clear = on_clear
        self.on_msg(self._handle)

    def _handle(self, _widget: Any, content: Any, _buffers: Any) -> None:
        if isinstance(content, dict) and content.get("type") == "clear" and self._on_clear:
            self._on_clear()

    def show(self, stats: dict[str, Any]) -> None:
        """Show new figures (the dict described in the class notes)."""
        self._stats = stats
