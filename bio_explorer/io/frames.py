"""Reader for in-memory tables: HF-style list columns (``tokens`` + ``ner_tags``) or one row per
token."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import polars as pl

from ..errors import BioFormatError
from .text import Layout, Parsed, Problems, tag_vocabulary, with_positions


def to_polars(frame: Any) -> pl.DataFrame:
    """Accept a polars or pandas DataFrame (or anything ``pl.DataFrame`` understands)."""
    if isinstance(frame, pl.DataFrame):
        return frame
    if isinstance(frame, pl.LazyFrame):
        return frame.collect()
    try:
        return pl.from_pandas(frame)  # pandas, including list-valued object columns
    except Exception:
        return pl.DataFrame(frame)


def parse_frame(
    frame: Any,
    *,
    tokens: str = "tokens",
    tags: str = "ner_tags",
    label_names: Sequence[str] | None = None,
    multi_tag: str = "error",
    errors: str = "raise",
    name: str = "<DataFrame>",
) -> tuple[Parsed, str | None]:
    """Parse a table into the token layout used by :class:`~bio_explorer.Corpus`.

    Two shapes are understood: one row per sentence with list columns (HF datasets: ``tokens`` and
    ``ner_tags`` holding strings, or ints with ``label_names``), or one row per token with a
    ``sentence`` column.  A ``split`` (or ``source``) column, when present, becomes ``source``.

    Returns the parsed tokens and the name of the column used as source (or ``None``).
    """
    df = to_polars(frame)
    problems = Problems(name, errors)
    missing = [c for c in (tokens, tags) if c not in df.columns]
    if missing:
        raise BioFormatError(
            name, None,
            f"missing column(s) {', '.join(map(repr, missing))}; columns are {df.columns}; "
            "pass tokens=... and tags=...",
        )
    source_col = next((c for c in ("split", "source") if c in df.columns), None)
    list_shaped = isinstance(df.schema[tokens], pl.List)
    keep = [c for c in df.columns if c not in (tokens, tags, "sentence", source_col)]
    if list_shaped:
        lens_ok = df.select(pl.col(tokens).list.len() == pl.col(tags).list.len()).to_series()
        if not lens_ok.all():
            i = int((~lens_ok).arg_true()[0])
            raise BioFormatError(name, None, f"row {i}: {tokens!r} and {tags!r} differ in length")
        # one row per sentence: the row number is the sentence (a 'sentence' column, if any, is
        # ignored: the list rows already are the sentences)
        df = df.select(
            pl.int_range(pl.len(), dtype=pl.UInt32).alias("sentence"),
            tokens, tags, *([source_col] if source_col else []),
        ).explode([tokens, tags])
        df = df.filter(pl.col(tokens).is_not_null() | pl.col(tags).is_not_null())
    elif "sentence" not in df.columns:
        raise BioFormatError(name, None, "a one-row-per-token table needs a 'sentence' column")
    tag_series = df[tags]
    if tag_series.dtype.is_integer():
        if label_names is None:
            raise BioFormatError(name, None, f"{tags!r} holds integers: pass label_names=[...]")
        names = list(label_names)
        bad = tag_series.filter((tag_series < 0) | (tag_series >= len(names)))
        if bad.len():
            raise BioFormatError(name, None, f"tag id {bad[0]} has no entry in label_names "
                                 f"({len(names)} names)")
        tag_series = pl.Series(names, dtype=pl.String).gather(tag_series.cast(pl.UInt32))
    tag_series = tag_series.cast(pl.String).fill_null("O")
    vocab = tag_series.unique().to_list()
    eff_map, bad_tags = tag_vocabulary(vocab, multi_tag)
    for t, (kind, reason) in bad_tags.items():
        problems.report(None, kind, reason + f" (tag {t!r})")
    sentence = df["sentence"].cast(pl.Int64)
    out = pl.DataFrame(
        {
            "sentence": (sentence != sentence.shift(1)).fill_null(True).cum_sum().cast(pl.UInt32)
            - 1,
            "doc": pl.repeat(0, df.height, dtype=pl.UInt32, eager=True),
            "token": df[tokens].cast(pl.String).fill_null(""),
            "_field": tag_series,
            "_eff": tag_series.replace_strict(eff_map, default="O", return_dtype=pl.String),
        }
    )
    out = out.with_columns(pl.repeat(None, df.height, dtype=pl.UInt32, eager=True).alias("line"),
                           pl.lit(None, pl.UInt32).alias("_off"))
    for c in keep if not list_shaped else []:
        out = out.with_columns(df[c].alias(c))
    if source_col:
        out = out.with_columns(df[source_col].cast(pl.String).alias("_source"))
    out = with_positions(out)
    return Parsed(out, Layout("frame", "\t", 2, 0, 1), problems.rows, 1), source_col
