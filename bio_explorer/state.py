"""The shared state under every :class:`~bio_explorer.corpus.Corpus`: frames, derived frames, cache.

Layer
-----
This module sits below ``analysis/``, ``query``, ``edits`` and ``corpus``: it imports nothing of
the package but :mod:`bio_explorer.schemes`, :mod:`bio_explorer.span_text` and (lazily, for
file-scheme tags) :mod:`bio_explorer.io.writer`.  The lower layers take a :class:`View` (a state
and a selection of sentences) and return frames or ids; only :mod:`bio_explorer.corpus` builds
``Corpus`` objects (a ``Corpus`` *is* a ``View`` with the user-facing methods on top).

One cache
---------
Every derived frame is kept with :meth:`State.memo` ``(key, build, depends_on=...)``.  An entry is
valid while the version counters of the things it depends on are unchanged.  The things are:

``tags``
    the ``tag`` column (every edit, undo, redo, replay; a save too, as it rewrites the baseline);
``tokens``
    the token rows and their file fields (``_field``/``_eff``/``_off``; bumped by a save, which
    rewrites the fields, and never otherwise: tokens are not added or removed);
``edits``
    the edit log (every applied, undone or redone step, and a save);
``global``
    the latest whole-corpus anomaly result installed by a background scan.

``docs/ARCHITECTURE.md`` lists every key and what it depends on.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, TypeVar

import polars as pl

from . import schemes
from .span_text import span_texts

if TYPE_CHECKING:
    from .io import FileRecord

T = TypeVar("T")

#: the things a cached value can depend on, each with its own version counter
THINGS = ("tags", "tokens", "edits", "global")

_SPAN_SCHEMA = {
    "sentence": pl.UInt32,
    "start": pl.UInt32,
    "end": pl.UInt32,
    "label": pl.String,
    "text": pl.String,
}


class State:
    """Everything a corpus and its views share: frames, files, edit log and the one cache.

    Parameters
    ----------
    tok : pl.DataFrame
        The internal token frame (public columns + ``_field``, ``_eff``, ``_off``, ``_orig``,
        ``_file``), sorted by sentence.
    files : list of FileRecord
        One record per file read.
    scheme : str
        The corpus scheme (most common file scheme).
    problems : pl.DataFrame
        Reading problems (``errors="collect"``).
    sent : pl.DataFrame, optional
        The sentence index of ``tok`` when it is known already (a restored snapshot).
    """

    def __init__(
        self, tok: pl.DataFrame, files: list[FileRecord], scheme: str, problems: pl.DataFrame,
        sent: pl.DataFrame | None = None,
    ) -> None:
        self.tok = tok
        self.files = files
        self.scheme = scheme
        self.problems = problems
        self.versions: dict[str, int] = dict.fromkeys(THINGS, 0)
        self.cache: dict[str, Any] = {}  # free slots (not versioned): prefer memo()
        self._memo: dict[str, tuple[tuple[int, ...], tuple[str, ...], Any]] = {}
        self._lock = threading.Lock()
        self.log: Any = None  # edits.EditLog, created on first edit
        self.journal: Any = None  # journal.Journal, when journalling
        self.review_log: Any = None  # review.ReviewLog, created on the first decision
        self.predictions: pl.DataFrame | None = None  # analysis.predictions.load_predictions
        self.sent = sentence_index(tok) if sent is None else sent
        #: columns the reader left out of ``tok`` (``io.text.Deferred``): see :meth:`full_tok`
        self.deferred: Any = None
        self._full_lock = threading.Lock()
        #: held by whoever replaces ``tok`` from its current value (an edit, the completion of
        #: the deferred columns), so that neither overwrites the other's change
        self.tok_lock = threading.RLock()

    def full_tok(self) -> pl.DataFrame:
        """``tok`` with every column: the extra file columns (POS, chunk...) and the tag-field
        offsets that a fast first read leaves out are added on the first call.

        Only what shows them (``Corpus.tokens``, exports, the cache snapshot) or writes the file
        asks for them; analyses and views read ``tok``.  Edits never change the rows of ``tok``,
        so the columns (picked by line number) can be added at any time.
        """
        with self._full_lock:  # one completion at a time
            deferred = self.deferred
            if deferred is not None:
                tok = self.tok  # (its line and token columns never change)
                add = deferred.frame(tok["line"], tok["token"])  # the slow part: edits go on
                with self.tok_lock:  # an edit in another thread waits for the swap
                    self.tok = deferred.join(self.tok, add)  # the tags as they are now
                    self.deferred = None
        return self.tok

    # ------------------------------------------------------------------ versions
    @property
    def version(self) -> int:
        """Version of the tags (bumped on every change of tags)."""
        return self.versions["tags"]

    @version.setter
    def version(self, value: int) -> None:
        self.versions["tags"] = value

    def touch(self, *things: str) -> None:
        """Record that ``things`` changed (default: the tags and the edit log)."""
        for thing in things or ("tags", "edits"):
            self.versions[thing] += 1

    def stamp(self, depends_on: Iterable[str] = ("tags",)) -> tuple[int, ...]:
        """The current versions of ``depends_on`` (what a value built now is valid for)."""
        return tuple(self.versions[t] for t in depends_on)

    # ------------------------------------------------------------------ the one cache
    def memo(self, key: str, build: Callable[[], T], depends_on: Iterable[str] = ("tags",)) -> T:
        """``build()``, memoised under ``key`` while the versions of ``depends_on`` are unchanged.

        The versions are read *before* building, so a value built while another thread edits is
        tagged with the older versions and rebuilt on the next call.
        """
        deps = tuple(depends_on)
        stamp = self.stamp(deps)
        hit = self._memo.get(key)
        if hit is not None and hit[0] == stamp and hit[1] == deps:
            return hit[2]
        value = build()
        self._memo[key] = (stamp, deps, value)
        return value

    def peek(self, key: str) -> Any:
        """The value memoised under ``key`` if it is current, else ``None`` (never builds)."""
        hit = self._memo.get(key)
        if hit is not None and hit[0] == self.stamp(hit[1]):
            return hit[2]
        return None

    def last(self, key: str) -> tuple[tuple[int, ...], Any] | None:
        """``(stamp, value)`` of the latest value under ``key``, current or not (for incremental
        updates that start from a stale value)."""
        hit = self._memo.get(key)
        return None if hit is None else (hit[0], hit[2])

    def put(self, key: str, value: Any, stamp: tuple[int, ...],
            depends_on: Iterable[str] = ("tags",), *, newer_only: bool = False) -> bool:
        """Store ``value`` built for ``stamp`` (the versions of ``depends_on`` it was built on).

        ``newer_only``: keep the entry already there when it was built on newer versions (a
        background result computed on a snapshot).  Returns whether ``value`` was stored.
        """
        deps = tuple(depends_on)
        with self._lock:
            cur = self._memo.get(key)
            if newer_only and cur is not None and cur[1] == deps and cur[0] > stamp:
                return False
            self._memo[key] = (stamp, deps, value)
            return True

    def cached(self, key: str, build: Callable[[], T]) -> T:
        """Alias of ``memo(key, build, depends_on=("tags",))`` (kept for older callers)."""
        return self.memo(key, build, ("tags",))

    def snapshot(self) -> State:
        """A shallow copy sharing the frames, with its own cache dicts (for background work)."""
        import copy

        snap = copy.copy(self)
        snap.versions = dict(self.versions)
        snap.cache = dict(self.cache)
        snap._memo = dict(self._memo)
        snap._lock = threading.Lock()
        return snap

    def of_rows(self, rows: pl.Series) -> State:
        """A throw-away state on the token ``rows`` (whole sentences, in order), same versions.

        Its derived frames are those of the same sentences in this state, at a cost proportional
        to ``rows``.  Nothing is shared with this state's cache.
        """
        sub = State(self.tok[rows], self.files, self.scheme, self.problems.clear())
        sub.versions = dict(self.versions)
        sub.deferred = self.deferred
        return sub


# ---------------------------------------------------------------------- frames of a state
def sentence_index(tok: pl.DataFrame) -> pl.DataFrame:
    """One row per sentence with the row range of its tokens (tokens are sorted by sentence)."""
    if tok.height == 0:
        return pl.DataFrame(
            schema={
                "sentence": pl.UInt32,
                "doc": pl.UInt32,
                "source": pl.String,
                "line": pl.UInt32,
                "row": pl.UInt32,
                "n_tokens": pl.UInt32,
            }
        )
    first = (
        tok.select(
            pl.int_range(pl.len(), dtype=pl.UInt32).alias("row"),
            "sentence",
            "doc",
            "source",
            "line",
            (pl.col("sentence") != pl.col("sentence").shift(1)).fill_null(True).alias("_f"),
        )
        .filter(pl.col("_f"))
        .drop("_f")
        .with_columns(pl.col("source").cast(pl.String))  # cast after the filter: one per sentence
    )
    n = first["row"].shift(-1).fill_null(tok.height).cast(pl.Int64) - first["row"].cast(pl.Int64)
    return first.with_columns(n.cast(pl.UInt32).alias("n_tokens")).select(
        "sentence", "doc", "source", "line", "row", "n_tokens"
    )


def build_spans(st: State) -> pl.DataFrame:
    """Every span of ``st`` (no cache): sentence, start, end, label, text."""
    tok = st.tok
    vocab = schemes.TagVocab(tok["tag"])
    return spans_of(tok, vocab, schemes.code_frame(vocab, tok["sentence"]))


def spans_of(tok: pl.DataFrame, vocab: schemes.TagVocab, codes: pl.DataFrame) -> pl.DataFrame:
    """The spans of the token frame ``tok`` whose tags (IOB2, or IOB1: the chunks are the same)
    ``vocab`` and ``codes`` (:func:`bio_explorer.schemes.code_frame`) describe: sentence, start,
    end, label, text."""
    sp = schemes.chunk_bounds(codes, tok["position"], vocab.types)
    if sp.height == 0:
        return pl.DataFrame(schema=_SPAN_SCHEMA)
    text = span_texts(tok["token"], sp["row"], sp["end"] - sp["start"])
    return sp.select("sentence", "start", "end", "label", text.alias("text"))


def all_spans(st: State) -> pl.DataFrame:
    """:func:`build_spans`, memoised under ``"spans"``."""
    return st.memo("spans", lambda: build_spans(st), ("tags",))


def sentences_all(st: State) -> pl.DataFrame:
    """One row per sentence: sentence, doc, source, line, n_tokens, n_spans (memoised)."""

    def build() -> pl.DataFrame:
        counts = all_spans(st).group_by("sentence").len("n_spans")
        return (
            st.sent.join(counts, on="sentence", how="left", maintain_order="left")
            .with_columns(pl.col("n_spans").fill_null(0).cast(pl.UInt32))
            .select("sentence", "doc", "source", "line", "n_tokens", "n_spans")
        )

    return st.memo("sentences", build, ("tags",))


def build_file_scheme_tags(st: State) -> pl.Series:
    """Current tags in each file's own scheme (the raw tags where nothing was edited); no cache."""
    tok = st.tok
    base = tok["_eff"].cast(pl.String)
    if st.version == 0:
        return base
    edited = tok["tag"] != tok["_orig"]
    if not edited.any():
        return base
    from .io.writer import file_tags

    # only the sentences holding an edited tag are converted (a conversion never looks past a
    # sentence)
    touched = tok["sentence"].filter(edited).unique().implode()
    rows = tok.select("sentence", "tag", "_orig", "_field", "_eff", "_file").with_row_index(
        "_row"
    ).filter(pl.col("sentence").is_in(touched))
    for i, rec in enumerate(st.files):
        part = rows.filter(pl.col("_file") == i)
        if part.height == 0:
            continue
        out = file_tags(part, rec.scheme)
        changed = out["_changed"]
        if changed.any():
            base = base.scatter(part["_row"].filter(changed), out["_new"].filter(changed))
    return base


def file_scheme_tags(st: State) -> pl.Series:
    """:func:`build_file_scheme_tags`, memoised under ``"file_tags"``."""
    return st.memo("file_tags", lambda: build_file_scheme_tags(st), ("tags", "tokens"))


def file_scheme_cat(st: State) -> pl.Series:
    """:func:`file_scheme_tags` as a Categorical column (no string copy while unedited)."""

    def build() -> pl.Series:
        if st.version == 0 or not (st.tok["tag"] != st.tok["_orig"]).any():
            return st.tok["_eff"]
        return file_scheme_tags(st).cast(pl.Categorical)

    return st.memo("file_tags_cat", build, ("tags", "tokens"))


def restrict(frame: pl.DataFrame, selection: pl.Series | None) -> pl.DataFrame:
    """Rows of ``frame`` whose ``sentence`` is in ``selection`` (all rows for ``None``)."""
    if selection is None:
        return frame
    return frame.filter(pl.col("sentence").is_in(selection.implode()))


# ---------------------------------------------------------------------- sub-corpus helpers
def sentence_rows(st: State, ids: pl.Series) -> pl.Series:
    """Token rows (in ``st.tok``) of the sentences ``ids`` (sorted, existing), in order."""
    sent = st.sent
    heads = sent[sent["sentence"].search_sorted(ids.cast(pl.UInt32))]
    return (
        heads.select(
            pl.int_ranges("row", pl.col("row") + pl.col("n_tokens"), dtype=pl.UInt32).alias("r")
        ).explode("r")["r"].drop_nulls()
    )


def changed_sentences(st: State, tags: pl.Series) -> pl.Series:
    """Sorted ids of the sentences whose current tags differ from ``tags`` (an older tag column)."""
    tok = st.tok
    if tags.len() != tok.height:
        return st.sent["sentence"]
    rows = tok["tag"].ne_missing(tags).arg_true()
    return tok["sentence"].gather(rows).unique().sort()


# ---------------------------------------------------------------------- a state and a selection
class View:
    """A :class:`State` and a selection of its sentences: what the lower layers work on.

    ``Corpus`` (in :mod:`bio_explorer.corpus`) subclasses it with the user-facing methods; the
    analysis, query and edit modules take a ``View`` and never build a ``Corpus``.

    Parameters
    ----------
    state : State
        The shared state.
    selection : pl.Series, optional
        Sorted UInt32 sentence ids, or ``None`` for the whole corpus.
    query : dict, optional
        The query the selection was made with.
    """

    def __init__(
        self, state: State, selection: pl.Series | None = None, query: dict | None = None
    ) -> None:
        self._state = state
        self._sel = selection
        self._query = dict(query or {})

    @property
    def state(self) -> State:
        """The shared state."""
        return self._state

    @property
    def selection(self) -> pl.Series | None:
        """Sorted sentence ids of this view, or ``None`` for the whole corpus."""
        return self._sel

    def whole(self) -> View:
        """This view itself when it is the whole corpus, else a plain view of the whole state."""
        return self if self._sel is None else View(self._state)

    def rows_view(self, rows: pl.Series) -> View:
        """A throw-away view on the token ``rows`` (whole sentences, in order): see
        :meth:`State.of_rows`."""
        return View(self._state.of_rows(rows))

    # ------------------------------------------------------------------ frames
    @property
    def scheme(self) -> str:
        """The tagging scheme detected in the (first/most common) file, e.g. ``"IOB1"``."""
        return self._state.scheme

    @property
    def problems(self) -> pl.DataFrame:
        """Problems found while reading with ``errors="collect"``: source, line, kind, message."""
        return self._state.problems

    @property
    def query(self) -> dict:
        """The filter this view was made with (``{}`` for the whole corpus)."""
        return dict(self._query)

    @property
    def is_view(self) -> bool:
        """True for the result of ``filter``."""
        return self._sel is not None

    @property
    def tokens(self) -> pl.DataFrame:
        """One row per token (only the sentences of this view)."""
        tok = self._state.full_tok()
        cols = [c for c in tok.columns if not c.startswith("_")]
        return self._restrict(tok).select(cols)

    def token_rows(self) -> pl.DataFrame:
        """The token rows of this view as the state holds them, without reading deferred columns.

        Unlike :attr:`tokens`, the extra file columns a fast first read deferred (POS, chunk...)
        are not read, and the internal ``_``-prefixed columns are kept: for the package's
        analyses and displays, which need only the fixed columns (``sentence``, ``position``,
        ``token``, ``tag``...).

        Returns
        -------
        pl.DataFrame
            One row per token of this view's sentences, in reading order.
        """
        return self._restrict(self._state.tok)

    @property
    def spans(self) -> pl.DataFrame:
        """One row per entity span: sentence, start, end (exclusive), label, text."""
        return self._restrict(self._all_spans())

    @property
    def sentences(self) -> pl.DataFrame:
        """One row per sentence: sentence, doc, source, line, n_tokens, n_spans."""
        return self._restrict(self._sentences_all())

    def sentence_ids(self) -> pl.Series:
        """Ids of the sentences in this view, in reading order."""
        if self._sel is not None:
            return self._sel
        return self._state.sent["sentence"]

    def __len__(self) -> int:
        return int(self.sentence_ids().len())

    @property
    def n_tokens(self) -> int:
        """Number of tokens in this view."""
        # from the sentence table itself: no span rebuild after an edit
        return int(self._restrict(self._state.sent)["n_tokens"].sum())

    def labels(self) -> list[str]:
        """Entity types present in the whole corpus, sorted."""
        tags = self._state.tok["tag"].unique().cast(pl.String)  # distinct first: no 1M-string cast
        return sorted({t[2:] for t in tags.to_list() if t and t != "O"})

    def file_tags(self) -> pl.Series:
        """Current tags of this view in each file's own scheme (``S-X``/``E-X`` in a BIOES file)."""
        tags = self._file_scheme_tags()
        if self._sel is None:
            return tags
        return tags.filter(self._state.tok["sentence"].is_in(self._sel.implode()))

    # shorthands of this class and Corpus (other modules call the functions on ``view.state``)
    def _restrict(self, frame: pl.DataFrame) -> pl.DataFrame:
        return restrict(frame, self._sel)

    def _all_spans(self) -> pl.DataFrame:
        return all_spans(self._state)

    def _sentences_all(self) -> pl.DataFrame:
        return sentences_all(self._state)

    def _file_scheme_tags(self) -> pl.Series:
        return file_scheme_tags(self._state)


__all__ = [
    "THINGS",
    "State",
    "View",
    "all_spans",
    "build_file_scheme_tags",
    "build_spans",
    "changed_sentences",
    "file_scheme_cat",
    "file_scheme_tags",
    "restrict",
    "sentence_index",
    "sentence_rows",
    "sentences_all",
    "spans_of",
]
