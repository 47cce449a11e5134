"""Bytes → one polars row per line, without a Python loop over lines.

The line table keeps every line of the file (blank lines, comments, ``<s>`` markers...) so that a
file can be written back byte for byte.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

import polars as pl

from ..errors import BioFormatError

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
        Every line, without its line terminator (``\\r`` kept when line ends are mixed).
    newline : str
        ``"\\n"`` or ``"\\r\\n"`` – the terminator to join lines with on write.
    final_newline : bool
        Whether the file ended with a line terminator.
    bom : bool
        Whether the file started with a UTF-8 byte-order mark.
    encoding : str
        The encoding used to decode (and to write back).
    utf8 : bytes
        The UTF-8 bytes of the text (without BOM) – handed to polars' CSV parser for the fields.
    cr_in_lines : bool
        True when lines may end with ``\\r`` (mixed line ends): readers strip it from fields.
    problems : list of dict
        Decoding problems met with ``errors="collect"`` (the bytes were replaced by U+FFFD).
    """

    lines: pl.Series
    newline: str
    final_newline: bool
    bom: bool
    encoding: str
    utf8: bytes
    problems: list = field(default_factory=list)
    cr_in_lines: bool = False  # some lines end with (or hold) a \r that is part of the line


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


def split_lines(data: bytes, path: str, encoding: str = "utf-8", errors: str = "raise") -> RawText:
    """Split ``data`` into lines, keeping what is needed to write it back exactly.

    UTF-8 input is handed to polars' multi-threaded CSV reader as bytes (it validates the encoding);
    Python only decodes when that fails (to name the offending byte) or for other encodings.
    """
    problems: list = []
    text: str | None = None
    if _is_utf8(encoding):
        bom = data.startswith(BOM)
        body = data[len(BOM):] if bom else data
    else:
        text, bom = decode(data, path, encoding, errors, problems)
        body = text.encode("utf-8")
    if not body:
        return RawText(pl.Series("raw", [], pl.String), "\n", False, bom, encoding, body, problems)
    final_newline = body.endswith(b"\n")
    n_lf, n_cr, n_crlf = body.count(b"\n"), body.count(b"\r"), body.count(b"\r\n")
    expected_rows = n_lf + (0 if final_newline else 1)
    newline = "\r\n" if n_crlf == n_lf and n_lf > 0 else "\n"
    uniform = n_cr == 0 or (n_cr == n_crlf == n_lf)
    lines: pl.Series | None = None
    # Fast path: polars' CSV reader with a separator byte the file does not contain gives one row
    # per line (multi-threaded).  It drops a trailing \r, so it is only used when line ends are
    # uniform, and its row count is checked against the number of line terminators.
    dummy = next((d for d in _DUMMY_SEPARATORS if d not in body), None) if uniform else None
    if dummy is not None:
        try:
            frame = pl.read_csv(
                io.BytesIO(body),
                separator=dummy.decode(),
                has_header=False,
                quote_char=None,
                new_columns=["raw"],
                schema={"raw": pl.String},
                infer_schema=False,
            )
            if frame.height == expected_rows:
                lines = frame["raw"].fill_null("")
        except Exception:
            lines = None
    if lines is None:
        if text is None:
            text, bom = decode(data, path, encoding, errors, problems)
            if problems:
                body = text.encode("utf-8")
        newline = "\n"
        lines = pl.Series("raw", [text[:-1] if text.endswith("\n") else text]).str.split("\n")
        lines = lines.explode()
    raw = RawText(lines.rename("raw"), newline, final_newline, bom, encoding, body, problems)
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
