"""A model's predictions next to the corpus: where they disagree with the file, by confidence.

:func:`load_predictions` accepts a predicted corpus (tags only), or per-token probabilities as a
long frame ``sentence, position, label, prob`` or a wide frame ``sentence, position, <label>…``
(labels are IOB2 tags such as ``B-ORG``, or bare types such as ``ORG`` and ``O``).  It normalises
them to one row per token (:data:`TOKEN_SCHEMA`: the predicted tag, the probability of the file's
own tag and of the predicted tag), the same shape as the cross-check result.

:func:`disagreement_suspects` turns such a frame into suspects rows.  The ranking follows
cleanlab's token-classification scores (``cleanlab.token_classification.rank``): a token's label
quality is its *self-confidence*, the probability the model gives the given label, and a span's
quality is the mean over its tokens (cleanlab offers ``min`` and softmin aggregations for
sentences; on the train.txt audit the mean ranked spans better); the raw suspect score is
``1 - quality``.  cleanlab itself is not used (no dependency).
This module does not import ``corpus.py``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import polars as pl

from .. import schemes
from ..span_text import span_texts
from ..state import View, all_spans
from .suspect_schema import SCHEMA, calibrate, empty

if TYPE_CHECKING:
    from ..state import View as Corpus  # the lower layers take a view of the state

TOKEN_SCHEMA = {
    "sentence": pl.UInt32, "position": pl.UInt32, "token": pl.String, "tag": pl.String,
    "predicted": pl.String, "p_tag": pl.Float64, "p_predicted": pl.Float64,
}


class PredictionAlignmentError(ValueError):
    """Predictions whose tokens do not line up with the corpus (names sentence and position)."""


# ------------------------------------------------------------------------------------ loading
def _corpus_tokens(corpus: Corpus) -> pl.DataFrame:
    tok = corpus.state.tok
    return tok.select("sentence", "position", "token", pl.col("tag").cast(pl.String))


def _first_mismatch(ours: pl.DataFrame, theirs: pl.DataFrame, what: str) -> None:
    """Raise naming the first (sentence, position) present on one side only."""
    key = ["sentence", "position"]
    missing = ours.join(theirs, on=key, how="anti").select(*key, pl.lit("missing").alias("w"))
    extra = theirs.join(ours, on=key, how="anti").select(*key, pl.lit("extra").alias("w"))
    bad = pl.concat([missing, extra]).sort(key)
    if bad.height:
        s, p, w = bad.row(0)
        msg = ("has no row for this corpus token" if w == "missing"
               else "has a row for a token this corpus does not have")
        raise PredictionAlignmentError(
            f"{what} do not align with the corpus: sentence {s}, position {p}: the predictions "
            f"{msg} ({bad.height} misaligned tokens in all)")


def _from_corpus(corpus: Corpus, pred: Any) -> pl.DataFrame:
    ours = _corpus_tokens(corpus)
    theirs = pred.state.tok.select("sentence", "position", pl.col("token").alias("ptoken"),
                                    pl.col("tag").cast(pl.String).alias("predicted"))
    _first_mismatch(ours.select("sentence", "position"), theirs.select("sentence", "position"),
                    "predictions")
    j = ours.join(theirs, on=["sentence", "position"], how="left", maintain_order="left")
    diff = j.filter(pl.col("token") != pl.col("ptoken"))
    if diff.height:
        r = diff.row(0, named=True)
        raise PredictionAlignmentError(
            f"predictions do not align with the corpus: sentence {r['sentence']}, position "
            f"{r['position']}: token {r['ptoken']!r} where the corpus has {r['token']!r} "
            f"({diff.height} differing tokens in all)")
    same = (pl.col("predicted") == pl.col("tag")).cast(pl.Float64)
    return j.select("sentence", "position", "token", "tag", "predicted",
                    same.alias("p_tag"), pl.lit(1.0).alias("p_predicted"))


def _long(frame: pl.DataFrame) -> pl.DataFrame:
    """Any accepted frame → long ``sentence, position, label, prob`` (+ ``token`` if given)."""
    cols = set(frame.columns)
    if {"sentence", "position", "label", "prob"} <= cols:
        keep = [c for c in ("sentence", "position", "token", "label", "prob") if c in cols]
        return frame.select(keep)
    if not {"sentence", "position"} <= cols:
        raise ValueError("predictions: expected a predicted Corpus, a frame with columns "
                         "sentence, position, label, prob, or a wide frame sentence, position "
                         "and one probability column per label")
    labels = [c for c in frame.columns if c not in ("sentence", "position", "token")
              and frame.schema[c].is_float()]
    if not labels:
        raise ValueError("predictions: the wide frame has no float probability columns")
    idx = ["sentence", "position", *(["token"] if "token" in cols else [])]
    return frame.unpivot(labels, index=idx, variable_name="label", value_name="prob")


def _from_probs(corpus: Corpus, frame: pl.DataFrame) -> pl.DataFrame:
    ours = _corpus_tokens(corpus)
    lf = _long(frame).with_columns(pl.col("sentence").cast(pl.UInt32),
                                   pl.col("position").cast(pl.UInt32),
                                   pl.col("label").cast(pl.String),
                                   pl.col("prob").cast(pl.Float64))
    positions = lf.select("sentence", "position").unique()
    _first_mismatch(ours.select("sentence", "position"), positions, "predictions")
    if "token" in lf.columns:
        toks = lf.select("sentence", "position", pl.col("token").alias("ptoken")).unique(
            ["sentence", "position"]).join(ours, on=["sentence", "position"])
        diff = toks.filter(pl.col("token") != pl.col("ptoken")).sort("sentence", "position")
        if diff.height:
            r = diff.row(0, named=True)
            raise PredictionAlignmentError(
                f"predictions do not align with the corpus: sentence {r['sentence']}, position "
                f"{r['position']}: token {r['ptoken']!r} where the corpus has {r['token']!r}")
    bare = not lf["label"].str.contains(r"^[BI]-").any()
    own_key = (pl.when(pl.col("tag") == "O").then(pl.lit("O")).otherwise(pl.col("tag").str.slice(2))
               if bare else pl.col("tag"))
    best = lf.sort(["prob", "label"], descending=[True, False]).unique(
        ["sentence", "position"], keep="first").select(
        "sentence", "position", pl.col("label").alias("_best"), pl.col("prob").alias("p_predicted"))
    out = ours.with_columns(own_key.alias("_own")).join(
        best, on=["sentence", "position"], how="left", maintain_order="left"
    ).join(lf.select("sentence", "position", pl.col("label").alias("_own"),
                     pl.col("prob").alias("p_tag")),
           on=["sentence", "position", "_own"], how="left", maintain_order="left")
    if bare:  # bare types → IOB2: a type continues the previous token's type in the sentence
        prev = pl.col("_best").shift(1)
        cont = (pl.col("sentence").shift(1) == pl.col("sentence")) & (prev == pl.col("_best"))
        pred = (pl.when(pl.col("_best") == "O").then(pl.lit("O"))
                .when(cont.fill_null(False)).then(pl.lit("I-") + pl.col("_best"))
                .otherwise(pl.lit("B-") + pl.col("_best")))
    else:
        pred = pl.col("_best")
    return out.select("sentence", "position", "token", "tag", pred.alias("predicted"),
                      pl.col("p_tag").fill_null(0.0), "p_predicted")


def load_predictions(corpus: Corpus, pred: Any) -> pl.DataFrame:
    """Load a model's predictions for ``suspects()`` (kept until the next load).

    Parameters
    ----------
    corpus : Corpus
        The (whole) corpus the predictions are for.
    pred : Corpus or pl.DataFrame
        A predicted corpus (same sentences and tokens), a long frame ``sentence, position,
        label, prob`` or a wide frame ``sentence, position`` + one float column per label.
        Labels are IOB2 tags (``B-ORG``) or bare types (``ORG``, ``O``).  An optional ``token``
        column is checked against the corpus.

    Returns
    -------
    pl.DataFrame
        One row per token (:data:`TOKEN_SCHEMA`).

    Raises
    ------
    PredictionAlignmentError
        When tokens do not line up (naming the first sentence and position).
    """
    if isinstance(pred, View):
        out = _from_corpus(corpus, pred)
    elif isinstance(pred, pl.DataFrame):
        out = _from_probs(corpus, pred)
    else:
        try:
            import pandas as pd

            if isinstance(pred, pd.DataFrame):
                return load_predictions(corpus, pl.from_pandas(pred))
        except ImportError:
            pass
        raise TypeError(f"predictions: expected a Corpus or a DataFrame, not {type(pred)!r}")
    corpus.state.predictions = out
    return out


def loaded_predictions(corpus: Corpus) -> pl.DataFrame | None:
    """The predictions loaded with :func:`load_predictions` (None when none were)."""
    return getattr(corpus.state, "predictions", None)


# ------------------------------------------------------------------------------------ suspects
def _pred_spans(result: pl.DataFrame) -> pl.DataFrame:
    ann = schemes.annotate(result.select("sentence", "position", "predicted"), "predicted", "IOB2")
    return schemes.spans_from(ann)


def _span_stat(spans: pl.DataFrame, result: pl.DataFrame, sent: pl.DataFrame,
               prefix: str) -> pl.DataFrame:
    """min p_tag and mean p_predicted over the tokens of each span (by row ranges)."""
    rows = spans.with_row_index("_k").join(sent, on="sentence", how="left").select(
        "_k", pl.int_ranges(pl.col("row") + pl.col("start"), pl.col("row") + pl.col("end"),
                            dtype=pl.UInt32).alias("r")).explode("r")
    vals = pl.DataFrame({"p_tag": result["p_tag"], "p_predicted": result["p_predicted"]})
    got = pl.concat([rows, vals[rows["r"]]], how="horizontal").group_by("_k").agg(
        pl.col("p_tag").min().alias(f"{prefix}_own"),
        pl.col("p_tag").mean().alias(f"{prefix}_mean"),
        pl.col("p_predicted").mean().alias(f"{prefix}_pred"))
    return spans.with_row_index("_k").join(got, on="_k", how="left").drop("_k")


def _doc_phrase(corpus: Corpus) -> pl.DataFrame:
    """Per (doc, text): ``"in this document 'X' is ORG 6 times and LOC once"``."""
    sp = all_spans(corpus.state).join(corpus.state.sent.select("sentence", "doc"), on="sentence")
    cnt = sp.group_by("doc", "text", "label").len("n").sort(["n", "label"],
                                                             descending=[True, False])
    word = (pl.when(pl.col("n") == 1).then(pl.lit("once")).when(pl.col("n") == 2)
            .then(pl.lit("twice")).otherwise(pl.format("{} times", pl.col("n"))))
    g = cnt.with_columns(pl.format("{} {}", "label", word).alias("p")).group_by(
        "doc", "text", maintain_order=True).agg(pl.col("p"), pl.col("n").sum().alias("tot"))
    joined = g.with_columns(
        pl.when(pl.col("p").list.len() > 1).then(
            pl.col("p").list.head(pl.col("p").list.len() - 1).list.join(", ")
            + pl.lit(" and ") + pl.col("p").list.last()
        ).otherwise(pl.col("p").list.first()).alias("p"))
    return joined.filter(pl.col("tot") >= 2).select(
        "doc", "text", pl.format("in this document '{}' is {}", "text", "p").alias("doc_ev"))


def disagreement_suspects(corpus: Corpus, result: pl.DataFrame, finder: str,
                          says: str, *, debug: bool = False) -> pl.DataFrame:
    """Suspects where per-token predictions (:data:`TOKEN_SCHEMA`) disagree with the file.

    * every file span with no identical predicted span: suggestion = the predicted span
      overlapping it most (its label and extent), or ``"O"`` when none overlaps;
    * every predicted span overlapping no file span: an entity left untagged.

    Raw score ``1 - mean p(file's tag)`` over the flagged tokens (cleanlab's self-confidence,
    averaged over the span: on the train.txt audit the mean ranked better than cleanlab's
    ``min``), then calibrated per ``finder`` and kind of disagreement (``type``, ``missing``,
    ``spurious``, ``boundary``).
    """
    if result.height == 0:
        return empty()
    st = corpus.state
    sent = st.sent.select("sentence", "row", "doc")
    own = all_spans(corpus.state)
    pred = _pred_spans(result)
    own = _span_stat(own.select("sentence", "start", "end", "label"), result,
                     sent, "o")
    pred = _span_stat(pred, result, sent, "q")
    key = ["sentence", "start", "end", "label"]
    own_bad = own.join(pred.select(key), on=key, how="anti")
    pairs = own_bad.join(
        pred.rename({"start": "ps", "end": "pe", "label": "plabel"}), on="sentence", how="inner"
    ).filter((pl.col("ps") < pl.col("end")) & (pl.col("pe") > pl.col("start"))).with_columns(
        (pl.min_horizontal("end", "pe") - pl.max_horizontal("start", "ps")).alias("ov")
    ).sort(["ov", "ps"], descending=[True, False]).unique(
        ["sentence", "start", "end"], keep="first")
    a = own_bad.join(pairs.select("sentence", "start", "end", "ps", "pe", "plabel", "q_pred"),
                     on=["sentence", "start", "end"], how="left").select(
        "sentence", "start", "end", "label",
        pl.col("plabel").fill_null("O").alias("suggestion"),
        pl.col("ps").fill_null(pl.col("start")).alias("suggest_start"),
        pl.col("pe").fill_null(pl.col("end")).alias("suggest_end"),
        (1.0 - pl.col("o_mean")).alias("raw"),
        pl.col("q_pred").alias("p_sugg"), "o_mean",
    )
    lone = pred.join(own.select("sentence", pl.col("start").alias("os"), pl.col("end").alias(
        "oe")), on="sentence", how="left").with_columns(
        ((pl.col("os") < pl.col("end")) & (pl.col("oe") > pl.col("start"))).fill_null(False)
        .alias("hit")).group_by(["sentence", "start", "end"], maintain_order=True).agg(
        pl.col("label").first(), pl.col("q_own").first(), pl.col("q_pred").first(),
        pl.col("q_mean").first(), pl.col("hit").any()).filter(~pl.col("hit"))
    b = lone.select("sentence", "start", "end", pl.lit("O").alias("label"),
                    pl.col("label").alias("suggestion"), pl.col("start").alias("suggest_start"),
                    pl.col("end").alias("suggest_end"), (1.0 - pl.col("q_mean")).alias("raw"),
                    pl.col("q_pred").alias("p_sugg"), pl.col("q_mean").alias("o_mean"))
    f64 = {"raw": pl.Float64, "p_sugg": pl.Float64, "o_mean": pl.Float64}
    rows = pl.concat([a.cast(f64), b.cast(f64)], how="vertical_relaxed")
    if rows.height == 0:
        return empty()
    rows = rows.join(sent, on="sentence", how="left", maintain_order="left")
    first = (rows["row"] + rows["start"]).cast(pl.UInt32)
    rows = rows.with_columns(span_texts(result["token"], first, (rows["end"] - rows["start"])
                                        .cast(pl.UInt32)).alias("text"))
    rows = rows.join(_doc_phrase(corpus), on=["doc", "text"], how="left", maintain_order="left")
    sugg = (pl.when(pl.col("suggestion") == "O").then(pl.lit("this is no entity"))
            .otherwise(pl.format("{}", pl.col("suggestion"))))
    extent = (pl.when((pl.col("suggest_start") != pl.col("start"))
                      | (pl.col("suggest_end") != pl.col("end")))
              .then(pl.format(" on tokens {}–{}", "suggest_start", pl.col("suggest_end") - 1))
              .otherwise(pl.lit("")))
    p_s = pl.when(pl.col("suggestion") == "O").then(1.0 - pl.col("raw")).otherwise(
        pl.col("p_sugg"))
    ev = pl.format(f"{says} {{}}{{}} (p = {{}}); the file's {{}} gets p = {{}}", sugg, extent,
                   p_s.fill_null(0.0).round(2), pl.col("label"), (1.0 - pl.col("raw")).round(2))
    ev = pl.when(pl.col("doc_ev").is_not_null()).then(pl.concat_str([ev, pl.col("doc_ev")],
                                                                   separator="; ")).otherwise(ev)
    kind = (pl.when(pl.col("label") == "O").then(pl.lit("missing"))
            .when(pl.col("suggestion") == "O").then(pl.lit("spurious"))
            .when((pl.col("start") == pl.col("suggest_start"))
                  & (pl.col("end") == pl.col("suggest_end"))).then(pl.lit("type"))
            .otherwise(pl.lit("boundary")))
    rows = rows.with_columns(kind.alias("kind"))
    if debug:
        return rows
    out = rows.select(
        "sentence", "start", "end", "text", "label", "suggestion", "suggest_start", "suggest_end",
        calibrate(pl.col("raw"), finder, pl.col("kind")).alias("score"),
        pl.lit(finder).alias("finder"),
        ev.alias("evidence"),
    )
    return out.cast(SCHEMA).sort("score", descending=True)  # type: ignore[arg-type]


def suspects_from_predictions(corpus: Corpus, pred: pl.DataFrame) -> pl.DataFrame:
    """Suspects rows from loaded predictions."""
    return disagreement_suspects(corpus, pred, "predictions", "the loaded predictions say")


__all__ = ["TOKEN_SCHEMA", "PredictionAlignmentError", "disagreement_suspects",
           "load_predictions", "loaded_predictions", "suspects_from_predictions"]
