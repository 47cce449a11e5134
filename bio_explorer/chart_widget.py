"""``ChartView``: one Altair chart rendered offline by the bundled vega-embed, clickable.

The spec travels as the private ``_spec`` trait (``chart.to_dict()``, data inlined and already
aggregated).  The front end listens to the chart's point selection parameter ``select`` and writes
the selected points to the public ``selection`` trait as field dicts, e.g.
``[{"label": "Library"}]``; Python may set ``selection`` to show the current filter.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import altair as alt
import anywidget
import traitlets

from .assets import asset
from .kernel_comm import route_to_main_shell

__all__ = ["ChartView", "SharedChartView"]

_MISSING_ESM = """
export default { render({ el }) {
  el.textContent = "bio_explorer: the chart bundle is missing (build it: cd js && npm run build).";
} };
"""


#: ESM of :class:`SharedChartView`: renders with the chart bundle a full :class:`ChartView` on the
#: page loaded (``globalThis.__bxChartView``), so the ~0.9 MB bundle is stored once per Explorer in
#: a notebook saved with its widget state.
SHARED_CHART_ESM = """
const WAIT_MS = 30000;
function lib() {
  const slot = (globalThis.__bxChartView ??= {});
  if (slot.api) return Promise.resolve(slot.api);
  return new Promise((resolve, reject) => {
    (slot.waiting ??= []).push(resolve);
    setTimeout(() => reject(new Error("the chart bundle did not load")), WAIT_MS);
  });
}
export default {
  async render(ctx) {
    let api;
    try { api = await lib(); } catch (err) {
      ctx.el.textContent =
        "bio_explorer: chart code not loaded (display the first chart of the Explorer too).";
      return;
    }
    return api.render(ctx);
  },
};
"""


def _spec_rows(spec: dict) -> int:
    """Inline data rows of a Vega-Lite spec (top-level ``data`` and ``datasets``)."""
    n = len(((spec.get("data") or {}).get("values")) or [])
    return n + sum(len(v) for v in (spec.get("datasets") or {}).values() if isinstance(v, list))


class ChartView(anywidget.AnyWidget):
    """Display an Altair chart without any CDN and report clicks on it.

    Parameters
    ----------
    chart : altair chart, optional
        The chart to show; it should carry a point selection parameter named ``"select"`` for
        :attr:`selection` to be reported (every builder in :mod:`bio_explorer.charts` does).

    Attributes
    ----------
    selection : list of dict
        The selected points as field dicts (``[]`` when cleared).  Set it to select from Python.
    """

    _esm = asset("chart_view.js", _MISSING_ESM)

    _spec = traitlets.Dict().tag(sync=True)
    selection = traitlets.List(traitlets.Dict()).tag(sync=True)

    def __init__(self, chart: alt.TopLevelMixin | None = None, **kwargs: Any) -> None:
        self._chart: alt.TopLevelMixin | None = None
        self._make_chart: Callable[[], alt.TopLevelMixin] | None = None
        super().__init__(**kwargs)
        route_to_main_shell(self)  # never dropped for a stale subshell id (reopened tab)
        if chart is not None:
            self.set_chart(chart)

    def __repr__(self) -> str:
        """The chart's title and data size, plus the selection (where widgets cannot render)."""
        spec = self._spec or {}
        title = spec.get("title")
        if isinstance(title, dict):
            title = title.get("text")
        rows = _spec_rows(spec)
        sel = f", selected {self.selection}" if self.selection else ""
        return (f"<bio_explorer ChartView: {title or 'chart'}"
                f"{f' ({rows:,} data rows)' if rows else ''}{sel}>")

    @property
    def chart(self) -> alt.TopLevelMixin | None:
        """The Altair chart currently shown (restyle it, save it, or put it in a report).

        When the spec was set with :meth:`set_spec`, the chart is built on first access.
        """
        if self._chart is None and self._make_chart is not None:
            self._chart, self._make_chart = self._make_chart(), None
        return self._chart

    @property
    def spec(self) -> dict:
        """The Vega-Lite spec currently shown (a copy is not made: do not mutate it)."""
        return self._spec

    def set_chart(self, chart: alt.TopLevelMixin) -> bool:
        """Show ``chart``; the spec is re-sent only when it differs from the one shown.

        Parameters
        ----------
        chart : altair chart

        Returns
        -------
        bool
            True when the spec changed (and the front end re-renders).
        """
        self._chart, self._make_chart = chart, None
        return self._show(chart.to_dict(validate=False))

    def set_spec(
        self,
        spec: dict,
        chart: alt.TopLevelMixin | Callable[[], alt.TopLevelMixin] | None = None,
    ) -> bool:
        """Show a Vega-Lite dict directly (no Altair on the way); re-sent only when it changed.

        Parameters
        ----------
        spec : dict
            A Vega-Lite spec such as ``chart.to_dict()``; it is not copied, do not mutate it later.
        chart : altair chart or callable returning one, optional
            What :attr:`chart` returns for this spec; a callable is called on first access only.

        Returns
        -------
        bool
            True when the spec changed (and the front end re-renders).
        """
        if callable(chart) and not isinstance(chart, alt.TopLevelMixin):
            self._chart, self._make_chart = None, chart
        else:
            self._chart, self._make_chart = chart, None
        return self._show(spec)

    def _show(self, spec: dict) -> bool:
        if spec == self._spec:
            return False
        self._spec = spec
        return True


class SharedChartView(ChartView):
    """A :class:`ChartView` whose front-end code is a stub using the bundle of a full ChartView.

    The Explorer shows its first chart as a :class:`ChartView` and the others as this class: the
    chart bundle travels (and is saved in a notebook's widget state) once per Explorer.
    """

    _esm = SHARED_CHART_ESM
