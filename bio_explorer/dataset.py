"""Converting BIO files to a Parquet dataset, in parts aligned to sentences (see :mod:`.lazy`).

A dataset is a folder::

    _bio_dataset.json          format, read options, scheme, source files, parts
    tokens/part-00000.parquet  internal token rows: Corpus.tokens columns + what the writer needs
    spans/part-00000.parquet   sentence, start, end, label, text
    sentences/part-00000.parquet
    anomalies/part-00000.parquet   the local anomaly kinds of the part
    labels/part-00000.parquet      per-part partial aggregates, merged by the lazy corpus
    transitions/part-00000.parquet
    span_texts/part-00000.parquet

A file is cut into parts at blank lines (about ``part_mb`` MB each), so no sentence straddles two
parts: every per-sentence aggregate of the whole dataset is the merge of the parts' aggregates.
Each part is parsed by the eager reader, so tokens, tags and writer bookkeeping are exactly what
``bx.read`` gives; only sentence, document and line numbers are shifted by the parts before it.
The first part of a file fixes its layout and scheme for the others.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from .cache import content_hasher

__all__ = ["FORMAT", "META", "TABLES", "convert", "dataset_signature", "part_name"]

FORMAT = 1
META = "_bio_dataset.json"
TABLES = ("tokens", "spans", "sentences", "anomalies", "labels", "transitions", "span_texts")
_FIXED = ("sentence", "position", "token", "tag", "doc", "source", "line")
_BREAKS = (b"\n\n", b"\n\r\n", b"\n\t\n", b"\n\t\r\n", b"\n \n")


def part_name(i: int) -> str:
    """File name of part ``i``."""
    return f"part-{i:05d}.parquet"


def dataset_signature(paths: list[Path], options: dict) -> str:
    """A digest of the files (resolved path, size, mtime, content hash) and the read options."""
    files = []
    for p in paths:
        st = os.stat(p)
        h = content_hasher()
        with open(p, "rb") as fh:
            for block in iter(lambda fh=fh: fh.read(1 << 24), b""):
                h.update(block)
        files.append([str(p.resolve()), st.st_size, st.st_mtime_ns, h.hexdigest()])
    blob = json.dumps({"format": FORMAT, "files": files, "options": options}, sort_keys=True,
                      default=str)
    return hashlib.sha1(blob.encode("utf-8")).hexdigest()


def _chunks(path: Path, size: int) -> Iterator[tuple[bytes, int, int]]:
    """Pieces of the file of about ``size`` bytes, each ending after a blank line (or at the end),
    with the number of lines and of bytes before each piece."""
    lines_before = bytes_before = 0
    rest = b""
    with open(path, "rb") as fh:
        from .io.routes import sniff

        if sniff(fh.read(1 << 16), path):  # a table, JSON or DocBin file: one part, never cut
            fh.seek(0)
            yield fh.read(), 0, 0
            return
        fh.seek(0)
        while True:
            block = fh.read(size)
            data = rest + block
            if not block:
                if data:
                    yield data, lines_before, bytes_before
                return
            cut = _last_break(data)
            if cut <= 0 or len(data) - cut > size:  # no sentence break in reach: read more
                rest = data
                continue
            piece, rest = data[:cut], data[cut:]
            yield piece, lines_before, bytes_before
            lines_before += piece.count(b"\n")
            bytes_before += len(piece)


def _last_break(data: bytes) -> int:
    """Where the last sentence break of ``data`` ends (-1: none).

    Searches a growing window at the end: a break found there that ends past the window's start
    by more than the longest break outlasts any break starting before the window.
    """
    longest = max(len(b) for b in _BREAKS)
    window = 1 << 16
    while True:
        lo = max(0, len(data) - window)
        cut = max((at + len(b) for b in _BREAKS if (at := data.rfind(b, lo)) >= 0), default=-1)
        if lo == 0 or cut >= lo + longest:
            return cut
        window *= 8


def _docstart_around(piece: bytes, first_line: int, last_line: int) -> tuple[bool, bool]:
    """Whether a ``-DOCSTART-`` line comes before the first / after the last token line."""
    mark = b"-DOCSTART-"
    first = 0 if piece.startswith(mark) else piece.find(b"\n" + mark) + 1
    if first <= 0 and not piece.startswith(mark):
        return False, False
    last = piece.rfind(b"\n" + mark)
    last = first if last < 0 else last + 1
    # 1-based line numbers of the first and the last -DOCSTART- line
    first_no = piece.count(b"\n", 0, first) + 1
    last_no = first_no + piece.count(b"\n", first, last)
    return first_no < first_line, last_no > last_line


def convert(paths: list[Path], folder: Path, options: dict, signature: str, *,
            part_mb: float = 16, progress: bool | None = None) -> dict:
    """Convert ``paths`` into a dataset in ``folder`` (see :func:`_convert`).

    When the IOB1/IOB2 vote over a whole file decides otherwise than its first part did, the
    conversion is run again with that file's scheme fixed.
    """
    forced: dict[int, str] = {}
    while True:
        try:
            return _convert(paths, folder, options, signature, part_mb=part_mb,
                            progress=progress, forced=forced)
        except _Redo as redo:
            forced[redo.file_index] = redo.scheme


def _convert(paths: list[Path], folder: Path, options: dict, signature: str, *,
             part_mb: float, progress: bool | None, forced: dict[int, str]) -> dict:
    """Convert ``paths`` into a dataset in ``folder`` (replaced); returns its metadata.

    Parameters
    ----------
    paths : list of Path
        BIO files, in reading order.
    folder : Path
        The dataset folder.
    options : dict
        Options of :func:`bio_explorer.read` (format, sep, token_col, tag_col, scheme, ...).
    signature : str
        :func:`dataset_signature` of the input, stored to reuse the dataset later.
    part_mb : float
        Target size of a part, in MB of input text.
    progress : bool, optional
        Show a progress bar (default: for inputs over 20 MB).
    """
    from concurrent.futures import Future, ThreadPoolExecutor

    size = max(int(part_mb * 1e6), 1)
    total = sum(p.stat().st_size for p in paths)
    bar = _bar(total, progress)
    tmp_folder = folder.with_name(folder.name + ".converting")
    shutil.rmtree(tmp_folder, ignore_errors=True)
    for name in TABLES:
        (tmp_folder / name).mkdir(parents=True)
    files: list[dict] = []
    parts: list[dict] = []
    sent_off = 0
    last_doc = -1
    scratch = Path(tempfile.mkdtemp(prefix="bx-convert-"))
    # two workers prepare parts (parse, spans, anomalies, partial aggregates) and write them; this
    # thread only numbers them in order (sentence, document and line offsets need the parts
    # before).  polars releases the GIL: both cores work.
    pool = ThreadPoolExecutor(_WORKERS)
    writes: list[Future] = []
    try:
        for fi, path in enumerate(paths):
            info: dict[str, Any] = {"name": path.name, "path": str(path.resolve())}
            opts = dict(options)
            if fi in forced:
                opts["scheme"] = forced[fi]
            votes = [0, 0]
            first_doc, pending = True, False
            for p in _prepared(pool, _chunks(path, size), scratch, path.name, opts, info):
                votes[0] += p.votes[0]
                votes[1] += p.votes[1]
                if p.tokens == 0:
                    pending = pending or p.docstart
                    if bar is not None:
                        bar.update(p.nbytes)
                    continue
                doc_off = last_doc + 1
                if not (first_doc or pending or p.before):  # the document goes on
                    doc_off = last_doc
                first_doc, pending = False, p.after
                if len(writes) >= _WORKERS:  # bound the parts held in memory (a failed write
                    writes.pop(0).result()  # raises here)
                writes.append(pool.submit(_write_part, tmp_folder, len(parts), p,
                                          name=path.name, file_index=fi, sent_off=sent_off,
                                          doc_off=doc_off, line_off=p.lines_before))
                parts.append({"file": fi, "columns": p.columns, "first_sentence": sent_off,
                              "last_sentence": sent_off + p.sentences - 1,
                              "tokens": p.tokens, "sentences": p.sentences,
                              "line_offset": p.lines_before, "byte_start": p.bytes_before,
                              "byte_end": p.bytes_before + p.nbytes})
                sent_off += p.sentences
                last_doc = doc_off + p.last_doc
                if bar is not None:
                    bar.update(p.nbytes)
            info["size"] = path.stat().st_size
            if "scheme" in info:
                info["evidence"] = _evidence(info["scheme"], *votes)
                decided = info["evidence"]["scheme"]
                if fi not in forced and options.get("scheme", "auto") == "auto" \
                        and decided != info["scheme"]:
                    raise _Redo(fi, decided)
            files.append(info)
        for w in writes:
            w.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        shutil.rmtree(scratch, ignore_errors=True)
        if bar is not None:
            bar.close()
    schemes_seen = [f["scheme"] for f in files if "scheme" in f]
    meta = {
        "format": FORMAT, "signature": signature, "options": options,
        "scheme": max(set(schemes_seen), key=schemes_seen.count) if schemes_seen else "IOB2",
        "files": files, "parts": parts,
    }
    (tmp_folder / META).write_text(json.dumps(meta, indent=1), "utf-8")
    shutil.rmtree(folder, ignore_errors=True)
    os.replace(tmp_folder, folder)
    return meta


_WORKERS = 2


@dataclass
class _Part:
    """A parsed piece of a file with everything of it that needs no offset (see _write_part)."""

    tok: pl.DataFrame  # token rows, extra columns as String, ``_orig`` dropped
    spans: pl.DataFrame
    sent: pl.DataFrame  # the sentences table
    anomalies: pl.DataFrame
    partials: dict[str, pl.DataFrame]  # labels, transitions, span_texts
    columns: list[str]  # of the parsed token frame
    tokens: int
    sentences: int
    last_doc: int  # the largest document number inside the piece
    votes: tuple[int, int]  # IOB1, IOB2 votes of the scheme evidence
    docstart: bool  # a -DOCSTART- line in the piece
    before: bool  # ... before its first token line
    after: bool  # ... after its last token line
    nbytes: int
    lines_before: int
    bytes_before: int


def _prepare(k: int, piece: tuple[bytes, int, int], scratch: Path, name: str, options: dict,
             layout: dict | None) -> _Part:
    """Parse piece ``k`` with the eager reader and build what its part holds.

    ``layout`` (the first piece only) receives the file's layout, scheme and raw-text facts.
    """
    from . import plans
    from .analysis.anomalies import local_anomalies
    from .io.text import defer_columns
    from .reading import read

    data, lines_before, bytes_before = piece
    chunk = scratch / str(k) / name
    chunk.parent.mkdir()
    chunk.write_bytes(data)
    every = defer_columns.set(False)  # every column is written: parse them all at once
    try:
        c = read(chunk, cache=False, **options)
    finally:
        defer_columns.reset(every)
        shutil.rmtree(chunk.parent, ignore_errors=True)
    st = c.state
    rec = st.files[0]
    if layout is not None:
        layout["record"] = rec
    ev = getattr(rec, "evidence", None)
    votes = (ev.iob1_votes, ev.iob2_votes) if ev is not None else (0, 0)
    before = after = False
    n_tok = st.tok.height
    if n_tok:
        lines = st.tok["line"]
        if not lines.null_count():
            before, after = _docstart_around(data, int(lines[0]), int(lines[-1]))
    extra = [col for col in st.tok.columns if col not in _FIXED and not col.startswith("_")]
    # extra columns: String in every part (a piece may guess Categorical, another not)
    tok = st.tok.drop("_orig").with_columns(*(pl.col(col).cast(pl.String) for col in extra))
    spans = c.spans
    # a part is one file: its sentences share one source (no join with the sentences)
    anomalies = local_anomalies(c) if n_tok else pl.DataFrame()
    # the part's transition counts are the eager corpus's (its transition index is built for
    # the anomalies already): the same rows as plans.transition_partial(tok)
    partials = {} if not n_tok else {
        "labels": plans.label_partial(spans, None).with_columns(pl.lit(name).alias("source")),
        "transitions": c.transitions().select("prev_tag", "tag",
                                              pl.col("count").cast(pl.UInt64)),
        "span_texts": plans.span_text_partial(spans),
    }
    return _Part(
        tok=tok, spans=spans, sent=c.sentences, anomalies=anomalies,
        partials=partials, columns=st.tok.columns, tokens=n_tok, sentences=st.sent.height,
        last_doc=int(st.tok["doc"].max()) if n_tok else 0, votes=votes,
        docstart=b"-DOCSTART-" in data, before=before, after=after, nbytes=len(data),
        lines_before=lines_before, bytes_before=bytes_before)


def _prepared(pool, pieces: Iterator[tuple[bytes, int, int]], scratch: Path, name: str,
              opts: dict, info: dict) -> Iterator[_Part]:
    """The parts of a file in order, prepared by ``pool`` a few ahead.  The first piece is
    prepared alone: it fixes the layout and scheme (``info``, ``opts``) the others are read with."""
    from collections import deque
    from itertools import count

    it = iter(pieces)
    numbers = count(1)
    first = next(it, None)
    if first is None:
        return
    layout: dict = {}
    part = _prepare(0, first, scratch, name, dict(opts), layout)
    rec = layout["record"]
    raw = rec.raw
    info.update(scheme=rec.scheme, layout=vars(rec.layout), raw=None if raw is None else {
        "bom": raw.bom, "encoding": raw.encoding, "newline": raw.newline})
    if rec.layout.dialect == "conllu":
        opts["format"] = "conllu"
    else:
        opts.update(sep=rec.layout.sep, token_col=rec.layout.token_col,
                    tag_col=rec.layout.tag_col)
    opts["scheme"] = rec.scheme
    del layout, rec
    queue: deque = deque()

    def fill() -> None:
        while len(queue) < _WORKERS:
            piece = next(it, None)
            if piece is None:
                return
            queue.append(pool.submit(_prepare, next(numbers), piece, scratch, name, dict(opts),
                                     None))

    fill()
    yield part
    del part
    while queue:
        part = queue.popleft().result()
        fill()
        yield part
        del part


class _Redo(Exception):
    def __init__(self, file_index: int, scheme: str) -> None:
        super().__init__(file_index, scheme)
        self.file_index, self.scheme = file_index, scheme


def _evidence(first_scheme: str, iob1: int, iob2: int) -> dict:
    """The scheme evidence of a whole file from the IOB1/IOB2 votes of its parts (votes add up:
    they are counted per sentence), as :func:`bio_explorer.schemes.scheme_evidence` decides."""
    from .schemes import IOB1_SHARE, MIXED_MIN_VOTES, SchemeEvidence

    total = iob1 + iob2
    if first_scheme not in ("IOB1", "IOB2") or total == 0:
        return SchemeEvidence(first_scheme).as_dict()
    share = iob1 / total
    scheme = "IOB1" if share >= IOB1_SHARE else "IOB2"
    confidence = share if scheme == "IOB1" else 1.0 - share
    minority = min(iob1, iob2)
    mixed = minority >= MIXED_MIN_VOTES and minority / total > 1.0 - IOB1_SHARE
    return SchemeEvidence(scheme, round(confidence, 4), iob1, iob2, mixed).as_dict()


def _write_part(folder: Path, i: int, p: _Part, *, name: str, file_index: int,
                sent_off: int, doc_off: int, line_off: int) -> None:
    """Write the tables of one part (a prepared piece of a file) with shifted numbering."""
    sent = pl.col("sentence") + sent_off
    shifted = {
        "sentence": sent.cast(pl.UInt32),
        "doc": (pl.col("doc") + doc_off).cast(pl.UInt32),
        "line": (pl.col("line") + line_off).cast(pl.UInt32),
        "source": pl.lit(name).cast(pl.Categorical),
    }
    tok = p.tok.with_columns(*(e.alias(k) for k, e in shifted.items()),
                             pl.lit(file_index, pl.UInt16).alias("_file"))
    sentences = p.sent.with_columns(
        *(e.alias(k) for k, e in shifted.items() if k != "source"),
        pl.lit(name).alias("source"),
    )
    fname = part_name(i)
    _write(tok, folder / "tokens" / fname, statistics=False)
    _write(p.spans.with_columns(sent.cast(pl.UInt32)), folder / "spans" / fname)
    _write(sentences, folder / "sentences" / fname)
    _write(p.anomalies.with_columns(sent.cast(pl.UInt32)), folder / "anomalies" / fname)
    for table, frame in p.partials.items():
        _write(frame, folder / table / fname)


def _write(frame: pl.DataFrame, path: Path, *, statistics: bool = True) -> None:
    # one row group per part: parts are the unit the lazy corpus skips or reads (from the part
    # metadata: the tokens' column statistics, costly for strings, are never used)
    frame.write_parquet(path, compression="lz4", statistics=statistics,
                        row_group_size=max(frame.height, 1))


def _bar(total: int, progress: bool | None):
    if progress is False or (progress is None and total < 20_000_000):
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None
    return tqdm(total=total, unit="B", unit_scale=True, desc="converting to Parquet")
