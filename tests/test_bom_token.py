"""A U+FEFF that belongs to the first token survives read and write (issue 11, item 7)."""

from __future__ import annotations

import pytest

import bio_explorer as bx

BOM = b"\xef\xbb\xbf"


@pytest.mark.parametrize("newline", [b"\n", b"\r\n"])
def test_second_bom_is_part_of_the_first_token(tmp_path, newline):
    data = BOM + BOM + b"zeta O" + newline + b"x B-PER" + newline
    path = tmp_path / "bom.txt"
    path.write_bytes(data)
    c = bx.read(path)
    assert c.tokens["token"][0] == "\ufeffzeta"
    out = tmp_path / "out.txt"
    c.write(out)
    assert out.read_bytes() == data  # both marks written back
    c.add_span(0, 0, 1, "LOC")
    c.write()
    assert path.read_bytes() == BOM + BOM + b"zeta B-LOC" + newline + b"x B-PER" + newline


def test_single_bom_is_still_a_bom(tmp_path):
    path = tmp_path / "bom.txt"
    path.write_bytes(BOM + b"zeta O\n")
    c = bx.read(path)
    assert c.tokens["token"][0] == "zeta"
    c.write(tmp_path / "o.txt")
    assert (tmp_path / "o.txt").read_bytes() == BOM + b"zeta O\n"
