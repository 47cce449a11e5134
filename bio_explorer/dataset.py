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
    from .analysis.anomalies import local_anomalies

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
    try:
        for fi, path in enumerate(paths):
            info: dict[str, Any] = {"name": path.name, "path": str(path.resolve())}
            opts = dict(options)
            if fi in forced:
                opts["scheme"] = forced[fi]
            votes = [0, 0]
            first_doc, pending = True, False
            for (piece, lines_before, bytes_before), c in _parsed_pieces(
                    _chunks(path, size), scratch, path.name, opts, info):
                if "layout" not in info:  # the first part fixes the layout and the scheme
                    rec = c._state.files[0]
                    raw = rec.raw
                    info.update(scheme=rec.scheme, layout=vars(rec.layout),
                                raw=None if raw is None else {
                                    "bom": raw.bom, "encoding": raw.encoding,
                                    "newline": raw.newline})
                    if rec.layout.dialect == "conllu":
                        opts["format"] = "conllu"
                    else:
                        opts.update(sep=rec.layout.sep, token_col=rec.layout.token_col,
                                    tag_col=rec.layout.tag_col)
                    opts["scheme"] = rec.scheme
                st = c._state
                ev = getattr(st.files[0], "evidence", None)
                if ev is not None:
                    votes[0] += ev.iob1_votes
                    votes[1] += ev.iob2_votes
                if st.tok.height == 0:
                    pending = pending or b"-DOCSTART-" in piece
                    if bar is not None:
                        bar.update(len(piece))
                    continue
                lines = st.tok["line"]
                before, after = (False, False) if lines.null_count() else _docstart_around(
                    piece, int(lines[0]), int(lines[-1]))
                doc_off = last_doc + 1
                if not (first_doc or pending or before):  # the document goes on
                    doc_off = last_doc
                first_doc, pending = False, after
                _write_part(tmp_folder, len(parts), c, local_anomalies(c), name=path.name,
                            file_index=fi, sent_off=sent_off, doc_off=doc_off,
                            line_off=lines_before)
                n_sent = st.sent.height
                parts.append({"file": fi, "columns": st.tok.columns, "first_sentence": sent_off,
                              "last_sentence": sent_off + n_sent - 1,
                              "tokens": st.tok.height, "sentences": n_sent,
                              "line_offset": lines_before, "byte_start": bytes_before,
                              "byte_end": bytes_before + len(piece)})
                sent_off += n_sent
                last_doc = doc_off + int(st.tok["doc"].max())
                if bar is not None:
                    bar.update(len(piece))
            info["size"] = path.stat().st_size
            if "scheme" in info:
                info["evidence"] = _evidence(info["scheme"], *votes)
                decided = info["evidence"]["scheme"]
                if fi not in forced and options.get("scheme", "auto") == "auto" \
                        and decided != info["scheme"]:
                    raise _Redo(fi, decided)
            files.append(info)
    finally:
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


def _parsed_pieces(pieces: Iterator[tuple[bytes, int, int]], scratch: Path, name: str,
                   opts: dict, info: dict) -> Iterator[tuple[tuple[bytes, int, int], Any]]:
    """Each piece with its parsed corpus; the next piece is parsed in a thread while the caller
    writes the current one (polars releases the GIL: two cores work).  The first piece is parsed
    alone: it fixes the layout (``opts``, updated by the caller) that the others are read with."""
    from concurrent.futures import ThreadPoolExecutor

    from .reading import read

    def parse(k: int, piece: bytes, options: dict):
        chunk = scratch / str(k) / name
        chunk.parent.mkdir()
        chunk.write_bytes(piece)
        try:
            return read(chunk, cache=False, **options)
        finally:
            shutil.rmtree(chunk.parent, ignore_errors=True)

    it = iter(pieces)
    cur = next(it, None)
    if cur is None:
        return
    parsed = parse(0, cur[0], dict(opts))
    with ThreadPoolExecutor(1) as pool:
        k = 0
        while cur is not None:
            c = parsed
            if "layout" not in info:  # the caller fixes the layout on the first piece
                yield cur, c
                c = None
            nxt = next(it, None)
            k += 1
            future = pool.submit(parse, k, nxt[0], dict(opts)) if nxt is not None else None
            if c is not None:
                yield cur, c
            del c
            cur = nxt
            parsed = future.result() if future is not None else None


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


def _write_part(folder: Path, i: int, c, anomalies: pl.DataFrame, *, name: str, file_index: int,
                sent_off: int, doc_off: int, line_off: int) -> None:
    """Write the tables of one part (a parsed piece of a file) with shifted numbering."""
    st = c._state
    sent = pl.col("sentence") + sent_off
    shifted = {
        "sentence": sent.cast(pl.UInt32),
        "doc": (pl.col("doc") + doc_off).cast(pl.UInt32),
        "line": (pl.col("line") + line_off).cast(pl.UInt32),
        "source": pl.lit(name).cast(pl.Categorical),
    }
    extra = [c for c in st.tok.columns if c not in _FIXED and not c.startswith("_")]
    tok = st.tok.drop("_orig").with_columns(
        *(e.alias(k) for k, e in shifted.items()),
        pl.lit(file_index, pl.UInt16).alias("_file"),
        # extra columns: String in every part (a piece may guess Categorical, another not)
        *(pl.col(c).cast(pl.String) for c in extra),
    )
    spans = c.spans.with_columns(sent.cast(pl.UInt32))
    sentences = c.sentences.with_columns(
        *(e.alias(k) for k, e in shifted.items() if k != "source"),
        pl.lit(name).alias("source"),
    )
    fname = part_name(i)
    _write(tok, folder / "tokens" / fname, statistics=False)
    _write(spans, folder / "spans" / fname)
    _write(sentences, folder / "sentences" / fname)
    _write(anomalies.with_columns(sent.cast(pl.UInt32)), folder / "anomalies" / fname)
    from . import plans

    # a part is one file: its sentences share one source (no join with the sentences)
    labels = plans.label_partial(spans, None).with_columns(pl.lit(name).alias("source"))
    _write(labels, folder / "labels" / fname)
    _write(plans.transition_partial(tok), folder / "transitions" / fname)
    _write(plans.span_text_partial(spans), folder / "span_texts" / fname)


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
