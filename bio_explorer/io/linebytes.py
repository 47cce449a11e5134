"""Where each line of a text lies in its bytes, without building a table of line strings.

The column reader takes a file's fields straight from its bytes (polars' CSV reader); what it
still needs per line – the byte length, to count fields, and the text of a few odd lines – comes
from the positions of the line terminators found here.  NumPy is optional: without it the callers
fall back to the line table.
"""

from __future__ import annotations

import polars as pl

_CHUNK = 1 << 24  # bytes scanned at once (bounds the temporary mask)


class LineBytes:
    """Start offset and byte length (terminator excluded) of every line of LF-terminated text.

    Parameters
    ----------
    body : bytes
        The text as UTF-8, lines ending with ``\\n`` (no ``\\r``).
    final_newline : bool
        Whether the last line is terminated.
    """

    def __init__(self, body: bytes, final_newline: bool) -> None:
        import numpy as np

        dtype = np.uint32 if len(body) < 2**32 - 1 else np.uint64
        view = np.frombuffer(body, np.uint8)
        ends = [
            (np.flatnonzero(view[at:at + _CHUNK] == 10) + at).astype(dtype)
            for at in range(0, len(body), _CHUNK)
        ]
        if not final_newline and body:
            ends.append(np.array([len(body)], dtype))
        end = np.concatenate(ends) if ends else np.zeros(0, dtype)
        self.body = body
        self.starts = np.concatenate([np.zeros(1, dtype), end[:-1] + 1]) if end.size else end
        self.lengths = end - self.starts

    def __len__(self) -> int:
        return int(self.lengths.size)

    def length_series(self) -> pl.Series:
        """Byte length of every line as an Int64 Series."""
        return pl.Series("len", self.lengths, dtype=pl.Int64)

    def text_at(self, idx: pl.Series) -> pl.Series:
        """The text of the lines at 0-based ``idx`` (meant for a few lines)."""
        rows = idx.to_list()
        return pl.Series("raw", [
            self.body[int(self.starts[i]):int(self.starts[i] + self.lengths[i])].decode("utf-8")
            for i in rows
        ], pl.String)


def line_bytes(body: bytes, final_newline: bool) -> LineBytes | None:
    """:class:`LineBytes` of ``body``, or None when NumPy is not installed."""
    try:
        import numpy  # noqa: F401
    except ImportError:
        return None
    return LineBytes(body, final_newline)
