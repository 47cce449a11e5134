"""Which entity labels an edit may write: checked when the edit is made, not when it is saved.

A label is refused (with :class:`~bio_explorer.errors.EditError`) when the files could not hold
it or would read it back differently:

* empty, ``O``, or holding white space, a comma, a control or invisible character (``\\u200b``,
  ``\\ufeff``...);
* not starting with a letter or digit (``-`` would be written as the tag ``B--``), or starting
  with a scheme prefix such as ``B-`` (a whole tag passed as a label);
* not encodable in a file's encoding (a CJK label in a Latin-1 file);
* holding the file's field separator, or ``|`` / ``=`` in a CoNLL-U file (they delimit MISC).
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from collections.abc import Iterable
from typing import Any

from .errors import EditError

_TAG_LIKE = re.compile(r"^[BIESLUMO]-")
_INVISIBLE = {"Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp", "Zs"}


def label_problem(label: Any, files: Iterable[Any] = ()) -> str | None:
    """Why ``label`` cannot be written to ``files`` (io.FileRecord objects), or None when it can."""
    if not isinstance(label, str) or not label:
        return "a label is a non-empty string"
    if label == "O":
        return "'O' means outside any entity, it is not a label"
    bad = next((ch for ch in label if ch.isspace() or ch == ","
                or unicodedata.category(ch) in _INVISIBLE), None)
    if bad is not None:
        return (f"it holds {unicodedata.name(bad, f'U+{ord(bad):04X}')} (U+{ord(bad):04X}); use a "
                "name without white space, commas, control or invisible characters")
    if not label[0].isalnum():
        return (f"it starts with {label[0]!r} (the tag would be 'B-{label}'); start with a "
                "letter or digit")
    if _TAG_LIKE.match(label):
        return f"it looks like a whole tag; pass the label without its prefix ({label[2:]!r})"
    for rec in files:
        raw = getattr(rec, "raw", None)
        layout = getattr(rec, "layout", None)
        if raw is not None:
            enc = raw.encoding
            try:
                codecs.encode("B-" + label, enc)
            except (UnicodeEncodeError, LookupError):
                return f"{rec.name} is written in {enc}, which cannot hold it"
        if layout is None:
            continue
        if layout.dialect == "conllu" and ("|" in label or "=" in label):
            return f"{rec.name} is CoNLL-U, where '|' and '=' separate the MISC entries"
        if layout.sep and layout.sep in label:
            return f"{rec.name} separates its fields with {layout.sep!r}"
    return None


def check_labels(labels: Iterable[Any], files: Iterable[Any] = ()) -> None:
    """Raise :class:`EditError` for the first label :func:`label_problem` refuses."""
    files = list(files)
    for label in labels:
        why = label_problem(label, files)
        if why is not None:
            raise EditError(f"invalid label {label!r}: {why}")
