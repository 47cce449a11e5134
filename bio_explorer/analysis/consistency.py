"""Surface-form inconsistencies: the same text labelled differently across a corpus.

:func:`inconsistencies` groups every occurrence of every surface form that is an entity span
somewhere (token n-grams up to ``max_ngram`` tokens), including the places where the same tokens are
left ``O`` or are cut across by a span of another extent, and scores each *dissenting* occurrence
(one whose labelling disagrees with what the rest of the corpus says about that text).

Everything is done with polars joins on hashed token n-gram keys; nothing loops over tokens or
sentences (the only Python loops run over n-gram lengths and over a handful of evidence levels).

Occurrence categories
---------------------
Each token n-gram ``[a, a+n)`` whose text equals a span text found somewhere is one *occurrence* of
that form, in exactly one category:

``<label>``  an entity span with exactly that extent (its label);
``O``        every token is ``O`` (an untagged mention);
``<x>``      a span boundary cuts through the n-gram (e.g. ``New York`` tagged, ``City`` not, for
             the form ``New York City``);
inside       the n-gram lies strictly inside a longer span (``PyTorch`` in ``PyTorch Lightning``):
             not a vote about the form, but checked as a possible over-long span (see below).

The planted-error evaluation (plant known errors, measure how many the finder recovers) lives in
``benchmarks/_planted.py``; ``benchmarks/bench_detect.py`` prints those figures after the
real-error yardstick.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import polars as pl

from ..span_text import span_texts
from ..state import all_spans, restrict

if TYPE_CHECKING:
    from ..state import View as Corpus  # the lower layers take a view of the state

#: default score threshold of ``inconsistencies(occurrences=True)``: the lowest threshold with a
#: pooled planted-error precision of 0.5 on the fitting seeds (``benchmarks/bench_detect.py --fit``)
DEFAULT_THRESHOLD = 0.26

#: longest span (in tokens) whose text is searched for (``OP_BLOCK : ( output omitted for
#: annotation )`` in stackoverflow_ner is 8 tokens)
DEFAULT_MAX_NGRAM = 8

CROSS = "<x>"  # category: a span boundary cuts through the n-gram
KINDS = ("inconsistent_label", "unlabelled_mention", "inconsistent_boundary")

# weights of the evidence levels (leave-one-out label counts of the same form ...)
_LEVELS: tuple[tuple[str, tuple[str, ...], float], ...] = (
    ("g", (), 1.0),                    # ... anywhere in the corpus
    ("l", ("left",), 1.0),             # ... after the same (normalised) left word
    ("r", ("right",), 1.0),            # ... before the same right word
    ("lr", ("left", "right"), 2.0),    # ... in the same left+right context (variation n-gram)
    ("d", ("doc",), 1.0),              # ... in the same document (only for small documents)
)

_OCC_SCHEMA = {
    "sentence": pl.UInt32, "start": pl.UInt32, "end": pl.UInt32, "text": pl.String,
    "label": pl.String, "majority": pl.String, "score": pl.Float64, "kind": pl.String,
    "form": pl.String, "form_labels": pl.String, "variant": pl.String,
}
_FORM_SCHEMA = {
    "text": pl.String, "labels": pl.String,
    "label_counts": pl.List(pl.Struct({"label": pl.String, "count": pl.UInt32})),
    "majority": pl.String, "occurrences": pl.UInt32, "minority_occurrences": pl.UInt32,
    "score": pl.Float64, "variant": pl.String,
}


# ---------------------------------------------------------------------------------------- tokens
def _token_frame(corpus: Corpus) -> pl.DataFrame:
    """Per token: hashes for matching, context key, span membership and shape features."""
    st = corpus.state

    def build() -> pl.DataFrame:
        tok = st.tok
        n = tok.height
        # span membership per token, from the (cached, seqeval-exact) spans frame
        sp = all_spans(corpus.state).join(
            st.sent.select("sentence", "row"), on="sentence", how="left", maintain_order="left"
        ).select(
            (pl.col("row") + pl.col("start")).alias("first"),
            (pl.col("row") + pl.col("end")).alias("stop"), "label",
        )
        members = sp.select(
            pl.int_ranges("first", "stop", dtype=pl.UInt32).alias("r"), "first", "stop", "label"
        ).explode("r")
        idx = members["r"]

        def spread(values: pl.Series, dtype: pl.DataType) -> pl.Series:
            return pl.repeat(None, n, dtype=dtype, eager=True).scatter(idx, values.cast(dtype))

        lower = pl.col("token").str.to_lowercase()
        tf = pl.DataFrame({
            "row": pl.int_range(n, dtype=pl.UInt32, eager=True),
            "sentence": tok["sentence"], "position": tok["position"], "doc": tok["doc"],
            "token": tok["token"],
            "sp_first": spread(members["first"], pl.UInt32),
            "sp_end": spread(members["stop"], pl.UInt32),
            "label": spread(members["label"], pl.Categorical),
        }).with_columns(
            pl.col("sp_first").is_not_null().alias("non_o"),
            pl.col("token").hash(11).alias("k_exact"),
        )
        # every string feature and corpus statistic is computed once per distinct token (a few
        # percent of the rows), then joined back on the token hash in a single join
        vocab = tf.group_by("k_exact").agg(
            pl.col("row").first(), pl.len().alias("tf_n"), (~pl.col("non_o")).sum().alias("tf_o"),
        )
        vocab = vocab.with_columns(tok["token"].gather(vocab["row"])).select(
            "k_exact", "tf_n", "tf_o",
            lower.hash(11).alias("k_fold"),
            # context word: lower-cased, digits folded to 0
            lower.str.replace_all(r"\d", "0").hash(13).alias("ctx"),
            # name shape: an upper-case letter that is not just the sentence-initial capital
            (pl.col("token").str.slice(1).str.contains(r"[[:upper:]]")
             | pl.col("token").str.contains(r"[[:alpha:]].*\d|\d.*[[:alpha:]]")).alias("_inner"),
            pl.col("token").str.contains(r"^[[:upper:]]").alias("_cap"),
            (pl.col("token") == lower).alias("is_lower"),
        )
        # token-level statistics over the whole corpus: P(O | lower-cased token), and whether the
        # lower-cased spelling of a capitalised token is ever written in lower case
        fold = vocab.group_by("k_fold").agg(
            pl.col("tf_n").sum(), pl.col("tf_o").sum(), pl.col("is_lower").any().alias("_seen"),
            (pl.len() > 1).alias("multi_spelling"),  # several spellings fold to this one
        ).select(
            "k_fold", (pl.col("tf_o") / (pl.col("tf_n") + 1)).alias("p_o"),
            (~pl.col("_seen")).alias("never_lower"), "multi_spelling",
        )
        vocab = vocab.join(fold, on="k_fold", how="left").drop("tf_n", "tf_o").with_columns(
            # a dense id of the context word: per-word statistics become array lookups
            (pl.col("ctx").rank("dense") - 1).cast(pl.UInt32).alias("ctx_id")
        )
        n_ctx = int(vocab["ctx_id"].max() or 0) + 1  # ids n_ctx, n_ctx + 1: sentence edges
        doc_n = tf.group_by("doc").len("doc_n").filter(pl.col("doc_n") <= max(1, n // 5))
        tf = tf.join(vocab, on="k_exact", how="left", maintain_order="left").with_columns(
            (pl.col("_inner") | ((pl.col("position") > 0) & pl.col("_cap"))).alias("shape"),
            pl.col("doc").is_in(doc_n["doc"].implode()).alias("small_doc"),
        ).drop("_inner", "_cap")
        # cross-form context statistics: how often the word after a given left word starts a
        # span (and the word before a given right word ends one), each row leaving itself out
        same_prev = pl.col("sentence").shift(1) == pl.col("sentence")
        same_next = pl.col("sentence").shift(-1) == pl.col("sentence")
        ctx = tf.select(
            pl.when(same_prev).then(pl.col("ctx_id").shift(1))
            .otherwise(pl.lit(n_ctx, pl.UInt32)).alias("lc"),
            pl.when(same_next).then(pl.col("ctx_id").shift(-1))
            .otherwise(pl.lit(n_ctx + 1, pl.UInt32)).alias("rc"),
            (pl.col("non_o") & (pl.col("row") == pl.col("sp_first"))).alias("s"),
            (pl.col("non_o") & (pl.col("sp_end") == pl.col("row") + 1)).alias("e"),
        )
        tf = pl.concat([tf, ctx], how="horizontal")
        return tf.with_columns(
            pl.col("non_o").cast(pl.UInt32).cum_sum().alias("c_non_o"),
            pl.col("shape").cast(pl.UInt32).cum_sum().alias("c_shape"),
            pl.col("never_lower").cast(pl.UInt32).cum_sum().alias("c_never_lower"),
            pl.col("p_o").cum_sum().alias("c_p_o"),
        )

    return st.memo("consistency_tokens", build, depends_on=("tags",))


# ----------------------------------------------------------------------------------- occurrences
def _context_tables(tf: pl.DataFrame) -> dict:
    """Per context word: what the tokens after it (``lc``) / before it (``rc``) are.

    ``lc`` / ``rc``: how many tokens follow (precede) the word and how many of those start (end)
    a span, as arrays indexed by the word id; ``s`` / ``e``: the corpus-wide rates.
    ``lab_lc`` / ``lab_rc``: one row per (word ``_w``, category ``_cls``) with the count ``_c``
    of following (preceding) tokens that start (end) a span of that label or are untagged
    (``"O"``); ``prior_lc`` / ``prior_rc``: each category's corpus-wide rate ``_p`` (see
    :func:`_label_context`).
    All from one count of (word, category) pairs per side.
    """
    size = int(max(tf["lc"].max() or 0, tf["rc"].max() or 0)) + 1
    labels = tf["label"].unique().drop_nulls()
    names = pl.DataFrame({
        "_k": pl.concat([pl.Series([0], dtype=pl.UInt32), labels.to_physical() + 1]),
        "_cls": pl.concat([pl.Series(["O"]), labels.cast(pl.String)]),
    })
    inside = int(names["_k"].max() or 0) + 1  # a token inside a span: no category
    code = pl.col("label").to_physical() + 1
    out = {}
    for key, flag in (("lc", "s"), ("rc", "e")):
        k = (pl.when(pl.col(flag)).then(code).when(~pl.col("non_o")).then(pl.lit(0, pl.UInt32))
             .otherwise(pl.lit(inside, pl.UInt32)))
        # count (word, category) pairs as one integer key (faster than a two-column group-by)
        pair = tf.select((pl.col(key).cast(pl.UInt64) * (inside + 1) + k).alias("_pair"))
        tab = pair["_pair"].value_counts(name="_c").select(
            (pl.col("_pair") // (inside + 1)).cast(pl.UInt32).alias("_w"),
            (pl.col("_pair") % (inside + 1)).cast(pl.UInt32).alias("_k"), "_c",
        )
        g = tab.group_by("_w").agg(
            pl.col("_c").filter((pl.col("_k") > 0) & (pl.col("_k") < inside)).sum()
            .cast(pl.Float64).alias("hits"),
            pl.col("_c").sum().cast(pl.Float64).alias("seen"),
        )
        # (Series.scatter works in place: a fresh array for each table)
        out[key] = tuple(
            pl.repeat(0.0, size, dtype=pl.Float64, eager=True).scatter(g["_w"], g[col])
            for col in ("hits", "seen")
        )
        out[flag] = max(float(tf[flag].mean() or 0.0), 1e-6)
        lab = tab.filter(pl.col("_k") < inside)
        prior = lab.group_by("_k").agg((pl.col("_c").sum() / lab["_c"].sum()).alias("_p"))
        out[f"lab_{key}"] = lab.join(names, on="_k").drop("_k")
        out[f"prior_{key}"] = prior.join(names, on="_k").drop("_k")
    return out


#: sentences per block for the nearby-occurrence signals (:func:`_window_counts`)
_WINDOW = 10


def _window_counts(scored: pl.DataFrame, votes: pl.DataFrame) -> list[pl.Series]:
    """Per dissenting occurrence: the other occurrences of its form nearby — in the same block
    of ``_WINDOW`` sentences, a stand-in for the document that most corpora do not mark — with
    its own category (``win_own``) and with the majority's (``win_m``).  A name tagged in the
    neighbouring sentences but not here is likelier a slip than one untagged in another part of
    the corpus (where a different sense or guideline may hold)."""
    win = (pl.col("sentence") // _WINDOW).alias("_win")
    cnt = votes.select("form", win, pl.col("cat").cast(pl.String)).group_by(
        "form", "_win", "cat").len("_n")
    own, maj = _own_and_majority(scored.select("form", win, "cat", "majority"), cnt, "cat",
                                 ["form", "_win"])
    return [(own["_n"].fill_null(1).cast(pl.Float64) - 1.0).clip(0.0).alias("win_own"),
            maj["_n"].fill_null(0).cast(pl.Float64).alias("win_m")]


def _own_and_majority(occ: pl.DataFrame, table: pl.DataFrame, cls: str,
                      keys: list[str] | None = None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The rows of ``table`` (category in column ``cls``) matching every row of ``occ`` on
    ``keys`` and on its own category ``cat`` / on its ``majority``, in ``occ``'s order (nulls
    where the table has no such row)."""
    keys = keys or []
    return tuple(
        occ.join(table.rename({cls: col}), on=[*keys, col], how="left", maintain_order="left")
        for col in ("cat", "majority")
    )


def _label_context(scored: pl.DataFrame, tf: pl.DataFrame, ctx: dict,
                   smooth: float = 2.0) -> pl.Series:
    """Per dissenting occurrence: how much better its neighbour words fit its own category than
    the majority's, judged over *all* forms (a label-specific context prior).

    For the left word (the context id before the occurrence) and for the right word (after it),
    the log of ``P(own category | word) / P(majority | word)`` minus the same log ratio over the
    whole corpus, summed (tables ``lab_lc`` / ``lab_rc`` of :func:`_context_tables`).  The
    category a left word predicts is the label of the span its successor starts, ``O`` for an
    untagged successor, nothing for a token inside a span (mirrored for the right word), so
    ``in`` favours a place and ``Mr`` a person whatever the form.  The occurrence itself is left
    out; counts are smoothed towards the corpus-wide rates.  0 when either side is ``<x>`` (a
    cut-across occurrence).
    """
    last = scored["row"] + scored["n"].cast(pl.UInt32) - 1
    # the occurrence itself counts in its own category (an exact span or an untagged token)
    self_n = (scored["cat"] != CROSS).cast(pl.Float64)
    total = pl.repeat(0.0, scored.height, dtype=pl.Float64, eager=True)
    for key, rows in (("lc", scored["row"]), ("rc", last)):
        tab, prior = ctx[f"lab_{key}"], ctx[f"prior_{key}"]
        occ = pl.DataFrame({"_w": tf[key].gather(rows), "cat": scored["cat"],
                            "majority": scored["majority"]})
        # counts after this word (a category never seen after it has no row: 0); rates per
        # category (null for <x>, which has no rate: the feature is 0 then)
        own, maj = _own_and_majority(occ, tab, "_cls", ["_w"])
        own_p, maj_p = _own_and_majority(occ, prior, "_cls")
        c_own = (own["_c"].fill_null(0).cast(pl.Float64) - self_n).clip(0.0)
        c_maj = maj["_c"].fill_null(0).cast(pl.Float64)
        p_own, p_maj = own_p["_p"], maj_p["_p"]
        lr = ((c_own + smooth * p_own) / (c_maj + smooth * p_maj)).log() - (p_own / p_maj).log()
        total = total + lr.fill_null(0.0).fill_nan(0.0)
    return total.clip(-6.0, 6.0).alias("lab_ctx")


def _context_prior(key: pl.Series, own: pl.Series, table: tuple, base: float,
                   smooth: float = 5.0) -> pl.Series:
    """Per occurrence: log ratio of the rate of a flag among the *other* tokens sharing its
    context word (id ``key``; ``own`` is the occurrence's own flag), smoothed towards the
    corpus-wide rate ``base``, to ``base``."""
    hits, seen = table
    h = hits.gather(key) - own.cast(pl.Float64)
    m = seen.gather(key) - 1.0
    return (((h + smooth * base) / (m + smooth)) / base).log()


def _occurrences(tf: pl.DataFrame, key: str, max_ngram: int, ctx: dict,
                 starts_ok: pl.Series | None = None) -> pl.DataFrame:
    """Every n-gram occurrence of every span form (n ≤ ``max_ngram``), classified.

    Returns one row per occurrence: ``row`` (first token), ``n``, ``form`` (id), ``cat`` (label,
    ``O``, ``<x>`` or null for *inside*), ``left``, ``right``, ``doc``, ``small_doc`` and the
    features the score needs.

    The n-grams are enumerated like a trie walk: a single hashed key per candidate start row is
    extended one token at a time, and only the rows whose key is a prefix of some span text survive
    to the next length.  Every other column is fetched by row index for the matched rows only.
    """
    is_start = pl.col("non_o") & (pl.col("row") == pl.col("sp_first"))
    if starts_ok is not None:  # only the spans whose first token passes (see _analyse)
        is_start = is_start & starts_ok
    # per row: the length of the span it starts (null when it starts none within max_ngram)
    length = pl.col("sp_end") - pl.col("row")
    span_n = tf.select(
        pl.when(is_start & (length <= max_ngram)).then(length).alias("sn")
    ).to_series()
    span_starts = pl.DataFrame({"row": tf["row"], "n": span_n}).drop_nulls("n")
    if span_starts.height == 0:
        return pl.DataFrame()
    lengths = set(span_starts["n"].unique().to_list())
    top = max(lengths)
    n_rows = tf.height
    kcol, sent = tf[key], tf["sentence"]
    # candidate start rows and prefix keys: an occurrence starts with the same (folded) word as
    # its form, so only the rows holding the first word of some span can start one
    first_words = kcol.gather(span_starts["row"]).unique().implode()
    cur = pl.DataFrame({"row": tf["row"], "h": kcol, "sn": span_n}).filter(
        pl.col("h").is_in(first_words)
    )
    parts, forms_all = [], []
    form_base = 0
    for n in range(1, top + 1):
        if n > 1:
            nxt = cur["row"] + (n - 1)
            ok = nxt < n_rows
            cur, nxt = cur.filter(ok), nxt.filter(ok)
            cur = cur.with_columns(
                pl.DataFrame({"h": cur["h"], "k": kcol.gather(nxt)}).select(
                    pl.struct("h", "k").hash(17))["h"],
                (sent.gather(nxt) == sent.gather(cur["row"])).alias("_ok"),
            ).filter("_ok").drop("_ok")
        starts = cur.filter(pl.col("sn").is_not_null())  # the span starts still walking
        if n in lengths:
            forms = (
                starts.filter(pl.col("sn") == n).group_by("h")
                .agg(pl.col("row").min().alias("form_row"))
                .sort("form_row").with_row_index("form", offset=form_base)
            )
            if forms.height:
                form_base += forms.height
                forms_all.append(forms.select("form", "form_row", pl.lit(n, pl.UInt8).alias("n")))
                parts.append(cur.join(forms.select("form", "h"), on="h", how="inner")
                             .select("row", "form", pl.lit(n, pl.UInt8).alias("n")))
        if n < top:  # keep only prefixes of longer spans
            longer = starts.filter(pl.col("sn") > n).select(pl.col("h").unique())
            cur = cur.join(longer, on="h", how="semi")
    if not parts:
        return pl.DataFrame()
    occ = pl.concat(parts).sort("n", "row")
    row = occ["row"]
    n_ = occ["n"].cast(pl.UInt32)
    last = row + n_ - 1
    after = (row + n_).clip(upper_bound=n_rows - 1)

    # every column is fetched with one (column-parallel) frame gather per row index
    cums = ["c_shape", "c_never_lower", "c_p_o", "c_non_o"]
    at_row = tf.select(
        "position", "sentence", "doc", "small_doc", "label", "sp_first", "sp_end", "lc", "s",
        *cums, *(c.removeprefix("c_") for c in cums),
    ).gather(row)
    at_last = tf.select("label", "sp_first", "rc", "e", *cums).gather(last)
    at_after = tf.select("ctx", "sentence").gather(after)
    left_ctx = tf["ctx"].gather((row.cast(pl.Int64) - 1).clip(lower_bound=0))

    def span_sum(col: str) -> pl.Series:
        own = at_row[col.removeprefix("c_")].cast(tf[col].dtype)
        return at_last[col] - at_row[col] + own

    sentence = at_row["sentence"]
    has_right = (row + n_ < n_rows) & (at_after["sentence"] == sentence)
    occ = occ.with_columns(
        sentence=sentence, position=at_row["position"], doc=at_row["doc"],
        small_doc=at_row["small_doc"],
        _left=left_ctx, _right=at_after["ctx"], _has_right=has_right,
        shape=span_sum("c_shape"), never_lower=span_sum("c_never_lower"),
        po=span_sum("c_p_o") / n_.cast(pl.Float64),
        label=at_row["label"], label_last=at_last["label"], nn=span_sum("c_non_o"),
        sp_first=at_row["sp_first"], sp_end=at_row["sp_end"],
        _sp_first_last=at_last["sp_first"],
        lctx=_context_prior(at_row["lc"], at_row["s"], ctx["lc"], ctx["s"]),
        rctx=_context_prior(at_last["rc"], at_last["e"], ctx["rc"], ctx["e"]),
    ).with_columns(
        exact=(pl.col("nn") == pl.col("n")) & (pl.col("sp_first") == pl.col("row"))
        & (pl.col("sp_end") == pl.col("row") + pl.col("n")),
        same_span=(pl.col("nn") == pl.col("n"))
        & (pl.col("sp_first") == pl.col("_sp_first_last")),
    ).drop("_sp_first_last")
    occ = occ.with_columns(
        # neighbour words (sentinels at sentence edges)
        pl.when(pl.col("position") > 0).then("_left").otherwise(pl.lit(0, pl.UInt64))
        .alias("left"),
        pl.when("_has_right").then("_right").otherwise(pl.lit(1, pl.UInt64)).alias("right"),
    ).drop("_left", "_right", "_has_right")
    occ = occ.with_columns(
        pl.when(pl.col("exact")).then(pl.col("label"))
        .when(pl.col("nn") == 0).then(pl.lit("O"))
        .when(pl.col("same_span")).then(pl.lit(None, pl.String))  # inside a longer span
        .otherwise(pl.lit(CROSS)).alias("cat"),
        # the label a boundary problem concerns: first labelled token of the n-gram
        pl.coalesce("label", "label_last").alias("span_label"),
    )
    forms = pl.concat(forms_all)
    return occ.with_row_index("id"), forms


# ---------------------------------------------------------------------------------------- scores
def _vote_scores(occ: pl.DataFrame) -> pl.DataFrame:
    """Leave-one-out label evidence for every voting occurrence (``cat`` not null).

    Returns per occurrence ``id``: ``majority`` and the evidence counts the score uses.
    """
    # only the columns the evidence needs; categories as small integer codes (fast group-bys)
    votes = occ.filter(pl.col("cat").is_not_null()).select(
        "id", "form", "left", "right", pl.col("cat").cast(pl.Categorical),
        pl.when(pl.col("small_doc")).then(pl.col("doc")).otherwise(pl.lit(None, pl.UInt32))
        .alias("doc"),
    )
    # the evidence of an occurrence depends only on its signature (form, neighbour words, small
    # document, own category), and every count below is a sum over signatures: group the votes
    # by signature once (with the ids of their occurrences)
    sig_cols = ["form", "left", "right", "doc", "cat"]
    sig = votes.group_by(sig_cols).agg(pl.len().alias("m"), pl.col("id")).with_row_index("sid")
    # candidates: signatures outside their form's overall majority, or in a left (right) context
    # where the form is labelled in more than one way (the rest cannot be a minority anywhere)
    gcnt = sig.group_by("form", "cat").agg(pl.col("m").sum().alias("c"))
    gmaj = gcnt.sort(["c", "cat"], descending=[True, False]).unique("form", keep="first")
    parts = [sig.join(gmaj.select("form", "cat"), on=["form", "cat"], how="anti").select("sid")]
    for side in ("left", "right"):
        varied = sig.group_by("form", side).agg(pl.col("cat").n_unique().alias("nc")).filter(
            pl.col("nc") > 1
        )
        parts.append(sig.join(varied, on=["form", side], how="semi").select("sid"))
    sigs = sig.join(pl.concat(parts).unique(), on="sid", how="semi")
    ids = sigs.select("sid", "id").explode("id")
    sig_n = sig.drop("id")
    # one row per (signature, category) with another occurrence of the form in that category;
    # every evidence level counts a subset of those occurrences, so these rows hold them all
    own = pl.col("cat") == pl.col("own")
    ev = sigs.select("sid", "form", "left", "right", "doc", pl.col("cat").alias("own")).join(
        gcnt, on="form", how="inner"
    ).with_columns(pl.col("c") - own.cast(pl.UInt32)).filter(pl.col("c") > 0)
    for name, cols, _ in _LEVELS[1:]:
        keys = ["form", *cols, "cat"]
        v = sig_n.filter(pl.col("doc").is_not_null()) if name == "d" else sig_n
        level = v.group_by(keys).agg(pl.col("m").sum().alias(f"c_{name}"))
        ev = ev.join(level, on=keys, how="left").with_columns(
            (pl.col(f"c_{name}") - own.cast(pl.UInt32)).fill_null(0)
        )
    w = {name: weight for name, _, weight in _LEVELS}
    ev = ev.select(
        "sid", "cat",
        sum(pl.col("c" if name == "g" else f"c_{name}").cast(pl.Float64) * weight
            for name, weight in w.items()).alias("C"),
        pl.col("c").alias("g"),
        (pl.col("c_l") + pl.col("c_r") + pl.col("c_lr")).alias("ctx"),
        pl.col("c_d").alias("d"),
    )
    totals = ev.group_by("sid").agg(pl.col("C").sum().alias("T"), pl.col("g").sum().alias("N"))
    major = ev.sort(["sid", "C", "g", "cat"], descending=[False, True, True, False]).unique(
        "sid", keep="first", maintain_order=True
    ).select("sid", pl.col("cat").alias("majority"), pl.col("C").alias("A"),
             pl.col("g").alias("k"), pl.col("ctx").alias("ctx_m"), pl.col("d").alias("d_m"))
    mine = sigs.select("sid", "cat").join(ev, on=["sid", "cat"], how="left").select(
        "sid", pl.col("C").fill_null(0.0).alias("D"), pl.col("g").fill_null(0).alias("j"),
        pl.col("ctx").fill_null(0).alias("ctx_own"), pl.col("d").fill_null(0).alias("d_own"),
    )
    per = major.join(totals, on="sid").join(mine, on="sid", how="left")
    per = ids.select("id", "sid").join(per, on="sid", how="inner").drop("sid")
    return per.with_columns(pl.col("majority").cast(pl.String))


#: kinds of conflict, each scored by its own logistic model (see :func:`inconsistencies`)
GROUPS = ("flip", "own_o", "maj_o", "cross", "inside")

#: features of a dissenting (voting) occurrence, and of an n-gram inside a possibly over-long span
VOTE_FEATURES = ("agree", "conf", "logk", "logj", "share", "ctx_m", "ctx_own", "doc_veto", "name",
                 "never_lower", "po", "len", "fold", "lone", "lctx", "rctx", "pair", "sent0",
                 "cross_own", "noise", "lab_ctx", "win_o", "win_m")
INSIDE_FEATURES = ("conf", "logk", "share", "oish", "oish2", "rare_cover", "same_label", "extra",
                   "x_name", "lctx", "rctx", "sent0")
FEATURES = tuple(dict.fromkeys(VOTE_FEATURES + INSIDE_FEATURES))

#: weights of the occurrence score: one logistic model per group (fitted on planted errors in five
#: shared corpora with ``python benchmarks/bench_detect.py --fit``, seeds 101-104, disjoint from
#: the evaluation seeds 1, 2; a feature missing from a group has weight 0).  Read when a score is
#: computed: a fitting script may update it in place to try other weights on fresh corpora.
SCORE_WEIGHTS: dict[str, dict[str, float]] = {
    "flip": {"bias": 7.86, "agree": 0.27, "conf": -8.68, "logk": 0.61, "logj": -0.67,
        "share": -12.28, "ctx_m": 0.18, "ctx_own": -0.08, "name": 0.07, "never_lower": 0.25,
        "po": -0.01, "len": 1.0, "fold": -0.32, "lone": 0.41, "lctx": -0.32, "rctx": -0.15,
        "pair": -0.26, "sent0": 0.03, "noise": -4.56, "lab_ctx": -0.21, "win_o": -0.96,
        "win_m": 0.75},
    "own_o": {"bias": -1.14, "agree": -0.82, "conf": -0.9, "logk": 0.48, "logj": -0.46,
        "share": 1.07, "ctx_m": 0.25, "ctx_own": -0.51, "doc_veto": -2.51, "name": 1.21,
        "never_lower": -0.03, "po": -5.4, "len": 4.29, "fold": -0.54, "lone": 0.64, "lctx": 0.21,
        "rctx": 0.21, "pair": -0.12, "sent0": 0.57, "noise": 0.52, "lab_ctx": -0.04,
        "win_o": -1.42, "win_m": 1.3},
    "maj_o": {"bias": -2.87, "agree": -0.9, "conf": 0.98, "logk": 0.7, "logj": -3.01,
        "share": 1.39, "ctx_m": -0.05, "ctx_own": -1.83, "name": 0.26, "never_lower": -1.21,
        "po": -0.96, "len": 2.06, "fold": -0.46, "lone": 0.09, "lctx": 0.09, "rctx": -0.31,
        "pair": -0.39, "sent0": 0.83, "cross_own": -0.86, "noise": 4.67, "lab_ctx": -0.1,
        "win_o": -1.1, "win_m": -0.88},
    "cross": {"bias": -1.69, "agree": 4.29, "conf": -0.56, "logk": 0.81, "logj": -1.85,
        "share": -0.42, "ctx_m": -0.21, "ctx_own": 0.86, "name": -0.91, "never_lower": 0.24,
        "po": 2.38, "len": -5.46, "fold": -0.73, "lone": -0.08, "lctx": -0.36, "rctx": -0.22,
        "sent0": 0.67, "cross_own": -0.94, "noise": 1.81, "win_o": -1.64, "win_m": 0.84},
    "inside": {"bias": -2.44, "conf": -2.75, "logk": 0.47, "share": 0.33, "oish": -2.38,
        "oish2": 5.84, "rare_cover": 0.96, "same_label": -0.41, "extra": -0.11, "x_name": -0.55,
        "lctx": -0.04, "rctx": 0.22, "sent0": 0.53},
}


def _group_expr() -> pl.Expr:
    """The kind of conflict of a voting occurrence (``cat`` against ``majority``)."""
    return (
        pl.when(pl.col("cat") == "O").then(pl.lit("own_o"))
        .when(pl.col("majority") == "O").then(pl.lit("maj_o"))
        .when((pl.col("cat") == CROSS) | (pl.col("majority") == CROSS)).then(pl.lit("cross"))
        .otherwise(pl.lit("flip")).alias("grp")
    )


def _features() -> list[pl.Expr]:
    """Feature columns of a dissenting occurrence (inputs of the logistic score)."""
    k = pl.col("k").cast(pl.Float64)
    j = pl.col("j").cast(pl.Float64)
    # a single dissenter against a unanimous majority of at least two other occurrences
    lone = ((pl.col("j") == 0) & (pl.col("k") >= 2) & (pl.col("k") == pl.col("N"))).cast(
        pl.Float64
    )
    return [
        ((pl.col("A") - pl.col("D")) / (pl.col("T") + 1.0)).clip(0.0, 1.0).alias("agree"),
        (k / (k + 1.5)).alias("conf"),
        k.log1p().alias("logk"),
        j.log1p().alias("logj"),
        ((j + 1.0) / (pl.col("N").cast(pl.Float64) + 1.0)).alias("share"),
        pl.col("ctx_m").cast(pl.Float64).log1p().alias("ctx_m"),
        pl.col("ctx_own").cast(pl.Float64).log1p().alias("ctx_own"),
        ((pl.col("d_own") >= 2) & (pl.col("d_m") == 0)).cast(pl.Float64).alias("doc_veto"),
        (pl.col("shape") > 0).cast(pl.Float64).alias("name"),
        (pl.col("never_lower") > 0).cast(pl.Float64).alias("never_lower"),
        pl.col("po").alias("po"),
        (pl.col("n").cast(pl.Float64) / 6.0).alias("len"),
        pl.col("fold").cast(pl.Float64).alias("fold"),
        lone.alias("lone"),
        pl.col("lctx").clip(-3.0, 3.0).alias("lctx"),
        pl.col("rctx").clip(-3.0, 3.0).alias("rctx"),
        (pl.col("pair_n").fill_null(1).cast(pl.Float64) - 1.0).clip(0.0).log1p().alias("pair"),
        (pl.col("position") == 0).cast(pl.Float64).alias("sent0"),
        (pl.col("cat") == CROSS).cast(pl.Float64).alias("cross_own"),
        # the rest of the form's occurrences, in neither the majority nor this category
        ((pl.col("N") - pl.col("k") - pl.col("j")).cast(pl.Float64)
         / (pl.col("N").cast(pl.Float64) + 1.0)).alias("noise"),
        pl.col("lab_ctx"),
        pl.col("win_own").log1p().alias("win_o"), pl.col("win_m").log1p().alias("win_m"),
    ]



def _score_expr(groups: tuple[str, ...] = GROUPS[:-1],
                weights: dict[str, dict[str, float]] | None = None) -> pl.Expr:
    """The occurrence score: the logistic model of the occurrence's group (column ``grp``)."""
    weights = weights or SCORE_WEIGHTS
    out = pl.lit(None, pl.Float64)
    for grp in reversed(groups):
        w = weights.get(grp, {"bias": 0.0})
        z = pl.lit(w.get("bias", 0.0))
        for name, value in w.items():
            if name != "bias" and value:
                z = z + pl.col(name).fill_null(0.0) * value
        out = pl.when(pl.col("grp") == grp).then(1.0 / (1.0 + (-z).exp())).otherwise(out)
    return out


def _pair_counts(votes: pl.DataFrame) -> pl.DataFrame:
    """For every pair of categories: how many forms are seen with both (``<x>`` left out)."""
    cats = votes.filter(pl.col("cat") != CROSS).select(
        "form", pl.col("cat").cast(pl.String)
    ).unique()
    pairs = cats.join(cats, on="form", suffix="_b").filter(pl.col("cat") != pl.col("cat_b"))
    return pairs.group_by("cat", "cat_b").len("pair_n").rename(
        {"cat_b": "majority"}
    ).with_columns(pl.col("pair_n").cast(pl.UInt32))


def _inside_scores(inside: pl.DataFrame, votes: pl.DataFrame, tf: pl.DataFrame) -> pl.DataFrame:
    """Score n-grams lying inside a longer span that looks over-long (e.g. ``the PyTorch``).

    ``inside`` holds the occurrences with a null ``cat``, ``votes`` the others.
    """
    if inside.height == 0:
        return inside.with_columns(pl.lit(None, pl.Float64).alias("score"))
    glob = votes.group_by("form", "cat").len("c").group_by("form").agg(
        # ties broken by category name: the result never depends on group order
        pl.col("cat").sort_by(["c", "cat"], descending=[True, False]).first().alias("majority"),
        pl.col("c").max().alias("k"), pl.col("c").sum().alias("N"),
    )
    # how often the covering span's own text is a span of that extent elsewhere
    exact = votes.filter(pl.col("cat") != "O", pl.col("cat") != CROSS)
    cover_count = exact.group_by("form").len("cover_n")
    cover_form = exact.select(pl.col("row").alias("sp_first"), "n", "form").join(
        cover_count, on="form"
    ).select("sp_first", (pl.col("n").cast(pl.UInt32)).alias("cover_len"), "cover_n")
    x = inside.join(glob, on="form", how="inner").join(
        cover_form, on="sp_first", how="left"
    ).filter(pl.col("majority") != "O", pl.col("majority") != CROSS)
    if x.height == 0:
        return x.with_columns(pl.lit(None, pl.Float64).alias("score"))

    def csum(col: str, idx: pl.Series) -> pl.Series:
        # sum of ``col`` over rows < idx
        c = tf[col].cast(pl.Float64)
        return pl.concat([pl.Series([0.0]), c]).gather(idx.cast(pl.UInt32))

    end = x["row"] + x["n"].cast(pl.UInt32)
    extra_n = (x["sp_end"] - x["sp_first"]).cast(pl.Float64) - x["n"].cast(pl.Float64)
    span_po = csum("c_p_o", x["sp_end"]) - csum("c_p_o", x["sp_first"])
    gram_po = csum("c_p_o", end) - csum("c_p_o", x["row"])
    span_sh = csum("c_shape", x["sp_end"]) - csum("c_shape", x["sp_first"])
    gram_sh = csum("c_shape", end) - csum("c_shape", x["row"])
    k = pl.col("k").cast(pl.Float64)
    return x.with_columns(
        ((span_po - gram_po) / extra_n).alias("oish"),
        ((span_sh - gram_sh) > 0).cast(pl.Float64).alias("x_name"),
        extra_n.alias("extra"),
    ).with_columns(
        (k / (k + 1.5)).alias("conf"),
        k.log1p().alias("logk"),
        (k / (pl.col("N").cast(pl.Float64) + 1.0)).alias("share"),
        (pl.col("oish") ** 2).alias("oish2"),
        (pl.col("cover_n").fill_null(1) <= 1).cast(pl.Float64).alias("rare_cover"),
        (pl.col("majority") == pl.col("label").cast(pl.String)).cast(pl.Float64)
        .alias("same_label"),
        pl.col("lctx").clip(-3.0, 3.0).alias("lctx"),
        pl.col("rctx").clip(-3.0, 3.0).alias("rctx"),
        (pl.col("position") == 0).cast(pl.Float64).alias("sent0"),
        pl.lit("inside").alias("grp"),
    ).with_columns(_score_expr(("inside",)).alias("score"))


# ------------------------------------------------------------------------------------- assembling
def _analyse(corpus: Corpus, variant: str, max_ngram: int, min_occurrences: int) -> tuple:
    """Scored occurrences (every vote and inside n-gram) and the forms table for one variant."""
    tf = _token_frame(corpus)
    key = "k_exact" if variant == "exact" else "k_fold"
    ctx = corpus.state.memo(
        "consistency_context", lambda: _context_tables(tf), depends_on=("tags",)
    )
    starts_ok = None
    if variant != "exact":
        # A case-folded form adds something only when its occurrences start with several
        # spellings (see ``spell`` below): forms whose first word is spelled one way in the
        # whole corpus are left out before the n-gram walk (the same result, less work).
        starts_ok = tf["multi_spelling"]
    res = _occurrences(tf, key, max_ngram, ctx, starts_ok)
    if isinstance(res, pl.DataFrame):
        return None
    occ, forms = res
    n_occ = occ.filter(pl.col("cat").is_not_null()).group_by("form").len("n_occ")
    occ = occ.join(n_occ, on="form", how="left").filter(
        pl.col("n_occ").fill_null(0) >= min_occurrences
    )
    votes = all_votes = occ.filter(pl.col("cat").is_not_null())
    # over-long spans are judged on exact spellings only
    inside = _inside_scores(
        occ.filter(pl.col("cat").is_null() & pl.lit(variant == "exact")), votes, tf
    )
    # only forms with conflicting categories can have a dissenter
    conflicting = votes.group_by("form").agg(pl.col("cat").n_unique().alias("nc")).filter(
        pl.col("nc") > 1
    )
    if variant != "exact":
        # a case-folded group adds something only when it merges several spellings
        spell = votes.select("form", tf["k_exact"].gather(votes["row"])).group_by("form").agg(
            pl.col("k_exact").n_unique().alias("sp")
        )
        conflicting = conflicting.join(spell.filter(pl.col("sp") > 1), on="form", how="semi")
    votes = votes.join(conflicting, on="form", how="semi")
    per = _vote_scores(votes)
    scored = votes.join(per, on="id", how="inner").with_columns(
        pl.col("cat", "span_label").cast(pl.String), pl.lit(variant != "exact").alias("fold")
    ).join(_pair_counts(votes), on=["cat", "majority"], how="left")
    scored = scored.with_columns(_label_context(scored, tf, ctx), *_window_counts(scored, votes))
    scored = scored.with_columns(
        [*_features(), _group_expr()]
    ).with_columns(
        pl.when(pl.col("majority") != pl.col("cat")).then(_score_expr()).otherwise(0.0)
        .alias("score")
    )
    # forms: text from their first occurrence
    forms = forms.join(n_occ, on="form", how="inner")
    text = _texts(tf, forms["form_row"], forms["n"], lower=variant != "exact")
    forms = forms.with_columns(text.alias("text"))
    # label counts are needed for conflicting forms and for the forms inside over-long spans
    wanted = pl.concat([conflicting.select("form"), inside.select("form")]).unique()
    return scored, inside, forms, all_votes.join(wanted, on="form", how="semi")


def _texts(tf: pl.DataFrame, rows: pl.Series, lens: pl.Series, *, lower: bool = False) -> pl.Series:
    """Tokens ``rows[i] .. rows[i]+lens[i]`` joined by a space, for every i (no Python loop)."""
    if rows.len() == 0:
        return pl.Series("text", [], pl.String)
    text = span_texts(tf["token"], rows.cast(pl.UInt32), lens.cast(pl.UInt32))
    return (text.str.to_lowercase() if lower else text).alias("text")


def _label_summary(votes: pl.DataFrame, forms: pl.DataFrame) -> pl.DataFrame:
    """Per form: label counts (struct list and compact string), majority, occurrences."""
    counts = votes.group_by("form", "cat").len("count").with_columns(
        pl.col("cat").cast(pl.String)
    ).sort(
        ["form", "count", "cat"], descending=[False, True, False]
    )
    per = counts.group_by("form", maintain_order=True).agg(
        pl.struct(pl.col("cat").alias("label"), pl.col("count").cast(pl.UInt32))
        .alias("label_counts"),
        (pl.col("cat") + pl.lit(":") + pl.col("count").cast(pl.String)).str.join(", ")
        .alias("labels"),
        pl.col("cat").first().alias("majority"),
        pl.col("count").sum().cast(pl.UInt32).alias("occurrences"),
        pl.col("cat").n_unique().alias("n_cats"),
    )
    return per.join(forms.select("form", "text"), on="form", how="left")


def _compute(corpus: Corpus, max_ngram: int, min_occurrences: int, case_fold: bool) -> tuple:
    """Occurrence rows and form rows over the whole corpus (cached per tag version)."""
    key = f"consistency:{max_ngram}:{min_occurrences}:{case_fold}"

    def build() -> tuple[pl.DataFrame, pl.DataFrame]:
        tf = _token_frame(corpus)
        corpus.state.memo("consistency_context", lambda: _context_tables(tf), depends_on=("tags",))
        variants = ("exact", "casefold") if case_fold else ("exact",)
        # the variants share nothing but the (now cached) token frame: polars releases the GIL,
        # so they overlap where single-threaded steps would leave a core idle
        with ThreadPoolExecutor(len(variants)) as pool:
            results = list(pool.map(
                lambda v: _analyse(corpus, v, max_ngram, min_occurrences), variants
            ))
        occ_frames, form_frames, feat_frames = [], [], []
        for variant, res in zip(variants, results, strict=True):
            if res is None:
                continue
            scored, inside, forms, votes = res
            summary = _label_summary(votes, forms)
            summary_all = summary
            summary = summary.filter(pl.col("n_cats") > 1)
            diss = scored.filter(pl.col("majority") != pl.col("cat")).join(
                summary.select("form", "text", pl.col("labels").alias("form_labels"),
                               pl.col("majority").alias("form_majority")),
                on="form", how="inner",
            )
            occ_rows = diss.select(
                "sentence", pl.col("position").alias("start"),
                (pl.col("position") + pl.col("n").cast(pl.UInt32)).alias("end"),
                _texts(tf, diss["row"], diss["n"]).alias("text"),
                pl.col("span_label").alias("_span_label"), "cat", "majority", "score",
                "form_labels", pl.lit(variant).alias("variant"), "form", "row", "n",
                pl.col("text").alias("form_text"), "grp",
                *VOTE_FEATURES,
            )
            occ_rows = occ_rows.with_columns(
                pl.when(pl.col("cat") == "O").then(pl.lit("unlabelled_mention"))
                .when((pl.col("cat") == CROSS) | (pl.col("majority") == CROSS))
                .then(pl.lit("inconsistent_boundary"))
                .otherwise(pl.lit("inconsistent_label")).alias("kind"),
                pl.when(pl.col("cat") == CROSS).then(pl.col("_span_label"))
                .otherwise(pl.col("cat")).alias("label"),
            )
            form_score = occ_rows.group_by("form").agg(
                pl.col("score").mean().alias("score"), pl.len().alias("minority_occurrences")
            )
            summary = summary.join(form_score, on="form", how="inner")
            form_frames.append(summary.select(
                "text", "labels", "label_counts", "majority", "occurrences",
                pl.col("minority_occurrences").cast(pl.UInt32), "score",
                pl.lit(variant).alias("variant"),
            ))
            if variant == "exact" and inside.height:
                ins = inside.join(
                    summary_all.select("form", pl.col("text").alias("form_text"),
                                       pl.col("labels").alias("form_labels")),
                    on="form", how="inner",
                )
                cover_rows = ins["sp_first"]
                cover_pos = tf["position"].gather(cover_rows)
                ins_rows = ins.select(
                    pl.col("sentence"),
                    cover_pos.alias("start"),
                    (cover_pos + (ins["sp_end"] - ins["sp_first"])).alias("end"),
                    _texts(tf, cover_rows, ins["sp_end"] - ins["sp_first"]).alias("text"),
                    "label", "majority", "score", "form_labels", pl.col("form_text").alias("form"),
                    pl.lit(variant).alias("variant"), pl.lit("inconsistent_boundary").alias("kind"),
                )
                occ_frames.append(ins_rows.select(list(_OCC_SCHEMA)))
                feat_frames.append(ins.select(
                    "sentence", cover_pos.alias("start"),
                    (cover_pos + (ins["sp_end"] - ins["sp_first"])).alias("end"),
                    pl.lit(variant).alias("variant"), pl.lit("inconsistent_boundary").alias("kind"),
                    "grp", *INSIDE_FEATURES,
                ))
            occ_frames.append(occ_rows.with_columns(form=pl.col("form_text"))
                              .select(list(_OCC_SCHEMA)))
            feat_frames.append(occ_rows.select("sentence", "start", "end", "variant", "kind",
                                               "grp", *VOTE_FEATURES))
        occ = (
            pl.concat([f.cast(_OCC_SCHEMA) for f in occ_frames]) if occ_frames
            else pl.DataFrame(schema=_OCC_SCHEMA)
        )
        # one row per (sentence, start, end): the strongest reading wins (exact before casefold)
        occ = occ.sort(["score", "variant"], descending=[True, True]).unique(
            ["sentence", "start", "end"], keep="first", maintain_order=True
        ).sort(["score", "sentence", "start", "end"], descending=[True, False, False, False])
        forms = (
            pl.concat([f.cast(_FORM_SCHEMA) for f in form_frames]) if form_frames
            else pl.DataFrame(schema=_FORM_SCHEMA)
        ).sort(["score", "occurrences", "text", "variant"], descending=[True, True, False, False])
        feats = pl.concat(feat_frames, how="diagonal") if feat_frames else pl.DataFrame()
        return occ, forms, feats

    return corpus.state.memo(key, build, depends_on=("tags",))


def occurrence_features(
    corpus: Corpus,
    *,
    min_occurrences: int = 2,
    case_fold: bool = True,
    max_ngram: int = DEFAULT_MAX_NGRAM,
) -> pl.DataFrame:
    """The signals of every scored occurrence: what :data:`SCORE_WEIGHTS` are fitted on.

    The same pass as :func:`inconsistencies` with the same parameters (and the same cache).

    Parameters
    ----------
    corpus : Corpus
        The corpus (its whole text: a filter is not applied).
    min_occurrences, case_fold, max_ngram
        As in :func:`inconsistencies`.

    Returns
    -------
    polars.DataFrame
        One row per scored occurrence and reading: ``sentence``, ``start``, ``end``,
        ``variant``, ``kind``, ``grp`` (the model of :data:`GROUPS` that scores it) and the
        features of its group (:data:`VOTE_FEATURES` or :data:`INSIDE_FEATURES`; null where a
        feature is not its group's).  Empty (no columns) when nothing is scored.

    Examples
    --------
    >>> import bio_explorer as bx
    >>> from bio_explorer.analysis.consistency import occurrence_features
    >>> "grp" in occurrence_features(bx.sample()).columns
    True
    """
    return _compute(corpus, max_ngram, min_occurrences, case_fold)[2]


def inconsistencies(
    corpus: Corpus,
    occurrences: bool = False,
    *,
    min_occurrences: int = 2,
    case_fold: bool = True,
    max_ngram: int = DEFAULT_MAX_NGRAM,
    threshold: float | None = None,
) -> pl.DataFrame:
    """Surface forms labelled in conflicting ways, ranked so the likeliest real errors come first.

    Parameters
    ----------
    corpus : Corpus
        The corpus or a view.  Evidence always comes from the *whole* corpus (a rare form needs
        every occurrence to be judged); a view only restricts the rows returned to its sentences
        (``occurrences=True``) or to the forms with a dissenting occurrence in them.
    occurrences : bool
        ``False``: one row per surface form.  ``True``: one row per dissenting occurrence.
    min_occurrences : int
        Ignore forms seen fewer times than this (all occurrences, tagged or not).
    case_fold : bool
        Also group case-folded spellings (``pytorch`` / ``PyTorch``) as a separate, weaker signal
        (``variant="casefold"``; only groups merging several spellings are reported, and their
        occurrence scores are multiplied by 0.8).
    max_ngram : int
        Longest span (in tokens) whose text is searched for.
    threshold : float, optional
        Minimum score of a returned occurrence (``occurrences=True``) or form; default
        :data:`DEFAULT_THRESHOLD` for occurrences and 0 (every conflicting form) for forms.

    Returns
    -------
    pl.DataFrame
        ``occurrences=False``: ``text``, ``labels`` (``"Library:12, Algorithm:2, O:3"``),
        ``label_counts`` (list of ``{label, count}``), ``majority``, ``occurrences``,
        ``minority_occurrences`` (occurrences disagreeing with their evidence), ``score`` (mean
        score of those), ``variant`` (``"exact"``/``"casefold"``), sorted by score.

        ``occurrences=True``: ``sentence``, ``start``, ``end`` (exclusive token positions),
        ``text`` (the tokens joined by a space), ``label`` (this occurrence's label; ``"O"`` for
        untagged text), ``majority`` (what the rest of the corpus says), ``score``, ``kind``
        (``inconsistent_label`` — a span in the minority; ``unlabelled_mention`` — an ``O``
        n-gram whose text is mostly a span; ``inconsistent_boundary`` — a span boundary cutting
        through a form that is a span elsewhere, or an over-long span swallowing ``O``-words
        around a well-supported form), ``form`` (the surface form whose statistics decided — the
        inner form for an over-long span; lower-cased for ``casefold``), ``form_labels`` (its
        label counts) and ``variant``; sorted by score.  One row per (sentence, start, end).

    Notes
    -----
    **Categories.** Every token n-gram whose text is the text of some span is an occurrence of
    that form and votes for one category: its label (a span with exactly that extent), ``O``
    (all tokens untagged) or ``<x>`` (a span boundary cuts through it).  N-grams lying inside a
    longer span (``PyTorch`` in ``PyTorch Lightning``) do not vote.

    **Evidence (leave-one-out).** For one occurrence, the *other* occurrences of its form are
    counted per category at five levels: anywhere (weight 1), after the same left word (1),
    before the same right word (1), with the same left *and* right word (2 — the "variation
    n-gram" of Dickinson & Meurers: identical context, different label), and in the same
    document (1; only when documents are small).  Context words are lower-cased with digits
    folded to 0.  The weighted counts give the majority category ``m`` (``A`` its weight), the
    weight ``D`` of the occurrence's own category, ``T`` the total weight, and ``k`` the plain
    number of other occurrences labelled ``m``.

    **Score** of a dissenting occurrence (own category ≠ ``m``): a logistic function
    ``score = 1 / (1 + exp(-(b + Σ wᵢ·fᵢ)))`` of the signals below, with one set of weights per
    *kind of conflict* — a label against another label (``flip``), an untagged occurrence against
    a label (``own_o``), a span against a mostly untagged form (``maj_o``), a boundary conflict
    (``cross``) and an n-gram inside a possibly over-long span (``inside``).  The weights
    (``SCORE_WEIGHTS``) are fitted by ``benchmarks/bench_detect.py --fit`` on errors planted in five
    shared corpora, each corpus weighted equally, with seeds disjoint from the evaluation seeds;
    the sign of a weight depends on the kind (e.g. ``po`` is strongly negative for untagged
    mentions and weak for label flips).  The signals of a voting occurrence:

    - ``agree = (A - D) / (T + 1)`` — strength of the majority against this label;
    - ``k`` (as ``log(1+k)`` and ``k/(k+1.5)``) — how many occurrences back the majority;
    - ``j``, ``share = (j+1)/(N+1)`` — how many others share this occurrence's label: a minority
      that recurs is usually a genuine second sense, a lone dissenter an error;
    - ``noise`` — the share of other occurrences in neither category (forms like ``it`` or an
      anonymised ``@`` that carry every label are weak evidence);
    - ``lone`` — a single dissenter against a unanimous majority of at least two others;
    - ``ctx_m`` / ``ctx_own`` — others in the same left/right context with the majority label or
      with this label: the variation-n-gram signal;
    - ``lctx`` / ``rctx`` — *cross-form* context: log ratio of how often the left word precedes
      a span start (the right word follows a span end) anywhere in the corpus, to the overall
      rate (leave-one-out, smoothed): ``using X`` is a likelier miss than ``the X``;
    - ``lab_ctx`` — *label-specific* cross-form context: how much better the neighbour words fit
      this occurrence's category than the majority's, over all forms (``in`` before places,
      ``Mr`` before people; see :func:`_label_context`);
    - ``pair`` — ``log(1 + n)`` where ``n`` is the number of *other* forms labelled both with this
      occurrence's category and with the majority: a confusion seen on many forms is a grey zone
      of the guidelines, a confusion seen nowhere else is more likely a slip;
    - ``doc_veto`` — at least two others in the same (small) document agree with this one and none
      has the majority label: tables and topic-specific senses;
    - ``win_o`` / ``win_m`` — ``log(1 + n)`` of the other occurrences of the form in the same
      block of 10 sentences (a stand-in for the document) with this label / with the majority
      label: a name tagged in the neighbouring sentences but not here is likelier a slip;
    - ``name`` — capitals/digits not explained by sentence-initial position; ``never_lower`` — a
      capitalised word never written in lower case in the corpus; ``sent0`` — the occurrence
      starts its sentence;
    - ``po`` — mean P(``O`` | word) of the words: lower-case function words that are mostly ``O``
      do not flood the top;
    - ``len`` — n-gram length; ``fold`` — the case-folded grouping, a weaker signal;
      ``cross_own`` — this occurrence is the one cut by a boundary (``cross``, ``maj_o``).

    Spans that swallow neighbouring words (``the PyTorch``) are scored through the form inside
    them (group ``inside``): ``k``, ``k/(N+1)`` of that form, ``oish`` (and its square) = mean
    P(``O`` | word) of the extra words, ``x_name`` (an extra word looks like a name), ``extra``
    (how many), ``rare_cover`` (the covering span's text is not a span elsewhere),
    ``same_label`` (the covering span has the inner form's majority label), and the context
    signals above.

    Examples
    --------
    >>> import bio_explorer as bx
    >>> c = bx.sample()
    >>> c.inconsistencies().columns[:4]
    ['text', 'labels', 'label_counts', 'majority']
    """
    occ, forms, _ = _compute(corpus, max_ngram, min_occurrences, case_fold)
    if occurrences:
        thr = DEFAULT_THRESHOLD if threshold is None else threshold
        out = occ.filter(pl.col("score") >= thr)
        return restrict(out, corpus.selection)
    out = forms if threshold is None else forms.filter(pl.col("score") >= threshold)
    out = out.filter(pl.col("score") > 0)
    if corpus.selection is not None:
        seen = restrict(occ.filter(pl.col("score") > 0), corpus.selection)
        out = out.join(seen.select(pl.col("form").alias("text"), "variant").unique(),
                       on=["text", "variant"], how="semi", maintain_order="left")
    return out


__all__ = ["DEFAULT_THRESHOLD", "SCORE_WEIGHTS", "inconsistencies", "occurrence_features"]
