"""Tests of bio_explorer.charts: Altair specs built from small aggregated polars frames."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import altair as alt
import polars as pl
import pytest

from bio_explorer import charts
from bio_explorer.charts import (
    INVALID_COLOR,
    MAX_ROWS,
    NO_LABEL,
    anomaly_chart,
    apply_theme,
    inconsistency_chart,
    label_chart,
    span_length_chart,
    tag_chart,
    transition_chart,
)
from bio_explorer.colors import NEUTRAL_COLOR, palette

U32 = pl.UInt32
LABELS = ["Library", "Algorithm", "Programming Language", "Person", "Metric"]


# ------------------------------------------------------------------------------------ fixtures


def make_counts(scale: int = 1, source: str | None = None) -> pl.DataFrame:
    frame = pl.DataFrame(
        {
            "label": LABELS,
            "spans": pl.Series([120, 80, 60, 33, 4], dtype=U32) * scale,
            "tokens": pl.Series([150, 130, 70, 60, 5], dtype=U32) * scale,
            "sentences": pl.Series([90, 60, 50, 30, 4], dtype=U32) * scale,
            "mean_length": [1.25, 1.6, 1.17, 1.8, 1.25],
        }
    )
    if source is not None:
        frame = frame.with_columns(pl.lit(source).alias("source"))
    return frame


def make_transitions() -> pl.DataFrame:
    rows = [
        ("<s>", "O", 500, True),
        ("<s>", "B-Library", 40, True),
        ("<s>", "I-Person", 2, False),
        ("O", "O", 9000, True),
        ("O", "B-Library", 300, True),
        ("O", "B-Person", 120, True),
        ("O", "I-Library", 3, False),
        ("O", "</s>", 480, True),
        ("B-Library", "I-Library", 90, True),
        ("B-Library", "O", 250, True),
        ("B-Library", "</s>", 20, True),
        ("I-Library", "O", 90, True),
        ("B-Person", "I-Person", 60, True),
        ("B-Person", "O", 60, True),
        ("I-Person", "O", 62, True),
        ("B-Library", "I-Person", 1, False),
    ]
    return pl.DataFrame(
        rows,
        schema={"prev_tag": pl.String, "tag": pl.String, "count": U32, "valid": pl.Boolean},
        orient="row",
    )


def make_anomaly_counts() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "kind": ["invalid_transition", "invalid_transition", "inconsistent_label", "empty"],
            "label": ["Library", "Person", "Library", None],
            "count": pl.Series([5, 2, 14, 2], dtype=U32),
        }
    )


def make_span_lengths() -> pl.DataFrame:
    rows = [(label, n, 50 // n + i) for i, label in enumerate(LABELS) for n in range(1, 5 + 4 * i)]
    return pl.DataFrame(
        rows, schema={"label": pl.String, "length": U32, "count": U32}, orient="row"
    )


def make_inconsistencies(n: int = 10) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "text": [f"form{i}" for i in range(n)],
            "majority": [LABELS[i % len(LABELS)] if i % 4 else "O" for i in range(n)],
            "occurrences": pl.Series([10 + i for i in range(n)], dtype=U32),
            "minority_occurrences": pl.Series([1 + i % 3 for i in range(n)], dtype=U32),
            "score": [round(0.05 * ((i * 7) % n), 3) for i in range(n)],
            "labels": [f"{LABELS[i % len(LABELS)]}:{9 + i}, O:{1 + i % 3}" for i in range(n)],
        }
    )


class FakeCorpus:
    """Duck-typed stand-in for bio_explorer.Corpus (only the aggregate methods)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def label_counts(self, **kwargs: Any) -> pl.DataFrame:
        self.calls.append(("label_counts", kwargs))
        if kwargs.get("by") == "source":
            return pl.concat([make_counts(2, "train.txt"), make_counts(1, "dev.txt")])
        return make_counts()

    def transitions(self) -> pl.DataFrame:
        self.calls.append(("transitions", {}))
        return make_transitions()

    def anomalies(self) -> pl.DataFrame:
        # raw rows, one per anomaly: must be aggregated before reaching Altair
        self.calls.append(("anomalies", {}))
        kinds = ["invalid_transition", "inconsistent_label", "boundary"]
        labels = ["Library", "Person", None]
        n = 3000
        return pl.DataFrame(
            {
                "sentence": pl.Series(range(n), dtype=U32),
                "start": pl.Series([0] * n, dtype=U32),
                "end": pl.Series([1] * n, dtype=U32),
                "kind": [kinds[i % 3] for i in range(n)],
                "label": [labels[(i // 3) % 3] for i in range(n)],
                "detail": ["x"] * n,
            }
        )

    def span_lengths(self) -> pl.DataFrame:
        self.calls.append(("span_lengths", {}))
        return make_span_lengths()

    def inconsistencies(self) -> pl.DataFrame:
        self.calls.append(("inconsistencies", {}))
        return make_inconsistencies()


# ------------------------------------------------------------------------------------- helpers


def walk(node: Any) -> Iterator[tuple[str | None, Any]]:
    """Yield (key, value) for every nested dict item (key None for list items)."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield key, value
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield None, value
            yield from walk(value)


def spec_of(chart: alt.TopLevelMixin) -> dict[str, Any]:
    """Validated Vega-Lite dict, with the generic checks every chart must pass."""
    spec = chart.to_dict(validate=True)
    assert "/vega-lite/v6" in spec["$schema"]
    # strict JSON (no NaN / Infinity) so that the front end can parse it
    json.dumps(spec, allow_nan=False)
    assert not any(key == "url" for key, _ in walk(spec)), "data must be inline"
    assert spec.get("config", {}).get("background") == "transparent"
    return spec


def data_rows(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """The main (largest) inline dataset of a spec."""
    candidates = [v["values"] for k, v in walk(spec) if k == "data" and "values" in v]
    candidates += list(spec.get("datasets", {}).values())
    assert candidates, "no inline data"
    return max(candidates, key=len)


def select_params(spec: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        p
        for key, value in walk(spec)
        if key == "params"
        for p in value
        if p.get("name") == charts.SELECTION_NAME
    ]


def assert_select(spec: dict[str, Any], fields: list[str]) -> None:
    params = select_params(spec)
    assert len(params) == 1, params
    select = params[0]["select"]
    assert select["type"] == "point"
    assert select["fields"] == fields
    assert "toggle" not in select  # default toggle: shift-click


def color_scales(spec: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for key, value in walk(spec):
        if key == "color" and isinstance(value, dict):
            for _, inner in walk(value):
                if isinstance(inner, dict) and isinstance(inner.get("scale"), dict):
                    if "domain" in inner["scale"]:
                        out.append(inner["scale"])
            if isinstance(value.get("scale"), dict) and "domain" in value["scale"]:
                out.append(value["scale"])
    return out


def assert_palette_scale(spec: dict[str, Any], labels: list[str], extra: dict[str, str]) -> None:
    expected = palette(labels)
    scales = color_scales(spec)
    assert scales, "no label colour scale"
    for scale in scales:
        assert scale["domain"] == [*expected, *extra]
        assert scale["range"] == [*expected.values(), *extra.values()]


def opacity_conditions(spec: dict[str, Any]) -> list[Any]:
    return [
        value
        for key, value in walk(spec)
        if key in ("opacity", "color") and isinstance(value, dict) and "condition" in value
    ]


def condition_param(encoding: dict[str, Any]) -> str:
    condition = encoding["condition"]
    return (condition[0] if isinstance(condition, list) else condition)["param"]


def sort_lists(spec: dict[str, Any], channel: str) -> list[list[str]]:
    return [
        value["sort"]
        for key, value in walk(spec)
        if key == channel and isinstance(value, dict) and isinstance(value.get("sort"), list)
    ]


# ------------------------------------------------------------------------------------ label chart


def test_label_chart_basic() -> None:
    counts = make_counts()
    spec = spec_of(label_chart(counts))
    rows = data_rows(spec)
    assert len(rows) == len(LABELS)
    assert {r["label"] for r in rows} == set(LABELS)
    assert_select(spec, ["label"])
    assert_palette_scale(spec, LABELS, {})
    # sorted descending by spans
    assert sort_lists(spec, "y")[0] == counts.sort("spans", descending=True)["label"].to_list()
    assert spec["width"] == "container"
    assert spec["height"] >= 22 * len(LABELS)
    # selected bars opaque, others dimmed
    conditions = opacity_conditions(spec)
    assert conditions
    assert any(condition_param(c) == "select" for c in conditions)


def test_label_chart_drops_outside_and_handles_nan() -> None:
    counts = pl.concat(
        [
            make_counts(),
            pl.DataFrame(
                {
                    "label": ["O"],
                    "spans": pl.Series([999], dtype=U32),
                    "tokens": pl.Series([999], dtype=U32),
                    "sentences": pl.Series([9], dtype=U32),
                    "mean_length": [float("nan")],
                }
            ),
        ]
    ).with_columns(
        pl.when(pl.col("label") == "Metric")
        .then(float("nan"))
        .otherwise("mean_length")
        .alias("mean_length")
    )
    spec = spec_of(label_chart(counts))
    rows = data_rows(spec)
    assert "O" not in {r["label"] for r in rows}
    assert next(r for r in rows if r["label"] == "Metric")["mean_length"] is None


def test_label_chart_with_base_draws_whole_behind() -> None:
    base = make_counts()
    filtered = make_counts().filter(pl.col("label").is_in(["Library", "Person"]))
    filtered = filtered.with_columns(pl.col("spans") // 3)
    spec = spec_of(label_chart(filtered, base=base))
    rows = data_rows(spec)
    assert len(rows) == len(LABELS)
    by_label = {r["label"]: r for r in rows}
    assert by_label["Library"]["spans"] == 40 and by_label["Library"]["total_spans"] == 120
    assert by_label["Metric"]["spans"] == 0 and by_label["Metric"]["total_spans"] == 4
    layers = spec["layer"]
    grey = [layer for layer in layers if layer["mark"].get("color") == NEUTRAL_COLOR]
    assert grey and layers.index(grey[0]) == 0, "whole-corpus bars are drawn first (behind)"
    assert grey[0]["encoding"]["x"]["field"] == "total_spans"
    for layer in layers[:2]:
        fields = {t["field"] for t in layer["encoding"]["tooltip"]}
        assert {"spans", "total_spans"} <= fields
    # palette over all labels of the whole corpus, not just the filtered ones
    assert_palette_scale(spec, LABELS, {})
    assert_select(spec, ["label"])
    # the whole corpus decides the order: a filter never moves a bar (issue 16.4)
    whole = sorted(rows, key=lambda r: (-r["total_spans"], -r["spans"], r["label"]))
    assert sort_lists(spec, "y")[0] == [r["label"] for r in whole]


def test_label_chart_explicit_labels_fix_the_palette() -> None:
    all_labels = [*LABELS, "Task", "Dataset", "Organisation"]
    spec = spec_of(label_chart(make_counts().head(2), labels=all_labels))
    assert_palette_scale(spec, all_labels, {})


def test_label_chart_by_source() -> None:
    counts = pl.concat([make_counts(1, "dev.txt"), make_counts(3, "train.txt")])
    spec = spec_of(label_chart(counts, by_source=True))
    rows = data_rows(spec)
    assert len(rows) == 2 * len(LABELS)
    assert {r["source"] for r in rows} == {"dev.txt", "train.txt"}
    column = spec["facet"]["column"]
    assert column["field"] == "source"
    assert column["sort"] == ["train.txt", "dev.txt"]  # biggest source first
    assert spec["resolve"]["scale"]["x"] == "independent"
    assert_select(spec, ["label"])
    assert_palette_scale(spec, LABELS, {})


def test_label_chart_by_source_with_base() -> None:
    base = pl.concat([make_counts(1, "dev.txt"), make_counts(3, "train.txt")])
    spec = spec_of(label_chart(base.head(3), base=base, by_source=True))
    rows = data_rows(spec)
    assert len(rows) == 2 * len(LABELS)
    assert all("total_spans" in r for r in rows)


def test_label_chart_from_corpus_like() -> None:
    corpus = FakeCorpus()
    spec = spec_of(label_chart(corpus, base=corpus, by_source=True))
    assert ("label_counts", {"by": "source"}) in corpus.calls
    assert len(data_rows(spec)) == 2 * len(LABELS)
    corpus.calls.clear()
    spec_of(label_chart(corpus))
    assert corpus.calls == [("label_counts", {})]


def test_label_chart_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="spans"):
        label_chart(pl.DataFrame({"label": ["A"]}))
    with pytest.raises(TypeError):
        label_chart(42)


def test_row_bound_is_enforced() -> None:
    n = MAX_ROWS + 1
    huge = pl.DataFrame(
        {
            "label": [f"L{i}" for i in range(n)],
            "spans": pl.Series([1] * n, dtype=U32),
        }
    )
    with pytest.raises(ValueError, match="aggregate"):
        label_chart(huge)


def test_inline_data_whatever_the_transformer(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.chdir(tmp_path)
    with alt.data_transformers.enable("json"):
        spec = spec_of(label_chart(make_counts()))
    assert len(data_rows(spec)) == len(LABELS)
    assert list(tmp_path.iterdir()) == []


def test_pandas_input_accepted() -> None:
    pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    spec = spec_of(label_chart(make_counts().to_pandas()))
    assert len(data_rows(spec)) == len(LABELS)


# ------------------------------------------------------------------------------- transition chart


def _layer_with_filter(spec: dict[str, Any]) -> dict[str, Any]:
    outlined = [
        layer
        for layer in spec["layer"]
        if any(
            t.get("filter") == {"field": "valid", "equal": False}
            for t in layer.get("transform", [])
        )
    ]
    assert len(outlined) == 1
    return outlined[0]


def test_transition_chart() -> None:
    frame = make_transitions()
    spec = spec_of(transition_chart(frame))
    rows = data_rows(spec)
    tags = {"O", "B-Library", "I-Library", "B-Person", "I-Person"}
    assert len(rows) == frame.height
    assert len(rows) <= (len(tags) + 1) ** 2
    assert_select(spec, ["prev_tag", "tag"])

    # invalid cells are flagged in the data and come first
    flags = [r["valid"] for r in rows]
    n_invalid = flags.count(False)
    assert n_invalid == 3
    assert flags[:n_invalid] == [False] * n_invalid
    assert all(flags[n_invalid:])

    # axes: <s> first in y, </s> last in x, tags of invalid cells first
    invalid_tags = {"I-Person", "I-Library", "O", "B-Library"}
    (y_sort,) = {tuple(s) for s in sort_lists(spec, "y")}
    (x_sort,) = {tuple(s) for s in sort_lists(spec, "x")}
    assert y_sort[0] == "<s>" and "</s>" not in y_sort
    assert x_sort[-1] == "</s>" and "<s>" not in x_sort
    assert set(x_sort[: len(invalid_tags)]) == invalid_tags
    assert set(y_sort[1 : 1 + len(invalid_tags)]) == invalid_tags
    assert list(y_sort[1:]) == list(x_sort[:-1])  # same order on both axes

    # outline layer: red, thick, unfilled, drawn on top of the heat map
    outline = _layer_with_filter(spec)
    mark = outline["mark"]
    assert mark["stroke"] == INVALID_COLOR
    assert mark["strokeWidth"] >= 2
    assert mark["filled"] is False
    assert spec["layer"].index(outline) == len(spec["layer"]) - 1

    # log colour scale on count
    heat = spec["layer"][0]
    assert heat["encoding"]["color"]["field"] == "count"
    assert heat["encoding"]["color"]["scale"]["type"] == "log"
    tooltip = {t["field"] for t in heat["encoding"]["tooltip"]}
    assert tooltip == {"prev_tag", "tag", "count", "valid"}


def test_transition_chart_keeps_invalid_tags_when_truncating() -> None:
    rows = []
    n = 60
    for i in range(n):
        rows.append(("O", f"B-L{i}", 1000 - i, True))
        rows.append((f"B-L{i}", "O", 1000 - i, True))
    rows.append(("O", "I-Rare", 1, False))
    rows.append(("<s>", "O", 50, True))
    rows.append(("O", "</s>", 50, True))
    frame = pl.DataFrame(
        rows,
        schema={"prev_tag": pl.String, "tag": pl.String, "count": U32, "valid": pl.Boolean},
        orient="row",
    )
    spec = spec_of(transition_chart(frame, max_tags=10))
    (x_sort,) = {tuple(s) for s in sort_lists(spec, "x")}
    kept = [t for t in x_sort if t != "</s>"]
    assert len(kept) == 10
    assert kept[:2] == ["O", "I-Rare"]  # invalid first, the more frequent of them first
    assert "B-L0" in kept and "B-L59" not in kept
    rows_out = data_rows(spec)
    assert len(rows_out) <= (len(kept) + 1) ** 2
    assert {r["tag"] for r in rows_out} <= {*kept, "</s>"}
    assert any(r["valid"] is False for r in rows_out)
    assert "showing 10 of 62 tags" in spec["title"]["subtitle"]


def test_transition_chart_from_corpus_like_and_empty() -> None:
    spec = spec_of(transition_chart(FakeCorpus()))
    assert_select(spec, ["prev_tag", "tag"])
    empty = make_transitions().head(0)
    spec = spec_of(transition_chart(empty))
    assert data_rows(spec) == []


# ---------------------------------------------------------------------------------- anomaly chart


def test_anomaly_chart() -> None:
    spec = spec_of(anomaly_chart(make_anomaly_counts()))
    rows = data_rows(spec)
    assert len(rows) == 4
    assert_select(spec, ["kind", "label"])
    # null labels stay null (selection means "this kind") but are drawn grey as "(no label)"
    empty = next(r for r in rows if r["kind"] == "empty")
    assert empty["label"] is None and empty["label_shown"] == NO_LABEL
    assert_palette_scale(spec, ["Library", "Person"], {NO_LABEL: NEUTRAL_COLOR})
    bars = spec["layer"][0]
    assert bars["encoding"]["color"]["legend"]["values"] == ["Library", "Person", NO_LABEL]
    # kinds sorted by total descending
    assert sort_lists(spec, "y")[0] == ["inconsistent_label", "invalid_transition", "empty"]


def test_anomaly_chart_aggregates_raw_rows_from_corpus() -> None:
    corpus = FakeCorpus()
    spec = spec_of(anomaly_chart(corpus, labels=["Library", "Person", "Algorithm"]))
    assert corpus.calls == [("anomalies", {})]
    rows = data_rows(spec)
    assert len(rows) <= 3 * 3  # kind x label, never the 3000 raw rows
    assert sum(r["count"] for r in rows) == 3000
    assert_palette_scale(spec, ["Algorithm", "Library", "Person"], {NO_LABEL: NEUTRAL_COLOR})


def test_anomaly_chart_empty() -> None:
    spec = spec_of(anomaly_chart(make_anomaly_counts().head(0)))
    assert data_rows(spec) == []
    assert_select(spec, ["kind", "label"])


# ------------------------------------------------------------------------------ span length chart


def test_span_length_chart() -> None:
    frame = make_span_lengths()
    spec = spec_of(span_length_chart(frame, max_length=6))
    rows = data_rows(spec)
    assert len(rows) <= len(LABELS) * 6
    assert_select(spec, ["label"])
    assert_palette_scale(spec, LABELS, {})
    # longer spans are pooled; shares sum to one per label; counts are preserved
    assert {r["length"] for r in rows} <= {"1", "2", "3", "4", "5", "6+"}
    for label in LABELS:
        mine = [r for r in rows if r["label"] == label]
        assert sum(r["share"] for r in mine) == pytest.approx(1.0)
        expected = frame.filter(pl.col("label") == label)["count"].sum()
        assert sum(r["count"] for r in mine) == expected
    assert sort_lists(spec, "x")[0] == ["1", "2", "3", "4", "5", "6+"]
    # unselected cells turn grey
    assert condition_param(spec["encoding"]["color"]) == "select"
    assert spec["encoding"]["color"]["value"] == NEUTRAL_COLOR


def test_span_length_chart_short_spans_and_corpus_like() -> None:
    short = pl.DataFrame(
        {"label": ["A", "A", "B"], "length": pl.Series([1, 2, 1], dtype=U32), "count": [3, 1, 5]}
    )
    spec = spec_of(span_length_chart(short))
    assert sort_lists(spec, "x")[0] == ["1", "2"]
    spec = spec_of(span_length_chart(FakeCorpus()))
    assert_select(spec, ["label"])


# ---------------------------------------------------------------------------- inconsistency chart


def test_inconsistency_chart() -> None:
    frame = make_inconsistencies(10)
    spec = spec_of(inconsistency_chart(frame, top=4))
    rows = data_rows(spec)
    assert len(rows) == 4
    assert_select(spec, ["text"])
    scores = [r["score"] for r in rows]
    assert scores == sorted(scores, reverse=True)
    assert scores[0] == max(frame["score"])
    assert [r["rank"] for r in rows] == [1, 2, 3, 4]
    for r in rows:
        assert r["ratio"] == f"{r['minority_occurrences']}/{r['occurrences']}"
        assert isinstance(r["labels"], str) and ":" in r["labels"]
    majorities = [r["majority"] for r in rows]
    assert_palette_scale(spec, majorities, {"O": NEUTRAL_COLOR})


def test_inconsistency_chart_accepts_list_and_struct_labels() -> None:
    base = make_inconsistencies(3).drop("labels")
    as_list = base.with_columns(
        pl.Series("labels", [["Library:12", "Algorithm:2"], ["O:1"], []], dtype=pl.List(pl.String))
    )
    structs = base.with_columns(
        pl.Series(
            "labels",
            [
                [{"label": "Library", "count": 12}, {"label": "Algorithm", "count": 2}],
                [{"label": "O", "count": 1}],
                [],
            ],
        )
    )
    one_struct = base.with_columns(
        pl.Series("labels", [{"Library": 12, "O": 1}, {"Library": 1, "O": None}, {}])
    )
    for frame in (as_list, structs, one_struct):
        rows = data_rows(spec_of(inconsistency_chart(frame)))
        by_text = {r["text"]: r["labels"] for r in rows}
        assert all(isinstance(v, str) for v in by_text.values())
    rows = data_rows(spec_of(inconsistency_chart(structs)))
    assert {r["labels"] for r in rows} >= {"Library:12, Algorithm:2", "O:1"}


def test_inconsistency_chart_corpus_like_and_empty() -> None:
    spec = spec_of(inconsistency_chart(FakeCorpus(), top=15))
    assert len(data_rows(spec)) == 10
    spec = spec_of(inconsistency_chart(make_inconsistencies(0)))
    assert_select(spec, ["text"])


# -------------------------------------------------------------------------------------- tag chart


def test_tag_chart() -> None:
    frame = pl.DataFrame(
        {
            "tag": ["O", "B-Library", "I-Library", "B-Person"],
            "count": pl.Series([900, 30, 10, 20], dtype=U32),
        }
    )
    spec = spec_of(tag_chart(frame))
    rows = data_rows(spec)
    assert [r["tag"] for r in rows] == ["B-Library", "B-Person", "I-Library"]
    assert_select(spec, ["tag"])
    assert_palette_scale(spec, ["Library", "Person"], {"O": NEUTRAL_COLOR})
    rows = data_rows(spec_of(tag_chart(frame, include_outside=True)))
    assert rows[0]["tag"] == "O"


def test_tag_chart_from_tokens_frame() -> None:
    class WithTokens:
        tokens = pl.DataFrame({"tag": ["O", "O", "B-A", "I-A", "B-A"]})

    rows = data_rows(spec_of(tag_chart(WithTokens())))
    assert {r["tag"]: r["count"] for r in rows} == {"B-A": 2, "I-A": 1}


# ------------------------------------------------------------------------------------------ theme


def test_unthemed_charts_compose_and_theme_applies() -> None:
    left = label_chart(make_counts(), themed=False)
    right = transition_chart(make_transitions(), themed=False)
    assert "background" not in left.to_dict().get("config", {})
    combined = apply_theme(alt.vconcat(left, right))
    spec = combined.to_dict(validate=True)
    assert spec["config"]["background"] == "transparent"
    assert spec["config"]["axis"]["labelColor"] == spec["config"]["axis"]["titleColor"]


@pytest.mark.parametrize(
    "build",
    [
        lambda: label_chart(make_counts()),
        lambda: label_chart(make_counts(), base=make_counts()),
        lambda: transition_chart(make_transitions()),
        lambda: anomaly_chart(make_anomaly_counts()),
        lambda: span_length_chart(make_span_lengths()),
        lambda: inconsistency_chart(make_inconsistencies()),
        lambda: tag_chart(pl.DataFrame({"tag": ["B-A"], "count": [1]})),
    ],
)
def test_every_chart_has_title_tooltips_and_one_select(build: Any) -> None:
    spec = spec_of(build())
    assert spec.get("title")
    assert any(key == "tooltip" for key, _ in walk(spec))
    assert len(select_params(spec)) == 1


# ------------------------------------------------------------------------------------ SpecTemplate
def normalized(spec: dict[str, Any]) -> Any:
    """The spec with generated names (views, datasets) replaced by their order of appearance."""
    import re

    names: dict[str, str] = {}
    text = json.dumps(spec, sort_keys=True)
    text = re.sub(
        r"view_[0-9a-f]+_\d+|view_\d+|data-[0-9a-f]{32}",
        lambda m: names.setdefault(m.group(0), f"name{len(names)}"),
        text,
    )
    return json.loads(text)


def _anomaly_counts(view: Any) -> pl.DataFrame:
    return view.anomalies().group_by("kind", "label").agg(pl.len().alias("count"))


def _template_inputs(kind: str, view: Any, whole: Any) -> tuple[tuple, dict]:
    if kind == "labels":
        return (view.label_counts(),), ({} if view is whole else {"base": whole.label_counts()})
    if kind == "transitions":
        return (view.transitions(),), {}
    if kind == "anomalies":
        return (_anomaly_counts(view),), {}
    if kind == "span_lengths":
        return (view.span_lengths(),), {}
    return (view.inconsistencies(),), {}


_TEMPLATE_BUILDERS = {
    "labels": label_chart,
    "transitions": transition_chart,
    "anomalies": anomaly_chart,
    "span_lengths": span_length_chart,
    "inconsistencies": inconsistency_chart,
}


@pytest.mark.parametrize("kind", list(_TEMPLATE_BUILDERS))
def test_spec_template_equals_a_full_rebuild(kind: str, shared_corpora: Path) -> None:
    """The fast path (Altair once, then data swapped) gives the spec Altair would build."""
    from altair.vegalite.v6.schema import load_schema
    from jsonschema import Draft7Validator

    import bio_explorer as bx

    corpus = bx.read(shared_corpora / "stackoverflow_ner" / "test.txt")
    labels = corpus.labels()
    opts = {} if kind == "transitions" else {"labels": labels}
    template = charts.SpecTemplate(kind, **opts)
    validator = Draft7Validator(load_schema())
    # whole corpus first (builds the template), then filters that change every derived value:
    # label order and count, kinds present, span lengths, number of rows
    views = [
        corpus,
        corpus.filter(labels=["Library"]),
        corpus.filter(labels=["Algorithm"], text="the"),
        corpus.filter(labels=["License"]),
        corpus,
    ]
    specs = []
    for view in views:
        args, kwargs = _template_inputs(kind, view, corpus)
        fast = template.spec(*args, **kwargs)
        full = _TEMPLATE_BUILDERS[kind](*args, **kwargs, **opts).to_dict()
        assert normalized(fast) == normalized(full)
        validator.validate(fast)
        alt.Chart.from_dict(fast, validate=True)  # altair reads it back
        specs.append(json.dumps(normalized(fast), sort_keys=True))
    if kind != "inconsistencies":  # the filters really changed the charts (not one spec reused)
        assert len(set(specs)) >= 3
    assert specs[0] == specs[-1]


def test_spec_template_returns_independent_dicts_and_checks_kind() -> None:
    template = charts.SpecTemplate("labels", labels=LABELS)
    first = template.spec(make_counts())
    second = template.spec(make_counts(scale=2))
    assert first is not second and first != second
    second["height"] = -1
    assert template.spec(make_counts())["height"] == first["height"]  # template not mutated
    assert normalized(template.spec(make_counts())) == normalized(first)
    with pytest.raises(ValueError, match="unknown chart kind"):
        charts.SpecTemplate("pie")
