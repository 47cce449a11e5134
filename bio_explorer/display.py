"""Display helpers of the span view: how tokens are shown, never what they are.

WikiANN-style corpora prefix every token with its language (``en:Paris``); the span view offers a
"Plain text" display that hides such a prefix and joins tokens as text is written (no space before
punctuation).  The corpus, the filters and the edits keep the tokens as read.
"""

from __future__ import annotations

from typing import Any

__all__ = ["common_token_prefix"]

_PREFIX = r"^([A-Za-z]{2,3}:)\S"


def common_token_prefix(corpus: Any, share: float = 0.9, sample: int = 200_000) -> str:
    """A language prefix such as ``"en:"`` carried by most tokens of ``corpus``, or ``""``.

    Parameters
    ----------
    corpus : Corpus or LazyCorpus
        The corpus (only its first ``sample`` tokens are looked at).
    share : float, default 0.9
        Fraction of those tokens that must carry the same prefix.
    sample : int, default 200000
        Tokens looked at.

    Returns
    -------
    str
        The prefix (with its colon), or an empty string.
    """
    # ``.lazy()``: an eager Corpus and a LazyCorpus alike (only the first rows are read); an eager
    # corpus's own rows, so that the columns a fast read deferred are not read for this
    rows = getattr(corpus, "token_rows", None)
    frame = corpus.tokens if rows is None else rows()
    tokens = frame.lazy().select("token").head(sample).collect()["token"]
    if tokens.len() == 0:
        return ""
    counts = tokens.str.extract(_PREFIX, 1).drop_nulls().value_counts(sort=True)
    if counts.height == 0:
        return ""
    prefix, n = counts.row(0)
    return str(prefix) if n >= share * tokens.len() else ""
