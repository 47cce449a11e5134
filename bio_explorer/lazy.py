"""Corpora beyond memory: ``bx.scan(path_or_folder)`` and :class:`LazyCorpus`.

``scan`` converts BIO files once to a Parquet dataset in parts aligned to sentences (see
:mod:`bio_explorer.dataset`; kept in the state folder unless ``dataset=`` names a folder, and
reused while the files are unchanged), then returns a :class:`LazyCorpus` whose frames are
``LazyFrame``s.  A folder that already holds a dataset is opened as is.

What runs lazily, and how
-------------------------
* ``summary``, ``label_counts``, ``transitions`` and the local anomaly kinds: per-part partial
  aggregates (written during the conversion by :mod:`bio_explorer.plans`) merged by a streaming
  group-by; on a filtered view the same plans run on the view's rows (``span_lengths`` always
  does), with the parts holding an edit recomputed.
* The Explorer and the span view run on it through :mod:`bio_explorer.lazy_view`.
* ``filter`` + ``page``: conditions are evaluated part by part (only the columns they need are
  read; a part without the wanted label, or outside the wanted sentence ids, is skipped from its
  metadata), and paging stops reading parts once the page is full.  The page itself is built by
  the eager :func:`bio_explorer.query.page` on the page's own rows.

Not available lazily
--------------------
* The surface-form consistency finder (anomaly kinds ``inconsistent_label``,
  ``unlabelled_mention``, ``inconsistent_boundary``, and ``inconsistencies()``) weighs every
  occurrence of a form against all the others: a whole-corpus join.  A two-pass plan would first
  count (form, label) over all parts — a merge like the others — then rescan the parts to mark
  dissenting occurrences; on a sample it would miss rare forms.  It is not built yet: filter or
  ``collect()`` a part of the corpus and use the eager ``Corpus``.
* Undo/redo and the bulk edits (``relabel_all``, ``repair``...) are not offered lazily: single
  edits (``relabel``, ``add_span``, ``delete_span``, ``resize_span``) go to a tag overlay and
  ``write(path)`` saves by a streaming rewrite (see :mod:`bio_explorer.overlay`); ``collect()``
  gives an editable eager ``Corpus`` of a view that fits in memory.  ``sentences.n_spans`` is as
  converted (not edited).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import polars as pl

from . import plans
from .dataset import FORMAT, META, convert, dataset_signature, part_name
from .overlay import Overlay
from .query import QUERY_KEYS as _QUERY_KEYS
from .query import Query
from .state import file_scheme_tags

__all__ = ["LazyCorpus", "scan"]

_READ_OPTIONS = ("format", "sep", "token_col", "tag_col", "scheme", "encoding", "multi_tag",
                 "errors", "strict")


def scan(source: Any, dataset: str | os.PathLike | None = None, *, part_mb: float = 16,
         progress: bool | None = None, rebuild: bool = False, **options: Any) -> LazyCorpus:
    """Open a corpus lazily: convert BIO files to a Parquet dataset once, then scan it.

    Parameters
    ----------
    source : path, glob, list of paths, or folder
        BIO files (a folder: every file in it, sorted), or a folder holding a dataset made by an
        earlier ``scan`` (opened as is).
    dataset : path, optional
        Where to write the dataset (default: ``<state folder>/datasets/<name>-<digest>``, never
        next to the data).
    part_mb : float
        Size of a part in MB of input text (parts are cut at sentence breaks).
    progress : bool, optional
        Progress bar for the conversion (default: inputs over 20 MB).
    rebuild : bool
        Convert again even when an up-to-date dataset exists.
    **options
        Read options of :func:`bio_explorer.read` (``format``, ``sep``, ``token_col``, ``tag_col``,
        ``scheme``, ``encoding``, ``multi_tag``, ``errors``, ``strict``).

    Returns
    -------
    LazyCorpus
    """
    from .journal import state_dir

    unknown = [k for k in options if k not in _READ_OPTIONS]
    if unknown:
        raise TypeError(f"scan() got an unexpected option {unknown[0]!r}")
    if isinstance(source, (str, os.PathLike)) and (Path(source) / META).is_file():
        return LazyCorpus(Path(source))
    paths = _paths(source)
    options = {k: options.get(k, d) for k, d in (
        ("format", "auto"), ("sep", "auto"), ("token_col", None), ("tag_col", None),
        ("scheme", "auto"), ("encoding", "utf-8"), ("multi_tag", "error"), ("errors", "raise"),
        ("strict", True))}
    signature = dataset_signature(paths, options)
    if dataset is None:
        dataset = state_dir() / "datasets" / f"{paths[0].stem}-{signature[:16]}"
    folder = Path(dataset)
    meta_path = folder / META
    if not rebuild and meta_path.is_file():
        try:
            meta = json.loads(meta_path.read_text("utf-8"))
            if meta.get("format") == FORMAT and meta.get("signature") == signature:
                return LazyCorpus(folder, meta)
        except (OSError, ValueError):
            pass
    meta = convert(paths, folder, options, signature, part_mb=part_mb, progress=progress)
    return LazyCorpus(folder, meta)


def _paths(source: Any) -> list[Path]:
    if isinstance(source, (str, os.PathLike)) and Path(source).is_dir():
        paths = sorted(p for p in Path(source).iterdir() if p.is_file()
                       and not p.name.startswith("."))
        if not paths:
            raise FileNotFoundError(f"{source}: no file in this folder")
        return paths
    if isinstance(source, (list, tuple)):
        return [p for item in source for p in _paths(item)]
    import glob

    text = os.fspath(source)
    if any(ch in text for ch in "*?[") and not os.path.exists(text):
        hits = sorted(glob.glob(text, recursive=True))
        if not hits:
            raise FileNotFoundError(f"no file matches {text!r}")
        return [Path(h) for h in hits]
    if not os.path.exists(text):
        raise FileNotFoundError(f"{text}: no such file")
    return [Path(text)]


class LazyCorpus:
    """A corpus kept on disk as a Parquet dataset; frames are ``LazyFrame``s.

    Build one with :func:`scan`.  Methods mirror :class:`~bio_explorer.Corpus` where they can run
    without holding the corpus in memory (see the module docstring for what cannot).
    """

    def __init__(self, folder: str | os.PathLike, meta: dict | None = None,
                 query: dict | None = None, overlay: Overlay | None = None) -> None:
        self.folder = Path(folder)
        if meta is None:
            meta = json.loads((self.folder / META).read_text("utf-8"))
            if meta.get("format") != FORMAT:
                raise ValueError(f"{self.folder}: dataset format {meta.get('format')!r} is not "
                                 f"{FORMAT}; run bx.scan(..., rebuild=True)")
        self.meta = meta
        self._query = _normalise(query or {})
        self._memo: dict[str, Any] = {}
        self.overlay = overlay if overlay is not None else Overlay(self.folder)
        self._save_path: Path | None = None

    @property
    def save_path(self) -> Path:
        """Where :meth:`write` saves by default (the span view's Save): set it to choose.

        Default: the folder ``edited`` of the dataset (one file per source file, same names),
        so a save never writes next to the data nor over a source file.
        """
        if self._save_path is not None:
            return self._save_path
        folder = self.folder / "edited"
        if len(self.meta["files"]) == 1:
            return folder / Path(self.meta["files"][0]["name"]).name
        return folder

    @save_path.setter
    def save_path(self, value: str | os.PathLike | None) -> None:
        self._save_path = None if value is None else Path(value)

    # ------------------------------------------------------------------ frames
    @property
    def scheme(self) -> str:
        """The tagging scheme of the (most common) file."""
        return self.meta["scheme"]

    @property
    def query(self) -> dict:
        """The filter this view was made with (``{}`` for the whole corpus)."""
        return {k: v for k, v in self._query.items() if v not in (None, False, "token")}

    @property
    def version(self) -> int:
        """Data version: moved by every edit (views share it; what the widgets compare)."""
        return self.overlay.version

    @property
    def file_names(self) -> list[str]:
        """Names of the source files, in reading order."""
        return [str(f["name"]) for f in self.meta["files"]]

    @property
    def is_view(self) -> bool:
        """True for the result of :meth:`filter`."""
        return bool(self.query)

    def _files(self, table: str, parts: Iterable[int] | None = None) -> list[str]:
        idx = range(len(self.meta["parts"])) if parts is None else parts
        return [str(self.folder / table / part_name(i)) for i in idx]

    def _scan(self, table: str, parts: Iterable[int] | None = None) -> pl.LazyFrame:
        idx = list(range(len(self.meta["parts"])) if parts is None else parts)
        if not idx:
            return pl.scan_parquet(self._files(table, [0])).clear() if self.meta["parts"] else \
                pl.LazyFrame()
        files = self._files(table, idx)
        if table == "tokens":
            cols = [self.meta["parts"][i]["columns"] for i in idx]
            if any(c != cols[0] for c in cols):  # files with other extra columns
                return pl.scan_parquet(files, schema=self._token_schema(idx),
                                       missing_columns="insert", extra_columns="ignore")
        return pl.scan_parquet(files)

    def _token_schema(self, idx: list[int]) -> dict:
        """Every token column of the parts ``idx`` (extra columns are String in every part)."""
        schema = dict(pl.read_parquet_schema(self._files("tokens", [idx[0]])[0]))
        order = [c for i in idx for c in self.meta["parts"][i]["columns"] if c != "_orig"]
        extra = [c for c in dict.fromkeys(order) if c not in schema]
        fixed = [c for c in schema if c.startswith("_")]
        public = [c for c in schema if not c.startswith("_")]
        names = public + extra + fixed
        return {c: schema.get(c, pl.String) for c in names}

    def _restrict(self, frame: pl.LazyFrame) -> pl.LazyFrame:
        if not self.is_view:
            return frame
        return frame.filter(pl.col("sentence").is_in(self.sentence_ids().implode()))

    @property
    def tokens(self) -> pl.LazyFrame:
        """One row per token, columns as :attr:`Corpus.tokens` (a ``LazyFrame``)."""
        frame = self._scan("tokens")
        cols = [c for c in frame.collect_schema().names() if not c.startswith("_")]
        return self._restrict(frame.select(cols))

    @property
    def spans(self) -> pl.LazyFrame:
        """One row per span: sentence, start, end, label, text (a ``LazyFrame``)."""
        return self._restrict(self._scan("spans"))

    @property
    def sentences(self) -> pl.LazyFrame:
        """One row per sentence as :attr:`Corpus.sentences` (a ``LazyFrame``)."""
        return self._restrict(self._scan("sentences"))

    def __len__(self) -> int:
        return int(self.sentence_ids().len())

    @property
    def n_tokens(self) -> int:
        """Number of tokens in this view."""
        return int(self.sentences.select(pl.col("n_tokens").sum()).collect().item() or 0)

    def __repr__(self) -> str:
        n_tok = sum(p["tokens"] for p in self.meta["parts"])
        kind = "view of " if self.is_view else ""
        return (f"<bio_explorer.LazyCorpus {kind}{n_tok:,} tokens in "
                f"{len(self.meta['parts'])} parts, scheme {self.scheme}, at {self.folder}>")

    # ------------------------------------------------------------------ aggregates
    def _aggregate(self, key: str, build) -> pl.DataFrame:
        """``build()`` memoised per view and data version (the widgets ask twice per filter)."""
        memo_key = f"agg:{key}:{self.version}"
        if memo_key not in self._memo:
            for old in [k for k in self._memo if k.startswith(f"agg:{key}:")]:
                del self._memo[old]
            self._memo[memo_key] = build()
        return self._memo[memo_key]

    def _view_rows(self, table: str, columns: tuple[str, ...] | None = None) -> pl.LazyFrame:
        """Rows of ``table`` (tokens, spans, sentences) of this view's sentences, with the
        overlay's edits (an edited part's rows are recomputed), in reading order."""
        ids = self.sentence_ids()
        frames = []
        for i in self._parts_of(ids):
            frame = self._part_frames(i)[table]
            frames.append(frame if columns is None else frame.select(columns))
        if not frames:
            return self._scan(table).clear() if columns is None else \
                self._scan(table).select(columns).clear()
        rows = pl.concat(frames, how="vertical_relaxed")
        return rows.filter(pl.col("sentence").is_in(ids.implode()))

    def label_counts(self, by: str | None = None) -> pl.DataFrame:
        """As :meth:`Corpus.label_counts`: merged per-part counts (or the view's rows)."""
        if by not in (None, "source"):
            raise ValueError(f"by={by!r}; expected None or 'source'")

        def build() -> pl.DataFrame:
            if self.is_view:
                spans = self._view_rows("spans", ("sentence", "label", "start", "end"))
                sents = self._view_rows("sentences", ("sentence", "source")) if by else None
                partial = plans.label_partial(spans, sents)
            else:
                partial = self._partials("labels")
            return plans.merge_labels(partial, by).collect(engine="streaming")

        return self._aggregate(f"labels-{by}", build)

    def transitions(self) -> pl.DataFrame:
        """As :meth:`Corpus.transitions`: merged per-part transition counts."""
        def build() -> pl.DataFrame:
            if self.is_view:
                tok = self._view_rows("tokens", ("sentence", "position", "_eff"))
                partial = plans.transition_partial(tok)
            else:
                partial = self._partials("transitions")
            return plans.merge_transitions(partial, self.scheme).collect(engine="streaming")

        return self._aggregate("transitions", build)

    def span_lengths(self) -> pl.DataFrame:
        """As :meth:`Corpus.span_lengths`: label × length → count, from the spans table."""
        from .analysis.stats import length_counts

        def build() -> pl.DataFrame:
            spans = self._view_rows("spans", ("sentence", "label", "start", "end")) if \
                self.is_view else self._partials("spans")
            return length_counts(spans).collect(engine="streaming")

        return self._aggregate("lengths", build)

    def labels(self) -> list[str]:
        """Entity types with a span in the whole corpus, sorted."""
        got = self._partials("labels").select(pl.col("label").unique()).collect()
        return sorted(got["label"].to_list())

    def anomaly_counts(self) -> dict[str, int]:
        """``{kind: count}`` of the local anomaly kinds (the global ones need the whole corpus)."""
        frame = self.anomalies().group_by("kind").len().sort("len", "kind",
                                                              descending=[True, False])
        got = frame.collect(engine="streaming")
        return dict(zip(got["kind"].to_list(), got["len"].to_list(), strict=True))

    def anomalies(self) -> pl.LazyFrame:
        """Rows of the local anomaly kinds (``LOCAL_KINDS`` of :mod:`.analysis.anomalies`)."""
        return self._restrict(self._partials("anomalies"))

    def summary(self, *, anomalies: bool = False) -> dict:
        """As :meth:`Corpus.summary`; ``anomalies=True`` counts the local kinds only."""
        sents = self.sentences.select(
            pl.col("n_tokens").sum().alias("tokens"), pl.len().alias("sentences"),
            pl.col("doc").n_unique().alias("docs")).collect(engine="streaming")
        labels = self.label_counts()
        trans = self.transitions()
        n_sent = int(sents["sentences"][0])
        out: dict[str, Any] = {
            "tokens": int(sents["tokens"][0] or 0),
            "sentences": n_sent,
            "docs": int(sents["docs"][0]) if n_sent else 0,
            "spans": int(labels["spans"].sum()),
            "labels": labels.height,
            "scheme": self.scheme,
            "scheme_confidence": min((f["evidence"]["confidence"] for f in self.meta["files"]
                                      if f.get("evidence")), default=1.0),
            "invalid_transitions": int(trans.filter(~pl.col("valid"))["count"].sum()),
        }
        if anomalies:
            kinds = self.anomaly_counts()
            out["anomalies"] = sum(kinds.values())
            out["anomaly_kinds"] = kinds
            out["anomaly_scope"] = "local kinds only"
        return out

    def inconsistencies(self, *args: Any, **kwargs: Any):
        """Not available lazily: the consistency finder needs a whole-corpus join (see module)."""
        raise NotImplementedError(
            "inconsistencies() weighs every occurrence of a form against all others (a "
            "whole-corpus join); filter this LazyCorpus and collect() it, then use Corpus")

    # ------------------------------------------------------------------ query
    def filter(self, **query: Any) -> LazyCorpus:
        """A view on the sentences matching every condition (keys of :meth:`Corpus.filter`)."""
        merged = {**self.query, **query}
        view = LazyCorpus(self.folder, self.meta, merged, self.overlay)
        view.save_path = self.save_path
        return view

    def _parts_of(self, ids: pl.Series) -> list[int]:
        """Parts holding any of the sorted sentence ``ids`` (from the part metadata)."""
        if ids.len() == 0:
            return []
        lo, hi = int(ids.min()), int(ids.max())
        out = []
        for i, p in enumerate(self.meta["parts"]):
            if p["last_sentence"] < lo or p["first_sentence"] > hi:
                continue
            inside = ids.filter((ids >= p["first_sentence"]) & (ids <= p["last_sentence"]))
            if inside.len():
                out.append(i)
        return out

    def _candidate_parts(self) -> list[int]:
        """Parts that can hold a match, judged from metadata and per-part label counts."""
        q = self._query
        parts = list(range(len(self.meta["parts"])))
        ids = _as_list(q["sentences"])
        if ids:
            keep = set(self._parts_of(pl.Series([int(i) for i in ids], dtype=pl.UInt32).sort()))
            parts = [i for i in parts if i in keep]
        labels = [str(x) for x in _as_list(q["labels"])]
        if labels and parts and not len(self.overlay):  # the per-part label tables are tiny
            with_label = pl.collect_all([
                pl.scan_parquet(self._files("labels", [i]))
                .filter(pl.col("label").is_in(labels)).select(pl.len()) for i in parts])
            parts = [i for i, got in zip(parts, with_label, strict=True) if got.item()]
        if q["transition"] is not None and parts and not len(self.overlay):
            prev, tag = q["transition"]
            with_pair = pl.collect_all([
                pl.scan_parquet(self._files("transitions", [i]))
                .filter((pl.col("prev_tag") == prev) & (pl.col("tag") == tag)).select(pl.len())
                for i in parts])
            parts = [i for i, got in zip(parts, with_pair, strict=True) if got.item()]
        return parts

    def _match_part(self, i: int) -> pl.Series:
        """Sorted ids of the sentences of part ``i`` matching the query."""
        q = self._query
        conds: list[pl.LazyFrame] = []
        scan = self._part_frames(i)
        labels = [str(x) for x in _as_list(q["labels"])]
        if q["text"]:
            match = _matcher(str(q["text"]), q["regex"], q["case"])
            if q["where"] == "token":
                conds.append(scan["tokens"].filter(match(pl.col("token"))).select("sentence"))
            else:
                cond = match(pl.col("text"))
                if labels:
                    cond = cond & pl.col("label").is_in(labels)
                conds.append(scan["spans"].filter(cond).select("sentence"))
        if labels and not (q["text"] and q["where"] == "span"):
            conds.append(scan["spans"].filter(pl.col("label").is_in(labels)).select("sentence"))
        kinds = [str(k) for k in _as_list(q["anomaly"])]
        if kinds:
            conds.append(scan["anomalies"].filter(_anomaly_condition(kinds))
                         .select("sentence").drop_nulls())
        if q["transition"] is not None:
            prev, tag = q["transition"]
            rows = plans.transition_rows(scan["tokens"].select("sentence", "position", "_eff"))
            conds.append(rows.filter((pl.col("prev_tag") == prev) & (pl.col("tag") == tag))
                         .select("sentence"))
        srcs = [str(s) for s in _as_list(q["source"])]
        if srcs:
            conds.append(scan["sentences"].filter(pl.col("source").is_in(srcs))
                         .select("sentence"))
        docs = [int(d) for d in _as_list(q["doc"])]
        if docs:
            conds.append(scan["sentences"].filter(pl.col("doc").is_in(docs)).select("sentence"))
        ids = [int(x) for x in _as_list(q["sentences"]) if int(x) >= 0]
        if ids:
            conds.append(scan["sentences"].filter(pl.col("sentence").is_in(ids))
                         .select("sentence"))
        if not conds:
            conds.append(scan["sentences"].select("sentence"))
        got = pl.collect_all([c.select(pl.col("sentence").cast(pl.UInt32)).unique()
                              for c in conds])
        result = got[0]["sentence"]
        for frame in got[1:]:
            result = result.filter(result.is_in(frame["sentence"].implode()))
        return result.sort().rename("sentence")

    def sentence_ids(self, at_least: int | None = None) -> pl.Series:
        """Sorted ids of the sentences of this view.

        ``at_least=n`` stops reading parts once ``n`` ids are found (what a page needs).
        """
        key = "ids"
        if key in self._memo:
            return self._memo[key]
        if not self.is_view:
            ids = self._scan("sentences").select(pl.col("sentence").cast(pl.UInt32)).collect(
                engine="streaming")["sentence"]
            self._memo[key] = ids
            return ids
        found: list[pl.Series] = []
        n = 0
        parts = self._candidate_parts()
        for k, i in enumerate(parts):
            got = self._match_part(i)
            found.append(got)
            n += got.len()
            if at_least is not None and n >= at_least and k < len(parts) - 1:
                return pl.concat(found).rename("sentence")
        ids = pl.concat(found) if found else pl.Series("sentence", [], pl.UInt32)
        self._memo[key] = ids.rename("sentence")
        return self._memo[key]

    def _span_text_counts(self) -> pl.DataFrame:
        if "span_texts" not in self._memo:
            self._memo["span_texts"] = plans.merge_span_texts(
                self._partials("span_texts")).collect(engine="streaming")
        return self._memo["span_texts"]

    def page(self, offset: int = 0, limit: int = 50) -> dict:
        """As :meth:`Corpus.page`; reads only the parts up to the page (and its own rows).

        ``total`` is ``None`` while the view's parts were not all read (``len(view)`` counts
        them); ``anomalies`` hold the local kinds only.
        """
        from .analysis.anomalies import LOCAL_KINDS, set_global
        from .corpus import Corpus

        offset, limit = max(int(offset), 0), max(int(limit), 0)
        ids = self.sentence_ids(at_least=offset + limit)
        complete = "ids" in self._memo
        chosen = ids.slice(offset, limit).cast(pl.UInt32)
        out: dict[str, Any] = {"offset": offset, "limit": limit,
                               "total": int(ids.len()) if complete else None, "sentences": []}
        if chosen.len() == 0:
            return out
        parts = self._parts_of(chosen)
        want = chosen.implode()
        tok = self._scan("tokens", parts).filter(pl.col("sentence").is_in(want)).collect()
        tok = self.overlay.apply(tok)
        sub = Corpus.from_snapshot(tok, self._records(), self.scheme, _no_problems())
        set_global(sub)  # global kinds are not available lazily: no consistency pass per page
        view = Corpus(sub.state, selection=chosen, query=self.query)
        got = view.page(0, limit)
        counts = self._span_text_counts()
        texts = view.spans.join(counts, on="text", how="left", maintain_order="left")
        per = texts.group_by("sentence", maintain_order=True).agg(pl.col("n").fill_null(0))
        n_of = dict(zip(per["sentence"].to_list(), per["n"].to_list(), strict=True))
        for s in got["sentences"]:
            s["span_counts"] = n_of.get(s["sentence"], [])
            s["anomalies"] = [a for a in s["anomalies"] if a[2] in LOCAL_KINDS]
        out["sentences"] = got["sentences"]
        return out

    # ------------------------------------------------------------------ edits (see overlay.py)
    def part_tokens(self, i: int) -> pl.DataFrame:
        """The internal token rows of part ``i`` as stored (no overlay)."""
        return pl.read_parquet(self._files("tokens", [i])[0])

    def _edited_parts(self) -> list[int]:
        return self._parts_of(self.overlay.sentences()) if len(self.overlay) else []

    def _part_corpus(self, i: int):
        """An eager corpus of part ``i`` with the overlay applied (an edited version)."""
        from .corpus import Corpus

        sub = Corpus.from_snapshot(self.overlay.apply(self.part_tokens(i)), self._records(),
                                   self.scheme, _no_problems())
        sub.state.touch()  # tags differ from the file's: no shortcut through the file's tags
        return sub

    def _partials(self, table: str) -> pl.LazyFrame:
        """Per-part partial rows of ``table``, recomputed for the parts holding an edit."""
        edited = self._edited_parts()
        if not edited:
            return self._scan(table)
        from .analysis.anomalies import local_anomalies

        keep = [i for i in range(len(self.meta["parts"])) if i not in edited]
        fresh = []
        for i in edited:
            c = self._part_corpus(i)
            tok = c.state.tok.with_columns(file_scheme_tags(c.state).alias("_eff"))
            fresh.append({
                "labels": lambda c=c: plans.label_partial(c.spans, c.sentences),
                "transitions": lambda tok=tok: plans.transition_partial(tok),
                "span_texts": lambda c=c: plans.span_text_partial(c.spans),
                "anomalies": lambda c=c: local_anomalies(c),
                "spans": lambda c=c: c.spans,
            }[table]().lazy())
        stored = [self._scan(table, keep)] if keep else []
        return pl.concat(stored + fresh, how="vertical_relaxed")

    def _part_frames(self, i: int) -> dict[str, pl.LazyFrame]:
        """The row tables of part ``i`` a filter reads (recomputed when the part was edited)."""
        names = ("tokens", "spans", "sentences", "anomalies")
        if i not in self._edited_parts():
            return {t: pl.scan_parquet(self._files(t, [i])) for t in names}
        from .analysis.anomalies import local_anomalies

        c = self._part_corpus(i)
        tok = c.state.tok.with_columns(file_scheme_tags(c.state).alias("_eff"))
        frames = (tok, c.spans, c.sentences, local_anomalies(c))
        return {t: f.lazy() for t, f in zip(names, frames, strict=True)}

    def _edit(self, op: str, sentence: int, *args: Any) -> None:
        from .corpus import Corpus

        sentence = int(sentence)
        parts = self._parts_of(pl.Series([sentence], dtype=pl.UInt32))
        if not parts:
            from .errors import EditError

            raise EditError(f"no sentence {sentence} in this corpus")
        tok = self._scan("tokens", parts).filter(pl.col("sentence") == sentence).collect()
        # the edit functions address sentences by their index: the sentence is number 0 here
        tok = self.overlay.apply(tok).with_columns(pl.lit(0, pl.UInt32).alias("sentence"))
        sub = Corpus.from_snapshot(tok, self._records(), self.scheme, _no_problems())
        before = sub.state.tok["tag"].cast(pl.String)
        getattr(sub, op)(0, *args)
        now = sub.state.tok.select(pl.lit(sentence, pl.UInt32).alias("sentence"), "position",
                                    pl.col("tag").cast(pl.String))
        self.overlay.add(now.filter(now["tag"].ne_missing(before)))
        self._memo.pop("span_texts", None)

    def relabel(self, sentence: int, start: int, end: int, label: str) -> None:
        """As :meth:`Corpus.relabel`; the change goes to the overlay."""
        self._edit("relabel", sentence, start, end, label)

    def add_span(self, sentence: int, start: int, end: int, label: str) -> None:
        """As :meth:`Corpus.add_span`; the change goes to the overlay."""
        self._edit("add_span", sentence, start, end, label)

    def delete_span(self, sentence: int, start: int) -> None:
        """As :meth:`Corpus.delete_span`; the change goes to the overlay."""
        self._edit("delete_span", sentence, start)

    def resize_span(self, sentence: int, start: int, new_start: int, new_end: int) -> None:
        """As :meth:`Corpus.resize_span`; the change goes to the overlay."""
        self._edit("resize_span", sentence, start, new_start, new_end)

    @property
    def unsaved(self) -> int:
        """Number of tokens whose tag the overlay changes."""
        return len(self.overlay)

    def write(self, path: str | os.PathLike | None = None) -> list[Path]:
        """Save the corpus with its edits to ``path`` (default :attr:`save_path`) by a streaming
        rewrite of the source files (only tag fields change; see
        :func:`bio_explorer.overlay.write`)."""
        from .overlay import write

        return write(self, self.save_path if path is None else path)

    def undo(self) -> bool:
        """Not available lazily: edits go straight to the overlay (see the module docstring)."""
        raise NotImplementedError("undo is not available on a LazyCorpus: its edits go straight "
                                  "to the overlay; edit the span back instead")

    def redo(self) -> bool:
        """Not available lazily (see :meth:`undo`)."""
        raise NotImplementedError("redo is not available on a LazyCorpus (see undo)")

    def relabel_all(self, *args: Any, **kwargs: Any):
        """Not available lazily: a bulk edit over the whole corpus (collect() a view first)."""
        raise NotImplementedError("relabel_all is not available on a LazyCorpus: filter it, "
                                  "collect() the view and use Corpus.relabel_all")

    def _records(self) -> list:
        from .cache import restore_layout
        from .io import FileRecord
        from .schemes import SchemeEvidence

        recs = []
        for f in self.meta["files"]:
            if "layout" not in f:
                f = {**f, "layout": {"dialect": "tsv", "sep": "\t", "n_cols": 2, "token_col": 0,
                                     "tag_col": 1}, "scheme": self.scheme}
            parsed = SimpleNamespace(layout=restore_layout(f["layout"]), n_docs=0)
            recs.append(FileRecord(None, f["name"], None, parsed, f["scheme"]))
            if f.get("evidence"):
                recs[-1].evidence = SchemeEvidence(**f["evidence"])
        return recs

    def collect(self):
        """The eager, editable :class:`~bio_explorer.Corpus` of this view (it must fit in memory).
        """
        from .corpus import Corpus

        ids = self.sentence_ids()
        tok = self._scan("tokens", self._parts_of(ids) if self.is_view else None)
        if self.is_view:
            tok = tok.filter(pl.col("sentence").is_in(ids.implode()))
        frame = self.overlay.apply(tok.collect())
        return Corpus.from_snapshot(frame, self._records(), self.scheme, _no_problems())


def _no_problems() -> pl.DataFrame:
    return pl.DataFrame(schema={"source": pl.String, "line": pl.UInt32, "kind": pl.String,
                                "message": pl.String})


def _as_list(value: Any) -> list:
    if value is None:
        return []
    if isinstance(value, (str, int)):
        return [value]
    if isinstance(value, pl.Series):
        return value.to_list()
    return list(value)


def _normalise(query: dict[str, Any]) -> dict[str, Any]:
    """The lazy plans' form of a query, validated by the one validator (:class:`Query`)."""
    q = dict.fromkeys(_QUERY_KEYS) | Query.from_dict(query).to_dict()
    q["where"] = q.get("where") or "token"
    q["regex"], q["case"] = bool(q.get("regex")), bool(q.get("case"))
    tr = q.get("transition")
    q["transition"] = tuple(tr) if tr else None
    return q


def _anomaly_condition(kinds: list[str]) -> pl.Expr:
    """Rows of the anomaly table of ``kinds``: ``"kind"`` or ``"kind:label"`` (one bar of the
    anomaly chart: that kind on that label), local kinds only."""
    from .analysis.anomalies import KINDS, LOCAL_KINDS

    pairs = [[*k.split(":", 1), None][:2] for k in kinds]
    bad = [k for k, _ in pairs if k not in KINDS]
    if bad:
        raise ValueError(f"unknown anomaly kind {bad[0]!r}; expected one of {', '.join(KINDS)}")
    glob = [k for k, _ in pairs if k not in LOCAL_KINDS]
    if glob:
        raise NotImplementedError(
            f"anomaly kind {glob[0]!r} needs the whole-corpus consistency pass, which a "
            "LazyCorpus does not run (see bio_explorer.lazy)")
    kind, label = pl.col("kind").cast(pl.String), pl.col("label").cast(pl.String)
    return pl.any_horizontal(*((kind == k) & (label == lab) if lab is not None else kind == k
                               for k, lab in pairs))


def _matcher(pattern: str, regex: bool, case: bool):
    if regex:
        pat = pattern if case else f"(?i){pattern}"
        try:
            pl.Series([""], dtype=pl.String).str.contains(pat)
        except pl.exceptions.PolarsError as err:
            raise ValueError(f"invalid regular expression {pattern!r}: {err}") from None
        return lambda expr: expr.str.contains(pat)
    if case:
        return lambda expr: expr.str.contains(pattern, literal=True)
    low = pattern.lower()
    return lambda expr: expr.str.to_lowercase().str.contains(low, literal=True)
