"""The page the span view shows, brought up to date right after an edit (no second request).

After an edit the span view used to ask for its page again: a second round trip, and a filter of
the whole corpus at the new data version.  Instead, the edit reply carries the shown page's
sentences re-rendered by id (:func:`rows_by_id`, exactly as :func:`bio_explorer.query.page` renders
them under the same query), and the view updates its rows in place.  That is only right while the
edit left the page's membership alone: :func:`membership_kept` tells, at a cost proportional to the
edited sentences, whether every edited sentence matches the query as it did before.  When it does
not (a label filter and the edited span was the sentence's last of that label), the view asks for
its page again, as before: the sentence leaves the page.

Which conditions an edit can change: ``labels``, ``text`` with ``where="span"``, ``transition`` and
``anomaly`` depend on the tags; ``text`` in tokens, ``source``, ``doc`` and ``sentences`` do not.
The anomaly condition is tested with the marks a page shows (:func:`sentence_anomalies`: fresh local
kinds, the latest whole-corpus consistency result minus edited sentences), which is what the
``anomaly`` filter itself uses right after an edit.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import polars as pl

from .analysis.anomalies import sentence_anomalies
from .query import Query, filter_ids, page
from .state import View, changed_sentences, sentence_rows

__all__ = ["MAX_CHANGED", "matching", "membership_kept", "page_ids_ok", "rows_by_id"]

#: above this many edited sentences (a large relabel-all) the page is asked for again instead
MAX_CHANGED = 256


def rows_by_id(corpus: View, query: dict, ids: Sequence[int]) -> list[dict] | None:
    """The sentences ``ids`` as a page of ``query`` renders them (``page()["sentences"]``).

    Parameters
    ----------
    corpus : View
        The corpus (only its state is used).
    query : dict
        The query of the page shown (decides the ``highlight`` positions).
    ids : sequence of int
        The sentence ids of the page shown, in page order (reading order: ascending).

    Returns
    -------
    list of dict or None
        One sentence dict per id, in order; ``None`` when ``ids`` are not the ascending ids of
        existing sentences (the caller then asks for the page as usual).
    """
    if not page_ids_ok(corpus, ids):
        return None
    sel = pl.Series("sentence", list(ids), pl.UInt32)
    q = Query.from_dict(query).to_dict()
    return page(View(corpus.state, sel, q), 0, sel.len())["sentences"]


def page_ids_ok(corpus: View, ids: Sequence[int]) -> bool:
    """True when ``ids`` are ascending ids of existing sentences (a page's, in reading order)."""
    sel = pl.Series("sentence", list(ids), pl.UInt32)
    if sel.len() == 0 or not sel.is_sorted() or sel.n_unique() != sel.len():
        return False
    return bool(sel.is_in(corpus.state.sent["sentence"].implode()).all())


def matching(corpus: View, query: dict, ids: pl.Series, tags: pl.Series | None = None) -> pl.Series:
    """Those of the sentences ``ids`` that match ``query``, computed on these sentences alone.

    Parameters
    ----------
    corpus : View
        The corpus.
    query : dict
        A query (keys of :data:`bio_explorer.query.QUERY_KEYS`).
    ids : pl.Series
        Sorted ids of existing sentences.
    tags : pl.Series, optional
        An older ``tag`` column of the whole corpus: match as of those tags instead (not for a
        query with ``anomaly``, whose global kinds only exist for the current tags).

    Returns
    -------
    pl.Series
        Sorted ``UInt32`` ids, a subset of ``ids``.
    """
    q = Query.from_dict(query)
    ids = ids.cast(pl.UInt32).rename("sentence")
    st = corpus.state
    rest = q.to_dict()
    kinds = rest.pop("anomaly", None)
    if kinds and tags is not None:
        raise ValueError("the anomaly condition can only be tested on the current tags")
    got = ids
    if rest:
        rows = sentence_rows(st, ids)
        sub = corpus.rows_view(rows)
        if tags is not None:
            sub.state.tok = sub.state.tok.with_columns(tags.gather(rows).alias("tag"))
        with warnings.catch_warnings():  # "no label X in this corpus": these few sentences
            warnings.simplefilter("ignore")
            got = filter_ids(sub, **rest)
    if kinds and got.len():
        marks = sentence_anomalies(corpus, got).select(
            "sentence", pl.col("kind").cast(pl.String),
            (pl.col("kind").cast(pl.String) + ":" + pl.col("label").cast(pl.String)).alias("pair"))
        hit = marks.filter(pl.col("kind").is_in(kinds) | pl.col("pair").is_in(kinds))
        got = got.filter(got.is_in(hit["sentence"].cast(pl.UInt32).implode()))
    return got.sort()


def _depends_on_tags(q: Query) -> bool:
    return bool(q.labels or q.anomaly or q.transition is not None
                or (q.text and q.where == "span"))


def membership_kept(corpus: View, query: dict, shown: Sequence[int], tags: pl.Series) -> bool:
    """True when an edit left every sentence where it was with respect to ``query``.

    Parameters
    ----------
    corpus : View
        The corpus, after the edit.
    query : dict
        The query of the page shown.
    shown : sequence of int
        Sentence ids of the page shown (they matched ``query`` before the edit; ids that are not
        a page's are allowed: :func:`rows_by_id` then refuses them).
    tags : pl.Series
        The whole corpus's ``tag`` column before the edit.

    Returns
    -------
    bool
        False when an edited sentence of the page no longer matches, an edited sentence elsewhere
        entered or left the filter, or that cannot be told cheaply (more than
        :data:`MAX_CHANGED` sentences edited, or an ``anomaly`` filter and edited sentences off
        the page): the page must then be asked for again.
    """
    q = Query.from_dict(query)
    if not _depends_on_tags(q):
        return True
    changed = changed_sentences(corpus.state, tags)
    if changed.len() == 0:
        return True
    if changed.len() > MAX_CHANGED:
        return False
    on_page = changed.is_in(pl.Series(list(shown), dtype=pl.UInt32).implode())
    here, elsewhere = changed.filter(on_page), changed.filter(~on_page)
    if here.len() and matching(corpus, query, here).len() != here.len():
        return False
    if elsewhere.len():
        if q.anomaly:
            return False
        before = matching(corpus, query, elsewhere, tags=tags)
        if not before.equals(matching(corpus, query, elsewhere)):
            return False
    return True
