"""Random edit/save/undo/redo sessions, shared by the recovery tests and benchmarks/bench_kill.py.

An operation is a small tuple (so that it can be logged as JSON and applied again to another
corpus): ``("relabel", s, a, b, label)``, ``("add", s, a, b, label)``, ``("delete", s, a)``,
``("undo",)``, ``("redo",)``, ``("save",)``.
"""

from __future__ import annotations

import hashlib
import random

import polars as pl

import bio_explorer as bx

LABELS = ("Alpha", "Beta", "Gamma", "Library")
_WEIGHTS = {"relabel": 4, "add": 3, "delete": 2, "undo": 3, "redo": 2, "save": 2}


def tag_hash(c: bx.Corpus) -> str:
    """SHA-256 of the corpus tags (the state a recovery must reproduce)."""
    tags = c.tokens["tag"].cast(pl.String).str.join("\n").item()
    return hashlib.sha256(tags.encode("utf-8")).hexdigest()


def choose_op(c: bx.Corpus, rng: random.Random) -> tuple:
    """A random operation that applies to ``c`` as it is now."""
    kinds = list(_WEIGHTS)
    kind = rng.choices(kinds, weights=[_WEIGHTS[k] for k in kinds])[0]
    spans = c.spans
    if kind in ("relabel", "delete") and spans.height:
        s, a, b, label = spans.select("sentence", "start", "end", "label").row(
            rng.randrange(spans.height))
        if kind == "delete":
            return ("delete", s, a)
        return ("relabel", s, a, b, rng.choice([x for x in LABELS if x != label]))
    if kind in ("undo", "redo", "save"):
        return (kind,)
    free = c.tokens.filter(pl.col("tag").cast(pl.String) == "O")
    if free.height == 0:
        return ("undo",)
    s, p = free.select("sentence", "position").row(rng.randrange(free.height))
    return ("add", s, p, p + 1, rng.choice(LABELS))


def apply_op(c: bx.Corpus, op: tuple, *, save: bool = True) -> None:
    """Apply ``op`` to ``c`` (``save=False``: a save only moves the saved marker, not tags)."""
    kind = op[0]
    if kind == "relabel":
        c.relabel(*op[1:])
    elif kind == "add":
        c.add_span(*op[1:])
    elif kind == "delete":
        c.delete_span(*op[1:])
    elif kind == "undo":
        c.undo()
    elif kind == "redo":
        c.redo()
    elif kind == "save" and save:
        c.write()
