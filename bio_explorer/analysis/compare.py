"""Compare a predicted corpus with a gold one: span-level metrics and a per-span error list.

Spans are read from the IOB2 ``tag`` columns with seqeval's lenient convention (the same spans as
``Corpus.spans``), so :meth:`Comparison.metrics` agrees with
``seqeval.metrics.classification_report`` in its default mode.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from .. import schemes

if TYPE_CHECKING:
    from ..state import View as Corpus  # the lower layers take a view of the state

__all__ = ["Comparison", "compare"]

_KEY = ["sentence", "start", "end"]


def _check_aligned(gold: Corpus, pred: Corpus) -> None:
    g = gold.token_rows().select("sentence", "position", "token")
    p = pred.token_rows().select("sentence", "position", "token")
    if g.height != p.height or len(gold) != len(pred):
        raise ValueError(
            f"gold and pred do not align: gold has {len(gold):,} sentences / {g.height:,} tokens, "
            f"pred has {len(pred):,} sentences / {p.height:,} tokens"
        )
    g_sent = gold.sentences.select("n_tokens")
    p_sent = pred.sentences.select("n_tokens")
    bad = (g_sent["n_tokens"] != p_sent["n_tokens"]) | (
        gold.sentence_ids() != pred.sentence_ids())
    if bad.any():
        i = int(bad.arg_true()[0])
        raise ValueError(
            f"gold and pred do not align: sentence {i} has {g_sent['n_tokens'][i]} tokens in gold "
            f"and {p_sent['n_tokens'][i]} in pred"
        )
    diff = (g["token"] != p["token"]).fill_null(True)
    if diff.any():
        i = int(diff.arg_true()[0])
        raise ValueError(
            f"gold and pred do not align: sentence {g['sentence'][i]}, token {g['position'][i]} is "
            f"{g['token'][i]!r} in gold but {p['token'][i]!r} in pred"
        )


MODES = ("default", "strict")


def _spans(corpus: Corpus, mode: str, scheme: str | None) -> pl.DataFrame:
    """The spans a comparison scores: ``Corpus.spans`` (seqeval's default reading) or the spans
    seqeval's strict mode keeps (see :func:`~bio_explorer.analysis.nerschemas.strict_spans`)."""
    if mode == "default":
        return corpus.spans.select(*_KEY, "label", "text")
    from .nerschemas import strict_spans

    bioes = ("BIOES", "BILOU", "BMES")
    if scheme is not None:  # any case; seqeval's name IOBES too
        from ..io.options import normalise_scheme

        scheme = "BIOES" if scheme.upper() == "IOBES" else normalise_scheme(scheme, auto=False)
    scheme = scheme or ("BIOES" if corpus.scheme in bioes else "IOB2")
    tok = corpus.token_rows().select("sentence", "position", pl.col("tag").cast(pl.String))
    if scheme in bioes:
        # the tags as the file writes them (a BIOES file's own B/I/E/S), else converted
        own = corpus.file_tags() if corpus.scheme in bioes else None
        tag = own.cast(pl.String) if own is not None else tok.select(
            schemes.from_iob2(pl.col("tag"), pl.col("sentence"), "BIOES")).to_series()
        tok, scheme = tok.with_columns(tag.alias("tag")), "BIOES"
    sp = strict_spans(tok, "tag", scheme)
    return sp.join(corpus.spans.select(*_KEY, "text"), on=_KEY, how="left",
                   maintain_order="left")


class Comparison:
    """The result of :func:`compare`: gold and predicted spans of aligned corpora."""

    def __init__(self, gold: Corpus, pred: Corpus, *, mode: str = "default",
                 scheme: str | None = None) -> None:
        if mode not in MODES:
            raise ValueError(f"mode={mode!r}; expected 'default' or 'strict'")
        _check_aligned(gold, pred)
        self.gold = gold
        self.pred = pred
        self.mode = mode
        self._g = _spans(gold, mode, scheme)
        self._p = _spans(pred, mode, scheme).select(*_KEY, "label")

    def schemas(self, *, by_label: bool = False) -> pl.DataFrame:
        """nervaluate's ``strict``, ``exact``, ``partial`` and ``ent_type`` schemas.

        Counts (correct, incorrect, partial, missed, spurious, possible, actual) and precision,
        recall, F1 per schema, equal to ``nervaluate.Evaluator(...).evaluate()["overall"]``
        (``by_label=True``: its per-entity results).  See
        :mod:`bio_explorer.analysis.nerschemas`.
        """
        from .nerschemas import schema_table

        return schema_table(self._g, self._p, by_label=by_label)

    def metrics(self) -> pl.DataFrame:
        """Per-label precision, recall, F1 and support, plus micro, macro and weighted averages.

        A predicted span counts as correct only with the exact boundaries and label of a gold span.

        Returns
        -------
        pl.DataFrame
            ``label``, ``precision``, ``recall``, ``f1`` (f64), ``support`` (gold spans, u32),
            ``predicted`` (u32), ``correct`` (u32); labels sorted, then ``micro avg``,
            ``macro avg``, ``weighted avg``.
        """
        tp = self._g.join(self._p, on=[*_KEY, "label"], how="semi").group_by("label").len("correct")
        sup = self._g.group_by("label").len("support")
        prd = self._p.group_by("label").len("predicted")
        labels = pl.concat([sup["label"], prd["label"]]).unique().sort().to_frame("label")
        per = (
            labels.join(sup, on="label", how="left").join(prd, on="label", how="left")
            .join(tp, on="label", how="left").fill_null(0)
            .with_columns(pl.col("support", "predicted", "correct").cast(pl.UInt32))
        )

        def scores(df: pl.DataFrame) -> pl.DataFrame:
            p = pl.when(pl.col("predicted") > 0).then(
                pl.col("correct") / pl.col("predicted")).otherwise(0.0)
            r = pl.when(pl.col("support") > 0).then(
                pl.col("correct") / pl.col("support")).otherwise(0.0)
            return df.with_columns(p.alias("precision"), r.alias("recall")).with_columns(
                pl.when(pl.col("precision") + pl.col("recall") > 0)
                .then(2 * pl.col("precision") * pl.col("recall")
                      / (pl.col("precision") + pl.col("recall")))
                .otherwise(0.0).alias("f1")
            )

        per = scores(per)
        micro = scores(per.select(pl.lit("micro avg").alias("label"),
                                  pl.col("support", "predicted", "correct").sum()))
        total = per["support"].sum()
        macro = per.select(pl.lit("macro avg").alias("label"),
                           pl.col("precision", "recall", "f1").mean(),
                           pl.col("support", "predicted", "correct").sum())
        weight = pl.col("support") / max(total, 1)
        weighted = per.select(pl.lit("weighted avg").alias("label"),
                              (pl.col("precision") * weight).sum(),
                              (pl.col("recall") * weight).sum(),
                              (pl.col("f1") * weight).sum(),
                              pl.col("support", "predicted", "correct").sum())
        cols = ["label", "precision", "recall", "f1", "support", "predicted", "correct"]
        return pl.concat([f.select(cols) for f in (per, micro, macro, weighted)],
                         how="vertical_relaxed")

    def errors(self) -> pl.DataFrame:
        """One row per gold or predicted span that is not an exact, correctly labelled match.

        Kinds: ``wrong_label`` (same boundaries, another label), ``wrong_boundary`` (a gold span
        overlapped by predicted spans with other boundaries; the first of them is named),
        ``missed`` (a gold span no predicted span touches) and ``spurious`` (a predicted span that
        touches no gold span).

        Returns
        -------
        pl.DataFrame
            ``sentence``, ``start``, ``end`` (the gold span, or the predicted one for
            ``spurious``), ``gold_label``, ``pred_label``, ``kind``, ``pred_start``, ``pred_end``;
            sorted by sentence and start.
        """
        g = self._g.select(*_KEY, pl.col("label").alias("gold_label"))
        p = self._p.select(*_KEY, pl.col("label").alias("pred_label"))
        same = g.join(p, on=_KEY, how="inner")
        wrong_label = same.filter(pl.col("gold_label") != pl.col("pred_label")).select(
            *_KEY, "gold_label", "pred_label", pl.lit("wrong_label").alias("kind"),
            pl.col("start").alias("pred_start"), pl.col("end").alias("pred_end"))
        g_rest = g.join(p, on=_KEY, how="anti")
        p_rest = p.join(g, on=_KEY, how="anti")
        over = (
            g_rest.join(p.rename({"start": "pred_start", "end": "pred_end"}), on="sentence",
                        how="inner")
            .filter((pl.col("pred_start") < pl.col("end")) & (pl.col("start") < pl.col("pred_end")))
            .sort(*_KEY, "pred_start")
        )
        boundary = over.group_by(_KEY, maintain_order=True).first().select(
            *_KEY, "gold_label", "pred_label", pl.lit("wrong_boundary").alias("kind"),
            "pred_start", "pred_end")
        missed = g_rest.join(boundary.select(_KEY), on=_KEY, how="anti").select(
            *_KEY, "gold_label", pl.lit(None, pl.String).alias("pred_label"),
            pl.lit("missed").alias("kind"),
            pl.lit(None, pl.UInt32).alias("pred_start"), pl.lit(None, pl.UInt32).alias("pred_end"))
        touched = (
            p_rest.join(g.rename({"start": "gs", "end": "ge"}), on="sentence", how="inner")
            .filter((pl.col("start") < pl.col("ge")) & (pl.col("gs") < pl.col("end")))
            .select(_KEY).unique()
        )
        spurious = p_rest.join(touched, on=_KEY, how="anti").select(
            *_KEY, pl.lit(None, pl.String).alias("gold_label"), "pred_label",
            pl.lit("spurious").alias("kind"),
            pl.col("start").alias("pred_start"), pl.col("end").alias("pred_end"))
        out = pl.concat([wrong_label, boundary, missed, spurious], how="vertical_relaxed")
        return out.sort("sentence", "start", "kind")

    def __repr__(self) -> str:
        m = self.metrics().filter(pl.col("label") == "micro avg").row(0, named=True)
        return (f"<bio_explorer Comparison: micro P {m['precision']:.3f} R {m['recall']:.3f} "
                f"F1 {m['f1']:.3f} over {m['support']:,} gold spans>")

    def _repr_html_(self) -> str:
        """The summary line and the per-label metrics table (escaped)."""
        import html

        table = self.metrics()
        cols = table.columns
        head = "".join(f"<th>{html.escape(c)}</th>" for c in cols)
        body = "".join(
            "<tr>" + "".join(
                f"<td>{html.escape(f'{v:.3f}' if isinstance(v, float) else str(v))}</td>"
                for v in row) + "</tr>"
            for row in table.iter_rows()
        )
        return (f"<div><p>{html.escape(repr(self))}</p>"
                f"<table><tr>{head}</tr>{body}</table></div>")


def compare(gold: Corpus, pred: Corpus, *, mode: str = "default",
            scheme: str | None = None) -> Comparison:
    """Compare a predicted corpus with a gold one.

    Parameters
    ----------
    gold, pred : Corpus
        Corpora (or views) over the same sentences and tokens.
    mode : {"default", "strict"}
        ``"default"``: spans as ``Corpus.spans`` reads them (seqeval's default, lenient mode: an
        orphan ``I-X`` starts a span).  ``"strict"``: seqeval's ``mode="strict"`` — only spans
        valid in ``scheme`` count (IOB2: ``B-X I-X…``; BIOES: ``S-X`` or ``B-X I-X… E-X``).
    scheme : {"IOB2", "BIOES"}, optional (any case; ``"IOBES"`` is BIOES)
        Scheme of the strict mode; default: BIOES for BIOES/BILOU/BMES corpora (their own
        tags), else IOB2.

    Returns
    -------
    Comparison
        ``.metrics()`` (per label and averaged, equal to seqeval's ``classification_report``
        in the same mode), ``.errors()`` (per span) and ``.schemas()`` (nervaluate's strict /
        exact / partial / ent_type counts).

    Raises
    ------
    ValueError
        When the two do not hold the same sentences and tokens (the first difference is named).
    """
    return Comparison(gold, pred, mode=mode, scheme=scheme)
