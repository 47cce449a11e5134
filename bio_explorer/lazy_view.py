"""The span view and the Explorer on a :class:`~bio_explorer.lazy.LazyCorpus`.

The widgets only ever ask their corpus for aggregates and pages, so a ``LazyCorpus`` answers them
without holding its tokens in memory:

* chips, header and charts come from the merged per-part aggregates (label counts, transitions,
  span lengths, local anomaly kinds): Altair and the front end receive aggregated rows only;
* filter + page run the lazy pushdown queries (:meth:`LazyCorpus.filter`, :meth:`LazyCorpus.page`);
* single edits (relabel, add, delete, resize) go to the dataset's overlay, which is its journal
  (``_overlay.jsonl``, fsync-ed per edit); Save writes the corpus with its edits by the streaming
  writer to :attr:`LazyCorpus.save_path` (never over the source files).

Not available lazily, shown as a message instead of a crash: the surface-form consistency
analyses (the "inconsistencies" chart, the ``inconsistent_*``/``unlabelled_mention`` anomaly
kinds), the review queue of suspects and its chart, undo/redo and "apply to all occurrences"
(see :mod:`bio_explorer.lazy` for why).

:class:`LazySpanView` is a :class:`~bio_explorer.widget.SpanView` whose corpus hooks read a
``LazyCorpus``; :class:`LazyExplorerData` is what :class:`~bio_explorer.explorer.Explorer` asks of
its corpus (see :class:`bio_explorer.explorer.CorpusData`, the eager counterpart).
"""

from __future__ import annotations

import json
import os
from typing import Any, ClassVar

import polars as pl

from .lazy import LazyCorpus
from .widget import SpanView

__all__ = ["REVIEW_UNAVAILABLE", "LazyExplorerData", "LazySpanView"]

#: the message of the review queue (front end and Explorer) on a LazyCorpus
REVIEW_UNAVAILABLE = ("Review is not available on a LazyCorpus: the suspect finders need the "
                      "whole corpus in memory; filter it and collect() the view, then review it")
_INCONSISTENCIES_UNAVAILABLE = ("not available on a LazyCorpus (a whole-corpus join): filter "
                                "it, collect() the view and explore that")
_APPLY_ALL_UNAVAILABLE = ("'Apply to all occurrences' is not available on a LazyCorpus: edit "
                          "occurrences one by one, or collect() a filtered view")


def _key(query: dict) -> str:
    return json.dumps(query, sort_keys=True, default=str)


class LazySpanView(SpanView):
    """The span view of a :class:`~bio_explorer.lazy.LazyCorpus` (same front end, same protocol).

    Parameters
    ----------
    corpus : LazyCorpus
        The corpus (edits made in the view go to its overlay).
    query : dict, optional
        The initial filter.
    page_size : int, default 50
        Sentences per page.
    journal : None or False
        A ``LazyCorpus`` journals every edit in its overlay; another journal is refused.
    **kwargs
        Widget options.
    """

    def __init__(self, corpus: LazyCorpus, query: dict | None = None, page_size: int = 50,
                 journal: bool | str | os.PathLike | None = None, **kwargs: Any) -> None:
        self._counts_memo: dict[tuple[int, str], dict[str, int]] = {}
        super().__init__(corpus, query=query, page_size=page_size, journal=journal, **kwargs)

    # ------------------------------------------------------------------ corpus hooks
    def _attach(self, corpus: Any, journal: bool | str | os.PathLike | None) -> None:
        if not isinstance(corpus, LazyCorpus):
            raise TypeError(f"LazySpanView needs a bio_explorer.LazyCorpus, not "
                            f"{type(corpus).__name__}")
        if journal not in (None, False):
            raise ValueError("a LazyCorpus journals its edits in its overlay "
                             f"({corpus.overlay.path}); journal= is not needed")

    def _version(self) -> int:
        return self._corpus.version

    def _tags_before_edit(self) -> None:
        """No tag column in memory: an edit reply carries no rows (the page is asked for)."""
        return None

    def _warm_search(self) -> None:
        """A LazyCorpus searches by predicate pushdown: there is no in-memory index to warm."""

    def _source_names(self) -> list[str]:
        return self._corpus.file_names

    def _view(self, query: dict) -> LazyCorpus:
        view = super()._view(query)
        len(view)  # the matching ids: a bad query fails here, where callers report it
        return view

    def spans_per_label(self, view: LazyCorpus) -> dict[str, int]:
        """:meth:`SpanView.spans_per_label` of a ``LazyCorpus`` view: the merged per-part
        counts, memoised per data version."""
        key = (self._version(), _key(view.query))
        if key not in self._counts_memo:
            if len(self._counts_memo) > 8:
                self._counts_memo.clear()
            counts = view.label_counts()
            self._counts_memo[key] = dict(zip(counts["label"].to_list(),
                                              counts["spans"].to_list(), strict=True))
        return self._counts_memo[key]

    def _kind_counts(self, view: LazyCorpus) -> list[dict]:
        """The local anomaly kinds of ``view`` (the surface-form kinds are not run lazily)."""
        counts = view.anomaly_counts()
        return [{"kind": str(k), "count": int(n)} for k, n in counts.items()]

    def _refresh_status(self) -> None:
        lazy = self._corpus
        overlay = lazy.overlay
        unsaved = 0 if overlay.saved_version == overlay.version else len(overlay)
        self._status = {"unsaved": unsaved, "can_undo": False, "can_redo": False,
                        "path": str(lazy.save_path)}

    def _schedule_global(self) -> None:
        """Nothing to schedule: a LazyCorpus has no whole-corpus consistency pass."""

    def _span_text(self, sentence: int, start: int, end: int) -> str:
        raise NotImplementedError(_APPLY_ALL_UNAVAILABLE)

    # ------------------------------------------------------------------ messages
    def handle_request(self, content: Any, buffers: list | None = None) -> None:
        """:meth:`SpanView.handle_request`; a review request gets an error reply (no review on a
        LazyCorpus)."""
        if isinstance(content, dict) and content.get("kind") == "review":
            self._reply_error(content, REVIEW_UNAVAILABLE)
            return
        super().handle_request(content, buffers)

    def review(self, suspects: pl.DataFrame | None = None, **query: list[str]) -> None:
        """Not available on a LazyCorpus (see :data:`REVIEW_UNAVAILABLE`)."""
        raise NotImplementedError(REVIEW_UNAVAILABLE)

    # ------------------------------------------------------------------ the Explorer's hooks
    def _refresh_kinds(self) -> None:
        """Recount the anomaly kinds of the current filter (after the Explorer's scan)."""
        try:
            self._anomaly_kinds = self._kind_counts(self._view(self.query))
        except Exception:  # a bad query: its page request reports it
            return

    def _answer_waiting(self) -> None:
        """Answer page requests waiting (none wait here: pages never need a slow scan)."""
        if self._pending:
            self._answer_pending()


class LazyExplorerData:
    """What the Explorer needs from a :class:`~bio_explorer.lazy.LazyCorpus`.

    The lazy counterpart of :class:`bio_explorer.explorer.CorpusData`: aggregates from merged
    per-part partials (collected by streaming, so charts never receive token rows), the span view
    :class:`LazySpanView`, and the analyses shown as a message instead.
    """

    unavailable: ClassVar[dict[str, str]] = {
        "inconsistencies": _INCONSISTENCIES_UNAVAILABLE, "review": REVIEW_UNAVAILABLE}

    def __init__(self, corpus: LazyCorpus) -> None:
        self.corpus = corpus

    def version(self) -> int:
        """The overlay's edit count (every edit moves it)."""
        return self.corpus.version

    def file_names(self) -> list[str]:
        """Names of the source files."""
        return self.corpus.file_names

    def analysis(self, view: LazyCorpus, what: str) -> pl.DataFrame:
        """One aggregated frame of ``view``, as the eager corpus gives it."""
        if what == "anomaly_counts":  # the local kinds
            from .analysis.anomalies import kind_label_counts

            return kind_label_counts(view.anomalies()).collect(engine="streaming")
        if what == "inconsistencies":  # never drawn (see ``unavailable``)
            return pl.DataFrame(schema={"text": pl.String})
        return getattr(view, what)()

    def span_view(self, slow: Any, **kwargs: Any) -> LazySpanView:
        """The Explorer's span view (pages never wait for the background scan)."""
        return LazySpanView(self.corpus, **kwargs)
