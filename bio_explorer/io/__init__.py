"""Parsing BIO corpora from files and tables into parts (``bio_explorer.read`` builds the corpus:
see :mod:`bio_explorer.reading`)."""

from __future__ import annotations

import glob
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..errors import BioFormatError
from .conllu import looks_like_conllu, parse_conllu
from .frames import parse_frame
from .lines import RawText, line_end, split_lines
from .options import check_columns, check_path, check_sep, normalise_scheme
from .routes import from_object, parse_routed, sniff
from .text import Parsed, parse_text

__all__ = ["FileRecord", "expand_source"]

FORMATS = ("auto", "conll", "tsv", "seed", "conllu")


class FileRecord:
    """One source file of a corpus: what is needed to write it back byte for byte."""

    def __init__(self, path: Path | None, name: str, raw: Any, parsed: Parsed, scheme: str) -> None:
        self.path = path
        self.name = name
        self.raw = raw  # RawText or None for in-memory tables
        self.layout = parsed.layout
        self.scheme = scheme
        self.stat = _stat(path) if path is not None else None
        self.n_docs = parsed.n_docs

    def changed_on_disk(self) -> bool:
        """True when the file was modified or replaced since it was read."""
        return self.path is not None and _stat(self.path) != self.stat


def _stat(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return (st.st_mtime_ns, st.st_size)


def expand_source(source: Any) -> list[Path]:
    if isinstance(source, (str, os.PathLike)):
        text = os.fspath(source)
        if any(ch in text for ch in "*?[") and not os.path.exists(text):
            hits = sorted(h for h in glob.glob(text, recursive=True) if not os.path.isdir(h))
            if not hits:
                raise FileNotFoundError(f"no file matches {text!r}")
            return [Path(h) for h in hits]
        return [Path(text)]
    return [p for item in source for p in expand_source(item)]


def _parse_file(path: Path, *, format: str, sep: str, token_col: int | None, tag_col: int | None,
                encoding: str, multi_tag: str, errors: str, strict: bool) -> tuple[Any, Parsed]:
    if format not in FORMATS:
        raise ValueError(f"format={format!r}; expected one of {', '.join(FORMATS)}")
    check_path(path)
    data = path.read_bytes()
    routed = sniff(data, path) if format == "auto" else None
    if routed:  # Parquet/IPC table, JSON(L) annotation file, spaCy DocBin
        return None, parse_routed(routed, data, path, multi_tag=multi_tag, errors=errors)
    raw = split_lines(data, str(path), encoding, errors, defer=True)
    del data
    if format == "conllu" or (format == "auto" and _may_be_conllu(raw)
                              and looks_like_conllu(raw.head(2000))):
        parsed = parse_conllu(raw, str(path), multi_tag=multi_tag, errors=errors)
    else:
        parsed = parse_text(raw, str(path), sep=sep, token_col=token_col, tag_col=tag_col,
                            multi_tag=multi_tag, errors=errors, strict=strict)
    raw.release_lines()  # keep the text once, as bytes (the writer rebuilds lines on demand)
    return raw, parsed


def _may_be_conllu(raw: RawText) -> bool:
    """False when the first 2,000 lines hold no TAB (then they cannot be CoNLL-U); a search of
    the bytes, cheaper than splitting those lines."""
    data = raw.utf8
    if not data:
        return True  # (decoded text only: let the line check decide)
    end = line_end(data, 2000)
    return b"\t" in (data if end is None else data[:end])


def read_parts(
    source: Any,
    *,
    format: str = "auto",
    sep: str = "auto",
    token_col: int | None = None,
    tag_col: int | None = None,
    scheme: str = "auto",
    encoding: str = "utf-8",
    multi_tag: str = "error",
    errors: str = "raise",
    strict: bool = True,
    tokens: str = "tokens",
    tags: str = "ner_tags",
    label_names: Sequence[str] | None = None,
    progress: bool | None = None,
) -> tuple[list[tuple[Any, Parsed, str, Path | None]], str]:
    """Parse ``source`` into per-file parts (see :func:`bio_explorer.read` for the parameters).

    Returns
    -------
    parts : list of (raw, parsed, name, path)
        One entry per file (or table): the raw text (``None`` for tables), the parsed tokens, the
        display name and the path.
    scheme : str
        The checked ``scheme`` argument.
    """
    scheme, sep = check_options(errors=errors, multi_tag=multi_tag, scheme=scheme, sep=sep,
                                token_col=token_col, tag_col=tag_col)
    obj = from_object(source, tokens, tags)  # HF Dataset(Dict), spaCy docs, list of records
    if obj is not None:
        source, names, tokens, tags = obj
        label_names = label_names if label_names is not None else names
    parts: list[tuple[Any, Parsed, str, Path | None]] = []
    is_table = not isinstance(source, (str, os.PathLike, list, tuple))
    if is_table:
        parsed, _ = parse_frame(source, tokens=tokens, tags=tags, label_names=label_names,
                                         multi_tag=multi_tag, errors=errors)
        parts.append((None, parsed, "<DataFrame>", None))
    else:
        paths = expand_source(source)
        total = sum(p.stat().st_size for p in paths if p.exists())
        bar = _progress(total, progress)
        for path in paths:
            raw, parsed = _parse_file(path, format=format, sep=sep, token_col=token_col,
                                      tag_col=tag_col, encoding=encoding, multi_tag=multi_tag,
                                      errors=errors, strict=strict)
            parts.append((raw, parsed, path.name, path))
            if bar is not None:
                bar.update(path.stat().st_size)
        if bar is not None:
            bar.close()
        names = [p[2] for p in parts]
        if len(set(names)) != len(names):  # same file name in two folders: use the relative path
            parts = [(r, pr, str(pa), pa) for r, pr, _, pa in parts]

    return parts, scheme


def check_options(*, errors: str, multi_tag: str, scheme: str, sep: str, token_col: int | None,
                  tag_col: int | None) -> tuple[str, str]:
    """Check the read options; returns the normalised ``scheme`` and ``sep``."""
    if errors not in ("raise", "collect"):
        raise ValueError(f"errors={errors!r}; expected 'raise' or 'collect'")
    if multi_tag not in ("error", "first", "keep"):
        raise ValueError(f"multi_tag={multi_tag!r}; expected 'error', 'first' or 'keep'")
    scheme = normalise_scheme(scheme)
    sep = check_sep(sep)
    check_columns(token_col=token_col, tag_col=tag_col)
    return scheme, sep


def names_files(source: Any) -> bool:
    """True when ``source`` is a path or glob, or a (nested) list of them: not a table/object."""
    if isinstance(source, (str, os.PathLike)):
        return True
    return isinstance(source, (list, tuple)) and all(names_files(s) for s in source)


def _progress(total: int, progress: bool | None):
    if progress is False or (progress is None and total < 20_000_000):
        return None
    from ..progress import Progress

    return Progress(total, "reading", unit="B")


__all__ += ["BioFormatError", "check_options", "names_files", "read_parts"]
