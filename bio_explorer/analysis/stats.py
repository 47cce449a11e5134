"""Label statistics and the corpus summary (pure polars over the span and sentence frames)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

import polars as pl

if TYPE_CHECKING:
    from ..state import View as Corpus  # the lower layers take a view of the state

__all__ = ["label_counts", "length_counts", "span_lengths", "summary"]

Frame = TypeVar("Frame", pl.DataFrame, pl.LazyFrame)

_BY = (None, "source")


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
    sp = corpus.spans.select("sentence", "label", (pl.col("end") - pl.col("start")).alias("len"))
    keys = ["label"]
    if by == "source":
        src = corpus._state.sent.select("sentence", "source")
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
