"""Labels the files cannot hold are refused when the edit is made (issue 11, item 9).

Before, they were accepted and then the save failed (``UnicodeEncodeError``) or the file read them
back differently (``A|B`` in CoNLL-U MISC became ``A``).
"""

from __future__ import annotations

import polars as pl
import pytest

import bio_explorer as bx
from bio_explorer.errors import EditError

CONLLU = (
    "# sent_id = 1\n"
    "1\tOslo\tOslo\tPROPN\t_\t_\t0\troot\t_\tname=B-GPE_LOC\n"
    "2\tby\tby\tNOUN\t_\t_\t1\tnmod\t_\tname=O\n\n"
)


@pytest.fixture()
def latin1(tmp_path):
    path = tmp_path / "latin1.bio"
    path.write_bytes("café\tB-PER\nx\tO\n".encode("latin-1"))
    return path


@pytest.fixture()
def conllu(tmp_path):
    path = tmp_path / "f.conllu"
    path.write_text(CONLLU, encoding="utf-8")
    return path


def test_label_not_encodable_in_the_file_encoding(latin1):
    c = bx.read(latin1, encoding="latin-1")
    with pytest.raises(EditError, match="latin-1, which cannot hold it"):
        c.relabel(0, 0, 1, "東京")
    with pytest.raises(EditError, match="latin-1"):
        c.relabel_all("x", "東京", include_untagged=True)
    c.relabel(0, 0, 1, "Café")  # Latin-1 holds this one: saved and read back
    c.write()
    assert bx.read(latin1, encoding="latin-1").labels() == ["Café"]


def test_misc_delimiters_refused_in_conllu(conllu):
    c = bx.read(conllu)
    for bad in ("A|B", "A=B"):
        with pytest.raises(EditError, match="CoNLL-U"):
            c.relabel(0, 0, 1, bad)
    assert c.unsaved == 0


@pytest.mark.parametrize("bad", ["\u200bORG", "ORG\u200b", "OR\x07G", "\ufeffX", "-", "--",
                                 "B-PER", ""])
def test_invisible_control_and_garbage_labels(tmp_path, bad):
    path = tmp_path / "f.bio"
    path.write_text("a\tB-X\nb\tO\n", encoding="utf-8")
    c = bx.read(path)
    with pytest.raises(EditError, match="invalid label"):
        c.relabel(0, 0, 1, bad)
    with pytest.raises(EditError, match="invalid label"):
        c.add_span(0, 1, 2, bad)
    assert c.unsaved == 0


def test_good_labels_still_work_everywhere(conllu, tmp_path):
    c = bx.read(conllu)
    c.relabel(0, 0, 1, "GPE")
    c.write()
    assert bx.read(conllu).labels() == ["GPE"]
    path = tmp_path / "g.bio"
    path.write_text("a\tB-X\nb\tO\n", encoding="utf-8")
    c = bx.read(path)
    c.relabel(0, 0, 1, "東京")
    c.add_span(0, 1, 2, "Person_2")
    c.write()
    assert bx.read(path).tokens["tag"].cast(pl.String).to_list() == ["B-東京", "B-Person_2"]
