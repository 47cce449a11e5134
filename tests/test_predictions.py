"""load_predictions(): probabilities or a predicted corpus, ranked; alignment errors."""

from __future__ import annotations

import polars as pl
import pytest

import bio_explorer as bx
from bio_explorer.analysis import suspects as S
from bio_explorer.analysis.predictions import PredictionAlignmentError

SENTS = [
    [("England", "B-LOC"), ("beat", "O"), ("Wales", "B-ORG")],
    [("Ken", "B-PER"), ("went", "O"), ("to", "O"), ("Paris", "O")],
]
PROBS = {  # (sentence, position) -> {tag: prob}
    (0, 0): {"B-LOC": 0.10, "B-ORG": 0.85, "O": 0.05},
    (0, 1): {"O": 0.99, "B-ORG": 0.01},
    (0, 2): {"B-ORG": 0.70, "B-LOC": 0.30},
    (1, 0): {"B-PER": 0.97, "O": 0.03},
    (1, 1): {"O": 1.0},
    (1, 2): {"O": 1.0},
    (1, 3): {"B-LOC": 0.80, "O": 0.20},
}


def _corpus(tmp_path, sents, name="c.txt"):
    p = tmp_path / name
    p.write_text("\n\n".join("\n".join(f"{w} {t}" for w, t in s) for s in sents) + "\n")
    return bx.read(p)


def _long():
    return pl.DataFrame(
        [(s, p, lab, pr) for (s, p), d in PROBS.items() for lab, pr in d.items()],
        schema={"sentence": pl.Int64, "position": pl.Int64, "label": pl.String,
                "prob": pl.Float64}, orient="row")


def _plain_expectation():
    """Plain Python: span disagreements and their self-confidence score (1 - min p(own))."""
    own_tags = {(s, i): t for s, sent in enumerate(SENTS) for i, (_, t) in enumerate(sent)}
    pred = {k: max(d, key=d.get) for k, d in PROBS.items()}
    out = {}
    for (s, i), t in own_tags.items():
        if pred[(s, i)] != t:
            label = "O" if t == "O" else t[2:]
            sugg = "O" if pred[(s, i)] == "O" else pred[(s, i)][2:]
            out[(s, i, i + 1)] = (label, sugg, 1 - PROBS[(s, i)].get(t, 0.0))
    return out


@pytest.mark.parametrize("shape", ["long", "wide"])
def test_ranking_and_evidence_match_plain_python(tmp_path, shape):
    c = _corpus(tmp_path, SENTS)
    frame = _long()
    if shape == "wide":
        frame = frame.pivot("label", index=["sentence", "position"], values="prob").fill_null(0.0)
    tok = c.load_predictions(frame)
    assert tok["predicted"].to_list() == ["B-ORG", "O", "B-ORG", "B-PER", "O", "O", "B-LOC"]
    s = c.suspects(threshold=0.0, finders=("predictions",))
    want = _plain_expectation()
    got = {(r["sentence"], r["start"], r["end"]): (r["label"], r["suggestion"], r["score"])
           for r in s.iter_rows(named=True)}
    assert set(got) == set(want)
    for k, (label, sugg, raw) in want.items():
        assert got[k][:2] == (label, sugg)
        # identity calibration map for predictions, plus the tie-break share of the raw score
        assert got[k][2] == pytest.approx(min(1.0, raw * (1 + S.TIE_BREAK)))
    # ranked by confidence: England (p own 0.10) before Paris (p own 0.20)
    assert s["text"].to_list() == ["England", "Paris"]
    ev = s.row(0, named=True)["evidence"]
    assert ev.startswith("the loaded predictions say ORG (p = 0.85)")
    assert "the file's LOC gets p = 0.1" in ev
    assert s["finder"].to_list() == ["predictions", "predictions"]


def test_bare_type_probabilities(tmp_path):
    c = _corpus(tmp_path, SENTS)
    bare = _long().with_columns(pl.col("label").str.replace(r"^[BI]-", ""))
    tok = c.load_predictions(bare)
    assert tok["predicted"].to_list()[:3] == ["B-ORG", "O", "B-ORG"]
    assert tok["p_tag"][0] == pytest.approx(0.10)


def test_predicted_corpus(tmp_path):
    c = _corpus(tmp_path, SENTS)
    pred = _corpus(tmp_path, [[("England", "B-ORG"), ("beat", "O"), ("Wales", "B-ORG")],
                              SENTS[1]], "p.txt")
    c.load_predictions(pred)
    s = c.suspects(threshold=0.0, finders=("predictions",))
    assert s.select("sentence", "start", "label", "suggestion").rows() == [(0, 0, "LOC", "ORG")]


def test_misaligned_predictions_name_sentence_and_position(tmp_path):
    c = _corpus(tmp_path, SENTS)
    with pytest.raises(PredictionAlignmentError, match=r"sentence 1, position 3"):
        c.load_predictions(_long().filter(~((pl.col("sentence") == 1)
                                            & (pl.col("position") == 3))))
    other = _corpus(tmp_path, [SENTS[0], [("Ken", "B-PER"), ("ran", "O"), ("to", "O"),
                                          ("Paris", "O")]], "o.txt")
    with pytest.raises(PredictionAlignmentError, match=r"sentence 1, position 1: token 'ran'"):
        c.load_predictions(other)
    short = _corpus(tmp_path, [SENTS[0]], "s.txt")
    with pytest.raises(PredictionAlignmentError, match=r"sentence 1, position 0"):
        c.load_predictions(short)
