"""Label statistics and the corpus summary (pure polars over the span and sentence frames)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

import polars as pl

from ..state import all_spans, changed_sentences, sentence_rows

if TYPE_CHECKING:
    from ..state import View as Corpus  # the lower layers take a view of the state

__all__ = ["label_counts", "length_counts", "span_lengths", "summary"]

Frame = TypeVar("Frame", pl.DataFrame, pl.LazyFrame)

_BY = (None, "source")


def _stats_of(spans: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``(label, length, count)`` and ``(label, sentences)`` of a span frame (Int64 counts)."""
    lengths = (
        spans.select("label", (pl.col("end") - pl.col("start")).cast(pl.UInt32).alias("length"))
        .group_by("label", "length").agg(pl.len().cast(pl.Int64).alias("count"))
    )
    sents = (
        spans.select("label", "sentence").unique()
        .group_by("label").agg(pl.len().cast(pl.Int64).alias("sentences"))
    )
    return lengths, sents


def _merged(old: pl.DataFrame, new: pl.DataFrame, gone: pl.DataFrame, keys: list[str],
            value: str) -> pl.DataFrame:
    """``old`` + ``new`` - ``gone`` per ``keys`` (rows that reach 0 dropped)."""
    return (
        pl.concat([old, new, gone.with_columns(-pl.col(value))])
        .group_by(keys).agg(pl.col(value).sum())
        .filter(pl.col(value) > 0)
    )


def _span_stats(corpus: Corpus) -> tuple[pl.Series, pl.DataFrame, pl.DataFrame]:
    """The whole corpus's span lengths per label and sentences per label, with the tag column
    they were counted on (memo ``span_stats``).

    After edits the latest entry is brought up to date from the edited sentences alone (their
    spans before are subtracted, their spans now added), so the label and span-length charts
    never rebuild every span of a large corpus after an edit.
    """
    st = corpus.state
    prev = st.last("span_stats")

    def build() -> tuple[pl.Series, pl.DataFrame, pl.DataFrame]:
        tags = st.tok["tag"]
        if prev is not None and prev[1][0].len() == tags.len():
            old_tags, lengths, sents = prev[1]
            changed = changed_sentences(st, old_tags)
            if changed.len() == 0:
                return tags, lengths, sents
            if changed.len() <= max(64, st.sent.height // 50):
                rows = sentence_rows(st, changed)
                now = corpus.rows_view(rows)
                before = corpus.rows_view(rows)
                before.state.tok = before.state.tok.with_columns(
                    old_tags.gather(rows).alias("tag"))
                l_new, s_new = _stats_of(all_spans(now.state))
                l_old, s_old = _stats_of(all_spans(before.state))
                return (tags, _merged(lengths, l_new, l_old, ["label", "length"], "count"),
                        _merged(sents, s_new, s_old, ["label"], "sentences"))
        return (tags, *_stats_of(all_spans(corpus.state)))

    return st.memo("span_stats", build, depends_on=("tags",))


def _whole_label_counts(corpus: Corpus) -> pl.DataFrame:
    """:func:`label_counts` of the whole corpus from the incremental span statistics."""
    _tags, lengths, sents = _span_stats(corpus)
    per = lengths.group_by("label").agg(
        pl.col("count").sum().alias("spans"),
        (pl.col("count") * pl.col("length")).sum().alias("tokens"),
    )
    return (
        per.join(sents, on="label", how="left")
        .select(
            "label",
            pl.col("spans").cast(pl.UInt32),
            pl.col("tokens").cast(pl.UInt32),
            pl.col("sentences").fill_null(0).cast(pl.UInt32),
            (pl.col("tokens").cast(pl.Float64) / pl.col("spans").cast(pl.Float64))
            .alias("mean_length"),
        )
        .sort(["spans", "label"], descending=[True, False])
    )


def label_counts(corpus: Corpus, by: str | None = None) -> pl.DataFrame:
    """Per label: number of spans, tokens inside them, sentences with one, mean span length.

    Parameters
    ----------
    corpus : Corpus
        A corpus or a view (only its sentences are counted).
    by : {None, "source"}
        ``"source"`` adds a ``source`` column and counts per file (or split).

    Returns
    -------
    pl.DataFrame
        ``label`` (str), [``source`` (str),] ``spans`` (u32), ``tokens`` (u32), ``sentences`` (u32),
        ``mean_length`` (f64); sorted by ``spans`` descending, then label (and source).
    """
    if by not in _BY:
        raise ValueError(f"by={by!r}; expected None or 'source'")
    if by is None and corpus.selection is None:
        return _whole_label_counts(corpus)
    sp = corpus.spans.select("sentence", "label", (pl.col("end") - pl.col("start")).alias("len"))
    keys = ["label"]
    if by == "source":
        src = corpus.state.sent.select("sentence", "source")
        sp = sp.join(src, on="sentence", how="left")
        keys = ["label", "source"]
    return (
        sp.group_by(keys)
        .agg(
            pl.len().cast(pl.UInt32).alias("spans"),
            pl.col("len").sum().cast(pl.UInt32).alias("tokens"),
            pl.col("sentence").n_unique().cast(pl.UInt32).alias("sentences"),
            pl.col("len").mean().cast(pl.Float64).alias("mean_length"),
        )
        .sort(["spans", *keys], descending=[True] + [False] * len(keys))
    )


def span_lengths(corpus: Corpus) -> pl.DataFrame:
    """How many spans of each label have each length (in tokens).

    Returns
    -------
    pl.DataFrame
        ``label`` (str), ``length`` (u32), ``count`` (u32), sorted by label then length.
    """
    if corpus.selection is None:
        lengths = _span_stats(corpus)[1]
        return lengths.with_columns(pl.col("count").cast(pl.UInt32)).sort("label", "length")
    return length_counts(corpus.spans)


def length_counts(spans: Frame) -> Frame:
    """:func:`span_lengths` of a spans frame, eager or lazy (a ``LazyCorpus`` runs it lazily)."""
    return (
        spans.select(
            "label", (pl.col("end") - pl.col("start")).cast(pl.UInt32).alias("length")
        )
        .group_by("label", "length")
        .len("count")
        .with_columns(pl.col("count").cast(pl.UInt32))
        .sort("label", "length")
    )


def summary(corpus: Corpus, *, anomalies: bool = True) -> dict[str, Any]:
    """Headline numbers of a corpus or view.

    Parameters
    ----------
    corpus : Corpus
        A corpus or a view.
    anomalies : bool
        Also count anomalies (this runs :func:`bio_explorer.analysis.anomalies.anomalies`, which
        includes the surface-form inconsistency finder; its result is cached on the corpus).

    Returns
    -------
    dict
        ``tokens``, ``sentences``, ``docs``, ``spans``, ``labels`` (number of distinct labels with
        a span), ``scheme``, ``scheme_confidence`` (the lowest detection confidence over the files,
        see :attr:`~bio_explorer.Corpus.scheme_evidence`), ``invalid_transitions`` and, with
        ``anomalies=True``, ``anomalies``
        (total rows) and ``anomaly_kinds`` (``{kind: count}``).
    """
    from .transitions import invalid_by_sentence

    sents = corpus.sentences
    sp = corpus.spans
    out: dict[str, Any] = {
        "tokens": int(sents["n_tokens"].sum()),
        "sentences": sents.height,
        "docs": int(sents["doc"].n_unique()) if sents.height else 0,
        "spans": sp.height,
        "labels": int(sp["label"].n_unique()) if sp.height else 0,
        "scheme": corpus.scheme,
        "scheme_confidence": _scheme_confidence(corpus),
        "invalid_transitions": int(invalid_by_sentence(corpus)["n_invalid"].sum()),
    }
    if anomalies:
        from .anomalies import anomalies as find

        an = find(corpus)
        kinds = an.group_by("kind").len().sort("len", "kind", descending=[True, False])
        out["anomalies"] = an.height
        out["anomaly_kinds"] = dict(zip(kinds["kind"].to_list(), kinds["len"].to_list(),
                                        strict=True))
    return out


def _scheme_confidence(corpus: Corpus) -> float:
    """Lowest confidence of the scheme detection over the corpus's files (1.0 when
    unambiguous)."""
    ev = corpus.scheme_evidence
    return float(ev["confidence"].min()) if ev.height else 1.0
