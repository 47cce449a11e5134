"""The span view's "Review" mode, Python side: answers ``{"kind": "review"}`` messages.

The front end never holds the ranked list: it asks for one suspect at a time, by its index among
the pending suspects, and Python answers with that suspect, the sentence it is in (as one page
sentence, the suspect highlighted) and the counter.  Messages (see ``docs/ARCHITECTURE.md``):

* ``{"kind": "review", "id", "op": "get", "index"}``
* ``{"kind": "review", "id", "op": "decide", "index", "key", "decision"}`` — ``key`` is the
  suspect's :data:`bio_explorer.review.KEY` fields as sent by ``get``; the reply is the suspect
  now at ``index`` (the next one, since the decided one left the queue);
* ``{"kind": "review", "id", "op": "refresh", "index"}`` — a new snapshot of ``c.suspects()``;
* ``{"kind": "review", "id", "op": "show_reviewed"}`` — leave review mode and filter the span
  view to the sentences a review touched.

Reply: ``{"kind": "review", "id", "index", "total", "reviewed", "fixed", "pending",
"suspect": {...} | null, "row": <page sentence> | null, "message"?}``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import review as rv

if TYPE_CHECKING:
    from .widget import SpanView

__all__ = ["answer_review", "review_filter"]

_OPS = ("get", "decide", "refresh", "show_reviewed")


def review_filter(view: SpanView) -> dict[str, list[str]]:
    """``labels`` and ``finders`` of the view's ``review_query`` (empty lists: no condition)."""
    q = view.review_query or {}

    def strings(key: str) -> list[str]:
        v = q.get(key) or []
        return [x for x in ([v] if isinstance(v, str) else v) if isinstance(x, str)]

    return {"labels": strings("labels"), "finders": strings("finders")}


def _suspect_payload(row: dict) -> dict:
    out: dict[str, Any] = {}
    for k in ("rank", *rv.SUSPECT_COLUMNS):
        out[k] = row.get(k)
    out["score"] = None if out["score"] is None else round(float(out["score"]), 4)
    out["key"] = {k: out[k] for k in rv.KEY}
    return out


def _sentence_payload(view: SpanView, suspect: dict) -> dict | None:
    """The suspect's sentence as one page sentence, the suspect's tokens highlighted."""
    c = view.corpus
    s = int(suspect["sentence"])
    if not 0 <= s < len(c.state.sent):
        return None
    page = c.filter(sentences=[s]).page(0, 1)
    if not page.get("sentences"):
        return None
    row = dict(page["sentences"][0])
    lo = min(int(suspect["start"]), int(suspect["suggest_start"]))
    hi = max(int(suspect["end"]), int(suspect["suggest_end"]))
    row["highlight"] = list(range(lo, min(hi, len(row.get("tokens", [])))))
    spans = row.get("spans") or []
    here = [sp for sp in spans if sp[0] == suspect["start"] and sp[1] == suspect["end"]]
    # the label the suspect's extent carries now (None: no span there); the front end marks the
    # suspect as changed when it differs from the label it was suspected with
    row["suspect_current"] = here[0][2] if here else None
    return row


def _answer(view: SpanView, msg: dict, index: int, message: str = "") -> dict:
    flt = review_filter(view)
    c = view.corpus
    pending = rv.queue(c, **flt)
    n = rv.counts(c, **flt)
    index = min(max(0, index), max(0, pending.height - 1))
    suspect = row = None
    if pending.height:
        suspect = _suspect_payload(pending.row(index, named=True))
        row = _sentence_payload(view, suspect)
    out = {"kind": "review", "id": msg.get("id"), "index": index, **n, "suspect": suspect,
           "row": row, "query": flt}
    if message:
        out["message"] = message
    return out


def _find(c: Any, key: dict) -> dict:
    """The snapshot row with :data:`KEY` ``key`` (as the front end sent it back)."""
    if not isinstance(key, dict):
        raise ValueError("review: 'key' must be the suspect's key object")
    snap = rv.snapshot(c)
    ints = ("sentence", "start", "end", "suggest_start", "suggest_end")
    bad = [k for k in rv.KEY if not (
        isinstance(key.get(k), int) and not isinstance(key.get(k), bool) if k in ints
        else isinstance(key.get(k), str))]
    if bad:
        raise ValueError(f"review: bad suspect key (fields {', '.join(bad)}): {key!r}")
    want = rv.keyed_row({k: key[k] for k in rv.KEY})
    hit = snap.join(want, on=list(rv.KEY), how="semi")
    if hit.height == 0:
        raise ValueError("review: this suspect is not in the queue any more (refresh the queue)")
    return hit.row(0, named=True)


def answer_review(view: SpanView, msg: dict) -> None:
    """Handle one ``{"kind": "review"}`` message of the span view's front end."""
    op = msg.get("op")
    try:
        if op not in _OPS:
            raise ValueError(f"unknown review op {op!r}; expected one of {', '.join(_OPS)}")
        index = msg.get("index", 0)
        if isinstance(index, bool) or not isinstance(index, int) or index < 0:
            raise ValueError(f"review: 'index' must be a whole number, 0 or more, got {index!r}")
        message = ""
        fresh = not rv.has_snapshot(view.corpus)
        if op == "refresh":
            rv.snapshot(view.corpus, refresh=True)
            index = 0
            view.review_version += 1
        elif op == "show_reviewed":
            view.show_reviewed()
            return
        elif op == "decide":
            decision = msg.get("decision")
            if decision not in rv.DECISIONS:
                raise ValueError(f"review: 'decision' must be one of {', '.join(rv.DECISIONS)}, "
                                 f"got {decision!r}")
            row = _find(view.corpus, msg.get("key"))
            before = view.corpus.state.version
            view.corpus.review(row, decision)
            message = {"accept": "suggestion applied", "reject": "rejected",
                       "edit": "marked as fixed by hand"}.get(decision, decision)
            view.review_version += 1
            if view.corpus.state.version != before:
                view.refresh()  # counts, status, other parts (charts)
        reply = _answer(view, msg, index, message)
        if fresh:  # the snapshot was just taken: the Explorer's suspects chart can show it
            view.review_version += 1
    except Exception as exc:  # shown in the widget, never swallowed
        text = str(exc).strip() or type(exc).__name__
        view.send({"kind": "error", "id": msg.get("id"), "message": text})
        return
    view.send(reply)
