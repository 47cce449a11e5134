"""Edit operations: single and bulk edits, previews, undo/redo, IOB2 validity, replay (issue 6)."""

from __future__ import annotations

import json

import polars as pl
import pytest
from bx_testdata import tags_of
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from seqeval.metrics.sequence_labeling import get_entities

import bio_explorer as bx
from bio_explorer.errors import EditError
from bio_explorer.state import file_scheme_tags

# ---------------------------------------------------------------- independent helpers


def sentence_tags(c: bx.Corpus, s: int) -> list[str]:
    return c.tokens.filter(pl.col("sentence") == s)["tag"].cast(pl.String).to_list()


def sentence_spans(c: bx.Corpus, s: int) -> list[tuple[str, int, int]]:
    """seqeval's spans of one sentence as (label, start, end_exclusive)."""
    return [(lab, a, b + 1) for lab, a, b in get_entities(sentence_tags(c, s))]


def invalid_rows(tags: list[str], sentence: list[int]) -> set[int]:
    """Rows holding an IOB2 ``I-X`` that does not follow ``B-X``/``I-X`` in its sentence."""
    bad = set()
    for i, t in enumerate(tags):
        if not t.startswith("I-"):
            continue
        if i == 0 or sentence[i - 1] != sentence[i] or tags[i - 1] == "O" \
                or tags[i - 1][2:] != t[2:]:
            bad.add(i)
    return bad


def all_spans(c: bx.Corpus) -> list[tuple[int, str, int, int]]:
    """(sentence, label, start, end) of every span, from seqeval sentence by sentence."""
    tok = c.tokens
    out = []
    for (s,), part in tok.group_by("sentence", maintain_order=True):
        for lab, a, b in get_entities(part["tag"].cast(pl.String).to_list()):
            out.append((int(s), lab, a, b + 1))
    return out


@pytest.fixture()
def sample():
    return bx.sample()


@pytest.fixture()
def so_dev(shared_corpora):
    return bx.read(shared_corpora / "stackoverflow_ner" / "dev.txt")


# ---------------------------------------------------------------- single operations


def test_relabel_changes_one_span_and_counts(sample):
    before = all_spans(sample)
    assert (0, "Algorithm", 0, 1) in before
    sample.relabel(0, 0, 1, "Library")
    after = all_spans(sample)
    assert (0, "Library", 0, 1) in after and (0, "Algorithm", 0, 1) not in after
    assert set(before) - set(after) == {(0, "Algorithm", 0, 1)}
    assert set(after) - set(before) == {(0, "Library", 0, 1)}
    assert sample.unsaved == 1
    # the public spans frame agrees with seqeval
    row = sample.spans.filter((pl.col("sentence") == 0) & (pl.col("start") == 0)).row(0, named=True)
    assert row["label"] == "Library" and row["end"] == 1


def test_relabel_needs_an_exact_span(sample):
    snapshot = tags_of(sample)
    with pytest.raises(EditError, match="no span starts at token 1"):
        sample.relabel(0, 1, 2, "X")
    with pytest.raises(EditError, match="ends at"):
        sample.relabel(0, 20, 22, "X")  # the span there is [20, 23)
    with pytest.raises(EditError, match="invalid label"):
        sample.relabel(0, 0, 1, "two words")
    with pytest.raises(EditError, match="no sentence 999"):
        sample.relabel(999, 0, 1, "X")
    assert tags_of(sample) == snapshot
    assert sample.unsaved == 0 and sample.edits.height == 0


def test_delete_span(sample):
    assert ("Language", 20, 23) in sentence_spans(sample, 0)
    sample.delete_span(0, 20)
    assert sentence_tags(sample, 0)[20:23] == ["O", "O", "O"]
    assert ("Language", 20, 23) not in sentence_spans(sample, 0)
    with pytest.raises(EditError):
        sample.delete_span(0, 20)


def test_add_span_replaces_overlapping_spans_in_one_step(sample):
    # "computer vision" [17, 19) and "natural language processing" [20, 23) in sentence 0
    sample.add_span(0, 18, 21, "Task")
    spans = sentence_spans(sample, 0)
    assert ("Task", 18, 21) in spans
    assert not any(a < 23 and b > 17 and (lab, a, b) != ("Task", 18, 21) for lab, a, b in spans)
    assert sentence_tags(sample, 0)[17:23] == ["O", "B-Task", "I-Task", "I-Task", "O", "O"]
    assert sample.edits["edit_id"].n_unique() == 1  # one undo step
    sample.undo()
    assert ("Application", 17, 19) in sentence_spans(sample, 0)
    assert ("Language", 20, 23) in sentence_spans(sample, 0)


def test_resize_split_merge(sample):
    sample.resize_span(0, 20, 20, 22)  # shrink
    assert ("Language", 20, 22) in sentence_spans(sample, 0)
    assert sentence_tags(sample, 0)[22] == "O"
    sample.resize_span(0, 20, 19, 23)  # extend (touches "computer vision" [17,19)? no: 19 is O)
    assert ("Language", 19, 23) in sentence_spans(sample, 0)
    sample.split_span(0, 19, 21)
    assert ("Language", 19, 21) in sentence_spans(sample, 0)
    assert ("Language", 21, 23) in sentence_spans(sample, 0)
    assert sentence_tags(sample, 0)[21] == "B-Language"
    sample.merge_spans(0, 17, 23, "Field")
    assert ("Field", 17, 23) in sentence_spans(sample, 0)
    with pytest.raises(EditError, match="at least two spans"):
        sample.merge_spans(0, 17, 23)
    with pytest.raises(EditError, match="cannot split"):
        sample.split_span(0, 17, 17)
    assert sample.unsaved == 4
    for _ in range(4):
        assert sample.undo()
    assert not sample.undo()
    assert sentence_tags(sample, 0) == sentence_tags(bx.sample(), 0)


def test_neighbour_after_cut_span_is_reprefixed():
    """Shrinking the start of B-X I-X I-X keeps the remainder a valid span (B-X)."""
    c = bx.read(pl.DataFrame({"tokens": [["a", "b", "c", "d"]],
                              "ner_tags": [["B-X", "I-X", "I-X", "O"]]}))
    c.resize_span(0, 0, 0, 1)
    assert sentence_tags(c, 0) == ["B-X", "O", "O", "O"]
    c.undo()
    c.add_span(0, 0, 1, "Y")  # replaces the whole overlapping span
    assert sentence_tags(c, 0) == ["B-Y", "O", "O", "O"]


def test_orphan_after_edit_is_kept_separate():
    """``B-Y I-X`` (orphan I-X, its own span): relabelling B-Y to X must not merge them."""
    c = bx.read(pl.DataFrame({"tokens": [["a", "b", "c"]], "ner_tags": [["B-Y", "I-X", "O"]]}))
    assert sentence_spans(c, 0) == [("Y", 0, 1), ("X", 1, 2)]
    c.relabel(0, 0, 1, "X")
    assert sentence_spans(c, 0) == [("X", 0, 1), ("X", 1, 2)]
    assert sentence_tags(c, 0) == ["B-X", "B-X", "O"]
    e = c.edits
    assert e.height == 1 and e["old_tags"][0].to_list() == ["B-Y", "I-X"]


def test_existing_invalid_tags_elsewhere_untouched(so_dev):
    tags0 = tags_of(so_dev)
    sent = so_dev.tokens["sentence"].to_list()
    bad0 = invalid_rows(tags0, sent)
    assert len(bad0) == 3  # README: the dev file holds 3 invalid I- tags
    sp = so_dev.spans.filter(pl.col("label") == "Library").head(20)
    for s, a, b in sp.select("sentence", "start", "end").iter_rows():
        so_dev.relabel(s, a, b, "Framework")
    tags1 = tags_of(so_dev)
    assert invalid_rows(tags1, sent) == bad0
    changed = {i for i, (x, y) in enumerate(zip(tags0, tags1, strict=True)) if x != y}
    assert len(changed) == int((sp["end"] - sp["start"]).sum())


# ---------------------------------------------------------------- bulk operations


def test_relabel_all_preview_then_apply(sample):
    # independent count: exact single-token spans "PyTorch" not labelled Library
    spans = all_spans(sample)
    toks = sample.tokens
    words = toks["token"].to_list()
    row0 = {s: r for s, r in zip(*sample.state.sent.select("sentence", "row")
                                 .to_dict(as_series=False).values(), strict=True)}
    exp = [(s, a) for s, lab, a, b in spans
           if b - a == 1 and words[row0[s] + a] == "PyTorch" and lab != "Library"]
    snapshot = tags_of(sample)
    p = sample.relabel_all("PyTorch", "Library")
    assert len(p) == len(exp) > 5
    assert tags_of(sample) == snapshot  # nothing changed before apply
    assert set(p.changes.select("sentence", "start").iter_rows()) == set(exp)
    assert p.changes["after"].to_list()[0] == ["B-Library"]
    assert "occurrence" in p._repr_html_() and "PyTorch" in p._repr_html_()
    assert p.apply() == len(exp)
    assert sample.unsaved == 1
    with pytest.raises(EditError, match="already applied"):
        p.apply()
    sample.undo()
    assert tags_of(sample) == snapshot


def test_relabel_all_multi_token_case_and_untagged(so_dev):
    toks = so_dev.tokens
    words = toks["token"].to_list()
    tags = tags_of(so_dev)
    sent = toks["sentence"].to_list()
    # independent scan for the two-token form "jQuery UI" / untagged "the"
    hits = [i for i in range(len(words) - 1)
            if words[i].lower() == "jquery" and words[i + 1].lower() == "ui"
            and sent[i] == sent[i + 1]]
    assert hits, "the dev file mentions jQuery UI"
    exact = [i for i in hits if tags[i].startswith("B-") and tags[i + 1] == "I-" + tags[i][2:]
             and (i + 2 >= len(tags) or sent[i + 2] != sent[i] or tags[i + 2] != tags[i + 1])]
    untagged = [i for i in hits if tags[i] == "O" and tags[i + 1] == "O"]
    p = so_dev.relabel_all("jquery ui", "Widget", case=False, include_untagged=True)
    assert len(p) == len(exact) + len(untagged)
    p.apply()
    new = tags_of(so_dev)
    for i in exact + untagged:
        assert new[i:i + 2] == ["B-Widget", "I-Widget"]
    assert invalid_rows(new, sent) <= invalid_rows(tags, sent)


def test_relabel_all_removal_and_from_label(sample):
    counts = sample.spans.filter(pl.col("text") == "PyTorch")["label"].value_counts()
    n_alg = int(counts.filter(pl.col("label") == "Algorithm")["count"][0])
    p = sample.relabel_all("PyTorch", "O", from_label="Algorithm")
    assert len(p) == n_alg
    p.apply()
    assert sample.spans.filter((pl.col("text") == "PyTorch")
                               & (pl.col("label") == "Algorithm")).height == 0


def test_relabel_all_10000_occurrences_vectorised():
    """Many occurrences in one bulk step; undo restores everything."""
    n = 12_000
    toks = [["the", "Foo", "lib", "x"]] * n
    tags = [["O", "B-A", "O", "O"]] * n
    c = bx.read(pl.DataFrame({"tokens": toks, "ner_tags": tags}))
    p = c.relabel_all("Foo", "B")
    assert len(p) == n
    p.apply()
    assert c.tokens["tag"].cast(pl.String).value_counts().filter(
        pl.col("tag") == "B-B")["count"][0] == n
    assert c.edits["edit_id"].n_unique() == 1 and c.edits.height == n
    c.undo()
    assert c.tokens["tag"].cast(pl.String).to_list()[:4] == ["O", "B-A", "O", "O"]


def test_relabel_label_merges_and_keeps_spans_apart():
    c = bx.read(pl.DataFrame({
        "tokens": [["a", "b", "c", "d", "e"], ["f", "g"]],
        "ner_tags": [["B-X", "I-X", "B-Y", "O", "B-X"], ["B-Y", "I-Y"]],
    }))
    p = c.relabel_label("X", "Y")
    assert len(p) == 2
    p.apply()
    assert sentence_spans(c, 0) == [("Y", 0, 2), ("Y", 2, 3), ("Y", 4, 5)]
    assert sentence_tags(c, 0) == ["B-Y", "I-Y", "B-Y", "O", "B-Y"]
    with pytest.raises(EditError, match="no label"):
        c.relabel_label("X", "Z")


def test_relabel_label_on_real_corpus(so_dev):
    n_lib = so_dev.spans.filter(pl.col("label") == "Library").height
    n_fw = so_dev.spans.filter(pl.col("label") == "Library_Class").height
    p = so_dev.relabel_label("Library", "Library_Class")
    p.apply()
    spans = all_spans(so_dev)
    assert sum(1 for s in spans if s[1] == "Library") == 0
    assert sum(1 for s in spans if s[1] == "Library_Class") == n_lib + n_fw


def test_repair_begin_and_drop(so_dev):
    tags = tags_of(so_dev)
    sent = so_dev.tokens["sentence"].to_list()
    bad = invalid_rows(tags, sent)
    p = so_dev.repair("begin")
    assert len(p) == len(bad) == 3
    p.apply()
    assert invalid_rows(tags_of(so_dev), sent) == set()
    assert all_spans(so_dev) == all_spans(bx.read(so_dev.state.files[0].path))  # same spans
    so_dev.undo()
    p = so_dev.repair("drop")
    p.apply()
    new = tags_of(so_dev)
    assert invalid_rows(new, sent) == set()
    for i in bad:
        assert new[i] == "O"
    with pytest.raises(EditError, match="strategy"):
        so_dev.repair("fix")


def test_apply_inconsistency_rows(sample):
    p = sample.apply_inconsistency({"text": "PyTorch", "majority": "Library"})
    assert len(p) == sample.relabel_all("PyTorch", "Library", include_untagged=True).changes.height
    assert p.op == "apply_inconsistency"
    one = sample.apply_inconsistency(pl.DataFrame({"text": ["PyTorch"], "majority": ["Library"],
                                                   "sentence": [0], "start": [0], "end": [1]}))
    assert len(one) == 1
    one.apply()
    assert sentence_tags(sample, 0)[0] == "B-Library"
    with pytest.raises(EditError):
        sample.apply_inconsistency({"text": "x"})


def test_stale_preview_refuses(sample):
    p = sample.relabel_all("PyTorch", "Library")
    sample.relabel(0, 0, 1, "Other")
    with pytest.raises(EditError, match="changed since"):
        p.apply()


# ---------------------------------------------------------------- undo / redo


def test_undo_redo_sequence(sample):
    t0 = tags_of(sample)
    sample.relabel(0, 0, 1, "A")
    t1 = tags_of(sample)
    sample.relabel_all("PyTorch", "B").apply()
    t2 = tags_of(sample)
    assert sample.unsaved == 2
    assert sample.undo() and tags_of(sample) == t1 and sample.unsaved == 1
    assert sample.undo() and tags_of(sample) == t0 and sample.unsaved == 0
    assert not sample.undo()
    assert sample.redo() and tags_of(sample) == t1
    assert sample.redo() and tags_of(sample) == t2
    assert not sample.redo()
    sample.undo()
    sample.delete_span(0, 5)  # a new edit clears the redo stack
    assert not sample.redo()
    assert sample.edits["op"].unique().sort().to_list() == ["delete_span", "relabel"]


def test_edits_frame_export_and_replay(sample, tmp_path):
    sample.relabel(0, 0, 1, "A")
    sample.add_span(1, 0, 2, "B")
    sample.relabel_all("PyTorch", "C", include_untagged=True).apply()
    e = sample.edits
    assert set(e.columns) >= {"edit_id", "op", "sentence", "start", "end", "old_tags",
                              "new_tags", "time", "source", "lines", "tokens"}
    assert e["edit_id"].n_unique() == 3
    row = e.filter(pl.col("op") == "add_span").row(0, named=True)
    assert row["lines"] == [42, 43]  # sentence 1 starts on line 42 of the seed file
    e.write_parquet(tmp_path / "e.parquet")
    e.write_json(tmp_path / "e.json")
    for back in (pl.read_parquet(tmp_path / "e.parquet"), pl.read_json(tmp_path / "e.json")):
        fresh = bx.sample()
        fresh.apply_edits(back)
        assert tags_of(fresh) == tags_of(sample)
        assert fresh.edits["edit_id"].n_unique() == 3


def test_apply_edits_refuses_where_tokens_differ(sample, shared_corpora):
    sample.relabel(0, 0, 1, "A")
    other = bx.read(shared_corpora / "wikigold" / "wikigold.conll.txt")
    snapshot = tags_of(other)
    with pytest.raises(EditError, match=r"sentence 0, token 0 \(wikigold.conll.txt:\d+\).*"
                                        r"expected token 'PyTorch'"):
        other.apply_edits(sample.edits)
    assert tags_of(other) == snapshot
    # replaying twice: the second time the old tags no longer match → refused, nothing changes
    fresh = bx.sample()
    fresh.apply_edits(sample.edits)
    with pytest.raises(EditError, match="expected tag"):
        fresh.apply_edits(sample.edits)
    assert fresh.unsaved == 1


def test_edits_args_are_json(sample):
    sample.relabel(0, 0, 1, "A")
    assert json.loads(sample.edits["args"][0]) == {"sentence": 0, "start": 0, "end": 1,
                                                   "label": "A"}


def test_edit_through_a_view_changes_the_corpus(sample):
    view = bx.Corpus(sample.state, pl.Series([0, 1], dtype=pl.UInt32))
    view.relabel(0, 0, 1, "A")
    assert sentence_tags(sample, 0)[0] == "B-A"


# ---------------------------------------------------------------- property test

LABELS = ["A", "B", "Library"]


@st.composite
def edit_ops(draw):
    kind = draw(st.sampled_from(["relabel", "delete", "add", "resize", "merge", "split",
                                 "relabel_all", "relabel_label", "undo", "redo"]))
    s = draw(st.integers(0, 5))
    a = draw(st.integers(0, 12))
    b = draw(st.integers(a + 1, a + 4))
    c2 = draw(st.integers(0, 14))
    lab = draw(st.sampled_from(LABELS))
    return kind, s, a, b, c2, lab


def run_op(c: bx.Corpus, op) -> None:
    kind, s, a, b, c2, lab = op
    spans = sentence_spans(c, s)
    span = next(((x, y) for _, x, y in spans if x <= a < y), None)
    if kind == "relabel" and span:
        c.relabel(s, span[0], span[1], lab)
    elif kind == "delete" and span:
        c.delete_span(s, span[0])
    elif kind == "add":
        c.add_span(s, a, b, lab)
    elif kind == "resize" and span:
        c.resize_span(s, span[0], a, b)
    elif kind == "merge":
        c.merge_spans(s, a, b + 6, lab)
    elif kind == "split" and span:
        c.split_span(s, span[0], c2)
    elif kind == "relabel_all":
        c.relabel_all("PyTorch", lab, include_untagged=c2 % 2 == 0).apply()
    elif kind == "relabel_label":
        c.relabel_label("Algorithm" if c2 % 2 else "Library", lab).apply()
    elif kind == "undo":
        c.undo()
    elif kind == "redo":
        c.redo()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(edit_ops(), min_size=1, max_size=12))
def test_property_random_edits_undo_all_and_replay(ops):
    c = bx.sample()
    t0 = tags_of(c)
    sent = c.tokens["sentence"].to_list()
    bad0 = invalid_rows(t0, sent)
    for op in ops:
        before = tags_of(c)
        try:
            run_op(c, op)
        except EditError:
            assert tags_of(c) == before  # a failed edit changes nothing
        # an edit never creates an invalid transition
        assert invalid_rows(tags_of(c), sent) <= bad0
    final = tags_of(c)
    # replaying the edits frame on a fresh read gives the identical corpus
    fresh = bx.sample()
    fresh.apply_edits(c.edits)
    assert tags_of(fresh) == final
    assert all_spans(fresh) == all_spans(c)
    # undo everything → identical tag column
    while c.undo():
        pass
    assert tags_of(c) == t0
    assert c.unsaved == 0


TAGS = ["O", "O", "O", "B-A", "I-A", "B-B", "I-B"]


@st.composite
def small_corpus(draw):
    """Random sentences over a tiny vocabulary, orphan ``I-`` tags and type changes included."""
    n_sent = draw(st.integers(1, 4))
    sents = [draw(st.lists(st.tuples(st.sampled_from("xyz"), st.sampled_from(TAGS)),
                           min_size=1, max_size=9)) for _ in range(n_sent)]
    return {"tokens": [[t for t, _ in s] for s in sents],
            "ner_tags": [[g for _, g in s] for s in sents]}


@st.composite
def small_ops(draw):
    kind = draw(st.sampled_from(["relabel", "delete", "add", "resize", "merge", "split",
                                 "relabel_all", "relabel_label", "repair", "undo", "redo"]))
    return (kind, draw(st.integers(0, 3)), draw(st.integers(0, 8)), draw(st.integers(1, 4)),
            draw(st.integers(0, 9)), draw(st.sampled_from(["A", "B", "C"])))


def run_small(c: bx.Corpus, op) -> tuple[int, int, int] | None:
    """Run one op; returns the (sentence, lo, hi) token range it targets (spans overlapping it may
    legitimately be replaced), or None for bulk ops."""
    kind, s, a, w, k, lab = op
    if kind == "relabel_all":
        c.relabel_all("xyz"[k % 3], lab, include_untagged=k % 2 == 0).apply()
    elif kind == "relabel_label":
        c.relabel_label("A" if k % 2 else "B", lab).apply()
    elif kind == "repair":
        c.repair("begin" if k % 2 else "drop").apply()
    elif kind in ("undo", "redo"):
        getattr(c, kind)()
    else:
        span = next(((x, y) for _, x, y in sentence_spans(c, s) if x <= a < y), None)
        if kind == "add":
            c.add_span(s, a, a + w, lab)
            return s, a, a + w
        if kind == "merge":
            c.merge_spans(s, a, a + w + 3, lab)
            return s, a, a + w + 3
        if span is None:
            return None
        if kind == "relabel":
            c.relabel(s, span[0], span[1], lab)
        elif kind == "delete":
            c.delete_span(s, span[0])
        elif kind == "resize":
            c.resize_span(s, span[0], a, a + w)
            return s, min(a, span[0]), max(a + w, span[1])
        elif kind == "split":
            c.split_span(s, span[0], span[0] + 1 + k % 3)
        return s, span[0], span[1]
    return None


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_corpus(), st.lists(small_ops(), min_size=1, max_size=8))
def test_property_orphans_and_neighbours(data, ops):
    """On corpora with invalid tags: no edit creates an invalid transition, spans the edit did not
    touch keep their exact extent (no silent merge with an edited neighbour), undo-all and replay
    restore/reproduce the tags."""
    c = bx.read(pl.DataFrame(data))
    t0 = tags_of(c)
    sent = c.tokens["sentence"].to_list()
    for op in ops:
        before = tags_of(c)
        old_spans = all_spans(c)
        try:
            target = run_small(c, op)
        except EditError:
            assert tags_of(c) == before
            continue
        now = tags_of(c)
        assert invalid_rows(now, sent) <= invalid_rows(t0, sent)
        if op[0] not in ("undo", "redo"):  # undo may bring back an invalid tag it had removed
            assert invalid_rows(now, sent) <= invalid_rows(before, sent)
        if op[0] in ("undo", "redo"):
            # undo/redo restore an earlier state exactly (checked below by undo-all), which may
            # rejoin a span that the undone edit had shortened next to an untouched neighbour
            continue
        changed = {i for i, (x, y) in enumerate(zip(before, now, strict=True)) if x != y}
        row0 = {s: sent.index(s) for s in set(sent)}
        new_spans = set(all_spans(c))
        for s, lab, a, b in old_spans:
            if target and target[0] == s and a < target[2] and b > target[1]:
                continue  # overlaps what the op targets: replacing it is the point
            if not any(row0[s] + p in changed for p in range(a, b)):
                assert (s, lab, a, b) in new_spans, (op, before, now)
    fresh = bx.read(pl.DataFrame(data))
    fresh.apply_edits(c.edits)
    assert tags_of(fresh) == tags_of(c)
    while c.undo():
        pass
    assert tags_of(c) == t0


@pytest.mark.shared
@pytest.mark.parametrize("name", ["ncrfpp_bioes/train.bmes", "wikigold/wikigold.conll.txt",
                                  "stackoverflow_ner/test.txt"])
def test_file_scheme_tags_after_edits_match_a_whole_corpus_conversion(shared_corpora, name):
    """Only the edited sentences are converted back to the file's scheme; the result equals a
    conversion of the whole corpus (the writer's ``file_tags``) and is the file's own tag field
    everywhere else."""
    from bio_explorer.io.writer import file_tags

    c = bx.read(shared_corpora / name)
    spans = c.spans
    picks = spans.gather(list(range(0, spans.height, max(1, spans.height // 25))))
    for k, row in enumerate(picks.iter_rows(named=True)):
        if k % 3 == 0:
            c.delete_span(row["sentence"], row["start"])
        else:
            c.relabel(row["sentence"], row["start"], row["end"], ["PER", "LOC", "NEW"][k % 3])
    got = file_scheme_tags(c.state)
    tok = c.state.tok
    whole = file_tags(tok, c.state.files[0].scheme)
    expected = pl.select(
        pl.when(whole["_changed"]).then(whole["_new"]).otherwise(tok["_eff"].cast(pl.String))
    ).to_series()
    assert got.to_list() == expected.to_list()
    edited_rows = (tok["tag"] != tok["_orig"]).sum()
    assert edited_rows > 0
    untouched = ~tok["sentence"].is_in(tok["sentence"].filter(tok["tag"] != tok["_orig"]).implode())
    assert (got.filter(untouched) == tok["_eff"].cast(pl.String).filter(untouched)).all()
