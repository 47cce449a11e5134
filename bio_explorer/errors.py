"""Exceptions raised by bio_explorer."""

from __future__ import annotations


class BioFormatError(ValueError):
    """A corpus file does not follow the BIO dialect it claims to be in.

    The message always names the file, the 1-based line (when there is one) and
    what was expected, e.g. ``train.txt:1042: expected 2 columns, found 3``.

    Attributes
    ----------
    path : str or None
        The file (or ``"<DataFrame>"``) the problem was found in.
    line : int or None
        1-based line number in ``path``.
    reason : str
        What was expected and what was found.
    """

    def __init__(self, path: str | None, line: int | None, reason: str) -> None:
        self.path = path
        self.line = line
        self.reason = reason
        where = path or "<input>"
        if line is not None:
            where = f"{where}:{line}"
        super().__init__(f"{where}: {reason}")


class EditError(ValueError):
    """An edit could not be applied (bad span, tokens do not match, nothing to undo...).

    A failed edit never changes the corpus.
    """
