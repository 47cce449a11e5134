"""A first read leaves the extra columns and tag-field offsets for later (``io.text.Deferred``).

A clean file with columns besides the token and tag ones (CoNLL-2003's POS and chunk) is read
with only those two parsed; ``Corpus.tokens``, a save, the cache snapshot and the cross-check
features get the rest on first use.  Everything a user sees equals a read that parses every column
at once (``defer_columns`` off).
"""

from __future__ import annotations

import polars as pl
import pytest
from polars.testing import assert_frame_equal

import bio_explorer as bx
from bio_explorer import cache
from bio_explorer.io.text import defer_columns

TEXT = (
    "-DOCSTART- -X- -X- O\n\n"
    "EU NNP B-NP B-ORG\nrejects VBZ B-VP O\nGerman JJ B-NP B-MISC\ncall NN I-NP O\n. . O O\n\n"
    "Peter NNP B-NP B-PER\nBlackburn NNP I-NP I-PER\n\n"
    "Zürich NNP B-NP B-LOC\nstraße NN I-NP O\n"
)


def _file(tmp_path, name="conll.txt"):
    path = tmp_path / name
    path.write_bytes(TEXT.encode())
    return path


def _full_read(path, **kwargs) -> bx.Corpus:
    every = defer_columns.set(False)
    try:
        return bx.read(path, cache=False, **kwargs)
    finally:
        defer_columns.reset(every)


def test_first_read_defers_the_extra_columns_and_tokens_adds_them(tmp_path):
    path = _file(tmp_path)
    corpus = bx.read(path, cache=False)
    st = corpus.state
    assert st.deferred is not None
    assert "col1" not in st.tok.columns and "_off" not in st.tok.columns
    spans = corpus.spans  # analyses need none of them
    assert st.deferred is not None
    full = _full_read(path)
    assert_frame_equal(corpus.tokens, full.tokens)
    assert_frame_equal(st.tok, full.state.tok)  # same columns, same order, same offsets
    assert st.deferred is None
    assert_frame_equal(spans, full.spans)
    assert corpus.tokens["col1"].to_list()[:2] == ["NNP", "VBZ"]


def test_a_view_and_a_row_subset_get_the_deferred_columns(tmp_path):
    path = _file(tmp_path)
    corpus = bx.read(path, cache=False)
    full = _full_read(path)
    assert_frame_equal(corpus.filter(labels=["PER"]).tokens, full.filter(labels=["PER"]).tokens)
    rows = pl.Series([5, 6], dtype=pl.UInt32)
    sub = bx.read(path, cache=False).state.of_rows(rows)
    assert_frame_equal(sub.full_tok(), full.state.tok[rows])


@pytest.mark.parametrize("touch_tokens", [False, True])
def test_save_after_a_deferred_read_is_byte_exact(tmp_path, touch_tokens):
    """The writer needs the tag-field offsets: they are read before the save, in characters."""
    path = _file(tmp_path)
    corpus = bx.read(path, cache=False)
    if touch_tokens:
        corpus.tokens  # noqa: B018 - the columns are added here
    corpus.relabel(2, 0, 1, "ORG")  # "Zürich": an offset in characters, not bytes
    corpus.relabel(0, 0, 1, "MISC")
    out = corpus.write(tmp_path / "out.txt")[0]
    want = TEXT.replace("EU NNP B-NP B-ORG", "EU NNP B-NP B-MISC").replace(
        "Zürich NNP B-NP B-LOC", "Zürich NNP B-NP B-ORG")
    assert out.read_bytes() == want.encode()
    unchanged = bx.read(path, cache=False).write(tmp_path / "same.txt")[0]
    assert unchanged.read_bytes() == path.read_bytes()


def test_in_place_save_after_a_deferred_read(tmp_path):
    path = _file(tmp_path)
    corpus = bx.read(path, cache=False)
    corpus.relabel(1, 0, 2, "ORG")
    corpus.write()
    assert path.read_bytes() == TEXT.replace("Peter NNP B-NP B-PER\nBlackburn NNP I-NP I-PER",
                                             "Peter NNP B-NP B-ORG\nBlackburn NNP I-NP I-ORG"
                                             ).encode()
    corpus.relabel(1, 0, 2, "PER")  # a second save starts from the offsets of the first
    corpus.write()
    assert path.read_bytes() == TEXT.encode()


def test_the_reopen_snapshot_holds_every_column(tmp_path, monkeypatch):
    monkeypatch.setattr(cache, "MIN_BYTES", 0)
    monkeypatch.setenv("BIO_EXPLORER_CACHE", "1")
    path = _file(tmp_path)
    first = bx.read(path)
    assert first.state.deferred is not None  # the snapshot thread reads them on its own
    cache.wait()
    again = bx.read(path)
    assert again.state.deferred is None
    assert_frame_equal(again.state.tok, _full_read(path).state.tok)
    assert_frame_equal(again.tokens, first.tokens)


def test_several_files_are_completed_at_read(tmp_path):
    a, b = _file(tmp_path, "a.txt"), _file(tmp_path, "b.txt")
    corpus = bx.read([a, b], cache=False)
    assert corpus.state.deferred is None
    assert_frame_equal(corpus.state.tok, _full_read([a, b]).state.tok)


def test_an_edit_made_while_the_columns_are_swapped_in_is_kept(tmp_path, monkeypatch):
    """The reopen snapshot completes the columns in its own thread: an edit made by the user at
    that moment must survive the swap (edits are data, never lost)."""
    import threading
    import time

    corpus = bx.read(_file(tmp_path), cache=False)
    st = corpus.state
    deferred = st.deferred
    edit_done = threading.Event()

    span = corpus.spans.row(0, named=True)
    new = "LOC" if span["label"] != "LOC" else "PER"

    def edit() -> None:
        corpus.relabel(span["sentence"], span["start"], span["end"], new)
        edit_done.set()

    def slow_join(tok, add):
        editor = threading.Thread(target=edit)
        editor.start()
        edit_done.wait(0.3)  # without the lock the edit lands here, on the old frame
        time.sleep(0.05)
        return type(deferred).join(tok, add)

    monkeypatch.setattr(deferred, "join", slow_join)
    st.full_tok()
    assert edit_done.wait(10)
    assert corpus.spans.row(0, named=True)["label"] == new
    assert corpus.tokens["col1"].to_list()[:2] == ["NNP", "VBZ"]
