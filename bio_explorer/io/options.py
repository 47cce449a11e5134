"""Validation of :func:`bio_explorer.read`'s options and paths: clear errors before any work."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from .. import schemes

__all__ = ["check_columns", "check_path", "check_sep", "normalise_scheme"]


def normalise_scheme(scheme: str, *, auto: bool = True) -> str:
    """``scheme`` spelled as in :data:`bio_explorer.schemes.SCHEMES` (case does not matter).

    Raises
    ------
    ValueError
        ``scheme`` is not a known scheme (nor ``"auto"`` when ``auto`` is true).
    """
    allowed = ("auto", *schemes.SCHEMES) if auto else schemes.SCHEMES
    if isinstance(scheme, str):
        for name in allowed:
            if scheme.strip().casefold() == name.casefold():
                return name
    expected = "'auto' or one of " if auto else "one of "
    raise ValueError(f"scheme={scheme!r}; expected {expected}{', '.join(schemes.SCHEMES)}")


def check_sep(sep: str) -> str:
    """``sep`` if it is ``"auto"`` or one single-byte separator other than a line end."""
    if sep == "auto":
        return sep
    if not isinstance(sep, str) or len(sep.encode("utf-8")) != 1 or sep in "\r\n":
        what = "empty" if sep == "" else "not a single-byte field separator"
        raise ValueError(f"sep={sep!r} is {what}; expected 'auto', '\\t' (TAB) or ' ' (space)")
    return sep


def check_columns(**columns: int | None) -> None:
    """Each given column (``token_col=…``, ``tag_col=…``) is None or a 0-based index ≥ 0."""
    for name, value in columns.items():
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"{name}={value!r}; expected a 0-based column index (0, 1, 2…)")
    token_col, tag_col = columns.get("token_col"), columns.get("tag_col")
    if token_col is not None and token_col == tag_col:
        raise ValueError(f"token_col and tag_col are both {token_col}; they must differ")


def check_path(path: Path) -> None:
    """Refuse what cannot be read as a corpus file before opening it.

    A missing path raises :class:`FileNotFoundError`; a directory :class:`IsADirectoryError`;
    anything that is not a regular file (a FIFO, a device, a socket – reading it could block
    forever) :class:`OSError`.  Every message names the path and what to pass instead.
    """
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise FileNotFoundError(f"{path}: no such file") from None
    if stat.S_ISDIR(st.st_mode):
        raise IsADirectoryError(
            f"{path}: is a directory; pass the corpus files in it, e.g. '{path}/*.conll'"
        )
    if not stat.S_ISREG(st.st_mode):
        raise OSError(f"{path}: not a regular file (a FIFO, device or socket); bio_explorer "
                      "reads regular files only – copy the data to a file first")
