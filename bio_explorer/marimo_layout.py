"""The Explorer laid out for marimo: its anywidget parts in marimo's own stacks.

marimo renders anywidgets (through ``mo.ui.anywidget``) but not ipywidgets containers, so the
Explorer's ``VBox`` would show "Jupyter widgets are not supported".  :func:`marimo_layout` places
the same linked parts — a :class:`~bio_explorer.header_view.HeaderView`, every chart and the span
view — in ``mo.vstack``/``mo.hstack``.  The linking lives in the parts' traits, so a chart click
still filters the span view.  marimo is imported only when this runs.
"""

from __future__ import annotations

from typing import Any

__all__ = ["marimo_layout"]


def marimo_layout(parts: dict[str, Any]) -> Any:
    """Arrange an Explorer's parts for marimo.

    Parameters
    ----------
    parts : dict
        ``header`` (a HeaderView), ``charts`` (a list of ChartView) and ``span_view``.

    Returns
    -------
    marimo Html
        A vertical stack: header, the charts in a wrapping row, the span view.
    """
    import marimo as mo

    # a chart fits its container's width: give each one a flexible box of its own (as the
    # ipywidgets layout does in Jupyter), or it would measure 0 px inside the wrapping row
    charts = [mo.ui.anywidget(view).style({"flex": "1 1 380px", "min-width": "300px",
                                            "max-width": "100%", "overflow": "auto"})
              for view in parts["charts"]]
    return mo.vstack([
        mo.ui.anywidget(parts["header"]),
        mo.hstack(charts, wrap=True, justify="start", align="start", widths="equal"),
        mo.ui.anywidget(parts["span_view"]),
    ])
