"""Edits on a :class:`~bio_explorer.lazy.LazyCorpus`: a tag overlay, and a streaming save.

An edit runs the eager edit operation (:mod:`bio_explorer.edits`, same rules) on a throw-away
corpus of the one sentence it touches; the tags it changed go to the overlay — rows
``(sentence, position, tag)`` (IOB2) kept in memory and appended to ``_overlay.jsonl`` in the
dataset folder (flushed and fsync-ed, like the journal), so a crashed kernel loses nothing.  The
Parquet parts are never rewritten: pages, filters and aggregates read them with the overlay on top
(parts without an edited sentence use their stored partial aggregates).

:func:`write` streams every source file part by part: a part with no edited sentence is copied as
bytes; the others are split into lines and rewritten by the eager writer's functions, which
change only tag fields.  The result equals what ``Corpus.write`` writes for the same edits.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

if TYPE_CHECKING:
    from .lazy import LazyCorpus

__all__ = ["OVERLAY", "Overlay", "write"]

OVERLAY = "_overlay.jsonl"
_SCHEMA = {"sentence": pl.UInt32, "position": pl.UInt32, "tag": pl.String}


class Overlay:
    """Edited tags of a dataset: the latest tag of every edited ``(sentence, position)``."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / OVERLAY
        self.frame = pl.DataFrame(schema=_SCHEMA)
        #: edits recorded since this overlay was opened (a data version for the widgets)
        self.version = 0
        #: ``version`` at the last :func:`write` (None: never written in this session)
        self.saved_version: int | None = None
        if self.path.is_file():
            rows = [json.loads(line) for line in self.path.read_text("utf-8").splitlines()
                    if line.strip()]
            if rows:
                self._merge(pl.DataFrame(rows, schema=_SCHEMA, orient="row"))

    def __len__(self) -> int:
        return self.frame.height

    def _merge(self, rows: pl.DataFrame) -> None:
        both = pl.concat([self.frame, rows])
        self.frame = both.unique(["sentence", "position"], keep="last", maintain_order=True)

    def add(self, rows: pl.DataFrame) -> None:
        """Record new tags (``sentence``, ``position``, ``tag``), durably."""
        rows = rows.select(*(pl.col(k).cast(v) for k, v in _SCHEMA.items()))
        if rows.height == 0:
            return
        with open(self.path, "a", encoding="utf-8") as fh:
            for rec in rows.iter_rows(named=True):  # one line per changed token of one edit
                fh.write(json.dumps(rec) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        self._merge(rows)
        self.version += 1

    def sentences(self) -> pl.Series:
        """Sorted ids of the edited sentences."""
        return self.frame["sentence"].unique().sort()

    def apply(self, tok: pl.DataFrame) -> pl.DataFrame:
        """``tok`` (internal rows) with the overlay's tags in ``tag``, the file's in ``_orig``."""
        tok = tok.with_columns(pl.col("tag").alias("_orig")) if "_orig" not in tok.columns \
            else tok
        if self.frame.height == 0:
            return tok
        new = tok.select("sentence", "position").join(
            self.frame, on=["sentence", "position"], how="left", maintain_order="left")["tag"]
        return tok.with_columns(
            pl.when(new.is_not_null()).then(new).otherwise(pl.col("tag").cast(pl.String))
            .cast(pl.Categorical).alias("tag"))

    def clear(self) -> None:
        """Forget every edit (after a save)."""
        self.frame = self.frame.clear()
        self.path.unlink(missing_ok=True)


def write(lazy: LazyCorpus, path: str | os.PathLike) -> list[Path]:
    """Write the corpus with its overlay to ``path`` (a file for one source file, else a folder).

    Returns the files written.  Source files must be unchanged since the conversion.
    """
    from .io.lines import BOM, join_lines, split_lines
    from .io.writer import file_tags, render_lines

    meta = lazy.meta
    files = meta["files"]
    target = Path(path)
    if len(files) > 1 or target.is_dir():
        target.mkdir(parents=True, exist_ok=True)
        targets = [target / Path(f["name"]).name for f in files]
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        targets = [target]
    edited = set(lazy.overlay.sentences().to_list())
    written = []
    for fi, (info, out) in enumerate(zip(files, targets, strict=True)):
        src = Path(info["path"])
        if src.stat().st_size != info["size"]:
            raise FileExistsError(f"{src} changed since it was converted; run bx.scan() again")
        if info.get("raw") is None:
            raise ValueError(f"{src.name} is a table or annotation file: collect() the corpus "
                             "and use Corpus.write to save it")
        if Path(out).resolve() == src.resolve():
            raise ValueError(f"{out}: a lazy corpus is saved to another path, not in place")
        fd, tmp = tempfile.mkstemp(prefix=f".{Path(out).name}.", suffix=".tmp",
                                   dir=Path(out).parent)
        os.close(fd)
        pos = 0
        with open(src, "rb") as fin, open(tmp, "wb") as fout:
            for i, part in enumerate(meta["parts"]):
                if part["file"] != fi:
                    continue
                shutil.copyfileobj(_take(fin, part["byte_start"] - pos), fout)
                piece = fin.read(part["byte_end"] - part["byte_start"])
                pos = part["byte_end"]
                ids = range(part["first_sentence"], part["last_sentence"] + 1)
                if not any(s in edited for s in ids):
                    fout.write(piece)
                    continue
                rows = lazy.overlay.apply(lazy.part_tokens(i)).with_columns(
                    (pl.col("line") - part["line_offset"]).cast(pl.UInt32))
                raw = split_lines(piece, info["name"], info["raw"]["encoding"])
                new = file_tags(rows, info["scheme"])
                text = join_lines(render_lines(raw.lines, rows, new), raw)
                enc = raw.encoding
                enc = "utf-8" if enc.lower() in ("utf-8-sig", "utf8") else enc
                fout.write((BOM if raw.bom else b"") + text.encode(enc))
            shutil.copyfileobj(fin, fout)
        os.replace(tmp, out)
        written.append(Path(out))
    lazy.overlay.saved_version = lazy.overlay.version
    return written


def _take(fh, n: int):
    """A file-like object reading the next ``n`` bytes of ``fh``."""
    import io

    return io.BytesIO(fh.read(n)) if n > 0 else io.BytesIO(b"")
