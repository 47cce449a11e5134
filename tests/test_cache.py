"""Reopen cache: a snapshot is used only for the very bytes it was parsed from."""

from __future__ import annotations

import os
import shutil

import pytest
from polars.testing import assert_frame_equal

import bio_explorer as bx
from bio_explorer import cache


@pytest.fixture(autouse=True)
def _cache_small_files(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(cache, "MIN_BYTES", 0)
    monkeypatch.setenv("BIO_EXPLORER_CACHE", "1")
    yield
    cache.wait()


def _entries() -> list:
    return sorted(p for p in cache.cache_dir().glob("*") if p.is_dir()) \
        if cache.cache_dir().is_dir() else []


def _same(a: bx.Corpus, b: bx.Corpus) -> None:
    assert_frame_equal(a.state.tok, b.state.tok)
    assert_frame_equal(a.spans, b.spans)
    assert_frame_equal(a.sentences, b.sentences)
    assert a.summary(anomalies=False) == b.summary(anomalies=False)


def _copy(src, tmp_path):
    target = tmp_path / "data" / src.name
    target.parent.mkdir(parents=True)
    shutil.copyfile(src, target)
    return target


def test_reopen_gives_the_parse_and_writes_back_the_same_bytes(shared_corpora, tmp_path):
    path = _copy(shared_corpora / "wikigold" / "wikigold.conll.txt", tmp_path)
    first = bx.read(path)
    cache.wait()
    assert len(_entries()) == 1
    assert not list(path.parent.glob("*.arrow")), "never next to the data"
    again = bx.read(path)
    assert again.state is not first.state
    _same(again, bx.read(path, cache=False))
    again.relabel(0, 0, 1, "PER")
    again.relabel(0, 0, 1, "LOC")
    out = again.write(tmp_path / "out.txt")
    fresh = bx.read(path, cache=False)
    fresh.relabel(0, 0, 1, "LOC")
    assert out[0].read_bytes() == fresh.write(tmp_path / "fresh.txt")[0].read_bytes()


def test_one_byte_change_with_size_and_mtime_restored_invalidates(shared_corpora, tmp_path):
    path = _copy(shared_corpora / "conll2003" / "valid.txt", tmp_path)
    bx.read(path)
    cache.wait()
    st = os.stat(path)
    data = bytearray(path.read_bytes())
    at = data.index(b" B-PER\n")
    data[at + 3: at + 6] = b"LOC"  # same length: B-PER -> B-LOC
    path.write_bytes(bytes(data))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert os.stat(path).st_size == st.st_size and os.stat(path).st_mtime_ns == st.st_mtime_ns
    reopened = bx.read(path)
    _same(reopened, bx.read(path, cache=False))
    cache.wait()
    assert len(_entries()) == 2


@pytest.mark.parametrize("damage", ["flip", "truncate", "meta", "foreign"])
def test_corrupt_cache_is_rebuilt(shared_corpora, tmp_path, damage):
    path = _copy(shared_corpora / "btc" / "h.conll", tmp_path)
    bx.read(path)
    cache.wait()
    (entry,) = _entries()
    tok = entry / "tok.arrow"
    if damage == "flip":
        data = bytearray(tok.read_bytes())
        data[len(data) // 2] ^= 0xFF
        tok.write_bytes(bytes(data))
    elif damage == "truncate":
        tok.write_bytes(tok.read_bytes()[:100])
    elif damage == "meta":
        (entry / "meta.json").write_text("{not json", "utf-8")
    else:
        (entry / "meta.json").write_text('{"format": 999}', "utf-8")
    reopened = bx.read(path)
    _same(reopened, bx.read(path, cache=False))
    cache.wait()
    assert _entries() == [entry]  # rebuilt under the same key
    _same(bx.read(path), reopened)


def test_environment_turns_the_default_off(shared_corpora, tmp_path, monkeypatch):
    path = _copy(shared_corpora / "btc" / "h.conll", tmp_path)
    monkeypatch.setenv("BIO_EXPLORER_CACHE", "0")
    bx.read(path)
    cache.wait()
    assert _entries() == []
    bx.read(path, cache=True)
    cache.wait()
    assert len(_entries()) == 1


def test_cache_false_and_journal_on_top(shared_corpora, tmp_path):
    path = _copy(shared_corpora / "wikigold" / "wikigold.conll.txt", tmp_path)
    bx.read(path, cache=False)
    cache.wait()
    assert _entries() == []
    bx.read(path)
    cache.wait()
    journal = tmp_path / "edits.jsonl"
    c = bx.read(path, journal=journal)
    c.relabel(0, 0, 1, "LOC")
    again = bx.read(path, journal=journal)  # from the snapshot, journal replayed on top
    assert again.state.tok["tag"][0] == "B-LOC"


def test_lru_bound(shared_corpora, tmp_path):
    paths = [_copy(shared_corpora / "btc" / name, tmp_path / name) for name in ("e.conll",
                                                                                  "f.conll")]
    for p in paths:
        bx.read(p)
        cache.wait()
    assert len(_entries()) == 2
    os.utime(_entries()[0], (1, 1))  # the oldest use
    oldest = _entries()[0]
    cache.prune(max_bytes=sum(f.stat().st_size for f in _entries()[1].iterdir()))
    assert oldest not in _entries() and len(_entries()) == 1


def test_reopen_keeps_scheme_evidence_and_warns_again(tmp_path):
    rows = [f"w{i}\t{'B' if i % 2 else 'I'}-PER\nx\tI-PER\ny\tO\n\n" for i in range(60)]
    path = tmp_path / "mixed.tsv"
    path.write_text("".join(rows), "utf-8")
    with pytest.warns(UserWarning, match="mixes IOB1 and IOB2") as first:
        parsed = bx.read(path)
    cache.wait()
    assert len(_entries()) == 1
    with pytest.warns(UserWarning, match="mixes IOB1 and IOB2") as again:
        reopened = bx.read(path)
    assert again[0].filename == first[0].filename == __file__  # at the caller of bx.read
    assert_frame_equal(reopened.scheme_evidence, parsed.scheme_evidence)
    assert_frame_equal(reopened.problems, parsed.problems)
    assert reopened.summary(anomalies=False) == parsed.summary(anomalies=False)


def test_a_reopened_corpus_knows_its_file_digest(shared_corpora, tmp_path):
    """The writer's "changed on disk" check and the journal's base record need the SHA-256 of
    the bytes read, also when the parse came from the cache (it was once restored as False)."""
    import hashlib

    path = _copy(shared_corpora / "wikigold" / "wikigold.conll.txt", tmp_path)
    bx.read(path)
    cache.wait()
    again = bx.read(path)
    assert len(_entries()) == 1
    raw = again.state.files[0].raw
    assert raw.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    stat = path.stat()
    data = bytearray(path.read_bytes())
    # same size, same mtime: only the hash sees the change
    data[-3:-2] = b"X" if data[-3:-2] != b"X" else b"Y"
    path.write_bytes(bytes(data))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    again.relabel(0, 0, 1, "PER")
    with pytest.raises(FileExistsError, match="changed on disk"):
        again.write()
    assert path.read_bytes() == bytes(data)
