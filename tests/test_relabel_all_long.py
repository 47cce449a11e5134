"""``relabel_all`` of long surface forms (issue 11 item 12): linear in the words, same result.

The occurrences it changes are checked against a plain-Python reading of the same tags on random
corpora: an occurrence is changed when it is exactly a span of another label, or (with
``include_untagged``) when all its tokens are ``O`` and it does not overlap an earlier one.
"""

from __future__ import annotations

import random

import pytest

import bio_explorer as bx


def _write(path, sentences):
    lines = []
    for sent in sentences:
        lines += [f"{tok}\t{tag}" for tok, tag in sent] + [""]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _random_corpus(rng: random.Random, n_sent: int = 40):
    words = ["a", "b", "c", "d"]
    labels = ["X", "Y"]
    out = []
    for _ in range(n_sent):
        sent, i, n = [], 0, rng.randint(1, 12)
        while i < n:
            if rng.random() < 0.3:
                lab, k = rng.choice(labels), rng.randint(1, 3)
                for j in range(min(k, n - i)):
                    sent.append((rng.choice(words), ("B-" if j == 0 else "I-") + lab))
                i += k
            else:
                sent.append((rng.choice(words), "O"))
                i += 1
        out.append(sent)
    return out


def _reference(sentences, text, to_label, include_untagged):
    words = text.split(" ")
    n = len(words)
    want = set()
    for sid, sent in enumerate(sentences):
        toks = [t for t, _ in sent]
        tags = [g for _, g in sent]
        last_untagged = -n
        for s in range(len(sent) - n + 1):
            if toks[s:s + n] != words:
                continue
            lab = tags[s][2:] if tags[s] != "O" else None
            starts = tags[s].startswith("B-") or s == 0 or tags[s - 1][2:] != lab
            inner = all(g == f"I-{lab}" for g in tags[s + 1:s + n])
            ends = s + n == len(sent) or tags[s + n] != f"I-{lab}"
            if lab is not None and starts and inner and ends and lab != to_label:
                want.add((sid, s, s + n))
            elif include_untagged and all(g == "O" for g in tags[s:s + n]):
                if s - last_untagged >= n:
                    want.add((sid, s, s + n))
                    last_untagged = s
    return want


@pytest.mark.parametrize("seed", range(12))
def test_changes_match_a_plain_reading(tmp_path, seed):
    rng = random.Random(seed)
    sentences = _random_corpus(rng)
    path = tmp_path / "r.bio"
    _write(path, sentences)
    c = bx.read(path)
    for text in ("a", "a b", "b c d", "a a", "a a a", "c d a b"):
        for untagged in (False, True):
            p = c.relabel_all(text, "Y", include_untagged=untagged)
            got = set(p.changes.select("sentence", "start", "end").rows())
            assert got == _reference(sentences, text, "Y", untagged), (seed, text, untagged)


def test_untagged_overlapping_matches_first_wins(tmp_path):
    path = tmp_path / "o.bio"
    _write(path, [[("a", "O")] * 5, [("a", "O"), ("a", "B-X"), ("a", "O"), ("a", "O")]])
    c = bx.read(path)
    got = c.relabel_all("a a", "Y", include_untagged=True).changes
    assert got.select("sentence", "start", "end").rows() == [(0, 0, 2), (0, 2, 4), (1, 2, 4)]


def test_a_five_thousand_word_text(tmp_path):
    """A 5,000-word form, twice in the file (minutes before: one expression per word)."""
    words = [f"w{i % 97}" for i in range(5000)]
    sent = [(w, "O") for w in words]
    tagged = [(w, ("B-" if i == 0 else "I-") + "X") for i, w in enumerate(words)]
    path = tmp_path / "long.bio"
    _write(path, [sent, tagged, sent[:4999]])
    c = bx.read(path)
    text = " ".join(words)
    p = c.relabel_all(text, "Y", include_untagged=True)
    assert set(p.changes.select("sentence", "start", "end").rows()) == {(0, 0, 5000), (1, 0, 5000)}
    assert p.apply() == 2
    tags = c.tokens["tag"].cast(str).to_list()
    assert tags[:5000] == ["B-Y"] + ["I-Y"] * 4999
    assert tags[5000:10000] == ["B-Y"] + ["I-Y"] * 4999
    assert set(tags[10000:]) == {"O"}
