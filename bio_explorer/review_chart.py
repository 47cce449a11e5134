"""The Explorer's chart of the review queue: pending suspects by label and finder, clickable.

The counts are aggregated in polars (label × finder → count) before Altair sees them.  A click on
a bar segment filters the span view's review queue (its ``review_query``: that label and that
finder) and enters "Review" mode; clearing the selection shows the whole queue again.  The chart
follows every decision (the span view's ``review_version``) and every edit.
"""

from __future__ import annotations

from typing import Any

import altair as alt
import polars as pl

from . import review as rv
from .chart_widget import ChartView
from .charts import SELECTION_NAME, THEME_CONFIG, apply_theme

__all__ = ["ReviewChart", "suspect_chart", "suspect_counts"]

_WIDTH = 340


def suspect_counts(frame: pl.DataFrame) -> pl.DataFrame:
    """Suspects per current ``label`` and ``finder`` (``count``), most frequent label first.

    Parameters
    ----------
    frame : pl.DataFrame
        A suspects frame (``Corpus.suspects()``) or the pending queue (``Corpus.review_queue()``).
    """
    if frame.height == 0:
        return pl.DataFrame(schema={"label": pl.String, "finder": pl.String, "count": pl.UInt32,
                                    "label_total": pl.UInt32})
    counts = frame.group_by("label", "finder").agg(pl.len().cast(pl.UInt32).alias("count"))
    return counts.with_columns(pl.col("count").sum().over("label").alias("label_total")).sort(
        ["label_total", "label", "count"], descending=[True, False, True])


def suspect_chart(counts: pl.DataFrame, *, themed: bool = True,
                  title: str = "Suspected errors to review") -> alt.Chart:
    """Horizontal bars: suspects per label (``O``: untagged text), stacked and coloured by finder.

    Parameters
    ----------
    counts : pl.DataFrame
        ``label``, ``finder``, ``count`` (see :func:`suspect_counts`).
    themed : bool
        Apply :func:`bio_explorer.charts.apply_theme`.
    title : str

    Returns
    -------
    alt.Chart
        With the point selection parameter ``"select"`` over ``["label", "finder"]``.
    """
    order = counts.unique("label", maintain_order=True)["label"].to_list()
    select = alt.selection_point(name=SELECTION_NAME, fields=["label", "finder"])
    total = int(counts["count"].sum()) if counts.height else 0
    chart = (
        alt.Chart(alt.Data(values=counts.select("label", "finder", "count").to_dicts()))
        .mark_bar()
        .encode(
            x=alt.X("count:Q", title="Suspects", stack="zero"),
            y=alt.Y("label:N", sort=order, title="Label now"),
            color=alt.Color("finder:N", title="Finder",
                            legend=alt.Legend(symbolType="square", orient="bottom")),
            opacity=alt.when(select).then(alt.value(1.0)).otherwise(alt.value(0.3)),
            tooltip=[alt.Tooltip("label:N", title="Label"), alt.Tooltip("finder:N", title="Finder"),
                     alt.Tooltip("count:Q", title="Suspects", format=",")],
        )
        .add_params(select)
        .properties(width="container", height=max(60, 22 * len(order)),
                    title=f"{title}: {total:,}")
    )
    return apply_theme(chart) if themed else chart


def _note_spec(text: str) -> dict[str, Any]:
    return {
        "$schema": alt.SCHEMA_URL, "config": THEME_CONFIG, "title": "Suspected errors",
        "data": {"values": [{"note": text}]},
        "mark": {"type": "text", "align": "left", "baseline": "middle", "x": 0},
        "encoding": {"text": {"field": "note", "type": "nominal"}},
        "width": _WIDTH, "height": 30,
    }


class ReviewChart:
    """The suspects chart of an Explorer, linked to its span view's review queue.

    Parameters
    ----------
    span_view : SpanView
        The span view whose ``review_query`` a click sets.
    layout : ipywidgets.Layout, optional
        Layout of the :attr:`view`.
    view_class : type, default ChartView
        The widget class of :attr:`view` (a :class:`ChartView` subclass).

    Attributes
    ----------
    view : ChartView
    """

    def __init__(self, span_view: Any, layout: Any = None,
                 view_class: type[ChartView] = ChartView) -> None:
        self.span_view = span_view
        # the Explorer passes SharedChartView: its chart bundle ships once (issue 15.7)
        self.view = view_class(**({"layout": layout} if layout is not None else {}))
        self._linking = False
        self.render()
        self.view.observe(self._clicked, names="selection")
        span_view.observe(lambda _c: self.render(), names=["review_version", "_data_version"])
        span_view.observe(lambda _c: self._sync_selection(), names="review_query")

    def render(self) -> None:
        """Draw the pending suspects (a note until the queue exists)."""
        corpus = self.span_view.corpus
        if not rv.has_snapshot(corpus):
            self.view.set_spec(_note_spec("press Review in the span view to rank them"))
            return
        pending = rv.queue(corpus)
        if pending.height == 0:
            self.view.set_spec(_note_spec(f"none left: {len(corpus.reviews):,} reviewed"))
            return
        counts = suspect_counts(pending)
        self.view.set_spec(suspect_chart(counts).to_dict(validate=False),
                           lambda: suspect_chart(counts))

    def _clicked(self, change: dict) -> None:
        if self._linking:
            return
        points = [p for p in change["new"] or [] if isinstance(p, dict)]
        labels = list(dict.fromkeys(str(p["label"]) for p in points if p.get("label") is not None))
        finders = list(dict.fromkeys(str(p["finder"]) for p in points
                                     if p.get("finder") is not None))
        if labels or finders:
            self.span_view.review(labels=labels, finders=finders)
        elif self.span_view.review_query:
            self.span_view.review_query = {}

    def _sync_selection(self) -> None:
        q = self.span_view.review_query or {}
        labels, finders = q.get("labels") or [None], q.get("finders") or [None]
        want = [{k: v for k, v in (("label", lab), ("finder", f)) if v is not None}
                for lab in labels for f in finders]
        want = [p for p in want if p]
        if want != self.view.selection:
            self._linking = True
            try:
                self.view.selection = want
            finally:
                self._linking = False
