"""The text of token runs (spans, n-grams): their tokens joined by single spaces."""

from __future__ import annotations

import polars as pl

_SHORT_SPAN = 4  # spans up to this many tokens get their text from one gather per token


def span_texts(token: pl.Series, first: pl.Series, lens: pl.Series) -> pl.Series:
    """Text of every span: its tokens joined by spaces (no Python loop, no group-by for short
    spans).

    ``first`` is the row of each span's first token in ``token`` and ``lens`` its length.
    """
    text = token.gather(first)
    for k in range(1, _SHORT_SPAN):  # the k-th token, gathered for the spans that have one
        idx = (lens > k).arg_true()
        if idx.len() == 0:
            break
        with_k = pl.select(pl.concat_str([pl.lit(text.gather(idx)),
                                          pl.lit(token.gather(first.gather(idx) + k))],
                                         separator=" ", ignore_nulls=True)).to_series()
        text = text.scatter(idx, with_k)
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
