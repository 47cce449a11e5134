"""Progress without tqdm (issue 11 item 13, issue 15 item 9)."""

from __future__ import annotations

import builtins
import io
import sys

import pytest

import bio_explorer as bx
from bio_explorer import progress as pg


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_text_progress_plain_stream_writes_one_line():
    out = io.StringIO()
    with pg.Progress(3_000_000, "reading", unit="B", widget=False, stream=out) as bar:
        for _ in range(3):
            bar.update(1_000_000)
    assert out.getvalue() == "reading: 3.0 MB / 3.0 MB (100%)\n"


def test_text_progress_on_a_terminal_rewrites_its_line():
    out = _Tty()
    assert list(pg.track(["a", "b"], "Building charts", widget=False, stream=out)) == ["a", "b"]
    text = out.getvalue()
    assert text.startswith("\rBuilding charts: 0 / 2 (0%)")
    assert text.endswith("\rBuilding charts: 2 / 2 (100%)\n")


def test_widget_progress_is_an_ipywidgets_bar(monkeypatch):
    import IPython.display

    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda obj: shown.append(obj))
    bar = pg.Progress(4, "reading", widget=True, stream=io.StringIO())
    bar.update(3)
    assert shown and type(shown[0]).__name__ == "IntProgress"
    assert shown[0].value == 3 and shown[0].max == 4 and shown[0].description == "reading"
    bar.close()
    assert bar.closed and bar._stream.getvalue() == ""


def test_not_in_a_kernel_here():
    assert not pg.in_kernel()


def test_explore_progress_without_tqdm(monkeypatch, capsys):
    """No tqdm import anywhere, also on a corpus counted as big; progress=False on a Corpus."""
    real_import = builtins.__import__

    def no_tqdm(name, *args, **kwargs):
        if name == "tqdm" or name.startswith("tqdm."):
            raise ModuleNotFoundError("No module named 'tqdm'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_tqdm)
    monkeypatch.delitem(sys.modules, "tqdm", raising=False)
    from bio_explorer import explorer

    monkeypatch.setattr(explorer, "_BIG_CORPUS", 10)  # the sample counts as big
    c = bx.sample()
    ex = bx.explore(c, charts=("labels",))
    assert "Building charts: 1 / 1 (100%)" in capsys.readouterr().err
    ex = bx.explore(c, charts=("labels",), progress=False)
    assert capsys.readouterr().err == ""
    assert ex.span_view.total_sentences == len(c)
    with pytest.raises(TypeError, match="need a path"):
        bx.explore(c, sep="\t")
