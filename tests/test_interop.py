"""Round trips through the tools NER people use: HF datasets, spaCy DocBin, doccano, Label Studio,
Argilla, Parquet/Arrow; character offsets; displaCy; Dataset-like indexing."""

from __future__ import annotations

import json
import warnings

import polars as pl
import pytest

import bio_explorer as bx
from bio_explorer.errors import BioFormatError

KEY = ["sentence", "start", "end", "label"]
# three shared corpora in three schemes: IOB2 (seed), IOB1 without B- (wikigold), BIOES (ncrfpp)
CORPORA = ["seed/pytorch_wiki.bio", "wikigold/wikigold.conll.txt", "ncrfpp_bioes/dev.bmes"]


@pytest.fixture(scope="module", params=CORPORA)
def corpus(request, shared_corpora):
    return bx.read(shared_corpora / request.param)


def _same(a: bx.Corpus, b: bx.Corpus) -> None:
    assert b.spans.select(KEY).equals(a.spans.select(KEY))
    assert b.tokens["token"].equals(a.tokens["token"])
    assert b.sentences["n_tokens"].equals(a.sentences["n_tokens"])


@pytest.mark.shared
@pytest.mark.parametrize("tool", ["doccano", "label_studio", "argilla"])
def test_annotation_tool_round_trip(corpus, tool, tmp_path):
    path = tmp_path / ("tasks.json" if tool == "label_studio" else "records.jsonl")
    corpus.to_annotations(path, tool=tool)
    back = bx.read(path)
    _same(corpus, back)
    assert back.sentences["source"].equals(corpus.sentences["source"])


@pytest.mark.shared
def test_annotation_records_without_tokens_are_split_at_whitespace(corpus, tmp_path):
    records = corpus.to_annotations(tool="doccano")
    path = tmp_path / "plain.jsonl"
    path.write_text("".join(json.dumps({"text": r["text"], "label": r["label"]}) + "\n"
                            for r in records), encoding="utf-8")
    _same(corpus, bx.read(path))


@pytest.mark.shared
def test_hf_round_trip(corpus):
    datasets = pytest.importorskip("datasets")
    ds = corpus.to_hf()
    assert isinstance(ds, datasets.Dataset)
    names = ds.features["ner_tags"].feature.names
    assert names[0] == "O" and f"B-{corpus.labels()[0]}" in names
    _same(corpus, bx.read(ds))
    dd = corpus.to_hf(splits=True)
    assert isinstance(dd, datasets.DatasetDict)
    back = bx.read(dd)
    _same(corpus, back)
    assert set(back.sentences["source"]) == set(dd)


@pytest.mark.shared
def test_spacy_docbin_round_trip(corpus, tmp_path):
    pytest.importorskip("spacy")
    docs = corpus.to_spacy()
    assert len(docs) == len(corpus)
    assert sum(len(d.ents) for d in docs) == corpus.spans.height
    _same(corpus, bx.read(corpus.to_docbin()))
    corpus.to_docbin(tmp_path / "c.spacy")
    _same(corpus, bx.read(tmp_path / "c.spacy"))


@pytest.mark.shared
@pytest.mark.parametrize("suffix", [".parquet", ".arrow"])
def test_parquet_and_ipc_round_trip(corpus, suffix, tmp_path):
    path = tmp_path / f"tokens{suffix}"
    assert corpus.write(path) == [path]
    back = bx.read(path)
    _same(corpus, back)
    cols = ("sentence", "position", "token", pl.col("tag").cast(pl.String))
    assert back.tokens.select(cols).equals(corpus.tokens.select(cols))


def test_hf_list_of_dicts_and_label_names():
    rows = [{"tokens": ["Ada", "Lovelace", "wrote"], "ner_tags": [1, 2, 0]}]
    c = bx.read(rows, label_names=["O", "B-PER", "I-PER"])
    assert c.spans.select(KEY).rows() == [(0, 0, 2, "PER")]


@pytest.mark.shared
def test_spacy_export_valid_whatever_the_scheme(shared_corpora, tmp_path):
    """CoNLL-2003 in its original IOB1 form, read as IOB2: spaCy's IOB path refuses it (E093);
    the export gives valid entities, the spans bio_explorer reads."""
    spacy = pytest.importorskip("spacy")
    from spacy.tokens import Doc

    iob1 = tmp_path / "eng.testa"
    bx.read(shared_corpora / "conll2003" / "valid.txt").write(iob1, scheme="IOB1")
    c = bx.read(iob1, scheme="IOB2")
    assert c.summary(anomalies=False)["invalid_transitions"] > 0
    vocab = spacy.vocab.Vocab()
    first_bad = c.filter(transition=("O", c.tokens.filter(
        pl.col("tag").cast(pl.String).str.starts_with("I-"))["tag"].cast(pl.String)[0]))
    row = first_bad[0]
    # the tags as token attributes (what a CoNLL → spaCy conversion sets): spaCy refuses them
    import numpy as np
    from spacy.attrs import ENT_IOB, ENT_TYPE

    doc = Doc(vocab, words=row["tokens"])
    iob = [{"I": 1, "O": 2, "B": 3}[t[0]] for t in row["ner_tags"]]
    typ = [vocab.strings.add(t[2:]) if t != "O" else 0 for t in row["ner_tags"]]
    doc.from_array([ENT_IOB, ENT_TYPE], np.array([iob, typ], dtype="uint64").T)
    with pytest.raises(ValueError, match="E093"):
        doc.ents  # noqa: B018
    docs = c.to_spacy(vocab)
    got = [(i, e.start, e.end, e.label_) for i, d in enumerate(docs) for e in d.ents]
    index = c.sentence_ids().to_frame().with_row_index("i")
    want = c.spans.join(index, on="sentence").select(
        pl.col("i").cast(pl.Int64), "start", "end", "label").rows()
    assert got == [tuple(r) for r in want]


def test_character_offsets_rule():
    c = bx.read(pl.DataFrame({"tokens": [["New", "York", "is", "big"]],
                              "ner_tags": [["B-LOC", "I-LOC", "O", "O"]]}))
    sp = c.spans_with_offsets().row(0, named=True)
    text = "New York is big"  # tokens joined by one space
    assert (sp["char_start"], sp["char_end"]) == (0, 8)
    assert text[sp["char_start"]:sp["char_end"]] == sp["text"]


@pytest.mark.shared
def test_offsets_match_text_on_a_real_corpus(corpus):
    sp = corpus.spans_with_offsets()
    texts = pl.DataFrame(corpus.to_displacy()).select(
        corpus.sentence_ids().alias("sentence"), pl.col("text").alias("sent_text"))
    joined = sp.join(texts, on="sentence", how="left", maintain_order="left")
    cut = joined.select(pl.col("sent_text").str.slice(
        pl.col("char_start"), pl.col("char_end") - pl.col("char_start"))).to_series()
    assert cut.equals(sp["text"], check_names=False)


def test_to_displacy_manual_format():
    c = bx.sample()
    out = c.to_displacy()
    assert len(out) == len(c)
    first = out[0]
    assert set(first) == {"text", "ents", "title"}
    for e in first["ents"]:
        assert set(e) == {"start", "end", "label"}
        assert first["text"][e["start"]:e["end"]]
    spacy = pytest.importorskip("spacy")
    html = spacy.displacy.render(out[:2], style="ent", manual=True, jupyter=False)
    assert "PyTorch" in html and "Algorithm" in html


def test_one_line_doccano_is_routed_not_read_as_bio(tmp_path):
    path = tmp_path / "one.jsonl"
    path.write_text(json.dumps({"text": "Ada Lovelace wrote", "label": [[0, 12, "PER"]]}) + "\n")
    c = bx.read(path)
    assert c.spans.select(KEY).rows() == [(0, 0, 2, "PER")]
    assert c.tokens["token"].to_list() == ["Ada", "Lovelace", "wrote"]


def test_unknown_json_is_refused_clearly(tmp_path):
    path = tmp_path / "odd.jsonl"
    path.write_text('{"foo": 1, "bar": 2}\n')
    with pytest.raises(BioFormatError, match="doccano"):
        bx.read(path)


def test_parquet_is_not_decoded_as_text(tmp_path):
    path = tmp_path / "x.parquet"
    bx.sample().tokens.write_parquet(path)
    assert bx.read(path).spans.height == bx.sample().spans.height


def test_indexing_and_iteration_like_a_dataset():
    c = bx.sample()
    first = c[0]
    assert set(first) == {"id", "tokens", "ner_tags", "source"}
    assert first["tokens"][0] == "PyTorch" and first["ner_tags"][0] == "B-Algorithm"
    assert c[-1]["id"] == int(c.sentence_ids()[-1])
    rows = list(c)
    assert len(rows) == len(c) and rows[0] == first
    view = c[2:5]
    assert isinstance(view, bx.Corpus) and len(view) == 3 and view[0] == c[2]
    with pytest.raises(IndexError):
        c[len(c)]
    lib = c.filter(labels="Library")
    assert [r["id"] for r in lib] == lib.sentence_ids().to_list()


def test_empty_tokens_become_placeholders_for_spacy():
    pytest.importorskip("spacy")
    c = bx.read(pl.DataFrame({"tokens": [["a", "", "b"]], "ner_tags": [["B-X", "I-X", "O"]]}))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        docs = c.to_spacy()
    assert [t.text for t in docs[0]] == ["a", "_", "b"]
    assert any("empty token" in str(w.message) for w in caught)
    assert [(e.start, e.end) for e in docs[0].ents] == [(0, 2)]


def test_import_pulls_no_optional_dependency():
    """``import bio_explorer`` (and the readers) load neither numpy nor the interop packages."""
    import subprocess
    import sys

    code = ("import sys, bio_explorer as bx; bx.sample().spans_with_offsets(); "
            "print(sorted(m for m in ('numpy', 'datasets', 'spacy', 'nervaluate') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, check=True)
    assert out.stdout.strip() == "[]"


def test_sample_docstring_counts_its_labels():
    c = bx.sample()
    assert f"{len(c.labels())} labels" in bx.sample.__doc__


def test_in_place_save_keeps_the_tool_format(tmp_path):
    path = tmp_path / "review.jsonl"
    bx.sample().to_annotations(path, tool="argilla")
    c = bx.read(path)
    sp = c.spans.row(0, named=True)
    c.relabel(sp["sentence"], sp["start"], sp["end"], "Library")
    assert c.write() == [path] and c.unsaved == 0
    assert '"spans"' in path.read_text(encoding="utf-8")  # still Argilla records
    assert (tmp_path / "review.jsonl.bak").exists()
    assert bx.read(path).spans.row(0, named=True)["label"] == "Library"


def test_hf_dataset_after_select_reads_the_selected_rows():
    pytest.importorskip("datasets")
    c = bx.sample()
    ds = c.to_hf().select([3, 1])
    back = bx.read(ds)
    assert back[0]["tokens"] == c[3]["tokens"] and back[1]["ner_tags"] == c[1]["ner_tags"]


def test_argilla_record_dicts_with_responses_and_suggestions(tmp_path):
    spans = [{"start": 0, "end": 12, "label": "PER"}]
    rows = [
        {"fields": {"text": "Ada Lovelace wrote"},
         "responses": {"topic": [{"value": "math"}], "ner": [{"value": spans, "user_id": "u"}]}},
        {"fields": {"text": "Ada Lovelace wrote"}, "suggestions": {"ner": {"value": spans}}},
    ]
    path = tmp_path / "argilla.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    assert bx.read(path).spans.select(KEY).rows() == [(0, 0, 2, "PER"), (1, 0, 2, "PER")]


def test_label_studio_predictions_and_misaligned_spans(tmp_path):
    task = {"data": {"text": "New  York-based firm"},
            "predictions": [{"result": [{"value": {"start": 0, "end": 7, "labels": ["LOC"]}}]}]}
    path = tmp_path / "tasks.json"
    path.write_text(json.dumps([task]), encoding="utf-8")
    c = bx.read(path)
    assert c.tokens["token"].to_list() == ["New", "York-based", "firm"]
    # a span ending inside a token covers the whole token
    assert c.spans.select(KEY).rows() == [(0, 0, 2, "LOC")]


def test_to_hf_keeps_given_label_names():
    pytest.importorskip("datasets")
    names = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]
    c = bx.read([{"tokens": ["Ada", "in", "Paris"], "ner_tags": [1, 0, 3]}], label_names=names)
    ds = c.to_hf(label_names=names)
    assert ds.features["ner_tags"].feature.names == names
    assert ds[0]["ner_tags"] == [1, 0, 3]
    with pytest.raises(ValueError, match="not in label_names"):
        c.to_hf(label_names=["O", "B-PER", "I-PER"])


@pytest.mark.parametrize("data", [
    b"ARROW1", b"PAR1garbage", b'{"text": "a b", "label": [[0, "x", "L"]]}\n',
    b'{"text": "a", "label": []}\n\xff\xfe{"text"'])
def test_broken_routed_files_raise_bio_format_error(tmp_path, data):
    path = tmp_path / "broken.bin"
    path.write_bytes(data)
    with pytest.raises(BioFormatError, match=r"broken\.bin"):
        bx.read(path)
