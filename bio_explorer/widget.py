"""``SpanView``: the anywidget shell over :meth:`Corpus.filter` / :meth:`Corpus.page`.

The browser only ever holds one page of sentences.  It asks for pages with custom messages and
Python answers them (see ``docs/ARCHITECTURE.md``, "Widget protocol"):

* ``{"kind": "page", "id", "query", "offset", "limit"}`` → ``{"kind": "page", "id", ...page}``;
* ``{"kind": "edit", "id", "op", ..., "view"?}`` → ``{"kind": "edit", "id", "ok", "message"}`` and a
  bump of ``_data_version``.  When the edit names the page it was made on (``view``: its request
  id, query, offset and sentence ids) and left that page's sentences in the filter, the reply
  carries that page's rows re-rendered (``view``, ``rows``, ``version``:
  the ``_data_version`` they are current for), so the front end updates them in place and asks
  for nothing; otherwise the bump makes it re-request its page;
* any failure → ``{"kind": "error", "id", "message"}``.

Requests that queue up while Python is busy are coalesced: of several page requests waiting in
the kernel only the newest is answered (the front end drops replies to older ids anyway).  Edits
are never dropped; they are applied in the order they arrive.

After an edit the reply and the page refresh are immediate: the page shows fresh local anomaly
marks and the latest surface-form (global) marks minus those of edited sentences (see
:mod:`bio_explorer.analysis.anomalies`).  A debounced background thread
(:attr:`SpanView.anomaly_refresh_delay` seconds after the last edit) then recomputes the global
kinds; when it is done and the corpus has not changed meanwhile, the anomaly counts are refreshed
and ``_data_version`` is bumped again so the marks update.  Without a running event loop (plain
Python, tests) nothing runs in the background: :meth:`SpanView.wait_idle` does the pending work.
"""

from __future__ import annotations

import json
import os
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import anywidget
import polars as pl
import traitlets

from .assets import asset
from .background import Coalescer, Run, Worker
from .colors import palette
from .corpus import Corpus
from .kernel_comm import route_to_main_shell
from .messages import MessageError, ShownPage, edit_fields, page_request, shown_page
from .query import QUERY_KEYS, Query, warm_search_index
from .state import all_spans

__all__ = ["QUERY_KEYS", "SpanView"]

_MAX_LIMIT = 1000
_RECOUNT_DELAY = 0.3  # s: counts after an edit wait at most this long for the page reply
# s: counts after an edit whose reply carried the rows, as the Explorer's header and charts:
# the reply is out and drawn first (a bridge that answers when the handler's loop turn ends must
# not wait for them, and they do not take the CPU from the browser drawing the rows)
_RECOUNT_AFTER_ROWS = 0.05
_PREVIEW_ROWS = 20
_VIEWS_KEPT = 4  # filtered views memoised by SpanView._view (the last few searches / chips)

# Shown when the front-end bundle has not been built (``cd js && npm ci && npm run build``).
_MISSING_ESM = """
export default { render({ el }) {
  el.textContent = "bio_explorer: span view bundle missing (build it: cd js && npm run build).";
} };
"""


def _query_key(query: dict) -> str:
    return json.dumps(query, sort_keys=True)




class _GlobalRefresh:
    """Debounced recomputation of the global anomaly kinds: a job on a :class:`Worker`.

    ``schedule()`` (after an edit) arms a timer on the running event loop; every new call restarts
    the wait.  When it fires, the worker's thread runs
    :func:`bio_explorer.analysis.anomalies.refresh_global` on a snapshot of the corpus, and hands
    the version it computed back to the event loop, where ``on_done`` runs.  Without an event loop
    the work stays pending until :meth:`wait`.
    """

    def __init__(self, corpus: Corpus, on_done: Callable[[int], None],
                 delay: Callable[[], float]) -> None:
        self._corpus = corpus
        self._on_done = on_done
        self._delay = delay
        self.error: BaseException | None = None
        self.worker = Worker(self._job, version=lambda: corpus.state.version,
                             on_done=self._done, name="bio_explorer-anomalies")

    def _job(self, run: Run) -> int:
        from .analysis.anomalies import refresh_global

        return refresh_global(self._corpus)

    def _done(self, run: Run) -> None:
        if run.error is not None:  # keep the old marks; the next edit tries again
            self.error = run.error
            return
        self._on_done(run.value)

    @property
    def pending(self) -> bool:
        """True while a recomputation is scheduled, running or waiting to be handed on."""
        return not self.worker.idle()

    def schedule(self) -> None:
        self.worker.schedule(self._delay())

    def cancel(self) -> None:
        self.worker.cancel()

    def wait(self, timeout: float | None = None) -> bool:
        """Do the pending work now (no debounce wait) and hand its result on; True when idle."""
        for _ in range(3):  # an edit in between can ask for one more run
            if not self.worker.wait(timeout):
                return False
            if not self.worker.pending:
                return True
        return not self.pending


class SpanView(anywidget.AnyWidget):
    """Colour-coded entity spans of a corpus, filtered and paged by Python.

    Parameters
    ----------
    corpus : Corpus
        The corpus (or a view of one) to show.  Edits made in the widget change it.
    query : dict, optional
        The initial filter (keys of :data:`QUERY_KEYS`, as for :meth:`Corpus.filter`).
    page_size : int, default 50
        Sentences per page requested by the front end.
    journal : bool, path or None
        Where edits are journalled (see :func:`bio_explorer.journal.enable_journal`).  ``None``
        (default) journals a file-backed corpus in :func:`bio_explorer.journal.state_dir`, so that
        edits made in the widget survive a crashed kernel (``bx.explore(path)`` replays them);
        ``False`` turns that off.

    Attributes
    ----------
    query : dict
        The current filter; set it from Python to re-filter the view.
    total_sentences, matching_sentences : int
        Sentences in the corpus and in the current filter.
    selected : polars.DataFrame or None
        The span (or sentence) the user last clicked, as a one-row frame.
    filtered : Corpus
        The current filtered corpus view, to continue in code.
    anomaly_refresh_delay : float
        Seconds after the last edit before the surface-form anomalies are recomputed for the
        whole corpus in a background thread (class attribute, default 1.0).

    Examples
    --------
    >>> import bio_explorer as bx
    >>> view = bx.SpanView(bx.sample(), query={"labels": ["Library"]})   # doctest: +SKIP
    >>> view                                                             # doctest: +SKIP
    """

    #: debounce (seconds) of the background recomputation of global anomaly kinds after edits
    anomaly_refresh_delay: float = 1.0

    _esm = asset("span_view.js", _MISSING_ESM)
    _css = asset("span_view.css", "")

    query = traitlets.Dict().tag(sync=True)
    total_sentences = traitlets.Int(0, read_only=True).tag(sync=True)
    matching_sentences = traitlets.Int(0, read_only=True).tag(sync=True)
    page_size = traitlets.Int(50).tag(sync=True)
    #: "Review" mode: walk the ranked suspects one at a time (see :mod:`bio_explorer.review_view`)
    review_mode = traitlets.Bool(False).tag(sync=True)
    #: filter of the review queue: ``{"labels": [...], "finders": [...]}``
    review_query = traitlets.Dict().tag(sync=True)
    #: bumped (Python only) whenever a review decision is made or the queue is rebuilt
    review_version = traitlets.Int(0)

    _labels = traitlets.List().tag(sync=True)
    _anomaly_kinds = traitlets.List().tag(sync=True)
    _sources = traitlets.List().tag(sync=True)
    _data_version = traitlets.Int(0).tag(sync=True)
    _selection = traitlets.Dict(allow_none=True, default_value=None).tag(sync=True)
    _status = traitlets.Dict().tag(sync=True)
    # the first page of the current filter, kept in the widget state: a notebook saved with its
    # widget state shows text without a kernel (and the view says "no kernel", never waits)
    _first_page = traitlets.Dict().tag(sync=True)
    # ms before an unanswered page request is sent again (twice), then reported as unanswered
    _page_timeout_ms = traitlets.Int(8000).tag(sync=True)
    # a language prefix most tokens carry (WikiANN "en:"): the "Plain text" display hides it
    _token_prefix = traitlets.Unicode("").tag(sync=True)

    def __init__(self, corpus: Corpus, query: dict | None = None, page_size: int = 50,
                 journal: bool | str | os.PathLike | None = None, **kwargs: Any) -> None:
        self._attach(corpus, journal)
        self._corpus = corpus
        # the filtered views of the last few queries (search words typed and erased, a chip
        # toggled on and off), each valid for one data version; cleared by every refresh
        self._filtered_views: OrderedDict[str, tuple[int, Corpus]] = OrderedDict()
        self._seen_version = self._version()
        self._pending: dict[str, dict] = {}
        self._drain = Coalescer(self._answer_pending)
        # after an edit the rows go first: the counts (chips, anomaly kinds, matching) are
        # refreshed right after the next page reply, or soon if no page is asked for
        self._recount = Coalescer(self._refresh_counts, delay=_RECOUNT_DELAY)
        self._global = _GlobalRefresh(corpus, self._on_global_done,
                                      lambda: float(self.anomaly_refresh_delay))
        self._colors = palette(corpus.labels())
        self._label_rank: dict[str, int] = {}  # one label order: chips, menus and digit keys
        super().__init__(page_size=page_size, **kwargs)
        route_to_main_shell(self)  # never dropped for a stale subshell id (reopened tab)
        from .display import common_token_prefix

        self._token_prefix = common_token_prefix(corpus)
        self.set_trait("total_sentences", len(corpus))
        self._sources = self._source_names()
        self.query = Query.from_dict(query).to_dict()
        self._refresh_counts()  # the observer does not fire when the query stays {}
        self._refresh_status()
        self.on_msg(self._handle_message)
        self._warm_search()

    # ------------------------------------------------------------------ corpus hooks
    # what the view needs from its corpus beyond filter/page/counts: overridden by
    # :class:`bio_explorer.lazy_view.LazySpanView` for a LazyCorpus
    def _attach(self, corpus: Corpus, journal: bool | str | os.PathLike | None) -> None:
        """Check ``corpus`` and set up its edit journal."""
        if not isinstance(corpus, Corpus):
            raise TypeError(f"SpanView needs a bio_explorer.Corpus, not {type(corpus).__name__} "
                            "(a LazyCorpus: bx.LazySpanView, or bx.explore)")
        from .edits import auto_journal
        from .journal import enable_journal

        if journal is None:
            auto_journal(corpus)  # interactive edits survive a crashed kernel
        elif journal:
            enable_journal(corpus, journal)

    def _version(self) -> int:
        """The corpus's data version (every edit, undo, redo and save moves it)."""
        return self._corpus.state.version

    def _tags_before_edit(self) -> pl.Series | None:
        """The tag column before an edit (to tell the sentences it changed); None: edit replies
        carry no rows and the front end asks for its page again."""
        return self._corpus.state.tok["tag"]

    def _warm_search(self) -> None:
        """Build the token search index once in the background: the first search needs no scan."""
        corpus = self._corpus
        self._search_index = Worker(lambda run: warm_search_index(corpus),
                                    version=self._version,
                                    on_done=lambda run: None, name="bio_explorer-search-index")
        self._search_index.start()

    # ------------------------------------------------------------------ public API
    def __repr__(self) -> str:
        """Summary and first sentences of the current filter (shown where widgets cannot render)."""
        from .text_fallback import first_sentences

        head = (f"<bio_explorer SpanView: {self.matching_sentences:,} of "
                f"{self.total_sentences:,} sentences" + (f", query {self.query}" if self.query
                                                       else "") + ">")
        try:
            lines = first_sentences(self.filtered)
        except Exception:  # a bad regex: the summary alone
            lines = []
        return "\n".join([head, *lines])

    @property
    def corpus(self) -> Corpus:
        """The corpus shown (edits in the widget change it)."""
        return self._corpus

    @property
    def filtered(self) -> Corpus:
        """The corpus view matching the current :attr:`query`."""
        return self._view(self.query)

    @property
    def selected(self) -> pl.DataFrame | None:
        """The clicked span (a row of ``corpus.spans``) or sentence (``corpus.sentences``).

        Returns ``None`` when nothing is selected.
        """
        sel = self._selection
        if not sel or sel.get("sentence") is None:
            return None
        sentence = int(sel["sentence"])
        start = sel.get("start")
        if start is not None:
            spans = _collected(self._corpus.spans.filter(
                (pl.col("sentence") == sentence) & (pl.col("start") == int(start))
            ).head(1))
            if spans.height:
                return spans
        return _collected(self._corpus.sentences.filter(pl.col("sentence") == sentence))

    def refresh(self) -> None:
        """Re-read the corpus after it was changed in code (edits, undo): counts and page.

        Answers at once (anomaly counts and marks use fresh local kinds and the latest global
        result) and schedules the background recomputation of the global kinds when they are
        out of date (see :meth:`wait_idle`).
        """
        self._refresh(counts_first=True)

    def _refresh(self, counts_first: bool, in_place: bool = False) -> None:
        """:meth:`refresh`; with ``counts_first=False`` (an edit from the front end) the counts
        are refreshed after the page reply the ``_data_version`` bump asks for, or, when the
        edit reply carried the rows (``in_place``), on the event loop's next turn (in a kernel;
        at once without an event loop)."""
        self._seen_version = self._version()
        self._filtered_views.clear()
        self._refresh_status()
        if counts_first:
            self._refresh_counts()
            self._data_version = self._data_version + 1
        else:
            self._data_version = self._data_version + 1
            if in_place:
                self._recount.after(_RECOUNT_AFTER_ROWS)
            else:
                self._recount()
        self._schedule_global()

    def review(self, suspects: pl.DataFrame | None = None, **query: list[str]) -> None:
        """Enter "Review" mode: walk the ranked suspects (``corpus.suspects()`` or ``suspects``).

        ``labels=[...]`` / ``finders=[...]`` filter the queue (the ``review_query`` trait).
        """
        from .review import set_suspects

        if suspects is not None:
            set_suspects(self._corpus, suspects)
            self.review_version += 1
        self.review_query = {k: list(v) for k, v in query.items() if v}
        self.review_mode = True

    def show_reviewed(self) -> None:
        """Leave review mode and show only the sentences a review decision touched."""
        from .review import reviewed_sentences

        self.review_mode = False
        ids = reviewed_sentences(self._corpus)
        if ids:  # an empty list would mean "no condition"
            self.query = {"sentences": ids}

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Finish the pending background work now: recompute the global anomaly kinds.

        Skips the debounce wait, joins the background thread and applies its result (anomaly
        counts, a bump of ``_data_version``) in the calling thread.  Use it in tests, scripts and
        benchmarks; in a kernel the work happens by itself.

        Parameters
        ----------
        timeout : float, optional
            Seconds to wait for a running thread.

        Returns
        -------
        bool
            True when nothing is pending any more.
        """
        return self._global.wait(timeout)

    def close(self) -> None:
        """Close the widget and cancel a scheduled background recomputation."""
        if hasattr(self, "_global"):  # not when __init__ refused the corpus
            self._global.cancel()
        super().close()

    def _schedule_global(self) -> None:
        from .analysis.anomalies import global_version

        if global_version(self._corpus) != self._version():
            self._global.schedule()

    def _on_global_done(self, version: int) -> None:
        """Main thread: a global result for ``version`` is installed on the corpus state."""
        if version != self._version() or self._seen_version != version:
            return  # the corpus moved on: the edit that moved it scheduled another run
        self._data_version = self._data_version + 1  # the marks first, then the counts
        self._recount()

    # ------------------------------------------------------------------ query handling
    @traitlets.validate("query")
    def _validate_query(self, proposal: dict) -> dict:
        try:
            return Query.from_dict(proposal["value"]).to_dict()
        except ValueError as exc:
            raise traitlets.TraitError(str(exc)) from None

    @traitlets.observe("query")
    def _on_query(self, change: dict) -> None:
        if "query" in getattr(self, "_property_lock", {}):
            # a filter set in the front end (a chip, the search box): the page request that
            # follows is answered first, the counts right after it (in a kernel)
            self._recount()
        else:  # set in code: the counts are read next, at once
            self._refresh_counts()

    def _view(self, query: dict) -> Corpus:
        """``corpus.filter(**query)``, memoised for the last :data:`_VIEWS_KEPT` queries of the
        current data version (an older version's views are never returned)."""
        key = _query_key(query)
        version = self._version()
        views = self._filtered_views
        hit = views.get(key)
        if hit is not None and hit[0] == version:
            views.move_to_end(key)
            return hit[1]
        view = self._corpus.filter(**query) if query else self._corpus
        views[key] = (version, view)
        views.move_to_end(key)
        while len(views) > _VIEWS_KEPT:
            views.popitem(last=False)
        return view

    def _source_names(self) -> list[str]:
        return [f.name for f in self._corpus.state.files]

    @property
    def label_chips(self) -> list[dict]:
        """The label chips of the current filter, as sent to the front end.

        Returns
        -------
        list of dict
            One ``{"label", "color", "count"}`` per label (``count``: spans in the filter), in
            the chips' order.
        """
        return list(self._labels)

    def _refresh_counts(self) -> None:
        """``matching_sentences``, ``_labels`` and ``_anomaly_kinds`` for the current query."""
        try:
            view = self._view(self.query)
        except Exception:
            # a bad regex set from code: keep the old counts; the page request reports the error
            return
        self.set_trait("matching_sentences", len(view))
        per = self.spans_per_label(view)
        labels = set(self._colors) | set(per)
        if labels - set(self._colors):
            self._colors = palette(labels)
        rank = self._label_order(per if not self.query else None)
        self._labels = sorted(
            ({"label": lab, "color": self._colors.get(lab, "#888888"),
              "count": int(per.get(lab, 0))} for lab in labels),
            key=lambda d: (rank.get(d["label"], len(rank)), d["label"]),
        )
        self._anomaly_kinds = self._kind_counts(view)

    def _label_order(self, whole: dict[str, int] | None) -> dict[str, int]:
        """Rank of each label: by whole-corpus span count when first seen, then fixed.

        A filter never reorders the chips (nor the menu's digit shortcuts); a label that appears
        later (added by an edit) goes to the end.
        """
        if not self._label_rank:
            counts = whole if whole is not None else self.spans_per_label(self._corpus)
            ordered = sorted(counts, key=lambda lab: (-counts[lab], lab))
            self._label_rank = {lab: i for i, lab in enumerate(ordered)}
        for lab in sorted(set(self._colors) - set(self._label_rank)):
            self._label_rank[lab] = len(self._label_rank)
        return self._label_rank

    def spans_per_label(self, view: Corpus) -> dict[str, int]:
        """Spans per label in ``view``.

        For the unfiltered corpus right after a few edits, the previous counts are updated with
        the spans of the edited sentences only (before and after), instead of rebuilding the
        spans of the whole corpus.

        Parameters
        ----------
        view : Corpus
            This span view's corpus or a filtered view of it.

        Returns
        -------
        dict of str to int
            Label → number of spans (labels without spans are absent).
        """
        st = self._corpus.state
        whole = view.selection is None and view.state is st
        if not whole:
            counts = view.spans.group_by("label").agg(pl.len().alias("count"))
            return dict(zip(counts["label"].to_list(), counts["count"].to_list(), strict=True))
        prev = st.last("label_counts")

        def build() -> tuple[pl.Series, dict[str, int]]:
            per = None if prev is None else self._label_delta(*prev[1])
            if per is None:
                counts = view.spans.group_by("label").agg(pl.len().alias("count"))
                per = dict(zip(counts["label"].to_list(), counts["count"].to_list(), strict=True))
            return st.tok["tag"], per

        return st.memo("label_counts", build, depends_on=("tags",))[1]

    def _label_delta(self, old_tags: pl.Series, old: dict[str, int]) -> dict[str, int] | None:
        """``old`` counts moved from ``old_tags`` to the current tags, or None when too many
        sentences changed for that to pay."""
        from .state import changed_sentences, sentence_rows

        st = self._corpus.state
        changed = changed_sentences(st, old_tags)
        if changed.len() > max(64, st.sent.height // 20):
            return None
        per = dict(old)
        if changed.len() == 0:
            return per
        rows = sentence_rows(st, changed)
        now = self._corpus.rows_view(rows)
        before = self._corpus.rows_view(rows)
        before.state.tok = before.state.tok.with_columns(old_tags.gather(rows).alias("tag"))
        for sub, sign in ((before, -1), (now, 1)):
            for label, n in all_spans(sub.state)["label"].value_counts().rows():
                per[label] = per.get(label, 0) + sign * n
        return {k: v for k, v in per.items() if v > 0}

    def _kind_counts(self, view: Corpus) -> list[dict]:
        try:
            from .analysis.anomalies import anomalies

            # fresh local kinds + the latest global result; exact once the background run is done
            found = anomalies(view, stale_ok=True)
        except (ImportError, AttributeError):  # analysis layer not available
            return []
        if found.height == 0:
            return []
        counts = found.group_by("kind").agg(pl.len().alias("count")).sort(
            ["count", "kind"], descending=[True, False]
        )
        return [{"kind": str(k), "count": int(n)}
                for k, n in zip(counts["kind"].to_list(), counts["count"].to_list(), strict=True)]

    def _refresh_status(self) -> None:
        st = self._corpus.state
        log = st.log
        path = st.files[0].path if len(st.files) == 1 else None
        try:
            unsaved = int(self._corpus.unsaved)
        except Exception:
            unsaved = 0
        can_undo = bool(getattr(log, "can_undo", unsaved > 0)) if log is not None else False
        can_redo = bool(getattr(log, "can_redo", False)) if log is not None else False
        self._status = {"unsaved": unsaved, "can_undo": can_undo, "can_redo": can_redo,
                        "path": None if path is None else str(path)}

    # ------------------------------------------------------------------ messages
    def _handle_message(self, widget: Any, content: Any, buffers: Any = None) -> None:
        """The ``on_msg`` callback of custom messages from the front end: :meth:`handle_request`."""
        self.handle_request(content, buffers)

    def handle_request(self, content: Any, buffers: list | None = None) -> None:
        """Answer one request as the browser would send it: for tests, benchmarks, other front ends.

        The view's front end sends ``{"kind": "page" | "edit" | "review", "id": ..., ...}``
        (see ``js/src/span_view.js``); the reply goes out through :meth:`send` as it would to the
        browser (an error reply for a malformed request, never an exception).  A page request is
        answered "soon" (at once outside a running event loop; in a kernel after the messages
        already waiting, a newer page request superseding an older one).

        Parameters
        ----------
        content : dict
            The request (anything else is ignored).
        buffers : list, optional
            Binary buffers of the message (unused; accepted as the comm passes them).

        Examples
        --------
        >>> import bio_explorer as bx
        >>> view = bx.SpanView(bx.sample(), journal=False)
        >>> view.send = lambda msg, buffers=None: print(msg["kind"], len(msg["sentences"]))
        >>> view.handle_request({"kind": "page", "id": 1, "offset": 0, "limit": 5})
        page 5
        """
        if not isinstance(content, dict):
            return
        kind = content.get("kind")
        if kind == "page":
            self._pending["page"] = content  # a newer request supersedes a waiting one
            self._drain()
        elif kind == "edit":
            self._answer_edit(content)
        elif kind == "review":
            from .review_view import answer_review

            answer_review(self, content)
        else:
            self._reply_error(content, f"unknown message kind {kind!r}")

    def _answer_pending(self) -> None:
        pending, self._pending = self._pending, {}
        for msg in pending.values():
            self._answer_page(msg)

    def _reply_error(self, msg: dict, message: str) -> None:
        self.send({"kind": "error", "id": msg.get("id"), "message": message})

    def report_error(self, message: str) -> None:
        """Show ``message`` in the view's error bar (not tied to a request)."""
        self.send({"kind": "error", "id": None, "message": message})

    def _answer_page(self, msg: dict) -> None:
        try:
            if self._version() != self._seen_version:
                self.refresh()  # changed in code since the last request
            q, offset, limit = page_request(msg, self.query, self.page_size, _MAX_LIMIT)
            query = q.to_dict()
            page = self._view(query).page(offset, limit)
        except Exception as exc:  # shown in the widget, never a silent blank
            self._reply_error(msg, _describe(exc))
            return
        self.send({**page, "kind": "page", "id": msg.get("id")})
        if offset == 0 and query == self.query:
            self._first_page = {"query": query, **page}
        self._recount.flush()  # counts deferred by an edit: now that the rows are on their way

    def _answer_edit(self, msg: dict) -> None:
        try:
            op, fields = edit_fields(msg)
            shown = shown_page(msg, _MAX_LIMIT) if op != "preview_all" else None
            tags = None if shown is None else self._tags_before_edit()
            reply = _EDIT_OPS[op](self, fields)
        except Exception as exc:
            self._reply_error(msg, _describe(exc))
            return
        reply = {"kind": "edit", "id": msg.get("id"), "ok": True, "message": "", **reply}
        if op == "preview_all":
            self.send(reply)
            return
        rows = None if shown is None or tags is None else self._rows_in_place(shown, tags)
        if rows is not None:
            # the rows go first, current for the data version bumped next; the counts, header
            # and charts follow without drawing the rows again
            reply.update(view=shown.id, rows=rows, version=self._data_version + 1)
        self.send(reply)
        self._refresh(counts_first=False, in_place=rows is not None)
        if rows is not None:
            self._keep_first_page(shown, rows)

    def _rows_in_place(self, shown: ShownPage, tags: pl.Series) -> list[dict] | None:
        """The rows of the page ``shown`` after an edit (all of them: rendering one costs about
        as much as fifty right after an edit, and a save changes every row's ``edited`` marks),
        or None when the page must be asked for again (an edited sentence entered or left its
        filter)."""
        from .edit_rows import membership_kept, rows_by_id

        query = shown.query.to_dict()
        if not membership_kept(self._corpus, query, shown.sentences, tags):
            return None
        return rows_by_id(self._corpus, query, shown.sentences)  # None: ids not a page's

    def _keep_first_page(self, shown: ShownPage, rows: list[dict]) -> None:
        """The first page kept in the widget state follows an in-place update of that page."""
        first = self._first_page
        if (not rows or shown.offset != 0 or first.get("query") != shown.query.to_dict()
                or [s["sentence"] for s in first.get("sentences", [])] != list(shown.sentences)):
            return
        new = {s["sentence"]: s for s in rows}
        self._first_page = {**first, "sentences": [new.get(s["sentence"], s)
                                                   for s in first["sentences"]]}

    # ------------------------------------------------------------------ edit ops
    def _span_text(self, sentence: int, start: int, end: int) -> str:
        row = self._corpus.state.sent.filter(pl.col("sentence") == sentence)
        if row.height == 0:
            raise ValueError(f"no sentence {sentence}")
        first, n = int(row["row"][0]), int(row["n_tokens"][0])
        if not 0 <= start < end <= n:
            raise ValueError(f"tokens {start}..{end} are outside sentence {sentence} ({n} tokens)")
        tokens = self._corpus.state.tok["token"].slice(first + start, end - start)
        return " ".join(tokens.to_list())

    def _op_relabel(self, m: dict) -> dict:
        self._corpus.relabel(m["sentence"], m["start"], m["end"], m["label"])
        return {"message": f"relabelled as {m['label']}"}

    def _op_delete(self, m: dict) -> dict:
        self._corpus.delete_span(m["sentence"], m["start"])
        return {"message": "span deleted"}

    def _op_add(self, m: dict) -> dict:
        self._corpus.add_span(m["sentence"], m["start"], m["end"], m["label"])
        return {"message": f"added a {m['label']} span"}

    def _op_resize(self, m: dict) -> dict:
        self._corpus.resize_span(m["sentence"], m["start"], m["new_start"], m["new_end"])
        return {"message": "span resized"}

    def _op_preview_all(self, m: dict) -> dict:
        text = self._span_text(m["sentence"], m["start"], m["end"])
        label = m["label"]
        # untagged occurrences are listed too; the front end lets the user include them or not
        changes = self._corpus.relabel_all(text, to_label=label, include_untagged=True).changes
        first = pl.col("before").list.first()
        rows = changes.head(_PREVIEW_ROWS).select(
            pl.col("sentence").cast(pl.Int64), pl.col("start").cast(pl.Int64),
            pl.col("end").cast(pl.Int64), pl.col("text"),
            pl.when(first == "O").then(None).otherwise(first.str.slice(2)).alias("from_label"),
            pl.lit(label).alias("to_label"),
        )
        spans = self._corpus.spans
        already = spans.filter((pl.col("text") == text) & (pl.col("label") == label)).height
        return {
            "message": f"{changes.height} occurrence(s) of {text!r}",
            "preview": {"text": text, "to_label": label, "count": changes.height,
                        "already": already, "rows": rows.to_dicts()},
        }

    def _op_relabel_all(self, m: dict) -> dict:
        preview = self._corpus.relabel_all(
            m["text"], to_label=m["to_label"], from_label=m["from_label"],
            include_untagged=m["include_untagged"],
        )
        n = preview.changes.height
        preview.apply()
        return {"message": f"relabelled {n} occurrence(s) of {m['text']!r} as {m['to_label']}"}

    def _op_undo(self, m: dict) -> dict:
        # nothing to undo is not an error: the front end shows the message, not an error banner
        done = self._corpus.undo()
        return {"message": "undone" if done else "Nothing to undo"}

    def _op_redo(self, m: dict) -> dict:
        done = self._corpus.redo()
        return {"message": "redone" if done else "Nothing to redo"}

    def _op_save(self, m: dict) -> dict:
        written = self._corpus.write()
        return {"message": "saved " + ", ".join(str(p) for p in written)}


_EDIT_OPS: dict[str, Callable[[SpanView, dict], dict]] = {
    "relabel": SpanView._op_relabel,
    "delete": SpanView._op_delete,
    "add": SpanView._op_add,
    "resize": SpanView._op_resize,
    "preview_all": SpanView._op_preview_all,
    "relabel_all": SpanView._op_relabel_all,
    "undo": SpanView._op_undo,
    "redo": SpanView._op_redo,
    "save": SpanView._op_save,
}


def _describe(exc: BaseException) -> str:
    """A one-line message for the widget: the exception's own text, with its type when useful."""
    text = str(exc).strip() or exc.__class__.__name__
    if isinstance(exc, MessageError):
        return text
    if isinstance(exc, (KeyError, TypeError)) and not isinstance(exc, ValueError):
        return f"{exc.__class__.__name__}: {text}"
    return text


def _collected(frame: pl.DataFrame | pl.LazyFrame) -> pl.DataFrame:
    """``frame`` as a DataFrame (a LazyCorpus's frames are lazy)."""
    return frame.collect() if isinstance(frame, pl.LazyFrame) else frame
