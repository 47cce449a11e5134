"""Planted-error evaluation of the surface-form finder (moved out of the package).

:func:`plant_errors` plants known annotation errors in a corpus, :func:`evaluate_planted` measures
how many a finder recovers, :func:`form_frequency` counts n-grams independently.  Planted errors
are a second, diagnostic table of ``bench_detect.py``: real errors (``_yardstick.py``) come first.
"""

from __future__ import annotations

from collections.abc import Iterable

import polars as pl


def plant_errors(corpus, *, seed: int = 0, flip: float = 0.02, drop: float = 0.02,
                 shift: float = 0.01) -> pl.DataFrame:
    """Plant known annotation errors in ``corpus`` (in place) and return where they are.

    Spans are drawn at random without overlap: ``flip`` of them get another label, ``drop`` of them
    become ``O``, ``shift`` of them have one boundary moved by one token (extended over an
    untagged neighbour, or shrunk when longer than one token).

    Parameters
    ----------
    corpus : Corpus
        A whole corpus (not a view); its tags are changed (``_state.touch()`` is called).
    seed : int
        Seed of the random generator (fixed seed → same errors).
    flip, drop, shift : float
        Fractions of the spans to alter in each way.

    Returns
    -------
    pl.DataFrame
        ``sentence``, ``start``, ``end`` (token range covering old and new extent), ``kind``
        (``flip``/``drop``/``shift``), ``label`` (original), ``text`` (original span text).
    """
    import numpy as np

    from bio_explorer.state import all_spans

    st = corpus.state
    spans = all_spans(st)
    rows = st.sent.select("sentence", "row", "n_tokens")
    sp = spans.join(rows, on="sentence", how="left", maintain_order="left")
    rng = np.random.default_rng(seed)
    n = sp.height
    counts = [round(n * f) for f in (flip, drop, shift)]
    order = rng.permutation(n)
    labels = sorted(set(spans["label"].to_list()))
    tags = st.tok["tag"].cast(pl.String).to_numpy().astype(object)
    is_o = tags == "O"
    sentence = sp["sentence"].to_numpy()
    start = sp["start"].to_numpy().astype(np.int64)
    end = sp["end"].to_numpy().astype(np.int64)
    base = sp["row"].to_numpy().astype(np.int64)
    ntok = sp["n_tokens"].to_numpy().astype(np.int64)
    label = sp["label"].to_numpy()
    text = sp["text"].to_numpy()
    planted = []
    pos = 0
    for kind, count in zip(("flip", "drop", "shift"), counts, strict=True):
        done = 0
        while done < count and pos < n:
            i = int(order[pos])
            pos += 1
            s, e, b, lab = start[i], end[i], base[i], label[i]
            if kind == "flip":
                others = [x for x in labels if x != lab]
                if not others:
                    continue
                new = others[int(rng.integers(len(others)))]
                tags[b + s] = "B-" + new
                tags[b + s + 1:b + e] = "I-" + new
                planted.append((sentence[i], s, e, kind, lab, text[i]))
            elif kind == "drop":
                tags[b + s:b + e] = "O"
                planted.append((sentence[i], s, e, kind, lab, text[i]))
            else:
                options = []
                if s > 0 and is_o[b + s - 1]:
                    options.append((s - 1, e))
                if e < ntok[i] and is_o[b + e]:
                    options.append((s, e + 1))
                if e - s > 1:
                    options += [(s + 1, e), (s, e - 1)]
                if not options:
                    continue
                ns, ne = options[int(rng.integers(len(options)))]
                tags[b + min(s, ns):b + max(e, ne)] = "O"
                tags[b + ns] = "B-" + lab
                tags[b + ns + 1:b + ne] = "I-" + lab
                # a following I- of the same type would otherwise join the shrunk span
                planted.append((sentence[i], min(s, ns), max(e, ne), kind, lab, text[i]))
            done += 1
    new_tag = pl.Series("tag", tags.tolist(), pl.String).cast(pl.Categorical)
    st.tok = st.tok.with_columns(new_tag)
    st.touch()
    return pl.DataFrame(
        planted, schema={"sentence": pl.UInt32, "start": pl.UInt32, "end": pl.UInt32,
                         "kind": pl.String, "label": pl.String, "text": pl.String},
        orient="row",
    )


def form_frequency(corpus, texts: Iterable[str]) -> pl.DataFrame:
    """How many times each text occurs as a token n-gram in the corpus (any labelling).

    An independent, string-based count (used to split recall by form frequency).
    """
    texts = pl.Series("text", list(texts), pl.String).unique()
    tok = corpus.state.tok.select("sentence", "token")
    lens = texts.str.count_matches(" ") + 1
    out = []
    for n in sorted(set(lens.to_list())):
        gram = pl.concat_str([pl.col("token").shift(-i) for i in range(n)], separator=" ")
        ok = pl.col("sentence").shift(-(n - 1)) == pl.col("sentence")
        g = tok.select(gram.alias("text"), ok.alias("ok")).filter(pl.col("ok"))
        want = texts.filter(lens == n).implode()
        out.append(g.filter(pl.col("text").is_in(want)).group_by("text").len("count"))
    res = pl.concat(out) if out else pl.DataFrame(schema={"text": pl.String, "count": pl.UInt32})
    return pl.DataFrame({"text": texts}).join(res, on="text", how="left").with_columns(
        pl.col("count").fill_null(0)
    )


def evaluate_planted(flagged: pl.DataFrame, planted: pl.DataFrame,
                     freq: pl.DataFrame | None = None) -> dict:
    """Recall and precision of planted errors among flagged occurrences.

    A flagged occurrence is a hit when it overlaps a planted error's token range in the same
    sentence; a planted error is found when at least one flagged occurrence overlaps it.

    Returns
    -------
    dict
        ``flagged``, ``planted``, ``hits`` (flagged occurrences overlapping a planted error),
        ``found`` (planted errors found), ``precision``, ``recall`` and, when ``freq`` (``text``,
        ``count``) is given, ``planted_ge3``, ``found_ge3`` and ``recall_ge3`` (forms occurring
        ≥ 3 times), split by planted kind as ``planted_ge3_<kind>`` / ``found_ge3_<kind>``.
    """
    f = flagged.select("sentence", "start", "end").with_row_index("fid")
    p = planted.with_row_index("pid")
    pairs = f.join(
        p.select("pid", "sentence", pl.col("start").alias("ps"), pl.col("end").alias("pe")),
        on="sentence", how="inner",
    ).filter(
        (pl.col("start") < pl.col("pe")) & (pl.col("ps") < pl.col("end"))
    )
    hit_f = pairs["fid"].n_unique()
    found = p.with_columns(pl.col("pid").is_in(pairs["pid"].implode()).alias("found"))
    res = {
        "flagged": f.height, "planted": p.height, "hits": hit_f,
        "found": int(found["found"].sum()),
        "precision": hit_f / f.height if f.height else float("nan"),
        "recall": float(found["found"].mean()) if p.height else float("nan"),
    }
    if freq is not None:
        ge3 = found.join(freq, on="text", how="left").filter(pl.col("count") >= 3)
        res["planted_ge3"] = ge3.height
        res["found_ge3"] = int(ge3["found"].sum())
        res["recall_ge3"] = float(ge3["found"].mean()) if ge3.height else float("nan")
        if "kind" in ge3.columns:
            for kind in ("flip", "drop", "shift"):
                k = ge3.filter(pl.col("kind") == kind)
                res[f"planted_ge3_{kind}"] = k.height
                res[f"found_ge3_{kind}"] = int(k["found"].sum())
    return res


__all__ = ["evaluate_planted", "form_frequency", "plant_errors"]
