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

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

import polars as pl

from .. import schemes
from .transitions import invalid_tokens

if TYPE_CHECKING:
    from ..corpus import Corpus

__all__ = [
    "GLOBAL_KINDS",
    "KINDS",
    "LOCAL_KINDS",
    "anomalies",
    "anomaly_sentences",
    "global_version",
    "refresh_global",
    "sentence_anomalies",
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


def _empty() -> pl.DataFrame:
    return pl.DataFrame(schema=SCHEMA)


def _q(expr: pl.Expr) -> pl.Expr:
    """Quote a string expression for a detail sentence: ``'text'``."""
    return pl.lit("'") + expr + pl.lit("'")


def _invalid(corpus: Corpus) -> pl.DataFrame:
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


def _boundary_punct(corpus: Corpus) -> pl.DataFrame:
    sp = corpus._all_spans()
    if sp.height == 0:
        return _empty()
    st = corpus._state
    rows = st.sent.select("sentence", "row")
    sp = sp.join(rows, on="sentence", how="left", maintain_order="left")
    tokens = st.tok["token"]
    sp = sp.with_columns(
        tokens.gather(sp["row"] + sp["start"]).alias("first"),
        tokens.gather(sp["row"] + sp["end"] - 1).alias("last"),
    )
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


def _consistency(corpus: Corpus) -> pl.DataFrame:
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


def _whole(corpus: Corpus) -> Corpus:
    """The whole corpus behind a view."""
    if corpus._sel is None:
        return corpus
    from ..corpus import Corpus as _Corpus

    return _Corpus(corpus._state)


def _multi_tag(corpus: Corpus) -> pl.DataFrame:
    tok = corpus._state.tok
    fields = tok["_field"].cast(pl.String).unique()
    multi = fields.filter(fields.str.contains(",", literal=True))
    if multi.len() == 0:
        return _empty()
    hits = tok.filter(pl.col("_field").cast(pl.String).is_in(multi.implode()))
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


def _format(corpus: Corpus) -> pl.DataFrame:
    st = corpus._state
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


