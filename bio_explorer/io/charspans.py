"""Character offsets of tokens and spans in a detokenised sentence text, and back.

The rule (the same in every direction): **a sentence's text is its tokens joined by one space**
(``" ".join(tokens)``), nothing else is normalised.  Token ``i`` starts at
``sum(len(t) + 1 for t in tokens[:i])``; a span's ``char_end`` is the end of its last token
(exclusive).  Offsets count Unicode code points (Python ``str`` indices), as spaCy, displaCy and
doccano do.
"""

from __future__ import annotations

import polars as pl

__all__ = ["SPAN_SCHEMA", "sentence_texts", "span_offsets", "tags_from_char_spans",
           "token_offsets"]

#: schema of a table of character spans (one row per span)
SPAN_SCHEMA = {"sentence": pl.UInt32, "char_start": pl.Int64, "char_end": pl.Int64,
               "label": pl.String}


def token_offsets(tok: pl.DataFrame) -> pl.DataFrame:
    """``tok`` (``sentence``, ``token``; reading order) with ``char_start``/``char_end`` added."""
    width = pl.col("token").str.len_chars().cast(pl.Int64)
    start = ((width + 1).cum_sum() - (width + 1)).over("sentence")
    return tok.with_columns(start.alias("char_start")).with_columns(
        (pl.col("char_start") + width).alias("char_end"))


def sentence_texts(tok: pl.DataFrame) -> pl.DataFrame:
    """One row per sentence: ``sentence``, ``text`` (tokens joined by one space), ``tokens``."""
    return tok.group_by("sentence", maintain_order=True).agg(
        pl.col("token").str.join(" ").alias("text"), pl.col("token").alias("tokens"))


def span_offsets(spans: pl.DataFrame, tok: pl.DataFrame) -> pl.DataFrame:
    """``spans`` (``sentence``, ``start``, ``end`` in tokens) with ``char_start``/``char_end``.

    ``tok`` holds the tokens of those sentences (``sentence``, ``position``, ``token``).
    """
    off = token_offsets(tok.select("sentence", "position", "token"))
    first = off.select("sentence", pl.col("position").alias("start"), "char_start")
    last = off.select("sentence", (pl.col("position") + 1).alias("end"), "char_end")
    return (spans.join(first, on=["sentence", "start"], how="left", maintain_order="left")
            .join(last, on=["sentence", "end"], how="left", maintain_order="left"))


def tags_from_char_spans(tok: pl.DataFrame, spans: pl.DataFrame) -> pl.Series:
    """IOB2 tags for ``tok`` (``sentence``, ``position``, ``char_start``, ``char_end``) from
    character spans (``sentence``, ``char_start``, ``char_end``, ``label``).

    A token belongs to a span when it lies inside it or overlaps it (a span cutting a token is
    widened to the whole token, like spaCy's ``alignment_mode="expand"``).  Where spans overlap,
    the one starting first (then the longest) wins.
    """
    t = tok.select("sentence", "position", pl.col("char_start").alias("ts"),
                   pl.col("char_end").alias("te")).with_row_index("_row")
    s = spans.select("sentence", pl.col("char_start").alias("ss"), pl.col("char_end").alias("se"),
                     "label").with_row_index("_span")
    hits = (
        t.join(s, on="sentence", how="inner")
        .filter(((pl.col("ts") >= pl.col("ss")) & (pl.col("te") <= pl.col("se")))
                | ((pl.col("ts") < pl.col("se")) & (pl.col("te") > pl.col("ss"))))
        .sort("_row", "ss", pl.col("se"), descending=[False, False, True])
        .group_by("_row", maintain_order=True).first()
    )
    # the first token of each span gets B-, the others I-
    hits = hits.with_columns(
        (pl.col("_span") != pl.col("_span").shift(1)).fill_null(True).alias("_b"))
    tag = pl.when(pl.col("_b")).then(pl.lit("B-")).otherwise(pl.lit("I-")) + pl.col("label")
    tagged = hits.select("_row", tag.alias("tag"))
    out = t.select("_row").join(tagged, on="_row", how="left", maintain_order="left")
    return out["tag"].fill_null("O")
