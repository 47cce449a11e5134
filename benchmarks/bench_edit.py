"""Benchmark: edits on a 1M-token corpus (issue 6).

Builds the corpus with ``_make_corpus.make_corpus`` (the StackOverflow NER train file repeated),
then prints, from one run, each figure in ms and as a ratio of the load time (``bx.read``):

* single relabel, Python side, including the page refresh the widget does (``corpus.page(0, 50)``
  after the edit), median of 20;
* ``relabel_all`` preview + apply (``include_untagged=True``) on a surface form with about 10,000
  occurrences, and its undo;
* the journal: extra time per edit with a journal (fsync on each operation), median of 50 edits;
* ``relabel_all`` of one long surface form (300 / 2,000 / 5,000 words, the corpus's first tokens
  written as one sentence, twice, into a small file): preview + apply, with the time per 1,000
  words as a ratio of the 300-word row (about 1 when the cost is linear in the words).

Run: ``python benchmarks/bench_edit.py [n_tokens] [--dir DIR]`` (default 1,000,000).
Targets: single relabel ≤ 100 ms; relabel_all (10k occurrences) ≤ 1 s; its undo ≤ 1 s; journal
append ≤ 5 ms per edit; long-text relabel_all per-word ratio ≤ 2.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import polars as pl  # noqa: E402
from _make_corpus import make_corpus  # noqa: E402

import bio_explorer as bx  # noqa: E402

TARGET_OCCURRENCES = 10_000


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:9.1f} ms"


def _median(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _pick_form(c: bx.Corpus) -> tuple[str, str]:
    """A one-token span text (and a label) whose occurrences, tagged or not, are about 10,000."""
    forms = c.spans.filter(pl.col("end") - pl.col("start") == 1).group_by("text").agg(
        pl.col("label").mode().first())
    counts = c.tokens.group_by("token").len("n").rename({"token": "text"})
    best = (
        forms.join(counts, on="text")
        .with_columns((pl.col("n").cast(pl.Int64) - TARGET_OCCURRENCES).abs().alias("d"))
        .sort("d", "text").row(0, named=True)
    )
    other = next(lab for lab in c.labels() if lab != best["label"])
    return best["text"], other


def run(n_tokens: int, folder: Path) -> None:
    path = make_corpus(n_tokens, folder)
    t0 = time.perf_counter()
    c = bx.read(path)
    load = time.perf_counter() - t0
    c.spans  # noqa: B018 - warm the span cache once, as an open Explorer has it
    print(f"corpus: {path.name}, {c.n_tokens:,} tokens, {len(c):,} sentences")
    print(f"{'load (baseline)':40s}{_ms(load)}   1.00x")

    spans = c.spans.head(400).select("sentence", "start", "end").rows()
    has_page = hasattr(c, "page")
    state = {"i": 0}

    def single() -> None:
        s, a, b = spans[state["i"] % len(spans)]
        state["i"] += 1
        c.relabel(s, a, b, "Bench" if state["i"] % 2 else "Bench2")
        if has_page:
            c.page(0, 50)

    single()  # first call builds the lazy indexes of page()
    t_single = _median(single, 20)
    t_relabel_only = _median(lambda: c.relabel(*spans[0], f"L{time.perf_counter_ns()}"), 20)

    text, label = _pick_form(c)
    t0 = time.perf_counter()
    preview = c.relabel_all(text, label, include_untagged=True)
    t_preview = time.perf_counter() - t0
    t0 = time.perf_counter()
    preview.apply()
    t_apply = time.perf_counter() - t0
    n_occ = len(preview)
    t0 = time.perf_counter()
    c.undo()
    t_undo = time.perf_counter() - t0
    t0 = time.perf_counter()
    c.redo()
    t_redo = time.perf_counter() - t0

    # journal: the same single relabel with and without a journal (fsync on every edit)
    j = bx.read(path)
    journal = folder / "bench.bio-journal.jsonl"
    journal.unlink(missing_ok=True)
    from bio_explorer.journal import enable_journal

    def flip(corpus: bx.Corpus, k: list[int]) -> None:
        k[0] += 1
        corpus.relabel(*spans[k[0] % len(spans)], "J" if k[0] % 2 else "K")

    k0 = [0]
    t_nojournal = _median(lambda: flip(j, k0), 50)
    enable_journal(j, journal)
    t_journal = _median(lambda: flip(j, k0), 50)
    # the append alone (JSON line + write + fsync) of the last single-edit record, as written
    # (the journal is JSON lines: its last line is that record)
    rec = json.loads(journal.read_text(encoding="utf-8").splitlines()[-1])
    assert rec["kind"] == "edit" and rec["op"] == "relabel", rec
    t_append = _median(lambda: j.state.journal.append(rec), 50)
    journal.unlink(missing_ok=True)

    print(f"{'single relabel + page(0, 50)':40s}{_ms(t_single)}   {t_single / load:.3f}x"
          f"   (target ≤ 100 ms; relabel alone {t_relabel_only * 1e3:.1f} ms)")
    print(f"{'relabel_all preview':40s}{_ms(t_preview)}   {t_preview / load:.3f}x"
          f"   ({n_occ:,} occurrences of {text!r})")
    print(f"{'relabel_all apply':40s}{_ms(t_apply)}   {t_apply / load:.3f}x")
    total = t_preview + t_apply
    print(f"{'relabel_all preview + apply':40s}{_ms(total)}   {total / load:.3f}x"
          "   (target ≤ 1 s)")
    print(f"{'undo of relabel_all':40s}{_ms(t_undo)}   {t_undo / load:.3f}x   (target ≤ 1 s)")
    print(f"{'redo of relabel_all':40s}{_ms(t_redo)}   {t_redo / load:.3f}x")
    extra = max(t_journal - t_nojournal, 0.0)
    print(f"{'relabel with journal (fsync)':40s}{_ms(t_journal)}   {t_journal / load:.3f}x")
    print(f"{'journal overhead per edit (difference)':40s}{_ms(extra)}   {extra / load:.4f}x")
    print(f"{'journal append + fsync alone':40s}{_ms(t_append)}   {t_append / load:.4f}x"
          "   (target ≤ 5 ms)")
    long_text(c, folder)


def long_text(c: bx.Corpus, folder: Path, sizes: tuple[int, ...] = (300, 2000, 5000)) -> None:
    """``relabel_all`` of a text of n words (preview + apply) for each n of ``sizes``."""
    words = c.tokens["token"].head(max(sizes)).to_list()
    base = None
    for n in sizes:
        text = " ".join(words[:n])
        lines = [f"{w}\tO" for w in words[:n]]
        path = folder / f"long_{n}.bio"
        path.write_text("\n".join([*lines, "", *lines]) + "\n", encoding="utf-8")
        small = bx.read(path)
        t0 = time.perf_counter()
        preview = small.relabel_all(text, "Bench", include_untagged=True)
        preview.apply()
        took = time.perf_counter() - t0
        per_k = took / n * 1000
        base = base or per_k
        print(f"{f'relabel_all of a {n:,}-word text':40s}{_ms(took)}   per 1k words "
              f"{per_k * 1e3:.1f} ms, {per_k / base:.2f}x the 300-word row "
              f"({len(preview)} occurrences)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("n_tokens", nargs="?", type=int, default=1_000_000)
    ap.add_argument("--dir", type=Path, default=None)
    args = ap.parse_args()
    if args.dir is not None:
        run(args.n_tokens, args.dir)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            run(args.n_tokens, Path(tmp))


if __name__ == "__main__":
    main()
