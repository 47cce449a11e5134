"""Write a corpus back in its own dialect, changing only the tag fields that changed."""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

import polars as pl

from .. import schemes

SCHEME_ALIASES = {"BIOES": "BIOES", "IOBES": "BIOES", "BILOU": "BILOU", "BMES": "BMES"}


def file_tags(tok: pl.DataFrame, file_scheme: str, target: str | None = None) -> pl.DataFrame:
    """Tags of ``tok`` rows in ``target`` scheme (default: the file's), and which lines change.

    Returns a frame with ``_new`` (the tag field to write) and ``_changed`` (bool).  With the file's
    own scheme a line changes only when the edit changed its tag *in that scheme* (so an IOB2 file's
    orphan ``I-X`` that nobody touched is written exactly as it was); with another scheme every tag
    is converted.
    """
    target = target or file_scheme
    if target == file_scheme == "IOB2":
        # the IOB2 tag column is the file's tag column: write what is there, nothing else
        now, was = pl.col("tag").cast(pl.String), pl.col("_orig").cast(pl.String)
        out = tok.select(now.alias("_new"), (now != was).fill_null(True).alias("_changed"))
        return out
    conv_now = schemes.from_iob2(pl.col("tag").cast(pl.String), pl.col("sentence"), target)
    if target == file_scheme:
        conv_orig = schemes.from_iob2(pl.col("_orig").cast(pl.String), pl.col("sentence"), target)
        out = tok.select(conv_now.alias("_new"), conv_orig.alias("_was"))
        # a token whose IOB2 tag changed is rewritten too: an IOB2 file keeps orphan I- tags as
        # written, so the converted old tag can equal the new one while the file field differs
        changed = (out["_new"] != out["_was"]) | (tok["tag"] != tok["_orig"])
    else:
        out = tok.select(conv_now.alias("_new"), pl.col("_field").cast(pl.String).alias("_was"))
        changed = out["_new"] != out["_was"]
    return pl.DataFrame({"_new": out["_new"], "_changed": changed})


def render_lines(lines: pl.Series, tok: pl.DataFrame, new: pl.DataFrame) -> pl.Series:
    """Return ``lines`` with the tag field of every changed token line replaced."""
    rows = pl.concat(
        [tok.select("line", pl.col("_field").cast(pl.String), "_off",
                    *(["_has_key"] if "_has_key" in tok.columns else [])), new],
        how="horizontal",
    ).filter(pl.col("_changed"))
    if rows.height == 0:
        return lines
    idx = (rows["line"] - 1).cast(pl.UInt32)
    old = lines.gather(idx)
    frame = rows.with_columns(old.alias("_raw"))
    has_key = pl.col("_has_key") if "_has_key" in frame.columns else pl.lit(True)
    replaced = pl.concat_str(
        pl.col("_raw").str.slice(0, pl.col("_off")),
        pl.col("_new"),
        pl.col("_raw").str.slice(pl.col("_off") + pl.col("_field").str.len_chars()),
    )
    # CoNLL-U token without a name= entry: add one to MISC
    added = (
        pl.when(pl.col("_raw").str.ends_with("\t_"))
        .then(pl.col("_raw").str.slice(0, pl.col("_raw").str.len_chars() - 1) + "name="
              + pl.col("_new"))
        .otherwise(pl.col("_raw") + "|name=" + pl.col("_new"))
    )
    new_lines = frame.select(pl.when(has_key).then(replaced).otherwise(added)).to_series()
    out = lines.clone()
    out.scatter(idx, new_lines)
    return out


def plain_lines(tok: pl.DataFrame, tags: pl.Series) -> pl.Series:
    """Lines of a ``token<TAB>tag`` file, blank lines between sentences (in-memory corpora)."""
    body = tok.select(
        "sentence", (pl.col("token") + "\t" + tags).alias("l")
    ).group_by("sentence", maintain_order=True).agg(pl.col("l").str.join("\n"))
    return body["l"]


def write_all(fd: int, data: bytes) -> None:
    """``os.write`` until every byte of ``data`` is written (a short write is not an error)."""
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        if n <= 0:  # pragma: no cover - a zero-byte write on a regular file
            raise OSError(errno.EIO, "write made no progress")
        view = view[n:]


def fsync_dir(folder: Path) -> None:
    """Make a rename or a new file in ``folder`` durable (no-op where folders cannot be opened)."""
    try:
        fd = os.open(folder or ".", os.O_RDONLY)
    except OSError:  # pragma: no cover - e.g. Windows
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover - some file systems refuse
        pass
    finally:
        os.close(fd)


def write_temp(path: Path, data: bytes) -> Path:
    """Write ``data`` durably to a new temporary file next to ``path``; returns its path."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or ".")
    try:
        try:
            write_all(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o7777)
    except BaseException:
        os.unlink(tmp)
        raise
    return Path(tmp)


def replace_into(tmp: Path, path: Path) -> None:
    """Atomically move ``tmp`` (from :func:`write_temp`) onto ``path`` and make it durable."""
    os.replace(tmp, path)
    fsync_dir(Path(path).parent)


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in its folder and an atomic rename.

    A crash or a full disk leaves either the old file or the new one, never a part of it.
    """
    tmp = write_temp(path, data)
    try:
        replace_into(tmp, Path(path))
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
