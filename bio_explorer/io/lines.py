"""Bytes → one polars row per line, without a Python loop over lines.

The line table keeps every line of the file (blank lines, comments, ``<s>`` markers...) so that a
file can be written back byte for byte.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from ..errors import BioFormatError
from .sniff import check_text_bytes

BOM = b"\xef\xbb\xbf"
_DUMMY_SEPARATORS = [
    b"\x01", b"\x02", b"\x03", b"\x04", b"\x05", b"\x06", b"\x07", b"\x1e", b"\x1f"
]


@dataclass
class RawText:
    """A decoded file, split into lines.

    Attributes
    ----------
    lines : pl.Series
        Every line, without its line terminator (``\\r`` kept when line ends are mixed).  Built
        from ``utf8`` on first use and dropped by :meth:`release_lines` after parsing, so that a
        loaded corpus holds its file's text once (as bytes) rather than as one string per line.
    newline : str
        ``"\\n"``, ``"\\r\\n"`` or ``"\\r"`` (CR-only files) – the terminator to join lines
        with on write.
    final_newline : bool
        Whether the file ended with a line terminator.
    bom : bool
        Whether the file started with a UTF-8 byte-order mark.
    encoding : str
        The encoding used to decode (and to write back).
    utf8 : bytes
        The UTF-8 bytes of the text (without BOM) – handed to polars' CSV parser for the fields,
        and the source of ``lines`` when they are rebuilt.  Empty once ``lines`` was replaced.
    cr_in_lines : bool
        True when lines may end with ``\\r`` (mixed line ends): readers strip it from fields.
    problems : list of dict
        Decoding problems met with ``errors="collect"`` (the bytes were replaced by U+FFFD).
    pending : bool
        True while ``utf8`` has been neither split into lines nor checked to be valid UTF-8
        (``split_lines(..., defer=True)``): the first use of :attr:`lines` does both (raising the
        decoding error, or collecting it), unless a reader proved the bytes valid first and
        called :meth:`mark_valid`.
    """

    _lines: pl.Series | None
    newline: str
    final_newline: bool
    bom: bool
    encoding: str
    utf8: bytes
    problems: list = field(default_factory=list)
    cr_in_lines: bool = False  # some lines end with (or hold) a \r that is part of the line
    _digest: Any = ""  # SHA-256 of the bytes read: a str, or a _Digest computed on first use
    _cache: bool = True  # keep a rebuilt line table (False once released after reading)
    _pending: tuple | None = None  # (path, errors) while the bytes are unsplit and unchecked

    @property
    def sha256(self) -> str:
        """SHA-256 (hex) of the file's bytes as read or last saved (the writer checks the file on
        disk still has them, and the journal records it)."""
        if isinstance(self._digest, _Digest):
            self._digest = self._digest.result()
        return self._digest

    @sha256.setter
    def sha256(self, value: str) -> None:
        self._digest = value

    @property
    def pending(self) -> bool:
        """Whether the bytes are still unsplit and unchecked (see the class docstring)."""
        return self._pending is not None

    def mark_valid(self) -> None:
        """Record that a reader checked ``utf8`` is valid UTF-8 (its CSV parse succeeded)."""
        self._pending = None

    def head(self, n: int) -> pl.Series:
        """The first ``n`` lines (all of them when the file is shorter), without splitting the
        whole text of a pending file."""
        if self._pending is not None:
            end = line_end(self.utf8, n)
            if end is not None:  # n line ends found
                lines = _csv_lines(self.utf8[:end], n)
                if lines is not None:
                    return lines
        return self.lines.head(n)

    @property
    def lines(self) -> pl.Series:
        """Every line of the text (rebuilt from ``utf8`` when it was released)."""
        if self._lines is not None:
            return self._lines
        if self._pending is not None:
            self._split_pending()
            return self._lines
        lines = _line_series(self.utf8, self.final_newline, self.newline)
        if self._cache:
            self._lines = lines
        return lines

    @lines.setter
    def lines(self, value: pl.Series) -> None:
        self._lines = value
        _ = self.sha256  # (a digest still to compute holds the old bytes)
        self.utf8 = b""  # the new lines are the truth now: the old bytes are stale

    def _split_pending(self) -> None:
        """Split and check the bytes of a pending file as :func:`split_lines` would have."""
        path, errors = self._pending
        body = self.utf8
        n_rows = body.count(b"\n") + (0 if self.final_newline else 1)
        lines = _csv_lines(body, n_rows)
        if lines is None:  # invalid UTF-8 (named, or replaced and collected), or no dummy byte
            data = (BOM if self.bom else b"") + body
            text, _ = decode(data, path, self.encoding, errors, self.problems)
            if self.problems:
                _ = self.sha256  # (of the bytes as read)
                self.utf8 = text.encode("utf-8")
            lines = _split_text(text)
        self._pending = None
        self._lines = lines

    def release_lines(self) -> None:
        """Drop the line table when it can be rebuilt from ``utf8`` (frees one copy of the text)."""
        if self._pending is not None:
            return  # nothing built yet; the first use splits and checks the bytes
        if self.utf8:
            self._lines = None
            self._cache = False  # later uses (a write) rebuild it and let it go again


class _Digest:
    """SHA-256 of a file's bytes, computed when first asked for (by a save's check that the file
    on disk is unchanged, or a journal header): a read never waits for it, and never shares the
    cores with it.  Holds the bytes it hashes (the reader keeps them anyway)."""

    def __init__(self, body: bytes, bom: bool = False) -> None:
        self._body, self._bom = body, bom

    def result(self) -> str:
        digest = hashlib.sha256(BOM) if self._bom else hashlib.sha256()
        digest.update(self._body)
        return digest.hexdigest()


def line_end(data: bytes, n: int, chunk: int = 1 << 16) -> int | None:
    """Offset just past the ``n``-th ``\\n`` of ``data`` (None when it has fewer): newlines are
    counted a chunk at a time (C speed), and only the chunk holding the ``n``-th is split."""
    seen = pos = 0
    while n > 0 and pos < len(data):
        found = data.count(b"\n", pos, pos + chunk)
        if seen + found >= n:
            part = data[pos:pos + chunk]
            return pos + len(part) - len(part.split(b"\n", n - seen)[-1])
        seen, pos = seen + found, pos + chunk
    return 0 if n <= 0 else None


def start_digest(body: bytes, bom: bool = False) -> Any:
    """SHA-256 (hex) of the file ``BOM + body`` (``bom``) or ``body``: a str for a small file,
    else a digest computed on first use (store it in :attr:`RawText._digest`;
    :attr:`RawText.sha256` computes it)."""
    return _Digest(body, bom) if len(body) > (4 << 20) else _Digest(body, bom).result()


def _is_utf8(encoding: str) -> bool:
    return encoding.replace("_", "-").lower() in ("utf-8", "utf8", "utf-8-sig", "u8")


def decode(data: bytes, path: str, encoding: str = "utf-8", errors: str = "raise",
           problems: list | None = None) -> tuple[str, bool]:
    """Decode ``data``; returns the text and whether it started with a UTF-8 byte-order mark.

    Parameters
    ----------
    data : bytes
        The file's bytes.
    path : str
        File name, for messages.
    encoding : str
        Codec name.
    errors : {"raise", "collect"}
        ``"raise"``: undecodable bytes raise :class:`BioFormatError` naming the 1-based line and the
        byte offset.  ``"collect"``: they are replaced by U+FFFD and a problem is appended to
        ``problems`` (the file then cannot be written back byte for byte on those lines).
    problems : list, optional
        Where collected problems go.
    """
    bom = data.startswith(BOM) and _is_utf8(encoding)
    body = data[len(BOM):] if bom else data
    enc = "utf-8" if _is_utf8(encoding) else encoding
    try:
        return body.decode(enc), bom
    except UnicodeDecodeError as e:
        offset = e.start + (len(BOM) if bom else 0)
        line = data.count(b"\n", 0, offset) + 1
        reason = (
            f"byte {data[offset]:#04x} at byte offset {offset} is not valid {enc}; "
            "pass encoding=... (e.g. encoding='latin-1') if the file uses another encoding"
        )
        if errors != "collect":
            raise BioFormatError(path, line, reason) from None
        if problems is not None:
            problems.append({"source": path, "line": line, "kind": "encoding", "message": reason})
        return body.decode(enc, errors="replace"), bom
    except LookupError:
        raise BioFormatError(path, None, f"unknown encoding {encoding!r}") from None


def _dummy_separator(body: bytes) -> bytes | None:
    return next((d for d in _DUMMY_SEPARATORS if d not in body), None)


def _csv_lines(body: bytes, expected_rows: int) -> pl.Series | None:
    """One row per line through polars' multi-threaded CSV reader, or None when it cannot.

    A separator byte the file does not contain gives one field per line.  The reader drops a
    trailing \\r, so the caller only uses it when line ends are uniform; its row count is checked
    against the number of line terminators.  Invalid UTF-8 makes it fail (→ None).
    """
    dummy = _dummy_separator(body)
    if dummy is None or body.startswith(BOM):
        return None  # polars would drop a U+FEFF that is part of the first token
    try:
        frame = pl.read_csv(
            body,
            separator=dummy.decode(),
            has_header=False,
            quote_char=None,
            new_columns=["raw"],
            schema={"raw": pl.String},
            infer_schema=False,
        )
    except Exception:
        return None
    if frame.height != expected_rows:
        return None
    return frame["raw"].fill_null("").rename("raw")


def _split_text(text: str) -> pl.Series:
    return pl.Series("raw", [text[:-1] if text.endswith("\n") else text]).str.split("\n").explode()


def _line_series(body: bytes, final_newline: bool, newline: str) -> pl.Series:
    """The lines of valid UTF-8 ``body`` exactly as :func:`split_lines` builds them."""
    if not body:
        return pl.Series("raw", [], pl.String)
    n_lf, n_cr = body.count(b"\n"), body.count(b"\r")
    uniform = n_cr == 0 or (newline == "\r\n" and n_cr == n_lf == body.count(b"\r\n"))
    lines = _csv_lines(body, n_lf + (0 if final_newline else 1)) if uniform else None
    return lines if lines is not None else _split_text(body.decode("utf-8"))


def split_lines(data: bytes, path: str, encoding: str = "utf-8", errors: str = "raise", *,
                defer: bool = False) -> RawText:
    """Split ``data`` into lines, keeping what is needed to write it back exactly.

    UTF-8 input is handed to polars' multi-threaded CSV reader as bytes (it validates the encoding);
    Python only decodes when that fails (to name the offending byte) or for other encodings.
    With ``defer``, UTF-8 text without any ``\\r`` is neither split nor checked here: the result is
    :attr:`RawText.pending` (a reader that parses the fields from the bytes checks them).
    """
    problems: list = []
    text: str | None = None
    if _is_utf8(encoding):
        bom = data.startswith(BOM)
        body = data[len(BOM):] if bom else data
        digest = start_digest(body, bom)  # (the bytes as read, before any line-end change)
    else:
        digest = _Digest(data).result()  # (only the decoded text is kept: hash the bytes now)
        text, bom = decode(data, path, encoding, errors, problems)
        body = text.encode("utf-8")
    if not body:
        return RawText(pl.Series("raw", [], pl.String), "\n", False, bom, encoding, body, problems,
                       _digest=digest)
    cr_only = b"\n" not in body and b"\r" in body  # classic Mac line ends: read as LF, write CR
    if cr_only:
        digest = digest.result() if isinstance(digest, _Digest) else digest  # before the rewrite
        body = body.replace(b"\r", b"\n")
        text = None if text is None else text.replace("\r", "\n")
        data = (BOM if bom else b"") + body if _is_utf8(encoding) else data
    check_text_bytes(body, path, encoding)
    final_newline = body.endswith(b"\n")
    has_cr = b"\r" in body  # a search is cheaper than a count
    if defer and not has_cr and text is None and not cr_only and not body.startswith(BOM):
        return RawText(None, "\n", final_newline, bom, encoding, body, problems, _digest=digest,
                       _pending=(path, errors))
    n_lf = body.count(b"\n")
    n_cr = body.count(b"\r") if has_cr else 0
    n_crlf = body.count(b"\r\n") if n_cr else 0
    expected_rows = n_lf + (0 if final_newline else 1)
    newline = "\r\n" if n_crlf == n_lf and n_lf > 0 else "\n"
    uniform = n_cr == 0 or (n_cr == n_crlf == n_lf)
    lines = _csv_lines(body, expected_rows) if uniform else None
    if lines is None:
        if text is None:
            text, bom = decode(data, path, encoding, errors, problems)
            if problems:
                body = text.encode("utf-8")
        newline = "\n"
        lines = _split_text(text)
    if cr_only:
        newline = "\r"
    raw = RawText(lines, newline, final_newline, bom, encoding, body, problems, _digest=digest)
    raw.cr_in_lines = newline == "\n" and n_cr > 0
    return raw


def join_lines(lines: pl.Series, raw: RawText | None = None, *, newline: str = "\n",
               final_newline: bool = True) -> str:
    """Join lines back into the text of a file."""
    if raw is not None:
        newline, final_newline = raw.newline, raw.final_newline
    if lines.len() == 0:
        return ""
    text = lines.str.join(newline).item()
    return text + newline if final_newline else text
