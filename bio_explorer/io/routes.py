"""Route inputs that are not column text files: Parquet/IPC tables, JSON(L) annotation files,
spaCy DocBins (by content or suffix) and in-memory objects (HF datasets, spaCy docs, records)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import polars as pl

from ..errors import BioFormatError
from .annotation import detect_tool, load_records, parse_records
from .arrow import read_table, sniff_table, table_columns
from .frames import parse_frame
from .text import Parsed

__all__ = ["from_object", "parse_routed", "sniff"]


def _looks_like_json(data: bytes) -> bool:
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head[:1] not in (b"{", b"["):
        return False
    at = data.find(head[:1])
    end = data.find(b"\n", at)
    first = data[at:end if end >= 0 else len(data)]
    try:
        json.loads(first)
        return True
    except ValueError:
        # a pretty-printed JSON document: its first line alone is not JSON
        return first.strip() in (b"[", b"{") or first.rstrip().endswith((b"[", b"{", b","))


def sniff(data: bytes, path: Path) -> str | None:
    """``"parquet"``/``"ipc"``/``"ipc_stream"``, ``"json"``, ``"spacy"`` or None (a text file)."""
    kind = sniff_table(data)
    if kind:
        return kind
    if path.suffix.lower() == ".spacy":
        return "spacy"
    if _looks_like_json(data):
        return "json"
    return None


_WHAT = {"json": "JSON annotation", "spacy": "spaCy DocBin", "parquet": "Parquet",
         "ipc": "Arrow IPC", "ipc_stream": "Arrow IPC stream"}


def parse_routed(kind: str, data: bytes, path: Path, *, multi_tag: str, errors: str) -> Parsed:
    """Parse a routed file into the token layout of :class:`~bio_explorer.Corpus`.

    Raises
    ------
    BioFormatError
        For anything the file's own decoder refuses (a truncated table, a record whose offsets are
        not integers, bytes that are not UTF-8, ...), naming the file and the format expected.
    """
    try:
        return _parse_routed(kind, data, path, multi_tag=multi_tag, errors=errors)
    except (BioFormatError, ImportError):
        raise
    except Exception as exc:  # the decoders of other formats raise their own exception types
        raise BioFormatError(str(path), None, f"not a readable {_WHAT[kind]} file "
                             f"({type(exc).__name__}: {exc})") from exc


def _parse_routed(kind: str, data: bytes, path: Path, *, multi_tag: str, errors: str) -> Parsed:
    name = str(path)
    if kind == "json":
        rows = load_records(data, name)
        if not rows:
            raise BioFormatError(name, 1, "a JSON file with no records")
        tool = detect_tool(rows[0])
        if tool is None:
            raise BioFormatError(
                name, 1,
                f"a JSON record with keys {sorted(rows[0])[:8]}: expected doccano (text + label), "
                "Label Studio (data + annotations), Argilla (text + spans/annotation, or "
                "fields + responses) or a tokens + ner_tags table",
            )
        if tool == "table":
            df = pl.DataFrame(rows)
            tags = "ner_tags" if "ner_tags" in df.columns else "tags"
            parsed, _ = parse_frame(df, tokens="tokens", tags=tags, multi_tag=multi_tag,
                                    errors=errors, name=name)
            return _tagged(parsed, "jsonl")
        frame = parse_records(rows, tool, name)
        parsed, _ = parse_frame(frame, tokens="token", tags="tag", multi_tag=multi_tag,
                                errors=errors, name=name)
        return _tagged(parsed, tool)
    if kind == "spacy":
        from .spacy_io import docs_to_frame, needs_spacy

        needs_spacy()
        from spacy.tokens import DocBin
        from spacy.vocab import Vocab

        docs = DocBin().from_bytes(data).get_docs(Vocab())
        parsed, _ = parse_frame(docs_to_frame(docs), tokens="token", tags="tag",
                                multi_tag=multi_tag, errors=errors, name=name)
        return _tagged(parsed, "spacy")
    df = read_table(data, kind)
    tokens, tags = table_columns(df)
    parsed, _ = parse_frame(df, tokens=tokens, tags=tags, multi_tag=multi_tag, errors=errors,
                            name=name)
    return _tagged(parsed, kind)


def _tagged(parsed: Parsed, dialect: str) -> Parsed:
    return dataclasses.replace(parsed, layout=dataclasses.replace(parsed.layout, dialect=dialect))


def from_object(source: Any, tokens: str, tags: str
                ) -> tuple[Any, list[str] | None, str, str] | None:
    """Turn an in-memory object into ``(table, label_names, tokens, tags)`` for
    :func:`~bio_explorer.io.frames.parse_frame`, or None when ``source`` is a path or a table.

    Understood: a HF ``Dataset``/``DatasetDict``, a spaCy ``Doc``/``DocBin``/list of ``Doc``,
    and a list of dicts (records with ``tokens`` and ``ner_tags``).
    """
    from .hf import from_hf, is_hf
    from .spacy_io import docs_to_frame, is_spacy_object

    if is_hf(source):
        df, names = from_hf(source, tokens=tokens, tags=tags)
        return df, names, tokens, tags
    if is_spacy_object(source):
        if type(source).__name__ == "DocBin":
            from spacy.vocab import Vocab

            docs = list(source.get_docs(Vocab()))
        else:
            docs = [source] if type(source).__name__ == "Doc" else list(source)
        return docs_to_frame(docs), None, "token", "tag"
    if isinstance(source, (list, tuple)) and source and isinstance(source[0], dict):
        return pl.DataFrame(list(source)), None, tokens, tags
    return None
