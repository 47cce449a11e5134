"""Tests of bio_explorer.colors: one stable, colour-blind-friendly-ish palette keyed by label."""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from bio_explorer import colors
from bio_explorer.color_distance import delta_e, delta_e_lab
from bio_explorer.colors import (
    BASE_COLORS,
    NEUTRAL_COLOR,
    color_scale,
    contrast_ratio,
    label_color,
    palette,
    relative_luminance,
    text_color_for,
)

HEX = re.compile(r"^#[0-9A-Fa-f]{6}$")
REPO = Path(__file__).resolve().parents[1]

CONLL = ["PER", "LOC", "ORG", "MISC"]
SCIENCE = [
    "Algorithm",
    "Library",
    "Programming Language",
    "Organisation",
    "Person",
    "Field",
    "Product",
    "Metric",
    "Task",
    "Dataset",
]


def _slot(label: str) -> int:
    return zlib.crc32(label.encode("utf-8")) % len(BASE_COLORS)


def _rgb(color: str) -> tuple[int, int, int]:
    return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16)


# ------------------------------------------------------------------------------------ base table


def test_base_table_is_large_distinct_and_valid() -> None:
    assert len(BASE_COLORS) >= 32
    assert all(HEX.match(c) for c in BASE_COLORS)
    assert len({c.upper() for c in BASE_COLORS}) == len(BASE_COLORS)
    # no neutral grey in the table: grey means "no label"
    assert NEUTRAL_COLOR.upper() not in {c.upper() for c in BASE_COLORS}


def test_base_table_starts_with_okabe_ito() -> None:
    assert BASE_COLORS[:7] == (
        "#E69F00",
        "#56B4E9",
        "#009E73",
        "#F0E442",
        "#0072B2",
        "#D55E00",
        "#CC79A7",
    )


def _lab(color: str) -> tuple[float, float, float]:
    """sRGB hex -> CIELAB (D65), written out independently of the module under test."""

    def linear(v: int) -> float:
        c = v / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(v) for v in _rgb(color))
    x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883

    def f(t: float) -> float:
        return t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116

    return 116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))


def test_base_colors_are_well_separated() -> None:
    # CIE76 colour difference between every pair of slots (2.3 is "just noticeable")
    closest = min(
        sum((p - q) ** 2 for p, q in zip(_lab(a), _lab(b), strict=True)) ** 0.5
        for a, b in itertools.combinations(BASE_COLORS, 2)
    )
    assert closest > 8


def test_base_colors_have_controlled_lightness() -> None:
    # neither near-black nor near-white: visible on light and dark backgrounds
    for c in BASE_COLORS:
        assert 0.05 < relative_luminance(c) < 0.85, c


# --------------------------------------------------------------------------------------- palette


def test_empty_and_outside_only() -> None:
    assert palette([]) == {}
    assert palette(["O"]) == {}
    assert palette(iter(())) == {}


def test_outside_label_never_in_palette() -> None:
    result = palette(["O", "PER", "O", "LOC", "", None])  # type: ignore[list-item]
    assert set(result) == {"PER", "LOC"}


def test_keys_sorted_and_duplicates_ignored() -> None:
    result = palette(["b", "a", "b", "c", "a"])
    assert list(result) == ["a", "b", "c"]


@pytest.mark.parametrize("seed", range(5))
def test_independent_of_input_order(seed: int) -> None:
    labels = SCIENCE + CONLL + [f"Label{i}" for i in range(20)]
    shuffled = labels[:]
    random.Random(seed).shuffle(shuffled)
    assert palette(shuffled) == palette(labels)
    assert palette(reversed(labels)) == palette(labels)


def test_preferred_slot_is_crc32() -> None:
    for label in SCIENCE + CONLL:
        assert label_color(label) == BASE_COLORS[_slot(label)]
        assert palette([label]) == {label: BASE_COLORS[_slot(label)]}


def test_pinned_colours() -> None:
    # Changing these breaks users' expectations ("Library is always that blue"); the table may only
    # be appended to and the hash must stay crc32.
    assert label_color("Library") == "#4F56B7"
    assert label_color("Algorithm") == "#C399D0"
    assert palette(CONLL) == {
        "LOC": "#AA4499",
        "MISC": "#FFAABB",
        "ORG": "#5F79B0",
        "PER": "#009E73",
    }


def _distinct_slots(candidates: list[str], must: str) -> list[str]:
    chosen, used = [must], {_slot(must)}
    for label in candidates:  # no shared slot, and colours far enough apart to be kept
        far = all(delta_e(BASE_COLORS[_slot(label)], BASE_COLORS[u]) >= colors.MIN_DELTA_E
                  for u in used)
        if _slot(label) not in used and far:
            chosen.append(label)
            used.add(_slot(label))
    return chosen


def test_same_colour_across_label_sets_without_collision() -> None:
    set_a = _distinct_slots(SCIENCE, "Library")
    set_b = _distinct_slots([*CONLL, *(f"Extra{i}" for i in range(8))], "Library")
    assert len(set_a) >= 5 and len(set_b) >= 5
    assert set(set_a) != set(set_b)
    pa, pb = palette(set_a), palette(set_b)
    assert pa["Library"] == pb["Library"] == label_color("Library")
    for label in set_a:
        assert pa[label] == label_color(label)
    for label in set_b:
        assert pb[label] == label_color(label)


def test_collisions_resolved_by_sorted_order_and_linear_probing() -> None:
    # LOC and MISC share a preferred slot; LOC sorts first and keeps it, MISC moves one slot on
    assert _slot("LOC") == _slot("MISC")
    result = palette(["MISC", "LOC"])
    assert result["LOC"] == BASE_COLORS[_slot("LOC")]
    assert result["MISC"] == BASE_COLORS[(_slot("LOC") + 1) % len(BASE_COLORS)]


def test_wraps_around_the_table() -> None:
    n = len(BASE_COLORS)
    last = next(f"w{i}" for i in range(10_000) if _slot(f"w{i}") == n - 1)
    other = next(f"x{i}" for i in range(10_000) if _slot(f"x{i}") == n - 1)
    result = palette([last, other])
    assert result[last] == BASE_COLORS[n - 1]
    assert result[other] == BASE_COLORS[0]


@pytest.mark.parametrize("n", [28, 40])
def test_many_labels_distinct(n: int) -> None:
    labels = [f"Entity{i:02d}" for i in range(n)]
    result = palette(labels)
    assert len(result) == n
    assert len({c.upper() for c in result.values()}) == n
    assert all(HEX.match(c) for c in result.values())


def test_more_labels_than_table_still_distinct_and_deterministic() -> None:
    labels = [f"T{i}" for i in range(len(BASE_COLORS) + 25)]
    result = palette(labels)
    assert len({c.upper() for c in result.values()}) == len(labels)
    assert all(HEX.match(c) for c in result.values())
    assert palette(reversed(labels)) == result


def test_stable_across_processes_with_different_hash_seeds(tmp_path: Path) -> None:
    code = (
        "import json; from bio_explorer.colors import palette; "
        f"print(json.dumps(palette({SCIENCE + CONLL!r})))"
    )
    outputs = []
    for seed in ("1", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p)
        proc = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env=env,
            cwd=tmp_path,
        )
        outputs.append(json.loads(proc.stdout))
    assert outputs[0] == outputs[1] == palette(SCIENCE + CONLL)


# ----------------------------------------------------------------------------------- label_color


def test_label_color_with_labels_matches_palette() -> None:
    labels = ["MISC", "LOC", "PER"]
    for label in labels:
        assert label_color(label, labels) == palette(labels)[label]
    # the label is added to the set when missing
    assert label_color("ORG", labels) == palette([*labels, "ORG"])["ORG"]


def test_label_color_outside_is_neutral() -> None:
    assert label_color("O") == NEUTRAL_COLOR
    assert label_color("O", ["PER"]) == NEUTRAL_COLOR


# ---------------------------------------------------------------------------------- text colours


def test_contrast_ratio_reference_values() -> None:
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast_ratio("#777777", "#777777") == pytest.approx(1.0)
    assert relative_luminance("#fff") == pytest.approx(1.0)
    assert relative_luminance("#000000") == pytest.approx(0.0)


def test_text_color_for_extremes() -> None:
    assert text_color_for("#000000") == "#ffffff"
    assert text_color_for("#ffffff") == "#000000"
    assert text_color_for("#F0E442") == "#000000"  # Okabe–Ito yellow
    assert text_color_for("#0000AA") == "#ffffff"


def test_text_color_contrast_for_all_palette_colours() -> None:
    many = palette([f"L{i}" for i in range(len(BASE_COLORS) + 30)])
    for background in {*BASE_COLORS, *many.values(), NEUTRAL_COLOR}:
        fg = text_color_for(background)
        assert fg in ("#000000", "#ffffff")
        assert contrast_ratio(background, fg) >= 4.5, background


def test_bad_hex_rejected() -> None:
    with pytest.raises(ValueError):
        text_color_for("not a colour")
    with pytest.raises(ValueError):
        relative_luminance("#12345")


# ----------------------------------------------------------------------------------- color_scale


def test_color_scale_matches_palette() -> None:
    labels = ["Person", "O", "Algorithm", "Library", "Algorithm"]
    scale = color_scale(labels).to_dict()
    expected = palette(labels)
    assert scale["domain"] == sorted(expected) == ["Algorithm", "Library", "Person"]
    assert scale["range"] == [expected[k] for k in scale["domain"]]


def test_color_scale_extra_entries_appended() -> None:
    scale = color_scale(["B", "A"], extra={"(none)": NEUTRAL_COLOR}).to_dict()
    assert scale["domain"] == ["A", "B", "(none)"]
    assert scale["range"][-1] == NEUTRAL_COLOR
    assert scale["range"][:2] == list(palette(["A", "B"]).values())


def test_module_has_no_widget_imports() -> None:
    source = Path(colors.__file__).read_text(encoding="utf-8")
    assert "anywidget" not in source and "ipywidgets" not in source


# ------------------------------------------------------------------------- perceptual distance
def test_delta_e_matches_sharma_reference_pairs() -> None:
    # Sharma, Wu & Dalal (2005), pairs 1, 17 and 34
    assert delta_e_lab((50, 2.6772, -79.7751), (50, 0, -82.7485)) == pytest.approx(2.0425, abs=1e-4)
    assert delta_e_lab((50, 2.5, 0), (73, 25, -18)) == pytest.approx(27.1492, abs=1e-4)
    assert delta_e_lab((2.0776, 0.0795, -1.135), (0.9033, -0.0636, -0.5514)) == pytest.approx(
        0.9082, abs=1e-4)
    assert delta_e("#000000", "#FFFFFF") == pytest.approx(100, abs=1e-3)


GUM = ["abstract", "animal", "event", "object", "organization", "person", "place", "plant",
       "quantity", "substance", "time"]


@pytest.mark.parametrize("labels", [GUM, CONLL, [f"T{i}" for i in range(11)],
                                    ["PER", "ORG", "LOC", "MISC", "DATE", "MONEY", "GPE", "NORP",
                                     "EVENT", "LAW", "WORK_OF_ART"]])
def test_up_to_eleven_labels_are_all_20_apart(labels: list[str]) -> None:
    """Issue 16.3: with 11 labels two pale colours were ΔE 9-10 apart."""
    result = list(palette(labels).values())
    worst = min(delta_e(a, b) for i, a in enumerate(result) for b in result[i + 1:])
    assert worst >= colors.MIN_DELTA_E == 20


def test_many_labels_keep_legend_neighbours_20_apart() -> None:
    labels = [f"Entity_{i:02d}" for i in range(27)]
    result = list(palette(labels).values())  # sorted by label: the legend order
    assert min(delta_e(a, b) for a, b in itertools.pairwise(result)) >= 20
