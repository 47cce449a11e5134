"""Text fallbacks of the widgets: what a terminal, a static export or a kernel-less viewer shows.

Where a widget cannot render, users saw ``<bio_explorer.widget.SpanView object at 0x…>``.  The
functions here give a summary line and the first sentences, entity spans in brackets with their
label (``[PyTorch]Library is a …``), as plain text and as escaped HTML.  Only the few sentences
shown are read (never the whole token table).
"""

from __future__ import annotations

import html
from typing import Any

__all__ = ["first_sentences", "plain_to_html", "with_text"]


def first_sentences(corpus: Any, n: int = 3, width: int = 160) -> list[str]:
    """The first ``n`` sentences of a corpus or view, spans as ``[text]Label``.

    Parameters
    ----------
    corpus : Corpus
        A corpus or a filtered view.
    n : int, default 3
        Sentences to show.
    width : int, default 160
        Characters per line at most (longer lines end with ``…``).

    Returns
    -------
    list of str
        One line per sentence, ``"#<id>  <text>"``.
    """
    ids = corpus.sentence_ids().head(n).to_list()
    if not ids:
        return []
    toks = corpus.filter(sentences=ids).token_rows().select("sentence", "token", "tag")
    lines = []
    for sid in ids:  # at most n sentences: a tiny loop, not a hot path
        rows = toks.filter(toks["sentence"] == sid)
        words: list[str] = []
        label = None
        for token, tag in zip(rows["token"].to_list(), rows["tag"].cast(str).to_list(),
                              strict=True):
            prefix, _, lab = (tag or "O").partition("-")
            inside = prefix in ("I", "E", "L", "M") and lab == label
            if label is not None and not inside:
                words[-1] += f"]{label}"
                label = None
            if prefix != "O" and lab and label is None:
                words.append("[" + token)
                label = lab
            else:
                words.append(token)
        if label is not None:
            words[-1] += f"]{label}"
        line = f"#{sid}  " + " ".join(words)
        lines.append(line if len(line) <= width else line[: width - 1] + "…")
    return lines


def plain_to_html(text: str) -> str:
    """``text`` in an escaped ``<pre>`` block (for ``text/html`` fallbacks)."""
    return f"<pre class='bx-text-fallback'>{html.escape(text)}</pre>"


def with_text(bundle: Any, text: str) -> tuple[dict, dict]:
    """A widget's MIME bundle (``data`` or ``(data, metadata)``) with ``text`` as ``text/plain``.

    Front ends that render widgets use the widget view; others (a terminal, nbconvert without
    widget state, a notebook viewer) show the text.
    """
    data, meta = bundle if isinstance(bundle, tuple) else (bundle, {})
    data = dict(data or {})
    data["text/plain"] = text
    return data, meta or {}
