"""Validation of what the front end sends: span-view messages and chart selections.

Every field of a message is checked by type before any work is done, so that a malformed or
hostile message gets a clear error reply instead of being coerced (a JSON ``null`` label becoming
the label ``"None"``, ``"sentence": true`` editing sentence 1) or raising out of a traitlets
observer.  Each validator returns the cleaned fields or raises :class:`MessageError`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .query import Query
from .suggest import did_you_mean

__all__ = ["EDIT_FIELDS", "MessageError", "ShownPage", "chart_selection", "edit_fields",
           "page_request", "shown_page"]


class MessageError(ValueError):
    """A message from the front end has a missing field or a field of the wrong type."""


def _js(value: Any) -> str:
    """``value`` as the front end wrote it (JSON), shortened."""
    try:
        text = json.dumps(value)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _index(where: str, msg: Mapping, key: str) -> int:
    value = msg.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        raise MessageError(f"{where}: {key!r} must be a whole number, got {_js(value)}")
    if value < 0:
        raise MessageError(f"{where}: {key!r} must be 0 or more, got {value}")
    return value


def _text(where: str, msg: Mapping, key: str, *, optional: bool = False) -> str | None:
    value = msg.get(key)
    if value is None and optional:
        return None
    if not isinstance(value, str) or (not value and not optional):
        raise MessageError(f"{where}: {key!r} must be a non-empty string, got {_js(value)}")
    return value or None


def _flag(where: str, msg: Mapping, key: str) -> bool:
    value = msg.get(key)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise MessageError(f"{where}: {key!r} must be true or false, got {_js(value)}")
    return value


_IDX = "index"
_STR = "string"
_OPT = "optional string"
_BOOL = "bool"

#: The fields of each edit op and their types.
EDIT_FIELDS: dict[str, dict[str, str]] = {
    "relabel": {"sentence": _IDX, "start": _IDX, "end": _IDX, "label": _STR},
    "delete": {"sentence": _IDX, "start": _IDX},
    "add": {"sentence": _IDX, "start": _IDX, "end": _IDX, "label": _STR},
    "resize": {"sentence": _IDX, "start": _IDX, "new_start": _IDX, "new_end": _IDX},
    "preview_all": {"sentence": _IDX, "start": _IDX, "end": _IDX, "label": _STR},
    "relabel_all": {"text": _STR, "to_label": _STR, "from_label": _OPT,
                    "include_untagged": _BOOL},
    "undo": {},
    "redo": {},
    "save": {},
}

_CHECK: dict[str, Callable[[str, Mapping, str], Any]] = {
    _IDX: _index,
    _STR: _text,
    _OPT: lambda where, msg, key: _text(where, msg, key, optional=True),
    _BOOL: _flag,
}


def edit_fields(msg: Mapping) -> tuple[str, dict[str, Any]]:
    """The op of an ``edit`` message and its fields, each checked by type.

    Returns
    -------
    (str, dict)
        The op and ``{field: value}`` for the fields of :data:`EDIT_FIELDS`.

    Raises
    ------
    MessageError
        For an unknown op or a field of the wrong type (naming the op, the field and the value).
    """
    op = msg.get("op")
    if not isinstance(op, str) or op not in EDIT_FIELDS:
        hint = did_you_mean(op, EDIT_FIELDS) if isinstance(op, str) else ""
        raise MessageError(f"unknown edit op {_js(op)}{hint}; expected one of "
                           f"{', '.join(EDIT_FIELDS)}")
    where = f"edit {op!r}"
    return op, {key: _CHECK[kind](where, msg, key) for key, kind in EDIT_FIELDS[op].items()}


def page_request(msg: Mapping, query: Mapping, page_size: int,
                 max_limit: int) -> tuple[Query, int, int]:
    """The query, offset and limit of a ``page`` message.

    A missing ``query`` means the widget's current ``query``; a missing or ``null`` offset is 0
    and a missing limit is ``page_size``; the limit is clipped to ``1 .. max_limit``.
    """
    where = "page request"
    q = Query.from_dict(msg["query"] if "query" in msg else query)
    offset = 0 if msg.get("offset") is None else _index(where, msg, "offset")
    limit = page_size if msg.get("limit") is None else _index(where, msg, "limit")
    return q, offset, min(max(1, limit), max_limit)


@dataclass(frozen=True)
class ShownPage:
    """The page a span view shows when it sends an edit (the ``view`` field of the message).

    Attributes
    ----------
    id : str
        The id of the page request the rows on screen answer.
    query : Query
        The query of that page.
    offset : int
        Its offset.
    sentences : tuple of int
        The sentence ids of its rows, in order.
    """

    id: str
    query: Query
    offset: int
    sentences: tuple[int, ...]


def shown_page(msg: Mapping, max_rows: int) -> ShownPage | None:
    """The ``view`` field of an ``edit`` message, checked by type (``None`` when absent).

    A front end that shows a page answered by Python (not one saved with the notebook, not review
    mode) sends it, so that the edit reply can carry that page's rows, re-rendered.
    """
    view = msg.get("view")
    if view is None:
        return None
    where = "edit 'view'"
    if not isinstance(view, Mapping):
        raise MessageError(f"{where} must be an object, got {_js(view)}")
    page_id = _text(where, view, "id")
    offset = _index(where, view, "offset")
    ids = view.get("sentences")
    if not isinstance(ids, list) or not 0 < len(ids) <= max_rows:
        raise MessageError(f"{where}: 'sentences' must be a list of 1 to {max_rows} sentence ids, "
                           f"got {_js(ids)}")
    checked = tuple(_index(where, {"sentences": i}, "sentences") for i in ids)
    try:
        query = Query.from_dict(view.get("query"))
    except ValueError as exc:
        raise MessageError(f"{where}: {exc}") from None
    return ShownPage(str(page_id), query, offset, checked)


# chart name → the fields a selected point may carry, and whether null is allowed
_POINT_FIELDS: dict[str, dict[str, bool]] = {
    "labels": {"label": False},
    "lengths": {"label": False},
    "transitions": {"prev_tag": False, "tag": False},
    "anomalies": {"kind": False, "label": True},
    "inconsistencies": {"text": False},
}


def chart_selection(name: str, selection: Any, kinds: tuple[str, ...] = ()) -> list[dict]:
    """The points of a chart selection (the ``selection`` trait a click writes), checked by type.

    Parameters
    ----------
    name : str
        The chart (a key of the Explorer's charts).
    selection : any
        What the front end wrote: a list of point dicts.  Fields other than those the chart's
        links read are dropped.
    kinds : tuple of str
        The known anomaly kinds (the ``anomalies`` chart's ``kind`` must be one of them).

    Raises
    ------
    MessageError
        For a selection that is not a list of dicts, a field of the wrong type or an unknown
        anomaly kind.
    """
    fields = _POINT_FIELDS.get(name)
    if fields is None:
        raise MessageError(f"unknown chart {name!r}")
    if selection is None:
        return []
    if not isinstance(selection, list | tuple):
        raise MessageError(f"chart {name!r}: a selection must be a list of points, "
                           f"got {_js(selection)}")
    out = []
    for point in selection:
        if not isinstance(point, Mapping):
            raise MessageError(f"chart {name!r}: a selected point must be an object, "
                               f"got {_js(point)}")
        clean = {}
        for key, nullable in fields.items():
            value = point.get(key)
            if value is None:
                if key in point and not nullable:
                    raise MessageError(f"chart {name!r}: {key!r} must be a string, got null")
                continue
            if not isinstance(value, str):
                raise MessageError(f"chart {name!r}: {key!r} must be a string, got {_js(value)}")
            if key == "kind" and kinds and value.split(":", 1)[0] not in kinds:
                raise MessageError(f"chart {name!r}: unknown anomaly kind {value!r}"
                                   f"{did_you_mean(value, kinds)}")
            clean[key] = value
        out.append(clean)
    return out
