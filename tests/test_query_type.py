"""One query type (issue 11 items 10 and 14, issue 15 item 10): ``Query`` validates every field
once, for ``Corpus.filter``, the span view's ``query`` trait and its page requests alike."""

from __future__ import annotations

import warnings

import polars as pl
import pytest

import bio_explorer as bx
from bio_explorer.query import Query
from bio_explorer.widget import SpanView


@pytest.fixture(scope="module")
def c():
    return bx.sample()


def _front(view: SpanView, monkeypatch) -> list[dict]:
    sent: list[dict] = []
    monkeypatch.setattr(view, "send", lambda msg, *a, **k: sent.append(msg))
    return sent


def test_from_dict_to_dict_round_trip():
    q = Query.from_dict({"labels": "Library", "text": "", "regex": "^torch", "anomaly": [],
                         "transition": ("O", "I-Library"), "source": None, "sentences": 3,
                         "doc": [1, 2]})
    assert q.labels == ("Library",) and q.text == "^torch" and q.regex
    assert q.transition == ("O", "I-Library") and q.sentences == (3,) and q.doc == (1, 2)
    d = q.to_dict()
    assert d == {"labels": ["Library"], "text": "^torch", "regex": True,
                 "transition": ["O", "I-Library"], "doc": [1, 2], "sentences": [3]}
    assert Query.from_dict(d) == q
    assert Query.from_dict(None) == Query() and not Query()
    assert Query.from_dict({"labels": pl.Series(["A", "A", "B"])}).labels == ("A", "B")


@pytest.mark.parametrize("bad, match", [
    ({"label": ["Library"]}, r"unknown query key 'label'; did you mean 'labels'"),
    ({"labels": [None]}, r"query\['labels'\] must hold strings, got None"),
    ({"labels": 3}, r"query\['labels'\] must be a string or a list of strings"),
    ({"text": 5}, r"query\['text'\] must be a string"),
    ({"regex": 1}, r"query\['regex'\] must be true or false"),
    ({"case": "yes"}, r"query\['case'\] must be true or false"),
    ({"where": "doc"}, r"query\['where'\] must be 'token' or 'span'"),
    ({"transition": ["O"]}, r"query\['transition'\] must be a pair"),
    ({"transition": [1, 2]}, r"query\['transition'\] must be a pair"),
    ({"sentences": [2**40]}, r"query\['sentences'\]: 1099511627776 is not a sentence id"),
    ({"sentences": [-1]}, r"query\['sentences'\]: -1 is not a sentence id"),
    ({"sentences": [True]}, r"query\['sentences'\] must hold ints"),
    ({"sentences": ["1"]}, r"query\['sentences'\] must hold ints"),
    ({"doc": "x"}, r"query\['doc'\] must be an int or a list of ints"),
    ({"text": "a", "regex": "b"}, "give the pattern once"),
])
def test_bad_fields_are_named(bad, match):
    with pytest.raises(ValueError, match=match):
        Query.from_dict(bad)


def test_filter_sentences_out_of_range_is_a_clear_error(c):
    with pytest.raises(ValueError, match="is not a sentence id") as err:
        c.filter(sentences=[2**40])
    assert not isinstance(err.value, TypeError)
    assert c.filter(sentences=[10**9]).sentence_ids().len() == 0  # a valid id past the end


@pytest.mark.parametrize("kw", [{}, {"case": True}, {"where": "span"},
                                {"where": "span", "case": True}])
def test_plain_search_of_a_million_characters(c, kw):
    v = c.filter(text="a" * 1_000_000, **kw)
    assert len(v) == 0
    assert v.page(0, 5)["total"] == 0


def test_long_plain_search_finds_a_long_token(tmp_path):
    long = "x" * 30_000 + "Needle" + "y" * 30_000
    p = tmp_path / "long.bio"
    p.write_text(f"a\tO\n\n{long}\tB-L\nb\tO\n\nc\tO\n", encoding="utf-8")
    c = bx.read(p)
    pattern = "x" * 20_000 + "needle"
    assert c.filter(text=pattern).sentence_ids().to_list() == [1]
    assert c.filter(text=pattern, case=True).sentence_ids().to_list() == []
    assert c.filter(text=pattern, where="span").sentence_ids().to_list() == [1]
    page = c.filter(text=pattern).page()
    assert page["sentences"][0]["highlight"] == [0]


def test_corpus_filter_and_span_view_agree(c, monkeypatch):
    """``regex="^torch"`` works in both (it raised in the widget before)."""
    want = c.filter(regex="^torch").sentence_ids().to_list()
    assert want
    view = SpanView(c, query={"regex": "^torch"}, journal=False)
    assert view.query == {"text": "^torch", "regex": True}
    assert view.filtered.sentence_ids().to_list() == want
    assert view.matching_sentences == len(want)
    sent = _front(view, monkeypatch)
    view.handle_request({"kind": "page", "id": 1, "query": {"regex": "^torch"}})
    view._drain.flush()
    assert sent[-1]["kind"] == "page" and sent[-1]["total"] == len(want)


def test_unknown_label_source_warn_with_closest_name(c):
    with pytest.warns(UserWarning, match=r"no label 'Libary'.*did you mean 'Library'"):
        assert len(c.filter(labels=["Libary"])) == 0
    source = c.sentences["source"][0]
    with pytest.warns(UserWarning, match=rf"no source '{source[:-1]}'.*did you mean '{source}'"):
        assert len(c.filter(source=source[:-1])) == 0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(c.filter(labels=["Library"], source=source)) > 0


def test_unknown_anomaly_kind_names_the_closest(c):
    with pytest.raises(ValueError, match="unknown anomaly kind 'invalid_transitions'; "
                                         "did you mean 'invalid_transition'"):
        c.filter(anomaly="invalid_transitions")


def test_bad_query_from_code_is_a_trait_error(c):
    import traitlets

    view = SpanView(c, journal=False)
    with pytest.raises(traitlets.TraitError, match="not a sentence id"):
        view.query = {"sentences": [2**40]}
    assert view.query == {}
