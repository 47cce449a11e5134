"""Build big BIO corpora for benchmarks by repeating a real one.

``make_corpus(n_tokens, folder)`` writes a file of about ``n_tokens`` tokens into ``folder`` by
repeating ``../shared/corpora/stackoverflow_ner/train.txt`` (TAB-separated, 4 columns, 28 labels,
lone-TAB sentence breaks, runs of blank lines, invalid ``I-`` tags: every kind of quirk), or the
bundled sample ``bio_explorer/data/pytorch_wiki.bio`` when ``../shared`` is missing.  The last copy
is cut at a sentence break, so the file holds ``n_tokens`` tokens give or take one sentence.

Other benchmarks import it::

    from _make_corpus import make_corpus
    path = make_corpus(1_000_000, tmp_dir)
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("BIO_EXPLORER_SHARED", ROOT.parent / "shared")) / "corpora"
BASE = SHARED / "stackoverflow_ner" / "train.txt"
CONLL = SHARED / "conll2003" / "train.txt"
FALLBACK = ROOT / "bio_explorer" / "data" / "pytorch_wiki.bio"

__all__ = ["base_file", "make_corpus"]


def base_file() -> Path:
    """The corpus that gets repeated: the StackOverflow NER train file, or the bundled sample."""
    return BASE if BASE.is_file() else FALLBACK


def _sentences(path: Path):
    """The ``sentences`` frame of ``path`` (first line and token count of every sentence)."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import bio_explorer as bx

    return bx.read(path).sentences


def make_corpus(n_tokens: int, folder: Path, base: Path | None = None) -> Path:
    """Write a corpus of about ``n_tokens`` tokens into ``folder`` and return its path.

    Parameters
    ----------
    n_tokens : int
        Wanted number of tokens (the result is within one sentence of it).
    folder : Path
        Where to write the file (created if needed).  A file built earlier with the same size is
        reused.
    base : Path, optional
        The file to repeat (default :func:`base_file`; e.g. ``CONLL`` for CoNLL-2003 train).

    Returns
    -------
    Path
        The file, named after the base corpus and the size, e.g. ``train_1000000.txt``.
    """
    import numpy as np

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    base = Path(base) if base is not None and Path(base).is_file() else base_file()
    out = folder / f"{base.stem}_{n_tokens}{base.suffix}"
    if out.is_file() and out.stat().st_size > 0:
        return out
    data = base.read_bytes()
    sentences = _sentences(base)
    if not data.endswith(b"\n"):
        data += b"\n"
    # byte offset where every line starts (1-based line i starts at lines_start[i - 1])
    newlines = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 10) + 1
    lines_start = np.concatenate([[0], newlines])
    per_copy = int(sentences["n_tokens"].sum())
    copies, rest = divmod(n_tokens, per_copy)
    sep = b"" if data.endswith(b"\n\n") or data.endswith(b"\t\n") else b"\n"
    with open(out, "wb") as fh:
        for _ in range(copies):
            fh.write(data)
            fh.write(sep)
        if rest:
            # cut after the first sentence whose running token count reaches ``rest``
            cum = sentences["n_tokens"].cum_sum()
            k = int((cum < rest).sum())
            k = min(k, sentences.height - 1)
            last_line = int(sentences["line"][k]) + int(sentences["n_tokens"][k]) - 1
            end = int(lines_start[last_line]) if last_line < len(lines_start) else len(data)
            fh.write(data[:end])
    return out


if __name__ == "__main__":  # python benchmarks/_make_corpus.py 1000000 /tmp/x
    print(make_corpus(int(sys.argv[1]), Path(sys.argv[2])))
