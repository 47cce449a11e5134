"""Context-only type finder: what type do the *surroundings* of a span say it has?

Every entity span gets a type predicted from its context alone; the span's own words are masked.
Real type errors are mostly decided by context (a country standing for a national team in a score
line is an ORG in a corpus where the clubs in those lines are ORG; a city standing for a
government; a company read as a person).  A word-identity model learns the error when the corpus
labels ``England`` LOC everywhere; a model that never sees the word cannot.

Features of a span (strings ``"group=value"``, built with polars):

``p1``/``p2``/``n1``/``n2``
    the words at -1, -2, +1, +2 (lower case; numbers reduced to their shape, ``<s>``/``</s>``
    at the sentence edges); ``slot``: the pair (-1, +1);
``pw``/``nw``
    the nearest lower-case word within three tokens before / after (the governing verb:
    ``said``, ``beat``, ``minister``);
``len``/``case``
    the span's length and letter case (generic, not its words);
``num``
    its place in a score line (``X 2 Y 1``: a number right after / before the span, the
    sentence holding two or more numbers);
``topic``
    the document's heading word (``SOCCER - ...``, the first token of a ``-DOCSTART-``
    document when the second is ``-``).

Left out because they made the finder worse on the fit half of the yardstick (even documents of
CoNLL-2003 valid.txt, see ``benchmarks/bench_detect.py``): the label the document's other spans
have in the same slot (it copies a document's systematic error: all national teams of a results
list are LOC), the share of numbers in the sentence / document, and the extra columns (POS,
chunk) of the neighbours, which repeat what the neighbouring words say.

Model: a multinomial naive Bayes, trained out-of-fold by documents or blocks of sentences
(every span is scored by the counts of the other folds: the fold's own counts are subtracted from
the totals, so there is no retraining and no Python loop; everything is polars group-bys and
joins).  Why not a logistic model (or a one-token crfsuite "sequence", which is one): tried on
the same features out-of-fold, a multinomial logistic regression ranked the yardstick's errors no
better (uncalibrated top-50 precision 0.30 / 0.24 on the two halves against 0.20 / 0.30) and took
about 30 times longer; naive Bayes is exact and deterministic from counts, needs no optional
dependency, and its over-confidence with correlated features is taken out by the calibration of
:mod:`.suspect_schema` (per kind of confusion, e.g. ``LOC>ORG``), so its raw score only ranks.

The raw score of a span is ``1 - p(own label | context)``; the suggestion is the most probable
other label.  This module does not import ``corpus.py``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from ..state import all_spans
from .suspect_schema import SCHEMA, calibrate, empty

if TYPE_CHECKING:
    from ..state import View as Corpus  # the lower layers take a view of the state

__all__ = ["ALPHA", "FOLDS", "context_features", "context_scores", "suspects_from_context"]

#: number of folds of the out-of-fold model
FOLDS = 5
#: with fewer ``-DOCSTART-`` documents than this, blocks of consecutive sentences are the fold
#: units instead (most corpora mark no documents: one document would leave nothing to train on)
MIN_DOCS = 10
#: sentences per block (at most) when the blocks are the fold units
BLOCK = 10
#: additive (Laplace) smoothing of the feature counts
ALPHA = 0.5
#: a feature must be seen this often (in the training folds) to be quoted as evidence
EVIDENCE_MIN = 20
#: spans whose context gives the file's label less than ``1 - MIN_RAW`` are suspects
MIN_RAW = 0.3

_NUM = r"^[\d.,:/+-]*\d[\d.,:/+-]*$"


def context_features(corpus: Corpus) -> pl.DataFrame:
    """Per entity span of the whole corpus: its context features (the span's words masked).

    Returns
    -------
    pl.DataFrame
        ``sentence``, ``start``, ``end``, ``label``, ``text``, ``doc``, ``unit`` (the fold unit:
        the document, or a block of consecutive sentences when the corpus marks fewer than
        :data:`MIN_DOCS` documents) and ``feats`` (list of ``"group=value"`` strings, one per
        feature group).
    """
    st = corpus.state
    tok = st.tok
    spans = all_spans(corpus.state)
    if spans.height == 0:
        return spans.select("sentence", "start", "end", "label", "text").with_columns(
            pl.lit(None, pl.UInt32).alias("doc"), pl.lit(None, pl.UInt32).alias("unit"),
            pl.lit(None, pl.List(pl.String)).alias("feats"))
    w = pl.col("token")
    isnum = w.str.contains(_NUM)
    short = (w.str.replace_all(r"[[:upper:]]", "X").str.replace_all(r"[[:lower:]]", "x")
             .str.replace_all(r"\d", "d").str.replace_all("X+", "X").str.replace_all("x+", "x")
             .str.replace_all("d+", "d"))
    t = tok.select(
        "sentence", "doc",
        pl.when(isnum).then(pl.format("<{}>", short)).otherwise(w.str.to_lowercase()).alias("c"),
        pl.when(w.str.contains(r"^[[:lower:]]+$")).then(w).alias("lw"),
        isnum.alias("isnum"),
    )
    n = t.height
    sd = t.group_by("sentence").agg(pl.col("isnum").sum().alias("s_num"))
    # the heading word of a document: "SOCCER - JAPAN BEAT ..." -> soccer
    first = st.sent.sort("sentence").group_by("doc", maintain_order=True).agg(
        pl.col("row").first())
    head = first.with_columns(
        pl.col("row").alias("r0"), (pl.col("row") + 1).clip(0, max(n - 1, 0)).alias("r1"))
    tokens = tok["token"]
    head = head.with_columns(
        tokens.gather(head["r0"]).alias("h0"), tokens.gather(head["r1"]).alias("h1"),
        t["sentence"].gather(head["r1"]).alias("s1"), t["sentence"].gather(head["r0"]).alias("s0"),
    ).select("doc", pl.when((pl.col("h1") == "-") & (pl.col("s0") == pl.col("s1"))
                            & pl.col("h0").str.contains(r"^[[:upper:]]{3,}$"))
             .then(pl.col("h0").str.to_lowercase()).otherwise(pl.lit("<none>")).alias("topic"))

    sp = spans.join(st.sent.select("sentence", "row", "doc", "n_tokens"),
                                  on="sentence", how="left", maintain_order="left")
    first_row = (sp["row"] + sp["start"]).cast(pl.Int64)
    last_row = (sp["row"] + sp["end"] - 1).cast(pl.Int64)

    def at(col: str, offset: int, edge: str) -> pl.Series:
        """Column ``col`` of the token ``offset`` away from the span, ``edge`` past the sentence."""
        base = first_row if offset < 0 else last_row
        idx = base + offset
        pos = (sp["start"].cast(pl.Int64) + offset) if offset < 0 else (
            sp["end"].cast(pl.Int64) - 1 + offset)
        inside = (pos >= 0) & (pos < sp["n_tokens"].cast(pl.Int64))
        vals = t[col].gather(idx.clip(0, max(n - 1, 0)))
        return pl.select(pl.when(inside).then(vals).otherwise(pl.lit(edge, vals.dtype))
                         ).to_series()

    near = {}
    for side, sign in (("pw", -1), ("nw", 1)):
        cands = [at("lw", sign * k, None) for k in (1, 2, 3)]  # type: ignore[arg-type]
        near[side] = pl.select(pl.coalesce(cands)).to_series().fill_null("<none>")
    num_after = at("isnum", 1, False)  # type: ignore[arg-type]
    num_before = at("isnum", -1, False)  # type: ignore[arg-type]
    text_case = (pl.when(pl.col("text").str.contains(r"[[:lower:]]")).then(
        pl.when(pl.col("text").str.contains(r"^[[:upper:]]")).then(pl.lit("title"))
        .otherwise(pl.lit("lower"))).otherwise(pl.lit("upper")))
    ctx = sp.select("sentence", "start", "end", "label", "text", "doc").with_columns(
        p1=at("c", -1, "<s>"), p2=at("c", -2, "<s>"), n1=at("c", 1, "</s>"),
        n2=at("c", 2, "</s>"), pw=near["pw"], nw=near["nw"],
        na=num_after, nb=num_before,
    ).join(sd, on="sentence", how="left", maintain_order="left").join(
        head, on="doc", how="left", maintain_order="left")
    slot = pl.format("{}_{}", "p1", "n1")
    num = (pl.when(pl.col("s_num") >= 2).then(pl.lit("line")).otherwise(pl.lit("text"))
           + pl.when(pl.col("na")).then(pl.lit("+after")).otherwise(pl.lit(""))
           + pl.when(pl.col("nb")).then(pl.lit("+before")).otherwise(pl.lit("")))
    ctx = ctx.with_columns(slot.alias("slot"))
    groups = {
        "p1": pl.col("p1"), "p2": pl.col("p2"), "n1": pl.col("n1"), "n2": pl.col("n2"),
        "slot": pl.col("slot"), "pw": pl.col("pw"), "nw": pl.col("nw"),
        "len": pl.col("end").sub(pl.col("start")).clip(1, 3).cast(pl.String),
        "case": text_case, "num": num, "topic": pl.col("topic").fill_null("<none>"),
    }
    feats = pl.concat_list([pl.format(f"{g}={{}}", e) for g, e in groups.items()])
    n_sent = st.sent.height
    if st.sent["doc"].n_unique() >= MIN_DOCS:
        unit = pl.col("doc")
    else:
        unit = pl.col("sentence") // max(1, min(BLOCK, n_sent // (2 * MIN_DOCS)))
    return ctx.select("sentence", "start", "end", "label", "text", "doc",
                      unit.cast(pl.UInt32).alias("unit"), feats.alias("feats"))


def _fold(doc: pl.Expr, folds: int, seed: int) -> pl.Expr:
    """A fold unit's fold: a fixed arithmetic mix of its id (deterministic, version-proof)."""
    mixed = (doc.cast(pl.UInt64) * 2654435761 + seed * 40503 + 12345) % 4294967291
    return (mixed % folds).cast(pl.UInt32)


def _posteriors(ctx: pl.DataFrame, folds: int, seed: int, alpha: float
                ) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Out-of-fold naive-Bayes posteriors ``span, label, p`` and the per-feature training counts
    ``span, f, label, n_f`` (for the evidence)."""
    spans = ctx.with_row_index("span").with_columns(
        _fold(pl.col("unit"), folds, seed).alias("fold"))
    long = spans.select("span", "fold", "label", pl.col("feats").alias("f")).explode("f")
    long = long.with_columns(pl.col("f").str.extract(r"^([^=]+)=", 1).alias("g"))
    labels = spans.select("label").unique().sort("label")
    # counts of each (feature, label) in all folds and in each fold; training = total - own fold
    tot = long.group_by("f", "label").len("n_tot")
    per = long.group_by("fold", "f", "label").len("n_fold")
    lab_tot = spans.group_by("label").len("l_tot")
    lab_fold = spans.group_by("fold", "label").len("l_fold")
    vocab = long.group_by("g").agg(pl.col("f").n_unique().alias("v"))
    cand = long.select("span", "fold", "f", "g").join(labels, how="cross")
    cand = cand.join(tot, on=["f", "label"], how="left").join(
        per, on=["fold", "f", "label"], how="left").join(
        lab_tot, on="label", how="left").join(lab_fold, on=["fold", "label"], how="left").join(
        vocab, on="g", how="left")
    n_f = pl.col("n_tot").fill_null(0) - pl.col("n_fold").fill_null(0)
    n_l = pl.col("l_tot").fill_null(0) - pl.col("l_fold").fill_null(0)
    cand = cand.with_columns(
        ((n_f + alpha) / (n_l + alpha * pl.col("v"))).log().alias("ll"),
        n_f.alias("n_f"))
    prior = spans.select("span", "fold").join(labels, how="cross").join(
        lab_tot, on="label", how="left").join(lab_fold, on=["fold", "label"], how="left").select(
        "span", "label", ((n_l + 1.0) / (n_l.sum().over("span") + labels.height)).log()
        .alias("lprior"))
    lik = cand.group_by("span", "label").agg(pl.col("ll").sum())
    post = prior.join(lik, on=["span", "label"], how="left").with_columns(
        (pl.col("lprior") + pl.col("ll").fill_null(0.0)).alias("lj"))
    post = post.with_columns(
        (pl.col("lj") - pl.col("lj").max().over("span")).alias("lj"))
    post = post.with_columns(
        (pl.col("lj").exp() / pl.col("lj").exp().sum().over("span")).alias("p"))
    return post.select("span", "label", "p"), cand.select("span", "f", "label", "n_f")


def context_scores(corpus: Corpus, *, folds: int = FOLDS, seed: int = 0,
                   alpha: float = ALPHA) -> pl.DataFrame:
    """Out-of-fold context-only type probabilities of every entity span.

    Parameters
    ----------
    corpus : Corpus
        The corpus (the whole corpus is scored, whatever the view).
    folds, seed : int
        Documents (or sentence blocks, see :func:`context_features`) are split into ``folds``
        groups by a fixed mix of their id and ``seed``; each span is scored by counts from the
        other groups only.
    alpha : float
        Laplace smoothing of the feature counts.

    Returns
    -------
    pl.DataFrame
        ``sentence``, ``start``, ``end``, ``label``, ``text``, ``doc``, ``p_own`` (the probability
        the context gives the file's label), ``suggestion`` (the most probable other label),
        ``p_sugg``, ``raw`` (``1 - p_own``) and ``cue`` / ``cue_n`` / ``cue_share`` /
        ``cue_own_share`` (the context feature seen at least :data:`EVIDENCE_MIN` times in the
        training folds that most favours the suggestion over the file's label, by the ratio
        ``(suggested + 1) / (own + 1)``; how many training spans have it; the shares of those
        labelled as suggested and as the file's label).  Memoised on the corpus state.
    """
    key = f"context_type:{folds}:{seed}:{alpha}"
    return corpus.state.memo(key, lambda: _build(corpus, folds, seed, alpha),
                              depends_on=("tags",))


_SCORE_SCHEMA = {
    "sentence": pl.UInt32, "start": pl.UInt32, "end": pl.UInt32, "label": pl.String,
    "text": pl.String, "doc": pl.UInt32, "p_own": pl.Float64, "suggestion": pl.String,
    "p_sugg": pl.Float64, "raw": pl.Float64, "cue": pl.String, "cue_n": pl.Int64,
    "cue_share": pl.Float64, "cue_own_share": pl.Float64,
}


def _build(corpus: Corpus, folds: int, seed: int, alpha: float) -> pl.DataFrame:
    ctx = context_features(corpus)
    if ctx.height == 0 or ctx["label"].n_unique() < 2:
        return pl.DataFrame(schema=_SCORE_SCHEMA)
    post, cand = _posteriors(ctx, folds, seed, alpha)
    spans = ctx.with_row_index("span")
    own = post.join(spans.select("span", "label"), on=["span", "label"], how="semi").select(
        "span", pl.col("p").alias("p_own"))
    other = post.join(spans.select("span", "label"), on=["span", "label"], how="anti").sort(
        ["p", "label"], descending=[True, False]).group_by("span").agg(
        pl.col("label").first().alias("suggestion"), pl.col("p").first().alias("p_sugg"))
    out = spans.drop("feats").join(own, on="span", how="left").join(other, on="span", how="left")
    # the cue: the feature (seen >= EVIDENCE_MIN times) with the largest share of the suggestion
    wide = cand.join(out.select("span", "suggestion", pl.col("label").alias("own")), on="span")
    tot = wide.group_by("span", "f").agg(pl.col("n_f").sum().alias("cue_n"))
    sug = wide.filter(pl.col("label") == pl.col("suggestion")).select(
        "span", "f", pl.col("n_f").alias("n_s"))
    ownn = wide.filter(pl.col("label") == pl.col("own")).select(
        "span", "f", pl.col("n_f").alias("n_o"))
    cue = tot.join(sug, on=["span", "f"], how="left").join(ownn, on=["span", "f"], how="left")
    # most favouring: the largest ratio (suggested + 1) / (own + 1) among the training spans
    cue = cue.filter(pl.col("cue_n") >= EVIDENCE_MIN).with_columns(
        (pl.col("n_s").fill_null(0) / pl.col("cue_n")).alias("cue_share"),
        (pl.col("n_o").fill_null(0) / pl.col("cue_n")).alias("cue_own_share"),
        ((pl.col("n_s").fill_null(0) + 1) / (pl.col("n_o").fill_null(0) + 1)).alias("ratio"),
    ).sort(["span", "ratio", "cue_n", "f"], descending=[False, True, True, False]
           ).group_by("span", maintain_order=True).agg(
        pl.col("f").first().alias("cue"), pl.col("cue_n").first(), pl.col("cue_share").first(),
        pl.col("cue_own_share").first())
    out = out.join(cue, on="span", how="left").with_columns(
        (1.0 - pl.col("p_own")).alias("raw"))
    return out.select(list(_SCORE_SCHEMA)).cast(_SCORE_SCHEMA).sort(  # type: ignore[arg-type]
        "sentence", "start")


def _cue_phrase() -> pl.Expr:
    """``"num=line+after"`` → a phrase a person can read (*"in score lines like this one"*)."""
    g = pl.col("cue").str.extract(r"^([^=]+)=", 1)
    v = pl.col("cue").str.replace(r"^[^=]+=", "")

    def word(e: pl.Expr) -> pl.Expr:
        return (pl.when(e == "<s>").then(pl.lit("the start of the sentence"))
                .when(e == "</s>").then(pl.lit("the end of the sentence"))
                .when(e.str.contains(r"^<.*>$")).then(pl.lit("a number"))
                .otherwise(pl.format("'{}'", e)))

    return (
        pl.when(g == "num").then(
            pl.when(v.str.starts_with("line")).then(
                pl.lit("in lines with several numbers where the entity ")
                + pl.when(v.str.contains("after")).then(pl.lit("is followed by a number"))
                .when(v.str.contains("before")).then(pl.lit("follows a number"))
                .otherwise(pl.lit("is not next to a number")) + pl.lit(" (score lines)"))
            .otherwise(pl.lit("in running text")))
        .when(g == "p1").then(pl.format("right after {}", word(v)))
        .when(g == "p2").then(pl.format("two tokens after {}", word(v)))
        .when(g == "n1").then(pl.format("right before {}", word(v)))
        .when(g == "n2").then(pl.format("two tokens before {}", word(v)))
        .when(g == "slot").then(pl.format("between {} and {}", word(v.str.replace("_.*$", "")),
                                          word(v.str.replace("^.*_", ""))))
        .when(g == "pw").then(pl.format("after the word '{}'", v))
        .when(g == "nw").then(pl.format("before the word '{}'", v))
        .when(g == "topic").then(pl.format("in documents headed '{}'", v.str.to_uppercase()))
        .when(g == "case").then(pl.format("for {}-case entities", v))
        .when(g == "len").then(pl.format("for entities of {} token(s)", v))
        .otherwise(pl.format("with context {}", pl.col("cue"))))


def suspects_from_context(corpus: Corpus, *, raw: bool = False) -> pl.DataFrame:
    """Suspects rows of the context-only type finder (finder ``context``): one per span whose
    context gives its label at most ``1 - MIN_RAW`` and has a cue (a context feature seen at least
    :data:`EVIDENCE_MIN` times elsewhere) more often with the suggestion than with the label;
    kind of row = ``"<label>><suggestion>"``."""
    sc = context_scores(corpus)
    # a suspect needs a frequent context cue that favours the suggestion over the file's label
    sc = sc.filter(pl.col("suggestion").is_not_null() & (pl.col("raw") >= MIN_RAW)
                   & (pl.col("cue_share") > pl.col("cue_own_share")).fill_null(False))
    if sc.height == 0:
        return empty()
    kind = pl.format("{}>{}", "label", "suggestion")
    if raw:
        return sc.select("sentence", "start", "end", pl.col("start").alias("suggest_start"),
                         pl.col("end").alias("suggest_end"), kind.alias("kind"), "raw")
    pct = (pl.col("cue_share") * 100).round(0).cast(pl.Int64)
    own = (pl.col("cue_own_share") * 100).round(0).cast(pl.Int64)
    cue = pl.when(pl.col("cue").is_not_null()).then(pl.format(
        "{}, {}% of {} entities elsewhere are {} and {}% {}; ", _cue_phrase(), pct,
        pl.col("cue_n"), pl.col("suggestion"), own, pl.col("label"))).otherwise(pl.lit(""))
    ev = pl.concat_str([
        pl.lit("from its context alone (its own words hidden) a model trained on the other "
               "folds says "),
        pl.format("{} (p = {}, {} p = {}); ", "suggestion", pl.col("p_sugg").round(2),
                  "label", pl.col("p_own").round(2)),
        cue, pl.format("'{}' is labelled {}", "text", "label")])
    out = sc.select(
        "sentence", "start", "end", "text", "label", "suggestion",
        pl.col("start").alias("suggest_start"), pl.col("end").alias("suggest_end"),
        calibrate(pl.col("raw"), "context", kind).alias("score"),
        pl.lit("context").alias("finder"), ev.alias("evidence"))
    return out.cast(SCHEMA).sort("score", descending=True)  # type: ignore[arg-type]
