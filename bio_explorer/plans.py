"""Aggregation plans split into a per-part step and a merge step.

Every function here takes and returns polars frames (eager or lazy alike), never a ``Corpus``, so
the same plan runs on one part of a dataset, on a whole dataset scanned lazily, or (through the
same expressions) on another engine (see ``docs/SCALE.md``).  Because parts are cut at sentence
breaks, merging the per-part partials gives exactly the whole-corpus result: counts add up, and a
sentence is counted in one part only.

``label_partial`` → ``merge_labels``
    ``Corpus.label_counts()`` (with ``by="source"`` too).
``transition_partial`` → ``merge_transitions``
    ``Corpus.transitions()``.
``span_text_partial`` → ``merge_span_texts``
    how many spans have each text (the ``span_counts`` of a page).
"""

from __future__ import annotations

from typing import TypeVar

import polars as pl

from . import schemes

__all__ = [
    "END",
    "START",
    "label_partial",
    "merge_labels",
    "merge_span_texts",
    "merge_transitions",
    "span_text_partial",
    "transition_partial",
    "transition_rows",
]

START, END = "<s>", "</s>"
Frame = TypeVar("Frame", pl.DataFrame, pl.LazyFrame)


def label_partial(spans: Frame, sentences: Frame | None) -> Frame:
    """Per label and source: spans, tokens in them, sentences holding one (a part's share).

    ``sentences=None`` leaves ``source`` null (enough for ``merge_labels(by=None)``: a sentence
    has one source, so no sentence is counted twice) and skips the join.
    """
    rows = spans.select("sentence", "label", (pl.col("end") - pl.col("start")).alias("len"))
    if sentences is None:
        rows = rows.with_columns(pl.lit(None, pl.String).alias("source"))
    else:
        src = sentences.select("sentence", pl.col("source").cast(pl.String))
        rows = rows.join(src, on="sentence", how="left")
    return (
        rows
        .group_by("label", "source")
        .agg(
            pl.len().cast(pl.UInt64).alias("spans"),
            pl.col("len").sum().cast(pl.UInt64).alias("tokens"),
            pl.col("sentence").n_unique().cast(pl.UInt64).alias("sentences"),
        )
    )


def merge_labels(partials: Frame, by: str | None = None) -> Frame:
    """``Corpus.label_counts(by)`` from the partials of every part."""
    keys = ["label"] if by is None else ["label", "source"]
    return (
        partials.group_by(keys)
        .agg(pl.col("spans").sum(), pl.col("tokens").sum(), pl.col("sentences").sum())
        .select(
            *keys,
            pl.col("spans").cast(pl.UInt32),
            pl.col("tokens").cast(pl.UInt32),
            pl.col("sentences").cast(pl.UInt32),
            (pl.col("tokens").cast(pl.Float64) / pl.col("spans").cast(pl.Float64))
            .alias("mean_length"),
        )
        .sort(["spans", *keys], descending=[True] + [False] * len(keys))
    )


def transition_rows(tokens: Frame, tag: str = "_eff") -> Frame:
    """One row per transition: ``sentence``, ``position`` of the token entered (the last token
    for ``→ </s>``), ``prev_tag``, ``tag`` (file-scheme tags from column ``tag``; rows in reading
    order, a missing tag reads as ``O``)."""
    ft = pl.col(tag).cast(pl.String).fill_null("O")
    first = (pl.col("sentence") != pl.col("sentence").shift(1)).fill_null(True)
    last = (pl.col("sentence") != pl.col("sentence").shift(-1)).fill_null(True)
    base = tokens.select("sentence", "position", ft.alias("_t"), first.alias("_f"),
                         last.alias("_l"))
    into = base.select(
        "sentence", "position",
        pl.when(pl.col("_f")).then(pl.lit(START)).otherwise(pl.col("_t").shift(1))
        .alias("prev_tag"),
        pl.col("_t").alias("tag"),
    )
    out = base.filter(pl.col("_l")).select(
        "sentence", "position", pl.col("_t").alias("prev_tag"), pl.lit(END).alias("tag"))
    return pl.concat([into, out])


def transition_partial(tokens: Frame, tag: str = "_eff") -> Frame:
    """``prev_tag``, ``tag``, ``count`` over the transitions of a part.

    Counts the pairs of (Categorical) tags first and names them after: the same result as
    grouping :func:`transition_rows`, without a string per token.
    """
    t = pl.col(tag)
    first = (pl.col("sentence") != pl.col("sentence").shift(1)).fill_null(True)
    last = (pl.col("sentence") != pl.col("sentence").shift(-1)).fill_null(True)
    base = tokens.select(first.alias("_f"), last.alias("_l"), t.alias("_t"),
                         pl.when(~first).then(t.shift(1)).alias("_p"))

    def name(col: str) -> pl.Expr:
        return pl.col(col).cast(pl.String).fill_null("O")

    into = base.group_by("_f", "_p", "_t").agg(pl.len().alias("n")).select(
        pl.when(pl.col("_f")).then(pl.lit(START)).otherwise(name("_p")).alias("prev_tag"),
        name("_t").alias("tag"), "n")
    out = base.filter(pl.col("_l")).group_by("_t").agg(pl.len().alias("n")).select(
        name("_t").alias("prev_tag"), pl.lit(END).alias("tag"), "n")
    return pl.concat([into, out]).group_by("prev_tag", "tag").agg(
        pl.col("n").sum().cast(pl.UInt64).alias("count"))


def merge_transitions(partials: Frame, scheme: str) -> Frame:
    """``Corpus.transitions()`` from the partials of every part (validity in ``scheme``)."""
    return (
        partials.group_by("prev_tag", "tag")
        .agg(pl.col("count").sum().cast(pl.UInt32))
        .with_columns(
            schemes.transition_valid(pl.col("prev_tag"), pl.col("tag"), scheme)
            .fill_null(True).alias("valid")
        )
        .sort(["count", "prev_tag", "tag"], descending=[True, False, False])
    )


def span_text_partial(spans: Frame) -> Frame:
    """``text``, ``n``: how many spans of a part have each text, any label."""
    return spans.group_by("text").agg(pl.len().cast(pl.Int64).alias("n"))


def merge_span_texts(partials: Frame) -> Frame:
    """Span text counts of the whole dataset."""
    return partials.group_by("text").agg(pl.col("n").sum())
