"""The text of token runs (spans, n-grams): their tokens joined by single spaces."""

from __future__ import annotations

import polars as pl

_SHORT_SPAN = 4  # spans up to this many tokens get their text from one gather per token


def span_texts(token: pl.Series, first: pl.Series, lens: pl.Series) -> pl.Series:
    """Text of every span: its tokens joined by spaces (no Python loop, no group-by for short
    spans).

    ``first`` is the row of each span's first token in ``token`` and ``lens`` its length.
    """
    n = token.len()
    if first.len() == 0 or n == 0:
        return pl.Series("text", [], pl.String)
    text = token.cast(pl.String).gather(first).alias("text")  # one-token spans: the token
    multi = (lens > 1).arg_true()
    if multi.len():  # tokens 1..3 of the longer spans, joined in one polars run
        tokens = pl.lit(token.cast(pl.String))
        start, length = pl.col("first").cast(pl.Int64), pl.col("len")
        parts = [tokens.gather(start)] + [  # (clipped: no out-of-bounds gather past a span)
            pl.when(length > k).then(tokens.gather((start + k).clip(upper_bound=n - 1)))
            for k in range(1, _SHORT_SPAN)
        ]
        frame = pl.DataFrame({"first": first.gather(multi), "len": lens.gather(multi)})
        joined = frame.lazy().select(pl.concat_str(parts, separator=" ", ignore_nulls=True))
        text = text.scatter(multi, joined.collect().to_series())
    long_ = (lens > _SHORT_SPAN).arg_true()
    if long_.len():  # the few long spans: explode their rows and join
        idx = (
            pl.DataFrame({"first": first.gather(long_), "len": lens.gather(long_)})
            .with_row_index("sid")
            .select("sid", pl.int_ranges("first", pl.col("first") + pl.col("len")).alias("r"))
            .explode("r")
        )
        joined = (
            idx.with_columns(token.gather(idx["r"].cast(pl.UInt32)).alias("t"))
            .group_by("sid", maintain_order=True)
            .agg(pl.col("t").str.join(" "))
        )
        text = text.scatter(long_, joined["t"])
    return text
