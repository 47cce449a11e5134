"""The Explorer dashboard: a summary header, linked Altair charts and the span view.

Linking runs in Python, through traitlets observers on the parts themselves, so it keeps working
when the parts are taken out and placed in a user's own ``HBox``/``VBox``:

* a click in a chart (its ``selection`` trait) rewrites the span view's ``query``: label bars →
  ``labels`` (shift-click adds), a transition cell → ``transition``, an anomaly bar → ``anomaly``
  (+ ``labels``), an inconsistency row → ``text`` with ``where="span"``;
* a change of the span view's ``query`` re-renders the charts for the matching sentences (the label
  chart draws them over grey whole-corpus bars) and shows the filter as the charts' selection;
* an edit in the span view (``_data_version``) refreshes the header and every chart.
"""

from __future__ import annotations

import html
import os
from collections.abc import Callable, Iterator
from typing import Any

import altair as alt
import ipywidgets as w
import polars as pl

from . import charts as ch
from .chart_widget import ChartView
from .corpus import Corpus
from .widget import SpanView, _Coalescer

__all__ = ["CHART_NAMES", "Explorer", "ExplorerCharts", "explore"]

#: The charts of the dashboard, in display order.
CHART_NAMES = ("labels", "transitions", "anomalies", "lengths", "inconsistencies")

# the query keys each chart writes when it is clicked (and clears when its selection is emptied)
_OWNED: dict[str, tuple[str, ...]] = {
    "labels": ("labels",),
    "lengths": ("labels",),
    "transitions": ("transition",),
    "anomalies": ("anomaly", "labels"),
    "inconsistencies": ("text", "where", "regex"),
}

_CHART_WIDTH = 340  # px: plot width of charts that ask for the container's width
_CHART_DELAY = 0.05  # s: debounce of chart re-renders in a kernel
_BIG_CORPUS = 200_000  # tokens: show progress bars above this


# ------------------------------------------------------------------------------ selection ↔ query
def _values(selection: list[dict], field: str) -> list[str]:
    """Distinct non-empty values of ``field`` in a chart selection, in click order."""
    out = [d.get(field) for d in selection if isinstance(d, dict)]
    return list(dict.fromkeys(str(v) for v in out if v not in (None, "")))


def selection_to_query(name: str, selection: list[dict], query: dict) -> dict:
    """The span-view query after a click in chart ``name``.

    Parameters
    ----------
    name : str
        One of :data:`CHART_NAMES`.
    selection : list of dict
        The chart's selected points (field dicts).
    query : dict
        The current query; the keys owned by this chart are replaced, others kept.

    Returns
    -------
    dict
        A new query dict.
    """
    out = {k: v for k, v in query.items() if k not in _OWNED[name]}
    if name in ("labels", "lengths"):
        labels = _values(selection, "label")
        if labels:
            out["labels"] = labels
    elif name == "transitions":
        pairs = [(d.get("prev_tag"), d.get("tag")) for d in selection
                 if d.get("prev_tag") is not None and d.get("tag") is not None]
        if pairs:  # the filter takes one cell: the one clicked last
            out["transition"] = [str(pairs[-1][0]), str(pairs[-1][1])]
    elif name == "anomalies":
        kinds, labels = _values(selection, "kind"), _values(selection, "label")
        if kinds:
            out["anomaly"] = kinds
            if labels:
                out["labels"] = labels
    elif name == "inconsistencies":
        texts = _values(selection, "text")
        if texts:
            out["text"], out["where"] = texts[-1], "span"
    return out


def query_to_selection(name: str, query: dict) -> list[dict]:
    """The points chart ``name`` shows as selected for ``query`` (the inverse of the above)."""
    if name in ("labels", "lengths"):
        return [{"label": lab} for lab in query.get("labels", [])]
    if name == "transitions":
        t = query.get("transition")
        return [{"prev_tag": t[0], "tag": t[1]}] if t else []
    if name == "anomalies":
        kinds = query.get("anomaly", [])
        labels = query.get("labels") or [None]
        return [{"kind": k, "label": lab} for k in kinds for lab in labels]
    if name == "inconsistencies":
        if query.get("where") == "span" and query.get("text") and not query.get("regex"):
            return [{"text": query["text"]}]
        return []
    raise ValueError(f"unknown chart {name!r}; expected one of {', '.join(CHART_NAMES)}")


def _same_points(a: list[dict], b: list[dict]) -> bool:
    """Selections equal as sets of points (order and missing null fields ignored)."""
    def norm(sel: list[dict]) -> set:
        return {tuple(sorted((k, v) for k, v in d.items() if v is not None)) for d in sel}

    return norm(a) == norm(b)


# ---------------------------------------------------------------------------------- parts
class ExplorerCharts:
    """The chart parts of an :class:`Explorer`: ``labels``, ``transitions``, ``anomalies``,
    ``lengths`` and ``inconsistencies`` (each a :class:`~bio_explorer.chart_widget.ChartView`)."""

    def __init__(self, views: dict[str, ChartView]) -> None:
        self._views = dict(views)
        for name, view in views.items():
            setattr(self, name, view)

    labels: ChartView
    transitions: ChartView
    anomalies: ChartView
    lengths: ChartView
    inconsistencies: ChartView

    def __iter__(self) -> Iterator[ChartView]:
        return iter(self._views.values())

    def items(self) -> list[tuple[str, ChartView]]:
        """``(name, view)`` pairs in display order."""
        return list(self._views.items())

    def __getitem__(self, name: str) -> ChartView:
        return self._views[name]

    def __len__(self) -> int:
        return len(self._views)


class Explorer(w.VBox):
    """Summary header, linked charts and the span view of a corpus, as one ipywidgets box.

    Display it directly in a notebook, or take its parts (:attr:`header`, :attr:`charts`,
    :attr:`span_view`) and place them in your own layout: the linking lives in the parts.

    Parameters
    ----------
    corpus : Corpus
        The corpus to explore (edits made in the span view change it).
    query : dict, optional
        Initial filter of the span view.
    page_size : int, default 50
        Sentences per page of the span view.
    charts : sequence of str, optional
        Which charts to show, among :data:`CHART_NAMES` (default: all).
    progress : bool, optional
        Show a progress bar while the charts are computed (default: for corpora above 200k tokens).

    Attributes
    ----------
    span_view : SpanView
    charts : ExplorerCharts
        ``charts.labels``, ``charts.transitions``, ``charts.anomalies``, ``charts.lengths``,
        ``charts.inconsistencies``.
    header : ipywidgets.HTML
    """

    def __init__(self, corpus: Corpus, query: dict | None = None, page_size: int = 50,
                 charts: tuple[str, ...] | list[str] = CHART_NAMES, progress: bool | None = None,
                 **kwargs: Any) -> None:
        unknown = [c for c in charts if c not in CHART_NAMES]
        if unknown:
            raise ValueError(
                f"unknown chart(s) {unknown}; expected some of {', '.join(CHART_NAMES)}"
            )
        self.corpus = corpus
        self._all_labels = corpus.labels()
        self._whole: dict[str, tuple[int, Any]] = {}
        self._chart_cache: dict[str, tuple[tuple[pl.DataFrame, ...], alt.TopLevelMixin]] = {}
        self._linking = False
        # in a kernel chart updates are debounced and run after the span page was answered
        self._rerender = _Coalescer(self._render_charts, delay=_CHART_DELAY)

        self.span_view = SpanView(corpus, query=query, page_size=page_size)
        self.header = w.HTML(layout=w.Layout(flex="1 1 auto"))
        self._clear_button = w.Button(
            description="Clear filter", icon="times", tooltip="Show the whole corpus again",
            layout=w.Layout(width="auto", flex="0 0 auto"),
        )
        self._clear_button.on_click(lambda _b: self.clear())

        views: dict[str, ChartView] = {}
        steps = _progress(list(charts), progress, corpus, "Building charts")
        for name in steps:
            view = ChartView(layout=w.Layout(flex="1 1 380px", min_width="300px", max_width="100%",
                                             overflow="auto", margin="4px 8px"))
            view.set_chart(self._build(name))
            view.selection = query_to_selection(name, self.span_view.query)
            view.observe(self._chart_clicked(name), names="selection")
            views[name] = view
        self.charts = ExplorerCharts(views)
        self._render_header()

        self.span_view.observe(self._on_query, names="query")
        self.span_view.observe(self._on_data, names="_data_version")

        top = w.HBox([self.header, self._clear_button],
                      layout=w.Layout(align_items="center", width="100%", flex_flow="row wrap"))
        chart_box = w.Box(list(views.values()), layout=w.Layout(
            display="flex", flex_flow="row wrap", align_items="flex-start", width="100%"))
        self.span_view.layout = w.Layout(width="100%")
        layout = kwargs.pop("layout", w.Layout(width="100%"))
        super().__init__([top, chart_box, self.span_view], layout=layout, **kwargs)
        self.add_class("bx-explorer")

    # ------------------------------------------------------------------ public
    @property
    def query(self) -> dict:
        """The current filter (the span view's ``query``); set it to filter everything."""
        return self.span_view.query

    @query.setter
    def query(self, value: dict) -> None:
        self.span_view.query = value

    @property
    def filtered(self) -> Corpus:
        """The corpus view matching the current filter."""
        return self.span_view.filtered

    def clear(self) -> None:
        """Remove every filter: the span view and the charts show the whole corpus again."""
        self.span_view.query = {}

    def refresh(self) -> None:
        """Re-read the corpus after it was changed in code (edits, undo)."""
        self.span_view.refresh()

    # ------------------------------------------------------------------ linking
    def _chart_clicked(self, name: str) -> Callable[[dict], None]:
        def handler(change: dict) -> None:
            if self._linking:
                return
            new = selection_to_query(name, list(change["new"] or []), self.span_view.query)
            if new != self.span_view.query:
                self.span_view.query = new

        return handler

    def _on_query(self, change: dict) -> None:
        self._sync_selections()
        self._render_header()
        self._rerender()

    def _on_data(self, change: dict) -> None:
        self._render_header()
        self._rerender()

    def _sync_selections(self) -> None:
        query = self.span_view.query
        self._linking = True
        try:
            for name, view in self.charts.items():
                want = query_to_selection(name, query)
                if not _same_points(want, view.selection):
                    view.selection = want
        finally:
            self._linking = False

    # ------------------------------------------------------------------ data
    def _version(self) -> int:
        return self.corpus._state.version

    def _whole_frame(self, what: str) -> Any:
        """A whole-corpus analysis frame, memoised per data version."""
        version = self._version()
        hit = self._whole.get(what)
        if hit is not None and hit[0] == version:
            return hit[1]
        value = _analysis(self.corpus, what)
        self._whole[what] = (version, value)
        return value

    def _frame(self, what: str, view: Corpus) -> Any:
        return self._whole_frame(what) if view is self.corpus else _analysis(view, what)

    def _inputs(self, name: str) -> tuple[pl.DataFrame, ...]:
        """The aggregated frames chart ``name`` is drawn from, for the current query."""
        view = self.span_view.filtered
        if name == "labels":
            frame = self._frame("label_counts", view)
            return (frame,) if view is self.corpus else (frame, self._whole_frame("label_counts"))
        if name == "transitions":
            return (self._frame("transitions", view),)
        if name == "anomalies":
            return (self._frame("anomaly_counts", view),)
        if name == "lengths":
            return (self._frame("span_lengths", view),)
        return (self._whole_frame("inconsistencies"),)  # a whole-corpus table

    def _build(self, name: str) -> alt.TopLevelMixin:
        """Chart ``name`` for the current query; Altair runs only when its input frames changed."""
        inputs = self._inputs(name)
        hit = self._chart_cache.get(name)
        if hit is not None and len(hit[0]) == len(inputs) and all(
            a.equals(b) for a, b in zip(hit[0], inputs, strict=True)
        ):
            return hit[1]
        labels = self._all_labels
        if name == "labels":
            base = inputs[1] if len(inputs) > 1 else None
            chart = ch.label_chart(inputs[0], base=base, labels=labels)
        elif name == "transitions":
            chart = ch.transition_chart(inputs[0])
        elif name == "anomalies":
            chart = ch.anomaly_chart(inputs[0], labels=labels)
        elif name == "lengths":
            chart = ch.span_length_chart(inputs[0], labels=labels)
        else:
            chart = ch.inconsistency_chart(inputs[0], labels=labels)
        if getattr(chart, "width", None) == "container":
            # vega-embed measures a "container" width once, when the chart is drawn; in JupyterLab
            # the output element may not be attached yet (width 0), so the dashboard uses a fixed
            # width and lets the flex-wrap layout place the charts
            chart = chart.properties(width=_CHART_WIDTH)
        self._chart_cache[name] = (inputs, chart)
        return chart

    def _render_charts(self) -> None:
        for name, view in self.charts.items():
            view.set_chart(self._build(name))

    def flush(self) -> None:
        """Apply a pending (debounced) chart update now."""
        self._rerender.flush()

    def _render_header(self) -> None:
        whole = self._whole_stats()
        view = None
        if self.span_view.query:
            view = (self.span_view.matching_sentences,
                    sum(d["count"] for d in self.span_view._labels))
        self.header.value = header_html(whole, view)

    def _whole_stats(self) -> dict[str, Any]:
        """Whole-corpus figures of the header, memoised per data version."""
        version = self._version()
        hit = self._whole.get("header")
        if hit is not None and hit[0] == version:
            return hit[1]
        corpus = self.corpus
        trans = self._whole_frame("transitions")
        anomalies = self._whole_frame("anomaly_counts")
        files = [f.name for f in corpus._state.files]
        stats = {
            "files": ", ".join(files[:3]) + (f", … ({len(files)} files)" if len(files) > 3 else ""),
            "tokens": corpus.n_tokens,
            "sentences": len(corpus),
            "spans": corpus.spans.height,
            "labels": len(corpus.labels()),
            "scheme": corpus.scheme,
            "invalid transitions": int(trans.filter(~pl.col("valid"))["count"].sum())
            if trans.height else 0,
            "anomalies": int(anomalies["count"].sum()) if anomalies.height else 0,
        }
        self._whole["header"] = (version, stats)
        return stats


def _analysis(corpus: Corpus, what: str) -> pl.DataFrame:
    """One aggregated analysis frame of ``corpus`` (never raw token rows)."""
    if what == "anomaly_counts":
        found = corpus.anomalies()
        return found.group_by("kind", "label").agg(pl.len().alias("count")).sort("kind", "label")
    return getattr(corpus, what)()


def header_html(stats: dict[str, Any], view: tuple[int, int] | None = None) -> str:
    """The summary line of the Explorer (every value escaped).

    Parameters
    ----------
    stats : dict
        ``files``, ``tokens``, ``sentences``, ``spans``, ``labels``, ``scheme``,
        ``invalid transitions``, ``anomalies`` of the whole corpus.
    view : (sentences, spans), optional
        Figures of the current filter, shown as "N of M".
    """
    def fmt(v: Any) -> str:
        return f"{v:,}" if isinstance(v, int) else str(v)

    keys = ("tokens", "sentences", "spans", "labels", "scheme", "invalid transitions", "anomalies")
    cells = "".join(
        f"<span class='bx-stat' style='margin-right:1.2em;white-space:nowrap'>"
        f"<b>{html.escape(fmt(stats[k]))}</b> {html.escape(k)}</span>" for k in keys
    )
    note = ""
    if view is not None:
        note = (f"<div class='bx-filter-note' style='opacity:.8'>filter: "
                f"<b>{view[0]:,}</b> of {stats['sentences']:,} sentences, "
                f"<b>{view[1]:,}</b> of {stats['spans']:,} spans</div>")
    return (f"<div class='bx-header'><div style='font-weight:600'>"
            f"{html.escape(str(stats['files']))}</div>"
            f"<div style='display:flex;flex-wrap:wrap'>{cells}</div>{note}</div>")


def _progress(items: list[str], progress: bool | None, corpus: Corpus, desc: str) -> Any:
    if progress is None:
        progress = corpus.n_tokens > _BIG_CORPUS
    if not progress:
        return items
    from tqdm.auto import tqdm

    return tqdm(items, desc=desc, leave=False)


def explore(corpus_or_path: Corpus | str | os.PathLike | Any, *, query: dict | None = None,
            page_size: int = 50, charts: tuple[str, ...] | list[str] = CHART_NAMES,
            **read_kwargs: Any) -> Explorer:
    """Open the Explorer on a corpus, or read a file (path, glob, list, DataFrame) first.

    Parameters
    ----------
    corpus_or_path : Corpus, path, glob, list of paths or DataFrame
        What to explore; anything but a ``Corpus`` goes through :func:`bio_explorer.read`, with a
        progress bar (pass ``progress=False`` to hide it).
    query : dict, optional
        Initial filter of the span view.
    page_size : int, default 50
    charts : sequence of str
        Charts to show (default: all of :data:`CHART_NAMES`).
    **read_kwargs
        Passed to :func:`bio_explorer.read` (``format``, ``sep``, ``scheme``, ``tag_col``, ...).

    Returns
    -------
    Explorer
    """
    if isinstance(corpus_or_path, Corpus):
        if read_kwargs:
            raise TypeError(f"read options {sorted(read_kwargs)} need a path, not a Corpus")
        corpus = corpus_or_path
        progress = None
    else:
        from .io import read

        read_kwargs.setdefault("progress", True)
        progress = read_kwargs["progress"]
        corpus = read(corpus_or_path, **read_kwargs)
    return Explorer(corpus, query=query, page_size=page_size, charts=charts,
                    progress=None if progress else False)
