"""Filtering a corpus into a view, and paging a view into compact JSON-ready payloads.

Every condition of a query is answered from a small per-sentence index built once and cached on the
corpus state, so a filter never scans the token frame:

* tokens — the token vocabulary with, for each distinct token string, the sorted ids of the
  sentences that hold it.  A text search runs the pattern on the vocabulary (a few hundred
  thousand strings at most) and unions the sentence lists of the matching entries.  Edits never
  change tokens, so this index survives them.
* labels — for each label, the sentences with a span of it (from ``Corpus.spans``).
* span texts — for each (span text, label), the sentences holding such a span.
* anomalies and transitions — from :mod:`bio_explorer.analysis.anomalies` and
  :mod:`bio_explorer.analysis.transitions`.  The anomaly index has fresh local kinds and the
  latest whole-corpus consistency result, minus its marks on sentences edited since (see the
  staleness rule in :mod:`bio_explorer.analysis.anomalies`), so it stays cheap after an edit.

Conditions combine with AND; values given as lists (``labels``, ``anomaly``, ``source``, ``doc``,
``sentences``) are OR within themselves.  Paging slices token rows directly with the sentence index
(first row and length of each sentence), so a page costs only as much as its own sentences.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from numbers import Integral
from typing import Any

import polars as pl

from .state import State, View, all_spans, build_spans, file_scheme_tags, sentence_rows
from .suggest import did_you_mean

__all__ = ["QUERY_KEYS", "Query", "filter_ids", "page", "select"]

QUERY_KEYS = ("labels", "text", "regex", "case", "where", "anomaly", "transition", "source", "doc",
              "sentences")
_EMPTY = pl.Series("sentence", [], pl.UInt32)


# ---------------------------------------------------------------------------------------- matching
def _regex_error(pattern: str, err: Exception) -> ValueError:
    text = str(err)
    reason = ""
    for line in text.splitlines():
        if line.strip().startswith("error:"):
            reason = line.strip()[len("error:"):].strip()
            break
    if not reason:
        reason = text.splitlines()[0] if text else type(err).__name__
    return ValueError(f"invalid regular expression {pattern!r}: {reason}")


def _matcher(pattern: str, regex: bool, case: bool):
    """A function ``expr -> boolean expr`` testing whether a string contains ``pattern``.

    ``regex=False`` matches a plain substring; ``case=False`` ignores letter case.
    """
    if regex:
        pat = pattern if case else f"(?i){pattern}"
        try:
            pl.Series([""], dtype=pl.String).str.contains(pat)
        except pl.exceptions.PolarsError as err:
            raise _regex_error(pattern, err) from None

        def match(expr: pl.Expr) -> pl.Expr:
            return expr.str.contains(pat)

        return match
    if len(pattern) > _LONG_LITERAL:
        return _long_literal(pattern, case)
    if case:
        return lambda expr: expr.str.contains(pattern, literal=True)
    low = pattern.lower()
    return lambda expr: expr.str.to_lowercase().str.contains(low, literal=True)


# polars compiles even a literal search into a regex, limited in size: longer plain searches are
# answered by Python's ``in`` on the few strings at least as long as the pattern
_LONG_LITERAL = 10_000


def _long_literal(pattern: str, case: bool):
    """:func:`_matcher` for a plain ``pattern`` too long for polars' search."""
    want = pattern if case else pattern.lower()

    def test(s: pl.Series) -> pl.Series:
        text = s if case else s.str.to_lowercase()
        long_enough = (text.str.len_chars() >= len(want)).fill_null(False).arg_true()
        hits = pl.Series([want in v for v in text.gather(long_enough).to_list()],
                         dtype=pl.Boolean)
        out = pl.Series(s.name, [False] * s.len(), dtype=pl.Boolean)
        return out.scatter(long_enough, hits) if hits.len() else out

    return lambda expr: expr.map_batches(test, return_dtype=pl.Boolean)


# ---------------------------------------------------------------------------------------- indexes
def _token_index(corpus: View) -> pl.DataFrame:
    """``token`` (distinct strings) and ``sentences`` (sorted unique ids).  Independent of tags."""
    st = corpus.state

    def build() -> pl.DataFrame:
        return (
            st.tok.lazy().select("token", "sentence").unique()
            .group_by("token").agg(pl.col("sentence").sort().alias("sentences"))
            .collect()
        )

    return st.memo("query_tokens", build, depends_on=("tokens",))


def warm_search_index(corpus: View) -> None:
    """Build the token search index of ``corpus`` (``token`` → sentence ids) if it is not built.

    It depends on the tokens only (never on edits), so it is built once; the span view builds
    it in a background thread at load, so that the first token search answers at once.
    """
    _token_index(corpus)


def _label_index(corpus: View) -> dict[str, pl.Series]:
    def build() -> dict[str, pl.Series]:
        per = (
            all_spans(corpus.state).lazy().select("label", "sentence").unique()
            .group_by("label").agg(pl.col("sentence").sort()).collect()
        )
        return {k: v for k, v in zip(per["label"], per["sentence"], strict=True)}

    return corpus.state.memo("query_labels", build, depends_on=("tags",))


def _span_text_index(corpus: View) -> pl.DataFrame:
    def build() -> pl.DataFrame:
        return (
            all_spans(corpus.state).lazy().select("text", "label", "sentence").unique()
            .group_by("text", "label").agg(pl.col("sentence").sort().alias("sentences"))
            .collect()
        )

    return corpus.state.memo("query_span_texts", build, depends_on=("tags",))


def _text_counts(spans: pl.DataFrame) -> pl.DataFrame:
    """``text`` and ``n`` (Int64): how many of ``spans`` have each text, any label."""
    return spans.group_by("text").agg(pl.len().cast(pl.Int64).alias("n"))


def _count_delta(corpus: View, rows: pl.Series, new: pl.Series, old: pl.Series) -> pl.DataFrame:
    """``text`` and ``d``: span count changes on the token ``rows`` (whole sentences, in order)
    when their tags go from ``old`` to ``new``.

    Both versions are read as one throw-away corpus: the old copy of each sentence gets its id
    shifted past every real id, so one span pass serves both.
    """
    st = corpus.state
    part = st.tok[rows]
    shift = int(part["sentence"].max()) + 1
    both = pl.concat([
        part.with_columns(new.gather(rows).alias("tag")),
        part.with_columns(old.gather(rows).alias("tag"),
                          (pl.col("sentence") + shift).alias("sentence")),
    ])
    sub = State(both, st.files, st.scheme, st.problems.clear())
    return (
        build_spans(sub).lazy()
        .group_by("text")
        .agg(pl.when(pl.col("sentence") < shift).then(1).otherwise(-1).sum().alias("d"))
        .filter(pl.col("d") != 0)
        .collect()
    )


def _span_text_counts(corpus: View) -> pl.DataFrame:
    """``text`` and ``n``: how many spans of the whole corpus have each text, any label.

    Memoised under ``"span_text_counts"`` together with the tag column it was counted on.  After
    edits the counts are brought up to date incrementally from the latest (stale) entry: only the
    sentences whose tags differ from that column are re-read (their old spans are subtracted, their
    new ones added), so a page right after an edit never re-reads the whole corpus.
    """
    st = corpus.state
    prev = st.last("span_text_counts")
    tags = st.tok["tag"]

    def build() -> tuple[pl.DataFrame, pl.Series]:
        if prev is None or prev[1][1].len() != tags.len():
            return _text_counts(all_spans(corpus.state)), tags
        counts, old_tags = prev[1]
        diff = tags.ne_missing(old_tags).arg_true()
        if diff.len():
            changed = st.tok["sentence"].gather(diff).unique().sort()
            rows = sentence_rows(st, changed)
            if 2 * rows.len() > tags.len():  # e.g. a label renamed everywhere: recount
                counts = _text_counts(all_spans(corpus.state))
            else:
                delta = _count_delta(corpus, rows, tags, old_tags)
                counts = (
                    counts.join(delta, on="text", how="full", coalesce=True)
                    .select("text",
                            (pl.col("n").fill_null(0) + pl.col("d").fill_null(0)).alias("n"))
                    .filter(pl.col("n") > 0)
                )
        return counts, tags

    return st.memo("span_text_counts", build, depends_on=("tags",))[0]


def _union(lists: pl.Series) -> pl.Series:
    """Sorted unique sentence ids of a list column."""
    if lists.len() == 0:
        return _EMPTY
    return lists.explode().drop_nulls().unique().sort().cast(pl.UInt32).rename("sentence")


# ---------------------------------------------------------------------------------------- Query
_MAX_ID = 2**32 - 1  # sentence and document ids are UInt32


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _strings(key: str, value: Any) -> tuple[str, ...]:
    """A string or an iterable of strings → a tuple without duplicates (click order kept)."""
    if value is None:
        return ()
    items = value.to_list() if isinstance(value, pl.Series) else value
    if isinstance(items, str):
        items = [items]
    if isinstance(items, (dict, bytes)) or not isinstance(items, Iterable):
        raise ValueError(f"query[{key!r}] must be a string or a list of strings, "
                         f"got {_show(value)}")
    items = list(items)
    bad = [v for v in items if not isinstance(v, str)]
    if bad:
        raise ValueError(f"query[{key!r}] must hold strings, got {_show(bad[0])} in "
                         f"{_show(value)}")
    return tuple(dict.fromkeys(items))


def _ids(key: str, value: Any, what: str) -> tuple[int, ...]:
    """An int or an iterable of ints → a tuple of ids within ``0 .. 2**32 - 1``."""
    if value is None:
        return ()
    items = value.to_list() if isinstance(value, pl.Series) else value
    if isinstance(items, Integral) and not isinstance(items, bool):
        items = [items]
    if isinstance(items, (str, bytes, dict)) or not isinstance(items, Iterable):
        raise ValueError(f"query[{key!r}] must be an int or a list of ints, got {_show(value)}")
    out = []
    for v in items:
        if isinstance(v, bool) or not isinstance(v, Integral):
            raise ValueError(f"query[{key!r}] must hold ints, got {_show(v)} in {_show(value)}")
        if not 0 <= int(v) <= _MAX_ID:
            raise ValueError(f"query[{key!r}]: {int(v)} is not a {what} id "
                             f"(ids are 0 .. {_MAX_ID:,})")
        out.append(int(v))
    return tuple(out)


def _flag(key: str, value: Any) -> bool:
    if value is None:
        return False
    if not isinstance(value, bool):
        raise ValueError(f"query[{key!r}] must be true or false, got {_show(value)}")
    return value


@dataclass(frozen=True)
class Query:
    """One filter of a corpus: the conditions of :meth:`Corpus.filter` and of the widget query.

    Every condition given must hold (AND); the values of a list field are alternatives (OR).
    Build it with :meth:`from_dict` (the one validator of queries: ``Corpus.filter``, the span
    view's ``query`` trait and the chart links all go through it) and turn it back into the
    JSON-able dict of the widget protocol with :meth:`to_dict`.

    Attributes
    ----------
    labels : tuple of str
        Sentences with a span of one of these labels.
    text : str or None
        Text searched in tokens (``where="token"``) or span texts (``where="span"``).
    regex : bool
        ``text`` is a regular expression (Rust ``regex`` syntax) rather than a plain substring.
    case : bool
        Match letter case exactly (default: ignore it).
    where : {"token", "span"}
    anomaly : tuple of str
        Sentences with an anomaly of one of these kinds.
    transition : (str, str) or None
        Sentences containing that adjacent pair of tags.
    source : tuple of str
        Sentences of these files / splits.
    doc : tuple of int
        Sentences of these documents.
    sentences : tuple of int
        Only these sentence ids (0 .. 2**32 - 1; ids past the corpus match nothing).

    Examples
    --------
    >>> Query.from_dict({"labels": "Library", "regex": "^torch"}).to_dict()
    {'labels': ['Library'], 'text': '^torch', 'regex': True}
    """

    labels: tuple[str, ...] = ()
    text: str | None = None
    regex: bool = False
    case: bool = False
    where: str = "token"
    anomaly: tuple[str, ...] = ()
    transition: tuple[str, str] | None = None
    source: tuple[str, ...] = ()
    doc: tuple[int, ...] = ()
    sentences: tuple[int, ...] = ()

    @classmethod
    def from_dict(cls, query: Mapping[str, Any] | Query | None) -> Query:
        """Validate ``query`` (keys of :data:`QUERY_KEYS`) by type, once.

        A single string is accepted where a list of strings is expected, an int where a list of
        ints is, ``None`` / ``""`` / ``[]`` / ``False`` mean "no condition", and ``regex`` may be
        the pattern itself (``{"regex": "^torch"}`` is ``{"text": "^torch", "regex": True}``).

        Raises
        ------
        ValueError
            For an unknown key (with the closest known one) or a value of the wrong type or
            range, naming the key and the value.
        """
        if query is None:
            return cls()
        if isinstance(query, Query):
            return query
        if not isinstance(query, Mapping):
            raise ValueError(f"a query must be a dict, not {type(query).__name__}")
        for key in query:
            if key not in QUERY_KEYS:
                raise ValueError(
                    f"unknown query key {key!r}{did_you_mean(str(key), QUERY_KEYS)} "
                    f"(expected some of {', '.join(QUERY_KEYS)})"
                )
        text, regex = query.get("text"), query.get("regex")
        if text is not None and not isinstance(text, str):
            raise ValueError(f"query['text'] must be a string, got {_show(text)}")
        if isinstance(regex, str):  # filter(regex="^torch") is a regex search
            if text and regex and text != regex:
                raise ValueError("give the pattern once: query['regex'] is a string and "
                                 "query['text'] is another")
            text, regex = regex or text, bool(regex) or bool(text)
        where = query.get("where") or "token"
        if where not in ("token", "span"):
            raise ValueError(f"query['where'] must be 'token' or 'span', got {_show(where)}")
        tr = query.get("transition")
        if tr is not None and not isinstance(tr, str) and isinstance(tr, Iterable):
            tr = tuple(tr) or None
        if tr is not None and (not isinstance(tr, tuple) or len(tr) != 2
                               or not all(isinstance(t, str) for t in tr)):
            raise ValueError(f"query['transition'] must be a pair [prev_tag, tag], "
                             f"got {_show(query.get('transition'))}")
        return cls(
            labels=_strings("labels", query.get("labels")),
            text=text or None,
            regex=_flag("regex", regex),
            case=_flag("case", query.get("case")),
            where=where,
            anomaly=_strings("anomaly", query.get("anomaly")),
            transition=tr,
            source=_strings("source", query.get("source")),
            doc=_ids("doc", query.get("doc"), "document"),
            sentences=_ids("sentences", query.get("sentences"), "sentence"),
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON-able dict of the widget protocol, without the conditions left unset."""
        out: dict[str, Any] = {}
        for key in QUERY_KEYS:
            value = getattr(self, key)
            if key == "where":
                if value != "token":
                    out[key] = value
            elif key in ("regex", "case"):
                if value:
                    out[key] = True
            elif isinstance(value, tuple):
                if value:
                    out[key] = list(value)
            elif value is not None:
                out[key] = value
        return out

    def __bool__(self) -> bool:
        return bool(self.to_dict())


def select(
    corpus: View,
    labels: str | list[str] | None = None,
    text: str | None = None,
    regex: bool | str = False,
    case: bool = False,
    where: str = "token",
    anomaly: str | list[str] | None = None,
    transition: tuple[str, str] | list[str] | None = None,
    source: str | list[str] | None = None,
    doc: int | list[int] | None = None,
    sentences: list[int] | pl.Series | None = None,
) -> pl.Series:
    """Ids of the sentences of ``corpus`` matching every given condition.

    Parameters
    ----------
    corpus : View
        A corpus or a view (a view is filtered within itself).
    labels : str or list of str, optional
        Sentences with a span of any of these labels.
    text : str, optional
        Sentences with a token (``where="token"``) or a span (``where="span"``) whose text contains
        ``text`` — a plain substring, or a regular expression with ``regex=True``.  With
        ``where="span"`` and ``labels``, the matching span must have one of the labels.
    regex : bool or str
        Treat ``text`` as a regular expression (Rust ``regex`` syntax).  A string is taken as the
        pattern itself (``regex="^torch"``).
    case : bool
        Match letter case exactly (default: ignore case).
    where : {"token", "span"}
        What ``text`` is matched against.
    anomaly : str or list of str, optional
        Sentences with an anomaly of any of these kinds (see
        :data:`bio_explorer.analysis.anomalies.KINDS`); ``"kind:label"`` narrows a kind to the
        anomalies on that label (one bar of the anomaly chart).
    transition : (prev_tag, tag), optional
        Sentences containing that adjacent pair of tags (file-scheme tags, ``"<s>"``/``"</s>"``
        at the sentence edges), as listed by ``Corpus.transitions()``.
    source : str or list of str, optional
        Sentences from any of these files/splits.
    doc : int or list of int, optional
        Sentences of these documents.
    sentences : list of int, optional
        Only these sentence ids.

    Returns
    -------
    pl.Series
        Sorted unique ``UInt32`` sentence ids, named ``sentence``.

    Raises
    ------
    ValueError
        For a bad regular expression (naming the pattern and the reason), an unknown anomaly kind
        (naming the closest one), or any value of the wrong type or range (see
        :meth:`Query.from_dict`).

    Warns
    -----
    UserWarning
        For a label or source the corpus does not have (it matches nothing), naming the closest.
    """
    q = Query.from_dict({"labels": labels, "text": text, "regex": regex, "case": case,
                         "where": where, "anomaly": anomaly, "transition": transition,
                         "source": source, "doc": doc, "sentences": sentences})
    return _select(corpus, q)


def _warn_unknown(what: str, names: tuple[str, ...], known: Iterable[str]) -> None:
    """Warn about each name in ``names`` absent from ``known`` (it matches nothing)."""
    known = set(known)
    for name in names:
        if name not in known:
            warnings.warn(f"no {what} {name!r} in this corpus: it matches no sentence"
                          f"{did_you_mean(name, sorted(known))}", UserWarning, stacklevel=5)


def _select(corpus: View, q: Query) -> pl.Series:
    """:func:`select` for a validated query."""
    conds: list[pl.Series] = []
    label_list = list(q.labels)
    if label_list:
        _warn_unknown("label", q.labels, _label_index(corpus))
    if q.text:
        match = _matcher(q.text, q.regex, q.case)
        if q.where == "token":
            idx = _token_index(corpus)
            conds.append(_union(idx.filter(match(pl.col("token")))["sentences"]))
        else:
            idx = _span_text_index(corpus)
            cond = match(pl.col("text"))
            if label_list:
                cond = cond & pl.col("label").is_in(label_list)
            conds.append(_union(idx.filter(cond)["sentences"]))
    if label_list and not (q.text and q.where == "span"):
        index = _label_index(corpus)
        got = [index[x] for x in label_list if x in index]
        conds.append(pl.concat(got).unique().sort().cast(pl.UInt32) if got else _EMPTY)
    if q.anomaly:
        from .analysis.anomalies import KINDS, anomaly_sentences

        for kind in (k.split(":", 1)[0] for k in q.anomaly):  # "kind" or "kind:label"
            if kind not in KINDS:
                raise ValueError(f"unknown anomaly kind {kind!r}{did_you_mean(kind, KINDS)} "
                                 f"(expected one of {', '.join(KINDS)})")
        conds.append(anomaly_sentences(corpus, list(q.anomaly)))
    if q.transition is not None:
        from .analysis.transitions import transition_sentences

        conds.append(transition_sentences(corpus, *q.transition))
    sent = corpus.state.sent
    if q.source:
        _warn_unknown("source", q.source, sent["source"].cast(pl.String).unique().to_list())
        conds.append(sent.filter(pl.col("source").is_in(list(q.source)))["sentence"])
    if q.doc:
        conds.append(sent.filter(pl.col("doc").is_in(list(q.doc)))["sentence"])
    if q.sentences:
        want = pl.Series("sentence", q.sentences, pl.UInt32)
        conds.append(sent["sentence"].filter(sent["sentence"].is_in(want.implode())))

    result = corpus.selection
    for c in sorted(conds, key=len):
        if result is None:
            result = c
        elif result.len() > 0:
            small, big = (result, c) if result.len() <= c.len() else (c, result)
            result = small.filter(small.is_in(big.implode()))
    if result is None:
        result = sent["sentence"]
    return result.cast(pl.UInt32).rename("sentence").sort()


def filter_ids(corpus: View, **query: Any) -> pl.Series:
    """The sentence ids of ``corpus`` matching ``query`` (what ``Corpus.filter`` wraps in a view).

    Accepts the keys of :func:`select` (the JSON query of the widget protocol); unknown keys fail
    before any work.

    Returns
    -------
    pl.Series
        Sorted unique ``UInt32`` sentence ids, named ``sentence``.
    """
    return _select(corpus, Query.from_dict(query))  # bad keys and values fail before any work


# ---------------------------------------------------------------------------------------- paging
def _by_sentence(frame: pl.DataFrame, ids: pl.Series) -> pl.DataFrame:
    """Rows of ``frame`` (sorted by ``sentence``) whose sentence is in ``ids``, by binary search."""
    if frame.height == 0 or ids.len() == 0:
        return frame.clear()
    col = frame["sentence"]
    lo = col.search_sorted(ids, side="left")
    hi = col.search_sorted(ids, side="right")
    rows = (
        pl.DataFrame({"lo": lo, "hi": hi})
        .select(pl.int_ranges("lo", "hi", dtype=pl.UInt32).alias("r"))
        .explode("r")["r"].drop_nulls()
    )
    return frame[rows]


def _highlight(corpus: View, rows: pl.DataFrame, spans: pl.DataFrame) -> pl.Series:
    """Boolean per page token row: matches the view's text query or transition."""
    q = corpus.query
    hl = pl.Series([False] * rows.height)
    if not q:
        return hl
    q = Query.from_dict(q)
    if q.text:
        match = _matcher(q.text, q.regex, q.case)
        if q.where == "token":
            hl = hl | rows.select(match(pl.col("token")).fill_null(False)).to_series()
        else:
            cond = match(pl.col("text"))
            if q.labels:
                cond = cond & pl.col("label").is_in(list(q.labels))
            hit = spans.filter(cond).select(
                pl.col("sentence").alias("sid"),
                pl.int_ranges("start", "end", dtype=pl.UInt32).alias("position"),
            ).explode("position").with_columns(pl.lit(True).alias("_h"))
            flag = rows.select("sid", "position").join(
                hit, on=["sid", "position"], how="left", maintain_order="left")["_h"]
            hl = hl | flag.fill_null(False)
    if q.transition is not None:
        from .analysis.transitions import offending_positions

        hl = hl | offending_positions(rows, *q.transition, corpus.scheme)
    return hl


def page(corpus: View, offset: int = 0, limit: int = 50) -> dict[str, Any]:
    """The sentences ``offset .. offset + limit`` of a view, ready to send to a browser.

    Parameters
    ----------
    corpus : View
        A corpus or a view; its ``query`` decides the ``highlight`` positions.
    offset, limit : int
        Slice of the view's sentences (in reading order).

    Returns
    -------
    dict
        ``{"offset", "limit", "total", "sentences": [...]}`` where each sentence is
        ``{"sentence", "source", "line", "doc", "tokens", "tags", "spans", "span_counts",
        "anomalies", "highlight", "edited"}``: ``tags`` are IOB2, ``spans`` are
        ``[start, end, label]``, ``span_counts`` (aligned with ``spans``) how many spans of the
        whole corpus (not just the view) have exactly the same text, any label, ``anomalies``
        are ``[start, end, kind, label, detail]``, ``highlight`` the positions matching the text
        query or the transition filter, ``edited`` the positions whose tag differs from the file
        as read or last saved.

    Notes
    -----
    A page costs only as much as its own sentences, also right after an edit: spans, file-scheme
    tags and the *local* anomaly kinds (invalid transitions, boundary punctuation, multi-tags,
    format) are computed fresh for the page's rows.  The *global* kinds (surface-form
    inconsistencies) come from the latest whole-corpus result, even one computed before the last
    edits; their marks are dropped on sentences whose tags changed since that result (see
    :mod:`bio_explorer.analysis.anomalies`).  ``Corpus.anomalies()`` is always exact.
    ``span_counts`` are always exact: a cached text → count frame is brought up to date by
    re-reading only the sentences edited since it was counted.
    """
    offset, limit = max(int(offset), 0), max(int(limit), 0)
    ids = corpus.sentence_ids()
    total = int(ids.len())
    out: dict[str, Any] = {"offset": offset, "limit": limit, "total": total, "sentences": []}
    chosen = ids.slice(offset, limit).cast(pl.UInt32)
    if chosen.len() == 0:
        return out
    st = corpus.state
    sent = st.sent
    heads = sent[sent["sentence"].search_sorted(chosen)]
    rows = (
        heads.select(
            pl.col("sentence").alias("sid"),
            pl.int_ranges("row", pl.col("row") + pl.col("n_tokens"), dtype=pl.UInt32).alias("r"),
        ).explode("r").drop_nulls("r")
    )
    r = rows["r"]
    tok = st.tok
    rows = rows.with_columns(
        tok["position"].gather(r).alias("position"),
        tok["token"].gather(r).alias("token"),
        tok["tag"].gather(r).cast(pl.String).alias("tag"),
        (tok["tag"].gather(r).cast(pl.String) != tok["_orig"].gather(r).cast(pl.String))
        .fill_null(True).alias("edited"),
    )
    # Right after an edit the whole-corpus spans / file-scheme tags are stale: rather than rebuild
    # them for millions of tokens, compute what the page needs on a corpus of its own rows.
    from .analysis.anomalies import sentence_anomalies

    sub = None
    whole_spans = st.peek("spans")
    if whole_spans is None:
        sub = corpus.rows_view(r)
        spans = all_spans(sub.state)
    else:
        spans = _by_sentence(whole_spans, chosen)
    if corpus.query.get("transition"):
        ft = st.peek("file_tags")
        if ft is None:
            if sub is None:
                sub = corpus.rows_view(r)
            ft = file_scheme_tags(sub.state)
        else:
            ft = ft.gather(r)
        rows = rows.with_columns(ft.alias("ft"))
    rows = rows.with_columns(_highlight(corpus, rows, spans).alias("highlight"))
    per_tok = rows.group_by("sid", maintain_order=True).agg(
        pl.col("token").alias("tokens"),
        pl.col("tag").alias("tags"),
        pl.col("position").filter(pl.col("highlight")).alias("highlight"),
        pl.col("position").filter(pl.col("edited")).alias("edited"),
    )
    counts = _span_text_counts(corpus)
    spans = spans.join(counts, on="text", how="left", maintain_order="left")
    per_span = spans.group_by("sentence").agg(
        pl.col("start").alias("s_start"), pl.col("end").alias("s_end"),
        pl.col("label").alias("s_lab"), pl.col("n").fill_null(0).alias("s_n"),
    )
    an = sentence_anomalies(corpus, chosen, sub)
    per_an = an.group_by("sentence").agg(
        pl.struct("start", "end", "kind", "label", "detail").alias("anomalies")
    )
    body = (
        heads.select(pl.col("sentence"), "source", "line", "doc")
        .join(per_tok.rename({"sid": "sentence"}), on="sentence", how="left", maintain_order="left")
        .join(per_span, on="sentence", how="left", maintain_order="left")
        .join(per_an, on="sentence", how="left", maintain_order="left")
    )
    result = []
    for rec in body.iter_rows(named=True):  # one iteration per sentence of the page
        result.append({
            "sentence": rec["sentence"],
            "source": rec["source"],
            "line": rec["line"],
            "doc": rec["doc"],
            "tokens": rec["tokens"] or [],
            "tags": rec["tags"] or [],
            "spans": [list(t) for t in zip(rec["s_start"] or [], rec["s_end"] or [],
                                           rec["s_lab"] or [], strict=True)],
            "span_counts": rec["s_n"] or [],
            "anomalies": [[a["start"], a["end"], a["kind"], a["label"], a["detail"]]
                          for a in (rec["anomalies"] or [])],
            "highlight": rec["highlight"] or [],
            "edited": rec["edited"] or [],
        })
    out["sentences"] = result
    return out
