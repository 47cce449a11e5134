"""Reader for the column-per-line BIO dialects.

Handles the seed dialect (``<s>``/``</s>`` wrapped sentences), CoNLL-2003 (space-separated columns,
``-DOCSTART-``), TAB-separated 2–5 column files with the tag in any column, ``#`` comment lines and
lone-TAB sentence breaks.  Every step is a polars expression over all lines at once.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field

import polars as pl

from ..errors import BioFormatError
from ..schemes import TAG_PATTERN
from .lines import BOM, RawText

TAG_OR_O = r"^(O|[BIESLUM]-\S.*)$"
#: a '#' line whose tag field starts like a tag ('B-', even broken) is a token line, not a comment
_TAG_ATTEMPT = r"^(O|[BIESLUM]-.*)$"
_DETECT_SAMPLE = 10_000  # lines the layout is decided on (x2, x4 for some checks)
_COMPACT_SAMPLE = 20_000  # values an extra column's type (Categorical or String) is decided on
_HEAD_LINES = 4 * _DETECT_SAMPLE
_CATEGORICAL_MAX = 1_000  # extra columns with at most this many values (in a sample): Categorical
_COUNT_CHUNK = 1 << 20  # bytes counted at a time by the separator proofs (small scratch arrays)
#: whether :func:`parse_text` may leave the extra columns and ``_off`` for later (see
#: :class:`Deferred`); a caller that needs every column at once (the dataset conversion) sets False
defer_columns: ContextVar[bool] = ContextVar("defer_columns", default=True)


@dataclass
class Layout:
    """How a text file is laid out; kept on the corpus so the writer can reproduce it."""

    dialect: str  # "seed", "conll", "tsv"
    sep: str
    n_cols: int
    token_col: int
    tag_col: int
    tag_cols: list[int] = field(default_factory=list)  # every column that looks like tags


@dataclass
class Parsed:
    """The token table of one file plus what the writer and the problems table need."""

    tokens: pl.DataFrame  # line, sentence, position, token, _field, _eff, _off, col{i}...
    layout: Layout
    problems: list[dict]
    n_docs: int
    deferred: Deferred | None = None  # columns left out of ``tokens`` until asked for
    tag_values: list[str] | None = None  # the distinct ``_eff`` tags, when the parser knows them


@dataclass
class Deferred:
    """Token columns a fast read left out: the extra columns (``col{i}``: POS, chunk...) and the
    tag-field offsets ``_off``, read again from the kept bytes when first asked for.

    The first read parses only the token and tag columns; :meth:`apply` parses the others from the
    same bytes with the same reader and picks the token lines by their ``line`` numbers, so the
    result equals what a full read would have built (and any subset of rows can be completed).
    """

    raw: RawText = field(repr=False)
    sep: str
    dtypes: dict
    extra: list[int]  # columns other than the token and tag ones
    token_col: int
    tag_col: int
    offsets: bool  # ``_off`` too (a column before the tag one was not read)
    ascii_text: bool | None  # None: decided from ``raw`` when the offsets are counted

    def frame(self, line: pl.Series, token: pl.Series) -> pl.DataFrame:
        """The deferred columns of the token lines ``line`` (1-based line numbers, increasing),
        whose tokens are ``token``."""
        before = set(range(self.tag_col)) - {self.token_col} if self.offsets else set()
        wanted = sorted(set(self.extra) | before)
        out: dict[str, pl.Series] = {}
        if wanted:
            fields = _csv_fields(self.raw, self.sep, self.dtypes, None, columns=wanted)
            if fields is None:  # pragma: no cover - the same bytes were read before
                raise RuntimeError("the kept text of a corpus file could not be read again")
            rows = (line - 1).cast(pl.UInt32)
            if line.len() < 2 or bool((line.diff().drop_nulls() > 0).all()):
                # increasing lines: a filter (it copies less than a gather)
                keep = pl.repeat(False, fields.height, eager=True).scatter(rows, True)
                fields = fields.filter(keep)
            else:  # pragma: no cover - token rows are always in line order
                fields = fields.gather(rows)
            out = {f"col{i}": _compact(fields[f"c{i}"]) for i in self.extra}
        if self.offsets:
            ascii_text = (_ascii_text(self.raw, self.tag_col) if self.ascii_text is None
                          else self.ascii_text)
            out["_off"] = _tag_offsets(
                lambda i: token if i == self.token_col else fields[f"c{i}"],
                self.tag_col, line.len(), ascii_text)
        return pl.DataFrame(out, height=line.len())

    def apply(self, tok: pl.DataFrame) -> pl.DataFrame:
        """``tok`` (an internal token frame of this file's rows) with the deferred columns, in the
        order a full read gives: public columns, extra columns, then ``_off`` after ``_eff``."""
        return self.join(tok, self.frame(tok["line"], tok["token"]))

    @staticmethod
    def join(tok: pl.DataFrame, add: pl.DataFrame) -> pl.DataFrame:
        """``tok`` with the columns ``add`` (from :meth:`frame`) in a full read's order."""
        public = [c for c in tok.columns if not c.startswith("_")]
        internal = [c for c in tok.columns if c.startswith("_")]
        if "_off" in add.columns:
            at = internal.index("_eff") + 1 if "_eff" in internal else len(internal)
            internal.insert(at, "_off")
        extra = [c for c in add.columns if not c.startswith("_")]
        return tok.hstack(add).select(*public, *extra, *internal)


class Problems:
    """The problems a parser meets in one file: raised at once (``errors="raise"``: a
    :class:`~bio_explorer.errors.BioFormatError` naming file and line) or collected as rows of
    the problems table (``errors="collect"``)."""

    def __init__(self, path: str, errors: str, rows: list | None = None) -> None:
        self.path, self.errors, self.rows = path, errors, list(rows or [])

    def report(self, line: int | None, kind: str, reason: str) -> None:
        if self.errors == "raise":
            raise BioFormatError(self.path, line, reason)
        self.rows.append({"source": self.path, "line": line, "kind": kind, "message": reason})


def _csv_fields(raw: RawText, sep: str, dtypes: dict, n_rows: int | None,
                columns: list[int] | None = None) -> pl.DataFrame | None:
    """Columns of every line read from ``raw.utf8`` by polars' CSV reader, or None when it cannot.

    ``dtypes`` maps ``c0..c{n-1}`` to String/Categorical; ``columns`` picks some of them (the
    reader then skips the others).  Missing and empty fields read as ``""``.
    """
    if "\r" in sep or not raw.utf8 or raw.utf8.startswith(BOM):
        return None  # (polars would drop a U+FEFF that belongs to the first token)
    try:
        frame = pl.read_csv(
            raw.utf8,
            separator=sep,
            has_header=False,
            quote_char=None,
            schema=dtypes,
            columns=columns,
            truncate_ragged_lines=True,
            missing_columns="insert",
            infer_schema=False,
            empty_string_is_null=False,  # empty and missing fields read as "": no fill pass
        )
    except Exception:
        return None
    if n_rows is not None and frame.height != n_rows:
        return None
    return _fill_empty(frame)


def _fill_empty(frame: pl.DataFrame) -> pl.DataFrame:
    # fill only the columns that hold nulls (a fill copies the column)
    filled = [pl.col(c).fill_null("") for c in frame.columns if frame[c].null_count()]
    return frame.with_columns(filled) if filled else frame


def _fields(
    raw: RawText, content: pl.Series | None, sep: str, n: int, use_csv: bool, n_rows: int,
    dtypes: dict | None = None,
) -> pl.DataFrame:
    """Columns ``c0..c{n-1}`` of every line (``""`` where a line has fewer fields).

    ``use_csv`` reads them from ``raw.utf8`` with polars' CSV reader (``n_rows`` rows expected),
    else (or when that fails) they are split from ``content``.  ``dtypes`` maps column names to
    String/Categorical.
    """
    names = [f"c{i}" for i in range(n)]
    dtypes = dtypes or dict.fromkeys(names, pl.String)
    frame = _csv_fields(raw, sep, dtypes, n_rows) if use_csv else None
    if frame is not None:
        return frame
    if content is None:
        content = raw.lines  # fast files: the lines are the content
    frame = content.str.split(sep).list.to_struct(fields=names).struct.unnest()
    for name in names:
        if name not in frame.columns:
            frame = frame.with_columns(pl.lit(None, pl.String).alias(name))
    return _fill_empty(frame.select(names).cast(dtypes))


@dataclass
class _LineKinds:
    """What each line is, for lines that are not plainly token lines (see :func:`parse_text`)."""

    blank: pl.Series  # empty or white space only (a sentence break)
    marker: pl.Series  # ``<s>`` / ``</s>``
    docstart: pl.Series  # ``-DOCSTART-`` line
    hashed: pl.Series  # starts with '#': a comment unless its tag field is a tag

    @property
    def candidate(self) -> pl.Series:
        """Lines that may hold a token (or a comment)."""
        return ~(self.blank | self.marker | self.docstart)


def _line_kinds(content: pl.Series) -> _LineKinds:
    """Classify every line of ``content`` (the costly string work runs on few lines)."""
    # only lines that start or end with white space (any Unicode white space, e.g. U+3000) need
    # stripping (blank / lone-TAB lines...); the stripped text is never materialised for all lines
    edge = content.str.contains(r"^\s|\s$") | (content.str.len_bytes() == 0)
    blank = _on_subset(content, edge, lambda c: c.str.strip_chars().str.len_bytes() == 0, False)
    marker = _on_subset(
        content, edge | content.str.starts_with("<"),
        lambda c: c.str.strip_chars().is_in(["<s>", "</s>"]), False,
    )
    return _LineKinds(blank, marker, content.str.starts_with("-DOCSTART-"),
                      content.str.starts_with("#"))


def _scatter(n: int, idx: pl.Series, part: pl.Series, default) -> pl.Series:
    """A length-``n`` Series holding ``part`` at ``idx`` and ``default`` elsewhere."""
    if part.len() == n:
        return part
    return pl.repeat(default, n, eager=True, dtype=part.dtype).scatter(idx, part)


def _field_counts(content: pl.Series, sep: str) -> tuple[pl.Series, pl.Series | None]:
    """Fields per line, and the lines of a TAB file that hold no TAB but spaces (or None).

    Only the one-field lines of a TAB file are classified.  A space-only line in a TAB file (e.g.
    StackOverflow's merged-labels file) is split on spaces.
    """
    n_fields = content.str.count_matches(sep, literal=True) + 1
    if sep != "\t":
        return n_fields, None
    one = n_fields == 1
    mixed = _on_subset(
        content, one,
        lambda c: _line_kinds(c).candidate & c.str.contains(" ", literal=True), False,
    )
    if not mixed.any():
        return n_fields, None
    n_fields = pl.select(
        pl.when(mixed).then(content.str.count_matches(" ", literal=True) + 1).otherwise(n_fields)
    ).to_series()
    return n_fields, mixed


def _trailing_seps(content: pl.Series, sep: str) -> pl.Series:
    """Number of empty fields at the end of each line (GermEval's trailing TAB)."""
    return _on_subset(
        content, content.str.ends_with(sep),
        lambda c: c.str.count_matches(sep, literal=True)
        - c.str.strip_chars_end(sep).str.count_matches(sep, literal=True),
        0,
    )


def _mode(counts: pl.Series) -> int:
    return int(counts.mode().sort()[-1]) if counts.len() else 1


@dataclass
class _Detected:
    """The layout decided on the first lines of a file."""

    sep: str
    n_cols: int
    token_col: int
    tag_col: int
    dtypes: dict
    tagish: list


def _detect(
    raw: RawText, content: pl.Series, kinds: _LineKinds, path: str, problems: Problems, *,
    sep: str, token_col: int | None, tag_col: int | None,
) -> _Detected:
    """Separator, column count, token and tag columns, column dtypes – from ``content``."""
    candidate = kinds.candidate
    if sep == "auto":
        head = 4 * _DETECT_SAMPLE
        sample = content.head(head).filter(candidate.head(head)).head(_DETECT_SAMPLE)
        tab_share = sample.str.contains("\t", literal=True).mean() or 0.0
        sep = "\t" if tab_share >= 0.5 else " "
    n_fields, mixed = _field_counts(content, sep)
    body = candidate & ~kinds.hashed
    body_counts = n_fields.filter(body)
    if body_counts.len() == 0:
        body_counts = n_fields.filter(candidate)
    n_cols = _mode(body_counts)
    width = max(n_cols, 1)
    if n_cols < 2:
        line = int(candidate.arg_true()[0]) + 1
        problems.errors = "raise"
        problems.report(
            line,
            "no_tags",
            "no tag column found: lines hold a single field; expected 'token<TAB>tag' "
            "(or CoNLL columns with the tag last)",
        )
    # tag column: the columns whose values look like tags; default per dialect.  Decided on the
    # first lines, split here with the same rules as the full read.
    head = 2 * _DETECT_SAMPLE
    sample_fields = _fix_mixed(
        _fields(raw, content.head(head), sep, width, False, 0), content.head(head),
        None if mixed is None else mixed.head(head),
    )
    sample_idx = sample_fields.filter(body.head(head))
    stats = _column_stats(sample_idx, width)
    shares = [stats[f"share{i}"] or 0.0 for i in range(width)]
    tagish = [(i, shares[i], stats[f"types{i}"]) for i in range(width)
              if shares[i] >= 0.5 and stats[f"tagged{i}"]]
    first_line = int(body.arg_true()[0]) + 1 if body.any() else None
    if tag_col is None:
        if not tagish:
            _check_bare_tags(sample_idx, width, path, first_line)
        tag_col = _pick_tag_col(tagish, sample_idx, width, sep, shares)
    if not 0 <= tag_col < width:
        raise BioFormatError(path, first_line, f"tag_col={tag_col} but token lines have {width} "
                             f"columns (0-based: 0..{width - 1})")
    if token_col is None:
        # leading columns empty on (nearly) every line: a space or TAB opens each line
        lead = 0
        while lead < width - 2 and lead != tag_col and (
            (sample_idx[f"c{lead}"] == "").mean() or 0.0
        ) >= 0.99:
            lead += 1
        numeric_share = sample_idx[f"c{lead}"].str.contains(r"^\d+$").mean() or 0.0
        first_numeric = numeric_share >= 0.95 and width - lead >= 3
        if tag_col == lead:
            token_col = lead + 1
        elif first_numeric and tag_col != lead + 1:
            token_col = lead + 1
        else:
            token_col = lead
    if not 0 <= token_col < width or token_col == tag_col:
        what = "is the tag column" if token_col == tag_col else \
            f"but token lines have {width} columns (0-based: 0..{width - 1})"
        raise BioFormatError(path, first_line, f"token_col={token_col} {what}")
    # the tag column and low-cardinality extra columns (POS, chunk...) are read as Categorical
    # (4 bytes a line instead of a 16-byte string view)
    dtypes = {
        f"c{i}": pl.Categorical
        if i == tag_col or (i != token_col and stats[f"distinct{i}"] <= _CATEGORICAL_MAX)
        else pl.String
        for i in range(width)
    }
    return _Detected(sep, n_cols, token_col, tag_col, dtypes, tagish)


def _column_stats(sample: pl.DataFrame, width: int) -> dict:
    """What the layout is decided on, for each column ``c{i}`` of ``sample`` (in one polars run):
    ``share{i}`` of values that look like a tag or ``O``, whether any is a prefixed tag
    (``tagged{i}``), the number of entity types among those (``types{i}``) and of distinct
    values (``distinct{i}``)."""
    exprs = []
    for i in range(width):
        col = pl.col(f"c{i}")
        looks = col.str.contains(TAG_OR_O)
        tagged = looks & (col != "O")  # (TAG_PATTERN: a tag or 'O', but not 'O')
        exprs += [looks.mean().alias(f"share{i}"),
                  tagged.any().alias(f"tagged{i}"),
                  col.filter(tagged).str.slice(2).n_unique().alias(f"types{i}"),
                  col.n_unique().alias(f"distinct{i}")]
    return sample.select(exprs).row(0, named=True)


def _distinct_where(values: pl.Series, outside: pl.Series) -> pl.Series:
    """Distinct values (as strings) of a Categorical column once the values ``outside`` (of a few
    rows) are taken out: counted over all rows minus those rows, with no filtered copy of the
    column."""
    counts = values.value_counts(name="n")
    outside = outside.value_counts(name="m")
    kept = counts.join(outside, on=values.name, how="left", nulls_equal=True).filter(
        pl.col("n") > pl.col("m").fill_null(0)
    )
    return kept[values.name].drop_nulls().cast(pl.String)


def _detached(values: pl.Series) -> pl.Series:
    """A copy of string values that owns its text (a gather shares the source's buffers)."""
    return pl.select(pl.concat_str([pl.lit(values), pl.lit("")])).to_series().alias(values.name)


def _join_fields(fields: pl.DataFrame, n_fields: pl.Series, sep: str) -> pl.Series:
    """The text of lines rebuilt from their first ``n_fields`` fields (exact when a line has at
    most as many fields as ``fields`` has columns)."""
    cols = [pl.col(c).cast(pl.String) for c in fields.columns]
    n = pl.lit(n_fields)
    parts = [cols[0]] + [
        pl.when(n > i).then(pl.lit(sep) + col) for i, col in enumerate(cols[1:], start=1)
    ]
    return fields.select(pl.concat_str(parts, ignore_nulls=True).alias("raw")).to_series()


def _odd_lines(fields: pl.DataFrame, n_fields: pl.Series, odd: pl.Series, sep: str) -> pl.Series:
    """The text of lines ``odd`` rebuilt from their fields: a one-field line is its first field
    (blank lines, usually), the others are joined (see :func:`_join_fields`)."""
    odd_n = n_fields.gather(odd)
    text = fields.get_column("c0").gather(odd).cast(pl.String).alias("raw")
    multi = (odd_n > 1).arg_true()
    if multi.len():
        text = text.scatter(multi, _join_fields(fields.gather(odd.gather(multi)),
                                                odd_n.gather(multi), sep))
    return text


def _odd_stand_in(fields: pl.DataFrame, n_fields: pl.Series, odd: pl.Series, sep: str
                  ) -> pl.Series:
    """Stand-ins for the text of lines ``odd`` when only some columns were read: a one-field
    line is its first field; a longer one is its first field, a separator and a non-empty last
    field (its field count is proven, its last field is not empty), and a line of separators
    only is itself.  A stand-in has the line's kind (:func:`_line_kinds`: ``_quick_fields`` has
    ruled out a blank or marker first field on any other longer line) and its trailing
    separators, which is all the line text is read for."""
    text = fields.get_column("c0").gather(odd).cast(pl.String).alias("raw")
    odd_n = n_fields.gather(odd)
    multi = (odd_n > 1).arg_true()
    if multi.len() == 0:
        return text
    # (a longer line whose first field is empty is a line of separators only: _quick_fields has
    # sent every other such file to the full path; it is its own exact text)
    first, n_multi = text.gather(multi), odd_n.gather(multi)
    seps_only = n_multi.replace_strict({n: sep * (n - 1) for n in n_multi.unique().to_list()},
                                       return_dtype=pl.String)
    return text.scatter(multi, pl.select(
        pl.when(pl.lit(first) == "").then(pl.lit(seps_only)).otherwise(pl.lit(first) + (sep + "x"))
    ).to_series())


def _maybe_in(data: bytes, needle: bytes, *, line_start: bool = False) -> bool:
    """Whether ``needle`` may occur (at a line start): False only when the bytes rule it out."""
    if not data:
        return True  # no bytes kept (decoded text): cannot rule anything out
    if line_start:
        return data.startswith(needle) or b"\n" + needle in data
    return needle in data


def _quick_fields(
    raw: RawText, path: str, *, sep: str, token_col: int | None, tag_col: int | None,
) -> tuple[_Detected, pl.DataFrame, pl.Series, pl.Series, pl.Series, list[int] | None] | None:
    """The layout, fields, field counts and plain token lines of a file read from its bytes alone.

    The common case of :func:`parse_text` without a line table: the layout is decided on the first
    lines, polars' CSV reader splits the fields from the bytes (and so checks they are UTF-8), and
    the field count of a line is taken to end at its last non-empty field.  One sum proves it: the
    bytes of all fields plus one separator between fields plus the line ends must add up to the
    file's size.  When the layout has columns besides the token, tag and last ones, only those
    are read (the others are left to :class:`Deferred`) and the separators prove the counts (see
    :func:`_field_counts_from_seps`); if that fails every column is read.  Returns ``(detected,
    fields, n_fields, tag column, regular, columns read or None for all)`` or None whenever
    anything is unusual – the sum fails (a trailing empty field, a line with more fields than the
    layout), a TAB file with space-separated lines, a file that is mostly not plain token lines,
    undecodable bytes, a layout error – and the full line-table path then reads the file (and
    reports what is wrong).
    """
    if not raw.utf8 or raw.newline != "\n" or raw.cr_in_lines:
        return None  # \r in lines: the byte lengths would count it
    head = raw.head(_HEAD_LINES)  # (a short pending file is split and checked here)
    body = raw.utf8
    if raw.problems or not body or body.startswith(BOM):
        return None  # replaced undecodable bytes, or a U+FEFF that starts the first token
    kinds = _line_kinds(head)
    if not kinds.candidate.any():
        return None
    try:
        det = _detect(raw, head, kinds, path, Problems(path, "raise"), sep=sep,
                      token_col=token_col, tag_col=tag_col)
    except BioFormatError:
        return None
    # lines of separators only (StackOverflow's lone-TAB sentence breaks) have more fields than
    # their last non-empty one: no sum of lower bounds can prove the counts, which are then
    # measured from the bytes (_line_shapes), with no column read for them
    sep_only = bool(((head.str.len_bytes() > 0) & (head.str.strip_chars(det.sep) == "")).any())
    del head, kinds
    shapes = None  # every line's exact field count (and more), measured from the bytes
    if sep_only:
        shapes = _line_shapes(body, det.sep, raw.final_newline)
        if shapes is None or (shapes["n_fields"] > det.n_cols).any():
            return None  # (no numpy), or lines with more fields than columns
    projected = None  # the columns read when the others are left for later (see Deferred)
    # (the last column is read to prove the field counts, unless they are measured)
    wanted = sorted({0, det.token_col, det.tag_col}
                    | ({det.n_cols - 1} if shapes is None else set()))
    if defer_columns.get() and len(wanted) < det.n_cols:
        fields = _csv_fields(raw, det.sep, det.dtypes, None, columns=wanted)
        if fields is None:
            n_fields = None
        elif shapes is not None:
            n_fields = shapes["n_fields"] if shapes.height == fields.height else None
        else:
            n_fields = _field_counts_from_seps(fields, wanted, body, det.sep, raw.final_newline)
        if n_fields is not None:
            projected = wanted
    if projected is None:
        fields = _csv_fields(raw, det.sep, det.dtypes, None)
        if fields is None:
            return None  # (undecodable bytes among them)
        n_lines = fields.height
        n_fields = None if sep_only else _field_counts_from_bytes(
            fields, len(body) - n_lines + (not raw.final_newline))
        if n_fields is None:
            if shapes is None:
                shapes = _line_shapes(body, det.sep, raw.final_newline)
            if shapes is None or shapes.height != n_lines:
                return None
            n_fields = shapes["n_fields"]
        if (n_fields > det.n_cols).any():
            return None  # lines with more fields than columns
    n_lines = fields.height
    first = fields["c0"].cast(pl.String)  # the whole line when it holds no separator
    if det.sep == "\t":
        mixed = _on_subset(
            first, n_fields == 1,
            lambda c: _line_kinds(c).candidate & c.str.contains(" ", literal=True), False,
        )
        if mixed.any():
            return None
    # lines that are never plain token lines, whatever their tag field ('-DOCSTART-' and '#'
    # hold no separator: a line starts with them exactly when its first field does)
    tag_cat = fields[f"c{det.tag_col}"]
    regular = _regular(tag_cat, n_fields, det.n_cols, first=first)
    if 2 * int(regular.sum()) <= n_lines:
        return None  # mostly other lines: the layout is decided on the whole file
    if projected is not None:
        # the other lines are classified on their first field (see _odd_stand_in): a line of
        # several fields whose first one is blank or a sentence marker could be a blank or marker
        # line only if its unread fields are blank too – leave such files to the full path
        # (lines of separators only are known from their bytes)
        odd_multi = ~regular & (n_fields > 1)
        if shapes is not None:
            odd_multi = odd_multi & ~shapes["sep_only"]
            if (odd_multi & shapes["sep_last"]).any():
                return None  # an empty last field, unread: its stand-in would drop its separator
        if odd_multi.any() and first.filter(odd_multi).str.strip_chars().is_in(
                ["", "<s>", "</s>"]).any():
            return None
    del first
    raw.mark_valid()
    return det, fields, n_fields, tag_cat, regular, projected


def _field_counts_from_bytes(fields: pl.DataFrame, text_bytes: int) -> pl.Series | None:
    """Fields per line (UInt32) of ``fields``, each taken to end at the line's last non-empty field;
    None unless the field bytes, separators and ``text_bytes`` (the text without its line ends)
    add up – which proves every count (a count can only be too small, never too large)."""
    lengths = [
        (pl.col(c).cat.len_bytes() if fields.schema[c] == pl.Categorical
         else pl.col(c).str.len_bytes()).fill_null(0)
        for c in fields.columns
    ]
    last = pl.max_horizontal(pl.lit(1, pl.UInt16), *(
        (n > 0).cast(pl.UInt16) * pl.lit(i + 1, pl.UInt16) for i, n in enumerate(lengths)))
    n_fields = fields.select(last.cast(pl.UInt32).alias("n_fields")).to_series()
    total = fields.select(pl.sum_horizontal(n.cast(pl.Int64).sum() for n in lengths)).item()
    if int(total) + int(n_fields.sum()) - n_fields.len() != text_bytes:
        return None
    return n_fields


def _line_shapes(body: bytes, sep: str, final_newline: bool) -> pl.DataFrame | None:
    """Fields per line of ``body`` (``n_fields``, UInt32), whether a line holds separators
    only (``sep_only``: StackOverflow's lone-TAB sentence breaks) and whether it ends with one
    (``sep_last``: an empty last field).

    Exact for every line (a line wider than the layout gets a count above its columns): with no
    quoting, a line's fields are its separator bytes plus one.  Newlines and separators are found
    with numpy in bounded slices, so no column has to be read.  None when numpy is missing.
    """
    try:
        import numpy as np
    except ImportError:  # pragma: no cover - numpy comes with pyarrow and most installs
        return None
    data = np.frombuffer(body, np.uint8)
    code = ord(sep)
    # per line, as compact as it gets (the scratch arrays of a slice are reused by the next one)
    n_fields, sep_only, sep_last = [], [], []
    last_end, carry = -1, 0  # the newline before line 1 is at -1; separators since the last one

    def add(n_seps, n_bytes, last: np.ndarray) -> None:
        n_fields.append((n_seps + 1).astype(np.uint32))
        sep_only.append((n_bytes > 0) & (n_seps == n_bytes))
        sep_last.append((n_bytes > 0) & last)

    for i in range(0, len(data), _COUNT_CHUNK):
        chunk = data[i:i + _COUNT_CHUNK]
        at = np.flatnonzero((chunk == code) | (chunk == 10))  # separators and newlines, in order
        nl = np.flatnonzero(chunk[at] == 10)  # which of them are newlines
        if len(nl):
            n_seps = np.diff(nl, prepend=-1) - 1  # separators between consecutive newlines
            n_seps[0] += carry
            ends = at[nl] + i
            add(n_seps, np.diff(ends, prepend=last_end) - 1, data[np.maximum(ends - 1, 0)] == code)
            last_end, carry = int(ends[-1]), len(at) - int(nl[-1]) - 1
        else:
            carry += len(at)
    if not final_newline:
        add(np.array([carry]), np.array([len(data) - last_end - 1]),
            np.array([len(data) > 0 and data[-1] == code]))
    if not n_fields:  # (no bytes at all)
        return pl.DataFrame(schema={"n_fields": pl.UInt32, "sep_only": pl.Boolean,
                                    "sep_last": pl.Boolean})
    return pl.DataFrame({"n_fields": np.concatenate(n_fields), "sep_only": np.concatenate(sep_only),
                         "sep_last": np.concatenate(sep_last)})


def _field_counts_from_seps(fields: pl.DataFrame, read: list[int], body: bytes, sep: str,
                            final_newline: bool) -> pl.Series | None:
    """Fields per line (UInt32) when only the columns ``read`` of ``fields`` were parsed.

    A line's count is taken to end at its last non-empty read field.  That is a lower bound of its
    separators, so one count proves them all: the bounds plus the line ends must equal the
    separator and newline bytes of ``body`` (first tried as every byte up to the space, one cheap
    comparison, then as the two bytes themselves).  None when they do not add up (a trailing empty
    field, an unread last field, a wider line...) or numpy is missing.
    """
    try:
        import numpy as np
    except ImportError:  # pragma: no cover - numpy comes with pyarrow and most installs
        return None
    bound = fields.select(pl.max_horizontal(pl.lit(0, pl.UInt32), *(
        pl.when((pl.col(f"c{i}").cat.len_bytes() if fields.schema[f"c{i}"] == pl.Categorical
                 else pl.col(f"c{i}").str.len_bytes()) > 0)
        .then(pl.lit(i, pl.UInt32)).otherwise(pl.lit(0, pl.UInt32))
        for i in read if i > 0)).alias("n_fields")).to_series()
    expected = int(bound.sum()) + bound.len() - (not final_newline)
    data = np.frombuffer(body, np.uint8)

    def count(test) -> int:  # in slices: a bounded scratch array
        return sum(int(np.count_nonzero(test(data[i:i + _COUNT_CHUNK])))
                   for i in range(0, len(data), _COUNT_CHUNK))

    if count(lambda a: a <= 32) != expected:
        code = ord(sep)
        if count(lambda a: (a == code) | (a == 10)) != expected:
            return None
    return bound + 1


def _special(first: pl.Expr) -> pl.Expr:
    """Lines that are never plain token lines, whatever their tag field, told by their first
    field (or their text): ``-DOCSTART-`` and ``#`` lines."""
    return first.str.starts_with("-DOCSTART-") | first.str.starts_with("#")


def _regular(tag_cat: pl.Series, n_fields: pl.Series, n_cols: int,
             special: pl.Series | None = None, *, first: pl.Series | None = None) -> pl.Series:
    """Plainly token lines: the usual column count, a tag-looking tag field, and not ``special``
    (given, or found from the first fields ``first`` by :func:`_special`).  The distinct tag
    fields are found while the rest is computed (two polars runs side by side)."""
    columns = {"_tag": tag_cat, "_n": n_fields}
    if first is not None:
        columns["_first"], is_special = first, _special(pl.col("_first"))
    else:
        columns["_special"], is_special = special, pl.col("_special")
    frame = pl.DataFrame(columns).lazy()
    shape, vocab = pl.collect_all([
        frame.select(((pl.col("_n") == n_cols) & ~is_special).alias("regular")),
        frame.select(pl.col("_tag").unique().drop_nulls().cast(pl.String)),
    ])
    vocab = vocab.to_series()
    good = vocab.filter(vocab.str.contains(TAG_OR_O))
    tag_ok = tag_cat.is_in(good.implode()) if good.len() < vocab.len() else tag_cat.is_not_null()
    return tag_ok.fill_null(False) & shape.to_series()


def parse_text(
    raw: RawText,
    path: str,
    *,
    sep: str = "auto",
    token_col: int | None = None,
    tag_col: int | None = None,
    multi_tag: str = "error",
    errors: str = "raise",
    strict: bool = True,
) -> Parsed:
    """Parse the lines of a column file into a token table (see module docstring).

    The layout (separator, columns, tag column) is decided on the first lines.  On the whole file
    only cheap facts are computed for every line – its field count, whether its tag field is a
    known tag – and the lines that are not plainly token lines (blank, ``<s>``, ``-DOCSTART-``,
    comments, malformed lines: usually a few percent) get the full classification.
    """
    det = None
    whole = False  # decide the layout on the whole file rather than on its first lines
    quick = _quick_fields(raw, path, sep=sep, token_col=token_col, tag_col=tag_col)
    projected = None
    if quick is not None:  # fields and field counts from the bytes: no line table at all
        det, fields, n_fields, tag_cat, regular, projected = quick
        sep, n_cols, width = det.sep, det.n_cols, max(det.n_cols, 1)
        n_lines, mixed = regular.len(), None
        content = lines = wide_content = None
        wide = pl.Series("wide", [], pl.UInt32)
    else:
        lines = raw.lines  # a pending file is split and checked here (decoding errors)
        fast = not raw.cr_in_lines
        content = lines if fast else lines.str.strip_suffix("\r")
        n_lines = content.len()
        data = raw.utf8
    problems = Problems(path, errors, raw.problems)
    while quick is None:
        head = content if whole else content.head(_HEAD_LINES)
        kinds = _line_kinds(head)
        if not kinds.candidate.any():
            if head.len() == n_lines:
                return Parsed(empty_tokens(), Layout("tsv", "\t", 2, 0, 1), problems.rows, 0)
            whole = True  # a long run of non-token lines first: decide on the whole file
            continue
        det = _detect(raw, head, kinds, path, problems, sep=sep, token_col=token_col,
                      tag_col=tag_col)
        del head, kinds  # slices of the line table: they would keep all of it alive
        sep, n_cols, width = det.sep, det.n_cols, max(det.n_cols, 1)
        n_fields, mixed = _field_counts(content, sep)
        # lines that are never plain token lines, whatever their tag field
        special = pl.repeat(False, n_lines, eager=True)
        if _maybe_in(data, b"-DOCSTART-") or _maybe_in(data, b"#", line_start=True):
            special = special | pl.select(_special(pl.lit(content))).to_series()
        if mixed is not None:
            special = special | mixed
        wide = wide_content = None
        fields = None
        if fast and mixed is None:
            # The fields come from the bytes (polars' CSV reader), after the line table is freed.
            # The lines that matter later can be rebuilt from their fields, except those with
            # more fields than the layout's columns: keep a (detached) copy of those.
            wide = (n_fields > n_cols).arg_true()
            wide_content = _detached(content.gather(wide))
            content = lines = None
            raw.release_lines()
            fields = _csv_fields(raw, sep, det.dtypes, n_lines)
            if fields is None:  # polars could not read it: split the lines instead
                content = lines = raw.lines
                wide = wide_content = None
        if fields is None:
            fields = _fields(raw, content, sep, width, False, n_lines)
            fields = _fix_mixed(fields, content, mixed).cast(det.dtypes)
        tag_cat = fields[f"c{det.tag_col}"]
        regular = _regular(tag_cat, n_fields, n_cols, special)
        del special
        # The column count is the most common one over all token lines: when plain token lines
        # are the majority it is theirs; otherwise decide on the whole file.
        if whole or 2 * int(regular.sum()) > n_lines:
            break
        whole = True
        if content is None:
            content = lines = raw.lines  # rebuilt from the bytes
        del fields, tag_cat, regular, wide, wide_content
    assert det is not None
    token_col, tag_col = det.token_col, det.tag_col

    # the full classification of the other lines
    odd = (~regular).arg_true()
    if content is not None:
        odd_content = content.gather(odd)
    else:  # rebuilt from the fields (exact for lines with at most the layout's columns)
        odd_content = (_odd_stand_in(fields, n_fields, odd, sep) if projected
                       else _odd_lines(fields, n_fields, odd, sep))
        if wide.len():
            odd_content = odd_content.scatter(odd.search_sorted(wide), wide_content)
    # Every line that is not a plain token line is among the odd ones: what is decided about
    # lines (kind, comment, column count) is decided on them, and one scatter makes the mask.
    odd_kinds = _line_kinds(odd_content)
    has_marker = bool(odd_kinds.marker.any())
    is_docstart = (_scatter(n_lines, odd, odd_kinds.docstart, False)
                   if odd_kinds.docstart.any() else None)
    odd_n = n_fields.gather(odd)
    odd_eff = odd_n - _trailing_seps(odd_content, sep).cast(odd_n.dtype)
    if mixed is not None:
        odd_eff = pl.select(pl.when(mixed.gather(odd)).then(odd_n).otherwise(odd_eff)).to_series()
    odd_token = odd_kinds.candidate
    # comment lines: '#' lines whose tag field is not a tag, or with another column count
    # (a '#' line is a token when its tag field is a tag seen on the other lines: '#include B-X')
    hashed = odd_kinds.hashed & odd_token
    if hashed.any():
        odd_tags = tag_cat.gather(odd)
        seen_tags = _distinct_where(tag_cat, odd_tags.filter(~odd_token | odd_kinds.hashed))
        looks_tag = _on_subset(
            odd_tags, hashed,
            lambda t: t.cast(pl.String).str.contains(_TAG_ATTEMPT)
            | t.cast(pl.String).is_in(seen_tags.implode()),
            True,
        )
        odd_token = odd_token & ~(hashed & (~looks_tag | (odd_eff < n_cols)))
        del odd_tags
    del odd_content, odd_kinds, regular, wide, wide_content

    # strict column count (a plain token line has the layout's columns)
    bad_cols = odd_token & ((odd_n < n_cols) | (odd_eff > n_cols))
    if bad_cols.any():
        if strict:
            bad_lines = pl.DataFrame({"i": odd, "n": odd_n}).filter(bad_cols)
            for i, n in bad_lines.head(1000 if errors == "collect" else 1).iter_rows():
                problems.report(
                    i + 1,
                    "column_count",
                    f"expected {n_cols} {'TAB' if sep == chr(9) else 'space'}-separated columns "
                    f"(like the lines around it), found {n}",
                )
            odd_token = odd_token & ~bad_cols
    token_line = _scatter(n_lines, odd, odd_token, True)

    # The token table in two polars runs of independent expressions (run side by side): the
    # token lines of every read column, then sentence, doc and position next to the vocabulary.
    del n_fields, odd, odd_n, odd_eff, odd_token, bad_cols, hashed, content, lines
    extra_cols = [i for i in range(width) if i not in (tag_col, token_col)]
    read_cols = [int(c[1:]) for c in fields.columns]
    if quick is not None and defer_columns.get() and extra_cols:
        # read from the bytes: the extra columns are left for later even when they were read
        # (to count the fields), so that the token table never copies them (io.text.Deferred)
        read_cols = [i for i in read_cols if i in (token_col, tag_col)]
        projected = read_cols
    docstart = is_docstart is not None
    frame = fields.select(*(f"c{i}" for i in read_cols), token_line.alias("_tl"),
                          *([is_docstart.alias("_ds")] if docstart else []))
    del fields, is_docstart, token_line, tag_cat
    tokens = frame.lazy().select(_token_line_exprs(read_cols, token_col, tag_col, docstart))
    del frame
    tokens = tokens.collect(engine="in-memory")  # (single-chunk columns, like eager steps)
    tokens, vocab_frame = pl.collect_all([
        tokens.lazy().with_columns(_token_index_exprs(docstart)).drop("_dk", strict=False),
        # the distinct tag fields of the token lines (a Categorical column: few values)
        tokens.lazy().select(pl.col("_field").unique().drop_nulls().cast(pl.String)),
    ], engine="in-memory")

    # tags: validate the vocabulary (small) in Python, map back to lines with polars
    eff_map, bad = tag_vocabulary(vocab_frame.to_series().to_list(), multi_tag)
    if bad:  # the token table holds the token lines in order, with their line numbers
        first_bad = (
            tokens.select("line", pl.col("_field").cast(pl.String).alias("t"))
            .filter(pl.col("t").is_in(list(bad)))
        )
        for i, t in first_bad.head(1000 if errors == "collect" else 1).iter_rows():
            problems.report(i, bad[t][0], bad[t][1])
    identity = all(k == v for k, v in eff_map.items())
    defer_off = any(i not in read_cols for i in range(tag_col))
    ascii_text = None if defer_off else _ascii_text(raw, tag_col)
    offsets = None if defer_off else _tag_offsets(
        lambda i: tokens["token"] if i == token_col else tokens[f"c{i}"],
        tag_col, tokens.height, ascii_text)
    eff = [] if identity else [  # map the (few) distinct fields to effective tags
        pl.col("_field").cast(pl.String).replace_strict(eff_map, default="O",
                                                        return_dtype=pl.String)
        .cast(pl.Categorical).alias("_eff")]
    off = [] if offsets is None else [pl.lit(offsets).alias("_off")]
    extra = [] if projected else [pl.lit(_compact(tokens[f"c{i}"])).alias(f"col{i}")
                                  for i in extra_cols]
    del offsets
    # (the columns in the order of the earlier reader: with an identity map, ``_eff`` shares the
    # ``_field`` column and comes after the extra columns)
    tokens = tokens.select(
        "line", "sentence", "doc", pl.col("token").cast(pl.String), "_field", *eff, *off, *extra,
        *([pl.col("_field").alias("_eff")] if identity else []), "position",
    )
    if multi_tag == "keep":
        tokens = tokens.with_columns(tag_all_column(tokens["_field"], eff_map))
    dialect = "seed" if has_marker else ("conll" if sep == " " else "tsv")
    layout = Layout(dialect, sep, n_cols, token_col, tag_col, [t[0] for t in det.tagish])
    n_docs = int(tokens["doc"].max()) + 1 if tokens.height else 0
    deferred = None
    if projected and (extra_cols or defer_off):
        deferred = Deferred(raw, sep, det.dtypes, extra_cols, token_col, tag_col, defer_off,
                            ascii_text)
    return Parsed(tokens, layout, problems.rows, n_docs, deferred, sorted(set(eff_map.values())))


def _tag_offsets(field: Callable[[int], pl.Series], tag_col: int, n: int, ascii_text: bool
                 ) -> pl.Series:
    """Characters before the tag field of each of ``n`` lines: every field before it (``field(i)``
    gives column ``i``) and one separator after each (UInt32)."""
    offsets = pl.repeat(0, n, dtype=pl.UInt32, eager=True)
    for i in range(tag_col):
        offsets = offsets + _len_chars(field(i), ascii_text) + 1
    return offsets


def _ascii_text(raw: RawText, tag_col: int) -> bool:
    """Whether the characters of ``raw`` are its bytes (tag-field offsets then count bytes)."""
    return tag_col > 0 and bool(raw.utf8) and raw.utf8.isascii()


def _token_line_exprs(read_cols: list[int], token_col: int, tag_col: int, docstart: bool
                      ) -> list[pl.Expr]:
    """The token lines as expressions over every line (columns ``c{i}``, the token-line mask
    ``_tl`` and, when the file has ``-DOCSTART-`` lines, their mask ``_ds``): line, token,
    ``_field``, the other read columns and ``_dk`` (``-DOCSTART-`` lines up to here), each
    filtered to the token lines."""
    tl = pl.col("_tl")
    return [
        (tl.arg_true().cast(pl.UInt32) + 1).alias("line"),
        pl.col(f"c{token_col}").filter(tl).alias("token"),
        pl.col(f"c{tag_col}").filter(tl).alias("_field"),
        *(pl.col(f"c{i}").filter(tl) for i in read_cols if i not in (token_col, tag_col)),
        *([pl.col("_ds").cum_sum().filter(tl).alias("_dk")] if docstart else []),
    ]


def _token_index_exprs(docstart: bool) -> list[pl.Expr]:
    """Sentence, doc and position of the token lines (see :func:`_token_line_exprs`).

    A sentence is a run of consecutive token lines, i.e. of a constant ``line - row``; a document
    a run of a constant ``_dk``."""
    gap = pl.col("line") - pl.int_range(pl.len(), dtype=pl.UInt32)  # non-token lines before, + 1
    doc = pl.col("_dk").rle_id() if docstart else pl.lit(0, pl.UInt32)
    return [
        gap.rle_id().cast(pl.UInt32).alias("sentence"),
        doc.cast(pl.UInt32).alias("doc"),
        _position(gap).alias("position"),
    ]

def _on_subset(values: pl.Series, mask: pl.Series, fn, default) -> pl.Series:
    """``fn`` applied to the rows of ``values`` where ``mask`` holds; ``default`` elsewhere.

    Costly string work (regex, stripping) then runs on a few lines instead of all of them.
    """
    n_true = int(mask.sum())
    if n_true == 0:
        return pl.repeat(default, values.len(), eager=True)
    if n_true == values.len():
        return fn(values)
    idx = mask.arg_true()
    return _scatter(values.len(), idx, fn(values.gather(idx)), default)


def _fix_mixed(fields: pl.DataFrame, content: pl.Series, mixed: pl.Series | None) -> pl.DataFrame:
    """Re-split on spaces the lines of a TAB file that hold no TAB but spaces (``mixed``)."""
    if mixed is None:
        return fields
    names = fields.columns
    re_split = content.str.split(" ").list.to_struct(fields=names).struct.unnest()
    return fields.with_columns(
        pl.when(mixed).then(re_split[c].fill_null("")).otherwise(fields[c]).alias(c)
        for c in names
        if c in re_split.columns
    )


def _len_chars(values: pl.Series, ascii_text: bool = False) -> pl.Series:
    """UInt32 length in characters of every value (of a String or a Categorical column);
    ``ascii_text`` says the values are ASCII (their byte lengths are kept: no decoding)."""
    if values.dtype != pl.Categorical:
        lengths = values.str.len_bytes() if ascii_text else values.str.len_chars()
        return lengths.cast(pl.UInt32)
    return values.cat.len_chars().cast(pl.UInt32)  # measured on the categories, not per row


def _compact(values: pl.Series) -> pl.Series:
    """A low-cardinality extra column (POS, chunk, markdown tag...) as Categorical, else as is.

    The decision is made on a sample, so it costs a few milliseconds on any file size.
    """
    if values.dtype != pl.String or values.len() == 0:
        return values
    sample = values.head(_COMPACT_SAMPLE)
    if sample.n_unique() <= _CATEGORICAL_MAX:
        return values.cast(pl.Categorical)
    return values


def _position(run: pl.Expr) -> pl.Expr:
    """Index of each row within its run of equal ``run`` values (rows in order: no group-by)."""
    row = pl.int_range(pl.len(), dtype=pl.UInt32)
    first = (run != run.shift(1)).fill_null(True)
    return row - pl.when(first).then(row).otherwise(None).forward_fill()


def with_positions(tokens: pl.DataFrame) -> pl.DataFrame:
    """Add ``position`` (index in sentence) for a frame sorted by sentence – no group-by needed."""
    return tokens.with_columns(_position(pl.col("sentence")).alias("position"))


#: the types of a CoNLL-2000 chunk column (``B-NP``…): never the NER layer when another column
#: holds tags (a file whose NER column is all ``O``)
CHUNK_TYPES = frozenset({"NP", "VP", "PP", "ADJP", "ADVP", "SBAR", "PRT", "CONJP", "INTJ", "LST",
                         "UCP"})


def _check_bare_tags(sample: pl.DataFrame, width: int, path: str, line: int | None) -> None:
    """With no prefixed tag in any column, some column must hold ``O`` (an IO file); refuse a
    file whose would-be tag column holds integers (label ids) or nothing tag-like at all."""
    if any(((sample[f"c{i}"] == "O").mean() or 0.0) > 0 for i in range(width)):
        return
    numeric = [i for i in range(width)
               if (sample[f"c{i}"].str.contains(r"^-?\d+$").mean() or 0.0) >= 0.95]
    if numeric and numeric[-1] > 0:
        raise BioFormatError(
            path, line, f"column {numeric[-1]} holds integers (label ids?), not tags; expected "
            "tags such as 'O' or 'B-PER' (map the ids to label names first, e.g. "
            "bx.read(table, label_names=[...]))",
        )
    raise BioFormatError(path, line, "no tag column found: no column holds 'O' or tags such as "
                         "'B-PER'; pass tag_col=... if the tags are bare labels")


def _pick_tag_col(tagish: list[tuple[int, float, int]], sample: pl.DataFrame, width: int,
                  sep: str, shares: list[float] | None = None) -> int:
    """Choose the NER tag column among the tag-like ones.

    Space-separated (CoNLL-2003) files carry the NER tag last (the chunk column before it looks like
    tags too).  In TAB files the tag may sit anywhere: the column with the most entity types wins
    (StackOverflow NER keeps a markdown tag in column 4 that has one type), and on a tie the first
    (GermEval: outer layer before nested layer).
    """
    if not tagish:
        # IO files with bare labels: the column with the most 'O' values
        best, best_share = width - 1, -1.0
        for i in range(width):
            share = (sample[f"c{i}"] == "O").mean() or 0.0
            if share > best_share:
                best, best_share = i, share
        return best
    ids = [t[0] for t in tagish]
    shares = shares or [0.0] * width
    if sep == " " and ((width - 1) in ids or shares[width - 1] >= 0.5):
        return width - 1
    best = max(tagish, key=lambda t: (t[2], -t[0]))[0]
    types = set(sample[f"c{best}"].str.extract(r"^[BIESLUM]-(\S.*)$", 1).drop_nulls().to_list())
    if types <= CHUNK_TYPES:  # a chunk column: prefer a column of all-O NER tags
        others = [i for i in range(width) if i != best and shares[i] >= 0.5
                  and (sample[f"c{i}"] == "O").any()]
        if others:
            return others[-1]
    return best


#: a bare (IO) label must not look like a broken prefixed tag: ``X-PER``, ``B_PER``, ``B-``, ``""``
_MALFORMED = re.compile(r"^([A-Za-z][-_]|$)|-$|\s")


def tag_vocabulary(vocab: list[str], multi_tag: str) -> tuple[dict[str, str], dict[str, tuple]]:
    """Map every distinct tag field to its effective tag; collect the invalid ones.

    Parameters
    ----------
    vocab : list of str
        The distinct tag fields of a file (a small list: the loop is over the vocabulary).
    multi_tag : {"error", "first", "keep"}
        How comma-joined multi-tags (``B-corporation,B-person``) are read: an error, or their first
        tag (``"keep"`` also lists every tag in a ``tag_all`` column, see :func:`tag_all_column`).

    Returns
    -------
    mapping : dict
        Field → effective tag (``O`` for a bad field).
    bad : dict
        Field → ``(kind, message)`` for the fields that are not valid tags.
    """
    pat = re.compile(TAG_PATTERN)
    any_prefixed = any(pat.match(p) for v in vocab for p in v.split(","))
    mapping: dict[str, str] = {}
    bad: dict[str, tuple] = {}
    for v in vocab:
        if any(p[1:] == "-O" and pat.match(p) for p in v.split(",")):
            bad[v] = (
                "unknown_tag",
                f"tag {v!r} has the entity type 'O', which means 'outside any entity' (a "
                "truncated tag such as 'I-ORG'?); expected 'O' or a prefix and a real type, "
                "e.g. 'I-ORG'",
            )
            mapping[v] = "O"
            continue
        if v == "O" or (pat.match(v) and "," not in v):
            mapping[v] = v
            continue
        parts = v.split(",")
        if len(parts) > 1 and all(p == "O" or pat.match(p) for p in parts):
            mapping[v] = parts[0]
            if multi_tag not in ("first", "keep"):
                bad[v] = (
                    "multi_tag",
                    f"comma-joined multi-tag {v!r}; expected one tag per token "
                    "(pass multi_tag='first' to read the first one, or 'keep' to also list all "
                    "of them in a 'tag_all' column)",
                )
            continue
        mapping[v] = "O"
        if not any_prefixed and not _MALFORMED.search(v):
            mapping[v] = v  # IO file with bare labels
            continue
        bad[v] = (
            "unknown_tag",
            f"unknown tag {v!r}; expected 'O' or a prefix B-, I-, E-, S- (or L-, U-, M-) "
            "followed by a type, e.g. 'B-PER'",
        )
    return mapping, bad


def tag_all_column(field: pl.Series, mapping: dict[str, str]) -> pl.Series:
    """``tag_all`` for ``multi_tag="keep"``: every tag of a comma-joined field, else ``[tag]``."""
    multi = [v for v in mapping if "," in v and mapping[v] == v.split(",")[0]]
    field = field.cast(pl.String)
    eff = field.replace_strict(mapping, default="O", return_dtype=pl.String)
    return pl.select(
        pl.when(field.is_in(multi)).then(field.str.split(",")).otherwise(pl.concat_list(eff))
    ).to_series().alias("tag_all")


def empty_tokens() -> pl.DataFrame:
    return pl.DataFrame(
        schema={
            "line": pl.UInt32,
            "sentence": pl.UInt32,
            "doc": pl.UInt32,
            "token": pl.String,
            "_field": pl.String,
            "_eff": pl.String,
            "_off": pl.UInt32,
            "position": pl.UInt32,
        }
    )
