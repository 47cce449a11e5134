"""Corpus-level bridges to the tools NER people already use (the thin ``Corpus`` methods call
these): Hugging Face ``datasets``, spaCy / displaCy, annotation tools, Parquet/Arrow, and
``Dataset``-like indexing.

Character offsets follow one rule everywhere: a sentence's text is its tokens joined by one space
(see :mod:`bio_explorer.io.charspans`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from .io.annotation import TOOLS, records_for, write_records
from .io.arrow import TABLE_SUFFIXES, table_bytes
from .io.charspans import sentence_texts, span_offsets

if TYPE_CHECKING:
    from .corpus import Corpus

__all__ = ["get_item", "iter_rows", "sentence_table", "spans_with_offsets", "to_annotations",
           "to_displacy", "to_docbin", "to_hf", "to_spacy", "write_by_suffix"]

JSON_SUFFIXES = {".jsonl": "doccano", ".json": "label_studio"}


def sentence_table(corpus: Corpus) -> pl.DataFrame:
    """One row per sentence of the view: ``sentence``, ``source``, ``text``, ``tokens``, ``tags``.
    """
    tok = corpus.tokens.select("sentence", "token", pl.col("tag").cast(pl.String),
                               pl.col("source").cast(pl.String))
    texts = sentence_texts(tok)
    extra = tok.group_by("sentence", maintain_order=True).agg(
        pl.col("tag").alias("tags"), pl.col("source").first())
    return texts.join(extra, on="sentence", how="left", maintain_order="left").select(
        "sentence", "source", "text", "tokens", "tags")


def spans_with_offsets(corpus: Corpus) -> pl.DataFrame:
    """``Corpus.spans`` plus ``char_start`` / ``char_end`` in the sentence text.

    The text of a sentence is its tokens joined by one space (``" ".join(tokens)``), so
    ``text[char_start:char_end]`` is the span's tokens joined by one space.
    """
    out = span_offsets(corpus.spans, corpus.tokens.select("sentence", "position", "token"))
    return out.with_columns(pl.col("char_start", "char_end").cast(pl.UInt32))


def to_hf(corpus: Corpus, *, splits: bool = False, label_names: list[str] | None = None) -> Any:
    """A HF ``datasets.Dataset`` (``id``, ``tokens``, ``ner_tags`` with ``ClassLabel`` names), or
    with ``splits=True`` a ``DatasetDict`` with one split per ``source``.

    The names are ``O`` then ``B-X``, ``I-X`` for every label in sorted order, unless
    ``label_names`` gives them (e.g. the names of the dataset the corpus came from).
    """
    from .io.hf import to_hf as _to_hf

    return _to_hf(sentence_table(corpus), corpus.labels(), by="source" if splits else None,
                  label_names=label_names)


def _vocab(nlp_or_vocab: Any) -> Any:
    from .io.spacy_io import needs_spacy

    needs_spacy()
    if nlp_or_vocab is None:
        from spacy.vocab import Vocab

        return Vocab()
    return getattr(nlp_or_vocab, "vocab", nlp_or_vocab)


def to_spacy(corpus: Corpus, nlp_or_vocab: Any = None) -> list[Any]:
    """One spaCy ``Doc`` per sentence with ``doc.ents`` = ``Corpus.spans`` (valid in any
    scheme)."""
    from .io.spacy_io import frame_to_docs

    return frame_to_docs(sentence_table(corpus), corpus.spans, _vocab(nlp_or_vocab))


def to_docbin(corpus: Corpus, path: str | os.PathLike | None = None,
              nlp_or_vocab: Any = None) -> Any:
    """A spaCy ``DocBin`` of :func:`to_spacy`'s docs, saved to ``path`` when given."""
    from spacy.tokens import DocBin

    db = DocBin(docs=to_spacy(corpus, nlp_or_vocab), store_user_data=False)
    if path is not None:
        from .io.writer import atomic_write

        atomic_write(Path(path), db.to_bytes())
    return db


def to_displacy(corpus: Corpus) -> list[dict]:
    """displaCy's manual format, one item per sentence:
    ``{"text", "ents": [{"start", "end", "label"}], "title": None}`` (character offsets).

    Use ``spacy.displacy.render(c.to_displacy(), style="ent", manual=True)``.
    """
    from .io.spacy_io import displacy_records

    return displacy_records(sentence_table(corpus), spans_with_offsets(corpus))


def to_annotations(corpus: Corpus, path: str | os.PathLike | None = None, *,
                   tool: str = "doccano") -> list[dict]:
    """Records for an annotation tool (``"doccano"``, ``"label_studio"`` or ``"argilla"``):
    the sentence text, character spans and, to come back token for token, ``tokens``, ``source``
    and ``sentence``.  Written as JSON lines when ``path`` is given (a ``.json`` path gets one
    JSON list, the file Label Studio imports)."""
    if tool not in TOOLS:
        raise ValueError(f"tool={tool!r}; expected one of {', '.join(TOOLS)}")
    records = records_for(sentence_table(corpus), spans_with_offsets(corpus), tool)
    if path is not None:
        from .io.writer import atomic_write

        target = Path(path)
        atomic_write(target, write_records(records, target,
                                           as_list=target.suffix.lower() == ".json"))
    return records


def write_by_suffix(corpus: Corpus, path: str | os.PathLike | None,
                    files: list[tuple[Path | None, str]], *, backup: bool = True
                    ) -> list[Path] | None:
    """Write ``corpus`` when the target is not a column text file (by suffix), else None.

    ``.parquet``/``.arrow``/``.ipc``/``.feather``: the ``Corpus.tokens`` table;
    ``.jsonl``: doccano (or the tool the file was read from); ``.json``: Label Studio;
    ``.spacy``: a DocBin.  Without ``path`` (save in place) a corpus read from such a file is
    written back in its format (the first in-place save keeps ``<file>.bak`` with ``backup``).
    ``files`` lists the corpus's (path, dialect) per source file.
    """
    dialect = None
    if path is None:
        if len(files) != 1 or files[0][0] is None:
            return None
        target, dialect = files[0]
    else:
        target = Path(path)
        if len(files) == 1 and files[0][0] is not None and target.exists() \
                and target.resolve() == Path(files[0][0]).resolve():
            dialect = files[0][1]
    suffix = target.suffix.lower()
    if suffix not in TABLE_SUFFIXES and suffix not in JSON_SUFFIXES and suffix != ".spacy":
        return None
    from .io.writer import atomic_write

    bak = target.with_name(target.name + ".bak")
    if path is None and backup and target.exists() and not bak.exists():
        atomic_write(bak, target.read_bytes())  # a full disk never leaves a truncated .bak
    if suffix in TABLE_SUFFIXES:
        atomic_write(target, table_bytes(corpus.tokens, target))
    elif suffix in JSON_SUFFIXES:
        tool = dialect if dialect in TOOLS else JSON_SUFFIXES[suffix]
        to_annotations(corpus, target, tool=tool)
    else:
        to_docbin(corpus, target)
    return [target]


# ------------------------------------------------------------------ Dataset-like access
def _row(table: pl.DataFrame, i: int) -> dict:
    r = table.row(i, named=True)
    return {"id": r["sentence"], "tokens": r["tokens"], "ner_tags": r["tags"],
            "source": r["source"]}


def get_item(corpus: Corpus, key: int | slice) -> Any:
    """``c[i]``: the ``i``-th sentence of the view as ``{"id", "tokens", "ner_tags", "source"}``
    (IOB2 tags as strings); ``c[a:b]``: a view on those sentences."""
    ids = corpus.sentence_ids()
    if isinstance(key, slice):
        return corpus.filter(sentences=ids[key])
    if not isinstance(key, int):
        raise TypeError(f"Corpus indices must be integers or slices, not {type(key).__name__}")
    n = ids.len()
    i = key + n if key < 0 else key
    if not 0 <= i < n:
        raise IndexError(f"sentence index {key} out of range for {n} sentences")
    one = corpus.filter(sentences=ids[i:i + 1])
    return _row(sentence_table(one), 0)


def iter_rows(corpus: Corpus, batch: int = 2_000) -> Iterator[dict]:
    """Iterate over the sentences of the view as :func:`get_item` dicts (built a batch at a
    time)."""
    ids = corpus.sentence_ids()
    for lo in range(0, ids.len(), batch):
        table = sentence_table(corpus.filter(sentences=ids[lo:lo + batch]))
        for i in range(table.height):
            yield _row(table, i)
