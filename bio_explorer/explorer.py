"""The Explorer dashboard: a summary header, linked Altair charts and the span view.

Linking runs in Python, through traitlets observers on the parts themselves, so it keeps working
when the parts are taken out and placed in a user's own ``HBox``/``VBox``:

* a click in a chart (its ``selection`` trait) rewrites the span view's ``query``: label bars →
  ``labels`` (shift-click adds), a transition cell → ``transition``, an anomaly bar → ``anomaly``
  (+ ``labels``), an inconsistency row → ``text`` with ``where="span"``;
* a change of the span view's ``query`` re-renders the charts for the matching sentences (the label
  chart draws them over grey whole-corpus bars) and shows the filter as the charts' selection;
* an edit in the span view (``_data_version``) refreshes the header and every chart.

Speed on large corpora:

* each chart's Vega-Lite dict is built with Altair once
  (:class:`~bio_explorer.charts.SpecTemplate`); a new filter only runs the polars aggregates and
  swaps the rows (and the sort orders, sizes and colour domains derived from them) into a copy of
  that dict, and a chart whose input frames did not change is not re-sent;
* the whole-corpus anomaly scan (with the consistency finder) and the inconsistency table take
  seconds on millions of tokens: the Explorer displays without them ("computing…" in the header
  and in their two charts) and a daemon thread computes them.  In a kernel the results show up by
  themselves (the thread hands them to the kernel's event loop; widgets are only touched there);
  in scripts and tests :meth:`Explorer.wait` (or a page request, which needs the anomalies) waits
  for them.  Results are tagged with the corpus version they were computed for and recomputed when
  the corpus changed meanwhile.
"""

from __future__ import annotations

import html
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar

import altair as alt
import ipywidgets as w
import polars as pl
import traitlets

from . import charts as ch
from .background import Coalescer, Run, Worker, running_loop
from .chart_widget import ChartView, SharedChartView
from .corpus import Corpus
from .kernel_comm import route_to_main_shell
from .messages import chart_selection
from .widget import SpanView

__all__ = ["CHART_NAMES", "Explorer", "ExplorerCharts", "explore", "inconsistency_sentences"]

#: The charts of the dashboard, in display order.
CHART_NAMES = ("labels", "transitions", "anomalies", "lengths", "inconsistencies")

# the query keys each chart writes when it is clicked (and clears when its selection is emptied)
_OWNED: dict[str, tuple[str, ...]] = {
    "labels": ("labels",),
    "lengths": ("labels",),
    "transitions": ("transition",),
    "anomalies": ("anomaly",),
    "inconsistencies": ("text", "where", "regex"),
}

_CHART_WIDTH = 340  # px: width of the placeholder shown while a chart is computed
_CHART_DELAY = 0.05  # s: debounce of chart re-renders in a kernel
_SLOW_DELAY = 0.8  # s: after the last edit, before the whole-corpus anomaly scan starts again
_BIG_CORPUS = 200_000  # tokens: show progress bars above this
_COMPUTING = "computing…"

# chart name → (SpecTemplate kind, public builder)
_KIND = {
    "labels": ("labels", ch.label_chart),
    "transitions": ("transitions", ch.transition_chart),
    "anomalies": ("anomalies", ch.anomaly_chart),
    "lengths": ("span_lengths", ch.span_length_chart),
    "inconsistencies": ("inconsistencies", ch.inconsistency_chart),
}
# charts drawn from the whole-corpus frames computed in the background
_SLOW_CHARTS = ("anomalies", "inconsistencies")


# ------------------------------------------------------------------------------ selection ↔ query
def _anomaly_kinds() -> tuple[str, ...]:
    from .analysis.anomalies import KINDS

    return tuple(KINDS)


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
        # one bar = one (kind, label): the filter selects exactly the occurrences it counts
        picked = [f"{d['kind']}:{d['label']}" if d.get("label") not in (None, "") else
                  str(d["kind"]) for d in selection
                  if isinstance(d, dict) and d.get("kind") not in (None, "")]
        if picked:
            out["anomaly"] = list(dict.fromkeys(picked))
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
        out = []
        for entry in query.get("anomaly", []):
            kind, _, label = entry.partition(":")
            out.append({"kind": kind, "label": label or None})
        return out
    if name == "inconsistencies":
        if query.get("where") == "span" and query.get("text") and not query.get("regex"):
            return [{"text": query["text"]}]
        return []
    raise ValueError(f"unknown chart {name!r}; expected one of {', '.join(CHART_NAMES)}")


def _same_points(a: list[dict], b: list[dict]) -> bool:
    """Selections equal as sets of points (order and missing null fields ignored)."""
    def norm(sel: list[dict]) -> set:
        return {tuple(sorted((str(k), repr(v)) for k, v in d.items() if v is not None))
                if isinstance(d, dict) else repr(d) for d in sel}

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
    corpus : Corpus or LazyCorpus
        The corpus to explore (edits made in the span view change it; a ``LazyCorpus`` keeps
        them in its overlay, see :mod:`bio_explorer.lazy_view`).
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
    ready : bool
        Whether the background computation (anomalies, inconsistencies) is done and shown; see
        :meth:`wait`.
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
        # what the Explorer asks of its corpus (versions, file names, aggregates, the span view)
        self._data = corpus_data(corpus)
        self._all_labels = corpus.labels()
        self._whole: dict[str, tuple[int, Any]] = {}
        self._templates = {
            name: ch.SpecTemplate(_KIND[name][0], **({} if name == "transitions" else
                                                     {"labels": self._all_labels}))
            for name in CHART_NAMES
        }
        self._chart_inputs: dict[str, tuple[pl.DataFrame, ...] | None] = {}
        self._header_view: Any = None  # a HeaderView, made when marimo displays the Explorer
        self._linking = False
        # in a kernel chart updates are debounced and run after the span page was answered
        self._rerender = Coalescer(self._render_charts, delay=_CHART_DELAY)
        # the header too: its whole-corpus figures (transitions…) must not delay the page reply
        self._reheader = Coalescer(self._render_header, delay=_CHART_DELAY)
        # anomalies (with the consistency finder) and the inconsistency table of the whole corpus
        # take seconds on large corpora: a daemon thread computes them after the first display
        self._slow = _SlowFrames(self._data, self._slow_done, self._warm_slow_charts)

        self.span_view = self._data.span_view(self._slow, query=query, page_size=page_size)
        self.header = w.HTML(layout=w.Layout(flex="1 1 auto"))
        self._clear_button = w.Button(
            description="Clear filter", icon="times", tooltip="Show the whole corpus again",
            layout=w.Layout(width="auto", flex="0 0 auto"),
        )
        self._clear_button.on_click(lambda _b: self.clear())
        self._inc_pick: tuple[dict, list[int]] | None = None  # (inconsistency row, sentence ids)
        self._majority_button = w.Button(
            icon="check", layout=w.Layout(width="auto", flex="0 0 auto", display="none"))
        self._majority_button.on_click(lambda _b: self.apply_majority())

        views: dict[str, ChartView] = {}
        steps = _progress(list(charts), progress, corpus, "Building charts")
        for name in steps:
            kind = SharedChartView if views else ChartView  # the chart bundle ships once
            view = kind(layout=w.Layout(flex="1 1 380px", min_width="300px", max_width="100%",
                                             overflow="auto", margin="4px 8px"))
            views[name] = view
            self._show_chart(name, view)
            view.selection = query_to_selection(name, self.span_view.query)
            view.observe(self._chart_clicked(name), names="selection")
        self.charts = ExplorerCharts(views)
        from .review_chart import ReviewChart

        # the review queue's suspects by label and finder (issue 13): a click filters the queue
        self.review_chart: ReviewChart | None = None  # None where suspects are not available
        if "review" not in self._data.unavailable:
            self.review_chart = ReviewChart(self.span_view, layout=w.Layout(
                flex="1 1 380px", min_width="300px", max_width="100%", overflow="auto",
                margin="4px 8px"), view_class=SharedChartView if views else ChartView)
        self._render_header()
        self._slow.start()

        self.span_view.observe(self._on_query, names="query")
        self.span_view.observe(self._on_data, names="_data_version")

        top = w.HBox([self.header, self._majority_button, self._clear_button],
                      layout=w.Layout(align_items="center", width="100%", flex_flow="row wrap"))
        extra = [self.review_chart.view] if self.review_chart is not None else []
        chart_box = w.Box([*views.values(), *extra], layout=w.Layout(
            display="flex", flex_flow="row wrap", align_items="flex-start", width="100%"))
        self.span_view.layout = w.Layout(width="100%")
        layout = kwargs.pop("layout", w.Layout(width="100%"))
        super().__init__([top, chart_box, self.span_view], layout=layout, **kwargs)
        self.add_class("bx-explorer")
        for part in (self, top, chart_box, self.header, self._clear_button,
                     self._majority_button):
            route_to_main_shell(part)

    # ------------------------------------------------------------------ text fallback
    def __repr__(self) -> str:
        """Summary line, filter, charts and first sentences (shown where widgets cannot render)."""
        from .text_fallback import first_sentences

        st = self._whole_stats()
        figures = ", ".join(f"{v:,} {_noun(k, v)}" if isinstance(v, int) else f"{k} {v}"
                            for k, v in st.items() if k != "files")
        lines = [f"<bio_explorer Explorer of {st['files']}: {figures}>"]
        if self.query:
            lines.append(f"filter {self.query}: {self.span_view.matching_sentences:,} sentences")
        lines.append("charts: " + ", ".join(name for name, _ in self.charts.items()))
        try:
            lines += first_sentences(self.filtered)
        except Exception:  # a bad regex: the summary alone
            pass
        return "\n".join(lines)

    def _repr_mimebundle_(self, **kwargs: Any) -> tuple[dict, dict]:
        from .text_fallback import with_text

        return with_text(super()._repr_mimebundle_(**kwargs), repr(self))

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

    @property
    def ready(self) -> bool:
        """True once the anomalies and inconsistencies of the current corpus are shown."""
        return self._slow.ready() and self._slow.applied()

    def clear(self) -> None:
        """Remove every filter: the span view and the charts show the whole corpus again."""
        self.span_view.query = {}

    def refresh(self) -> None:
        """Re-read the corpus after it was changed in code (edits, undo)."""
        self.span_view.refresh()

    def review(self, **query: list[str]) -> None:
        """Start reviewing the suspected errors in the span view (``labels=``/``finders=``)."""
        self.span_view.review(**query)

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the background computation (anomalies, inconsistencies) and show its results.

        The Explorer displays at once; the anomaly count of the header, the anomaly and
        inconsistency charts follow when a background thread has computed them (in a kernel they
        appear by themselves).  Scripts and tests call this to continue deterministically.

        Parameters
        ----------
        timeout : float, optional
            Seconds to wait at most (default: as long as it takes).

        Returns
        -------
        bool
            True when everything is shown for the current version of the corpus.
        """
        done = self._slow.wait(timeout)
        self._reheader.flush()
        self._rerender.flush()
        return done and self.ready

    def flush(self) -> None:
        """Finish pending work now: the background computation and a debounced chart update."""
        self.wait()

    @contextmanager
    def hold_updates(self) -> Iterator[None]:
        """Redraw the charts and the header once, when the ``with`` block ends.

        Inside the block, filter changes (a chart selection, ``span_view.query``) and edits only
        mark the charts and the header for a redraw; it runs when the block ends.  In a kernel the
        redraw follows the span page's reply anyway (it is debounced); outside one it runs at
        every change, and this block lets a script, test or benchmark make several changes, or
        answer a page request first, as the kernel would.

        Examples
        --------
        >>> import bio_explorer as bx
        >>> ex = bx.Explorer(bx.sample())                                    # doctest: +SKIP
        >>> with ex.hold_updates():                                          # doctest: +SKIP
        ...     ex.span_view.query = {"labels": ["Library"]}
        ...     ex.span_view.query = {"labels": ["Library", "Language"]}
        """
        with self._rerender.hold(), self._reheader.hold():
            yield

    # ------------------------------------------------------------------ linking
    def _chart_clicked(self, name: str) -> Callable[[dict], None]:
        def handler(change: dict) -> None:
            if self._linking:
                return
            try:  # a hostile selection gets an error bar, never an exception out of here
                points = chart_selection(name, change["new"], _anomaly_kinds())
                if name == "inconsistencies":
                    self._inconsistency_clicked(points)
                    return
                new = selection_to_query(name, points, self.span_view.query)
                if new != self.span_view.query:
                    self.span_view.query = new
            except (ValueError, traitlets.TraitError) as exc:
                self.span_view.report_error(str(exc))
                self._sync_selections()  # the chart shows the filter in force again

        return handler

    def _inconsistency_clicked(self, selection: list[dict]) -> None:
        """A row of the inconsistency table: show every occurrence it counts, the untagged
        dissenters included (a span-text search would miss those), and offer its majority."""
        texts = _values(selection, "text")
        query = {k: v for k, v in self.span_view.query.items()
                 if k not in ("sentences", *_OWNED["inconsistencies"])}
        row = None
        if texts:
            frames = self._slow.get()
            table = frames["inconsistencies"] if frames else self.corpus.inconsistencies()
            rows = table.filter(pl.col("text") == texts[-1])
            row = rows.row(0, named=True) if rows.height else None
        self._inc_pick = None
        if row is not None:
            version = self._version()
            hit = self._whole.get("occurrences")
            if hit is None or hit[0] != version:
                hit = (version, self.corpus.inconsistencies(occurrences=True))
                self._whole["occurrences"] = hit
            ids = inconsistency_sentences(self.corpus, row, hit[1])
            self._inc_pick = (row, ids)
            query["sentences"] = ids
        self._show_majority_button()
        if query != self.span_view.query:
            self.span_view.query = query

    def _show_majority_button(self) -> None:
        pick = self._inc_pick
        button = self._majority_button
        if pick is None:
            button.layout.display = "none"
            return
        row = pick[0]
        button.description = f"Apply majority ({row['majority']}) to '{row['text']}'"
        button.tooltip = (f"Relabel the occurrences of '{row['text']}' that disagree with the "
                          f"majority label {row['majority']} ({row['labels']}); undo with Ctrl+Z")
        button.layout.display = None

    def apply_majority(self) -> int:
        """Relabel the dissenting occurrences of the selected inconsistency row to its majority.

        Returns
        -------
        int
            Occurrences changed (0 when no row is selected).
        """
        if self._inc_pick is None:
            return 0
        row = self._inc_pick[0]
        preview = self.corpus.apply_inconsistency(row)
        n = preview.changes.height
        preview.apply()
        self._inc_pick = None
        self._show_majority_button()
        self.span_view.refresh()
        return n

    def _on_query(self, change: dict) -> None:
        self._slow.poll()
        self._sync_selections()
        self._reheader()
        self._rerender()

    def _on_data(self, change: dict) -> None:
        self._slow.poll()
        self._reheader()
        self._rerender()
        self._slow.start_after_edit()  # the corpus changed: anomalies recomputed in the background

    def _sync_selections(self) -> None:
        query = self.span_view.query
        pick = self._inc_pick
        if pick is not None and query.get("sentences") != pick[1]:
            self._inc_pick = pick = None  # the filter moved on
            self._show_majority_button()
        self._linking = True
        try:
            for name, view in self.charts.items():
                want = query_to_selection(name, query)
                if name == "inconsistencies" and pick is not None:
                    want = [{"text": pick[0]["text"]}]
                if not _same_points(want, view.selection):
                    view.selection = want
        finally:
            self._linking = False

    # ------------------------------------------------------------------ data
    def _version(self) -> int:
        return self._data.version()

    def _whole_frame(self, what: str) -> Any:
        """A whole-corpus analysis frame, memoised per data version."""
        version = self._version()
        hit = self._whole.get(what)
        if hit is not None and hit[0] == version:
            return hit[1]
        value = self._data.analysis(self.corpus, what)
        self._whole[what] = (version, value)
        return value

    def _frame(self, what: str, view: Corpus) -> Any:
        return self._whole_frame(what) if view is self.corpus else self._data.analysis(view, what)

    def _inputs(self, name: str) -> tuple[pl.DataFrame, ...] | None:
        """The aggregated frames chart ``name`` is drawn from, for the current query.

        ``None`` while the whole-corpus anomalies are still computed in the background.
        """
        view = self.span_view.filtered
        if name == "labels":
            frame = self._frame("label_counts", view)
            return (frame,) if view is self.corpus else (frame, self._whole_frame("label_counts"))
        if name == "transitions":
            return (self._frame("transitions", view),)
        if name == "lengths":  # under a filter, the whole corpus's rows keep the label order
            frame = self._frame("span_lengths", view)
            return (frame,) if view is self.corpus else (frame, self._whole_frame("span_lengths"))
        if self._slow.get() is None:
            return None
        if name == "anomalies":
            return (self._frame("anomaly_counts", view),)
        return (self._slow.get()["inconsistencies"],)  # a whole-corpus table

    def _show_chart(self, name: str, view: ChartView) -> bool:
        """Show chart ``name`` for the current query; nothing is done when its inputs are equal.

        The spec comes from the chart's :class:`~bio_explorer.charts.SpecTemplate`: Altair runs
        once, later filters only replace the data and the values derived from it.
        """
        reason = self._data.unavailable.get(name)
        if reason is not None:  # an analysis this corpus cannot run: say so, once
            if name in self._chart_inputs:
                return False
            self._chart_inputs[name] = ()
            return view.set_spec(_note_spec(name, reason))
        inputs = self._inputs(name)
        old = self._chart_inputs.get(name, ())
        if inputs is None:
            if old is None:
                return False
            if old and not self._slow.failed():
                return False  # recomputed after an edit: the last chart stays until then (no flash)
            self._chart_inputs[name] = None
            return view.set_spec(_pending_spec(name))
        if old and len(old) == len(inputs) and all(
            a.equals(b) for a, b in zip(old, inputs, strict=True)
        ):
            return False
        self._chart_inputs[name] = inputs
        spec = self._templates[name].spec(*inputs[:1], **_extra(name, inputs))
        return view.set_spec(spec, lambda: self._altair_chart(name, inputs))

    def _altair_chart(self, name: str, inputs: tuple[pl.DataFrame, ...]) -> alt.TopLevelMixin:
        """The Altair object of a chart (built on demand, for users: restyle, save, report)."""
        return self._templates[name].chart(*inputs[:1], **_extra(name, inputs))

    def _render_charts(self) -> None:
        self._slow.poll()
        for name, view in self.charts.items():
            self._show_chart(name, view)

    def _warm_slow_charts(self, frames: dict[str, pl.DataFrame]) -> None:
        """Background thread: build the Altair templates of the slow charts (no widget touched)."""
        shown = getattr(self, "charts", None)  # the thread may finish before __init__ does
        for name in _SLOW_CHARTS:
            if (shown is None or name in shown._views) and name not in self._data.unavailable:
                frame = frames["anomaly_counts" if name == "anomalies" else name]
                self._templates[name].spec(frame)

    def _slow_done(self) -> None:
        """Main thread, when the background computation finished: show its results."""
        if not hasattr(self, "charts"):  # still being constructed
            return
        frames = self._slow.get()  # restarts the computation if the corpus changed meanwhile
        if frames is not None:
            self._whole["anomaly_counts"] = (self._version(), frames["anomaly_counts"])
        self._render_header()
        self.span_view._refresh_kinds()
        for name in _SLOW_CHARTS:
            if name in self.charts._views:
                self._show_chart(name, self.charts[name])
        self.span_view._answer_waiting()

    def header_stats(self) -> dict[str, Any]:
        """The figures of the summary line as plain data (what :class:`HeaderView` shows).

        Returns
        -------
        dict
            ``files`` (str), ``cells`` (list of ``{"value", "noun"}`` for tokens, sentences,
            spans, labels, scheme, invalid transitions, anomalies) and ``note`` (the filter's
            "N of M sentences, K of L spans", or ``""`` without a filter).
        """
        whole = self._whole_stats()
        note = ""
        if self.span_view.query:
            sents, spans = self._filter_figures()
            note = (f"filter: {sents:,} of {whole['sentences']:,} sentences, "
                    f"{spans:,} of {whole['spans']:,} spans")
        return {
            "files": str(whole["files"]),
            "cells": [{"value": whole[k], "noun": _noun(k, whole[k])} for k in _HEADER_KEYS],
            "note": note,
        }

    def _filter_figures(self) -> tuple[int, int]:
        return (self.span_view.matching_sentences,
                sum(d["count"] for d in self.span_view.label_chips))

    def _display_(self) -> Any:
        """marimo's display hook: the same linked parts in marimo stacks (see marimo_layout)."""
        from .header_view import HeaderView
        from .marimo_layout import marimo_layout

        if self._header_view is None:
            self._header_view = HeaderView(on_clear=self.clear)
            self._header_view.show(self.header_stats())
        return marimo_layout({"header": self._header_view, "charts": list(self.charts),
                              "span_view": self.span_view})

    def _render_header(self) -> None:
        whole = self._whole_stats()
        view = self._filter_figures() if self.span_view.query else None
        self.header.value = header_html(whole, view)
        if self._header_view is not None:
            self._header_view.show(self.header_stats())

    def _whole_stats(self) -> dict[str, Any]:
        """Whole-corpus figures of the header, memoised per data version."""
        version = self._version()
        slow = self._slow.get()
        hit = self._whole.get("header")
        if hit is not None and hit[0] == (version, slow is not None):
            return hit[1]
        corpus = self.corpus
        trans = self._whole_frame("transitions")
        files = self._data.file_names()
        if slow is not None:
            anomalies: Any = int(slow["anomaly_counts"]["count"].sum())
        else:
            anomalies = "unavailable" if self._slow.failed() else _COMPUTING
        stats = {
            "files": ", ".join(files[:3]) + (f", … ({len(files)} files)" if len(files) > 3 else ""),
            "tokens": corpus.n_tokens,
            "sentences": len(corpus),
            # the span view's label counts, kept up to date per edit: no whole-corpus span rebuild
            "spans": sum(self.span_view.spans_per_label(corpus).values()),
            "labels": len(corpus.labels()),
            "scheme": corpus.scheme,
            "invalid transitions": int(trans.filter(~pl.col("valid"))["count"].sum())
            if trans.height else 0,
            "anomalies": anomalies,
        }
        self._whole["header"] = ((version, slow is not None), stats)
        return stats


def inconsistency_sentences(corpus: Corpus, row: dict,
                            occurrences: pl.DataFrame | None = None) -> list[int]:
    """Sentences with an occurrence of one ``inconsistencies()`` row's surface form.

    The tagged spans with that text (case-insensitively for a ``casefold`` row) and the dissenting
    occurrences the finder lists, untagged ones included (``occurrences``: the frame of
    ``corpus.inconsistencies(occurrences=True)`` when the caller has it).
    """
    text = str(row["text"])
    fold = row.get("variant") == "casefold"

    def same(col: str) -> pl.Expr:
        return pl.col(col).str.to_lowercase() == text.lower() if fold else pl.col(col) == text

    tagged = corpus.spans.filter(same("text"))["sentence"]
    occ = corpus.inconsistencies(occurrences=True) if occurrences is None else occurrences
    dissent = occ.filter(same("text") & (pl.col("variant") == row.get("variant", "exact")))
    ids = pl.concat([tagged.cast(pl.Int64), dissent["sentence"].cast(pl.Int64)])
    return ids.unique().sort().to_list()


def _extra(name: str, inputs: tuple[pl.DataFrame, ...]) -> dict[str, Any]:
    return {"base": inputs[1]} if name in ("labels", "lengths") and len(inputs) > 1 else {}


def _pending_spec(name: str) -> dict[str, Any]:
    """A small valid Vega-Lite spec standing for a chart whose data is still computed."""
    return _note_spec(name, f"{_COMPUTING} (large corpus: a few seconds)")


def _note_spec(name: str, note: str) -> dict[str, Any]:
    """A small valid Vega-Lite spec: the chart's title and one line of text instead of data."""
    titles = {"anomalies": "Anomalies per kind",
              "inconsistencies": "Inconsistently labelled surface forms"}
    return {
        "$schema": alt.SCHEMA_URL,
        "config": ch.THEME_CONFIG,
        "title": titles.get(name, name),
        "data": {"values": [{"note": note}]},
        "mark": {"type": "text", "align": "left", "baseline": "middle", "x": 0},
        "encoding": {"text": {"field": "note", "type": "nominal"}},
        "width": _CHART_WIDTH,
        "height": 30,
    }


# ------------------------------------------------------------------------------ background work
def _kernel_loop() -> Any:
    """The event loop of the IPython kernel running this code, or None outside a kernel.

    Only a kernel gets results pushed to it from the thread; elsewhere (scripts, tests, a browser
    test driving the widgets) everything happens when the caller asks (:meth:`Explorer.wait`, a
    page request), so nothing changes behind its back.
    """
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    shell = get_ipython()
    if shell is None or getattr(shell, "kernel", None) is None:
        return None
    return running_loop()


class _SlowFrames:
    """Whole-corpus frames too slow for the first display: a job on a :class:`Worker`.

    The worker's thread only computes (polars releases the GIL, the kernel stays responsive) and
    warms the chart templates; every widget is updated on the main thread: in a kernel the worker
    hands the run to the kernel's event loop, elsewhere :meth:`poll` / :meth:`wait` run
    ``on_done``.  Results are tagged with the corpus version they were computed for; an edit
    meanwhile makes the job compute again, and stale results are never shown.
    """

    def __init__(self, data: CorpusData, on_done: Callable[[], None],
                 warm: Callable[[dict[str, pl.DataFrame]], None]) -> None:
        # import the analysis modules here: importing them from two threads at once can fail
        from .analysis import anomalies, consistency  # noqa: F401

        self._data = data
        self._warm = warm
        self._lock = threading.Lock()
        self._computed = False  # a first result was computed (set by the worker's thread)
        self.worker = Worker(self._job, version=self._version, on_done=lambda run: on_done(),
                             loop=_kernel_loop(), name="bio_explorer-anomalies")

    @property
    def _loop(self) -> Any:
        return self.worker.loop

    def _version(self) -> int:
        return self._data.version()

    def _job(self, run: Run) -> dict[str, pl.DataFrame] | None:
        for _attempt in range(5):
            run.version = self._version()
            corpus = self._data.corpus
            frames = {"anomaly_counts": self._data.analysis(corpus, "anomaly_counts"),
                      "inconsistencies": self._data.analysis(corpus, "inconsistencies")}
            if self._version() == run.version:
                self._warm(frames)
                self._computed = True
                return frames
        return None

    def _current(self) -> Run | None:
        run = self.worker.result
        if run is not None and run.value is not None and run.version == self._version():
            return run
        return None

    def get(self) -> dict[str, pl.DataFrame] | None:
        """``anomaly_counts`` and ``inconsistencies`` of the current version, or None (yet)."""
        run = self._current()
        if run is not None:
            return run.value
        if not self.worker.pending:  # a start scheduled after an edit keeps its wait
            self.start()
        return None

    def ready(self) -> bool:
        return self._current() is not None

    def failed(self) -> bool:
        run = self.worker.failure
        return run is not None and run.version == self._version()

    def applied(self) -> bool:
        return not self.worker.unhandled() and not self.worker.busy()

    def first_pending(self) -> bool:
        """True until the first computation finished (after that, edits never blank anything)."""
        return not self._computed and self.worker.failure is None

    def busy(self) -> bool:
        return self.worker.busy()

    def start(self) -> None:
        """Start the job unless the results are current, it runs already, or it failed."""
        with self._lock:
            if self.ready() or self.busy() or self.failed():
                return
            self.worker.start()

    def start_after_edit(self) -> None:
        """After an edit: start the job :data:`_SLOW_DELAY` s after the last edit when an event
        loop runs (the page reply and the chart updates go first, without a whole-corpus scan
        competing for the CPU); at once without one."""
        if running_loop() is None:
            self.start()
        elif not self.failed():
            self.worker.schedule(_SLOW_DELAY)

    def poll(self) -> None:
        """Main thread: run ``on_done`` once per finished run."""
        self.worker.poll()

    def wait(self, timeout: float | None = None) -> bool:
        """Join the job (and a follow-up run after an edit), then :meth:`poll`."""
        self.start()
        while True:
            run = self.worker.run
            if not self.worker.wait(timeout):
                return False
            if self.worker.run is run:
                return self.ready()


class _ExplorerSpanView(SpanView):
    """The Explorer's span view: it leaves the first whole-corpus anomaly scan to the background.

    Until the first scan is done the anomaly-kind counts are empty, and page requests (the page
    shows the anomalies of each sentence) wait: in a kernel they are answered when the thread is
    done, without blocking the kernel; elsewhere they wait for the thread.
    """

    def __init__(self, corpus: Corpus, slow: _SlowFrames, **kwargs: Any) -> None:
        self._slow = slow
        super().__init__(corpus, **kwargs)

    def _kind_counts(self, view: Corpus) -> list[dict]:
        if self._slow.first_pending():
            return []
        return super()._kind_counts(view)

    def _refresh_kinds(self) -> None:
        try:
            view = self._view(self.query)
        except Exception:
            return
        self._anomaly_kinds = self._kind_counts(view)

    def _view(self, query: dict) -> Corpus:
        if query.get("anomaly") and self._slow.busy():
            self._slow.wait()  # the filter needs the anomalies: share the thread's work
        return super()._view(query)

    def _answer_pending(self) -> None:
        if self._slow.first_pending():
            self._slow.start()
            if self._slow._loop is not None:
                return  # in a kernel: answered by _answer_waiting when the thread is done
            self._slow.wait()
        super()._answer_pending()

    def _answer_waiting(self) -> None:
        if self._pending:
            self._answer_pending()


def _analysis(corpus: Corpus, what: str) -> pl.DataFrame:
    """One aggregated analysis frame of ``corpus`` (never raw token rows)."""
    if what == "anomaly_counts":
        from .analysis.anomalies import kind_label_counts

        return kind_label_counts(corpus.anomalies())
    return getattr(corpus, what)()


class CorpusData:
    """What the Explorer needs from its corpus, for an eager :class:`~bio_explorer.Corpus`.

    The Explorer asks its corpus only for aggregates and pages; this adapter (and
    :class:`bio_explorer.lazy_view.LazyExplorerData` for a ``LazyCorpus``) says how.

    Attributes
    ----------
    corpus : Corpus
    unavailable : dict
        Analyses this corpus cannot run (``"inconsistencies"`` chart, ``"review"`` chart) →
        the message shown instead.
    """

    unavailable: ClassVar[dict[str, str]] = {}

    def __init__(self, corpus: Corpus) -> None:
        self.corpus = corpus

    def version(self) -> int:
        """The corpus's data version."""
        return self.corpus.state.version

    def file_names(self) -> list[str]:
        """Names of the files the corpus was read from."""
        return [f.name for f in self.corpus.state.files]

    def analysis(self, view: Corpus, what: str) -> pl.DataFrame:
        """One aggregated frame of ``view`` (``label_counts``, ``transitions``,
        ``span_lengths``, ``anomaly_counts``, ``inconsistencies``)."""
        return _analysis(view, what)

    def span_view(self, slow: _SlowFrames, **kwargs: Any) -> SpanView:
        """The Explorer's span view of the corpus."""
        return _ExplorerSpanView(self.corpus, slow, **kwargs)


def corpus_data(corpus: Any) -> Any:
    """The Explorer's adapter of ``corpus``: :class:`CorpusData` or ``LazyExplorerData``."""
    from .lazy import LazyCorpus

    if isinstance(corpus, LazyCorpus):
        from .lazy_view import LazyExplorerData

        return LazyExplorerData(corpus)
    return CorpusData(corpus)


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

    keys = _HEADER_KEYS
    cells = "".join(
        f"<span class='bx-stat' style='margin-right:1.2em;white-space:nowrap'>"
        f"<b>{html.escape(fmt(stats[k]))}</b> {html.escape(_noun(k, stats[k]))}</span>"
        for k in keys
    )
    note = ""
    if view is not None:
        note = (f"<div class='bx-filter-note' style='opacity:.8'>filter: "
                f"<b>{view[0]:,}</b> of {stats['sentences']:,} sentences, "
                f"<b>{view[1]:,}</b> of {stats['spans']:,} spans</div>")
    return (f"<div class='bx-header'><div style='font-weight:600'>"
            f"{html.escape(str(stats['files']))}</div>"
            f"<div style='display:flex;flex-wrap:wrap'>{cells}</div>{note}</div>")


_HEADER_KEYS = ("tokens", "sentences", "spans", "labels", "scheme", "invalid transitions",
                "anomalies")
_SINGULAR = {"tokens": "token", "sentences": "sentence", "spans": "span", "labels": "label",
             "invalid transitions": "invalid transition", "anomalies": "anomaly"}


def _noun(key: str, value: Any) -> str:
    """``"1 anomaly"`` but ``"2 anomalies"``."""
    return _SINGULAR.get(key, key) if value == 1 else key


def _progress(items: list[str], progress: bool | None, corpus: Corpus, desc: str) -> Any:
    if progress is None:
        progress = corpus.n_tokens > _BIG_CORPUS
    if not progress:
        return items
    from .progress import track

    return track(items, desc)


def explore(corpus_or_path: Corpus | str | os.PathLike | Any, *, query: dict | None = None,
            page_size: int = 50, charts: tuple[str, ...] | list[str] = CHART_NAMES,
            **read_kwargs: Any) -> Explorer:
    """Open the Explorer on a corpus, or read a file (path, glob, list, DataFrame) first.

    Parameters
    ----------
    corpus_or_path : Corpus, LazyCorpus, path, glob, list of paths or DataFrame
        What to explore; anything but a ``Corpus`` or a ``LazyCorpus`` (:func:`bio_explorer.scan`:
        charts from merged aggregates, pages by pushdown, edits in its overlay; see
        :mod:`bio_explorer.lazy_view`) goes through :func:`bio_explorer.read`.
        Reading and building the charts show progress (an ipywidgets bar in a notebook, a line
        on stderr elsewhere; see :mod:`bio_explorer.progress`); pass ``progress=False`` to hide
        it, for a ``Corpus`` too.
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
    from .lazy import LazyCorpus

    if isinstance(corpus_or_path, (Corpus, LazyCorpus)):
        progress = read_kwargs.pop("progress", None)  # accepted: it governs the chart progress
        if read_kwargs:
            raise TypeError(f"read options {sorted(read_kwargs)} need a path, not a "
                            f"{type(corpus_or_path).__name__}")
        corpus = corpus_or_path
    else:
        from .reading import read

        read_kwargs.setdefault("progress", True)
        progress = read_kwargs["progress"]
        if "journal" not in read_kwargs and isinstance(corpus_or_path, (str, os.PathLike)):
            # an unsaved session that crashed left a journal: replay it
            from .journal import JOURNAL_SUFFIX, auto_journal_path

            first = Path(corpus_or_path)
            for candidate in (auto_journal_path(first),
                              first.with_name(first.name + JOURNAL_SUFFIX)):
                if candidate.exists() and candidate.stat().st_size > 0:
                    read_kwargs["journal"] = candidate
                    break
        corpus = read(corpus_or_path, **read_kwargs)
        if corpus.unsaved:
            import warnings

            warnings.warn(
                f"restored {corpus.unsaved} unsaved edit(s) of an earlier session from "
                f"{read_kwargs['journal']}; Save (or corpus.write()) keeps them, undo removes them",
                stacklevel=3,
            )
    return Explorer(corpus, query=query, page_size=page_size, charts=charts,
                    progress=False if progress is False else None)
