"""Tagging schemes: detection, span extraction, IOB2 normalisation, conversion, validity.

Everything here is a polars expression or works on whole frames; nothing loops over tokens.

Schemes
-------
``IOB2``   ``B-X`` starts every span, ``I-X`` continues it.
``IOB1``   ``I-X`` everywhere; ``B-X`` only where a span directly follows a span of the same type.
``IOE2``   ``E-X`` ends every span, ``I-X`` elsewhere.  ``IOE1``: ``E-X`` only before a same-type span.
``BIOES``  ``B``egin, ``I``nside, ``E``nd, ``S``ingle (``BILOU`` and ``BMES`` are spelling variants:
           ``L``→``E``, ``U``→``S``, ``M``→``I``).
``IO``     bare labels (``person``) or ``I-X`` only with no ``B-``; adjacent spans cannot be told apart.

Span extraction follows :func:`seqeval.metrics.sequence_labeling.get_entities` exactly (its lenient
convention: an orphan ``I-X`` starts a span, a change of type starts a span, ``E``/``S`` close one).
"""

from __future__ import annotations

import polars as pl

SCHEMES = ("IOB2", "IOB1", "IOE2", "IOE1", "BIOES", "BILOU", "BMES", "IO")

#: regular expression a prefixed tag must match (``O`` aside)
TAG_PATTERN = r"^[BIESLUM]-\S.*$"

# canonical prefix for the spelling variants
_CANON = {"B": "B", "I": "I", "E": "E", "S": "S", "L": "E", "U": "S", "M": "I", "O": "O"}


def split_tag(tag: pl.Expr, *, bare: bool = False) -> tuple[pl.Expr, pl.Expr]:
    """Split a tag expression into ``(prefix, type)`` expressions.

    ``O`` gives ``("O", null)``; ``B-PER`` gives ``("B", "PER")``.  With ``bare=True`` (IO files with
    labels like ``person``) every non-``O`` tag is ``("I", tag)``.  Prefix variants are canonicalised
    (``L``→``E``, ``U``→``S``, ``M``→``I``).
    """
    is_o = tag == "O"
    if bare:
        prefix = pl.when(is_o).then(pl.lit("O")).otherwise(pl.lit("I"))
        typ = pl.when(is_o).then(pl.lit(None, pl.String)).otherwise(tag.cast(pl.String))
        return prefix, typ
    s = tag.cast(pl.String)
    raw_prefix = s.str.slice(0, 1)
    prefix = (
        pl.when(is_o)
        .then(pl.lit("O"))
        .otherwise(raw_prefix.replace_strict(_CANON, default=raw_prefix, return_dtype=pl.String))
    )
    typ = pl.when(is_o).then(pl.lit(None, pl.String)).otherwise(s.str.slice(2))
    return prefix, typ


def chunk_starts(prefix: pl.Expr, typ: pl.Expr, sentence: pl.Expr) -> pl.Expr:
    """Boolean expression: does a (seqeval) chunk start at this token?

    ``prefix`` must be canonical (``B I E S O``).  The previous token is taken inside the same sentence;
    sentence start behaves like a preceding ``O`` (as seqeval's flattening does).
    """
    first = sentence != sentence.shift(1)
    prev_p = pl.when(first | sentence.shift(1).is_null()).then(pl.lit("O")).otherwise(prefix.shift(1))
    prev_t = pl.when(first | sentence.shift(1).is_null()).then(pl.lit(None, pl.String)).otherwise(
        typ.shift(1)
    )
    inside_like = prefix.is_in(["E", "I"])
    type_change = prev_t.is_null() | (prev_t != typ).fill_null(True)
    return (prefix != "O") & (
        prefix.is_in(["B", "S"])
        | (prev_p.is_in(["E", "S", "O"]) & inside_like)
        | type_change
    )


def _bare_labels(tags: pl.Series) -> bool:
    """True when the non-O tags carry no prefix at all (an IO file with bare labels)."""
    vocab = tags.cast(pl.String).unique().drop_nulls()
    non_o = vocab.filter(vocab != "O")
    if non_o.len() == 0:
        return False
    return not bool(non_o.str.contains(TAG_PATTERN).any())


def detect_scheme(tags: pl.Series, sentence: pl.Series) -> str:
    """Detect the tagging scheme of a column of raw tags.

    Parameters
    ----------
    tags : pl.Series
        Raw tags as they appear in the file (one per token).
    sentence : pl.Series
        Sentence id of each token (tokens in reading order).

    Returns
    -------
    str
        One of :data:`SCHEMES`.  A file with only ``O`` tags is reported as ``IOB2``.
    """
    if _bare_labels(tags):
        return "IO"
    s = tags.cast(pl.String)
    prefixed = s.filter(s.str.contains(TAG_PATTERN).fill_null(False))
    present = set(prefixed.str.slice(0, 1).unique().to_list())
    present.discard("O")
    if present & {"L", "U"}:
        return "BILOU"
    if "M" in present:
        return "BMES"
    if present & {"S"} or ("E" in present and "B" in present):
        return "BIOES"
    if "E" in present:
        # IOE1 uses E- only before a same-type span; IOE2 ends every span with E-.
        df = pl.DataFrame({"tag": s, "sentence": sentence})
        nxt = df.select(
            (pl.col("tag").str.starts_with("E-")).alias("is_e"),
            pl.col("tag").shift(-1).alias("next"),
            (pl.col("sentence").shift(-1) == pl.col("sentence")).fill_null(False).alias("same"),
            pl.col("tag").str.slice(2).alias("typ"),
        )
        e_rows = nxt.filter(pl.col("is_e"))
        before_same = e_rows.select(
            (pl.col("same") & (pl.col("next").str.slice(2) == pl.col("typ"))
             & pl.col("next").str.starts_with("I-")).all()
        ).item()
        return "IOE1" if before_same else "IOE2"
    if "B" not in present:
        return "IOB1" if "I" in present else "IOB2"
    # B- present: IOB1 only if every B-X directly follows a token of type X.
    df = pl.DataFrame({"tag": s, "sentence": sentence})
    b_rows = df.select(
        pl.col("tag").str.starts_with("B-").alias("is_b"),
        (
            (pl.col("sentence").shift(1) == pl.col("sentence")).fill_null(False)
            & (pl.col("tag").shift(1).str.slice(2) == pl.col("tag").str.slice(2)).fill_null(False)
            & (pl.col("tag").shift(1) != "O").fill_null(False)
        ).alias("after_same"),
    ).filter(pl.col("is_b"))
    if b_rows.height and bool(b_rows["after_same"].all()):
        return "IOB1"
    return "IOB2"


def annotate(df: pl.DataFrame, tag_col: str, scheme: str) -> pl.DataFrame:
    """Add ``_start`` (chunk starts here), ``_type`` and ``_prefix`` columns for ``tag_col``.

    ``df`` must have ``sentence`` and be in reading order.
    """
    prefix, typ = split_tag(pl.col(tag_col), bare=scheme == "IO")
    df = df.with_columns(prefix.alias("_prefix"), typ.alias("_type"))
    if scheme == "IO":
        # bare labels: a span is a maximal run of one label
        start = chunk_starts(
            pl.when(pl.col("_prefix") == "O").then(pl.lit("O")).otherwise(pl.lit("I")),
            pl.col("_type"),
            pl.col("sentence"),
        )
    else:
        start = chunk_starts(pl.col("_prefix"), pl.col("_type"), pl.col("sentence"))
    return df.with_columns(start.alias("_start"))


def to_iob2(df: pl.DataFrame, tag_col: str, scheme: str) -> pl.Expr:
    """Expression giving the IOB2 tag of every token of an :func:`annotate`-d frame.

    For IOB2 files the tag is kept as the file says (an orphan ``I-X`` stays ``I-X``: invalid
    transitions are reported, never silently repaired).  Other schemes are rewritten from the
    chunk structure (``B-`` at each chunk start, ``I-`` inside).
    """
    if scheme == "IOB2":
        return pl.col(tag_col).cast(pl.String)
    return (
        pl.when(pl.col("_prefix") == "O")
        .then(pl.lit("O"))
        .when(pl.col("_start"))
        .then(pl.lit("B-") + pl.col("_type"))
        .otherwise(pl.lit("I-") + pl.col("_type"))
    )


def spans_from(df: pl.DataFrame) -> pl.DataFrame:
    """Spans of an :func:`annotate`-d token frame (needs ``sentence``, ``position``, ``_start``,
    ``_prefix``, ``_type``).

    Returns ``sentence``, ``start``, ``end`` (exclusive), ``label``.
    """
    inside = df.filter(pl.col("_prefix") != "O").select(
        "sentence", "position", "_type", pl.col("_start").cum_sum().alias("_span")
    )
    return (
        inside.group_by("_span", maintain_order=True)
        .agg(
            pl.col("sentence").first(),
            pl.col("position").min().alias("start"),
            (pl.col("position").max() + 1).alias("end"),
            pl.col("_type").first().alias("label"),
        )
        .drop("_span")
        .with_columns(pl.col("start").cast(pl.UInt32), pl.col("end").cast(pl.UInt32))
    )


def from_iob2(tag: pl.Expr, sentence: pl.Expr, scheme: str) -> pl.Expr:
    """Expression converting IOB2 tags (possibly with orphan ``I-``) to ``scheme``.

    Chunks are read with seqeval's rules, so an orphan ``I-X`` becomes the start of a span.
    """
    prefix, typ = split_tag(tag)
    start = chunk_starts(prefix, typ, sentence)
    nxt_same_sentence = (sentence.shift(-1) == sentence).fill_null(False)
    next_start = start.shift(-1).fill_null(True)
    next_prefix = prefix.shift(-1)
    end = (prefix != "O") & (~nxt_same_sentence | (next_prefix == "O").fill_null(True) | next_start)
    prev_same_type = (
        (sentence.shift(1) == sentence).fill_null(False)
        & (prefix.shift(1) != "O").fill_null(False)
        & (typ.shift(1) == typ).fill_null(False)
    )
    next_same_type_start = (
        nxt_same_sentence & next_start & (typ.shift(-1) == typ).fill_null(False)
    )
    o = pl.lit("O")

    def tagged(p: pl.Expr) -> pl.Expr:
        return p + pl.lit("-") + typ

    if scheme == "IOB2":
        p = pl.when(start).then(pl.lit("B")).otherwise(pl.lit("I"))
    elif scheme == "IOB1":
        p = pl.when(start & prev_same_type).then(pl.lit("B")).otherwise(pl.lit("I"))
    elif scheme in ("BIOES", "BILOU", "BMES"):
        single, begin, last, mid = {
            "BIOES": ("S", "B", "E", "I"),
            "BILOU": ("U", "B", "L", "I"),
            "BMES": ("S", "B", "E", "M"),
        }[scheme]
        p = (
            pl.when(start & end).then(pl.lit(single))
            .when(start).then(pl.lit(begin))
            .when(end).then(pl.lit(last))
            .otherwise(pl.lit(mid))
        )
    elif scheme == "IOE2":
        p = pl.when(end).then(pl.lit("E")).otherwise(pl.lit("I"))
    elif scheme == "IOE1":
        p = pl.when(end & next_same_type_start).then(pl.lit("E")).otherwise(pl.lit("I"))
    elif scheme == "IO":
        return pl.when(prefix == "O").then(o).otherwise(typ)
    else:
        raise ValueError(f"unknown scheme {scheme!r}; expected one of {', '.join(SCHEMES)}")
    return pl.when(prefix == "O").then(o).otherwise(tagged(p))


def transition_valid(prev: pl.Expr, cur: pl.Expr, scheme: str) -> pl.Expr:
    """Is the transition ``prev → cur`` allowed in ``scheme``?

    ``prev`` may be ``"<s>"`` (sentence start) and ``cur`` may be ``"</s>"`` (sentence end).
    Tags are in the file's scheme (raw), e.g. ``S-X`` for BIOES.
    """
    bare = scheme == "IO"
    pp, pt = split_tag(prev, bare=bare)
    cp, ct = split_tag(cur, bare=bare)
    # boundary markers behave like O for the prefix rules
    pp = pl.when(prev == "<s>").then(pl.lit("O")).otherwise(pp)
    pt = pl.when(prev == "<s>").then(pl.lit(None, pl.String)).otherwise(pt)
    cp = pl.when(cur == "</s>").then(pl.lit("O")).otherwise(cp)
    ct = pl.when(cur == "</s>").then(pl.lit(None, pl.String)).otherwise(ct)
    same = (pt == ct).fill_null(False)
    if scheme in ("IO", "IOB1"):
        if scheme == "IOB1":
            return pl.when(cp == "B").then(pp.is_in(["B", "I"]) & same).otherwise(pl.lit(True))
        return pl.lit(True)
    if scheme == "IOB2":
        return pl.when(cp == "I").then(pp.is_in(["B", "I"]) & same).otherwise(pl.lit(True))
    if scheme in ("BIOES", "BILOU", "BMES"):
        open_prev = pp.is_in(["B", "I"])
        return (
            pl.when(cp.is_in(["I", "E"])).then(open_prev & same)
            .otherwise(~open_prev)  # B, S, O, </s> need the previous span closed
        )
    if scheme == "IOE2":
        # I-X must be followed by I-X or E-X of the same type
        return pl.when(pp == "I").then(cp.is_in(["I", "E"]) & same).otherwise(pl.lit(True))
    if scheme == "IOE1":
        return pl.when(pp == "E").then((cp == "I") & same).otherwise(pl.lit(True))
    raise ValueError(f"unknown scheme {scheme!r}")
