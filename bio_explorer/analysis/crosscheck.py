"""Out-of-fold cross-check: a CRF trained on the other folds tags each sentence.

:func:`cross_check` splits the sentences into ``folds`` groups (at random, fixed by ``seed``),
trains a linear-chain CRF (python-crfsuite, the ``check`` extra) on all groups but one and tags
the held-out group, so every sentence is tagged by a model that never saw it.  Per token it returns
the predicted tag and the marginal probability the model gives the file's own tag.

Features (built with polars, one tab-joined string per token): the word, its lower case, shape and
short shape, prefixes/suffixes up to 3 characters, capitalisation flags, the neighbours' words
and shapes at ±1/±2, every extra column of the file (e.g. POS, chunk) at 0/±1, sentence-level
flags (first token, all-caps sentence) and *document* features: the labels the same lower-cased
word has elsewhere in the same ``-DOCSTART-`` document (other sentences only, so a sentence's own
labels never reach its own features).

Folds are trained in parallel worker processes (``workers``; spawned, so it is safe from a
background thread of a Jupyter kernel).  ``progress(done, total)`` is called as training goes;
``cancel()`` returning True stops the workers and raises :class:`CrossCheckCancelled`.
This module does not import ``corpus.py``.
"""

from __future__ import annotations

import os
import queue as _queue
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from ..state import all_spans, restrict
from .suspect_schema import SCHEMA, empty

if TYPE_CHECKING:
    from ..state import View as Corpus  # the lower layers take a view of the state

#: CRF training parameters (L-BFGS: deterministic)
CRF_PARAMS: dict[str, Any] = {
    "c1": 0.05, "c2": 0.01, "max_iterations": 40, "feature.possible_transitions": True,
    "feature.minfreq": 1,
}

RESULT_SCHEMA = {
    "sentence": pl.UInt32, "position": pl.UInt32, "token": pl.String, "tag": pl.String,
    "predicted": pl.String, "p_tag": pl.Float64, "p_predicted": pl.Float64, "fold": pl.UInt8,
}

_MISSING = ("cross_check needs python-crfsuite: pip install 'bio-explorer[check]' "
            "(or pip install python-crfsuite)")


class CrossCheckCancelled(RuntimeError):
    """Raised by :func:`cross_check` when its ``cancel`` hook returned True."""


def _require_crfsuite() -> None:
    try:
        import pycrfsuite  # noqa: F401
    except ImportError as exc:
        raise ImportError(_MISSING) from exc


# ------------------------------------------------------------------------------------ features
def _shape(e: pl.Expr) -> pl.Expr:
    return (e.str.replace_all(r"[[:upper:]]", "X").str.replace_all(r"[[:lower:]]", "x")
            .str.replace_all(r"\d", "d"))


def features(tok: pl.DataFrame, extra: list[str] | None = None) -> pl.Series:
    """One tab-joined feature string per token of ``tok``.

    ``tok`` needs ``sentence``, ``position``, ``token``, ``doc`` and ``label`` (the file's entity
    type per token, ``"O"`` outside spans); ``extra`` names further categorical columns.
    """
    extra = list(extra or [])
    w = pl.col("token")
    low = w.str.to_lowercase()
    shape = _shape(w)
    short = (shape.str.replace_all("X+", "X").str.replace_all("x+", "x")
             .str.replace_all("d+", "d"))
    base = tok.select(
        "sentence", "doc", "label",
        low.alias("lw"), short.alias("sh"),
        *[pl.col(x).cast(pl.String).fill_null("").alias(f"_x{i}") for i, x in enumerate(extra)],
    )
    # document features: labels of the same lower-cased word in the *other* sentences of the doc
    d = base.group_by("doc", "lw", "label").len("n")
    s = base.group_by("sentence", "doc", "lw", "label").len("ns")
    other = s.select("sentence", "doc", "lw").unique().join(d, on=["doc", "lw"]).join(
        s.drop("doc"), on=["sentence", "lw", "label"], how="left"
    ).with_columns((pl.col("n") - pl.col("ns").fill_null(0)).alias("k")).filter(pl.col("k") > 0)
    docf = other.sort(["k", "label"], descending=[True, False]).group_by("sentence", "lw").agg(
        pl.format("dm={}", pl.col("label").first()).alias("dm"),
        pl.format("d:{}", pl.col("label")).sort().str.join("\t").alias("dl"),
    ).select("sentence", "lw", pl.concat_str("dm", "dl", separator="\t").alias("docf"))
    caps = tok.select("sentence", w.str.contains(r"^[[:upper:][:digit:][:punct:]]+$").alias("u"))
    caps = caps.group_by("sentence").agg((pl.col("u").mean() > 0.8).alias("allcaps"))

    def nb(col: str, k: int) -> pl.Expr:
        same = pl.col("sentence").shift(-k) == pl.col("sentence")
        edge = "<s>" if k < 0 else "</s>"
        return pl.when(same).then(pl.col(col).shift(-k)).otherwise(pl.lit(edge))

    work = tok.select(
        "sentence", "position", w.alias("w"), low.alias("lw"), shape.alias("shape"),
        short.alias("sh"),
        *[pl.col(x).cast(pl.String).fill_null("").alias(f"_x{i}") for i, x in enumerate(extra)],
    ).join(docf, on=["sentence", "lw"], how="left", maintain_order="left").join(
        caps, on="sentence", how="left", maintain_order="left")
    parts = [
        pl.format("w={}", "w"), pl.format("lw={}", "lw"), pl.format("sh={}", "sh"),
        pl.format("shape={}", pl.col("shape").str.slice(0, 8)),
        pl.format("p1={}", pl.col("lw").str.slice(0, 1)),
        pl.format("p2={}", pl.col("lw").str.slice(0, 2)),
        pl.format("p3={}", pl.col("lw").str.slice(0, 3)),
        pl.format("s1={}", pl.col("lw").str.slice(-1)),
        pl.format("s2={}", pl.col("lw").str.slice(-2)),
        pl.format("s3={}", pl.col("lw").str.slice(-3)),
        pl.when(pl.col("position") == 0).then(pl.lit("first")).otherwise(pl.lit("")),
        pl.when(pl.col("allcaps")).then(pl.lit("allcaps")).otherwise(pl.lit("")),
        pl.format("-1:lw={}", nb("lw", -1)), pl.format("+1:lw={}", nb("lw", 1)),
        pl.format("-2:lw={}", nb("lw", -2)), pl.format("+2:lw={}", nb("lw", 2)),
        pl.format("-1:sh={}", nb("sh", -1)), pl.format("+1:sh={}", nb("sh", 1)),
        pl.format("-1:sh|sh={}|{}", nb("sh", -1), "sh"),
        pl.format("sh|+1:sh={}|{}", "sh", nb("sh", 1)),
        pl.col("docf").fill_null("dm=none"),
    ]
    for i in range(len(extra)):
        c = f"_x{i}"
        parts += [pl.format(f"x{i}={{}}", c), pl.format(f"-1:x{i}={{}}", nb(c, -1)),
                  pl.format(f"+1:x{i}={{}}", nb(c, 1))]
    out = work.select(pl.concat_str(parts, separator="\t").str.replace_all(r"\t+", "\t")
                      .str.strip_chars("\t").alias("f"))
    return out["f"]


def _extra_columns(tokens: pl.DataFrame, public: tuple[str, ...]) -> list[str]:
    """Extra categorical columns worth using as features (few distinct values)."""
    cols = []
    for c in tokens.columns:
        if c in public or c.startswith("_"):
            continue
        n = tokens[c].n_unique()
        if 1 < n <= 200:
            cols.append(c)
    return cols


# ------------------------------------------------------------------------------------ workers
_PROGRESS: Any = None  # where run_fold reports ("progress", fold, iteration) messages


def _fold_process(path: str, fold: int, params: dict, q: Any) -> None:
    """Body of a worker process: one fold; every message goes to ``q``."""
    global _PROGRESS
    _PROGRESS = q
    try:
        q.put(("done", fold, run_fold(path, fold, params)))
    except BaseException as exc:  # reported to the parent, which raises it
        import traceback

        q.put(("error", fold, "".join(traceback.format_exception(exc))))


def _run_processes(path: str, folds: int, prm: dict, n_workers: int,
                   progress: Callable | None, cancel: Callable | None, total: float) -> list:
    """Train the folds in at most ``n_workers`` spawned processes (public multiprocessing API:
    each is stopped with ``terminate()`` on cancel; a worker that dies raises, never hangs)."""
    import multiprocessing as mp

    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    todo = list(range(folds))
    running: dict[int, Any] = {}
    results: dict[int, dict] = {}
    done = dict.fromkeys(range(folds), 0)
    last = -1.0

    def handle(msg: tuple) -> None:
        kind, k, payload = msg
        if kind == "progress":
            done[k] = max(done[k], payload)
        elif kind == "done":
            results[k] = payload
            done[k] = prm["max_iterations"]
        else:
            raise RuntimeError(f"cross_check: fold {k} failed in its worker process:\n{payload}")

    try:
        while len(results) < folds:
            if cancel is not None and cancel():
                raise CrossCheckCancelled("cross_check cancelled")
            while todo and len(running) < n_workers:
                k = todo.pop(0)
                running[k] = ctx.Process(target=_fold_process, args=(path, k, prm, q),
                                         daemon=True)
                running[k].start()
            try:
                handle(q.get(timeout=0.1))
                while True:
                    handle(q.get_nowait())
            except _queue.Empty:
                pass
            for k, proc in list(running.items()):
                if k in results:
                    proc.join()
                    del running[k]
                elif not proc.is_alive():
                    try:  # its last message may still be in the pipe
                        while k not in results:
                            handle(q.get(timeout=2.0))
                    except _queue.Empty:
                        raise RuntimeError(
                            f"cross_check: the worker process of fold {k} died (exit code "
                            f"{proc.exitcode}).  In a script, guard the entry point with "
                            "`if __name__ == '__main__':` (worker processes are spawned), or "
                            "pass workers=1") from None
            now = min(sum(done.values()), total)
            if progress is not None and now != last:
                progress(now, total)
                last = now
    finally:
        for proc in running.values():
            if proc.is_alive():
                proc.terminate()
            proc.join()
        q.close()
    return [results[k] for k in range(folds)]


def _sequences(feats: list[str], tags: list[str], bounds: list[tuple[int, int]]):
    for a, b in bounds:
        yield [f.split("\t") for f in feats[a:b]], tags[a:b]


def run_fold(path: str, fold: int, params: dict) -> dict:
    """Train on every fold but ``fold`` of the data at ``path`` and tag ``fold``.

    Runs in a worker process (or in-process).  Returns the held-out rows, predicted tags and
    the marginals of the file's tag and of the predicted tag.
    """
    import pycrfsuite

    data = pl.read_ipc(path)
    fold_col = data["fold"]
    feats = data["f"].to_list()
    tags = data["tag"].to_list()
    starts = data["start"]
    first = [*starts.arg_true().to_list(), data.height]
    sent_fold = fold_col.gather(first[:-1]).to_list()
    bounds = [(first[i], first[i + 1]) for i in range(len(first) - 1)]
    train_b = [b for b, f in zip(bounds, sent_fold, strict=True) if f != fold]
    test_b = [b for b, f in zip(bounds, sent_fold, strict=True) if f == fold]

    class _Trainer(pycrfsuite.Trainer):
        def on_iteration(self, log, info):
            if _PROGRESS is not None:
                _PROGRESS.put(("progress", fold, int(info.get("num", 0))))

    trainer = _Trainer(algorithm="lbfgs", verbose=False)
    trainer.set_params(params)
    for x, y in _sequences(feats, tags, train_b):
        trainer.append(x, y)
    with tempfile.TemporaryDirectory(prefix="bx_crf_") as tmp:
        model = str(Path(tmp) / f"fold{fold}.crfsuite")
        trainer.train(model)
        del trainer
        tagger = pycrfsuite.Tagger()
        tagger.open(model)
        rows, pred, p_tag, p_pred = [], [], [], []
        known = set(tagger.labels())
        for (a, b), (x, y) in zip(test_b, _sequences(feats, tags, test_b), strict=True):
            tagger.set(x)
            yp = tagger.tag()
            rows.extend(range(a, b))
            pred.extend(yp)
            for i, (own, guess) in enumerate(zip(y, yp, strict=True)):
                p_tag.append(tagger.marginal(own, i) if own in known else 0.0)
                p_pred.append(tagger.marginal(guess, i))
        tagger.close()
    return {"fold": fold, "rows": rows, "pred": pred, "p_tag": p_tag, "p_pred": p_pred}


# ------------------------------------------------------------------------------------ driver
def _prepare(corpus: Corpus, folds: int, seed: int) -> pl.DataFrame:
    st = corpus.state
    tok = st.full_tok()  # the extra columns (POS, chunk...) are features
    spans = all_spans(corpus.state)
    sent = st.sent.select("sentence", "row")
    ann = spans.join(sent, on="sentence", how="left").select(
        pl.int_ranges(pl.col("row") + pl.col("start"), pl.col("row") + pl.col("end"),
                      dtype=pl.UInt32).alias("r"), "label").explode("r")
    label = pl.repeat("O", tok.height, dtype=pl.String, eager=True).scatter(ann["r"], ann["label"])
    public = ("sentence", "position", "token", "tag", "doc", "source", "line")
    extra = _extra_columns(tok.select([c for c in tok.columns if not c.startswith("_")]), public)
    base = tok.select("sentence", "position", "token", "doc", *extra).with_columns(
        label.alias("label"))
    f = features(base, extra)
    n_sent = st.sent.height
    import numpy as np

    rng = np.random.default_rng(seed)
    fold_of = pl.Series("fold", (rng.permutation(n_sent) % folds).astype("uint8"))
    return pl.DataFrame({
        "f": f, "tag": tok["tag"].cast(pl.String),
        "start": tok["position"] == 0,
        "fold": fold_of.gather(tok["sentence"]),
    })


def cross_check(
    corpus: Corpus,
    folds: int = 5,
    seed: int = 0,
    *,
    workers: int | None = None,
    progress: Callable[[float, float], Any] | None = None,
    cancel: Callable[[], bool] | None = None,
    params: dict | None = None,
) -> pl.DataFrame:
    """Tag every sentence with a CRF trained on the other folds (see the module docstring).

    Parameters
    ----------
    corpus : Corpus
        The corpus (a view is checked on the whole corpus and its rows returned).
    folds : int
        Number of folds (≥ 2).
    seed : int
        Seed of the random split into folds; the same seed gives the same result.
    workers : int, optional
        Worker processes (default: ``min(folds, os.cpu_count())``; 1 runs in this process).
    progress : callable, optional
        ``progress(done, total)`` with training iterations done so far over all folds.
    cancel : callable, optional
        Polled while training; when it returns True the workers are stopped and
        :class:`CrossCheckCancelled` is raised.
    params : dict, optional
        crfsuite L-BFGS parameters overriding :data:`CRF_PARAMS`.

    Returns
    -------
    pl.DataFrame
        One row per token: ``sentence``, ``position``, ``token``, ``tag`` (the file's),
        ``predicted`` (the held-out model's tag), ``p_tag`` (its marginal probability of the
        file's tag), ``p_predicted`` (of its own tag) and ``fold``.  Cached per version of the
        tags, folds and seed.
    """
    _require_crfsuite()
    if folds < 2:
        raise ValueError(f"folds={folds}; expected at least 2")
    st = corpus.state
    prm = {**CRF_PARAMS, **(params or {})}
    key = f"cross_check:{folds}:{seed}:{sorted(prm.items())}"

    def build() -> pl.DataFrame:
        return _run(corpus, folds, seed, workers, progress, cancel, prm)

    out = st.memo(key, build, depends_on=("tags",))
    st.put("cross_check:last", out, st.last(key)[0], ("tags",))
    return restrict(out, corpus.selection)


def _run(corpus: Corpus, folds: int, seed: int, workers: int | None,
         progress: Callable | None, cancel: Callable | None, prm: dict) -> pl.DataFrame:
    st = corpus.state
    tok = st.tok
    if tok.height == 0:
        return pl.DataFrame(schema=RESULT_SCHEMA)
    data = _prepare(corpus, folds, seed)
    n_workers = min(folds, workers if workers is not None else (os.cpu_count() or 1))
    total = float(folds * prm["max_iterations"])
    done = dict.fromkeys(range(folds), 0)
    results = []
    with tempfile.TemporaryDirectory(prefix="bx_cross_check_") as tmp:
        path = str(Path(tmp) / "data.arrow")
        data.write_ipc(path)
        del data
        if n_workers <= 1:
            global _PROGRESS
            _PROGRESS = None  # progress per fold only, in this process
            try:
                for k in range(folds):
                    if cancel is not None and cancel():
                        raise CrossCheckCancelled("cross_check cancelled")
                    results.append(run_fold(path, k, prm))
                    done[k] = prm["max_iterations"]
                    if progress is not None:
                        progress(sum(done.values()), total)
            finally:
                _PROGRESS = None
        else:
            results = _run_processes(path, folds, prm, n_workers, progress, cancel, total)
    if progress is not None:
        progress(total, total)
    rows = pl.concat([pl.DataFrame({
        "row": pl.Series(r["rows"], dtype=pl.UInt32), "predicted": pl.Series(r["pred"],
                                                                          dtype=pl.String),
        "p_tag": pl.Series(r["p_tag"], dtype=pl.Float64),
        "p_predicted": pl.Series(r["p_pred"], dtype=pl.Float64),
        "fold": pl.Series([r["fold"]] * len(r["rows"]), dtype=pl.UInt8),
    }) for r in results]).sort("row")
    return tok.select("sentence", "position", "token", pl.col("tag").cast(pl.String)).with_columns(
        rows["predicted"], rows["p_tag"], rows["p_predicted"], rows["fold"])


class CrossCheckJob:
    """:func:`cross_check` running in a background thread (for the Explorer: never blocks).

    Attributes
    ----------
    progress : float
        Share of the training done, 0 … 1.
    done : bool
        True once finished, failed or cancelled.
    result : pl.DataFrame or None
        The cross-check frame once finished.
    error : BaseException or None
        What stopped it (a :class:`CrossCheckCancelled` after :meth:`cancel`).
    """

    def __init__(self, corpus: Corpus, folds: int = 5, seed: int = 0, *,
                 on_progress: Callable[[float], Any] | None = None,
                 on_done: Callable[[CrossCheckJob], Any] | None = None, **kwargs: Any) -> None:
        import threading

        self.progress = 0.0
        self.done = False
        self.result: pl.DataFrame | None = None
        self.error: BaseException | None = None
        self._stop = threading.Event()
        self._on_progress, self._on_done = on_progress, on_done

        def report(d: float, t: float) -> None:
            self.progress = d / t if t else 1.0
            if self._on_progress is not None:
                self._on_progress(self.progress)

        def work() -> None:
            try:
                self.result = cross_check(corpus, folds, seed, progress=report,
                                          cancel=self._stop.is_set, **kwargs)
            except BaseException as exc:  # kept for the caller, who reads .error
                self.error = exc
            finally:
                self.done = True
                if self._on_done is not None:
                    self._on_done(self)

        self._thread = threading.Thread(target=work, name="bx-cross-check", daemon=True)
        self._thread.start()

    def cancel(self) -> None:
        """Ask the job to stop (the worker processes are terminated within ~0.1 s)."""
        self._stop.set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until done (or ``timeout`` seconds); returns :attr:`done`."""
        self._thread.join(timeout)
        return self.done


def start_cross_check(corpus: Corpus, folds: int = 5, seed: int = 0,
                      **kwargs: Any) -> CrossCheckJob:
    """Run :func:`cross_check` in a background thread; returns the :class:`CrossCheckJob`."""
    _require_crfsuite()
    return CrossCheckJob(corpus, folds, seed, **kwargs)


def cached_result(corpus: Corpus) -> pl.DataFrame | None:
    """The last cross-check result for the current tags, or None when it was not run since."""
    return corpus.state.peek("cross_check:last")


def suspects_from_cross_check(corpus: Corpus, result: pl.DataFrame) -> pl.DataFrame:
    """Suspects rows where the held-out tagger disagrees with the file (see :mod:`.suspects`)."""
    return empty().cast(SCHEMA) if result.height == 0 else _disagreements(corpus, result)


def _disagreements(corpus: Corpus, result: pl.DataFrame) -> pl.DataFrame:
    from .predictions import disagreement_suspects

    return disagreement_suspects(corpus, result, "cross_check",
                                 "a tagger trained on the other folds says")


__all__ = ["CRF_PARAMS", "CrossCheckCancelled", "CrossCheckJob", "cached_result", "cross_check",
           "features", "run_fold", "start_cross_check", "suspects_from_cross_check"]
