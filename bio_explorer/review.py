"""The review queue: walk the ranked suspects of ``Corpus.suspects()`` and record a decision each.

A person judges one suspected error at a time: *accept* applies its suggestion (one undo step),
*reject* marks it reviewed (it is not shown again), *edit* records that the person fixed it by
hand.  Decisions are data (:func:`reviews_frame`, ``c.reviews``) and journal records of kind
``"review"``, so they survive a crashed or restarted kernel: ``bx.read(path, journal=...)`` and
``bx.explore(path)`` replay them with the edits (see :mod:`bio_explorer.edits`).

The queue is a *snapshot* of the ranked suspects, taken when the review starts (finding suspects
can take seconds; a fix should not reshuffle the list under the reader's eyes).  Pending suspects
are the snapshot minus the reviewed ones, matched by :data:`KEY`.  :func:`snapshot` with
``refresh=True`` takes a new one.

This module is pure core: polars only, no widget code (the span view's "Review" mode is a thin shell
over it, in :mod:`bio_explorer.review_view`).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import polars as pl

from .errors import EditError
from .rowarg import row_as_dict

if TYPE_CHECKING:
    from .corpus import Corpus

__all__ = [
    "DECISIONS",
    "KEY",
    "REVIEWS_SCHEMA",
    "SUSPECT_COLUMNS",
    "counts",
    "has_snapshot",
    "journal_reviews",
    "keyed_row",
    "queue",
    "replay_record",
    "review",
    "reviewed_sentences",
    "reviews_frame",
    "set_suspects",
    "snapshot",
]

#: Columns of a suspects frame (``Corpus.suspects()``), in order.
SUSPECT_COLUMNS = ("sentence", "start", "end", "text", "label", "suggestion", "suggest_start",
                   "suggest_end", "score", "finder", "evidence")
#: What identifies a suspect across finders and snapshots: the same span, the same suggestion.
KEY = ("sentence", "start", "end", "label", "suggestion", "suggest_start", "suggest_end")
#: The decisions a review records.  ``accept`` applies the suggestion; ``edit`` means fixed by hand.
DECISIONS = ("accept", "reject", "edit")
#: Decisions that changed the corpus (counted as "fixed").
FIXED = ("accept", "edit")

REVIEWS_SCHEMA = {
    "sentence": pl.UInt32,
    "start": pl.UInt32,
    "end": pl.UInt32,
    "text": pl.String,
    "label": pl.String,
    "suggestion": pl.String,
    "suggest_start": pl.UInt32,
    "suggest_end": pl.UInt32,
    "finder": pl.String,
    "decision": pl.String,
    "edit_id": pl.UInt32,
    "time": pl.Datetime("us", "UTC"),
}

class ReviewLog:
    """Review state shared by a corpus and its views: the decisions and the queue snapshot."""

    def __init__(self) -> None:
        self.records: list[dict] = []
        self.suspects: pl.DataFrame | None = None  # the ranked snapshot (with ``rank``)
        self._frame: tuple[int, pl.DataFrame] | None = None  # reviews frame, per record count

    def frame(self) -> pl.DataFrame:
        """The decisions as a frame (memoised until the next decision)."""
        hit = self._frame
        if hit is not None and hit[0] == len(self.records):
            return hit[1]
        cols = [c for c in REVIEWS_SCHEMA if c != "time"]
        data = {c: [r.get(c) for r in self.records] for c in cols}
        data["time"] = [int(r["time"] * 1e6) if r.get("time") is not None else None
                        for r in self.records]
        schema = {**REVIEWS_SCHEMA, "time": pl.Int64}
        frame = pl.DataFrame(data, schema=schema).with_columns(
            pl.col("time").cast(pl.Datetime("us", "UTC")))
        self._frame = (len(self.records), frame)
        return frame


def _log(c: Corpus) -> ReviewLog:
    st = c.state
    log = getattr(st, "review_log", None)
    if log is None:
        log = ReviewLog()
        st.review_log = log
    return log


# ====================================================================== frames
def _keyed(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with the :data:`KEY` columns cast to one dtype each and nulls filled (joinable).

    As ``Corpus.suspects()`` writes them: untagged text has the label ``"O"``, an unchanged extent
    has ``suggest_start``/``suggest_end`` equal to ``start``/``end``.
    """
    return frame.with_columns(
        pl.col("sentence").cast(pl.Int64), pl.col("start").cast(pl.Int64),
        pl.col("end").cast(pl.Int64),
        pl.col("label").cast(pl.String).fill_null("O"),
        pl.col("suggestion").cast(pl.String).fill_null(""),
        pl.col("suggest_start").cast(pl.Int64).fill_null(pl.col("start").cast(pl.Int64)),
        pl.col("suggest_end").cast(pl.Int64).fill_null(pl.col("end").cast(pl.Int64)),
    )


def keyed_row(key: dict) -> pl.DataFrame:
    """One :data:`KEY` dict as a one-row frame, typed and filled as :func:`_keyed` does."""
    return _keyed(pl.DataFrame([key], schema={
        "sentence": pl.Int64, "start": pl.Int64, "end": pl.Int64, "label": pl.String,
        "suggestion": pl.String, "suggest_start": pl.Int64, "suggest_end": pl.Int64}))


def _check_suspects(frame: pl.DataFrame, what: str = "suspects") -> None:
    if not isinstance(frame, pl.DataFrame):
        raise TypeError(f"{what} must be a polars DataFrame, not {type(frame).__name__}")
    missing = [c for c in SUSPECT_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"{what} lacks the column(s) {', '.join(missing)}; expected "
                         f"{', '.join(SUSPECT_COLUMNS)} (as Corpus.suspects() returns)")


def set_suspects(c: Corpus, frame: pl.DataFrame) -> pl.DataFrame:
    """Make ``frame`` (ranked, best first) the queue's snapshot.

    Rows with the same :data:`KEY` (several finders suspecting the same span of the same thing)
    are kept once, at their best rank.  A ``rank`` column (1-based) is added.

    Returns
    -------
    pl.DataFrame
        The snapshot.
    """
    _check_suspects(frame)
    snap = (
        frame.select(SUSPECT_COLUMNS)
        .pipe(_keyed)
        .unique(subset=list(KEY), keep="first", maintain_order=True)
        .with_row_index("rank", offset=1)
    )
    _log(c).suspects = snap
    return snap


def has_snapshot(c: Corpus) -> bool:
    """True once the queue's snapshot was taken (:func:`snapshot`, :func:`set_suspects`)."""
    return _log(c).suspects is not None


def snapshot(c: Corpus, *, refresh: bool = False) -> pl.DataFrame:
    """The queue's ranked suspects: taken from ``c.suspects()`` on first use (or ``refresh``)."""
    log = _log(c)
    if log.suspects is None or refresh:
        finder = getattr(c, "suspects", None)
        if finder is None:
            raise EditError("this bio_explorer has no Corpus.suspects(); pass a suspects frame "
                            "to set_suspects()")
        set_suspects(c, finder())
    return log.suspects  # type: ignore[return-value]


def _filtered(snap: pl.DataFrame, labels: Sequence[str] | None,
              finders: Sequence[str] | None) -> pl.DataFrame:
    if labels:
        snap = snap.filter(pl.col("label").is_in(list(labels)))
    if finders:
        snap = snap.filter(pl.col("finder").is_in(list(finders)))
    return snap


def _decided(c: Corpus) -> pl.DataFrame:
    """The latest decision per :data:`KEY` (a later decision on the same suspect wins).

    An ``accept`` whose edit is undone (and not redone) does not count: the suspect is pending
    again.
    """
    frame = _log(c).frame()
    edits = c.state.log
    undone = [s.edit_id for s in edits.undone] if edits is not None else []
    if undone:
        frame = frame.filter(~((pl.col("decision") == "accept")
                               & pl.col("edit_id").is_in(undone).fill_null(False)))
    return (_keyed(frame).unique(subset=list(KEY), keep="last", maintain_order=True)
            .select(*KEY, "finder", "decision"))


def queue(c: Corpus, *, labels: Sequence[str] | None = None,
          finders: Sequence[str] | None = None) -> pl.DataFrame:
    """The suspects still to review, best first.

    Parameters
    ----------
    c : Corpus
    labels : list of str, optional
        Only suspects whose current label (``"O"``: untagged text) is one of these.
    finders : list of str, optional
        Only suspects reported by one of these finders.

    Returns
    -------
    pl.DataFrame
        ``rank`` and the :data:`SUSPECT_COLUMNS` of the pending suspects.
    """
    snap = _filtered(snapshot(c), labels, finders)
    return snap.join(_decided(c), on=list(KEY), how="anti", maintain_order="left")


def counts(c: Corpus, *, labels: Sequence[str] | None = None,
           finders: Sequence[str] | None = None) -> dict[str, int]:
    """The queue's counter: ``reviewed`` decisions, how many ``fixed`` something, ``pending``
    suspects, and their sum ``total`` (all filtered by ``labels`` / ``finders``).

    Decisions count even when their suspect is no longer in the snapshot (an accepted suggestion
    changed the label it was found on, and a new snapshot no longer lists it).
    """
    decided = _filtered(_decided(c), labels, finders)
    pending = queue(c, labels=labels, finders=finders).height
    reviewed = decided.height
    fixed = int(decided["decision"].is_in(FIXED).sum())
    return {"total": pending + reviewed, "reviewed": reviewed, "fixed": fixed,
            "pending": pending}


def reviews_frame(c: Corpus) -> pl.DataFrame:
    """Every review decision, in the order made.

    Columns: ``sentence``, ``start``, ``end``, ``text``, ``label``, ``suggestion``,
    ``suggest_start``, ``suggest_end``, ``finder``, ``decision`` (one of :data:`DECISIONS`),
    ``edit_id`` (the edit an ``accept``/``edit`` made, as in ``c.edits``), ``time`` (UTC).
    """
    return _log(c).frame()


def reviewed_sentences(c: Corpus) -> list[int]:
    """Ids of the sentences a review decision touched, sorted (for ``filter(sentences=...)``)."""
    return sorted(set(reviews_frame(c)["sentence"].to_list()))


# ====================================================================== decisions
def _record(r: dict, decision: str, edit_id: int | None) -> dict:
    return {
        "kind": "review",
        "sentence": int(r["sentence"]), "start": int(r["start"]), "end": int(r["end"]),
        "text": r.get("text"), "label": r.get("label") or "O",
        "suggestion": r.get("suggestion") or None,
        "suggest_start": int(r["start"] if r.get("suggest_start") is None else r["suggest_start"]),
        "suggest_end": int(r["end"] if r.get("suggest_end") is None else r["suggest_end"]),
        "finder": r.get("finder"), "decision": decision, "edit_id": edit_id,
        "time": time.time(),
    }


def _last_edit_id(c: Corpus) -> int | None:
    log = c.state.log
    return log.done[-1].edit_id if log is not None and log.done else None


def _apply(c: Corpus, r: dict) -> None:
    """Apply a suspect's suggestion through ``Corpus.apply_suggestion`` (one undo step)."""
    result = c.apply_suggestion(r)
    if hasattr(result, "apply") and not getattr(result, "applied", True):
        result.apply()  # a Preview: apply it


def review(c: Corpus, row: Any, decision: str) -> dict:
    """Record a decision on one suspect.

    Parameters
    ----------
    c : Corpus
    row : dict or one-row DataFrame
        A row of the suspects frame (``sentence``, ``start``, ``end``, ``label``, ``suggestion``,
        ``suggest_start``, ``suggest_end``, ``finder``...).
    decision : {"accept", "reject", "edit"}
        ``accept`` applies the suggestion (one undo step) and records it; ``reject`` marks the
        suspect reviewed without changing anything; ``edit`` records that it was fixed by hand
        (the latest edit is linked).

    Returns
    -------
    dict
        The recorded decision (a row of ``c.reviews``).

    Raises
    ------
    EditError
        For an unknown decision, or when the suggestion cannot be applied (nothing is recorded).
    """
    if decision not in DECISIONS:
        raise EditError(f"review: decision {decision!r}; expected one of {', '.join(DECISIONS)}")
    r = row_as_dict(row, "review", "suspect row",
                    "a row of the suspects frame as a dict (frame.row(i, named=True))")
    missing = [k for k in ("sentence", "start", "end") if r.get(k) is None]
    if missing:
        raise EditError(f"review: the row needs {', '.join(missing)}")
    edit_id = None
    if decision == "accept":
        before = _last_edit_id(c)
        _apply(c, r)
        after = _last_edit_id(c)
        edit_id = after if after != before else None
    elif decision == "edit":
        edit_id = _last_edit_id(c)
    rec = _record(r, decision, edit_id)
    journal = c.state.journal
    if journal is not None:
        journal.append(rec)
    _log(c).records.append(rec)
    return {k: v for k, v in rec.items() if k != "kind"}


def replay_record(c: Corpus, rec: dict) -> None:
    """Re-install one journal record of kind ``"review"`` (the edit it made is replayed apart)."""
    if rec.get("decision") not in DECISIONS or rec.get("sentence") is None:
        raise EditError(f"unreadable review record {rec!r}")
    _log(c).records.append(dict(rec))


def journal_reviews(c: Corpus) -> None:
    """Write every decision to the (freshly cleared) journal again, e.g. after a save."""
    journal = c.state.journal
    if journal is None:
        return
    for rec in _log(c).records:
        journal.append(rec)
