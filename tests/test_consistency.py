"""Surface-form inconsistencies (issue 3): hand-made corpora with known answers, real corpora."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

import bio_explorer as bx
from bio_explorer.analysis import consistency as C

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import _planted as P


def _write(path: Path, sentences: list[list[tuple[str, str]]]) -> Path:
    path.write_text(
        "\n\n".join("\n".join(f"{t}\t{g}" for t, g in s) for s in sentences) + "\n",
        encoding="utf-8",
    )
    return path


def _sent(text: str, spans: dict[str, str] | None = None) -> list[tuple[str, str]]:
    """Tokens of ``text`` (space-split); ``spans`` maps a token to its label (1-token spans)."""
    spans = spans or {}
    return [(t, f"B-{spans[t]}" if t in spans else "O") for t in text.split()]


FILLERS = ["We use {} for the model .", "I like {} a lot .", "Install {} with pip today .",
           "The docs of {} are good .", "Then {} runs on the server ."]


@pytest.fixture
def pytorch_corpus(tmp_path: Path) -> bx.Corpus:
    """"PyTorch" 5× Library, 1× Algorithm, 1× untagged; "model" 2× Library, 12× O."""
    sents = []
    for i in range(5):
        sents.append(_sent(FILLERS[i].format("PyTorch"), {"PyTorch": "Library"}))
    sents.append(_sent("Our baseline is PyTorch in this paper .", {"PyTorch": "Algorithm"}))
    sents.append(_sent("Yesterday PyTorch crashed again ."))
    for i in range(12):
        sents.append(_sent(f"the model number {i} is small and the model is fast ."))
    sents.append(_sent("load the model now", {"model": "Library"}))
    sents.append(_sent("save a model later", {"model": "Library"}))
    return bx.read(_write(tmp_path / "toy.tsv", sents))


def test_minority_label_is_flagged_with_majority(pytorch_corpus):
    occ = pytorch_corpus.inconsistencies(occurrences=True)
    alg = occ.filter(pl.col("text") == "PyTorch", pl.col("label") == "Algorithm")
    assert alg.height == 1
    row = alg.row(0, named=True)
    assert row["kind"] == "inconsistent_label"
    assert row["majority"] == "Library"
    assert (row["sentence"], row["start"], row["end"]) == (5, 3, 4)
    # the Library occurrences agree with the majority: never flagged
    assert occ.filter(pl.col("text") == "PyTorch", pl.col("label") == "Library").height == 0


def test_single_dissenter_against_unanimous_pair_is_flagged(tmp_path: Path):
    """2 × Application + 1 × File_Type: flagged; a 2 : 2 split is a second sense, not flagged."""
    base = [_sent(FILLERS[i].format("kernel"), {"kernel": lab})
            for i, lab in enumerate(["Application", "Application", "File_Type"])]
    filler = [_sent(f"the model number {i} is small .") for i in range(10)]
    c = bx.read(_write(tmp_path / "lone.tsv", base + filler))
    occ = c.inconsistencies(occurrences=True)
    assert occ.select("sentence", "label", "majority").rows() == [(2, "File_Type", "Application")]
    assert occ["score"].item() >= C.DEFAULT_THRESHOLD
    split = [*base, _sent(FILLERS[3].format("kernel"), {"kernel": "File_Type"}), *filler]
    c2 = bx.read(_write(tmp_path / "split.tsv", split))
    both = c2.inconsistencies(occurrences=True, threshold=0.0)
    assert both.height == 2  # the two File_Type occurrences dissent ...
    assert both["score"].max() < occ["score"].item() / 4  # ... but far more weakly
    assert c2.inconsistencies(occurrences=True).height == 0


def test_untagged_mention_is_flagged(pytorch_corpus):
    occ = pytorch_corpus.inconsistencies(occurrences=True)
    um = occ.filter(pl.col("kind") == "unlabelled_mention", pl.col("text") == "PyTorch")
    assert um.height == 1
    row = um.row(0, named=True)
    assert (row["sentence"], row["start"], row["end"], row["label"], row["majority"]) == (
        6, 1, 2, "O", "Library")


def test_function_words_mostly_o_are_not_flagged(pytorch_corpus):
    occ = pytorch_corpus.inconsistencies(occurrences=True)
    # "model" is O 24 times: its untagged occurrences must not be reported
    assert occ.filter(pl.col("text") == "model", pl.col("label") == "O").height == 0
    forms = pytorch_corpus.inconsistencies()
    texts = forms["text"].to_list()
    assert texts[0] == "PyTorch"
    if "model" in texts:
        assert texts.index("model") > texts.index("PyTorch")


def test_forms_table_counts(pytorch_corpus):
    forms = pytorch_corpus.inconsistencies()
    assert forms.columns[:8] == ["text", "labels", "label_counts", "majority", "occurrences",
                                 "minority_occurrences", "score", "variant"]
    row = forms.filter(pl.col("text") == "PyTorch", pl.col("variant") == "exact").row(0, named=True)
    assert row["labels"] == "Library:5, Algorithm:1, O:1"
    assert row["majority"] == "Library"
    assert row["occurrences"] == 7
    assert row["minority_occurrences"] == 2
    assert {d["label"]: d["count"] for d in row["label_counts"]} == {
        "Library": 5, "Algorithm": 1, "O": 1}
    assert 0 < row["score"] <= 1
    assert forms["score"].is_sorted(descending=True)


def test_same_context_disagreement_is_most_precise(tmp_path: Path):
    """Two dissenters with the same global support: the one whose exact context (left and right
    word) is labelled otherwise elsewhere ranks above the one in an unseen context."""
    sents = [_sent("we import Keras today", {"Keras": "Library"}) for _ in range(4)]
    sents += [_sent(f"so {w} Keras {w}", {"Keras": "Library"}) for w in ("x", "y", "z", "q")]
    sents.append(_sent("we import Keras today", {"Keras": "Application"}))
    sents.append(_sent("alpha Keras omega", {"Keras": "Application"}))
    c = bx.read(_write(tmp_path / "ctx.tsv", sents))
    occ = c.inconsistencies(occurrences=True, threshold=0.0)
    same = occ.filter(pl.col("sentence") == 8)["score"].item()
    other = occ.filter(pl.col("sentence") == 9)["score"].item()
    assert same > other


def test_context_prior_ranks_untagged_mention_after_entity_context(tmp_path: Path):
    """Cross-form context: the word after "using" is a span everywhere else in the corpus, the
    word after "the" never is, so of two untagged "Zed" with the same form statistics the one
    after "using" is the likelier miss (features ``lctx`` and the score both say so)."""
    sents = [_sent("we like Zed .", {"Zed": "Library"}) for _ in range(4)]
    names = ["Alpha", "Beta", "Gamma", "Delta", "Epsilon", "Eta", "Theta", "Iota"]
    sents += [_sent(f"using {w} here", {w: "Library"}) for w in names]
    sents += [_sent(f"the {w} here") for w in ("cat", "dog", "car", "sun", "sky", "sea")]
    sents.append(_sent("using Zed now"))  # sentence 18
    sents.append(_sent("the Zed now"))    # sentence 19
    c = bx.read(_write(tmp_path / "ctxprior.tsv", sents))
    occ = c.inconsistencies(occurrences=True, threshold=0.0)
    um = occ.filter(pl.col("text") == "Zed", pl.col("label") == "O")
    assert sorted(um["sentence"].to_list()) == [18, 19]
    score = dict(zip(um["sentence"].to_list(), um["score"].to_list(), strict=True))
    assert score[18] > score[19]
    feat = C.occurrence_features(c, max_ngram=6)
    f = feat.filter(pl.col("variant") == "exact", pl.col("sentence").is_in([18, 19]))
    lctx = dict(zip(f["sentence"].to_list(), f["lctx"].to_list(), strict=True))
    # 8 of 8 other "using" are followed by a span start (rate 1 vs ~0.4 overall): positive;
    # 0 of 6 other "the": negative
    assert lctx[18] > 0.3 > -0.3 > lctx[19]
    assert set(f["grp"].to_list()) == {"own_o"}


def _label_context_by_hand(sents: list[list[tuple[str, str]]], sentence: int, start: int,
                           own: str, majority: str, smooth: float = 2.0) -> float:
    """``lab_ctx`` of the one-token occurrence at (sentence, start), recomputed with plain Python:
    per neighbour word, log P(own | word) / P(majority | word) minus the corpus-wide log ratio,
    leaving the occurrence itself out."""
    def cat(tag: str, follows: bool) -> str | None:
        # category of a token seen from its left (right) neighbour: the label of the span it
        # starts (ends), O when untagged, None inside a longer span
        if tag == "O":
            return "O"
        return tag[2:] if tag.startswith("B-") or not follows else None

    total = 0.0
    for side in (-1, 1):
        pairs = Counter()
        for s in sents:
            words = ["<s>"] + [t.lower() for t, _ in s] + ["</s>"]
            for i, (_, tag) in enumerate(s):
                # one-token spans only in these corpora: a B- tag both starts and ends its span
                pairs[(words[i + 1 + side], cat(tag, side == -1))] += 1
        cats = Counter()
        for (_, k), v in pairs.items():
            if k is not None:
                cats[k] += v
        n_all = sum(cats.values())
        tokens = ["<s>"] + [t.lower() for t, _ in sents[sentence]] + ["</s>"]
        w = tokens[start + 1 + side]
        c_own = pairs[(w, own)] - 1
        c_maj = pairs[(w, majority)]
        p_own, p_maj = cats[own] / n_all, cats[majority] / n_all
        total += np.log((c_own + smooth * p_own) / (c_maj + smooth * p_maj)) - np.log(p_own / p_maj)
    return float(np.clip(total, -6.0, 6.0))


def test_label_context_prior_follows_the_neighbour_words(tmp_path: Path):
    """Label-specific context (feature ``lab_ctx``): across many forms, "in" precedes places and
    "Mr" precedes people.  "Paris" is mostly a LOC; its PER occurrence after "in" fits its context
    worse than the majority would (negative), its PER occurrence after "Mr" better (positive), and
    the value equals a plain-Python count of the same ratio."""
    sents = []
    for w in ("Rome", "Oslo", "Lima", "Kiev", "Bern", "Doha"):
        sents.append(_sent(f"we live in {w} now", {w: "LOC"}))
    for w in ("Smith", "Jones", "Brown", "Green", "White"):
        sents.append(_sent(f"we met Mr {w} today", {w: "PER"}))
    for _ in range(4):
        sents.append(_sent("we saw Paris today", {"Paris": "LOC"}))
    sents.append(_sent("we live in Paris now", {"Paris": "PER"}))   # sentence 15
    sents.append(_sent("we met Mr Paris today", {"Paris": "PER"}))  # sentence 16
    c = bx.read(_write(tmp_path / "labctx.tsv", sents))
    feat = C.occurrence_features(c)
    f = feat.filter(pl.col("variant") == "exact", pl.col("sentence").is_in([15, 16]))
    got = dict(zip(f["sentence"].to_list(), f["lab_ctx"].to_list(), strict=True))
    assert got[15] < -0.5 and got[16] > 0.5
    for sentence, start in ((15, 3), (16, 3)):
        assert got[sentence] == pytest.approx(
            _label_context_by_hand(sents, sentence, start, "PER", "LOC"))
    occ = c.inconsistencies(occurrences=True, threshold=0.0).filter(pl.col("text") == "Paris")
    score = dict(zip(occ["sentence"].to_list(), occ["score"].to_list(), strict=True))
    assert score[15] > score[16]


def test_nearby_occurrences_stand_in_for_the_document(tmp_path: Path):
    """``win_o`` / ``win_m``: "Zorg" is ORG 15 times and untagged 5 times.  The untagged one in
    sentence 5 sits among ORG "Zorg" (sentences 0-4, same block of 10); the four in sentences
    20-23 are together in a part where nobody tags it.  The first is the likelier slip."""
    filler = _sent("nothing to see here .")
    sents = [filler] * 50
    for i in [*range(5), *range(40, 50)]:
        sents[i] = _sent("we met Zorg today", {"Zorg": "ORG"})
    for i in (5, 20, 21, 22, 23):
        sents[i] = _sent("we met Zorg today")
    c = bx.read(_write(tmp_path / "window.tsv", sents))
    feat = C.occurrence_features(c)
    f = feat.filter(pl.col("variant") == "exact", pl.col("grp") == "own_o").sort("sentence")
    assert f["sentence"].to_list() == [5, 20, 21, 22, 23]
    # plain counts per block of 10 sentences: other untagged / ORG "Zorg" in the same block
    blocks = [i // 10 for i in range(50)]
    tagged = {i for i in [*range(5), *range(40, 50)]}
    untagged = {5, 20, 21, 22, 23}
    for s_, w_o, w_m in f.select("sentence", "win_o", "win_m").iter_rows():
        own = sum(1 for j in untagged if j != s_ and blocks[j] == blocks[s_])
        maj = sum(1 for j in tagged if blocks[j] == blocks[s_])
        assert (w_o, w_m) == pytest.approx((np.log1p(own), np.log1p(maj)))
    occ = c.inconsistencies(occurrences=True, threshold=0.0).filter(pl.col("label") == "O")
    score = dict(zip(occ["sentence"].to_list(), occ["score"].to_list(), strict=True))
    assert score[5] > max(score[i] for i in (20, 21, 22, 23))


def test_dropped_eight_token_span_is_found(shared_corpora):
    """Spans up to ``DEFAULT_MAX_NGRAM`` (8) tokens are searched: stackoverflow_ner's
    ``OP_BLOCK : ( output omitted for annotation )`` (8 tokens, an Output_Block span every time
    in the file) is flagged where one copy is left untagged."""
    path = shared_corpora / "stackoverflow_ner" / "train.txt"
    form = "OP_BLOCK : ( output omitted for annotation )"
    c = bx.read(path)
    spans = c.spans.filter(pl.col("text") == form)
    # independent count: the lines "OP_BLOCK<TAB>B-Output_Block" in the raw file
    raw = sum(1 for line in path.read_text(encoding="utf-8").splitlines()
              if line.split("\t")[:2] == ["OP_BLOCK", "B-Output_Block"])
    assert spans.height == raw > 50
    s, a, b = spans.row(0)[:3]
    c.delete_span(s, a)
    occ = c.inconsistencies(occurrences=True)
    hit = occ.filter(pl.col("sentence") == s, pl.col("start") == a, pl.col("end") == b)
    assert hit.height == 1
    assert hit.row(0, named=True) | {"score": None} == hit.row(0, named=True) | {
        "text": form, "label": "O", "majority": "Output_Block", "kind": "unlabelled_mention",
        "score": None}
    assert hit["score"].item() >= C.DEFAULT_THRESHOLD


def test_common_label_confusion_ranks_below_a_rare_one(tmp_path: Path):
    """Pair prior: Library/Application is confused on many forms (a genuine grey zone), so a
    lone Application is a weaker error signal than a lone Device on an otherwise identical form."""
    sents = []
    for form, odd in (("Kx", "Application"), ("Ky", "Device")):
        sents += [_sent(f"we like {form} .", {form: "Library"}) for _ in range(4)]
        sents.append(_sent(f"we like {form} .", {form: odd}))
    for w in ("Pa", "Pb", "Pc", "Pd", "Pe"):
        sents += [_sent(f"so {w} runs", {w: "Library"}) for _ in range(3)]
        sents.append(_sent(f"so {w} runs", {w: "Application"}))
    c = bx.read(_write(tmp_path / "pairs.tsv", sents))
    occ = c.inconsistencies(occurrences=True, threshold=0.0)
    kx = occ.filter(pl.col("text") == "Kx")
    ky = occ.filter(pl.col("text") == "Ky")
    assert kx["label"].to_list() == ["Application"] and ky["label"].to_list() == ["Device"]
    assert ky["score"].item() > kx["score"].item()
    feat = C.occurrence_features(c, max_ngram=6)
    f = feat.filter(pl.col("variant") == "exact")
    pair = dict(zip(f["sentence"].to_list(), f["pair"].to_list(), strict=True))
    assert pair[4] == pytest.approx(np.log1p(5))  # 5 other forms show Application and Library
    assert pair[9] == 0.0


def test_case_fold_variant_is_separate_and_weaker(tmp_path: Path):
    sents = [_sent(f"using PyTorch {i} now", {"PyTorch": "Library"}) for i in range(6)]
    sents += [_sent("using pytorch 9 now", {"pytorch": "Algorithm"})]
    c = bx.read(_write(tmp_path / "fold.tsv", sents))
    forms = c.inconsistencies()
    assert forms.filter(pl.col("variant") == "exact").height == 0  # each spelling is consistent
    fold = forms.filter(pl.col("variant") == "casefold")
    assert fold.height == 1 and fold["text"].item() == "pytorch"
    assert fold["majority"].item() == "Library"
    assert c.inconsistencies(case_fold=False).height == 0


def test_over_long_span_is_flagged(tmp_path: Path):
    sents = [_sent(f"I use Django {i} daily", {"Django": "Library"}) for i in range(6)]
    sents += [_sent(f"the cat {i} sat") for i in range(12)]
    bad = _sent("I like the Django app")
    bad[2], bad[3] = ("the", "B-Library"), ("Django", "I-Library")
    sents.append(bad)
    c = bx.read(_write(tmp_path / "long.tsv", sents))
    occ = c.inconsistencies(occurrences=True)
    b = occ.filter(pl.col("kind") == "inconsistent_boundary")
    assert b.height == 1
    row = b.row(0, named=True)
    assert (row["sentence"], row["start"], row["end"], row["text"]) == (18, 2, 4, "the Django")
    assert row["majority"] == "Library" and row["form"] == "Django"


def test_edits_invalidate(pytorch_corpus):
    assert pytorch_corpus.inconsistencies(occurrences=True).height >= 2
    st = pytorch_corpus.state
    tag = st.tok["tag"].cast(pl.String)
    rows = st.tok.with_row_index("r").filter(
        (pl.col("token") == "PyTorch") & (pl.col("tag").cast(pl.String) != "B-Library")
    )["r"]
    st.tok = st.tok.with_columns(
        tag.scatter(rows, ["B-Library"] * rows.len()).cast(pl.Categorical).alias("tag"))
    st.touch()
    occ = pytorch_corpus.inconsistencies(occurrences=True)
    assert occ.filter(pl.col("text") == "PyTorch").height == 0


def test_view_reports_only_its_sentences(pytorch_corpus):
    whole = pytorch_corpus.inconsistencies(occurrences=True)
    view = pytorch_corpus.filter(sentences=[5])
    occ = view.inconsistencies(occurrences=True)
    assert occ.height >= 1 and set(occ["sentence"].to_list()) == {5}
    # evidence is the whole corpus: same score as seen from the whole corpus
    joined = occ.join(whole, on=["sentence", "start", "end"], suffix="_w")
    assert (joined["score"] == joined["score_w"]).all()
    assert view.inconsistencies()["text"].to_list() == ["PyTorch"]
    # a view without dissenters reports nothing
    assert pytorch_corpus.filter(sentences=[0]).inconsistencies(occurrences=True).height == 0


# ----------------------------------------------------------------------------- real corpora
@pytest.fixture(scope="module")
def wikigold(shared_corpora):
    return bx.read(shared_corpora / "wikigold" / "wikigold.conll.txt")


def test_occurrences_point_to_real_tokens(shared_corpora):
    c = bx.read(shared_corpora / "stackoverflow_ner" / "train.txt")
    occ = c.inconsistencies(occurrences=True, threshold=0.0)
    assert occ.height > 100
    assert set(occ["kind"].unique().to_list()) <= set(C.KINDS)
    sents = c.tokens.group_by("sentence").agg(pl.col("token"), pl.col("tag").cast(pl.String))
    look = {s: (t, g) for s, t, g in sents.iter_rows()}
    for r in occ.sample(300, seed=0).iter_rows(named=True):
        toks, tags = look[r["sentence"]]
        assert " ".join(toks[r["start"]:r["end"]]) == r["text"]
        if r["kind"] == "unlabelled_mention":
            assert set(tags[r["start"]:r["end"]]) == {"O"} and r["label"] == "O"
        if r["kind"] == "inconsistent_label":
            assert tags[r["start"]] == "B-" + r["label"] or tags[r["start"]] == "I-" + r["label"]
            assert r["majority"] != r["label"]
    assert occ["score"].is_between(0, 1).all()
    assert occ["score"].is_sorted(descending=True)


def _independent_counts(c: bx.Corpus, texts: set[str]) -> dict[str, Counter]:
    """Per text: label / O / <x> counts of its n-gram occurrences, from seqeval's chunks."""
    from seqeval.metrics.sequence_labeling import get_entities

    out: dict[str, Counter] = {t: Counter() for t in texts}
    lengths = {len(t.split(" ")) for t in texts}
    sents = c.tokens.group_by("sentence", maintain_order=True).agg(
        pl.col("token"), pl.col("tag").cast(pl.String))
    for _, toks, tags in sents.iter_rows():
        ents = {(s, e + 1): lab for lab, s, e in get_entities(list(tags))}
        inside = [None] * len(toks)
        for (s, e), _lab in ents.items():
            for i in range(s, e):
                inside[i] = (s, e)
        for n in lengths:
            for a in range(len(toks) - n + 1):
                t = " ".join(toks[a:a + n])
                if t not in out:
                    continue
                if (a, a + n) in ents:
                    out[t][ents[(a, a + n)]] += 1
                elif all(x is None for x in inside[a:a + n]):
                    out[t]["O"] += 1
                elif inside[a] is not None and inside[a] == inside[a + n - 1] and all(
                        x == inside[a] for x in inside[a:a + n]):
                    pass  # inside a longer span: not a vote
                else:
                    out[t]["<x>"] += 1
    return out


def test_label_counts_match_independent_count(wikigold):
    forms = wikigold.inconsistencies().filter(pl.col("variant") == "exact")
    assert forms.height > 20
    top = forms.head(25)
    ref = _independent_counts(wikigold, set(top["text"].to_list()))
    for row in top.iter_rows(named=True):
        got = {d["label"]: d["count"] for d in row["label_counts"]}
        assert got == dict(ref[row["text"]]), row["text"]
        assert row["occurrences"] == sum(ref[row["text"]].values())
        # majority: the most frequent category (ties broken by name)
        best = max(ref[row["text"]].values())
        assert row["majority"] == min(k for k, v in ref[row["text"]].items() if v == best)


def test_plant_errors_changes_exactly_the_planted_spans(wikigold):
    c = bx.read(wikigold.state.files[0].path)
    before = c.spans
    planted = P.plant_errors(c, seed=3)
    n = before.height
    kinds = planted["kind"].value_counts()
    assert dict(kinds.iter_rows()) == {"flip": round(n * 0.02), "drop": round(n * 0.02),
                                       "shift": round(n * 0.01)}
    after = c.spans
    changed_before = before.join(after, on=["sentence", "start", "end", "label"], how="anti")
    # every span that changed lies in a planted region, and every planted span changed
    hit = changed_before.join(planted, on="sentence", suffix="_p").filter(
        (pl.col("start") < pl.col("end_p")) & (pl.col("start_p") < pl.col("end")))
    assert hit.select("sentence", "start").unique().height == changed_before.height
    assert changed_before.height == planted.height
    assert after.height == n - round(n * 0.02)


def test_planted_error_recall_floor(shared_corpora):
    """A fast, deterministic version of benchmarks/bench_detect.py on wikigold."""
    c = bx.read(shared_corpora / "wikigold" / "wikigold.conll.txt")
    planted = P.plant_errors(c, seed=1)
    flagged = c.inconsistencies(occurrences=True)
    freq = P.form_frequency(c, planted["text"])
    res = P.evaluate_planted(flagged, planted, freq)
    assert res["planted"] == 178
    assert res["recall_ge3"] >= 0.6
    assert res["precision"] >= 0.6
    assert res["recall"] >= 0.3


def test_form_frequency_is_a_plain_ngram_count(wikigold):
    freq = P.form_frequency(wikigold, ["Germany", "United States", "the"])
    toks = wikigold.tokens.group_by("sentence", maintain_order=True).agg("token")["token"]
    ref = Counter()
    for t in toks.to_list():
        for n in (1, 2):
            for a in range(len(t) - n + 1):
                ref[" ".join(t[a:a + n])] += 1
    got = dict(freq.iter_rows())
    assert got == {k: ref[k] for k in ("Germany", "United States", "the")}


@pytest.mark.shared
def test_results_do_not_depend_on_thread_scheduling(shared_corpora):
    """Ties (equal label counts) are broken by name, never by group order: fresh reads of the
    same corpus give identical flags (btc has many tied forms, e.g. the anonymised ``@``)."""
    runs = [bx.read(str(shared_corpora / "btc" / "*.conll")).inconsistencies(occurrences=True)
            for _ in range(4)]
    for other in runs[1:]:
        assert_frame_equal(runs[0], other)
