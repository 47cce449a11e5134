"""Tagging schemes: detection, span extraction, IOB2 normalisation, conversion, validity.

Everything here is a polars expression or works on whole frames; nothing loops over tokens.

Schemes
-------
``IOB2``   ``B-X`` starts every span, ``I-X`` continues it.
``IOB1``   ``I-X`` everywhere; ``B-X`` only where a span directly follows a span of the same type.
``IOE2``   ``E-X`` ends every span, ``I-X`` elsewhere.  ``IOE1``: ``E-X`` only before a same-type
           span.
``BIOES``  ``B``egin, ``I``nside, ``E``nd, ``S``ingle (``BILOU`` and ``BMES`` are spelling variants:
           ``L``→``E``, ``U``→``S``, ``M``→``I``).
``IO``     bare labels (``person``); adjacent spans of one type cannot be told apart.

Span extraction follows :func:`seqeval.metrics.sequence_labeling.get_entities` exactly (its lenient
convention: an orphan ``I-X`` starts a span, a change of type starts a span, ``E``/``S`` close one).
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass

import polars as pl

SCHEMES = ("IOB2", "IOB1", "IOE2", "IOE1", "BIOES", "BILOU", "BMES", "IO")

#: regular expression a prefixed tag must match (``O`` aside)
TAG_PATTERN = r"^[BIESLUM]-\S.*$"

# canonical prefix for the spelling variants
_CANON = {"B": "B", "I": "I", "E": "E", "S": "S", "L": "E", "U": "S", "M": "I", "O": "O"}


def split_tag(tag: pl.Expr, *, bare: bool = False) -> tuple[pl.Expr, pl.Expr]:
    """Split a tag expression into ``(prefix, type)`` expressions.

    ``O`` gives ``("O", null)``; ``B-PER`` gives ``("B", "PER")``.  With ``bare=True`` (IO files
    with labels like ``person``) every non-``O`` tag is ``("I", tag)``.  Prefix variants are
    canonicalised
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

    ``prefix`` must be canonical (``B I E S O``).  The previous token is taken inside the same
    sentence; sentence start behaves like a preceding ``O`` (as seqeval's flattening does).
    """
    first = sentence != sentence.shift(1)
    at_start = first | sentence.shift(1).is_null()
    prev_p = pl.when(at_start).then(pl.lit("O")).otherwise(prefix.shift(1))
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


# prefix codes used by the vocabulary fast path
_O, _B, _I, _E, _S = 0, 1, 2, 3, 4
_PREFIX_NAMES = ["O", "B", "I", "E", "S"]
_PREFIX_ENUM = pl.Enum(_PREFIX_NAMES)


def categorical_codes(col: pl.Series) -> tuple[list[str], pl.Series]:
    """The sorted distinct values of a String or Categorical column, and every value's index in
    them (null stays null)."""
    distinct = col.unique().drop_nulls()
    values = sorted(distinct.cast(pl.String).to_list())
    codes = None
    if col.dtype == pl.Categorical:
        table = _physical_table(col.dtype, distinct.cast(pl.String).to_list(), values)
        codes = None if table is None else table.gather(col.to_physical())
    if codes is None:
        codes = col.cast(pl.Enum(values)).to_physical()
    return values, codes


_MAX_PHYSICAL = 4_000_000  # a lookup table indexed by category codes is built up to this size


def _physical_table(categorical: pl.DataType, present: list[str], order: list[str]
                    ) -> pl.Series | None:
    """A lookup table indexed by the category code (in the Categorical type ``categorical``) of
    each string of ``present``: the string's index in ``order``, null elsewhere; None when the
    codes are too sparse for a table.  Gathering it by ``col.to_physical()`` maps a Categorical
    column several times faster than a cast to an Enum."""
    if not present:
        return None
    codes = pl.Series(present, dtype=pl.String).cast(categorical).to_physical()
    size = int(codes.max()) + 1
    if size > _MAX_PHYSICAL:
        return None
    index = {v: i for i, v in enumerate(order)}
    at = pl.Series([index[v] for v in present], dtype=pl.UInt32)
    return pl.repeat(None, size, dtype=pl.UInt32, eager=True).scatter(codes, at)


class TagVocab:
    """The distinct tags of a column, split once, and the column as codes into them.

    Every per-token step (prefix, type, chunk starts, IOB2 tags) becomes an integer gather from a
    table of a few dozen entries instead of string work on millions of rows.  For a Categorical
    column the tables are indexed by the category codes themselves, so a prefix or type per token
    is one gather and :attr:`codes` is only built when asked for.

    Parameters
    ----------
    column : pl.Series
        The tags (String, Categorical or Enum).
    bare : bool
        Labels without prefixes (an IO file): every non-``O`` tag is an ``I-`` of its own type.
    values : list of str, optional
        The distinct non-null values of ``column`` when the caller knows them (the reader does):
        saves a pass over the column.

    Attributes
    ----------
    tags : list of str
        Distinct tags, sorted, with ``O`` appended when absent (the code of a missing tag).
    codes : pl.Series
        UInt32 index into ``tags`` for every token.
    prefix : list of int
        Canonical prefix code of every tag (``O B I E S`` → 0..4; ``L``/``U``/``M`` canonicalised).
    types : list of str
        Distinct entity types, sorted.
    type_id : list of int or None
        Index into ``types`` of every tag (``None`` for ``O``).
    """

    def __init__(self, column: pl.Series, *, bare: bool = False,
                 values: list[str] | None = None) -> None:
        self._column = column
        self._codes: pl.Series | None = None
        self._by_code: pl.Series | None = None  # category code -> index into tags
        if isinstance(column.dtype, pl.Enum):
            self.tags = list(column.dtype.categories)
            self._codes = column.to_physical()
        elif column.dtype == pl.Categorical:
            present = values if values is not None else \
                column.unique().drop_nulls().cast(pl.String).to_list()
            self.tags = sorted(present)
            self._by_code = _physical_table(column.dtype, present, self.tags)
            if self._by_code is None:
                self.tags, self._codes = categorical_codes(column)
        else:
            self.tags, self._codes = categorical_codes(column.cast(pl.String))
        self._o = self._o_code()
        self.prefix, types_of = [], []
        for t in self.tags:  # loop over the small vocabulary of distinct tags
            if t == "O":
                self.prefix.append(_O)
                types_of.append(None)
            elif bare:
                self.prefix.append(_I)
                types_of.append(t)
            else:
                self.prefix.append(_PREFIX_NAMES.index(_CANON.get(t[:1], "I")))
                types_of.append(t[2:])
        self.types = sorted({t for t in types_of if t is not None})
        index = {t: i for i, t in enumerate(self.types)}
        self.type_id = [None if t is None else index[t] for t in types_of]

    def _o_code(self) -> int:
        if "O" not in self.tags:
            self.tags.append("O")
        return self.tags.index("O")

    @property
    def codes(self) -> pl.Series:
        """UInt32 index into :attr:`tags` of every token (a missing tag reads as ``O``)."""
        if self._codes is None:
            self._codes = self._gather(pl.Series(range(len(self.tags)), dtype=pl.UInt32))
        return self._codes.cast(pl.UInt32).fill_null(self._o)

    def _gather(self, per_tag: pl.Series) -> pl.Series:
        """``per_tag[code of each token]`` (null for a missing tag)."""
        if self._codes is not None:
            return per_tag.gather(self._codes)
        assert self._by_code is not None
        table = per_tag.gather(self._by_code)  # per category code: a few dozen entries
        return table.gather(self._column.to_physical())

    def prefix_codes(self) -> pl.Series:
        """UInt8 canonical prefix code of every token (a missing tag reads as ``O``)."""
        return self._gather(pl.Series(self.prefix, dtype=pl.UInt8)).fill_null(_O)

    def type_ids(self) -> pl.Series:
        """UInt32 type id of every token (null for ``O``)."""
        return self._gather(pl.Series(self.type_id, dtype=pl.UInt32))

    def type_enum(self) -> pl.DataType:
        return pl.Enum(self.types)

    def bare_labels(self) -> bool:
        """True when the non-O tags carry no prefix at all (an IO file with bare labels)."""
        return _bare_values(self.tags)


def _starts_from_codes(prefix: pl.Expr, tid: pl.Expr, sentence: pl.Expr) -> pl.Expr:
    """:func:`chunk_starts` on integer prefix codes and type ids (seqeval's rules)."""
    first = (sentence != sentence.shift(1)).fill_null(True)
    prev_p = pl.when(first).then(pl.lit(_O, pl.UInt8)).otherwise(prefix.shift(1))
    prev_t = pl.when(first).then(pl.lit(None, pl.UInt32)).otherwise(tid.shift(1))
    inside_like = (prefix == _I) | (prefix == _E)
    prev_closed = (prev_p == _O) | (prev_p == _E) | (prev_p == _S)
    type_change = (prev_t != tid).fill_null(True)
    return (prefix != _O) & ((prefix == _B) | (prefix == _S) | (prev_closed & inside_like)
                             | type_change)


def _bare_labels(tags: pl.Series) -> bool:
    """True when the non-O tags carry no prefix at all (an IO file with bare labels)."""
    return _bare_values(tags.unique().drop_nulls().cast(pl.String).to_list())


def _bare_values(values: list[str]) -> bool:
    """:func:`_bare_labels` on the distinct tags."""
    non_o = [v for v in values if v != "O"]
    pat = re.compile(TAG_PATTERN)
    return bool(non_o) and not any(pat.match(v) for v in non_o)


@dataclass(frozen=True)
class SchemeEvidence:
    """What the scheme of a file was decided on, and how sure the decision is.

    Only IOB1 and IOB2 can be confused (both use ``B-`` and ``I-``); the other schemes are told
    apart by the prefixes they use, and their ``confidence`` is 1.

    Attributes
    ----------
    scheme : str
        The scheme decided on (one of :data:`SCHEMES`).
    confidence : float
        Share of the ambiguous transitions that agree with ``scheme`` (1.0 when there are none).
    iob1_votes : int
        ``I-X`` opening a span: at a sentence start, after ``O`` or after another type (valid
        IOB1, invalid IOB2).
    iob2_votes : int
        ``B-X`` at a sentence start, after ``O`` or after another type (valid IOB2, invalid IOB1).
    mixed : bool
        Both kinds of votes are common (the minority holds more than ``1 - IOB1_SHARE`` of them
        and at least :data:`MIXED_MIN_VOTES`):
        the file mixes the two schemes and whichever is chosen, many transitions are invalid.
    """

    scheme: str
    confidence: float = 1.0
    iob1_votes: int = 0
    iob2_votes: int = 0
    mixed: bool = False

    def as_dict(self) -> dict:
        return {"scheme": self.scheme, "confidence": self.confidence,
                "iob1_votes": self.iob1_votes, "iob2_votes": self.iob2_votes, "mixed": self.mixed}


class MixedSchemeWarning(UserWarning):
    """A file mixes IOB1 and IOB2 (see :func:`scheme_evidence`); it is also a problems row."""


#: share of the ambiguous transitions that must be IOB1 votes for a file to be read as IOB1
IOB1_SHARE = 0.8
#: votes the minority needs before a file is called mixed (a handful of tags is not a pattern)
MIXED_MIN_VOTES = 10


def detect_scheme(tags: pl.Series, sentence: pl.Series) -> str:
    """Detect the tagging scheme of a column of raw tags (see :func:`scheme_evidence`).

    Parameters
    ----------
    tags : pl.Series
        Raw tags as they appear in the file (one per token; String, Categorical or Enum).
    sentence : pl.Series
        Sentence id of each token (tokens in reading order).

    Returns
    -------
    str
        One of :data:`SCHEMES`.  A file with only ``O`` tags is reported as ``IOB2``.
    """
    return scheme_evidence(tags, sentence).scheme


def scheme_evidence(tags: pl.Series, sentence: pl.Series, *, vocab: TagVocab | None = None,
                    codes: pl.DataFrame | None = None) -> SchemeEvidence:
    """Detect the tagging scheme of a column of raw tags and say how sure the detection is.

    IOB1 and IOB2 are decided by a vote over the transitions that open a span: an ``I-X`` at a
    sentence start, after ``O`` or after another type is an IOB1 vote; a ``B-X`` there is an IOB2
    vote (``B-X`` after ``X`` is valid in both and does not vote).  The file is IOB1 when at least
    :data:`IOB1_SHARE` (80 %) of the votes are IOB1 votes, else IOB2; when the minority holds more
    than 20 % of the votes (and at least 10 of them) the file is flagged ``mixed``.  A couple of
    stray tags therefore cannot decide the scheme of a whole corpus.

    Parameters
    ----------
    tags : pl.Series
        Raw tags as they appear in the file (String, Categorical or Enum).
    sentence : pl.Series
        Sentence id of each token (tokens in reading order).
    vocab : TagVocab, optional
        ``TagVocab(tags)`` when the caller already built it (built here otherwise).
    codes : pl.DataFrame, optional
        ``code_frame(vocab, sentence)`` when the caller already built it.

    Returns
    -------
    SchemeEvidence
    """
    if vocab.bare_labels() if vocab is not None else _bare_labels(tags):
        return SchemeEvidence("IO")
    vocab = vocab if vocab is not None else TagVocab(tags)
    present = {t[:1] for t in vocab.tags if t != "O" and len(t) > 2 and t[1] == "-"}
    if present & {"L", "U"}:
        return SchemeEvidence("BILOU")
    if "M" in present:
        return SchemeEvidence("BMES")
    if present & {"S"} or ("E" in present and "B" in present):
        return SchemeEvidence("BIOES")
    frame = codes if codes is not None else code_frame(vocab, sentence)
    if "E" in present:
        # IOE1 uses E- only before a same-type span; IOE2 ends every span with E-.
        before_same = frame.select(
            ((pl.col("s").shift(-1) == pl.col("s")) & (pl.col("t").shift(-1) == pl.col("t"))
             & (pl.col("p").shift(-1) == _I)).fill_null(False).filter(pl.col("p") == _E).all()
        ).item()
        return SchemeEvidence("IOE1" if before_same else "IOE2")
    if not present & {"B", "I"}:
        return SchemeEvidence("IOB2")  # only O: nothing to vote on
    same_before = (
        (pl.col("s").shift(1) == pl.col("s")) & (pl.col("t").shift(1) == pl.col("t"))
    ).fill_null(False)
    votes = frame.select(
        ((pl.col("p") == _I) & ~same_before).sum().alias("iob1"),
        ((pl.col("p") == _B) & ~same_before).sum().alias("iob2"),
    ).row(0)
    iob1, iob2 = int(votes[0]), int(votes[1])
    total = iob1 + iob2
    if total == 0:
        return SchemeEvidence("IOB2")
    share = iob1 / total
    scheme = "IOB1" if share >= IOB1_SHARE else "IOB2"
    confidence = share if scheme == "IOB1" else 1.0 - share
    minority = min(iob1, iob2)
    mixed = minority >= MIXED_MIN_VOTES and minority / total > 1.0 - IOB1_SHARE
    return SchemeEvidence(scheme, round(confidence, 4), iob1, iob2, mixed)


def code_frame(vocab: TagVocab, sentence: pl.Series) -> pl.DataFrame:
    """The canonical prefix code ``p`` (UInt8), type id ``t`` (UInt32, null for ``O``) and
    sentence ``s`` of every token: what the scheme vote and :func:`chunk_bounds` work on."""
    return pl.DataFrame({"p": vocab.prefix_codes(), "t": vocab.type_ids(), "s": sentence})


def mixed_scheme_problem(source: str, evidence: SchemeEvidence, tok: pl.DataFrame) -> dict:
    """A problems-table row (and a warning) for a file that mixes IOB1 and IOB2.

    ``tok`` holds the file's ``line``, ``sentence`` and raw tags (``_eff``); the row names the
    first line where a span opens the minority's way.
    """
    frame = code_frame(TagVocab(tok["_eff"]), tok["sentence"]).with_columns(tok["line"])
    minority = _B if evidence.scheme == "IOB1" else _I
    opens = ((pl.col("s").shift(1) != pl.col("s")) | (pl.col("t").shift(1) != pl.col("t")))
    first = frame.filter((pl.col("p") == minority) & opens.fill_null(True))["line"].head(1)
    line = int(first[0]) if first.len() else None
    message = (
        f"the file mixes IOB1 and IOB2: {evidence.iob1_votes:,} spans open with I- and "
        f"{evidence.iob2_votes:,} with B- after O, a sentence start or another type; read as "
        f"{evidence.scheme} (confidence {evidence.confidence:.0%}), so many transitions are "
        "invalid; pass scheme='IOB1' or scheme='IOB2' to choose"
    )
    warnings.warn(f"{source}:{line}: {message}" if line else f"{source}: {message}",
                  MixedSchemeWarning, stacklevel=4)  # points at the caller of bx.read
    return {"source": source, "line": line, "kind": "mixed_scheme", "message": message}


def evidence_table(files: list) -> pl.DataFrame:
    """One row per file record (with ``name``, ``scheme`` and ``evidence``): how its scheme was
    decided (see :attr:`bio_explorer.Corpus.scheme_evidence`)."""
    rows = []
    for rec in files:  # a loop over files
        ev = getattr(rec, "evidence", None) or SchemeEvidence(rec.scheme)
        rows.append({"source": rec.name, "scheme": rec.scheme, "detected": ev.scheme,
                     "confidence": ev.confidence, "iob1_votes": ev.iob1_votes,
                     "iob2_votes": ev.iob2_votes, "mixed": ev.mixed})
    return pl.DataFrame(rows, schema={
        "source": pl.String, "scheme": pl.String, "detected": pl.String,
        "confidence": pl.Float64, "iob1_votes": pl.Int64, "iob2_votes": pl.Int64,
        "mixed": pl.Boolean,
    })


def annotate(df: pl.DataFrame, tag_col: str, scheme: str, *, vocab: TagVocab | None = None
             ) -> pl.DataFrame:
    """Add ``_start`` (a chunk starts here), ``_type`` and ``_prefix`` columns for ``tag_col``.

    ``df`` must have ``sentence`` and be in reading order.  ``_prefix`` is the canonical prefix
    (``O B I E S``) and ``_type`` the entity type, both as Enum columns (compare them with plain
    strings; cast to ``pl.String`` for text).  The work is done on the small vocabulary of distinct
    tags (see :class:`TagVocab`), never per token in Python.  ``vocab``: the column's
    :class:`TagVocab` when the caller already built it.
    """
    if vocab is None:
        vocab = TagVocab(df[tag_col], bare=scheme == "IO")
    prefix = vocab.prefix_codes()
    tid = vocab.type_ids()
    work = pl.DataFrame({"p": prefix, "t": tid, "s": df["sentence"]})
    start = work.select(_starts_from_codes(pl.col("p"), pl.col("t"), pl.col("s"))).to_series()
    return df.with_columns(
        pl.Series("_prefix", _PREFIX_NAMES, dtype=_PREFIX_ENUM).gather(prefix),
        pl.Series("_type", [vocab.types[i] if i is not None else None for i in vocab.type_id],
                  dtype=vocab.type_enum()).gather(vocab.codes),
        start.alias("_start"),
    )


def to_iob2(df: pl.DataFrame, tag_col: str, scheme: str) -> pl.Expr:
    """Expression giving the IOB2 tag of every token of an :func:`annotate`-d frame.

    For IOB2 files the tag is kept as the file says (an orphan ``I-X`` stays ``I-X``: invalid
    transitions are reported, never silently repaired).  Other schemes are rewritten from the
    chunk structure (``B-`` at each chunk start, ``I-`` inside).  The result is Categorical.
    """
    if scheme == "IOB2":
        return pl.col(tag_col).cast(pl.Categorical)
    # one IOB2 tag per (type, start) pair: gather from a small table
    types = df["_type"].dtype.categories if isinstance(df["_type"].dtype, pl.Enum) else None
    if types is None:
        return (
            pl.when(pl.col("_prefix") == "O").then(pl.lit("O"))
            .when(pl.col("_start")).then(pl.lit("B-") + pl.col("_type").cast(pl.String))
            .otherwise(pl.lit("I-") + pl.col("_type").cast(pl.String))
        ).cast(pl.Categorical)
    table = ["O", "O"] + [f"{p}-{t}" for t in types for p in ("I", "B")]
    index = (
        pl.when(pl.col("_prefix") == "O").then(pl.lit(0, pl.UInt32))
        .otherwise(pl.col("_type").to_physical().cast(pl.UInt32) * 2 + 2
                   + pl.col("_start").cast(pl.UInt32))
    )
    return pl.lit(pl.Series(table, dtype=pl.Categorical)).gather(index)


def _chunk_last(inside: pl.Expr, start: pl.Expr, sentence: pl.Expr) -> pl.Expr:
    """Does a chunk end at this token?  A span runs from a chunk start to the token before the
    next chunk start, ``O`` or sentence change – found with shifts, no group-by."""
    nxt_same = (sentence.shift(-1) == sentence).fill_null(False)
    return inside & (~nxt_same | ~inside.shift(-1).fill_null(False)
                     | start.shift(-1).fill_null(True))


def spans_from(df: pl.DataFrame) -> pl.DataFrame:
    """Spans of an :func:`annotate`-d token frame (needs ``sentence``, ``position``, ``_start``,
    ``_prefix``, ``_type``).

    Returns ``sentence``, ``start``, ``end`` (exclusive), ``label``.
    """
    last = _chunk_last(pl.col("_prefix") != "O", pl.col("_start"), pl.col("sentence"))
    flags = df.select(
        "sentence", "position", "_type", pl.col("_start").alias("_s"), last.alias("_l")
    )
    starts = flags.filter(pl.col("_s"))
    ends = flags.filter(pl.col("_l"))
    return pl.DataFrame({
        "sentence": starts["sentence"].cast(pl.UInt32),
        "start": starts["position"].cast(pl.UInt32),
        "end": (ends["position"].cast(pl.UInt32) + 1),
        "label": starts["_type"].cast(pl.String),
    })


def chunk_bounds(codes: pl.DataFrame, position: pl.Series, types: list[str]) -> pl.DataFrame:
    """The chunks (seqeval's rules) of a :func:`code_frame` in reading order, in one polars run.

    Parameters
    ----------
    codes : pl.DataFrame
        ``p``, ``t`` and ``s`` of every token (see :func:`code_frame`).
    position : pl.Series
        Index of every token in its sentence.
    types : list of str
        The type names (``TagVocab.types``) the type ids index.

    Returns
    -------
    pl.DataFrame
        ``sentence``, ``start``, ``end`` (exclusive), ``label`` and ``row`` (the row of the first
        token in ``codes``) of every chunk.
    """
    p, t, s = pl.col("p"), pl.col("t"), pl.col("s")
    start = _starts_from_codes(p, t, s)
    flags = codes.lazy().with_columns(
        position.alias("_pos"), start.alias("_s"), _chunk_last(p != _O, start, s).alias("_l"))
    is_start, is_last = pl.col("_s"), pl.col("_l")
    return flags.select(
        s.filter(is_start).cast(pl.UInt32).alias("sentence"),
        pl.col("_pos").filter(is_start).cast(pl.UInt32).alias("start"),
        (pl.col("_pos").filter(is_last).cast(pl.UInt32) + 1).alias("end"),
        pl.lit(pl.Series(types, dtype=pl.String)).gather(t.filter(is_start)).alias("label"),
        pl.int_range(pl.len(), dtype=pl.UInt32).filter(is_start).alias("row"),
    ).collect()


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


def invalid_transitions(df: pl.DataFrame, tag_col: str, scheme: str) -> pl.DataFrame:
    """Every invalid transition in ``df``, one row each, on the token where it happens.

    Parameters
    ----------
    df : pl.DataFrame
        Tokens in reading order with ``sentence`` and ``tag_col`` (tags in ``scheme``); other
        columns (``line``, ``source``, ``position``...) are carried along.
    tag_col : str
        Column holding the tags.
    scheme : str
        One of :data:`SCHEMES`; the rules are those of :func:`transition_valid`.

    Returns
    -------
    pl.DataFrame
        The carried columns plus ``from_tag`` and ``to_tag``: ``from_tag → to_tag`` is invalid.
        A bad transition into a token (``<s> → I-X``, ``O → I-X``) is reported on that token; a bad
        sentence end (``B-X → </s>`` in BIOES) on the sentence's last token.
    """
    carried = [c for c in df.columns if c != tag_col]
    schema = {**{c: df.schema[c] for c in carried}, "from_tag": pl.String, "to_tag": pl.String}
    if df.height == 0:
        return pl.DataFrame(schema=schema)
    tag = pl.col(tag_col).cast(pl.String)
    first = (pl.col("sentence") != pl.col("sentence").shift(1)).fill_null(True)
    last = (pl.col("sentence") != pl.col("sentence").shift(-1)).fill_null(True)
    base = df.with_row_index("_row").with_columns(tag.alias("_t"))
    into = base.with_columns(
        pl.when(first).then(pl.lit("<s>")).otherwise(pl.col("_t").shift(1)).alias("from_tag"),
        pl.col("_t").alias("to_tag"),
        pl.lit(0, pl.UInt8).alias("_k"),
    )
    into = into.filter(~transition_valid(pl.col("from_tag"), pl.col("to_tag"), scheme))
    ends = base.filter(last).with_columns(
        pl.col("_t").alias("from_tag"), pl.lit("</s>").alias("to_tag"),
        pl.lit(1, pl.UInt8).alias("_k"),
    )
    ends = ends.filter(~transition_valid(pl.col("from_tag"), pl.col("to_tag"), scheme))
    return (
        pl.concat([into, ends]).sort("_row", "_k").select(*carried, "from_tag", "to_tag")
    )
