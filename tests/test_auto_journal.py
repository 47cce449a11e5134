"""The span view journals a file-backed corpus by itself (in the state folder, never next to the
data), so interactive edits survive a crashed kernel; ``bx.explore(path)`` replays them."""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

import polars as pl
import pytest

import bio_explorer as bx
from bio_explorer.journal import JOURNAL_SUFFIX, auto_journal_path, state_dir
from bio_explorer.widget import SpanView

SAMPLE = Path(bx.__file__).parent / "data" / "pytorch_wiki.bio"


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "state"
    monkeypatch.setenv("BIO_EXPLORER_STATE_DIR", str(folder))
    return folder


def _copy(tmp_path: Path) -> Path:
    target = tmp_path / "data" / SAMPLE.name
    target.parent.mkdir()
    shutil.copyfile(SAMPLE, target)
    return target


def _relabel_first(view: SpanView) -> tuple[int, int]:
    replies: list[dict] = []
    view.send = lambda msg, buffers=None: replies.append(msg)
    s, a, b = view.corpus.spans.select("sentence", "start", "end").row(0)
    view.handle_request({"kind": "edit", "id": "e1", "op": "relabel", "sentence": s,
                         "start": a, "end": b, "label": "Library"}, [])
    assert replies[-1]["ok"], replies[-1]
    return s, a


def _label_at(corpus: bx.Corpus, sentence: int, start: int) -> list[str]:
    spans = corpus.spans
    return spans.filter((pl.col("sentence") == sentence) & (pl.col("start") == start))[
        "label"].to_list()


def test_widget_edits_are_journalled_and_replayed(tmp_path: Path, state: Path) -> None:
    path = _copy(tmp_path)
    assert _label_at(bx.read(path), 0, 0) == ["Algorithm"]
    view = SpanView(bx.read(path))
    s, a = _relabel_first(view)
    journal = auto_journal_path(path)
    assert journal.parent == state_dir() / "journals" and str(state) in str(journal)
    assert journal.exists() and journal.stat().st_size > 0
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]  # data folder untouched
    # a new session (the kernel died before saving): explore() replays the journal by itself
    with pytest.warns(UserWarning, match="restored 1 unsaved edit"):
        ex = bx.explore(str(path), progress=False)
    ex.wait()
    assert _label_at(ex.span_view.corpus, s, a) == ["Library"]
    # saving makes the file the new baseline and clears the journal
    ex.span_view.corpus.write()
    assert not journal.exists() or journal.stat().st_size == 0
    assert _label_at(bx.read(path), s, a) == ["Library"]


def test_no_journal_when_asked_or_without_a_file(tmp_path: Path, state: Path) -> None:
    path = _copy(tmp_path)
    view = SpanView(bx.read(path), journal=False)
    _relabel_first(view)
    assert not auto_journal_path(path).exists()
    assert not path.with_name(path.name + JOURNAL_SUFFIX).exists()
    # a table-backed corpus has no file to journal: edits still work
    table = bx.read(path).tokens.group_by("sentence", maintain_order=True).agg("token", "tag")
    view = SpanView(bx.read(table, tokens="token", tags="tag"))
    _relabel_first(view)


def test_existing_journal_of_another_session_is_left_intact(tmp_path: Path, state: Path) -> None:
    path = _copy(tmp_path)
    journal = auto_journal_path(path)
    journal.parent.mkdir(parents=True)
    journal.write_text('{"kind": "header"}\n')
    before = journal.read_bytes()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        view = SpanView(bx.read(path))
    assert any("earlier session" in str(w.message) for w in caught)
    _relabel_first(view)
    assert journal.read_bytes() == before
