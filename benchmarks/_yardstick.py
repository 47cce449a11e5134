"""The real-error yardstick: CoNLL-2003 valid.txt vs CleanCoNLL, train.txt vs the audit.

See ``../shared/label_errors/README.md``.  Everything is token level: a finder's flagged tokens are
the tokens of the occurrences it reports (``[start, end)`` and, for suspects, the suggested extent
``[suggest_start, suggest_end)``); recall = flagged error tokens / error tokens, precision =
flagged error tokens / flagged tokens, only in judged sentences (valid) / all sentences (train).
Sentence ids here are the corpus' own (train first, then valid, as ``bx.read([train, valid])``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
CONLL = SHARED / "corpora" / "conll2003"
ERRORS = SHARED / "label_errors"
KEY = ["sentence", "position"]


@dataclass
class Part:
    """One scored file: its error tokens and the sentences that count."""

    name: str
    errors: pl.DataFrame  # sentence, position (corpus ids)
    judged: pl.Series  # corpus sentence ids that count


def read_corpus():
    import bio_explorer as bx

    return bx.read([str(CONLL / "train.txt"), str(CONLL / "valid.txt")])


def _offsets(corpus) -> dict[str, int]:
    s = corpus.sentences.group_by("source").agg(pl.col("sentence").min())
    return dict(zip(s["source"].to_list(), s["sentence"].to_list(), strict=True))


def _tokens(rows: list[tuple[int, int, int]]) -> pl.DataFrame:
    df = pl.DataFrame(rows, schema={"sentence": pl.Int64, "start": pl.Int64, "end": pl.Int64},
                      orient="row")
    return df.select(
        pl.col("sentence").cast(pl.UInt32),
        pl.int_ranges("start", "end", dtype=pl.UInt32).alias("position"),
    ).explode("position").unique()


def parts(corpus) -> dict[str, Part]:
    """``valid`` (CleanCoNLL, judged sentences) and ``train`` (audit, every train sentence)."""
    off = _offsets(corpus)
    lines = (ERRORS / "conll2003_valid_cleanconll.jsonl").read_text().splitlines()
    head = json.loads(lines[0])
    v0 = off["valid.txt"]
    rows = [json.loads(x) for x in lines[1:]]
    valid_err = pl.DataFrame({
        "sentence": [r["sentence"] + v0 for r in rows], "position": [r["position"] for r in rows],
    }, schema={"sentence": pl.UInt32, "position": pl.UInt32}).unique()
    judged = pl.Series("sentence", [s + v0 for s in head["judged_sentences"]], dtype=pl.UInt32)
    audit = [json.loads(x) for x in (ERRORS / "conll2003_audit.jsonl").read_text().splitlines()]
    t0 = off["train.txt"]
    spans = [(t0 + r[k]["sentence"], r[k]["start"], r[k]["end"])
             for r in audit if r["file"] == "train.txt" for k in ("old", "new") if r[k]]
    train_sent = corpus.sentences.filter(pl.col("source") == "train.txt")["sentence"]
    return {
        "valid": Part("valid.txt vs CleanCoNLL", valid_err, judged),
        "train": Part("train.txt vs audit", _tokens(spans), train_sent),
    }


def valid_kinds(corpus) -> pl.DataFrame:
    """Every CleanCoNLL-corrected token of valid.txt with its kind of correction:
    ``sentence, position, kind`` (``"LOC>ORG"``: the file's type, CleanCoNLL's; ``O`` outside)."""
    v0 = _offsets(corpus)["valid.txt"]
    rows = [json.loads(x) for x in
            (ERRORS / "conll2003_valid_cleanconll.jsonl").read_text().splitlines()[1:]]

    def typ(tag: str) -> str:
        return "O" if tag == "O" else tag[2:]

    return pl.DataFrame({
        "sentence": [r["sentence"] + v0 for r in rows], "position": [r["position"] for r in rows],
        "kind": [f"{typ(r['tag'])}>{typ(r['clean'])}" for r in rows],
    }, schema={"sentence": pl.UInt32, "position": pl.UInt32, "kind": pl.String}).unique(KEY)


def flagged_tokens(frame: pl.DataFrame) -> pl.DataFrame:
    """Tokens of the occurrences in ``frame`` (``sentence, start, end`` [+ suggested extent])."""
    cols = [("start", "end")]
    if "suggest_start" in frame.columns:
        cols.append(("suggest_start", "suggest_end"))
    out = [frame.select(pl.col("sentence").cast(pl.UInt32),
                        pl.int_ranges(a, b, dtype=pl.UInt32).alias("position")).explode("position")
           for a, b in cols]
    return pl.concat(out).drop_nulls().unique()


def score(flagged: pl.DataFrame, part: Part) -> dict:
    """Token-level recall / precision of ``flagged`` (``sentence, position``) on ``part``."""
    f = flagged.filter(pl.col("sentence").is_in(part.judged.implode()))
    e = part.errors.filter(pl.col("sentence").is_in(part.judged.implode()))
    hit = f.join(e, on=KEY, how="semi").height
    return {"flagged": f.height, "errors": e.height, "hits": hit,
            "recall": hit / e.height if e.height else float("nan"),
            "precision": hit / f.height if f.height else float("nan")}


def is_error(frame: pl.DataFrame, part: Part) -> pl.Series:
    """Per row of a suspects-like frame: does it flag at least one error token of ``part``?"""
    toks = frame.with_row_index("_i").select(
        "_i", pl.col("sentence").cast(pl.UInt32),
        pl.int_ranges(pl.min_horizontal("start", *(["suggest_start"] if "suggest_start" in
                                                   frame.columns else [])),
                      pl.max_horizontal("end", *(["suggest_end"] if "suggest_end" in
                                                 frame.columns else [])),
                      dtype=pl.UInt32).alias("position")).explode("position")
    hit = toks.join(part.errors, on=KEY, how="semi")["_i"].unique()
    return frame.with_row_index("_i")["_i"].is_in(hit.implode())


def majority_floor(corpus) -> pl.DataFrame:
    """The floor: every span whose text is labelled otherwise by the majority of its spans.

    A simple majority vote per surface form (exact text of the entity spans): each span whose
    label differs from the most common label of spans with the same text is flagged.
    """
    sp = corpus.spans
    counts = sp.group_by("text", "label").len("n")
    best = counts.sort(["n", "label"], descending=[True, False]).group_by("text").agg(
        pl.col("label").first().alias("majority"), pl.col("n").sum().alias("total"))
    return sp.join(best, on="text").filter(
        (pl.col("label") != pl.col("majority")) & (pl.col("total") >= 2)
    ).select("sentence", "start", "end")
