"""Reopen cache: a binary snapshot of a parsed corpus, so that the second ``bx.read`` is a load.

``bx.read(path)`` keeps what it parsed — the internal token frame (tokens, IOB2 tags and the
writer's bookkeeping columns), the spans, the sentence index and per-file layout — as Arrow IPC
files in ``<state folder>/cache/<key>/`` (see :func:`bio_explorer.journal.state_dir`); never next
to the data.  The key covers the read options and, for every file, its resolved path, size,
modification time and a fast non-cryptographic hash of all its bytes (``xxhash`` when installed —
``pip install bio-explorer[fast]`` — else ``zlib.crc32``), so any change of a file, even one
byte with size and mtime restored, misses.  The file is read anyway on a hit: its bytes are what
the writer rewrites, so hashing them costs one pass over memory.

Entries are checked before use (format version, key, and a hash of every Arrow file); anything
that does not check out is deleted and the corpus parsed again.  ``$BIO_EXPLORER_CACHE=0`` turns
the cache off unless ``bx.read(..., cache=True)`` asks for it.  The folder is bounded
(:data:`MAX_BYTES`, ``$BIO_EXPLORER_CACHE_MB``): least recently used entries go first.  Snapshots
are written by a background thread so that the first read does not wait for the disk.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import mmap
import os
import shutil
import threading
import time
import warnings
import zlib
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import polars as pl

from .journal import state_dir

if TYPE_CHECKING:
    from .corpus import Corpus

__all__ = [
    "MAX_BYTES", "MIN_BYTES", "cache_dir", "clear", "content_hash", "content_hasher", "load",
    "read_cached", "restore_layout", "store", "wait",
]

FORMAT = 1
MAX_BYTES = int(float(os.environ.get("BIO_EXPLORER_CACHE_MB", "4096")) * 1e6)
MIN_BYTES = 1_000_000  # smaller inputs parse faster than a snapshot is worth
_FRAMES = ("tok", "spans", "sent")
_pending: list[threading.Thread] = []

try:  # the optional ``fast`` extra
    import xxhash

    def content_hash(data: bytes | mmap.mmap) -> str:
        """A fast non-cryptographic hash of ``data`` (xxh3-128, or crc32 without xxhash)."""
        return "xxh3:" + xxhash.xxh3_128_hexdigest(data)

    def content_hasher():
        """A streaming form of :func:`content_hash` (``update(bytes)``, ``hexdigest()``)."""
        return xxhash.xxh3_128()

except ImportError:  # pragma: no cover - exercised without the extra

    def content_hash(data: bytes | mmap.mmap) -> str:
        """A fast non-cryptographic hash of ``data`` (xxh3-128, or crc32 without xxhash)."""
        return f"crc32:{zlib.crc32(data):08x}:{zlib.adler32(data):08x}"

    class content_hasher:
        """A streaming form of :func:`content_hash` (``update(bytes)``, ``hexdigest()``)."""

        def __init__(self) -> None:
            self.crc, self.adler = 0, 1

        def update(self, data: bytes) -> None:
            self.crc, self.adler = zlib.crc32(data, self.crc), zlib.adler32(data, self.adler)

        def hexdigest(self) -> str:
            return f"{self.crc:08x}{self.adler:08x}"


def _read_ipc(path: Path) -> pl.DataFrame:
    try:  # memory-mapped and zero-copy where the types allow: about twice as fast
        import pyarrow as pa
        import pyarrow.ipc
    except ImportError:  # pragma: no cover - pyarrow is in the ``fast`` extra
        return pl.read_ipc(path)
    with pa.memory_map(str(path)) as source:
        table = pyarrow.ipc.open_file(source).read_all()
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    return frame


def cache_dir() -> Path:
    """The folder holding the snapshots: ``<state folder>/cache``."""
    return state_dir() / "cache"


class Lookup:
    """What :func:`load` learnt about the files: the key to :func:`store` a parse under."""

    def __init__(self, key: str | None, files: list[tuple[Path, bytes]]) -> None:
        self.key = key
        self.files = files  # (path, bytes) of every file, read once for the hash


def _file_key(path: Path, data: bytes, st: os.stat_result) -> dict:
    return {"path": str(path.resolve()), "size": st.st_size, "mtime": st.st_mtime_ns,
            "hash": content_hash(data)}


def read_cached(paths: list[Path], options: dict, parse: Callable[[], Corpus], *,
                force: bool = False) -> Corpus:
    """The snapshot of ``paths`` read with ``options`` when valid, else ``parse()`` (stored).

    Parameters
    ----------
    paths : list of Path
        The files, in reading order.
    options : dict
        Every read option that changes the parse.
    parse : callable
        Parses the files without the cache.
    force : bool
        Use the cache even when ``$BIO_EXPLORER_CACHE`` is ``0`` (which turns the default off).
    """
    if not force and os.environ.get("BIO_EXPLORER_CACHE", "1") == "0":
        corpus, said = _parse_warned(parse)
    else:
        corpus, lookup = load(paths, options)
        if corpus is not None:
            said = corpus.state.cache.pop("_reader_warnings", [])
        else:
            corpus, said = _parse_warned(parse)
            store(lookup, corpus, said)
    for category, message in said:  # the reader's warnings, on a reopen too, at bx.read's caller
        warnings.warn(message, _warning_class(category), stacklevel=3)
    return corpus


def _parse_warned(parse: Callable[[], Corpus]) -> tuple[Corpus, list[tuple[str, str]]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        corpus = parse()
    return corpus, [(f"{w.category.__module__}:{w.category.__qualname__}", str(w.message))
                    for w in caught]


def _warning_class(name: str) -> type[Warning]:
    import importlib

    module, _, qual = name.partition(":")
    try:
        found = getattr(importlib.import_module(module), qual)
    except (ImportError, AttributeError):
        return UserWarning
    return found if isinstance(found, type) and issubclass(found, Warning) else UserWarning


def load(paths: list[Path], options: dict) -> tuple[Corpus | None, Lookup]:
    """The cached corpus for ``paths`` read with ``options``, or ``None`` (and the key).

    Parameters
    ----------
    paths : list of Path
        The files, in reading order.
    options : dict
        Every read option that changes the parse (JSON-serialisable).

    Returns
    -------
    (Corpus or None, Lookup)
        The corpus on a valid hit; the lookup carries the key to :func:`store` a fresh parse.
    """
    try:
        stats = [os.stat(p) for p in paths]
    except OSError:
        return None, Lookup(None, [])
    if sum(s.st_size for s in stats) < MIN_BYTES:
        return None, Lookup(None, [])
    files = []
    described = []
    for path, st in zip(paths, stats, strict=True):
        data = path.read_bytes()
        if len(data) != st.st_size:  # changing while we read: do not cache
            return None, Lookup(None, [])
        files.append((path, data))
        described.append(_file_key(path, data, st))
    blob = json.dumps({"format": FORMAT, "options": options, "files": described},
                      sort_keys=True, default=str)
    key = hashlib.sha1(blob.encode("utf-8")).hexdigest()
    lookup = Lookup(key, files)
    folder = cache_dir() / key
    if not folder.is_dir():
        return None, lookup
    try:
        corpus = _restore(folder, key, files)
    except Exception:  # corrupt, truncated, foreign or from another version: never trusted
        corpus = None
    if corpus is None:
        shutil.rmtree(folder, ignore_errors=True)
        return None, lookup
    with contextlib.suppress(OSError):
        os.utime(folder)  # most recently used
    return corpus, lookup


def _restore(folder: Path, key: str, files: list[tuple[Path, bytes]]) -> Corpus | None:
    from .corpus import Corpus
    from .io import FileRecord
    from .io.lines import BOM, RawText, start_digest
    meta = json.loads((folder / "meta.json").read_text("utf-8"))
    if meta.get("format") != FORMAT or meta.get("key") != key:
        return None
    if len(meta["files"]) != len(files):
        return None
    frames = {}
    for name in _FRAMES:
        path = folder / f"{name}.arrow"
        with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
            if content_hash(mm) != meta["hashes"][name]:  # pages hashed here are read below
                return None
        frames[name] = _read_ipc(path)
    records = []
    for info, (path, data) in zip(meta["files"], files, strict=True):
        raw_info = info["raw"]
        body = data[len(BOM):] if raw_info["bom"] else data
        raw = RawText(None, raw_info["newline"], raw_info["final_newline"], raw_info["bom"],
                      raw_info["encoding"], body, [], cr_in_lines=raw_info["cr_in_lines"],
                      _digest=start_digest(body, raw_info["bom"]))
        parsed = SimpleNamespace(layout=restore_layout(info["layout"]), n_docs=info["n_docs"])
        records.append(FileRecord(path, info["name"], raw, parsed, info["scheme"]))
        if info.get("evidence"):
            from .schemes import SchemeEvidence

            records[-1].evidence = SchemeEvidence(**info["evidence"])
    problems = pl.DataFrame(meta["problems"], schema={
        "source": pl.String, "line": pl.UInt32, "kind": pl.String, "message": pl.String})
    tok = frames["tok"].with_columns(pl.col("tag").alias("_orig"))
    corpus = Corpus.from_snapshot(tok, records, meta["scheme"], problems,
                                  spans=frames["spans"], sentences=frames["sent"])
    corpus.state.cache["_reader_warnings"] = [tuple(w) for w in meta.get("warnings", [])]
    return corpus


def restore_layout(fields: dict):
    """A :class:`~bio_explorer.io.text.Layout` from ``vars(layout)`` (extra attributes too)."""
    import dataclasses

    from .io.text import Layout

    names = {f.name for f in dataclasses.fields(Layout)}
    layout = Layout(**{k: v for k, v in fields.items() if k in names})
    for k, v in fields.items():
        if k not in names:
            setattr(layout, k, v)
    return layout


def store(lookup: Lookup, corpus: Corpus, said: list | None = None) -> None:
    """Snapshot a freshly parsed ``corpus`` under ``lookup.key`` (in a background thread).

    Nothing is stored for inputs under :data:`MIN_BYTES`, for files whose text is not kept as
    their own bytes (other encodings, replaced undecodable bytes), or when a file changed while
    it was read.
    """
    if lookup.key is None:
        return
    st = corpus.state
    infos = []
    from .io.lines import BOM

    for rec, (path, data) in zip(st.files, lookup.files, strict=True):
        raw = rec.raw
        if raw is None or raw.problems or rec.stat is None or rec.stat[1] != len(data):
            return
        body = data[len(BOM):] if raw.bom else data
        if raw.utf8 != body:
            return
        infos.append({
            "name": rec.name, "path": str(path), "scheme": rec.scheme, "n_docs": rec.n_docs,
            "layout": vars(rec.layout),
            "evidence": ev.as_dict() if (ev := getattr(rec, "evidence", None)) else None,
            "raw": {"newline": raw.newline, "final_newline": raw.final_newline, "bom": raw.bom,
                    "encoding": raw.encoding, "cr_in_lines": raw.cr_in_lines},
        })
    # the columns a fast read left out are read in the writing thread, from the rows as they
    # are now (edits never change them)
    tok, deferred = st.tok, st.deferred
    frames = {"tok": lambda: (tok if deferred is None else deferred.apply(tok)).drop("_orig"),
              "spans": corpus.spans, "sent": st.sent}
    meta = {"format": FORMAT, "key": lookup.key, "scheme": st.scheme, "files": infos,
            "problems": st.problems.to_dicts(), "warnings": said or []}
    thread = threading.Thread(target=_write, args=(lookup.key, frames, meta),
                              name="bio_explorer-cache", daemon=False)
    _pending.append(thread)
    thread.start()


def _write(key: str, frames: dict[str, Any], meta: dict) -> None:
    root = cache_dir()
    tmp = root / f".{key}.{os.getpid()}.{threading.get_ident()}.tmp"
    try:
        tmp.mkdir(parents=True, exist_ok=True)
        hashes = {}
        for name, frame in frames.items():
            if callable(frame):
                frame = frame()
            data = frame.write_ipc(None, compat_level=pl.CompatLevel.newest()).getvalue()
            hashes[name] = content_hash(data)
            (tmp / f"{name}.arrow").write_bytes(data)
            del data
        meta["hashes"] = hashes
        (tmp / "meta.json").write_text(json.dumps(meta), "utf-8")
        final = root / key
        if final.exists():
            shutil.rmtree(final, ignore_errors=True)
        os.rename(tmp, final)
    except OSError:
        pass
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    prune()


def prune(max_bytes: int | None = None) -> None:
    """Delete least recently used snapshots until the cache holds at most ``max_bytes``."""
    limit = MAX_BYTES if max_bytes is None else max_bytes
    root = cache_dir()
    if not root.is_dir():
        return
    entries = []
    now = time.time()
    for entry in root.iterdir():
        try:
            if entry.name.endswith(".tmp"):  # a write that died with its process
                if now - entry.stat().st_mtime > 3600:
                    shutil.rmtree(entry, ignore_errors=True)
                continue
            size = sum(f.stat().st_size for f in entry.iterdir()) if entry.is_dir() else 0
            entries.append((entry.stat().st_mtime, size, entry))
        except OSError:
            continue
    total = sum(e[1] for e in entries)
    for _, size, entry in sorted(entries, key=lambda e: e[0]):
        if total <= limit:
            break
        shutil.rmtree(entry, ignore_errors=True)
        total -= size


def wait() -> None:
    """Wait until every snapshot started by :func:`store` is on disk."""
    while _pending:
        _pending.pop().join()


def clear() -> None:
    """Delete every snapshot."""
    wait()
    shutil.rmtree(cache_dir(), ignore_errors=True)
