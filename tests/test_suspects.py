"""suspects(): one ranked list from every finder; apply_suggestion(s) with one undo step."""

from __future__ import annotations

import polars as pl
import pytest

import bio_explorer as bx
from bio_explorer.analysis import suspects as S
from bio_explorer.errors import EditError

COLUMNS = ["sentence", "start", "end", "text", "label", "suggestion", "suggest_start",
           "suggest_end", "score", "finder", "evidence"]


def _corpus(tmp_path, sentences):
    text = "\n\n".join("\n".join(f"{w} {t}" for w, t in s) for s in sentences) + "\n"
    p = tmp_path / "c.txt"
    p.write_text(text)
    return bx.read(p)


@pytest.fixture
def small(tmp_path):
    s = [[("Paris", "B-LOC"), ("is", "O"), ("nice", "O")] for _ in range(6)]
    s.append([("Paris", "B-PER"), ("is", "O"), ("nice", "O")])  # the odd one out
    s.append([("I", "O"), ("saw", "O"), ("Paris", "O")])  # untagged
    return _corpus(tmp_path, s)


def test_columns_and_types(small):
    s = small.suspects(threshold=0.0)
    assert s.columns == COLUMNS
    assert s.schema == pl.Schema(S.SCHEMA)
    assert s["score"].is_between(0, 1).all()
    assert small.suspects(threshold=2.0).height == 0


def test_consistency_rows_match_plain_python(small):
    s = small.suspects(threshold=0.0, finders=("consistency",))
    occ = small.inconsistencies(occurrences=True, threshold=0.0)
    # plain-python expectation: each dissenting occurrence suggests its majority label
    want = {(r["sentence"], r["start"], r["end"], r["label"], r["majority"])
            for r in occ.iter_rows(named=True) if r["majority"] != "<x>"}
    got = {(r["sentence"], r["start"], r["end"], r["label"], r["suggestion"])
           for r in s.iter_rows(named=True)}
    assert got == want
    assert (6, 0, 1, "PER", "LOC") in got and (7, 2, 3, "O", "LOC") in got
    row = s.filter(pl.col("sentence") == 6).row(0, named=True)
    assert row["finder"] == "consistency"
    assert "'Paris' is PER here" in row["evidence"]
    assert "LOC 6 times" in row["evidence"]
    # ranked by score
    assert s["score"].to_list() == sorted(s["score"].to_list(), reverse=True)


def test_apply_suggestion_and_bulk_preview_undo(small):
    s = small.suspects(threshold=0.0)
    row = s.filter(pl.col("sentence") == 7).row(0, named=True)
    p = small.apply_suggestion(row)
    assert p.applied
    assert small.tokens.filter(pl.col("sentence") == 7)["tag"].cast(str).to_list() == [
        "O", "O", "B-LOC"]
    assert small.undo()
    pv = small.apply_suggestions(s)
    assert not pv.applied and len(pv) == s.height
    pv.apply()
    tags = small.tokens["tag"].cast(str).to_list()
    assert tags.count("B-LOC") == 8
    assert small.undo()  # one undo step for the whole bulk apply
    assert small.tokens["tag"].cast(str).to_list().count("B-LOC") == 6
    assert not small.undo()


def test_apply_suggestions_extent_and_overlap(tmp_path):
    c = _corpus(tmp_path, [[("The", "B-ORG"), ("Post", "I-ORG"), ("said", "O")]])
    frame = pl.DataFrame({
        "sentence": [0, 0], "start": [0, 0], "end": [2, 1], "suggestion": ["ORG", "O"],
        "suggest_start": [1, 0], "suggest_end": [2, 1], "score": [0.9, 0.5],
    })
    p = c.apply_suggestions(frame)  # the second row overlaps the better first one: left out
    p.apply()
    assert c.tokens["tag"].cast(str).to_list() == ["O", "B-ORG", "O"]
    with pytest.raises(EditError, match="sentence 0"):
        c.apply_suggestions({"sentence": 0, "start": 2, "end": 9, "suggestion": "ORG"})
