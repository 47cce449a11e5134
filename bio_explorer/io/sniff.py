"""Refuse bytes that are not text in the chosen encoding before they are split into columns.

A UTF-16 file without a byte-order mark is valid UTF-8 when its text is ASCII (every other byte
is NUL), so without this check it would be read as a file of one-field lines and reported as a
column-count error.
"""

from __future__ import annotations

from ..errors import BioFormatError

__all__ = ["check_text_bytes"]

_UTF16_BOMS = {b"\xff\xfe": "utf-16", b"\xfe\xff": "utf-16"}
_SNIFF = 4096  # bytes looked at to tell UTF-16 from stray NUL bytes


def _is_utf8(encoding: str) -> bool:
    return encoding.replace("_", "-").lower() in ("utf-8", "utf8", "utf-8-sig", "u8")


def check_text_bytes(body: bytes, path: str, encoding: str) -> None:
    """Raise :class:`BioFormatError` when ``body`` holds NUL bytes or a UTF-16 byte-order mark.

    Parameters
    ----------
    body : bytes
        The file's text as UTF-8 (the raw bytes for a UTF-8 file, without a UTF-8 BOM).
    path : str
        File name, for messages.
    encoding : str
        The encoding the caller decoded (or will decode) with.
    """
    if _is_utf8(encoding):
        for bom, codec in _UTF16_BOMS.items():
            if body.startswith(bom):
                raise BioFormatError(path, 1, f"the file starts with a UTF-16 byte-order mark; "
                                     f"pass encoding='{codec}'")
    at = body.find(b"\x00")
    if at < 0:
        return
    line = body.count(b"\n", 0, at) + 1
    head = body[:_SNIFF]
    even, odd = head[0::2].count(0), head[1::2].count(0)
    if max(even, odd) >= 0.3 * (len(head) / 2):
        codec = "utf-16-le" if odd > even else "utf-16-be"
        raise BioFormatError(path, line, "NUL bytes between the characters: the file looks like "
                             f"UTF-16 without a byte-order mark; pass encoding='{codec}'")
    raise BioFormatError(path, line, f"NUL byte at byte offset {at}; expected text (is this a "
                         "binary file, or a text file in another encoding such as UTF-16?)")
