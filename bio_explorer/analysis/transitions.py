"""Adjacent-tag transitions inside sentences, in the file's own tagging scheme.

Every token contributes the transition *into* it (``<s>`` before the first token of a sentence) and
the last token of a sentence contributes one more, into ``</s>``.  Tags are encoded as small integer
codes and a transition as ``prev_code * K + code``; validity is decided once per distinct pair with
:func:`bio_explorer.schemes.transition_valid`, so nothing loops over tokens.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import polars as pl

from .. import schemes
from ..state import changed_sentences, file_scheme_cat, sentence_rows

if TYPE_CHECKING:
    from ..state import View as Corpus  # the lower layers take a view of the state

START, END = "<s>", "</s>"

__all__ = [
    "END",
    "START",
    "invalid_by_sentence",
    "invalid_tokens",
    "transition_sentences",
    "transitions",
    "view_rows",
]


@dataclass
class _Index:
    """Per-token transition codes of the whole corpus (aligned with ``_state.tok`` rows)."""

    k: int  # number of codes (tags of the file scheme + <s> + </s>)
    vocab: list[str]  # code -> tag
    into: pl.Series  # UInt32 key of the transition into each token
    out: pl.Series  # UInt32 key of the transition to </s> (null except on last tokens)
    pairs: pl.DataFrame  # key, prev_tag, tag, valid (distinct keys present)
    tags: pl.Series  # the tag column the codes were computed from (where an update starts)


def view_rows(corpus: Corpus) -> pl.Series | None:
    """Row numbers (in ``_state.tok``) of the tokens of a view, or ``None`` for the whole corpus.

    Uses the sentence index (first row and length of each sentence), so it costs only as much as
    the view is large.
    """
    sel = corpus.selection
    if sel is None:
        return None
    sent = corpus.state.sent
    idx = sent["sentence"].search_sorted(sel.cast(pl.UInt32))
    idx = idx.filter(idx < sent.height)
    ok = sent["sentence"].gather(idx) == sel.cast(pl.UInt32).head(idx.len())
    idx = idx.filter(ok)
    first = sent["row"].gather(idx)
    n = sent["n_tokens"].gather(idx)
    return (
        pl.DataFrame({"a": first, "n": n})
        .select(pl.int_ranges("a", pl.col("a") + pl.col("n"), dtype=pl.UInt32).alias("r"))
        .explode("r")["r"]
        .drop_nulls()
    )


def _codes(sentence: pl.Series, codes: pl.Series, k: int) -> pl.DataFrame:
    """``into`` and ``out`` transition keys of token ``codes`` (whole sentences, in order)."""
    s_code, e_code = k - 2, k - 1
    df = pl.DataFrame({"c": codes, "s": sentence}).select(
        (pl.col("s") != pl.col("s").shift(1)).fill_null(True).alias("first"),
        (pl.col("s") != pl.col("s").shift(-1)).fill_null(True).alias("last"),
        "c",
    )
    return df.select(
        (
            pl.when(pl.col("first")).then(pl.lit(s_code, pl.UInt32))
            .otherwise(pl.col("c").shift(1)) * k + pl.col("c")
        ).cast(pl.UInt32).alias("into"),
        pl.when(pl.col("last")).then(pl.col("c") * k + e_code).cast(pl.UInt32).alias("out"),
    )


def _pairs(into: pl.Series, out: pl.Series, vocab: list[str], scheme: str) -> pl.DataFrame:
    """``key``, ``prev_tag``, ``tag``, ``valid`` of the distinct keys in ``into`` and ``out``."""
    k = len(vocab)
    keys = pl.concat([into.unique(), out.drop_nulls().unique()]).unique().sort()
    names = pl.Series(vocab)
    pairs = pl.DataFrame({"key": keys}).with_columns(
        names.gather(pl.Series(keys // k)).alias("prev_tag"),
        names.gather(pl.Series(keys % k)).alias("tag"),
    )
    return pairs.with_columns(
        schemes.transition_valid(pl.col("prev_tag"), pl.col("tag"), scheme)
        .fill_null(True).alias("valid")
    )


def _update(corpus: Corpus, old: _Index) -> _Index | None:
    """``old`` brought up to date after edits: only the sentences whose tags changed since it was
    built are converted and coded again.  None when a full build is needed (many sentences
    changed, or the set of file-scheme tags changed, so the vocabulary would be another)."""
    st = corpus.state
    tags = st.tok["tag"]
    changed = changed_sentences(st, old.tags)
    if changed.len() == 0:
        return replace(old, tags=tags)
    if changed.len() > max(64, st.sent.height // 50):
        return None
    rows = sentence_rows(st, changed)
    sub = corpus.rows_view(rows)
    code_of = {t: i for i, t in enumerate(old.vocab[:-2])}
    fresh = file_scheme_cat(sub.state).cast(pl.String).fill_null("O")
    if not set(fresh.unique().to_list()) <= code_of.keys():
        return None  # a tag the vocabulary does not have
    codes = fresh.replace_strict(code_of, return_dtype=pl.UInt32)
    part = _codes(sub.state.tok["sentence"], codes, old.k)
    into = old.into.scatter(rows, part["into"])
    out = old.out.scatter(rows, part["out"])
    used = (into % old.k).unique()
    if used.len() != old.k - 2:  # a tag no longer occurs: a fresh vocabulary would drop it
        return None
    return _Index(old.k, old.vocab, into, out, _pairs(into, out, old.vocab, st.scheme), tags)


def _index(corpus: Corpus) -> _Index:
    st = corpus.state
    prev = st.last("transitions_index")

    def build() -> _Index:
        if prev is not None and prev[0][1] == st.versions["tokens"]:
            updated = _update(corpus, prev[1])
            if updated is not None:
                return updated
        tags = schemes.TagVocab(file_scheme_cat(corpus.state))  # a missing tag reads as O
        vocab = [*tags.tags, START, END]
        frame = _codes(st.tok["sentence"], tags.codes, len(vocab))
        return _Index(len(vocab), vocab, frame["into"], frame["out"],
                      _pairs(frame["into"], frame["out"], vocab, st.scheme), st.tok["tag"])

    return st.memo("transitions_index", build, depends_on=("tags", "tokens"))


def _keys(corpus: Corpus) -> pl.Series:
    """All transition keys of the view (into-token keys, then end keys)."""
    ix = _index(corpus)
    rows = view_rows(corpus)
    into, out = (ix.into, ix.out) if rows is None else (ix.into.gather(rows), ix.out.gather(rows))
    return pl.concat([into, out.drop_nulls()])


def transitions(corpus: Corpus) -> pl.DataFrame:
    """Counts of adjacent tag pairs inside the sentences of ``corpus``.

    Tags are those of the file's scheme (e.g. ``S-X`` for a BIOES file); the start of a sentence is
    ``"<s>"`` and its end ``"</s>"``.

    Parameters
    ----------
    corpus : Corpus
        A corpus or a view (only its sentences are counted).

    Returns
    -------
    pl.DataFrame
        ``prev_tag`` (str), ``tag`` (str), ``count`` (u32), ``valid`` (bool: allowed by the scheme),
        sorted by count (descending), then ``prev_tag`` and ``tag``.
    """

    def build() -> pl.DataFrame:
        pairs = _index(corpus).pairs
        counts = _keys(corpus).rename("key").value_counts(name="count")
        return (
            counts.join(pairs, on="key", how="inner")
            .select("prev_tag", "tag", pl.col("count").cast(pl.UInt32), "valid")
            .sort(["count", "prev_tag", "tag"], descending=[True, False, False])
        )

    if corpus.selection is None:
        return corpus.state.memo("transitions", build, depends_on=("tags", "tokens"))
    return build()


def _invalid_rows(corpus: Corpus) -> pl.DataFrame:
    """Whole corpus: one row per invalid transition with the row of the offending token.

    Columns ``row`` (u32, in ``_state.tok``), ``sentence``, ``prev_tag``, ``tag``.  The offending
    token is the one entering the transition, except when the transition closes a span badly
    (``B-X → O`` or ``→ </s>`` in BIOES, ``I-X → O`` in IOE): then it is the previous token.
    """

    def build() -> pl.DataFrame:
        ix = _index(corpus)
        bad = ix.pairs.filter(~pl.col("valid"))
        bad_keys = bad["key"].implode()
        into = (
            pl.DataFrame({"key": ix.into}).with_row_index("row")
            .filter(pl.col("key").is_in(bad_keys))
        )
        out = (
            pl.DataFrame({"key": ix.out}).with_row_index("row")
            .filter(pl.col("key").is_in(bad_keys))
        )
        both = pl.concat([into, out]).join(bad, on="key", how="left")
        both = both.with_columns(
            pl.when((pl.col("tag") == "O") & (pl.col("prev_tag") != START))
            .then(pl.col("row") - 1).otherwise(pl.col("row")).cast(pl.UInt32).alias("row")
        )
        sentence = corpus.state.tok["sentence"].gather(both["row"])
        return (
            both.with_columns(sentence.alias("sentence"))
            .select("row", "sentence", "prev_tag", "tag")
            .sort("row")
        )

    return corpus.state.memo("invalid_rows", build, depends_on=("tags", "tokens"))


def invalid_tokens(corpus: Corpus) -> pl.DataFrame:
    """One row per invalid transition in the view, located on its offending token.

    Returns
    -------
    pl.DataFrame
        ``row``, ``sentence``, ``position``, ``token``, ``prev_tag``, ``tag`` (file-scheme tags of
        the transition) and ``token_tag`` (file-scheme tag of the offending token).
    """
    inv = _invalid_rows(corpus)
    if corpus.selection is not None:
        inv = inv.filter(pl.col("sentence").is_in(corpus.selection.implode()))
    tok = corpus.state.tok
    ft = file_scheme_cat(corpus.state)
    return inv.with_columns(
        tok["position"].gather(inv["row"]).alias("position"),
        tok["token"].gather(inv["row"]).alias("token"),
        ft.gather(inv["row"]).cast(pl.String).alias("token_tag"),
    )


def invalid_by_sentence(corpus: Corpus) -> pl.DataFrame:
    """Number of invalid transitions per sentence (only sentences that have one).

    Returns
    -------
    pl.DataFrame
        ``sentence`` (u32), ``n_invalid`` (u32), sorted by sentence.
    """

    def build() -> pl.DataFrame:
        return (
            _invalid_rows(corpus).group_by("sentence").len("n_invalid")
            .with_columns(pl.col("n_invalid").cast(pl.UInt32)).sort("sentence")
        )

    full = corpus.state.memo("invalid_by_sentence", build, depends_on=("tags", "tokens"))
    if corpus.selection is None:
        return full
    return full.filter(pl.col("sentence").is_in(corpus.selection.implode()))


def transition_key(corpus: Corpus, prev_tag: str, tag: str) -> int | None:
    """The integer key of ``prev_tag → tag`` or ``None`` when either tag never occurs."""
    ix = _index(corpus)
    try:
        return ix.vocab.index(prev_tag) * ix.k + ix.vocab.index(tag)
    except ValueError:
        return None


def transition_sentences(corpus: Corpus, prev_tag: str, tag: str) -> pl.Series:
    """Sorted ids of the sentences (whole corpus) that contain the transition ``prev_tag → tag``."""

    def build() -> dict[int, pl.Series]:
        return {}

    key = transition_key(corpus, prev_tag, tag)
    if key is None:
        return pl.Series("sentence", [], pl.UInt32)
    memo = corpus.state.memo("transition_sentences", build, depends_on=("tags", "tokens"))
    if key not in memo:
        ix = _index(corpus)
        col = ix.out if tag == END else ix.into
        rows = col.eq(key).fill_null(False).arg_true()
        memo[key] = corpus.state.tok["sentence"].gather(rows).unique().sort()
    return memo[key]


def offending_positions(frame: pl.DataFrame, prev_tag: str, tag: str, scheme: str) -> pl.Series:
    """Positions (per token row of ``frame``) that a ``prev_tag → tag`` filter should highlight.

    ``frame`` holds whole sentences in reading order with ``sid`` (sentence), ``position`` and
    ``ft`` (file-scheme tag).  Returns a boolean Series aligned with ``frame``.
    """
    first = frame["sid"] != frame["sid"].shift(1)
    last = frame["sid"] != frame["sid"].shift(-1)
    df = pl.DataFrame({"first": first.fill_null(True), "last": last.fill_null(True),
                       "ft": frame["ft"]})
    prev = pl.when(pl.col("first")).then(pl.lit(START)).otherwise(pl.col("ft").shift(1))
    nxt = pl.when(pl.col("last")).then(pl.lit(END)).otherwise(pl.col("ft").shift(-1))
    valid = pl.select(
        schemes.transition_valid(pl.lit(prev_tag), pl.lit(tag), scheme).fill_null(True)
    ).item()
    on_prev = tag == END or (not valid and tag == "O" and prev_tag != START)
    if on_prev:
        # the token *leaving* through the transition is highlighted
        expr = (pl.col("ft") == prev_tag) & (nxt == tag)
    else:
        expr = (pl.col("ft") == tag) & (prev == prev_tag)
    return df.select(expr.fill_null(False)).to_series()
