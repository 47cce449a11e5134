"""Altair chart builders for BIO corpora.

Every builder takes a *small, already aggregated* polars frame (the output of a ``Corpus``
method) or a corpus-like object that has the matching method (``label_counts``, ``transitions``,
``anomalies``, ``span_lengths``, ``inconsistencies``), and returns a plain Altair chart that can be
restyled, combined (build with ``themed=False``, then :func:`apply_theme` the composition) or
saved.

Conventions shared by all charts:

* The data is inlined in the spec (``alt.Data(values=...)``): ``chart.to_dict()`` never writes files
  or refers to URLs, whatever Altair data transformer is active.  A frame handed to Altair never has
  more than :data:`MAX_ROWS` rows; builders aggregate or truncate before that point.
* Every clickable chart carries a point selection parameter named ``"select"``
  (:data:`SELECTION_NAME`); its fields are listed in each builder's docstring.  Shift-click toggles.
  Selected marks stay fully opaque, the others are dimmed.
* Label colours come from :func:`bio_explorer.colors.color_scale`, so they match the span view
  exactly when both use the same label set (pass ``labels=`` = all labels of the corpus).
* :func:`apply_theme` gives a transparent background and neutral grey text, readable on light and
  dark notebook themes.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, NamedTuple

import altair as alt
import polars as pl

from bio_explorer.colors import NEUTRAL_COLOR, OUTSIDE_LABEL, color_scale

__all__ = [
    "BUILDERS",
    "INVALID_COLOR",
    "MAX_ROWS",
    "NO_LABEL",
    "SELECTION_NAME",
    "THEME_CONFIG",
    "SpecTemplate",
    "anomaly_chart",
    "apply_theme",
    "inconsistency_chart",
    "label_chart",
    "span_length_chart",
    "tag_chart",
    "transition_chart",
]

#: Name of the point selection parameter the front end listens to.
SELECTION_NAME = "select"

#: Upper bound on the number of rows any chart inlines.
MAX_ROWS = 5000

#: Legend/colour key used for anomalies that have no label.
NO_LABEL = "(no label)"

#: Outline colour of invalid transitions.
INVALID_COLOR = "#E5262B"

_GREY = "#808080"
_DIM_OPACITY = 0.3
_START, _END = "<s>", "</s>"
_HEAT_WIDTH = 280  # px available to the cells of the transition heat map
#: Majority "label" of a form whose occurrences a span boundary cuts through (consistency finder)
CROSS_LABEL = "<x>"

#: Vega-Lite ``config`` applied by :func:`apply_theme`.
THEME_CONFIG: dict[str, Any] = {
    "background": "transparent",
    "view": {"stroke": None},
    "font": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
    "axis": {
        "labelColor": _GREY,
        "titleColor": _GREY,
        "domainColor": _GREY,
        "tickColor": _GREY,
        "gridColor": _GREY,
        "gridOpacity": 0.25,
        "labelFontSize": 11,
        "titleFontSize": 11,
        "titleFontWeight": "normal",
        "labelLimit": 220,
    },
    # counts: few ticks, "7k" not "7,000", no label over another or cut at the edge
    "axisQuantitative": {"tickCount": 5, "format": "~s", "labelOverlap": True, "labelFlush": True},
    "legend": {
        "labelColor": _GREY,
        "titleColor": _GREY,
        "titleFontWeight": "normal",
        "labelFontSize": 11,
        "labelLimit": 200,
    },
    "header": {"labelColor": _GREY, "titleColor": _GREY, "labelFontSize": 11},
    "title": {
        "color": _GREY,
        "subtitleColor": _GREY,
        "anchor": "start",
        "fontSize": 13,
        "fontWeight": "bold",
        "subtitleFontSize": 11,
    },
    "text": {"color": _GREY},
}


# --------------------------------------------------------------------------------------------------
# helpers


def apply_theme(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    """Return ``chart`` with the bio_explorer look (transparent background, neutral grey text).

    Parameters
    ----------
    chart : alt.TopLevelMixin
        Any top-level Altair chart.  A themed chart can no longer be layered or concatenated (an
        Altair rule), so build the parts with ``themed=False`` and theme the composition.

    Returns
    -------
    alt.TopLevelMixin
        A configured copy of ``chart``.
    """
    return chart.configure(**THEME_CONFIG)


def _finish(chart: alt.TopLevelMixin, themed: bool) -> alt.TopLevelMixin:
    return apply_theme(chart) if themed else chart


def _to_frame(obj: Any, method: str | None = None, **kwargs: Any) -> pl.DataFrame:
    """Coerce a polars/pandas frame or a corpus-like object (``obj.<method>()``) to a DataFrame."""
    if isinstance(obj, pl.DataFrame):
        return obj
    if isinstance(obj, pl.LazyFrame):
        return obj.collect()
    if method is not None and callable(getattr(obj, method, None)):
        return _to_frame(getattr(obj, method)(**kwargs))
    if hasattr(obj, "columns") and hasattr(obj, "to_dict"):  # pandas-like
        return (
            pl.from_pandas(obj) if type(obj).__module__.startswith("pandas") else pl.DataFrame(obj)
        )
    wanted = (
        f"a polars DataFrame or an object with a .{method}() method" if method else "a DataFrame"
    )
    raise TypeError(f"expected {wanted}, got {type(obj).__name__}")


def _require(frame: pl.DataFrame, columns: Iterable[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{what} frame lacks column(s) {missing}; it has {frame.columns}")


def _clean_value(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _values(frame: pl.DataFrame) -> list[dict[str, Any]]:
    """Return the rows of a small frame as JSON-safe dicts (NaN/inf become null)."""
    if frame.height > MAX_ROWS:
        raise ValueError(
            f"refusing to inline {frame.height} rows into a chart (limit {MAX_ROWS}); "
            "aggregate the data first"
        )
    return [{k: _clean_value(v) for k, v in row.items()} for row in frame.to_dicts()]


def _data(frame: pl.DataFrame) -> alt.Data:
    return alt.Data(values=_values(frame))


def _selection(fields: Sequence[str]) -> Any:
    return alt.selection_point(name=SELECTION_NAME, fields=list(fields))


def _dim(selection: Any, dimmed: float = _DIM_OPACITY) -> Any:
    return alt.when(selection).then(alt.value(1.0)).otherwise(alt.value(dimmed))


def _label_set(labels: Iterable[str] | None, *found: Iterable[Any]) -> list[str]:
    """Labels for the colour scale: the explicit ``labels`` or every label found in the data."""
    if labels is not None:
        return sorted({str(x) for x in labels if x not in (None, "", OUTSIDE_LABEL)})
    out: set[str] = set()
    for values in found:
        out.update(str(x) for x in values if x not in (None, "", OUTSIDE_LABEL))
    return sorted(out)


def _row_height(n_rows: int, px: int = 22, minimum: int = 60) -> int:
    return max(minimum, n_rows * px)


class _Prepared(NamedTuple):
    """The polars half of a chart: what the Altair half draws, and what a template patch swaps."""

    frame: pl.DataFrame  # the rows inlined as the chart's top-level data
    meta: dict[str, Any]  # data-dependent values baked into the spec (sort orders, sizes, ...)
    shape: tuple[Any, ...]  # what changes the spec's structure: one template per shape


def _plain(value: Any) -> Any:
    return value.to_dict() if hasattr(value, "to_dict") and not isinstance(value, dict) else value


def _channels(node: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every ``(channel, definition)`` of every encoding in a spec dict, conditions included."""
    if isinstance(node, list):
        for item in node:
            yield from _channels(item)
        return
    if not isinstance(node, dict):
        return
    encoding = node.get("encoding")
    if isinstance(encoding, dict):
        for channel, definition in encoding.items():
            for d in definition if isinstance(definition, list) else [definition]:
                if isinstance(d, dict):
                    yield channel, d
                    cond = d.get("condition")
                    for c in cond if isinstance(cond, list) else [cond]:
                        if isinstance(c, dict):
                            yield channel, c
    for key in ("layer", "hconcat", "vconcat", "concat", "spec"):
        if key in node:
            yield from _channels(node[key])


def _set_encoding(spec: dict[str, Any], channel: str, field: str, **props: Any) -> None:
    """Set ``props`` on every ``channel`` encoding of ``field`` in a spec dict (in place)."""
    for ch, d in _channels(spec):
        if ch == channel and d.get("field") == field:
            for key, value in props.items():
                d[key] = _plain(value)


# --------------------------------------------------------------------------------------------------
# label counts

_COUNT_COLS = ("spans", "tokens", "sentences", "mean_length")


def label_chart(
    counts: Any,
    *,
    base: Any = None,
    by_source: bool = False,
    labels: Iterable[str] | None = None,
    themed: bool = True,
) -> alt.LayerChart | alt.FacetChart:
    """Horizontal bars of entity spans per label, sorted descending.

    Parameters
    ----------
    counts : polars.DataFrame or corpus-like
        ``Corpus.label_counts()`` output: ``label``, ``spans``, ``tokens``, ``sentences``,
        ``mean_length`` (plus ``source`` when ``by_source``), or an object with a ``label_counts``
        method (called with ``by="source"`` when ``by_source``).
    base : polars.DataFrame or corpus-like, optional
        Whole-corpus counts (same shape).  When given, the whole is drawn as light grey bars behind
        the (filtered) ``counts`` in colour; the tooltip shows both.
    by_source : bool, default False
        One panel per source (independent x scales, shared label order) so the label distribution of
        e.g. train/dev/test can be compared.
    labels : Iterable[str], optional
        Label set of the palette.  Pass all labels of the corpus so colours match the span view; by
        default the labels present in ``counts`` and ``base``.
    themed : bool, default True
        Apply :func:`apply_theme`.

    Returns
    -------
    alt.LayerChart or alt.FacetChart
        A layer chart (bars + value text), faceted by source when ``by_source``.
        Selection parameter ``"select"`` with fields ``["label"]``.
    """
    return _finish(_draw_labels(_prep_labels(counts, base, by_source, labels)), themed)


def _prep_labels(
    counts: Any, base: Any = None, by_source: bool = False, labels: Iterable[str] | None = None
) -> _Prepared:
    """Polars half of :func:`label_chart`: the inlined rows and the values baked into the spec."""
    kwargs = {"by": "source"} if by_source else {}
    frame = _to_frame(counts, "label_counts", **kwargs)
    keys = ["label", "source"] if by_source else ["label"]
    _require(frame, [*keys, "spans"], "label_counts")
    frame = _prepare_counts(frame, keys)
    if base is not None:
        whole = _prepare_counts(_to_frame(base, "label_counts", **kwargs), keys)
        _require(whole, [*keys, "spans"], "base label_counts")
        whole = whole.rename({c: f"total_{c}" for c in _COUNT_COLS})
        frame = whole.join(frame, on=keys, how="full", coalesce=True)
        frame = frame.with_columns(
            [pl.col(c).fill_null(0) for c in ("spans", "tokens", "sentences")]
            + [pl.col(f"total_{c}").fill_null(0) for c in ("spans", "tokens", "sentences")]
        )
        frame = frame.with_columns(
            pl.format("{} / {}", pl.col("spans"), pl.col("total_spans")).alias("bar_text"),
            pl.max_horizontal("spans", "total_spans").alias("text_at"),
        )
    else:
        frame = frame.with_columns(
            pl.col("spans").cast(pl.String).alias("bar_text"), pl.col("spans").alias("text_at")
        )

    totals = frame.group_by("label").agg(
        pl.col("spans").sum().alias("_s"),
        (pl.col("total_spans").sum() if base is not None else pl.lit(0)).alias("_t"),
    )
    # under a filter (``base``: the whole corpus) the order is the whole corpus's: it stays put
    by = ["_t", "_s", "label"] if base is not None else ["_s", "_t", "label"]
    order = totals.sort(by, descending=[True, True, False])["label"].to_list()
    meta: dict[str, Any] = {
        "order": order,
        "scale": color_scale(_label_set(labels, frame["label"].to_list())),
        "height": _row_height(len(order)),
    }
    if by_source:
        per_source = frame.group_by("source").agg(pl.col("spans").sum().alias("_n"))
        meta["sources"] = per_source.sort(["_n", "source"], descending=[True, False])[
            "source"
        ].to_list()
    return _Prepared(frame.sort(keys), meta, (base is not None, by_source))


def _draw_labels(p: _Prepared) -> alt.TopLevelMixin:
    has_base, by_source = p.shape
    order, scale = p.meta["order"], p.meta["scale"]
    select = _selection(["label"])

    tooltip: list[Any] = [alt.Tooltip("label:N", title="Label")]
    if by_source:
        tooltip.append(alt.Tooltip("source:N", title="Source"))
    tooltip += [
        alt.Tooltip("spans:Q", title="Spans", format=","),
        alt.Tooltip("tokens:Q", title="Tokens", format=","),
        alt.Tooltip("sentences:Q", title="Sentences", format=","),
        alt.Tooltip("mean_length:Q", title="Mean length", format=".2f"),
    ]
    if has_base:
        tooltip += [
            alt.Tooltip("total_spans:Q", title="Spans (whole corpus)", format=","),
            alt.Tooltip("total_tokens:Q", title="Tokens (whole corpus)", format=","),
            alt.Tooltip("total_sentences:Q", title="Sentences (whole corpus)", format=","),
        ]
    y = alt.Y("label:N", sort=order, title=None, axis=alt.Axis(labelLimit=180))
    x_title = "Spans (filtered / whole corpus)" if has_base else "Spans"

    layers: list[alt.Chart] = []
    if has_base:
        layers.append(
            alt.Chart()
            .mark_bar(color=NEUTRAL_COLOR, opacity=0.35, cornerRadiusEnd=2)
            .encode(x=alt.X("total_spans:Q", title=x_title), y=y, tooltip=tooltip)
        )
    layers.append(
        alt.Chart()
        .mark_bar(cornerRadiusEnd=2)
        .encode(
            x=alt.X("spans:Q", title=x_title),
            y=y,
            color=alt.Color("label:N", scale=scale, legend=None),
            opacity=_dim(select),
            tooltip=tooltip,
        )
        .add_params(select)
    )
    layers.append(
        alt.Chart()
        .mark_text(align="left", baseline="middle", dx=3, fontSize=10)
        .encode(x="text_at:Q", y=y, text="bar_text:N", tooltip=tooltip)
    )
    # room for the count written after the longest bar: an invisible point a bit further right
    # widens the shared x scale (a count label is never cut at the chart's edge)
    layers.append(
        alt.Chart()
        .transform_calculate(_room="datum.text_at * (1 + 0.06 * length(datum.bar_text)) + 1")
        .mark_point(opacity=0, aria=False)
        .encode(x=alt.X("_room:Q", title=x_title), y=y)
    )
    data = _data(p.frame)
    if by_source:
        return (
            alt.layer(*layers, data=data)
            .properties(width=220, height=p.meta["height"])
            .facet(column=alt.Column("source:N", sort=p.meta["sources"], title=None))
            .resolve_scale(x="independent")
            .properties(title=alt.Title("Entity spans per label and source"))
        )
    return alt.layer(*layers, data=data).properties(
        width="container",
        height=p.meta["height"],
        title=alt.Title(
            "Entity spans per label",
            subtitle="grey: whole corpus; colour: current filter" if has_base else "",
        ),
    )


def _patch_labels(spec: dict[str, Any], p: _Prepared) -> None:
    _set_encoding(spec, "y", "label", sort=p.meta["order"])
    _set_encoding(spec, "color", "label", scale=p.meta["scale"])
    if p.shape[1]:  # faceted by source
        spec["spec"]["height"] = p.meta["height"]
        spec["facet"]["column"]["sort"] = p.meta["sources"]
    else:
        spec["height"] = p.meta["height"]


def _prepare_counts(frame: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """Keep the known columns, drop ``"O"`` and null labels, add missing count columns."""
    frame = frame.filter(pl.col("label").is_not_null() & (pl.col("label") != OUTSIDE_LABEL))
    cols = [pl.col(k).cast(pl.String) for k in keys]
    for c in _COUNT_COLS:
        if c in frame.columns:
            cols.append(pl.col(c))
        else:
            cols.append(
                pl.lit(None, dtype=pl.Float64 if c == "mean_length" else pl.UInt32).alias(c)
            )
    return frame.select(cols)


# --------------------------------------------------------------------------------------------------
# tag counts


def tag_chart(
    token_counts: Any,
    *,
    include_outside: bool = False,
    labels: Iterable[str] | None = None,
    themed: bool = True,
) -> alt.LayerChart:
    """Horizontal bars of tokens per tag (``B-Library``, ``I-Library``, ...), coloured by label.

    Parameters
    ----------
    token_counts : polars.DataFrame or corpus-like
        A frame with ``tag`` and ``count`` (or ``tokens``) columns, an object with a ``tag_counts``
        method, or a corpus with a ``tokens`` frame (counted per tag here).
    include_outside : bool, default False
        Show the ``"O"`` tag too (it usually dwarfs all others).
    labels : Iterable[str], optional
        Label set of the palette (see :func:`label_chart`).
    themed : bool, default True
        Apply :func:`apply_theme`.

    Returns
    -------
    alt.LayerChart
        Selection parameter ``"select"`` with fields ``["tag"]``.
    """
    if not isinstance(token_counts, (pl.DataFrame, pl.LazyFrame)) and not callable(
        getattr(token_counts, "tag_counts", None)
    ):
        tokens = getattr(token_counts, "tokens", None)
        if isinstance(tokens, (pl.DataFrame, pl.LazyFrame)):
            token_counts = tokens.lazy().group_by("tag").agg(pl.len().alias("count")).collect()
    frame = _to_frame(token_counts, "tag_counts")
    if "count" not in frame.columns and "tokens" in frame.columns:
        frame = frame.rename({"tokens": "count"})
    _require(frame, ["tag", "count"], "tag counts")
    frame = (
        frame.select(pl.col("tag").cast(pl.String), pl.col("count"))
        .filter(pl.col("tag").is_not_null())
        .group_by("tag")
        .agg(pl.col("count").sum())
    )
    if not include_outside:
        frame = frame.filter(pl.col("tag") != OUTSIDE_LABEL)
    frame = frame.with_columns(
        pl.col("tag").str.replace(r"^[BIESLU][-_](.+)$", "$1").alias("label")
    ).sort(["count", "tag"], descending=[True, False])
    order = frame["tag"].to_list()
    scale = color_scale(
        _label_set(labels, frame["label"].to_list()), extra={OUTSIDE_LABEL: NEUTRAL_COLOR}
    )
    select = _selection(["tag"])
    tooltip = [
        alt.Tooltip("tag:N", title="Tag"),
        alt.Tooltip("label:N", title="Label"),
        alt.Tooltip("count:Q", title="Tokens", format=","),
    ]
    y = alt.Y("tag:N", sort=order, title=None)
    bars = (
        alt.Chart()
        .mark_bar(cornerRadiusEnd=2)
        .encode(
            x=alt.X("count:Q", title="Tokens"),
            y=y,
            color=alt.Color("label:N", scale=scale, legend=None),
            opacity=_dim(select),
            tooltip=tooltip,
        )
        .add_params(select)
    )
    text = (
        alt.Chart()
        .mark_text(align="left", baseline="middle", dx=3, fontSize=10)
        .encode(x="count:Q", y=y, text=alt.Text("count:Q", format=","), tooltip=tooltip)
    )
    chart = alt.layer(bars, text, data=_data(frame)).properties(
        width="container", height=_row_height(len(order), 18), title="Tokens per tag"
    )
    return _finish(chart, themed)


# --------------------------------------------------------------------------------------------------
# transitions


def _transition_order(frame: pl.DataFrame, max_tags: int) -> tuple[list[str], int]:
    """Return (kept tag order, number of distinct tags) for the transition matrix."""
    incoming = frame.group_by("tag").agg(pl.col("count").sum().alias("n")).rename({"tag": "t"})
    outgoing = frame.group_by("prev_tag").agg(pl.col("count").sum().alias("n"))
    outgoing = outgoing.rename({"prev_tag": "t"})
    freq: dict[str, int] = {}
    for t, n in (*incoming.iter_rows(), *outgoing.iter_rows()):
        if t in (_START, _END):
            continue
        freq[t] = max(freq.get(t, 0), int(n))
    bad = frame.filter(~pl.col("valid"))
    invalid = {t for t in (*bad["prev_tag"].to_list(), *bad["tag"].to_list())}
    invalid -= {_START, _END}

    def rank(t: str) -> tuple[int, int, str]:
        return (0 if t in invalid else 1, -freq[t], t)

    ordered = sorted(freq, key=rank)
    if len(ordered) > max_tags:
        by_freq = sorted(freq, key=lambda t: (-freq[t], t))
        keep = set(invalid)
        for t in by_freq:
            if len(keep) >= max_tags:
                break
            keep.add(t)
        ordered = [t for t in ordered if t in keep]
    return ordered, len(freq)


def transition_chart(
    transitions: Any, *, max_tags: int = 40, themed: bool = True
) -> alt.LayerChart:
    """Heat map of tag bigrams: previous tag (y) × tag (x), log colour scale on the count.

    Invalid transitions are outlined in red and listed first: tags involved in an invalid cell come
    first on both axes (then by frequency); ``<s>`` is the first row and ``</s>`` the last column.
    The data rows of invalid cells come first too, and their outline layer is drawn on top.

    Parameters
    ----------
    transitions : polars.DataFrame or corpus-like
        ``Corpus.transitions()`` output: ``prev_tag``, ``tag``, ``count``, ``valid``.
    max_tags : int, default 40
        With more distinct tags, keep every tag involved in an invalid transition plus the most
        frequent ones up to ``max_tags`` tags in total (``<s>``/``</s>`` not counted).
    themed : bool, default True
        Apply :func:`apply_theme`.

    Returns
    -------
    alt.LayerChart
        Selection parameter ``"select"`` with fields ``["prev_tag", "tag"]``.
    """
    return _finish(_draw_transitions(_prep_transitions(transitions, max_tags)), themed)


def _prep_transitions(transitions: Any, max_tags: int = 40) -> _Prepared:
    """Polars half of :func:`transition_chart`."""
    frame = _to_frame(transitions, "transitions")
    _require(frame, ["prev_tag", "tag", "count", "valid"], "transitions")
    frame = (
        frame.select(
            pl.col("prev_tag").cast(pl.String),
            pl.col("tag").cast(pl.String),
            pl.col("count"),
            pl.col("valid").fill_null(True).cast(pl.Boolean),
        )
        .filter(pl.col("count") > 0)
        .group_by(["prev_tag", "tag"])
        .agg(pl.col("count").sum(), pl.col("valid").all())
    )
    order, n_tags = _transition_order(frame, max(1, max_tags))
    y_order = [_START, *order]
    x_order = [*order, _END]
    frame = frame.filter(pl.col("prev_tag").is_in(y_order) & pl.col("tag").is_in(x_order))
    y_rank = {t: i for i, t in enumerate(y_order)}
    x_rank = {t: i for i, t in enumerate(x_order)}
    frame = (
        frame.with_columns(
            pl.col("prev_tag").replace_strict(y_rank, return_dtype=pl.Int64).alias("_y"),
            pl.col("tag").replace_strict(x_rank, return_dtype=pl.Int64).alias("_x"),
        )
        .sort(["valid", "_y", "_x"])
        .drop(["_y", "_x"])
    )
    n_invalid = int((~frame["valid"]).sum())
    # the heat map fits its column (~340 px of cells) however many tags there are
    cell = max(4, min(18, _HEAT_WIDTH // len(x_order)))
    subtitle = [
        f"red outline: invalid transition ({n_invalid} cell{'s' if n_invalid != 1 else ''})"
    ]
    if len(order) < n_tags:
        subtitle.append(f"showing {len(order)} of {n_tags} tags")
    meta = {
        "x_order": x_order,
        "y_order": y_order,
        "width": cell * len(x_order),
        "height": cell * len(y_order),
        "font": min(11, max(7, cell - 2)),
        "subtitle": "; ".join(subtitle),
    }
    return _Prepared(frame, meta, ())


def _draw_transitions(p: _Prepared) -> alt.LayerChart:
    x_order, y_order = p.meta["x_order"], p.meta["y_order"]
    select = _selection(["prev_tag", "tag"])
    tooltip = [
        alt.Tooltip("prev_tag:N", title="Previous tag"),
        alt.Tooltip("tag:N", title="Tag"),
        alt.Tooltip("count:Q", title="Count", format=","),
        alt.Tooltip("valid:N", title="Valid"),
    ]
    font = p.meta["font"]  # small cells: small tag names; those that would overlap are hidden
    x = alt.X("tag:N", sort=x_order, title="Tag", axis=alt.Axis(
        orient="top", labelAngle=-50, labelFontSize=font, labelOverlap="greedy", labelLimit=100))
    y = alt.Y("prev_tag:N", sort=y_order, title="Previous tag",
              axis=alt.Axis(labelFontSize=font, labelOverlap="greedy", labelLimit=100))
    heat = (
        alt.Chart()
        .mark_rect(stroke="transparent", strokeWidth=1)
        .encode(
            x=x,
            y=y,
            color=alt.Color(
                "count:Q",
                scale=alt.Scale(
                    type="log", scheme=alt.SchemeParams(name="viridis", extent=[0.12, 1.0])
                ),
                legend=alt.Legend(
                    title="Count (log)", orient="bottom", direction="horizontal", gradientLength=160
                ),
            ),
            opacity=_dim(select, 0.25),
            tooltip=tooltip,
        )
        .add_params(select)
    )
    outline = (
        alt.Chart()
        .transform_filter(alt.FieldEqualPredicate(field="valid", equal=False))
        .mark_rect(filled=False, stroke=INVALID_COLOR, strokeWidth=3, strokeJoin="miter")
        .encode(x=x, y=y, tooltip=tooltip)
    )
    return alt.layer(heat, outline, data=_data(p.frame)).properties(
        width=p.meta["width"],
        height=p.meta["height"],
        title=alt.Title("Tag transitions", subtitle=p.meta["subtitle"]),
    )


def _patch_transitions(spec: dict[str, Any], p: _Prepared) -> None:
    _set_encoding(spec, "x", "tag", sort=p.meta["x_order"])
    _set_encoding(spec, "y", "prev_tag", sort=p.meta["y_order"])
    for ch, d in _channels(spec):
        if ch in ("x", "y") and isinstance(d.get("axis"), dict):
            d["axis"]["labelFontSize"] = p.meta["font"]
    spec["width"], spec["height"] = p.meta["width"], p.meta["height"]
    spec["title"]["subtitle"] = p.meta["subtitle"]


# --------------------------------------------------------------------------------------------------
# anomalies


def _anomaly_counts(obj: Any) -> pl.DataFrame:
    if isinstance(obj, (pl.DataFrame, pl.LazyFrame)):
        frame = _to_frame(obj)
    elif callable(getattr(obj, "anomaly_counts", None)):
        frame = _to_frame(obj.anomaly_counts())
    else:
        frame = _to_frame(obj, "anomalies")
    _require(frame, ["kind"], "anomalies")
    if "label" not in frame.columns:
        frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias("label"))
    frame = frame.with_columns(pl.col("kind").cast(pl.String), pl.col("label").cast(pl.String))
    if "count" in frame.columns:  # already aggregated; make the key unique anyway
        return frame.group_by(["kind", "label"]).agg(pl.col("count").sum())
    return frame.group_by(["kind", "label"]).agg(pl.len().cast(pl.UInt32).alias("count"))


def anomaly_chart(
    anomaly_counts: Any, *, labels: Iterable[str] | None = None, themed: bool = True
) -> alt.LayerChart:
    """Horizontal stacked bars: anomalies per kind, stacked and coloured by label.

    Parameters
    ----------
    anomaly_counts : polars.DataFrame or corpus-like
        ``kind``, ``label`` (may be null), ``count``.  A raw anomaly frame without ``count``, or a
        corpus-like object with an ``anomalies()`` method, is first aggregated to kind × label
        counts.
    labels : Iterable[str], optional
        Label set of the palette (see :func:`label_chart`).  Anomalies without a label are grey and
        listed as ``"(no label)"`` in the legend; their ``label`` stays null in the data.
    themed : bool, default True
        Apply :func:`apply_theme`.

    Returns
    -------
    alt.LayerChart
        Selection parameter ``"select"`` with fields ``["kind", "label"]`` (``label`` may be null:
        then the selection means "this kind").
    """
    return _finish(_draw_anomalies(_prep_anomalies(anomaly_counts, labels)), themed)


def _prep_anomalies(anomaly_counts: Any, labels: Iterable[str] | None = None) -> _Prepared:
    """Polars half of :func:`anomaly_chart`."""
    frame = _anomaly_counts(anomaly_counts)
    frame = frame.with_columns(pl.col("label").fill_null(NO_LABEL).alias("label_shown"))
    kinds = frame.group_by("kind").agg(pl.col("count").sum().alias("_n"))
    kind_order = kinds.sort(["_n", "kind"], descending=[True, False])["kind"].to_list()
    frame = (
        frame.join(kinds, on="kind")
        .sort(["_n", "kind", "label_shown"], descending=[True, False, False])
        .rename({"_n": "kind_total"})
    )
    present = sorted({x for x in frame["label"].to_list() if x is not None})
    has_none = frame["label"].null_count() > 0
    scale = color_scale(_label_set(labels, present), extra={NO_LABEL: NEUTRAL_COLOR})
    legend_values = present + ([NO_LABEL] if has_none else [])
    meta = {
        "kind_order": kind_order,
        "scale": scale,
        "legend_values": legend_values,
        "height": _row_height(len(kind_order), 26),
        "title": "Anomalies per kind" if kind_order else "Anomalies per kind (none found)",
    }
    return _Prepared(frame, meta, ())


def _draw_anomalies(p: _Prepared) -> alt.LayerChart:
    kind_order, scale = p.meta["kind_order"], p.meta["scale"]
    legend_values = p.meta["legend_values"]
    select = _selection(["kind", "label"])
    tooltip = [
        alt.Tooltip("kind:N", title="Kind"),
        alt.Tooltip("label_shown:N", title="Label"),
        alt.Tooltip("count:Q", title="Count", format=","),
        alt.Tooltip("kind_total:Q", title="All labels", format=","),
    ]
    y = alt.Y("kind:N", sort=kind_order, title=None)
    bars = (
        alt.Chart()
        .mark_bar()
        .encode(
            x=alt.X("count:Q", title="Anomalies", stack="zero"),
            y=y,
            color=alt.Color(
                "label_shown:N",
                scale=scale,
                legend=alt.Legend(title="Label", values=legend_values, symbolType="square"),
            ),
            order=alt.Order("label_shown:N", sort="ascending"),
            opacity=_dim(select),
            tooltip=tooltip,
        )
        .add_params(select)
    )
    totals = (
        alt.Chart()
        .transform_aggregate(total="sum(count)", groupby=["kind"])
        .mark_text(align="left", baseline="middle", dx=3, fontSize=10)
        .encode(x="total:Q", y=y, text=alt.Text("total:Q", format=","))
    )
    return alt.layer(bars, totals, data=_data(p.frame)).properties(
        width="container", height=p.meta["height"], title=p.meta["title"]
    )


def _patch_anomalies(spec: dict[str, Any], p: _Prepared) -> None:
    _set_encoding(spec, "y", "kind", sort=p.meta["kind_order"])
    _set_encoding(spec, "color", "label_shown", scale=p.meta["scale"])
    for ch, d in _channels(spec):
        if ch == "color" and d.get("field") == "label_shown":
            d["legend"]["values"] = list(p.meta["legend_values"])
    spec["height"], spec["title"] = p.meta["height"], p.meta["title"]


# --------------------------------------------------------------------------------------------------
# span lengths


def span_length_chart(
    span_lengths: Any,
    *,
    max_length: int = 12,
    labels: Iterable[str] | None = None,
    base: Any = None,
    themed: bool = True,
) -> alt.Chart:
    """Heat map of span length per label: one row per label, one column per length.

    Each cell has the label's colour; its opacity is the share of the label's spans that have this
    length, so the rows read as per-label length distributions whatever the label's frequency.

    Parameters
    ----------
    span_lengths : polars.DataFrame or corpus-like
        ``Corpus.span_lengths()`` output: ``label``, ``length``, ``count``.
    max_length : int, default 12
        Longer spans are pooled into a last ``"{max_length}+"`` column.
    labels : Iterable[str], optional
        Label set of the palette (see :func:`label_chart`).
    base : polars.DataFrame, optional
        ``span_lengths`` of the whole corpus when ``span_lengths`` describes a filter: the rows
        then keep the whole corpus's order (most spans first), so labels do not move under a
        filter.
    themed : bool, default True
        Apply :func:`apply_theme`.

    Returns
    -------
    alt.Chart
        Selection parameter ``"select"`` with fields ``["label"]``.
    """
    p = _prep_span_lengths(span_lengths, max_length, labels, base)
    return _finish(_draw_span_lengths(p), themed)


def _prep_span_lengths(
    span_lengths: Any, max_length: int = 12, labels: Iterable[str] | None = None,
    base: Any = None,
) -> _Prepared:
    """Polars half of :func:`span_length_chart`."""
    frame = _to_frame(span_lengths, "span_lengths")
    _require(frame, ["label", "length", "count"], "span_lengths")
    max_length = max(1, int(max_length))
    frame = frame.select(
        pl.col("label").cast(pl.String), pl.col("length").cast(pl.Int64), pl.col("count")
    ).filter(pl.col("label").is_not_null() & (pl.col("label") != OUTSIDE_LABEL))
    per_label = frame.group_by("label").agg(
        pl.col("count").sum().alias("label_spans"),
        ((pl.col("length") * pl.col("count")).sum() / pl.col("count").sum()).alias("mean_length"),
    )
    bucket = pl.min_horizontal(pl.col("length"), pl.lit(max_length)).alias("bucket")
    frame = (
        frame.with_columns(bucket)
        .group_by(["label", "bucket"])
        .agg(pl.col("count").sum())
        .join(per_label, on="label")
        .with_columns(
            (pl.col("count") / pl.col("label_spans")).alias("share"),
            pl.when(pl.col("bucket") >= max_length)
            .then(pl.format("{}+", pl.col("bucket")))
            .otherwise(pl.col("bucket").cast(pl.String))
            .alias("length"),
        )
        .sort(["label_spans", "label", "bucket"], descending=[True, False, False])
    )
    label_order = list(dict.fromkeys(frame["label"].to_list()))
    if base is not None:  # the whole corpus's order (most spans first), restricted to the rows
        whole = _to_frame(base, "base span_lengths")
        _require(whole, ["label", "count"], "base span_lengths")
        ranked = (whole.group_by(pl.col("label").cast(pl.String)).agg(pl.col("count").sum())
                  .sort(["count", "label"], descending=[True, False])["label"].to_list())
        shown = set(label_order)
        label_order = [x for x in ranked if x in shown] + [
            x for x in label_order if x not in set(ranked)]
    max_bucket = int(frame["bucket"].max()) if frame.height else 1
    length_order = [str(i) for i in range(1, max_bucket)] + (
        [f"{max_bucket}+" if max_bucket >= max_length else str(max_bucket)]
    )
    frame = frame.drop("bucket")
    scale = color_scale(_label_set(labels, label_order))
    meta = {
        "label_order": label_order,
        "length_order": length_order,
        "scale": scale,
        "width": max(120, 30 * len(length_order)),
        "height": _row_height(len(label_order), 20),
    }
    return _Prepared(frame, meta, ())


def _draw_span_lengths(p: _Prepared) -> alt.Chart:
    label_order, length_order = p.meta["label_order"], p.meta["length_order"]
    scale = p.meta["scale"]
    select = _selection(["label"])
    tooltip = [
        alt.Tooltip("label:N", title="Label"),
        alt.Tooltip("length:N", title="Length (tokens)"),
        alt.Tooltip("count:Q", title="Spans", format=","),
        alt.Tooltip("share:Q", title="Share of label", format=".1%"),
        alt.Tooltip("label_spans:Q", title="Spans of label", format=","),
        alt.Tooltip("mean_length:Q", title="Mean length", format=".2f"),
    ]
    return (
        alt.Chart(_data(p.frame))
        .mark_rect(cornerRadius=2)
        .encode(
            x=alt.X(
                "length:O",
                sort=length_order,
                title="Span length (tokens)",
                axis=alt.Axis(labelAngle=0),
            ),
            y=alt.Y("label:N", sort=label_order, title=None),
            color=alt.when(select)
            .then(alt.Color("label:N", scale=scale, legend=None))
            .otherwise(alt.value(NEUTRAL_COLOR)),
            opacity=alt.Opacity(
                "share:Q",
                scale=alt.Scale(domain=[0, 1], range=[0.12, 1], type="sqrt"),
                legend=alt.Legend(title="Share of label", format="%"),
            ),
            tooltip=tooltip,
        )
        .add_params(select)
        .properties(
            width=p.meta["width"],
            height=p.meta["height"],
            title=alt.Title(
                "Span length per label", subtitle="opacity: share of the label's spans"
            ),
        )
    )


def _patch_span_lengths(spec: dict[str, Any], p: _Prepared) -> None:
    _set_encoding(spec, "x", "length", sort=p.meta["length_order"])
    _set_encoding(spec, "y", "label", sort=p.meta["label_order"])
    _set_encoding(spec, "color", "label", scale=p.meta["scale"])
    spec["width"], spec["height"] = p.meta["width"], p.meta["height"]


# --------------------------------------------------------------------------------------------------
# inconsistencies


def _render_breakdown(value: Any) -> str:
    """Render a ``labels`` cell (string, list, struct) as ``"Library:12, Algorithm:2"``."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        label = value.get("label", value.get("tag"))
        count = next((value[k] for k in ("count", "n", "occurrences", "len") if k in value), None)
        if label is not None and len(value) <= 2:
            return f"{label}:{count}" if count is not None else str(label)
        return ", ".join(f"{k}:{v}" for k, v in value.items() if v is not None)
    if isinstance(value, (list, tuple)):
        if len(value) == 2 and isinstance(value[0], str) and isinstance(value[1], (int, float)):
            return f"{value[0]}:{value[1]}"
        return ", ".join(_render_breakdown(v) for v in value if v is not None)
    return str(value)


def inconsistency_chart(
    inconsistencies: Any,
    *,
    top: int = 15,
    labels: Iterable[str] | None = None,
    themed: bool = True,
) -> alt.LayerChart:
    """Table-like chart of the surface forms labelled most inconsistently.

    Columns: surface form, majority label (colour chip + name), ``minority/occurrences`` and a score
    bar with its value.  Rows are sorted by score (descending).

    Parameters
    ----------
    inconsistencies : polars.DataFrame or corpus-like
        ``Corpus.inconsistencies()`` output: ``text``, ``majority``, ``occurrences``,
        ``minority_occurrences``, ``score`` and ``labels`` (a string such as
        ``"Library:12, Algorithm:2, O:1"``, or a list/struct rendered to such a string).
    top : int, default 15
        Number of rows shown.
    labels : Iterable[str], optional
        Label set of the palette (see :func:`label_chart`).  A majority of ``"O"`` is grey.
    themed : bool, default True
        Apply :func:`apply_theme`.

    Returns
    -------
    alt.LayerChart
        Selection parameter ``"select"`` with fields ``["text"]``.
    """
    return _finish(_draw_inconsistencies(_prep_inconsistencies(inconsistencies, top, labels)),
                   themed)


def _prep_inconsistencies(
    inconsistencies: Any, top: int = 15, labels: Iterable[str] | None = None
) -> _Prepared:
    """Polars half of :func:`inconsistency_chart`."""
    frame = _to_frame(inconsistencies, "inconsistencies")
    _require(
        frame,
        ["text", "majority", "occurrences", "minority_occurrences", "score"],
        "inconsistencies",
    )
    top = max(1, min(int(top), MAX_ROWS))
    frame = (
        frame.filter(pl.col("text").is_not_null())
        .sort(["score", "occurrences", "text"], descending=[True, True, False], nulls_last=True)
        .unique(subset="text", keep="first", maintain_order=True)
        .head(top)
    )
    breakdown = (
        [_render_breakdown(v) for v in frame["labels"].to_list()]
        if "labels" in frame.columns
        else [""] * frame.height
    )
    frame = frame.select(
        pl.col("text").cast(pl.String),
        pl.col("majority").cast(pl.String).fill_null(OUTSIDE_LABEL),
        pl.col("occurrences"),
        pl.col("minority_occurrences"),
        pl.col("score").cast(pl.Float64),
    ).with_columns(
        pl.Series("labels", breakdown, dtype=pl.String),
        pl.int_range(1, pl.len() + 1).alias("rank"),
        pl.format("{}/{}", pl.col("minority_occurrences"), pl.col("occurrences")).alias("ratio"),
    )
    scores = [s for s in frame["score"].to_list() if s is not None and math.isfinite(s)]
    max_score = max([1.0, *scores]) if not scores or max(scores) > 1 else 1.0

    n, row = frame.height, 22
    meta = {
        "max_score": max_score,
        "scale": color_scale(
            _label_set(labels, frame["majority"].to_list()), extra={OUTSIDE_LABEL: NEUTRAL_COLOR}
        ),
        "height": max(row, row * n),
        "subtitle": (f"top {n} by score" if n else "none found") + (
            f"; majority {CROSS_LABEL}: a span boundary cuts through the form"
            if CROSS_LABEL in frame["majority"].to_list() else ""),
    }
    return _Prepared(frame, meta, ())


def _draw_inconsistencies(p: _Prepared) -> alt.LayerChart:
    # column layout in pixels: fits a 400 px notebook column (tests/browser/test_many_labels.py)
    x_text, x_major, x_ratio, x_bar0, x_bar1 = 6, 150, 296, 304, 352
    width = x_bar1 + 36
    scale, max_score = p.meta["scale"], p.meta["max_score"]
    select = _selection(["text"])
    tooltip = [
        alt.Tooltip("text:N", title="Surface form"),
        alt.Tooltip("majority:N", title="Majority label"),
        alt.Tooltip("occurrences:Q", title="Occurrences", format=","),
        alt.Tooltip("minority_occurrences:Q", title="Minority occurrences", format=","),
        alt.Tooltip("score:Q", title="Score", format=".3f"),
        alt.Tooltip("labels:N", title="Labels"),
    ]
    y = alt.Y("rank:O", axis=None, title=None)
    dim = _dim(select, 0.35)

    def text_layer(field: str, x: int, **mark: Any) -> alt.Chart:
        return (
            alt.Chart()
            .mark_text(baseline="middle", fontSize=11, **mark)
            .encode(x=alt.value(x), y=y, text=f"{field}:N", opacity=dim, tooltip=tooltip)
        )

    background = (
        alt.Chart()
        .mark_rect(color=NEUTRAL_COLOR)
        .encode(
            x=alt.value(0),
            x2=alt.value(width),
            y=y,
            opacity=alt.when(select, empty=False)
            .then(alt.value(0.3))
            .otherwise(
                alt.when("datum.rank % 2 == 1").then(alt.value(0.08)).otherwise(alt.value(0.02))
            ),
            tooltip=tooltip,
        )
        .add_params(select)
    )
    chip = (
        alt.Chart()
        .mark_square(size=90, opacity=1)
        .encode(
            x=alt.value(x_major + 6),
            y=y,
            color=alt.Color("majority:N", scale=scale, legend=None),
            opacity=dim,
            tooltip=tooltip,
        )
    )
    bar = (
        alt.Chart()
        .mark_bar(height=10, cornerRadiusEnd=2, color="#5F79B0")
        .encode(
            x=alt.X(
                "score:Q",
                scale=alt.Scale(domain=[0, max_score], range=[x_bar0, x_bar1], clamp=True),
                axis=None,
            ),
            y=y,
            opacity=dim,
            tooltip=tooltip,
        )
    )
    layers: list[alt.Chart] = [
        background,
        text_layer("text", x_text, align="left", limit=x_major - x_text - 10, fontWeight="bold"),
        chip,
        text_layer("majority", x_major + 16, align="left", limit=x_ratio - x_major - 75),
        text_layer("ratio", x_ratio, align="right"),
        bar,
        alt.Chart()
        .mark_text(baseline="middle", fontSize=10, align="left", dx=4)
        .encode(
            x=alt.X("score:Q"),
            y=y,
            text=alt.Text("score:Q", format=".2f"),
            opacity=dim,
            tooltip=tooltip,
        ),
    ]
    headers = [
        ("surface form", x_text, "left"),
        ("majority label", x_major, "left"),
        ("minority/all", x_ratio, "right"),
        ("score", x_bar0, "left"),
    ]
    for title, x, align in headers:
        layers.append(
            alt.Chart(alt.Data(values=[{"header": title}]))
            .mark_text(align=align, baseline="bottom", fontSize=10, fontStyle="italic")
            .encode(x=alt.value(x), y=alt.value(-4), text="header:N")
        )
    return alt.layer(*layers, data=_data(p.frame)).properties(
        width=width,
        height=p.meta["height"],
        title=alt.Title(
            "Inconsistently labelled surface forms", subtitle=p.meta["subtitle"], offset=14
        ),
    )


def _patch_inconsistencies(spec: dict[str, Any], p: _Prepared) -> None:
    _set_encoding(spec, "color", "majority", scale=p.meta["scale"])
    for ch, d in _channels(spec):
        if ch == "x" and d.get("field") == "score" and "scale" in d:
            d["scale"]["domain"] = [0, p.meta["max_score"]]
    spec["height"] = p.meta["height"]
    spec["title"]["subtitle"] = p.meta["subtitle"]


# --------------------------------------------------------------------------------------------------
# fast re-rendering: Altair once, then only the data


def _dataset_name(rows: list[dict[str, Any]]) -> str:
    """A content hash naming an inline dataset (the same scheme Altair uses)."""
    if rows == [{}]:
        return "empty"
    text = json.dumps(rows, sort_keys=True, default=str)
    return "data-" + hashlib.sha256(text.encode()).hexdigest()[:32]


def _strip_data(spec: dict[str, Any]) -> None:
    """Remove the top-level inline data of a spec dict (in place), keeping how it was stored."""
    data = spec.get("data")
    if isinstance(data, dict) and "name" in data:
        spec.get("datasets", {}).pop(data["name"], None)
        spec["data"] = {"name": None}
    else:
        spec["data"] = {"values": None}


def _put_data(spec: dict[str, Any], rows: list[dict[str, Any]]) -> None:
    if "name" in spec["data"]:
        name = _dataset_name(rows)
        spec["data"] = {"name": name}
        spec.setdefault("datasets", {})[name] = rows
    else:
        spec["data"] = {"values": rows}


_KINDS: dict[str, tuple[Callable[..., _Prepared], Callable[[_Prepared], Any], Callable[..., None]]]
_KINDS = {
    "labels": (_prep_labels, _draw_labels, _patch_labels),
    "transitions": (_prep_transitions, _draw_transitions, _patch_transitions),
    "anomalies": (_prep_anomalies, _draw_anomalies, _patch_anomalies),
    "span_lengths": (_prep_span_lengths, _draw_span_lengths, _patch_span_lengths),
    "inconsistencies": (_prep_inconsistencies, _draw_inconsistencies, _patch_inconsistencies),
}


class SpecTemplate:
    """Vega-Lite dicts of one kind of chart, for re-rendering it often with new data.

    The first :meth:`spec` call of each chart structure runs the Altair builder (as
    :func:`label_chart` & co. do) and keeps the resulting dict as a template; later calls only run
    the polars half of the builder and write its rows and the values derived from them (sort
    orders, colour domains, sizes, titles) into a copy of the template — no Altair objects, a few
    milliseconds instead of ~100.  The result equals ``builder(...).to_dict()``.

    Parameters
    ----------
    kind : str
        ``"labels"``, ``"transitions"``, ``"anomalies"``, ``"span_lengths"`` or
        ``"inconsistencies"``.
    themed : bool, default True
        Apply :func:`apply_theme`.
    **options
        Keyword arguments of the builder applied on every call (``labels=``, ``max_tags=``, ...).

    Examples
    --------
    >>> tpl = SpecTemplate("labels", labels=corpus.labels())           # doctest: +SKIP
    >>> spec = tpl.spec(view.label_counts(), base=corpus.label_counts())  # doctest: +SKIP
    """

    def __init__(self, kind: str, *, themed: bool = True, **options: Any) -> None:
        if kind not in _KINDS:
            raise ValueError(f"unknown chart kind {kind!r}; expected one of {', '.join(_KINDS)}")
        self.kind = kind
        self._prep, self._draw, self._patch = _KINDS[kind]
        self._themed = themed
        self._options = options
        self._skeletons: dict[tuple[Any, ...], dict[str, Any]] = {}

    def chart(self, *args: Any, **kwargs: Any) -> alt.TopLevelMixin:
        """The Altair chart for these inputs (the slow path: what the public builder returns)."""
        return _finish(self._draw(self._prep(*args, **{**self._options, **kwargs})), self._themed)

    def spec(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """The Vega-Lite dict for these inputs (a new dict, the caller may keep or change it).

        Parameters
        ----------
        *args, **kwargs
            The builder's inputs, e.g. ``counts, base=whole`` for ``"labels"``.

        Returns
        -------
        dict
        """
        p = self._prep(*args, **{**self._options, **kwargs})
        skeleton = self._skeletons.get(p.shape)
        if skeleton is None:
            spec = _finish(self._draw(p), self._themed).to_dict(validate=False)
            skeleton = copy.deepcopy(spec)
            _strip_data(skeleton)
            self._skeletons[p.shape] = skeleton
            return spec
        out = copy.deepcopy(skeleton)
        self._patch(out, p)
        _put_data(out, _values(p.frame))
        return out


#: The chart builders by name (handy for the Explorer).
BUILDERS: dict[str, Callable[..., alt.TopLevelMixin]] = {
    "labels": label_chart,
    "tags": tag_chart,
    "transitions": transition_chart,
    "anomalies": anomaly_chart,
    "span_lengths": span_length_chart,
    "inconsistencies": inconsistency_chart,
}
