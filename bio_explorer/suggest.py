"""Closest-name hints for names the user typed ("did you mean 'Library'?")."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = ["closest", "did_you_mean"]


def closest(name: str, choices: Iterable[str]) -> str | None:
    """The choice most similar to ``name`` (ignoring letter case), or ``None`` when none is close.

    Parameters
    ----------
    name : str
        What was typed.
    choices : iterable of str
        The known names.

    Returns
    -------
    str or None
    """
    options = [str(c) for c in choices]
    by_lower: dict[str, str] = {}
    for opt in options:
        by_lower.setdefault(opt.lower(), opt)
    low = str(name).lower()
    if low in by_lower:
        return by_lower[low]
    hit = difflib.get_close_matches(low, list(by_lower), n=1, cutoff=0.6)
    return by_lower[hit[0]] if hit else None


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """``"; did you mean 'X'?"`` for the closest choice, or ``""``."""
    best = closest(name, choices)
    return f"; did you mean {best!r}?" if best is not None else ""
