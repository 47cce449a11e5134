"""Edit operations on a :class:`~bio_explorer.Corpus`: one edit path for the API and the widget.

Every operation computes a set of ``(row, new_tag)`` changes on the internal token frame and hands
them to one primitive (:func:`_commit`) that gathers the old tags, scatters the new ones into a copy
of the ``tag`` column, records an undo step in the :class:`EditLog` and appends it to the
:class:`Journal` (when journalling).  Undo scatters the old tags back, so a bulk operation is one
undo step too.

Rules every edit follows
------------------------
* The ``tag`` column is IOB2.  An edit writes well-formed spans (``B-X I-X …``) in the region it
  rewrites, and re-prefixes a neighbour when the edit would otherwise change its span structure:
  a token ``I-Y`` right after the region becomes ``B-Y`` when it used to start its own span and now
  follows a ``Y`` token, or when it used to continue a span that the edit cut.  Those neighbour
  changes belong to the same undo step.  Invalid tags elsewhere are left alone (files stay
  minimally diffed); use :func:`repair` to fix them.
* A failed edit raises :class:`~bio_explorer.errors.EditError` and changes nothing.
* Bulk operations (:func:`relabel_all`, :func:`relabel_label`, :func:`repair`,
  :func:`apply_inconsistency`) return a :class:`Preview`; nothing changes until ``.apply()``.

Journal
-------
``bx.read(path, journal=True)`` replays ``<file>.bio-journal.jsonl`` (or ``journal=<path>``) and
keeps appending to it: one JSON line per edit, undo and redo, flushed and ``fsync``-ed before the
call returns, so a crashed kernel loses no applied edit.  Each line stores the changed rows with
their token texts and old/new tags; a replay refuses (``EditError`` naming the sentence and line)
when the file no longer matches.  The header records the SHA-256 of the file content the journal
applies to, and an in-place :meth:`Corpus.write` appends a ``save`` record (the saved content's
SHA-256) before its atomic rename and then resets the journal, so a replay knows which save the
file on disk reflects (see :func:`replay_journal`).
Journalling is off unless asked for (``journal=`` or :func:`enable_journal`); the Explorer turns it
on for file-backed corpora.
"""

from __future__ import annotations

import html
import json
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import polars as pl

from .errors import EditError
from .journal import Journal, auto_journal_path, enable_journal
from .labels import check_labels
from .rowarg import row_as_dict
from .state import all_spans

if TYPE_CHECKING:
    from .state import State as _State
    from .state import View as Corpus

__all__ = [
    "EditLog",
    "Preview",
    "add_span",
    "after_save",
    "apply_edits",
    "apply_inconsistency",
    "apply_suggestions",
    "delete_span",
    "edits_frame",
    "merge_spans",
    "redo",
    "relabel",
    "relabel_all",
    "relabel_label",
    "repair",
    "replay_journal",
    "resize_span",
    "split_span",
    "undo",
    "unsaved_count",
]

EDITS_SCHEMA = {
    "edit_id": pl.UInt32,
    "op": pl.String,
    "sentence": pl.UInt32,
    "start": pl.UInt32,
    "end": pl.UInt32,
    "tokens": pl.List(pl.String),
    "old_tags": pl.List(pl.String),
    "new_tags": pl.List(pl.String),
    "rows": pl.List(pl.UInt32),
    "source": pl.String,
    "lines": pl.List(pl.UInt32),
    "time": pl.Datetime("us", "UTC"),
    "args": pl.String,
}

CHANGES_SCHEMA = {
    "sentence": pl.UInt32,
    "start": pl.UInt32,
    "end": pl.UInt32,
    "text": pl.String,
    "before": pl.List(pl.String),
    "after": pl.List(pl.String),
    "source": pl.String,
    "line": pl.UInt32,
}


# ====================================================================== log
@dataclass
class Step:
    """One undo step: the tags of ``rows`` went from ``old`` to ``new``."""

    edit_id: int
    op: str
    args: dict
    rows: pl.Series  # UInt32, sorted, unique
    old: pl.Series  # String
    new: pl.Series  # String
    time: float = field(default_factory=time.time)


class EditLog:
    """Undo/redo stacks of :class:`Step` and the marker of the last save."""

    def __init__(self) -> None:
        self.done: list[Step] = []
        self.undone: list[Step] = []
        self.next_id = 1
        self.saved: tuple[int, ...] = ()
        # ids of steps a recovered session knows were done before its journal began (they were
        # saved); their content is in the file, not in the log, so they cannot be undone here
        self.phantom: list[int] = []

    def push(self, step: Step) -> None:
        self.done.append(step)
        self.undone.clear()
        self.next_id = max(self.next_id, step.edit_id + 1)

    @property
    def can_undo(self) -> bool:
        return bool(self.done)

    @property
    def can_redo(self) -> bool:
        return bool(self.undone)

    def unsaved(self) -> int:
        """Operations separating the current tags from the saved ones (undo reduces it)."""
        ids = self.phantom + [s.edit_id for s in self.done]
        common = 0
        for a, b in zip(ids, self.saved, strict=False):
            if a != b:
                break
            common += 1
        return len(ids) + len(self.saved) - 2 * common

    def mark_saved(self) -> None:
        self.saved = tuple(self.phantom + [s.edit_id for s in self.done])

    def done_ids(self) -> list[int]:
        """Ids of the done steps, oldest first (phantom ones included)."""
        return self.phantom + [s.edit_id for s in self.done]


def _log(st: _State) -> EditLog:
    if st.log is None:
        st.log = EditLog()
    return st.log


def _journal_write(st: _State, record: dict) -> None:
    if st.journal is not None:
        st.journal.append(record)


def _step_record(kind: str, st: _State, step: Step) -> dict:
    tokens = st.tok["token"].gather(step.rows).to_list()
    return {"kind": kind, "id": step.edit_id, "op": step.op, "args": step.args, "time": step.time,
            "rows": step.rows.to_list(), "tokens": tokens, "old": step.old.to_list(),
            "new": step.new.to_list()}


# ====================================================================== primitive
def _set_tags(st: _State, rows: pl.Series, tags: pl.Series) -> None:
    with st.tok_lock:  # the deferred columns may be swapped in by another thread
        col = st.tok["tag"].clone()
        col.scatter(rows, tags.cast(pl.Categorical))
        st.tok = st.tok.with_columns(col.alias("tag"))
        st.touch()


def _check_labels_valid(labels: list[str], c: Corpus | None = None) -> None:
    """EditError for a label the corpus files cannot hold (see :mod:`bio_explorer.labels`).

    A label the corpus already has is allowed (its files hold it).
    """
    try:
        check_labels(labels, c.state.files if c is not None else ())
    except EditError:
        if c is None or not set(labels) <= set(c.labels()):
            raise


def _commit(c: Corpus, op: str, args: dict, rows: pl.Series, new: pl.Series,
            old: pl.Series | None = None, *, edit_id: int | None = None,
            when: float | None = None) -> Step | None:
    """Apply ``rows → new`` as one undo step (no-op rows dropped).  Returns the step or None."""
    st = c.state
    rows = rows.cast(pl.UInt32)
    new = new.cast(pl.String)
    current = st.tok["tag"].gather(rows).cast(pl.String)
    if old is not None and not (current == old.cast(pl.String)).all():
        raise EditError(f"{op}: the corpus changed since this edit was prepared; prepare it again")
    keep = current != new
    if not keep.any():
        return None
    rows, new, current = rows.filter(keep), new.filter(keep), current.filter(keep)
    order = rows.arg_sort()
    rows, new, current = rows.gather(order), new.gather(order), current.gather(order)
    _check_io(st, rows, new)
    log = _log(st)
    step = Step(edit_id if edit_id is not None else log.next_id, op, args, rows, current, new,
                when if when is not None else time.time())
    _journal_write(st, _step_record("edit", st, step))
    _set_tags(st, rows, new)
    log.push(step)
    return step


def _check_io(st: _State, rows: pl.Series, new: pl.Series) -> None:
    """IO files cannot separate two adjacent spans of one label: refuse edits that need it."""
    io_files = [i for i, f in enumerate(st.files) if f.scheme == "IO"]
    if not io_files:
        return
    tok = st.tok
    tags = tok["tag"].cast(pl.String).clone()
    tags.scatter(rows, new)
    prev = (rows.cast(pl.Int64) - 1).clip(0).cast(pl.UInt32)
    df = pl.DataFrame({
        "new": new,
        "prev": tags.gather(prev),
        "same": (tok["sentence"].gather(prev) == tok["sentence"].gather(rows)) & (rows > 0),
        "file": tok["_file"].gather(rows),
    })
    nxt = (rows.cast(pl.Int64) + 1).clip(0, tok.height - 1).cast(pl.UInt32)
    df2 = pl.DataFrame({
        "new": tags.gather(nxt),
        "prev": new,
        "same": (tok["sentence"].gather(nxt) == tok["sentence"].gather(rows)) & (nxt != rows),
        "file": tok["_file"].gather(rows),
    })
    bad = pl.concat([df, df2]).filter(
        pl.col("file").is_in(io_files) & pl.col("same") & pl.col("new").str.starts_with("B-")
        & (pl.col("prev").str.slice(2) == pl.col("new").str.slice(2))
        & (pl.col("prev") != "O")
    )
    if bad.height:
        raise EditError("this corpus uses the IO scheme, which cannot keep two adjacent spans of "
                        "the same label apart; the edit would merge them")


def _with_fixes(st: _State, rows: pl.Series, new: pl.Series, structural: bool) -> pl.DataFrame:
    """Add the neighbour re-prefixing an edit needs (see the module docstring).

    ``structural=True``: ``rows`` rewrite whole spans; only the token after each changed run is a
    candidate.  ``False`` (label renames): the changed tokens themselves are candidates too.
    Returns ``row``, ``new`` sorted by row.
    """
    tok = st.tok
    h = tok.height
    ch = pl.DataFrame({"row": rows.cast(pl.UInt32), "new": new.cast(pl.String)}).unique(
        "row", keep="last").sort("row")
    if ch.height == 0:
        return ch
    sent = tok["sentence"]
    tag = tok["tag"]
    nxt = ch.select((pl.col("row") + 1).alias("row")).filter(pl.col("row") < h)
    nxt = nxt.join(ch, on="row", how="anti")
    cand = nxt["row"] if structural else pl.concat([nxt["row"], ch["row"]])
    if cand.len() == 0:
        return ch
    prev = (cand.cast(pl.Int64) - 1).clip(0).cast(pl.UInt32)
    df = pl.DataFrame({
        "row": cand,
        "prow": prev,
        "old": tag.gather(cand).cast(pl.String),
        "pold": tag.gather(prev).cast(pl.String),
        "has_prev": (cand > 0) & (sent.gather(prev) == sent.gather(cand)),
    })
    df = (
        df.join(ch, on="row", how="left")
        .join(ch.rename({"row": "prow", "new": "pnew"}), on="prow", how="left")
        .with_columns(
            pl.col("new").fill_null(pl.col("old")),
            pl.col("pnew").fill_null(pl.col("pold")),
        )
    )

    def typ(e: pl.Expr) -> pl.Expr:
        return pl.when(e == "O").then(pl.lit(None, pl.String)).otherwise(e.str.slice(2))

    ntype = typ(pl.col("new"))
    orig_start = (
        pl.col("old").str.starts_with("B-")
        | ~pl.col("has_prev")
        | (typ(pl.col("pold")) != typ(pl.col("old"))).fill_null(True)
    )
    new_cont = pl.col("has_prev") & (typ(pl.col("pnew")) == ntype).fill_null(False)
    fix = df.filter(
        pl.col("new").str.starts_with("I-") & (orig_start == new_cont)
    ).select("row", (pl.lit("B-") + pl.col("new").str.slice(2)).alias("new"))
    if fix.height == 0:
        return ch
    return pl.concat([ch.join(fix, on="row", how="anti"), fix]).sort("row")


# ====================================================================== sentence helpers
def _sentence(c: Corpus, sentence: int) -> tuple[int, int]:
    """(first row, number of tokens) of a sentence; EditError when it does not exist."""
    sent = c.state.sent
    if not isinstance(sentence, (int,)) or isinstance(sentence, bool):
        try:
            sentence = int(sentence)
        except (TypeError, ValueError):
            raise EditError(f"sentence must be an integer, not {sentence!r}") from None
    if sentence < 0 or sentence >= sent.height:
        raise EditError(f"no sentence {sentence} (the corpus has {sent.height})")
    return int(sent["row"][sentence]), int(sent["n_tokens"][sentence])


def _spans_in(tags: list[str]) -> list[tuple[int, int, str]]:
    """Spans of one sentence's IOB2 tags (seqeval's lenient reading: orphan ``I-X`` starts one)."""
    spans: list[list] = []
    for i, t in enumerate(tags):
        if t == "O":
            continue
        typ = t[2:]
        if t.startswith("B-") or not spans or spans[-1][1] != i or spans[-1][2] != typ:
            spans.append([i, i + 1, typ])
        else:
            spans[-1][1] = i + 1
    return [tuple(s) for s in spans]  # type: ignore[misc]


def _span_at(spans: list[tuple[int, int, str]], start: int, sentence: int) -> tuple[int, int, str]:
    for s in spans:
        if s[0] == start:
            return s
    raise EditError(f"sentence {sentence}: no span starts at token {start}")


def _check_range(sentence: int, start: int, end: int, n: int) -> None:
    if not (0 <= start < end <= n):
        raise EditError(f"sentence {sentence}: bad token range [{start}, {end}) "
                        f"(the sentence has {n} tokens)")


def _sentence_edit(c: Corpus, op: str, args: dict, sentence: int,
                   build) -> Step | None:
    """Run a single-sentence operation: ``build(tags, spans) -> {position: new_tag}``."""
    row0, n = _sentence(c, sentence)
    tags = c.state.tok["tag"].slice(row0, n).cast(pl.String).to_list()
    changes = build(tags, _spans_in(tags), n)
    if not changes:
        return None
    pos = sorted(changes)
    rows = pl.Series([row0 + p for p in pos], dtype=pl.UInt32)
    new = pl.Series([changes[p] for p in pos], dtype=pl.String)
    fixed = _with_fixes(c.state, rows, new, structural=True)
    return _commit(c, op, args, fixed["row"], fixed["new"])


def _span_tags(start: int, end: int, label: str) -> dict[int, str]:
    return {p: ("B-" if p == start else "I-") + label for p in range(start, end)}


# ====================================================================== single operations
def relabel(c: Corpus, sentence: int, start: int, end: int, label: str) -> None:
    """Give the span ``[start, end)`` of ``sentence`` the label ``label`` (one undo step).

    Raises
    ------
    EditError
        When no span is exactly ``[start, end)`` or the label is not a valid name.
    """
    _check_labels_valid([label], c)

    def build(tags, spans, n):
        _check_range(sentence, start, end, n)
        s = _span_at(spans, start, sentence)
        if s[1] != end:
            raise EditError(f"sentence {sentence}: the span at token {start} ends at {s[1]}, "
                            f"not {end}; use add_span() or resize_span()")
        return _span_tags(start, end, label)

    _sentence_edit(c, "relabel", {"sentence": sentence, "start": start, "end": end,
                                  "label": label}, sentence, build)


def delete_span(c: Corpus, sentence: int, start: int) -> None:
    """Remove the span starting at token ``start`` (its tokens become ``O``)."""

    def build(tags, spans, n):
        s = _span_at(spans, start, sentence)
        return {p: "O" for p in range(s[0], s[1])}

    _sentence_edit(c, "delete_span", {"sentence": sentence, "start": start}, sentence, build)


def _replace_overlapping(spans, start: int, end: int, label: str) -> dict[int, str]:
    out: dict[int, str] = {}
    for s0, s1, _ in spans:
        if s0 < end and s1 > start:
            out.update({p: "O" for p in range(s0, s1)})
    out.update(_span_tags(start, end, label))
    return out


def add_span(c: Corpus, sentence: int, start: int, end: int, label: str) -> None:
    """Tag ``[start, end)`` as ``label``; every overlapping span is removed in the same edit."""
    _check_labels_valid([label], c)

    def build(tags, spans, n):
        _check_range(sentence, start, end, n)
        return _replace_overlapping(spans, start, end, label)

    _sentence_edit(c, "add_span", {"sentence": sentence, "start": start, "end": end,
                                   "label": label}, sentence, build)


def resize_span(c: Corpus, sentence: int, start: int, new_start: int, new_end: int) -> None:
    """Move the boundaries of the span starting at ``start`` to ``[new_start, new_end)``.

    Other spans overlapping the new extent are removed in the same edit.
    """

    def build(tags, spans, n):
        s0, s1, label = _span_at(spans, start, sentence)
        _check_range(sentence, new_start, new_end, n)
        out = {p: "O" for p in range(s0, s1)}
        out.update(_replace_overlapping(spans, new_start, new_end, label))
        return out

    _sentence_edit(c, "resize_span", {"sentence": sentence, "start": start,
                                      "new_start": new_start, "new_end": new_end}, sentence, build)


def merge_spans(c: Corpus, sentence: int, start: int, end: int, label: str | None = None) -> None:
    """Merge the spans overlapping ``[start, end)`` into one span from the first to the last.

    The label is ``label`` or, by default, the first span's.  Needs at least two spans.
    """
    if label is not None:
        _check_labels_valid([label], c)

    def build(tags, spans, n):
        _check_range(sentence, start, end, n)
        inside = [s for s in spans if s[0] < end and s[1] > start]
        if len(inside) < 2:
            raise EditError(f"sentence {sentence}: merge needs at least two spans in "
                            f"[{start}, {end}), found {len(inside)}")
        lo, hi = inside[0][0], inside[-1][1]
        return _span_tags(lo, hi, label or inside[0][2])

    _sentence_edit(c, "merge_spans", {"sentence": sentence, "start": start, "end": end,
                                      "label": label}, sentence, build)


def split_span(c: Corpus, sentence: int, start: int, at: int) -> None:
    """Split the span starting at ``start`` into ``[start, at)`` and ``[at, end)``."""

    def build(tags, spans, n):
        s0, s1, label = _span_at(spans, start, sentence)
        if not (s0 < at < s1):
            raise EditError(f"sentence {sentence}: cannot split the span [{s0}, {s1}) at {at}")
        out = _span_tags(s0, at, label)
        out.update(_span_tags(at, s1, label))
        return out

    _sentence_edit(c, "split_span", {"sentence": sentence, "start": start, "at": at},
                   sentence, build)


# ====================================================================== undo / redo
def undo(c: Corpus) -> bool:
    """Undo the last edit (one step, even for a bulk edit).  False when there is nothing to undo."""
    return _replay_step(c, "undo")


def redo(c: Corpus) -> bool:
    """Re-apply the last undone edit.  False when there is nothing to redo."""
    return _replay_step(c, "redo")


def _replay_step(c: Corpus, kind: str) -> bool:
    """Move the newest step from one stack of the log to the other, setting its old (undo) or
    new (redo) tags.  False when that stack is empty."""
    st = c.state
    log = _log(st)
    source, target = (log.done, log.undone) if kind == "undo" else (log.undone, log.done)
    if not source:
        return False
    step = source[-1]
    _journal_write(st, _step_record(kind, st, step))
    _set_tags(st, step.rows, step.old if kind == "undo" else step.new)
    target.append(source.pop())
    return True


def unsaved_count(c: Corpus) -> int:
    """Edits applied since the last save (an undo of an unsaved edit reduces it)."""
    log = c.state.log
    return 0 if log is None else log.unsaved()


# ====================================================================== runs / frames
def _runs(st: _State, frame: pl.DataFrame) -> pl.DataFrame:
    """Group changed rows into runs of adjacent tokens of one sentence.

    ``frame`` has ``row``, ``old``, ``new`` and optionally ``gid`` (runs never cross a gid).
    Returns gid (if given), sentence, start, end, text, tokens, before, after, rows, source,
    line, lines.
    """
    tok = st.tok
    if "gid" not in frame.columns:
        frame = frame.with_columns(pl.lit(0, pl.UInt32).alias("gid"))
    rows = frame["row"].cast(pl.UInt32)
    df = frame.with_columns(
        tok["sentence"].gather(rows).alias("sentence"),
        tok["position"].gather(rows).alias("position"),
        tok["token"].gather(rows).alias("token"),
        tok["source"].gather(rows).cast(pl.String).alias("source"),
        tok["line"].gather(rows).alias("line"),
    ).with_columns(
        (
            (pl.col("gid") != pl.col("gid").shift(1))
            | (pl.col("sentence") != pl.col("sentence").shift(1))
            | (pl.col("row").cast(pl.Int64) != pl.col("row").cast(pl.Int64).shift(1) + 1)
        ).fill_null(True).cum_sum().alias("_run")
    )
    return df.group_by("_run", maintain_order=True).agg(
        pl.col("gid").first(),
        pl.col("sentence").first(),
        pl.col("position").min().cast(pl.UInt32).alias("start"),
        (pl.col("position").max() + 1).cast(pl.UInt32).alias("end"),
        pl.col("token").str.join(" ").alias("text"),
        pl.col("token").alias("tokens"),
        pl.col("old").alias("before"),
        pl.col("new").alias("after"),
        pl.col("row").cast(pl.UInt32).alias("rows"),
        pl.col("source").first(),
        pl.col("line").first(),
        pl.col("line").alias("lines"),
    ).drop("_run")


def edits_frame(c: Corpus) -> pl.DataFrame:
    """Every applied (not undone) edit: one row per run of changed tokens.

    Columns: ``edit_id``, ``op``, ``sentence``, ``start``, ``end`` (token positions of the run),
    ``tokens`` (their texts, used to check a replay), ``old_tags``, ``new_tags``, ``rows``,
    ``source``, ``lines`` (1-based source line of each token), ``time`` (UTC), ``args`` (the
    operation's arguments as JSON).  A bulk edit gives several rows sharing one ``edit_id``.
    Export it with ``write_parquet``/``write_json``; replay it with :func:`apply_edits`.
    """
    st = c.state
    steps = [] if st.log is None else st.log.done
    if not steps:
        return pl.DataFrame(schema=EDITS_SCHEMA)
    frame = pl.concat([
        pl.DataFrame({"row": s.rows, "old": s.old, "new": s.new}).with_columns(
            pl.lit(i, pl.UInt32).alias("gid"))
        for i, s in enumerate(steps)
    ])
    runs = _runs(st, frame)
    meta = pl.DataFrame({
        "gid": pl.Series(range(len(steps)), dtype=pl.UInt32),
        "edit_id": pl.Series([s.edit_id for s in steps], dtype=pl.UInt32),
        "op": [s.op for s in steps],
        "time": pl.Series([int(s.time * 1e6) for s in steps], dtype=pl.Int64).cast(
            pl.Datetime("us", "UTC")),
        "args": [json.dumps(s.args, ensure_ascii=False) for s in steps],
    })
    return runs.join(meta, on="gid", how="left", maintain_order="left").select(
        "edit_id", "op", "sentence", "start", "end", "tokens",
        pl.col("before").alias("old_tags"), pl.col("after").alias("new_tags"), "rows",
        "source", "lines", "time", "args",
    )


def _verify_and_collect(c: Corpus, df: pl.DataFrame, what: str) -> list[tuple]:
    """Check an edits frame against ``c`` and return ``(edit_id, op, args, time, rows, old, new)``.

    Tokens are checked for the whole frame at once; old tags step by step on a scratch copy of the
    tag column (so a failing frame changes nothing).
    """
    st = c.state
    need = {"edit_id", "op", "sentence", "start", "tokens", "old_tags", "new_tags"}
    missing = need - set(df.columns)
    if missing:
        raise EditError(f"{what}: missing columns {sorted(missing)}")
    if df.height == 0:
        return []
    n_sent = st.sent.height
    ex = df.select(
        pl.int_range(pl.len()).alias("_i"), "edit_id", "op",
        pl.col("sentence").cast(pl.Int64),
        pl.col("start").cast(pl.Int64),
        *([pl.col("lines")] if "lines" in df.columns else [pl.lit(None).alias("lines")]),
        pl.col("tokens"), pl.col("old_tags"), pl.col("new_tags"),
        *([pl.col("args")] if "args" in df.columns else [pl.lit("{}").alias("args")]),
        *([pl.col("time")] if "time" in df.columns else [pl.lit(None).alias("time")]),
    )
    bad_sent = ex.filter((pl.col("sentence") < 0) | (pl.col("sentence") >= n_sent))
    if bad_sent.height:
        r = bad_sent.row(0, named=True)
        raise EditError(f"{what}: edit {r['edit_id']} refers to sentence {r['sentence']}, "
                        f"but the corpus has {n_sent} sentences")
    lens_ok = ex.select(
        (pl.col("tokens").list.len() == pl.col("old_tags").list.len())
        & (pl.col("tokens").list.len() == pl.col("new_tags").list.len())
    ).to_series()
    if not lens_ok.all():
        raise EditError(f"{what}: tokens, old_tags and new_tags must have the same length")
    sent = st.sent.select(pl.col("sentence").cast(pl.Int64), pl.col("row").cast(pl.Int64),
                          pl.col("n_tokens").cast(pl.Int64))
    flat = (
        ex.join(sent, on="sentence", how="left", maintain_order="left")
        .explode(["tokens", "old_tags", "new_tags"])
        .with_columns(pl.int_range(pl.len()).over("_i").cast(pl.Int64).alias("_k"))
        .with_columns((pl.col("start") + pl.col("_k")).alias("position"))
    )
    oob = flat.filter(pl.col("position") >= pl.col("n_tokens"))
    if oob.height:
        r = oob.row(0, named=True)
        raise EditError(f"{what}: edit {r['edit_id']}: sentence {r['sentence']} has no token "
                        f"{r['position']} (it has {r['n_tokens']})")
    flat = flat.with_columns((pl.col("row") + pl.col("position")).cast(pl.UInt32).alias("abs"))
    flat = flat.with_columns(st.tok["token"].gather(flat["abs"]).alias("_cur"))
    mism = flat.filter(pl.col("_cur") != pl.col("tokens"))
    if mism.height:
        r = mism.row(0, named=True)
        raise _mismatch(st, what, r["edit_id"], r, "token", r["tokens"], r["_cur"])
    scratch = st.tok["tag"].cast(pl.String).clone()
    out = []
    for (eid,), part in flat.group_by("edit_id", maintain_order=True):
        rows = part["abs"]
        cur = scratch.gather(rows)
        wrong = part.with_columns(cur.alias("_tag")).filter(pl.col("_tag") != pl.col("old_tags"))
        if wrong.height:
            r = wrong.row(0, named=True)
            raise _mismatch(st, what, eid, r, "tag", r["old_tags"], r["_tag"])
        scratch.scatter(rows, part["new_tags"])
        args = part["args"][0]
        when = part["time"][0]
        when_f = when.timestamp() if hasattr(when, "timestamp") else None
        out.append((int(eid), part["op"][0], json.loads(args) if isinstance(args, str) else {},
                    when_f, rows, part["old_tags"], part["new_tags"]))
    return out


def _mismatch(st: _State, what: str, edit_id: Any, r: dict, field: str, expected: Any,
              found: Any) -> EditError:
    """The error for an edit row ``r`` whose ``field`` (token or tag) differs from the corpus."""
    line = int(st.tok["line"][int(r["abs"])])
    src = st.tok["source"][int(r["abs"])]
    return EditError(
        f"{what}: edit {edit_id} ({r['op']}) does not match this corpus at sentence "
        f"{r['sentence']}, token {r['position']} ({src}:{line}): expected {field} "
        f"{expected!r}, found {found!r}"
    )


def apply_edits(c: Corpus, df: pl.DataFrame) -> None:
    """Replay an :func:`edits_frame` (e.g. exported from another copy of the same file).

    Each ``edit_id`` becomes one undo step.  Everything is checked before anything changes: token
    texts must match and the tags must be the recorded old tags.

    Raises
    ------
    EditError
        Naming the edit, sentence, token and source line where the corpus does not match.
    """
    steps = _verify_and_collect(c, df, "apply_edits")
    new_tags = pl.concat([s[6] for s in steps]) if steps else pl.Series([], dtype=pl.String)
    labels = new_tags.filter(new_tags != "O").str.slice(2).unique().to_list()
    _check_labels_valid(labels, c)
    for _eid, op, args, when, rows, old, new in steps:
        _commit(c, op, args, rows, new, old, when=when)


# ====================================================================== preview / bulk
class Preview:
    """A bulk edit waiting for :meth:`apply`.

    Attributes
    ----------
    changes : pl.DataFrame
        One row per occurrence that would change: ``sentence``, ``start``, ``end``, ``text``,
        ``before`` and ``after`` (tag lists), ``source``, ``line``.
    op : str
        The operation (``"relabel_all"``, ``"relabel_label"``, ``"repair"``...).
    """

    def __init__(self, corpus: Corpus, op: str, args: dict, changes: pl.DataFrame,
                 rows: pl.Series, old: pl.Series, new: pl.Series) -> None:
        self._corpus = corpus
        self.op = op
        self.args = args
        self.changes = changes
        self._rows, self._old, self._new = rows, old, new
        self.applied = False

    def __len__(self) -> int:
        return self.changes.height

    @property
    def n_tokens(self) -> int:
        """Number of tokens whose tag would change (neighbour re-prefixing included)."""
        return int(self._rows.len())

    def apply(self) -> int:
        """Apply every change as ONE undo step.  Returns the number of occurrences changed.

        Raises
        ------
        EditError
            When already applied, or when the corpus changed since the preview was made.
        """
        if self.applied:
            raise EditError(f"{self.op}: this preview was already applied")
        if self._rows.len() == 0:
            self.applied = True
            return 0
        _commit(self._corpus, self.op, self.args, self._rows, self._new, self._old)
        self.applied = True
        return len(self)

    def __repr__(self) -> str:
        return (f"<Preview {self.op}: {len(self)} occurrences, {self.n_tokens} tokens would change"
                f"{' (applied)' if self.applied else ''}>")

    def _repr_html_(self, limit: int = 20) -> str:
        esc = html.escape
        head = (f"<b>{esc(self.op)}</b>: {len(self):,} occurrence{'s' * (len(self) != 1)}, "
                f"{self.n_tokens:,} token tag{'s' * (self.n_tokens != 1)} would change"
                f"{' — applied' if self.applied else ' — call <code>.apply()</code>'}")
        cols = ["sentence", "start", "end", "text", "before", "after", "source", "line"]
        body = []
        for r in self.changes.head(limit).iter_rows(named=True):
            cells = []
            for k in cols:
                v = r[k]
                v = " ".join(v) if isinstance(v, list) else ("" if v is None else str(v))
                cells.append(f"<td style='text-align:left'>{esc(v)}</td>")
            body.append("<tr>" + "".join(cells) + "</tr>")
        more = (f"<tr><td colspan='{len(cols)}'>… {len(self) - limit:,} more</td></tr>"
                if len(self) > limit else "")
        th = "".join(f"<th style='text-align:left'>{esc(k)}</th>" for k in cols)
        return (f"<div><p>{head}</p><table><thead><tr>{th}</tr></thead>"
                f"<tbody>{''.join(body)}{more}</tbody></table></div>")


def _preview_from_changes(c: Corpus, op: str, args: dict, fixed: pl.DataFrame,
                          changes: pl.DataFrame | None = None) -> Preview:
    st = c.state
    old = st.tok["tag"].gather(fixed["row"]).cast(pl.String)
    keep = old != fixed["new"]
    rows, new, old = fixed["row"].filter(keep), fixed["new"].filter(keep), old.filter(keep)
    if changes is None:
        changes = (_runs(st, pl.DataFrame({"row": rows, "old": old, "new": new}))
                   .select(list(CHANGES_SCHEMA)) if rows.len() else
                   pl.DataFrame(schema=CHANGES_SCHEMA))
    return Preview(c, op, args, changes, rows, old, new)


def _type_expr(e: pl.Expr) -> pl.Expr:
    return pl.when(e == "O").then(pl.lit(None, pl.String)).otherwise(e.str.slice(2))


def _occurrences(c: Corpus, text: str, case: bool) -> pl.DataFrame:
    """Rows where the token n-gram ``text`` (tokens joined by single spaces) starts in a sentence.

    Returns ``row`` (first token) and ``n`` as a frame; overlapping matches are all returned.
    """
    words = text.split(" ")
    if not text or any(w == "" for w in words):
        raise EditError(f"relabel_all: text {text!r} must be tokens separated by single spaces")
    tok = c.state.tok
    tokens = tok["token"]
    if not case:
        tokens = tokens.str.to_lowercase()
        words = [w.lower() for w in words]
    n = len(words)
    h = tok.height
    rows = (tokens == words[0]).arg_true().cast(pl.UInt32)
    if n > 1 and rows.len():
        sent = tok["sentence"]
        rows = rows.filter(rows.cast(pl.Int64) + n - 1 < h)
        last = rows + (n - 1)
        # sentences are contiguous rows: the match ends in the sentence it starts in
        rows = rows.filter((sent.gather(last) == sent.gather(rows))
                           & (tokens.gather(last) == words[-1]))
        if rows.len() and n > 2:  # compare every inner word at once: one frame of rows × words
            flat = _offsets(rows, 1, n - 1)
            got = tokens.gather(flat["row"] + flat["k"])
            want = pl.Series(words[1:-1]).gather(flat["k"] - 1)
            bad = flat["row"].filter(got != want).unique()
            rows = rows.filter(~rows.is_in(bad.implode()))
    return pl.DataFrame({"row": rows})


def _offsets(rows: pl.Series, lo: int, hi: int) -> pl.DataFrame:
    """``row`` and ``k``: each of ``rows`` repeated for every offset ``lo <= k < hi``."""
    return (
        pl.DataFrame({"row": rows.cast(pl.UInt32)})
        .with_columns(pl.int_ranges(lo, hi, dtype=pl.UInt32).alias("k"))
        .explode("k")
        .drop_nulls("k")
    )


def _first_wins(rows: pl.Series, n: int) -> pl.Series:
    """Of the sorted match starts ``rows`` (``n`` tokens each), those a left-to-right scan keeps
    when a match overlapping an earlier kept one is dropped."""
    gap = rows.cast(pl.Int64).diff().fill_null(n)
    if (gap >= n).all():
        return rows
    # overlaps only happen for a self-overlapping text ("a a" in "a a a a"): scan those runs
    kept, last = [], None
    for r in rows.to_list():  # the matches of one text, not the tokens of the corpus
        if last is None or r - last >= n:
            kept.append(r)
            last = r
    return pl.Series("row", kept, dtype=rows.dtype)


def relabel_all(c: Corpus, text: str, to_label: str | None, from_label: str | None = None, *,
                case: bool = True, include_untagged: bool = False) -> Preview:
    """Preview relabelling every occurrence of a surface form.

    Parameters
    ----------
    c : Corpus
    text : str
        The surface form: token texts joined by single spaces (as in ``Corpus.spans.text``).
    to_label : str or None
        The new label; ``None`` or ``"O"`` removes the spans instead.
    from_label : str, optional
        Only change occurrences currently labelled ``from_label``.
    case : bool
        ``False`` matches case-insensitively.
    include_untagged : bool
        Also tag occurrences whose tokens are all ``O`` (overlapping matches: the first wins).

    Returns
    -------
    Preview
        ``changes`` lists the occurrences that are exactly a span (same extent) with another
        label, plus untagged ones when asked.  Occurrences that are part of a longer span or
        straddle a span boundary are left alone.
    """
    remove = to_label is None or to_label == "O"
    if not remove:
        _check_labels_valid([to_label], c)  # type: ignore[list-item]
    st = c.state
    tok = st.tok
    h = tok.height
    n = len(text.split(" "))
    occ = _occurrences(c, text, case)
    r = occ["row"]
    tags = tok["tag"]
    sent = tok["sentence"]
    prev = (r.cast(pl.Int64) - 1).clip(0).cast(pl.UInt32)
    after = (r.cast(pl.Int64) + n).clip(0, max(h - 1, 0)).cast(pl.UInt32)
    df = pl.DataFrame({
        "row": r,
        "first": tags.gather(r).cast(pl.String),
        "prev": tags.gather(prev).cast(pl.String),
        "has_prev": (r > 0) & (sent.gather(prev) == sent.gather(r)),
        "next": tags.gather(after).cast(pl.String),
        "has_next": (r.cast(pl.Int64) + n < h) & (sent.gather(after) == sent.gather(r)),
    })
    label = _type_expr(pl.col("first"))
    all_o = pl.col("first") == "O"
    inner_i = pl.lit(True)
    if n > 1 and r.len():  # the inner tags of every occurrence, as one frame of rows × words
        flat = _offsets(r, 1, n)
        inner = (
            flat.with_columns(tags.gather(flat["row"] + flat["k"]).cast(pl.String).alias("t"))
            .join(df.select("row", "first"), on="row", how="left")
            .group_by("row")
            .agg((pl.col("t") == pl.lit("I-") + _type_expr(pl.col("first")))
                 .fill_null(False).all().alias("_inner_i"),
                 (pl.col("t") == "O").all().alias("_inner_o"))
        )
        df = df.join(inner, on="row", how="left", maintain_order="left")
        inner_i = pl.col("_inner_i").fill_null(False)
        all_o = all_o & pl.col("_inner_o").fill_null(False)
    starts = pl.col("first").str.starts_with("B-") | ~pl.col("has_prev") | (
        _type_expr(pl.col("prev")) != label).fill_null(True)
    ends = ~pl.col("has_next") | (pl.col("next") != pl.lit("I-") + label)
    df = df.with_columns(
        label.alias("label"),
        ((pl.col("first") != "O") & starts & inner_i & ends).alias("exact"),
        all_o.alias("untagged"),
    )
    want = pl.col("exact") & (pl.col("label") != (to_label or "O"))
    if from_label is not None:
        want = want & (pl.col("label") == from_label)
    if include_untagged and not remove:
        untag = df.filter(pl.col("untagged")).select("row")
        if n > 1 and untag.height:  # drop overlapping untagged matches (the first one wins)
            untag = pl.DataFrame({"row": _first_wins(untag["row"], n)})
        sel = pl.concat([df.filter(want).select("row"), untag]).sort("row")
    else:
        sel = df.filter(want).select("row")
    occ_rows = sel["row"]
    k = occ_rows.len()
    offs = pl.DataFrame({"occ": pl.int_range(k, dtype=pl.UInt32, eager=True), "row": occ_rows})
    flat = offs.select(
        "occ",
        pl.int_ranges(pl.col("row"), pl.col("row") + n, dtype=pl.UInt32).alias("row"),
        pl.int_ranges(0, n, dtype=pl.UInt32).alias("k") if k else pl.lit([], pl.List(pl.UInt32)),
    ).explode(["row", "k"]) if k else pl.DataFrame(schema={"occ": pl.UInt32, "row": pl.UInt32,
                                                           "k": pl.UInt32})
    if remove:
        flat = flat.with_columns(pl.lit("O").alias("new"))
    else:
        flat = flat.with_columns(
            pl.when(pl.col("k") == 0).then(pl.lit("B-" + to_label))  # type: ignore[operator]
            .otherwise(pl.lit("I-" + to_label)).alias("new")  # type: ignore[operator]
        )
    fixed = _with_fixes(st, flat["row"], flat["new"], structural=True) if k else pl.DataFrame(
        schema={"row": pl.UInt32, "new": pl.String})
    # occurrence-level changes (neighbour fixes are in the change set, not in this listing)
    if k:
        flat = flat.with_columns(
            tok["token"].gather(flat["row"]).alias("token"),
            tags.gather(flat["row"]).cast(pl.String).alias("old"),
        )
        changes = flat.group_by("occ", maintain_order=True).agg(
            pl.col("row").first().alias("_row"),
            pl.col("token").str.join(" ").alias("text"),
            pl.col("old").alias("before"),
            pl.col("new").alias("after"),
        )
        fr = changes["_row"]
        changes = changes.select(
            sent.gather(fr).alias("sentence"),
            tok["position"].gather(fr).alias("start"),
            (tok["position"].gather(fr) + n).cast(pl.UInt32).alias("end"),
            "text", "before", "after",
            tok["source"].gather(fr).cast(pl.String).alias("source"),
            tok["line"].gather(fr).alias("line"),
        )
    else:
        changes = pl.DataFrame(schema=CHANGES_SCHEMA)
    args = {"text": text, "to_label": to_label, "from_label": from_label, "case": case,
            "include_untagged": include_untagged}
    return _preview_from_changes(c, "relabel_all", args, fixed, changes)


def relabel_label(c: Corpus, old: str, new: str) -> Preview:
    """Preview renaming label ``old`` to ``new`` everywhere (merging it into ``new`` if it exists).

    Spans stay separate: a renamed span that ends up right before/after a ``new`` span gets a
    ``B-`` so it does not merge with it.
    """
    _check_labels_valid([new], c)
    st = c.state
    if old not in c.labels():
        raise EditError(f"relabel_label: no label {old!r} in this corpus "
                        f"(labels: {', '.join(c.labels())})")
    tags = st.tok["tag"]
    hit = tags.cast(pl.String).is_in([f"B-{old}", f"I-{old}"])
    rows = hit.arg_true().cast(pl.UInt32)
    cur = tags.gather(rows).cast(pl.String)
    newt = cur.str.slice(0, 2) + new
    fixed = _with_fixes(st, rows, newt, structural=False)
    return _preview_from_changes(c, "relabel_label", {"old": old, "new": new}, fixed)


def repair(c: Corpus, strategy: str = "begin") -> Preview:
    """Preview repairing invalid IOB2 transitions (an ``I-X`` not following ``B-X``/``I-X``).

    Parameters
    ----------
    strategy : {"begin", "drop"}
        ``"begin"``: the orphan ``I-X`` becomes ``B-X`` (the span is kept);
        ``"drop"``: the whole span the orphan starts becomes ``O``.
    """
    if strategy not in ("begin", "drop"):
        raise EditError(f"repair: strategy={strategy!r}; expected 'begin' or 'drop'")
    st = c.state
    tok = st.tok
    df = tok.select(
        pl.int_range(pl.len(), dtype=pl.UInt32).alias("row"),
        pl.col("tag").cast(pl.String).alias("t"),
        ((pl.col("sentence") == pl.col("sentence").shift(1)).fill_null(False)).alias("same"),
    ).with_columns(pl.col("t").shift(1).alias("p"))
    typ = _type_expr(pl.col("t"))
    chunk_start = (pl.col("t") != "O") & (
        pl.col("t").str.starts_with("B-") | ~pl.col("same")
        | (_type_expr(pl.col("p")) != typ).fill_null(True))
    orphan = chunk_start & pl.col("t").str.starts_with("I-")
    df = df.with_columns(orphan.alias("orphan"), chunk_start.alias("cs"))
    if strategy == "begin":
        ch = df.filter(pl.col("orphan")).select("row", (pl.lit("B-") + typ).alias("new"))
        fixed = _with_fixes(st, ch["row"], ch["new"], structural=False)
    else:
        ch = df.with_columns(pl.col("cs").cum_sum().alias("chunk")).filter(pl.col("t") != "O")
        bad = ch.filter(pl.col("orphan")).select("chunk")
        ch = ch.join(bad, on="chunk", how="semi").select("row", pl.lit("O").alias("new"))
        fixed = _with_fixes(st, ch["row"], ch["new"], structural=True)
    return _preview_from_changes(c, "repair", {"strategy": strategy}, fixed)


def apply_inconsistency(c: Corpus, row: Any) -> Preview:
    """Preview relabelling the dissenting occurrences of one ``inconsistencies()`` row.

    ``row`` (a dict or one-row DataFrame) needs ``text`` and ``majority`` (a ``variant`` of
    ``"casefold"`` matches the text case-insensitively).  A per-occurrence row
    (with ``sentence``, ``start``, ``end``) changes that occurrence only; a per-text row changes
    every occurrence of the text that disagrees with the majority, including untagged ones when
    the majority is a label.  A ``majority`` of ``"O"`` removes the dissenting spans.
    """
    r = row_as_dict(row, "apply_inconsistency", "row", "a row of corpus.inconsistencies() as a "
                    "dict (e.g. df.row(i, named=True))")
    if "text" not in r or "majority" not in r:
        raise EditError("apply_inconsistency: the row needs 'text' and 'majority' columns")
    text, majority = r["text"], r["majority"]
    folded = r.get("variant") == "casefold" or bool(r.get("folded"))
    if all(k in r for k in ("sentence", "start", "end")) and r["sentence"] is not None:
        s, a, b = int(r["sentence"]), int(r["start"]), int(r["end"])
        row0, n = _sentence(c, s)
        _check_range(s, a, b, n)
        tags = c.state.tok["tag"].slice(row0, n).cast(pl.String).to_list()
        spans = _spans_in(tags)
        if majority in (None, "O"):
            out = {p: "O" for s0, s1, _ in spans if s0 < b and s1 > a for p in range(s0, s1)}
        else:
            _check_labels_valid([majority], c)
            out = _replace_overlapping(spans, a, b, majority)
        pos = sorted(out)
        fixed = _with_fixes(c.state, pl.Series([row0 + p for p in pos], dtype=pl.UInt32),
                            pl.Series([out[p] for p in pos], dtype=pl.String), structural=True)
        return _preview_from_changes(c, "apply_inconsistency",
                                     {"text": text, "majority": majority, "sentence": s,
                                      "start": a, "end": b}, fixed)
    p = relabel_all(c, text, None if majority == "O" else majority, case=not folded,
                    include_untagged=majority not in (None, "O"))
    p.op = "apply_inconsistency"
    p.args = {"text": text, "majority": majority, "folded": folded}
    return p


def apply_suggestions(c: Corpus, frame: Any, op: str = "apply_suggestions") -> Preview:
    """Preview applying ``suspects()`` suggestions (``.apply()``: one undo step for all of them).

    ``frame`` (a DataFrame, or one row as a dict) needs ``sentence``, ``start``, ``end`` and
    ``suggestion`` (a label or ``"O"``); ``suggest_start`` / ``suggest_end`` (the new extent,
    default ``start`` / ``end``) and ``score`` are optional.  For each row every span overlapping
    ``[min(start, suggest_start), max(end, suggest_end))`` is removed and, unless the suggestion
    is ``"O"``, ``[suggest_start, suggest_end)`` becomes one span of that label.  When rows of the
    same sentence overlap, the one with the highest ``score`` (else the first) wins and the
    others are left out.
    """
    if isinstance(frame, Mapping):
        frame = pl.DataFrame([dict(frame)])
    if not isinstance(frame, pl.DataFrame):
        raise EditError(f"{op}: pass a suspects() frame or one row of it as a dict")
    missing = [k for k in ("sentence", "start", "end", "suggestion") if k not in frame.columns]
    if missing:
        raise EditError(f"{op}: the frame needs the column(s) {', '.join(missing)}")
    st = c.state
    df = frame.select(
        pl.col("sentence").cast(pl.Int64), pl.col("start").cast(pl.Int64),
        pl.col("end").cast(pl.Int64), pl.col("suggestion").cast(pl.String),
        (pl.col("suggest_start") if "suggest_start" in frame.columns else pl.col("start"))
        .cast(pl.Int64).alias("ss"),
        (pl.col("suggest_end") if "suggest_end" in frame.columns else pl.col("end"))
        .cast(pl.Int64).alias("se"),
        (pl.col("score").cast(pl.Float64) if "score" in frame.columns
         else pl.lit(0.0)).alias("score"),
    ).with_row_index("_i").with_columns(
        pl.min_horizontal("start", "ss").alias("lo"), pl.max_horizontal("end", "se").alias("hi"),
    )
    _check_labels_valid([x for x in df["suggestion"].unique().to_list() if x not in (None, "O")],
                        c)
    sent = st.sent.select(pl.col("sentence").cast(pl.Int64), pl.col("row").cast(pl.Int64),
                          pl.col("n_tokens").cast(pl.Int64))
    df = df.join(sent, on="sentence", how="left", maintain_order="left")
    bad = df.filter(pl.col("row").is_null() | (pl.col("lo") < 0)
                    | (pl.col("hi") > pl.col("n_tokens")) | (pl.col("ss") >= pl.col("se"))
                    | pl.col("suggestion").is_null())
    if bad.height:
        r = bad.row(0, named=True)
        raise EditError(f"{op}: sentence {r['sentence']}: bad suggestion [{r['ss']}, {r['se']}) "
                        f"{r['suggestion']!r} for [{r['start']}, {r['end']})")
    # overlapping suggestions: the best-scored one wins (a loop over suggestions, not tokens)
    keep, taken = [], {}
    for i, s, lo, hi in df.sort(["score", "_i"], descending=[True, False]).select(
            "_i", "sentence", "lo", "hi").iter_rows():
        if any(lo < b and a < hi for a, b in taken.get(s, ())):
            continue
        taken.setdefault(s, []).append((lo, hi))
        keep.append(i)
    df = df.filter(pl.col("_i").is_in(pl.Series(keep, dtype=pl.UInt32).implode()))
    spans = all_spans(c.state).select(pl.col("sentence").cast(pl.Int64),
                                      pl.col("start").alias("s0"), pl.col("end").alias("s1"))
    cleared = df.join(spans, on="sentence", how="inner").filter(
        (pl.col("s0") < pl.col("hi")) & (pl.col("s1") > pl.col("lo"))
    ).select(pl.int_ranges(pl.col("row") + pl.col("s0"), pl.col("row") + pl.col("s1"),
                           dtype=pl.UInt32).alias("row")).explode("row").with_columns(
        pl.lit("O").alias("new"))
    tagged = df.filter(pl.col("suggestion") != "O").select(
        pl.int_ranges(pl.col("row") + pl.col("ss"), pl.col("row") + pl.col("se"),
                      dtype=pl.UInt32).alias("row"),
        (pl.col("row") + pl.col("ss")).cast(pl.UInt32).alias("first"), "suggestion",
    ).explode("row").select(
        "row", (pl.when(pl.col("row") == pl.col("first")).then(pl.lit("B-")).otherwise(pl.lit("I-"))
                + pl.col("suggestion")).alias("new"))
    ch = pl.concat([cleared, tagged]).drop_nulls("row")
    fixed = _with_fixes(st, ch["row"], ch["new"], structural=True)
    args = ({"n": df.height} if df.height != 1 else
            {k: df.row(0, named=True)[k] for k in ("sentence", "start", "end", "suggestion", "ss",
                                                   "se")})
    return _preview_from_changes(c, op, args, fixed)


# ====================================================================== save / journal replay
def after_save(c: Corpus) -> None:
    """Called by :meth:`Corpus.write` after a successful in-place save.

    The written tag fields become the baseline (``_field``/``_eff``/``_orig``), the journal is
    cleared and :func:`unsaved_count` drops to 0.  The undo stack is kept (an undo after a save is
    an unsaved change again).
    """
    from .io.writer import file_tags

    st = c.state
    tok = st.full_tok()
    if tok.height and st.version and not (tok["tag"] == tok["_orig"]).all():
        field_s = tok["_field"].cast(pl.String).clone()
        eff_s = tok["_eff"].cast(pl.String).clone()
        off_s = tok["_off"].clone()
        has_key = tok["_has_key"].clone() if "_has_key" in tok.columns else None
        for i, rec in enumerate(st.files):  # loop over files
            idx = (tok["_file"] == i).arg_true()
            rows = tok.gather(idx)
            new = file_tags(rows, rec.scheme)
            changed = new["_changed"]
            if not changed.any():
                continue
            at = idx.filter(changed)
            vals = new["_new"].filter(changed)
            field_s.scatter(at, vals)
            eff_s.scatter(at, vals)
            if has_key is not None and rec.raw is not None:
                nokey = ~has_key.gather(at)
                if nokey.any():  # CoNLL-U: name= was appended at the end of MISC
                    at2 = at.filter(nokey)
                    lines = rec.raw.lines.gather((tok["line"].gather(at2) - 1).cast(pl.UInt32))
                    off_s.scatter(at2, (lines.str.len_chars() - vals.filter(nokey).str.len_chars())
                                  .cast(pl.UInt32))
                    has_key.scatter(at2, True)
        cols = [field_s.cast(pl.Categorical).alias("_field"),
                eff_s.cast(pl.Categorical).alias("_eff"), off_s.alias("_off")]
        if has_key is not None:
            cols.append(has_key.alias("_has_key"))
        st.tok = tok.with_columns(*cols)
    st.tok = st.tok.with_columns(pl.col("tag").alias("_orig"))
    st.touch("tags", "tokens", "edits")  # the tag fields are the new baseline
    _log(st).mark_saved()
    if st.journal is not None:
        st.journal.clear()
        from .review import journal_reviews

        journal_reviews(c)  # review decisions outlive a save


def replay_journal(c: Corpus, journal: str | os.PathLike | bool) -> int:
    """Re-apply a journal after a crash and keep journalling to it.

    The journal knows which file content it applies to (the SHA-256 in its header) and which
    saves it saw (a ``save`` record with the saved file's SHA-256, written just before the atomic
    rename).  The replay starts after the last of those states the file on disk is in: after a
    kill between a save's rename and the journal's reset only the operations after that save are
    replayed; after a kill before the rename, all of them.

    Parameters
    ----------
    c : Corpus
        A fresh read of the files the journal was written for.
    journal : path or True
        ``True`` means ``<first file>.bio-journal.jsonl``.

    Returns
    -------
    int
        Number of journal records replayed.

    Raises
    ------
    EditError
        When the file on disk is in none of the states the journal knows (it was changed by
        something else), when a record does not match the corpus (naming sentence, token and
        line), or when another process is using the journal.  Nothing is replayed then; move the
        journal away to continue.
    """
    st = c.state
    jr = enable_journal(c, journal)
    st.journal = None  # do not re-journal what is being replayed
    try:
        n = _replay_records(c, jr)
    except BaseException:
        jr.release()  # a failed recovery leaves the journal to the next session
        raise
    st.journal = jr
    return n


def _replay_records(c: Corpus, jr: Journal) -> int:
    st = c.state
    records = jr.all_records()
    start, point = _resume_point(st, jr, records)
    # review decisions outlive saves (after_save journals them again): those before the point
    # the file is at are replayed too, first
    kept = [r for r in records[:start] if r.get("kind") == "review"]
    todo = kept + [r for r in records[start:] if r.get("kind") not in ("header", "save")]
    log = _log(st)
    if point is not None:
        log.next_id = max(log.next_id, int(point.get("next_id") or 1))
        log.saved = tuple(point.get("saved") or ())
        log.phantom = list(point.get("done", log.saved) or ())
    for rec in todo:
        kind = rec.get("kind")
        if kind == "edit":
            _verify_record(c, jr, rec, "old", "new")
            _commit(c, rec["op"], rec.get("args", {}), pl.Series(rec["rows"], dtype=pl.UInt32),
                    pl.Series(rec["new"], dtype=pl.String),
                    pl.Series(rec["old"], dtype=pl.String), edit_id=int(rec["id"]),
                    when=rec.get("time"))
        elif kind in ("undo", "redo"):
            stack = log.done if kind == "undo" else log.undone
            if stack and stack[-1].edit_id == rec["id"]:
                (undo if kind == "undo" else redo)(c)
            else:  # the undo/redo of a step done before this journal began (before a save)
                _replay_foreign(c, jr, rec, kind)
        elif kind == "review":  # a review decision (its edit has its own record)
            from .review import replay_record

            replay_record(c, rec)
        else:
            raise EditError(f"{jr.path}: unknown journal record kind {kind!r}")
    if point is not None and point.get("kind") == "save":
        # the kill came between a save and the journal's reset: finish that
        jr.rewrite(todo, {k: point[k] for k in ("next_id", "saved", "done") if k in point})
    return len(todo)


def _resume_point(st: _State, jr: Journal, records: list[dict]) -> tuple[int, dict | None]:
    """Index of the first record to replay and the header/save record the file on disk is at."""
    from .journal import file_hashes

    head = records[0] if records and records[0].get("kind") == "header" else None
    if head is None or not any(f.get("sha256") for f in head.get("files") or []):
        return 0, head  # a version-1 journal (no hashes): replayed from its start, as before
    disk = file_hashes(st)
    points = [i for i, r in enumerate(records) if r.get("kind") in ("header", "save")]
    hashes = {i: [f.get("sha256") for f in records[i].get("files") or []] for i in points}
    for i in reversed(points):
        if hashes[i] == disk:
            return i + 1, records[i]
    # several files, killed between their renames: some are at the last save, the others at an
    # earlier state; take those back to it (in memory) and replay from there
    last = points[-1]
    at_save = [h == s for h, s in zip(disk, hashes[last], strict=False)]
    for q in reversed(points[:-1]):
        if len(hashes[q]) == len(disk) and any(at_save) and all(
                a or h == old for a, h, old in zip(at_save, disk, hashes[q], strict=True)):
            _rewind(st, jr, records[q + 1:last], [i for i, a in enumerate(at_save) if a])
            return q + 1, records[q]
    known = {f.get("sha256") for r in records if r.get("kind") in ("header", "save")
             for f in r.get("files") or []}
    names = [str(f.path) for f, h in zip(st.files, disk, strict=False) if h not in known]
    n = sum(r.get("kind") in ("edit", "undo", "redo") for r in records)
    raise EditError(
        f"{', '.join(names) or 'the corpus files'}: the content on disk is neither the one the "
        f"journal {jr.path} starts from nor one it saved, so it was changed outside this "
        f"session; the journal's {n} operations were not replayed. Move the journal away to "
        "open the file as it is (or put back the file it was written for, e.g. from its .bak)")


def _rewind(st: _State, jr: Journal, records: list[dict], files: list[int]) -> None:
    """Undo ``records`` (newest first) on the rows of ``files`` only, checking each one."""
    in_files = st.tok["_file"].is_in(files)
    for rec in reversed(records):
        kind = rec.get("kind")
        if kind not in ("edit", "undo", "redo"):
            continue
        rows = pl.Series(rec["rows"], dtype=pl.UInt32)
        after, before = (("old", "new") if kind == "undo" else ("new", "old"))
        keep = in_files.gather(rows)
        rows = rows.filter(keep)
        want = pl.Series(rec[after], dtype=pl.String).filter(keep)
        if not (st.tok["tag"].gather(rows).cast(pl.String) == want).all():
            raise EditError(f"{jr.path}: the files are at different saves and operation "
                            f"{rec.get('id')} does not match them; nothing was replayed")
        _set_tags(st, rows, pl.Series(rec[before], dtype=pl.String).filter(keep))


def _verify_record(c: Corpus, jr: Journal, rec: dict, old_key: str, new_key: str) -> pl.Series:
    """Check that the rows of journal record ``rec`` hold its tokens and ``rec[old_key]`` tags."""
    st = c.state
    n = len(rec["rows"])
    rows = pl.Series(rec["rows"], dtype=pl.UInt32)
    if n and int(rows.max()) >= st.tok.height:  # type: ignore[arg-type]
        raise EditError(f"{jr.path}: edit {rec['id']} refers to token row "
                        f"{int(rows.max())}, beyond this corpus")  # type: ignore[arg-type]
    # one-token runs, so that the generic checker verifies every row
    df = pl.DataFrame({
        "edit_id": pl.Series([rec["id"]] * n, dtype=pl.UInt32),
        "op": pl.Series([rec["op"]] * n, dtype=pl.String),
        "sentence": st.tok["sentence"].gather(rows),
        "start": st.tok["position"].gather(rows),
        "tokens": pl.Series(rec["tokens"], dtype=pl.String),
        "old_tags": pl.Series(rec[old_key], dtype=pl.String),
        "new_tags": pl.Series(rec[new_key], dtype=pl.String),
    }).with_columns(pl.concat_list(k).alias(k) for k in ("tokens", "old_tags", "new_tags"))
    _verify_and_collect(c, df, str(jr.path))
    return rows


def _replay_foreign(c: Corpus, jr: Journal, rec: dict, kind: str) -> None:
    """Replay the undo/redo of a step that is not on this session's stacks.

    The live session had the step (it was done and saved before the journal began); the replay
    rebuilds it from the record with its own id, so later records that name it find it.
    """
    st = c.state
    undoing = kind == "undo"
    rows = _verify_record(c, jr, rec, "new" if undoing else "old", "old" if undoing else "new")
    step = Step(int(rec["id"]), rec["op"], rec.get("args", {}), rows,
                pl.Series(rec["old"], dtype=pl.String), pl.Series(rec["new"], dtype=pl.String),
                rec.get("time") or time.time())
    _set_tags(st, rows, step.old if undoing else step.new)
    log = _log(st)
    if undoing and log.phantom and log.phantom[-1] == step.edit_id:
        log.phantom.pop()
    (log.undone if undoing else log.done).append(step)
    log.next_id = max(log.next_id, step.edit_id + 1)


def auto_journal(c: Corpus) -> Journal | None:
    """Journal the edits of a file-backed corpus in :func:`state_dir`, unless it is journalled.

    Used by the span view so that interactive edits survive a crashed kernel without the user
    asking: ``bx.explore(path)`` (or ``bx.read(path, journal=auto_journal_path(path))``) replays
    it.  When a journal of an earlier, unsaved session exists it is left intact, with a warning.

    Returns
    -------
    Journal or None
        The journal now in use, or None (table-backed corpus, or an earlier journal exists).
    """
    import warnings

    st = c.state
    if st.journal is not None:
        return st.journal
    if not st.files or st.files[0].path is None:
        return None
    path = auto_journal_path(st.files[0].path)
    if path.exists() and path.stat().st_size > 0:
        kinds = {r.get("kind") for r in Journal(path, []).records()}
        if kinds == {"review"}:
            replay_journal(c, path)  # only review decisions (kept by a save): restore
            return st.journal
        warnings.warn(
            f"{path} holds edits of an earlier session that were never saved; "
            f"bx.explore({str(st.files[0].path)!r}) replays them. "
            "This session's edits are not journalled, to keep that file intact.",
            stacklevel=3,
        )
        return None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return enable_journal(c, path)
    except (OSError, EditError) as exc:  # e.g. another process edits this file
        warnings.warn(f"this session's edits are not journalled: {exc}", stacklevel=3)
        return None
