"""Parquet and Arrow IPC token tables, in and out.

A table is read in either shape :func:`~bio_explorer.io.frames.parse_frame` understands: one row
per token (the shape of ``Corpus.tokens``: ``sentence``, ``token``, ``tag`` and optionally
``source``, ``doc``, …) or one row per sentence with ``tokens`` / ``ner_tags`` list columns.
"""

from __future__ import annotations

import io
from pathlib import Path

import polars as pl

__all__ = ["TABLE_SUFFIXES", "read_table", "table_bytes", "table_columns"]

TABLE_SUFFIXES = {".parquet": "parquet", ".pq": "parquet", ".arrow": "ipc", ".ipc": "ipc",
                  ".feather": "ipc", ".arrows": "ipc_stream"}

PARQUET_MAGIC = b"PAR1"
IPC_MAGIC = b"ARROW1"
IPC_STREAM_MAGIC = b"\xff\xff\xff\xff"


def sniff_table(data: bytes) -> str | None:
    """``"parquet"``, ``"ipc"`` or ``"ipc_stream"`` from the first bytes, else None."""
    if data[:4] == PARQUET_MAGIC:
        return "parquet"
    if data[:6] == IPC_MAGIC:
        return "ipc"
    if data[:4] == IPC_STREAM_MAGIC and len(data) > 8:
        return "ipc_stream"
    return None


def read_table(data: bytes, kind: str) -> pl.DataFrame:
    """Decode a Parquet / IPC file held in ``data``."""
    buf = io.BytesIO(data)
    if kind == "parquet":
        return pl.read_parquet(buf)
    if kind == "ipc":
        return pl.read_ipc(buf)
    return pl.read_ipc_stream(buf)


def table_columns(df: pl.DataFrame) -> tuple[str, str]:
    """The (tokens, tags) column names of a table: ``token``/``tag`` (``Corpus.tokens``) or
    ``tokens``/``ner_tags`` (HF), whichever is there."""
    for tokens, tags in (("token", "tag"), ("tokens", "ner_tags"), ("tokens", "tags")):
        if tokens in df.columns and tags in df.columns:
            return tokens, tags
    return "tokens", "ner_tags"  # parse_frame names the missing columns


def table_bytes(tokens: pl.DataFrame, path: Path) -> bytes:
    """A token table encoded as Parquet or Arrow IPC, chosen by the suffix of ``path``."""
    kind = TABLE_SUFFIXES[Path(path).suffix.lower()]
    buf = io.BytesIO()
    if kind == "parquet":
        tokens.write_parquet(buf)
    elif kind == "ipc":
        tokens.write_ipc(buf)
    else:
        tokens.write_ipc_stream(buf)
    return buf.getvalue()
