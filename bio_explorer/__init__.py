"""bio_explorer — explore, check and fix BIO/IOB named-entity corpora in Jupyter.

>>> import bio_explorer as bx
>>> c = bx.sample()
>>> c.label_counts()          # doctest: +SKIP
>>> bx.explore(c)             # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

from .corpus import Corpus
from .errors import BioFormatError, EditError
from .reading import read, sample

__version__ = "0.1.0"

__all__ = [
    "BioFormatError",
    "Corpus",
    "EditError",
    "Explorer",
    "LazyCorpus",
    "LazySpanView",
    "SpanView",
    "compare",
    "explore",
    "read",
    "sample",
    "scan",
]


def compare(gold: Corpus, pred: Corpus, *, mode: str = "default", scheme: str | None = None):
    """Compare a predicted corpus with a gold one (see :func:`.analysis.compare.compare`).

    ``mode="strict"`` scores seqeval's strict spans (IOB2 or BIOES); the result's ``.metrics()``
    equals seqeval's ``classification_report``, ``.errors()`` lists the wrong spans and
    ``.schemas()`` gives nervaluate's strict / exact / partial / ent_type counts.
    """
    from .analysis.compare import compare as _compare

    return _compare(gold, pred, mode=mode, scheme=scheme)


def explore(corpus: Corpus | Any, **kwargs: Any):
    """Open the Explorer dashboard (charts + span view) on a corpus, a ``LazyCorpus`` or a path."""
    from .explorer import explore as _explore

    return _explore(corpus, **kwargs)


def __getattr__(name: str) -> Any:
    # the widget layer is imported lazily so that the pure core never pulls in anywidget
    if name == "SpanView":
        from .widget import SpanView

        return SpanView
    if name == "Explorer":
        from .explorer import Explorer

        return Explorer
    if name == "LazySpanView":  # the span view of a LazyCorpus
        from .lazy_view import LazySpanView

        return LazySpanView
    if name in ("scan", "LazyCorpus"):  # the lazy path (bio_explorer.lazy)
        from . import lazy

        return getattr(lazy, name)
    raise AttributeError(f"module 'bio_explorer' has no attribute {name!r}")
