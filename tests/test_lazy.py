"""The lazy path gives exactly what the eager corpus gives, and partitions merge to the whole."""

from __future__ import annotations

import polars as pl
import pytest
from bx_testdata import corpus_files
from polars.testing import assert_frame_equal

import bio_explorer as bx
from bio_explorer import plans
from bio_explorer.analysis.anomalies import LOCAL_KINDS

FILES = corpus_files()
QUERIES = [
    {"labels": "PER"}, {"text": "the"}, {"regex": "^[A-Z][a-z]+$", "case": True},
    {"text": "a", "where": "span"}, {"transition": ("O", "I-ORG")},
    {"anomaly": "invalid_transition"}, {"doc": [0, 1]}, {"labels": "LOC", "text": "an"},
]


def _read(path):
    try:
        return bx.read(path, cache=False)
    except bx.BioFormatError:
        return None


def _local_page(page: dict) -> dict:
    for s in page["sentences"]:
        s["anomalies"] = [a for a in s["anomalies"] if a[2] in LOCAL_KINDS]
    return page


def _same_view(lazy, eager, offsets=(0,)) -> None:
    assert lazy.summary() == eager.summary(anomalies=False)
    assert_frame_equal(lazy.label_counts(), eager.label_counts())
    assert_frame_equal(lazy.label_counts(by="source"), eager.label_counts(by="source"))
    assert_frame_equal(lazy.transitions(), eager.transitions())
    for offset in offsets:
        assert lazy.page(offset, 7) == _local_page(eager.page(offset, 7))


@pytest.mark.shared
@pytest.mark.filterwarnings("ignore:no label:UserWarning")  # the same queries run on every corpus
@pytest.mark.parametrize("path", FILES, ids=[f"{p.parent.name}/{p.name}" for p in FILES])
def test_lazy_equals_eager_on_every_shared_corpus(shared_corpora, path, tmp_path):
    eager = _read(path)
    if eager is None:
        pytest.skip("the eager reader refuses this file with default options")
    lazy = bx.scan(path, tmp_path / "ds", part_mb=0.25)  # several parts on the larger files
    assert_frame_equal(lazy.sentences.collect(), eager.sentences)
    assert_frame_equal(lazy.spans.collect(), eager.spans)
    assert_frame_equal(lazy.tokens.collect(), eager.tokens, check_dtypes=False)
    _same_view(lazy, eager, offsets=(0, max(len(eager) // 2, 0)))
    local = eager.anomalies().filter(pl.col("kind").is_in(LOCAL_KINDS))
    kinds = local.group_by("kind").len().sort("len", "kind", descending=[True, False])
    assert lazy.anomaly_counts() == dict(zip(kinds["kind"].to_list(), kinds["len"].to_list(),
                                             strict=True))
    for q in QUERIES:
        view, lview = eager.filter(**q), lazy.filter(**q)
        assert len(lview) == len(view), q
        _same_view(lview, view)


@pytest.mark.shared
@pytest.mark.parametrize("folder", ["btc", "stackoverflow_ner", "conll2003"])
def test_many_files_in_one_dataset(shared_corpora, folder, tmp_path):
    files = sorted((shared_corpora / folder).iterdir())
    files = [f for f in files if f.suffix in (".conll", ".txt") and "merged" not in f.name]
    eager = bx.read(files, cache=False)
    lazy = bx.scan(files, tmp_path / "ds", part_mb=0.5)
    assert_frame_equal(lazy.sentences.collect(), eager.sentences)
    _same_view(lazy, eager, offsets=(0, len(eager) - 3))
    assert_frame_equal(lazy.filter(source=files[-1].name).label_counts(),
                       eager.filter(source=files[-1].name).label_counts())


@pytest.mark.shared
def test_filter_page_stops_early_and_counts_later(shared_corpora, tmp_path):
    path = shared_corpora / "conll2003" / "train.txt"
    lazy = bx.scan(path, tmp_path / "ds", part_mb=0.5)
    assert len(lazy.meta["parts"]) > 4
    view = lazy.filter(labels="PER")
    first = view.page(0, 5)
    assert first["total"] is None  # only the first part(s) were read
    eager = bx.read(path, cache=False).filter(labels="PER")
    expected = _local_page(eager.page(0, 5))
    assert first["sentences"] == expected["sentences"]
    assert len(view) == len(eager)
    assert view.page(0, 5)["total"] == len(eager)


@pytest.mark.shared
def test_partitions_merged_equal_the_whole(shared_corpora, tmp_path):
    path = shared_corpora / "conll2003" / "train.txt"
    whole = bx.scan(path, tmp_path / "whole", part_mb=1000)
    parts = bx.scan(path, tmp_path / "parts", part_mb=0.3)
    assert len(whole.meta["parts"]) == 1 and len(parts.meta["parts"]) > 5
    # per-part partials merged == one plan over the single part == the same plan over every row
    tok = parts._scan("tokens")
    every_row = plans.merge_transitions(plans.transition_partial(tok.collect()), parts.scheme)
    assert_frame_equal(parts.transitions(), whole.transitions())
    assert_frame_equal(parts.transitions(), every_row)
    by_rows = plans.merge_labels(plans.label_partial(parts.spans, parts.sentences)).collect()
    assert_frame_equal(parts.label_counts(), whole.label_counts())
    assert_frame_equal(parts.label_counts(), by_rows)
    assert_frame_equal(parts.label_counts(by="source"), whole.label_counts(by="source"))
    assert parts.summary(anomalies=True) == whole.summary(anomalies=True)
    assert parts.page(100, 20) == whole.page(100, 20)
    assert_frame_equal(parts.sentences.collect(), whole.sentences.collect())
    assert_frame_equal(parts.tokens.collect(), whole.tokens.collect())


def test_reused_until_the_file_changes(tmp_path):
    src = tmp_path / "a.bio"
    src.write_text("EU\tB-ORG\nrejects\tO\n\nPeter\tB-PER\n", "utf-8")
    first = bx.scan(src)
    again = bx.scan(src)
    assert again.folder == first.folder
    assert not list(tmp_path.glob("*.parquet")), "never next to the data"
    src.write_text("EU\tB-LOC\nrejects\tO\n\nPeter\tB-PER\n", "utf-8")
    changed = bx.scan(src)
    assert changed.label_counts()["label"].to_list() == ["LOC", "PER"]
    assert bx.scan(changed.folder).folder == changed.folder  # a dataset folder opens as is


def test_global_kinds_are_refused_with_a_reason(tmp_path):
    src = tmp_path / "a.bio"
    src.write_text("EU\tB-ORG\n", "utf-8")
    lazy = bx.scan(src)
    with pytest.raises(NotImplementedError, match="whole-corpus"):
        lazy.filter(anomaly="inconsistent_label").page()
    with pytest.raises(NotImplementedError, match="whole-corpus"):
        lazy.inconsistencies()


@pytest.mark.shared
@pytest.mark.parametrize("name", ["conll2003/valid.txt", "ncrfpp_bioes/dev.bmes",
                                  "mit_movie_trivia10k13/trivia10k13train.bio",
                                  "wikigold/wikigold.conll.txt"])
def test_lazy_edit_saved_by_streaming_equals_eager_writer(shared_corpora, name, tmp_path):
    path = shared_corpora / name
    if not path.is_file():
        pytest.skip(f"{name} not in this copy of the corpora")
    eager = bx.read(path, cache=False)
    lazy = bx.scan(path, tmp_path / "ds", part_mb=0.2)
    n = len(eager)
    edits = [("relabel", n // 2), ("add_span", n - 1), ("delete_span", 3)]
    for op, s in edits:
        spans = eager.spans.filter(pl.col("sentence") == s)
        if op == "relabel" and spans.height:
            start, end = int(spans["start"][0]), int(spans["end"][0])
            args = (s, start, end, "MISC" if spans["label"][0] != "MISC" else "PER")
        elif op == "add_span":
            args = (s, 0, 1, "LOC")
        elif spans.height:
            args = (s, int(spans["start"][0]))
        else:
            continue
        getattr(eager, op)(*args)
        getattr(lazy, op)(*args)
    assert lazy.unsaved > 0
    assert lazy.page(n // 2, 3) == _local_page(eager.page(n // 2, 3))
    for q in ({"labels": "LOC"}, {"labels": "MISC"}, {"transition": ("O", "I-LOC")}):
        view, lview = eager.filter(**q), lazy.filter(**q)
        assert len(lview) == len(view), q
        assert lview.page(0, 5) == _local_page(view.page(0, 5))
    assert_frame_equal(lazy.label_counts(), eager.label_counts())
    assert_frame_equal(lazy.transitions(), eager.transitions())
    mine = lazy.write(tmp_path / "lazy_out")[0]
    theirs = eager.write(tmp_path / "eager_out")[0]
    assert mine.read_bytes() == theirs.read_bytes()
    assert mine.read_bytes() != path.read_bytes()
    again = bx.scan(lazy.folder)  # the overlay survives a restart
    assert again.unsaved == lazy.unsaved


def test_parts_cut_at_breaks_far_from_the_piece_end(tmp_path):
    """A sentence longer than the window searched for the last break first (64 KB): parts
    still end at blank lines (TAB-only and space-only ones too) and equal the eager corpus."""
    short = "".join(f"w{i} O\nParis B-LOC\n\n" for i in range(1500))  # ~30 KB
    long_sentence = "".join(f"tok{i} {'B-PER' if i % 7 == 0 else 'O'}\n"
                            for i in range(7000))  # ~75 KB: a 100 KB piece ends 70 KB past a break
    text = short + long_sentence + "\t\n" + short + long_sentence + " \n" + short + long_sentence
    path = tmp_path / "long.txt"
    path.write_text(text, "utf-8")
    eager = bx.read(path, cache=False)
    lazy = bx.scan(path, tmp_path / "ds", part_mb=0.1)
    data = path.read_bytes()
    ends = [p["byte_end"] for p in lazy.meta["parts"]]
    assert len(ends) >= 4
    for end in ends[:-1]:  # every part but the last ends right after a blank line
        assert data[:end].endswith((b"\n\n", b"\n\t\n", b"\n \n"))
    assert ends[-1] == len(data)
    assert_frame_equal(lazy.sentences.collect(), eager.sentences)
    assert_frame_equal(lazy.tokens.collect(), eager.tokens, check_dtypes=False)
    _same_view(lazy, eager, offsets=(0, 300, 600))
