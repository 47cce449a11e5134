"""Benchmark: filter + first page, anomalies and inconsistencies on 1M and 10M tokens.

Builds corpora by repeating a shared corpus (``_make_corpus.make_corpus``), then prints, per size:

* the load time (``bx.read`` plus ``.spans``, as in ``bench_load.py``; median of 3), the baseline
  every other figure is divided by;
* the first-use cost of the query indexes (token vocabulary, labels, anomalies);
* the median time of ``filter(...)`` + ``page(0, 50)`` for a label, a token text, a regex, an
  anomaly kind and a transition (indexes warm, as in an interactive session);
* ``anomalies()`` and ``inconsistencies()`` on the whole corpus, from a cold cache: 5 rounds of
  a fresh load followed by both analyses on it; the verdict uses the median of the per-round
  ratios (analyses / that round's load), since the machine's speed drifts between rounds.

Run: ``python benchmarks/bench_query.py [sizes...] [--dir DIR]`` (default sizes 1e6 and 1e7).
Targets (issue 3): filter + page ≤ 30 ms median at 1M, ≤ 100 ms at 10M; anomalies +
inconsistencies ≤ 2× the load time.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from _make_corpus import make_corpus  # noqa: E402

import bio_explorer as bx  # noqa: E402

QUERIES = {
    "label": {"labels": ["Library"]},
    "token text": {"text": "python"},
    "regex": {"text": r"^[A-Z][a-z]+Exception$", "regex": True, "case": True},
    "anomaly kind": {"anomaly": ["invalid_transition"]},
    "transition": {"transition": ["O", "I-Library"]},
}


def _timed(fn, repeat: int = 1) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def _load(path: Path):
    """The baseline: ``bx.read`` plus the spans, the same "load" as ``bench_load.py``."""
    corpus = bx.read(path, progress=False)
    corpus.spans  # noqa: B018 (computed and cached, as a session does on opening a corpus)
    return corpus


def _fresh(corpus):
    """A new handle on the same frames with empty caches (so nothing computed earlier is reused)."""
    from bio_explorer.corpus import Corpus
    from bio_explorer.state import State

    st = corpus.state
    return Corpus(State(st.tok, st.files, st.scheme, st.problems))


def run(n_tokens: int, folder: Path, repeat: int = 7, rounds: int = 5) -> None:
    path = make_corpus(n_tokens, folder)
    load, corpus = _timed(lambda: _load(path), 3)
    print(f"\n== {corpus.n_tokens:,} tokens, {len(corpus):,} sentences ({path.name})")
    print(f"{'load (bx.read + spans)':<34}{load * 1e3:9.1f} ms   1.00 × load")

    def row(name: str, seconds: float) -> None:
        print(f"{name:<34}{seconds * 1e3:9.1f} ms   {seconds / load:5.2f} × load")

    # whole-corpus analyses from a cold cache, on one state (anomalies() reuses the cached
    # inconsistencies, as it does in a session)
    from bio_explorer.analysis import anomalies as am

    # (each timing is the median of 3 runs, every run on a fresh state with empty caches)
    # the kinds that need no consistency pass: am.LOCAL_KINDS (invalid transitions, boundary
    # punctuation, multi-tag, format)
    def own_cold(corpus=corpus) -> float:
        own = _fresh(corpus)
        return _timed(lambda: am.local_anomalies(own))[0]

    t_own = statistics.median(own_cold() for _ in range(3))
    row("anomalies, own kinds (cold)", t_own)
    # each round: a fresh read (the baseline), then inconsistencies() and anomalies() on it, so
    # the ratio is taken between neighbouring measurements (the machine's speed drifts)
    # (the previous round's corpus is freed first, so every read starts from the same memory)
    inc_times, an_times, ratios = [], [], []
    del corpus
    for _ in range(rounds):
        gc.collect()
        t_load, cold = _timed(lambda: _load(path))
        t_inc = _timed(cold.inconsistencies)[0]
        t_an, an = _timed(cold.anomalies)
        inc_times.append(t_inc)
        an_times.append(t_an)
        ratios.append((t_inc + t_an) / t_load)
        if len(ratios) < rounds:
            del cold, an
    t_inc, t_an = statistics.median(inc_times), statistics.median(an_times)
    print(f"{'inconsistencies() (cold)':<34}{t_inc * 1e3:9.1f} ms   {t_inc / load:5.2f} × load")
    row("anomalies() after inconsistencies", t_an)
    row("anomalies + inconsistencies", t_an + t_inc)
    ratio = statistics.median(ratios)
    print(f"{'  median of per-round ratios':<34}{'':12}{ratio:5.2f} × load"
          f"   [{'ok' if ratio <= 2 else 'over 2x'}]  ({rounds} rounds: "
          + ", ".join(f"{r:.2f}" for r in ratios) + ")")
    print(f"   ({an.height:,} anomaly rows)")

    # first use of the query indexes (once per corpus; tokens index survives edits)
    t_first, _ = _timed(lambda: [cold.filter(**q).page(0, 50) for q in QUERIES.values()])
    row("first filter+page of each (indexes)", t_first)
    for name, q in QUERIES.items():
        t, _ = _timed(lambda q=q: cold.filter(**q).page(0, 50), repeat)
        n = len(cold.filter(**q))
        target = 30 if n_tokens <= 1_000_000 else 100
        flag = "ok" if t * 1e3 <= target else f"over {target} ms"
        print(f"{'filter+page: ' + name:<34}{t * 1e3:9.1f} ms   {t / load:5.2f} × load"
              f"   {n:,} sentences  [{flag}]")
    t, _ = _timed(lambda: cold.page(10_000, 50), repeat)
    row("page(10000, 50), no filter", t)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("sizes", nargs="*", type=float, default=[1e6, 1e7])
    ap.add_argument("--dir", type=Path, default=None, help="where to build the corpora")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.dir or Path(tmp)
        for n in args.sizes:
            run(int(n), folder)


if __name__ == "__main__":
    main()
