"""Anomalies: one row per suspicious place in a corpus, with a sentence a person can read.

Kinds
-----
``invalid_transition``
    a tag that the file's scheme does not allow after the previous one (``I-X`` after ``O``, after
    ``<s>`` or after another type in IOB2; an unclosed ``B-X`` in BIOES …) — one row per offending
    token (see :mod:`bio_explorer.analysis.transitions`).
``boundary_punct``
    a span that starts or ends with a punctuation token (``Metal Framework .``), or that holds an
    unbalanced bracket or quote (``Windows ( XP``).
``inconsistent_label`` / ``unlabelled_mention`` / ``inconsistent_boundary``
    from :func:`bio_explorer.analysis.consistency.inconsistencies` (occurrences labelled against
    the majority for their surface form; untagged mentions of a form that is a span elsewhere;
    a span whose extent disagrees with the other occurrences of the form).  ``label`` is the
    occurrence's label, or the majority label where the occurrence is untagged.
``multi_tag``
    a token whose tag field holds several comma-joined tags (WNUT-17 style).
``format``
    a problem found while reading with ``errors="collect"`` (``Corpus.problems``).

Local and global kinds, and when marks may be stale
---------------------------------------------------
The *local* kinds (:data:`LOCAL_KINDS`: ``invalid_transition``, ``boundary_punct``, ``multi_tag``,
``format``) depend only on the sentence they are in; the *global* kinds (:data:`GLOBAL_KINDS`, from
the consistency finder) weigh evidence from the whole corpus, which costs seconds on millions of
tokens.  So that an edit stays instant:

* :func:`anomalies` (``Corpus.anomalies()``) is always exact: when the tags changed since the last
  global result, it recomputes the global kinds before answering.
* ``stale_ok=True`` (:func:`anomalies` for the widget's counts), :func:`anomaly_sentences` (the
  ``filter(anomaly=...)`` index) and :func:`sentence_anomalies` (the marks of ``Corpus.page``)
  use **fresh local kinds** (recomputed incrementally, only for the sentences whose tags changed)
  and the **most recent global result**, even if it was computed on older tags.  Staleness rule:
  a global mark is dropped from every sentence whose tags (or tag fields) differ from those the
  global result was computed on; marks on untouched sentences are kept, even though an edit
  elsewhere might change them, until the next global result (:func:`refresh_global`, which the
  span view runs in the background after edits) replaces them.  Undoing an edit makes the old
  marks of that sentence valid again, and they come back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

import polars as pl

from .. import schemes
from ..state import View, all_spans, sentence_rows
from .transitions import invalid_tokens

if TYPE_CHECKING:
    from ..state import State

Frame = TypeVar("Frame", pl.DataFrame, pl.LazyFrame)

__all__ = [
    "GLOBAL_KINDS",
    "KINDS",
    "LOCAL_KINDS",
    "anomalies",
    "anomaly_sentences",
    "global_version",
    "kind_label_counts",
    "local_anomalies",
    "refresh_global",
    "sentence_anomalies",
    "set_global",
]

KINDS = (
    "invalid_transition",
    "boundary_punct",
    "inconsistent_label",
    "unlabelled_mention",
    "inconsistent_boundary",
    "multi_tag",
    "format",
)
_CONSISTENCY_KINDS = ("inconsistent_label", "unlabelled_mention", "inconsistent_boundary")
#: kinds that depend only on their own sentence (recomputed at once after an edit)
LOCAL_KINDS = ("invalid_transition", "boundary_punct", "multi_tag", "format")
#: kinds that weigh evidence from the whole corpus (recomputed on demand or in the background)
GLOBAL_KINDS = _CONSISTENCY_KINDS

SCHEMA = {
    "sentence": pl.UInt32,
    "start": pl.UInt32,
    "end": pl.UInt32,
    "kind": pl.String,
    "label": pl.String,
    "detail": pl.String,
}

#: a token made only of clause punctuation (never a sensible first/last token of an entity)
EDGE_PUNCT = r"^[.,;:!?…/\\|\-–—'`\"“”‘’«»()\[\]{}]+$"
#: bracket pairs whose counts must match inside a span
BRACKETS = (("(", ")"), ("[", "]"), ("{", "}"), ("“", "”"), ("«", "»"))
#: a lone bracket or quote at an edge is fine when it is balanced inside the span
_BALANCED_EDGE = r"^[()\[\]{}“”«»\"]+$"
#: any character of BRACKETS or a straight quote
_MARKS = r"[()\[\]{}“”«»\"]"


def _empty() -> pl.DataFrame:
    return pl.DataFrame(schema=SCHEMA)


def _q(expr: pl.Expr) -> pl.Expr:
    """Quote a string expression for a detail sentence: ``'text'``."""
    return pl.lit("'") + expr + pl.lit("'")


def _invalid(corpus: View) -> pl.DataFrame:
    inv = invalid_tokens(corpus)
    if inv.height == 0:
        return _empty()
    scheme = corpus.scheme
    _, typ = schemes.split_tag(pl.col("token_tag"), bare=scheme == "IO")
    iob2_orphan = (
        pl.lit(scheme == "IOB2") & pl.col("tag").str.starts_with("I-")
        & (pl.col("token_tag") == pl.col("tag"))
    )
    detail = (
        pl.when(iob2_orphan)
        .then(
            _q(pl.col("token")) + pl.lit(" is tagged ") + pl.col("tag") + pl.lit(" right after ")
            + pl.col("prev_tag") + pl.lit(": an I- tag must continue a span of the same type "
                                          "(read as the start of a new span)")
        )
        .otherwise(
            _q(pl.col("token")) + pl.lit(" (") + pl.col("token_tag") + pl.lit("): ")
            + pl.col("prev_tag") + pl.lit(" → ") + pl.col("tag")
            + pl.lit(f" is not allowed in {scheme}")
        )
    )
    return inv.select(
        "sentence",
        pl.col("position").alias("start"),
        (pl.col("position") + 1).alias("end"),
        pl.lit("invalid_transition").alias("kind"),
        typ.alias("label"),
        detail.alias("detail"),
    )


def _boundary_punct(corpus: View) -> pl.DataFrame:
    sp = all_spans(corpus.state)
    if sp.height == 0:
        return _empty()
    st = corpus.state
    rows = st.sent.select("sentence", "row")
    sp = sp.join(rows, on="sentence", how="left", maintain_order="left")
    tokens = st.tok["token"]
    sp = sp.with_columns(
        tokens.gather(sp["row"] + sp["start"]).alias("first"),
        tokens.gather(sp["row"] + sp["end"] - 1).alias("last"),
    )
    # only spans with a bracket or quote inside, or a punctuation token at an edge, can be
    # flagged: the per-bracket counts below run on those alone
    sp = sp.filter(pl.col("text").str.contains(_MARKS)
                   | pl.col("first").str.contains(EDGE_PUNCT)
                   | pl.col("last").str.contains(EDGE_PUNCT))
    unbalanced = [
        (pl.col("text").str.count_matches(o, literal=True)
         != pl.col("text").str.count_matches(c, literal=True)).alias(f"u{i}")
        for i, (o, c) in enumerate(BRACKETS)
    ]
    odd_quote = (pl.col("text").str.count_matches('"', literal=True) % 2 == 1).alias("uq")
    sp = sp.with_columns(*unbalanced, odd_quote)
    any_unbalanced = pl.any_horizontal([f"u{i}" for i in range(len(BRACKETS))] + ["uq"])

    def edge(col: str) -> pl.Expr:
        is_punct = pl.col(col).str.contains(EDGE_PUNCT)
        balanced_bracket = pl.col(col).str.contains(_BALANCED_EDGE) & ~any_unbalanced
        return is_punct & ~balanced_bracket & (pl.col("end") - pl.col("start") > 1)

    sp = sp.with_columns(edge("first").alias("bad_first"), edge("last").alias("bad_last"),
                         any_unbalanced.alias("bad_bracket"))
    sp = sp.filter(pl.col("bad_first") | pl.col("bad_last") | pl.col("bad_bracket"))
    if sp.height == 0:
        return _empty()
    # name the first unbalanced character
    which = pl.lit(None, pl.String)
    for i, (o, c) in reversed(list(enumerate(BRACKETS))):
        more_open = pl.col("text").str.count_matches(o, literal=True) > pl.col(
            "text").str.count_matches(c, literal=True)
        which = pl.when(pl.col(f"u{i}")).then(
            pl.when(more_open).then(pl.lit(o)).otherwise(pl.lit(c))).otherwise(which)
    which = pl.when(pl.col("uq")).then(pl.lit('"')).otherwise(which)
    parts = pl.concat_list(
        pl.when(pl.col("bad_first")).then(pl.lit("starts with punctuation ") + _q(pl.col("first"))),
        pl.when(pl.col("bad_last")).then(pl.lit("ends with punctuation ") + _q(pl.col("last"))),
        pl.when(pl.col("bad_bracket")).then(pl.lit("has an unbalanced ") + _q(which)),
    ).list.drop_nulls().list.join(" and ")
    detail = (pl.lit("span ") + _q(pl.col("text")) + pl.lit(" (") + pl.col("label")
              + pl.lit(") ") + parts)
    return sp.select("sentence", "start", "end", pl.lit("boundary_punct").alias("kind"), "label",
                     detail.alias("detail"))


def _form_counts(occ: pl.DataFrame) -> pl.DataFrame:
    """Per occurrence row ``_i``: how often its form has the majority label, and in total.

    Parsed from consistency's ``form_labels`` (``"Library:12, O:3"``: every occurrence of the form,
    this one included); 0 when that column is missing or empty.
    """
    if "form_labels" not in occ.columns:
        return occ.select("_i", pl.lit(0).alias("n_major"), pl.lit(0).alias("n_all"))
    parts = (
        occ.select("_i", "majority", pl.col("form_labels").fill_null("").str.split(", ").alias("p"))
        .explode("p")
        .filter(pl.col("p").str.contains(":", literal=True))
        .with_columns(
            pl.col("p").str.replace(r":\d+$", "").alias("lab"),
            pl.col("p").str.extract(r":(\d+)$").cast(pl.Int64).alias("n"),
        )
    )
    agg = parts.group_by("_i").agg(
        pl.col("n").filter(pl.col("lab") == pl.col("majority")).sum().alias("n_major"),
        pl.col("n").sum().alias("n_all"),
    )
    return occ.select("_i").join(agg, on="_i", how="left", maintain_order="left").fill_null(0)


def _consistency(corpus: View) -> pl.DataFrame:
    try:
        from .consistency import inconsistencies
    except ImportError:
        return _empty()
    occ = inconsistencies(_whole(corpus), occurrences=True)
    occ = occ.filter(pl.col("kind").is_in(list(_CONSISTENCY_KINDS)))
    if occ.height == 0:
        return _empty()
    occ = occ.with_row_index("_i")
    occ = occ.join(_form_counts(occ), on="_i", how="left", maintain_order="left")
    text = _q(pl.col("text"))
    n_major = pl.col("n_major").cast(pl.String)
    others = pl.lit(" of ") + (pl.col("n_all") - 1).clip(lower_bound=0).cast(pl.String) + pl.lit(
        " other places")
    known = pl.col("n_major") > 0
    kind = pl.col("kind")
    detail = (
        pl.when((kind == "unlabelled_mention") & known)
        .then(text + pl.lit(" is untagged here but ") + pl.col("majority") + pl.lit(" in ")
              + n_major + others)
        .when(kind == "unlabelled_mention")
        .then(text + pl.lit(" is untagged here but usually ") + pl.col("majority")
              + pl.lit(" elsewhere"))
        .when((kind == "inconsistent_label") & (pl.col("majority") == "O") & known)
        .then(text + pl.lit(" is tagged ") + pl.col("label") + pl.lit(" here but untagged in ")
              + n_major + others)
        .when((kind == "inconsistent_label") & known)
        .then(text + pl.lit(" is ") + pl.col("label") + pl.lit(" here but ") + pl.col("majority")
              + pl.lit(" in ") + n_major + others)
        .when(kind == "inconsistent_label")
        .then(text + pl.lit(" is ") + pl.col("label") + pl.lit(" here but usually ")
              + pl.col("majority") + pl.lit(" elsewhere"))
        .when(known)
        .then(text + pl.lit(" is cut differently here; it is exactly a ") + pl.col("majority")
              + pl.lit(" span in ") + n_major + others)
        .otherwise(text + pl.lit(" is cut differently here than where it is a ")
                   + pl.col("majority") + pl.lit(" span elsewhere"))
    )
    bad_label = pl.col("label").is_in(["O", "<x>"]) | pl.col("label").is_null()
    label = pl.when(bad_label).then(pl.col("majority")).otherwise(pl.col("label"))
    return occ.select(
        pl.col("sentence").cast(pl.UInt32),
        pl.col("start").cast(pl.UInt32),
        pl.col("end").cast(pl.UInt32),
        pl.col("kind").cast(pl.String),
        label.cast(pl.String).alias("label"),
        detail.alias("detail"),
    )


def _whole(corpus: View) -> View:
    """The whole corpus behind a view."""
    return corpus.whole()


def _multi_tag(corpus: View) -> pl.DataFrame:
    tok = corpus.state.tok
    fields = tok["_field"].unique().cast(pl.String)  # distinct first: a small cast
    multi = fields.filter(fields.str.contains(",", literal=True))
    if multi.len() == 0:
        return _empty()
    hits = tok.filter(pl.col("_field").is_in(multi.implode()))
    _, typ = schemes.split_tag(pl.col("_eff"))
    detail = (
        _q(pl.col("token")) + pl.lit(" has several comma-joined tags ")
        + _q(pl.col("_field").cast(pl.String)) + pl.lit(" (line ")
        + pl.col("line").cast(pl.String) + pl.lit("); read as ")
        + pl.col("_eff").cast(pl.String)
    )
    first = pl.col("_field").cast(pl.String).str.split(",").list.first().str.slice(2)
    return hits.select(
        "sentence",
        pl.col("position").alias("start"),
        (pl.col("position") + 1).alias("end"),
        pl.lit("multi_tag").alias("kind"),
        pl.coalesce(typ, first).alias("label"),
        detail.alias("detail"),
    )


def _format(corpus: View) -> pl.DataFrame:
    st = corpus.state
    prob = st.problems
    if prob.height == 0:
        return _empty()
    prob = prob.filter(pl.col("kind") != "multi_tag")  # those lines are multi_tag rows already
    if prob.height == 0:
        return _empty()
    names = {}
    for rec in st.files:  # a handful of files
        names[rec.name] = rec.name
        if rec.path is not None:
            names[str(rec.path)] = rec.name
    prob = prob.with_columns(
        pl.col("source").replace(names).alias("source"), pl.col("line").cast(pl.UInt32)
    ).with_row_index("_i")
    tok_lines = st.tok.select(pl.col("source").cast(pl.String), "line", "sentence", "position")
    exact = prob.join(tok_lines, on=["source", "line"], how="left")
    # lines that are not token lines: attach to the sentence before them in the same file
    sent = st.sent.select("source", pl.col("line").alias("first_line"), "sentence").sort(
        "source", "first_line")
    near = (
        prob.filter(pl.col("line").is_not_null()).sort("source", "line")
        .join_asof(sent, left_on="line", right_on="first_line", by="source", strategy="backward",
                   check_sortedness=False)  # sorted by (source, line) just above
        .select("_i", pl.col("sentence").alias("near"))
    )
    out = exact.join(near, on="_i", how="left").sort("_i")
    detail = (pl.lit("line ") + pl.col("line").cast(pl.String) + pl.lit(" of ")
              + pl.col("source") + pl.lit(": ") + pl.col("message"))
    return out.select(
        pl.coalesce("sentence", "near").cast(pl.UInt32).alias("sentence"),
        pl.col("position").cast(pl.UInt32).alias("start"),
        (pl.col("position") + 1).cast(pl.UInt32).alias("end"),
        pl.lit("format").alias("kind"),
        pl.lit(None, pl.String).alias("label"),
        pl.coalesce(detail, pl.col("message")).alias("detail"),
    )


# ---------------------------------------------------------------------------------------- assembly
_KIND_ORDER = pl.Enum(list(KINDS))
#: above this share of changed sentences the local rows are rebuilt for the whole corpus
_INCREMENTAL_SHARE = 0.05


def _finish(parts: list[pl.DataFrame]) -> pl.DataFrame:
    """Concatenate anomaly frames in the public schema, sorted by sentence, start, kind, end."""
    frames = [p.select([pl.col(k).cast(v) for k, v in SCHEMA.items()]) for p in parts]
    if not frames:
        return _empty()
    return (
        pl.concat(frames)
        .with_columns(pl.col("kind").cast(_KIND_ORDER).alias("_k"))
        .sort(["sentence", "start", "_k", "end"], nulls_last=True)
        .drop("_k")
    )


@dataclass
class _Result:
    """Anomaly rows computed on the tags of one version, with those tags (to tell what changed)."""

    version: int
    frame: pl.DataFrame
    tags: pl.Series  # ``tok["tag"]`` the rows were computed on
    fields: pl.Series  # ``tok["_field"]`` (changes on save; multi_tag depends on it)


def _changed_sentences(st, res: _Result) -> pl.Series:
    """Sorted ids of the sentences whose tags or tag fields differ from those ``res`` saw."""
    tok = st.tok
    if res.tags.len() != tok.height:  # never happens (edits keep tokens); be safe
        return st.sent["sentence"]
    diff = tok["tag"].ne_missing(res.tags) | tok["_field"].ne_missing(res.fields)
    rows = diff.arg_true()
    if rows.len() == 0:
        return pl.Series("sentence", [], pl.UInt32)
    return tok["sentence"].gather(rows).unique().sort()


def _sub_corpus(corpus: View, ids: pl.Series) -> View:
    """A throw-away view holding only the sentences ``ids`` (sorted, existing) of ``corpus``."""
    return corpus.rows_view(sentence_rows(corpus.state, ids))


def _local_parts(corpus: View) -> list[pl.DataFrame]:
    """The tag-dependent local kinds (everything but ``format``) of a whole (sub-)corpus."""
    return [_invalid(corpus), _boundary_punct(corpus), _multi_tag(corpus)]


def _format_rows(corpus: View) -> pl.DataFrame:
    """``format`` rows: they come from reading, so they never change (memoised for good)."""
    return corpus.state.memo(
        "anomalies_format", lambda: _finish([_format(_whole(corpus))]), depends_on=()
    )


def _local(corpus: View) -> pl.DataFrame:
    """Local kinds of the whole corpus for the current tags.

    Memoised under ``"anomalies_local"`` with the tags they were computed on; after an edit only
    the sentences whose tags changed since the latest entry are recomputed (a few milliseconds)
    unless more than ``_INCREMENTAL_SHARE`` of the sentences changed, in which case everything is
    recomputed.
    """
    st = corpus.state
    prev = st.last("anomalies_local")

    def build() -> _Result:
        whole = _whole(corpus)
        tags, fields, version = st.tok["tag"], st.tok["_field"], st.version
        frame = None
        if prev is not None:
            res = prev[1]
            changed = _changed_sentences(st, res)
            if changed.len() == 0:
                frame = res.frame
            elif changed.len() <= max(64, _INCREMENTAL_SHARE * st.sent.height):
                keep = res.frame.filter(
                    ~pl.col("sentence").is_in(changed.implode()) | (pl.col("kind") == "format")
                )
                frame = _finish([keep, *_local_parts(_sub_corpus(whole, changed))])
        if frame is None:
            frame = _finish([*_local_parts(whole), _format_rows(whole)])
        return _Result(version, frame, tags, fields)

    return st.memo("anomalies_local", build, depends_on=("tags", "tokens")).frame


def local_anomalies(corpus: View) -> pl.DataFrame:
    """The :data:`LOCAL_KINDS` of the whole corpus for the current tags (no consistency pass)."""
    return _local(corpus)


def set_global(corpus: View, frame: pl.DataFrame | None = None) -> None:
    """Install ``frame`` (rows of the :data:`GLOBAL_KINDS`; ``None``: no rows) as the global result
    for the current tags, so that pages need no consistency pass (a lazy corpus's pages, whose
    global kinds are not computed, use it)."""
    st = corpus.state
    rows = _empty() if frame is None else _finish([frame])
    _install_global(st, _Result(st.version, rows, st.tok["tag"], st.tok["_field"]))


def _latest_global(st: State) -> _Result | None:
    hit = st.last("anomalies_global")
    return None if hit is None else hit[1]


def _install_global(st: State, res: _Result) -> None:
    """Keep ``res`` as the latest global result unless a newer one is there already."""
    if st.put("anomalies_global", res, (res.version,), ("tags",), newer_only=True):
        st.touch("global")


def _global_exact(corpus: View) -> pl.DataFrame:
    """Global kinds for the current tags (recomputed when the latest result is older)."""
    st = corpus.state
    res = _latest_global(st)
    if res is not None and res.version == st.version:
        return res.frame
    tags, fields, version = st.tok["tag"], st.tok["_field"], st.version
    frame = _finish([_consistency(_whole(corpus))])
    _install_global(st, _Result(version, frame, tags, fields))
    return frame


def _global_valid(st: State, res: _Result) -> pl.DataFrame:
    """Rows of an older global result minus those on sentences edited since (the staleness rule)."""
    if res.version == st.version:
        return res.frame

    def build() -> pl.DataFrame:
        stale = _changed_sentences(st, res)
        frame = res.frame
        if stale.len():
            frame = frame.filter(~pl.col("sentence").is_in(stale.implode()))
        return frame

    return st.memo("anomalies_global_valid", build, depends_on=("tags", "tokens", "global"))


def _all(corpus: View) -> pl.DataFrame:
    """Exact: fresh local kinds and global kinds of the current version."""

    def build() -> pl.DataFrame:
        return _finish([_local(corpus), _global_exact(corpus)])

    return corpus.state.memo("anomalies", build, depends_on=("tags", "tokens"))


def _fast(corpus: View) -> pl.DataFrame:
    """Fresh local kinds and the latest global result (see the staleness rule above)."""
    st = corpus.state
    res = _latest_global(st)
    if res is None or res.version == st.version:
        return _all(corpus)
    return st.memo(
        "anomalies_fast",
        lambda: _finish([_local(corpus), _global_valid(st, res)]),
        depends_on=("tags", "tokens", "global"),
    )


def global_version(corpus: View) -> int | None:
    """Version of the tags the latest global result was computed on (``None``: never computed).

    Equal to ``corpus.state.version`` when the global kinds are up to date.
    """
    res = _latest_global(corpus.state)
    return None if res is None else res.version


def refresh_global(corpus: View) -> int:
    """Recompute the global kinds for the current tags; safe to run in a background thread.

    Works on a snapshot of the corpus state (frames are immutable; an edit made meanwhile replaces
    ``tok`` on the real state and is not seen), then installs the result as the latest global
    result unless a newer one is already there.

    Returns
    -------
    int
        The version of the tags the result was computed on; compare with
        ``corpus.state.version`` to know whether it is still current.
    """
    st = corpus.state
    snap = st.snapshot()
    _global_exact(View(snap))
    res = _latest_global(snap)
    _install_global(st, res)
    return res.version


def anomalies(corpus: View, *, stale_ok: bool = False) -> pl.DataFrame:
    """Every anomaly in the sentences of ``corpus``, one row per finding.

    Parameters
    ----------
    corpus : View
        A corpus or a view (only its sentences are reported).
    stale_ok : bool
        ``False`` (default, ``Corpus.anomalies()``): exact — after an edit the global kinds are
        recomputed for the whole corpus (seconds on millions of tokens).  ``True``: answer at once
        with fresh local kinds and the latest global result, from which marks on sentences edited
        since it was computed are dropped (see the module docstring).

    Returns
    -------
    pl.DataFrame
        ``sentence`` (u32), ``start``, ``end`` (u32, token positions, end exclusive; null for a
        format problem on a line that holds no token), ``kind`` (one of :data:`KINDS`), ``label``
        (the entity type concerned — for an ``unlabelled_mention`` the label the form has
        elsewhere; null for format problems) and ``detail`` (a readable sentence), sorted by
        sentence and position.
    """
    full = _fast(corpus) if stale_ok else _all(corpus)
    if corpus.selection is None:
        return full
    return full.filter(pl.col("sentence").is_in(corpus.selection.implode()))


def kind_label_counts(found: Frame) -> Frame:
    """Findings per ``kind`` and ``label`` (``count``), sorted: what the anomaly chart draws.

    ``found`` is an anomalies frame, eager or lazy (a ``LazyCorpus``'s local kinds).
    """
    return found.group_by("kind", "label").agg(pl.len().alias("count")).sort("kind", "label")


def anomaly_sentences(corpus: View, kinds: list[str]) -> pl.Series:
    """Sorted ids of the sentences (whole corpus) with an anomaly of one of ``kinds``.

    A kind may name a label as ``"kind:label"`` (an anomaly of that kind *on that label*, what one
    bar of the anomaly chart counts).  Local kinds are those of the current tags; global kinds
    come from the latest global result, minus the sentences edited since it was computed (the
    staleness rule of this module).  Before any global result exists, one is computed.
    """
    pairs = [k.split(":", 1) for k in kinds if ":" in k]
    kinds = [k for k in kinds if ":" not in k]
    if pairs:
        bad = [k for k, _ in pairs if k not in KINDS]
        if bad:
            raise ValueError(
                f"unknown anomaly kind {bad[0]!r}; expected one of {', '.join(KINDS)}")
        want = pl.DataFrame({"kind": [k for k, _ in pairs], "label": [lab for _, lab in pairs]})
        rows = _fast(corpus).drop_nulls("sentence").with_columns(
            pl.col("kind").cast(pl.String), pl.col("label").cast(pl.String))
        hits = rows.join(want, on=["kind", "label"], how="semi")
        by_pair = hits["sentence"].cast(pl.UInt32).rename("sentence")
        if not kinds:
            return by_pair.unique().sort()
        return pl.concat([by_pair, anomaly_sentences(corpus, kinds)]).unique().sort()
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        raise ValueError(f"unknown anomaly kind {unknown[0]!r}; expected one of {', '.join(KINDS)}")
    st = corpus.state
    if _latest_global(st) is None:
        _global_exact(corpus)  # the first global result (bumps the "global" version)

    def build() -> dict[str, pl.Series]:
        full = _fast(corpus)
        per = full.drop_nulls("sentence").group_by("kind").agg(pl.col("sentence").unique().sort())
        return {k: ids for k, ids in zip(per["kind"], per["sentence"], strict=True)}

    index = st.memo("anomaly_sentences", build, depends_on=("tags", "tokens", "global"))
    got = [index[k].cast(pl.UInt32).rename("sentence") for k in kinds if k in index]
    if not got:
        return pl.Series("sentence", [], pl.UInt32)
    return pl.concat(got).unique().sort()


def sentence_anomalies(
    corpus: View, ids: pl.Series, sub: View | None = None
) -> pl.DataFrame:
    """Anomalies of the sentences ``ids`` (a page), cheaply even right after an edit.

    Local kinds are computed fresh for just these sentences (or taken from the whole-corpus local
    rows when those are current); global kinds come from the latest global result, dropping those
    on sentences edited since it was computed (see the module docstring).  Only when no global
    result exists yet is one computed (once, for the whole corpus).

    Parameters
    ----------
    corpus : View
        The corpus (or a view of it; only its state is used).
    ids : pl.Series
        Sorted, existing sentence ids.
    sub : View, optional
        ``corpus.rows_view`` of exactly these sentences, when the caller has it already.

    Returns
    -------
    pl.DataFrame
        Rows as in :func:`anomalies` for these sentences, sorted by sentence, start, kind, end.
    """
    st = corpus.state
    res = _latest_global(st)
    if res is None:
        _global_exact(corpus)
        res = _latest_global(st)
    want = ids.cast(pl.UInt32).implode()
    local = st.peek("anomalies_local")
    if local is not None:
        loc = local.frame.filter(pl.col("sentence").is_in(want))
    else:
        if sub is None:
            sub = _sub_corpus(_whole(corpus), ids)
        fmt = _format_rows(corpus).filter(pl.col("sentence").is_in(want))
        loc = _finish([*_local_parts(sub), fmt])
    glob = _global_valid(st, res).filter(pl.col("sentence").is_in(want))
    return _finish([loc, glob])
