"""spaCy ``Doc``/``DocBin`` in and out, and displaCy's manual format (spaCy is optional).

A corpus sentence becomes one ``Doc`` whose words are the tokens, separated by one space (the
detokenisation rule of :mod:`bio_explorer.io.charspans`); its entities are ``Corpus.spans`` (the
seqeval reading of the tags), so the exported ``doc.ents`` are valid whatever the tagging scheme of
the file and whatever invalid transitions it holds (spaCy's own IOB conversion refuses an orphan
``I-`` with ``[E093]``).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from typing import Any

import polars as pl

from .charspans import tags_from_char_spans

__all__ = ["docs_to_frame", "frame_to_docs", "is_spacy_object", "needs_spacy"]

#: what an empty token (spaCy refuses them) is written as
EMPTY_TOKEN = "_"


def needs_spacy():
    """Import spaCy or say how to install it."""
    try:
        import spacy
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError("spaCy is needed here: pip install 'bio-explorer[interop]' "
                          "(or pip install spacy)") from None
    return spacy


def is_spacy_object(obj: Any) -> bool:
    """A ``Doc``, a ``DocBin`` or a list of ``Doc`` (checked without importing spaCy)."""
    mod = type(obj).__module__ or ""
    if mod.startswith("spacy.") and type(obj).__name__ in ("Doc", "DocBin"):
        return True
    if isinstance(obj, (list, tuple)) and obj:
        first = obj[0]
        return (type(first).__module__ or "").startswith("spacy.") and \
            type(first).__name__ == "Doc"
    return False


def docs_to_frame(docs: Iterable[Any]) -> pl.DataFrame:
    """One row per token (``doc``, ``sentence``, ``token``, ``tag``) from spaCy docs.

    A doc with sentence boundaries (``doc.has_annotation("SENT_START")``) is split into its
    sentences; otherwise each doc is one sentence.  ``doc.ents`` become IOB2 tags.
    """
    words: list[str] = []
    doc_ids: list[int] = []
    starts: list[bool] = []
    ents: list[tuple[int, int, int, str]] = []
    offset = 0
    for d, doc in enumerate(docs):  # spaCy objects are walked doc by doc
        n = len(doc)
        words.extend(t.text for t in doc)
        doc_ids.extend([d] * n)
        if doc.has_annotation("SENT_START"):
            starts.extend(bool(t.is_sent_start) for t in doc)
        else:
            starts.extend([True] + [False] * (n - 1) if n else [])
        ents.extend((d, offset + e.start, offset + e.end, e.label_) for e in doc.ents)
        offset += n
    tok = pl.DataFrame({"doc": pl.Series(doc_ids, dtype=pl.UInt32),
                        "token": pl.Series(words, dtype=pl.String),
                        "_s": pl.Series(starts, dtype=pl.Boolean)})
    tok = tok.with_columns(
        (pl.col("_s") | (pl.col("doc") != pl.col("doc").shift(1)).fill_null(True))
        .cum_sum().cast(pl.UInt32).alias("sentence") - 1,
        pl.int_range(pl.len(), dtype=pl.Int64).alias("char_start"),
    ).with_columns((pl.col("char_start") + 1).alias("char_end"))
    # token indices act as character offsets: a token is one "character" wide
    span = pl.DataFrame(ents, schema={"doc": pl.UInt32, "char_start": pl.Int64,
                                      "char_end": pl.Int64, "label": pl.String}, orient="row")
    span = span.join(tok.select("char_start", "sentence"), on="char_start", how="left")
    tok = tok.with_columns(pl.int_range(pl.len(), dtype=pl.UInt32).over("sentence")
                           .alias("position"))
    tags = tags_from_char_spans(tok, span.select("sentence", "char_start", "char_end", "label"))
    return tok.select("doc", "sentence", "token").with_columns(tags.alias("tag"))


def frame_to_docs(texts: pl.DataFrame, spans: pl.DataFrame, vocab: Any) -> list[Any]:
    """spaCy docs from sentences (``sentence``, ``tokens``) and token spans (``sentence``,
    ``start``, ``end``, ``label``)."""
    needs_spacy()
    from spacy.tokens import Doc, Span

    grouped = spans.group_by("sentence").agg(pl.struct("start", "end", "label").alias("ents"))
    empty = texts.select(pl.col("tokens").list.eval(pl.element() == "").list.sum().sum()).item()
    if empty:
        warnings.warn(f"{empty} empty token(s) written as {EMPTY_TOKEN!r} (spaCy refuses empty "
                      "words)", stacklevel=3)
        texts = texts.with_columns(pl.col("tokens").list.eval(
            pl.when(pl.element() == "").then(pl.lit(EMPTY_TOKEN)).otherwise(pl.element())))
    rows = texts.join(grouped, on="sentence", how="left", maintain_order="left")
    docs = []
    for words, ents in zip(rows["tokens"].to_list(), rows["ents"].to_list(), strict=True):
        doc = Doc(vocab, words=words, spaces=[True] * (len(words) - 1) + [False])
        doc.ents = [Span(doc, e["start"], e["end"], label=e["label"]) for e in ents or []]
        docs.append(doc)
    return docs


def displacy_records(texts: pl.DataFrame, spans: pl.DataFrame) -> list[dict]:
    """displaCy "manual" input: ``[{"text", "ents": [{"start", "end", "label"}], "title"}]``."""
    grouped = spans.group_by("sentence").agg(
        pl.struct(pl.col("char_start").alias("start"), pl.col("char_end").alias("end"), "label")
        .alias("ents"))
    rows = texts.join(grouped, on="sentence", how="left", maintain_order="left").select(
        "text", pl.col("ents").fill_null(pl.lit([], dtype=grouped.schema["ents"])),
        pl.lit(None, pl.String).alias("title"))
    return rows.to_dicts()
