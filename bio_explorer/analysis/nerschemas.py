"""Span-matching schemas for NER evaluation: seqeval's *strict* span reading and the four
schemas of nervaluate (``strict``, ``exact``, ``partial``, ``ent_type``, after SemEval-2013 task
9.1).

The schemas compare gold and predicted spans sentence by sentence; a predicted span is matched
greedily against the gold spans in reading order, the way ``nervaluate.Evaluator`` (1.x) does:

``strict``    correct = same boundaries and label; a prediction overlapping a gold span
              otherwise is *incorrect*.
``exact``     correct = same boundaries (any label); overlapping otherwise is incorrect.
``partial``   correct = same boundaries; overlapping otherwise is *partial* (half a hit).
``ent_type``  correct = overlapping with the same label (the closest boundaries win);
              overlapping with another label is incorrect.

Everywhere a prediction touching no (unmatched) gold span is *spurious* and a gold span no
prediction matched is *missed*.  ``possible = correct + incorrect + partial + missed``,
``actual = correct + incorrect + partial + spurious``; precision = (correct + ½·partial) / actual,
recall = (correct + ½·partial) / possible.

Sentences where every prediction overlaps at most one gold span and every gold span at most one
prediction (nearly all of them) are scored with joins; the few others are walked span by span.
"""

from __future__ import annotations

import polars as pl

from .. import schemes

__all__ = ["SCHEMAS", "schema_table", "strict_spans"]

SCHEMAS = ("strict", "exact", "partial", "ent_type")
_COUNTS = ("correct", "incorrect", "partial", "missed", "spurious")


def strict_spans(tok: pl.DataFrame, tag_col: str, scheme: str) -> pl.DataFrame:
    """Spans of ``tok`` under seqeval's strict mode (``mode="strict"``).

    ``tok`` holds ``sentence``, ``position`` and tags in ``scheme`` (``"IOB2"`` or a BIOES
    spelling).  IOB2: a span is ``B-X`` followed by ``I-X`` tokens (an orphan ``I-X`` starts no
    span).  BIOES: ``S-X`` alone, or ``B-X I-X… E-X``; anything else is not a span.
    """
    ann = schemes.annotate(tok.select("sentence", "position", tag_col), tag_col, scheme)
    sp = schemes.spans_from(ann)
    pref = ann.select("sentence", "position", pl.col("_prefix").cast(pl.String))
    sp = (sp.join(pref.rename({"position": "start", "_prefix": "_first"}),
                  on=["sentence", "start"], how="left", maintain_order="left")
          .join(pref.with_columns(pl.col("position") + 1)
                .rename({"position": "end", "_prefix": "_last"}),
                on=["sentence", "end"], how="left", maintain_order="left"))
    if scheme == "IOB2":
        keep = pl.col("_first") == "B"
    elif scheme in ("BIOES", "BILOU", "BMES"):
        one = (pl.col("end") - pl.col("start")) == 1
        keep = (one & (pl.col("_first") == "S")) | (
            ~one & (pl.col("_first") == "B") & (pl.col("_last") == "E"))
    else:
        raise ValueError(f"strict mode supports IOB2 and BIOES tags, not {scheme!r}")
    return sp.filter(keep).select("sentence", "start", "end", "label")


def _greedy(gold: list[tuple], pred: list[tuple], schema: str) -> dict[str, int]:
    """nervaluate's matching for one sentence (``(start, end, label)`` tuples, end exclusive)."""
    out = dict.fromkeys(_COUNTS, 0)
    matched: set[int] = set()
    for ps, pe, pl_ in pred:
        hit = other = None
        best = None
        for gi, (gs, ge, gl) in enumerate(gold):
            if gi in matched or not (ps < ge and gs < pe):
                continue
            same = ps == gs and pe == ge
            if schema == "ent_type":
                if pl_ == gl:
                    dist = abs(ps - gs) + abs(pe - ge)
                    if best is None or dist < best:
                        hit, best = gi, dist
                elif other is None:
                    other = gi
                continue
            if same and (schema != "strict" or pl_ == gl):
                hit = gi
                break
            if other is None:
                other = gi
        if hit is not None:
            out["correct"] += 1
            matched.add(hit)
        elif other is not None:
            out["partial" if schema == "partial" else "incorrect"] += 1
            matched.add(other)
        else:
            out["spurious"] += 1
    out["missed"] += len(gold) - len(matched)
    return out


def _counts(gold: pl.DataFrame, pred: pl.DataFrame) -> dict[str, dict[str, int]]:
    g = gold.select("sentence", "start", "end", "label").with_row_index("gi")
    p = pred.select("sentence", "start", "end", "label").with_row_index("pi")
    pairs = p.join(g, on="sentence", suffix="_g").filter(
        (pl.col("start") < pl.col("end_g")) & (pl.col("start_g") < pl.col("end")))
    many = pl.concat([
        pairs.group_by("pi").agg(pl.col("sentence").first(), pl.len()).select("sentence", "len"),
        pairs.group_by("gi").agg(pl.col("sentence").first(), pl.len()).select("sentence", "len"),
    ]).filter(pl.col("len") > 1)["sentence"].unique()
    hard = pl.col("sentence").is_in(many.implode())
    easy_pairs = pairs.filter(~hard)
    same_b = (pl.col("start") == pl.col("start_g")) & (pl.col("end") == pl.col("end_g"))
    same_l = pl.col("label") == pl.col("label_g")
    flags = easy_pairs.select(same_b.alias("b"), same_l.alias("l"))
    n_pairs = flags.height
    spurious = p.filter(~hard).join(easy_pairs, on="pi", how="anti").height
    missed = g.filter(~hard).join(easy_pairs, on="gi", how="anti").height
    both = int((flags["b"] & flags["l"]).sum())
    bound = int(flags["b"].sum())
    label = int(flags["l"].sum())
    result = {
        "strict": {"correct": both, "incorrect": n_pairs - both, "partial": 0},
        "exact": {"correct": bound, "incorrect": n_pairs - bound, "partial": 0},
        "partial": {"correct": bound, "incorrect": 0, "partial": n_pairs - bound},
        "ent_type": {"correct": label, "incorrect": n_pairs - label, "partial": 0},
    }
    for r in result.values():
        r.update(missed=missed, spurious=spurious)
    if many.len():
        cols = ("start", "end", "label")
        gh = (g.filter(hard).sort("sentence", "start").group_by("sentence")
              .agg(pl.struct(cols).alias("g")))
        ph = (p.filter(hard).sort("sentence", "start").group_by("sentence")
              .agg(pl.struct(cols).alias("p")))
        both_sides = gh.join(ph, on="sentence", how="full", coalesce=True)
        for row in both_sides.iter_rows(named=True):  # only the sentences with many-to-many
            gl = [(s["start"], s["end"], s["label"]) for s in row["g"] or []]
            pll = [(s["start"], s["end"], s["label"]) for s in row["p"] or []]
            for schema in SCHEMAS:
                one = _greedy(gl, pll, schema)
                for k in _COUNTS:
                    result[schema][k] += one[k]
    return result


def schema_table(gold: pl.DataFrame, pred: pl.DataFrame, *, by_label: bool = False
                 ) -> pl.DataFrame:
    """nervaluate's four schemas for gold and predicted spans (``sentence``, ``start``, ``end``
    exclusive, ``label``).

    Returns
    -------
    pl.DataFrame
        ``schema``, ``correct``, ``incorrect``, ``partial``, ``missed``, ``spurious``,
        ``possible``, ``actual``, ``precision``, ``recall``, ``f1``; with ``by_label=True`` a
        leading ``label`` column (each label scored on its own spans only, as nervaluate's
        per-entity results).
    """
    if by_label:
        labels = sorted(set(gold["label"].to_list()) | set(pred["label"].to_list()))
        parts = [schema_table(gold.filter(pl.col("label") == lab),
                              pred.filter(pl.col("label") == lab))
                 .select(pl.lit(lab).alias("label"), pl.all()) for lab in labels]
        return pl.concat(parts) if parts else schema_table(gold, pred).clear().select(
            pl.lit(None, pl.String).alias("label"), pl.all())
    counts = _counts(gold, pred)
    df = pl.DataFrame([{"schema": s, **{k: counts[s][k] for k in _COUNTS}} for s in SCHEMAS],
                      schema={"schema": pl.String, **dict.fromkeys(_COUNTS, pl.Int64)})
    hit = pl.col("correct") + 0.5 * pl.col("partial")
    df = df.with_columns(
        (pl.col("correct") + pl.col("incorrect") + pl.col("partial") + pl.col("missed"))
        .alias("possible"),
        (pl.col("correct") + pl.col("incorrect") + pl.col("partial") + pl.col("spurious"))
        .alias("actual"),
    ).with_columns(
        pl.when(pl.col("actual") > 0).then(hit / pl.col("actual")).otherwise(0.0)
        .alias("precision"),
        pl.when(pl.col("possible") > 0).then(hit / pl.col("possible")).otherwise(0.0)
        .alias("recall"),
    )
    return df.with_columns(
        pl.when(pl.col("precision") + pl.col("recall") > 0)
        .then(2 * pl.col("precision") * pl.col("recall") / (pl.col("precision") + pl.col("recall")))
        .otherwise(0.0).alias("f1"))
