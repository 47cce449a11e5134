"""One colour palette for entity labels, shared by the span view and every chart.

The palette is keyed by *label* (``"Library"``, not ``"B-Library"``).  A label keeps the same
colour across sessions and corpora wherever possible: its preferred slot in :data:`BASE_COLORS`
comes from a stable hash of its name (``zlib.crc32``, never Python's salted :func:`hash`), and
collisions are resolved deterministically by linear probing with the labels processed in sorted
order, so the result does not depend on the order in which labels are given.

``"O"`` (outside any entity) has no colour and is never part of a palette.

Examples
--------
>>> colors = palette(["Library", "Algorithm"])
>>> sorted(colors)
['Algorithm', 'Library']
>>> colors == palette(["Algorithm", "Library", "O"])
True
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # altair is imported lazily: the span view needs colours, not Altair
    import altair as alt

__all__ = [
    "BASE_COLORS",
    "NEUTRAL_COLOR",
    "OUTSIDE_LABEL",
    "color_scale",
    "contrast_ratio",
    "label_color",
    "palette",
    "relative_luminance",
    "text_color_for",
]

#: The label of tokens outside any entity; it has no colour.
OUTSIDE_LABEL = "O"

#: Neutral grey for things without a label colour (``"O"``, a missing label, "whole corpus" bars).
NEUTRAL_COLOR = "#9A9A9A"

# The slot table.  Its order and content are part of the public behaviour: changing them changes the
# colour of labels in users' notebooks, so only ever append.
#
# Entries 0-17 are colour-vision-deficiency friendly qualitative colours: the Okabe–Ito set
# (without black) followed by Paul Tol's "bright", "muted" and "light" schemes, keeping only colours
# whose OKLab lightness lies in [0.45, 0.91] (readable as chart marks on light and on dark
# backgrounds) and which are not near-duplicates of an earlier entry under normal, protan or deutan
# vision.
# Entries 18-39 extend the table with OKLCH colours (lightness 0.50-0.82, chroma 0.09-0.15), each
# chosen greedily to be as far as possible (minimum OKLab distance under normal, protan and deutan
# simulation) from all earlier entries.
BASE_COLORS: tuple[str, ...] = (
    # Okabe–Ito
    "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7",
    # Paul Tol bright
    "#EE6677", "#228833", "#CCBB44", "#66CCEE", "#AA3377",
    # Paul Tol muted
    "#DDCC77", "#999933", "#AA4499",
    # Paul Tol light
    "#FFAABB", "#99DDFF", "#44BB99",
    # greedy, well separated OKLCH extension
    "#8F81E8", "#904D4A", "#6F94C9", "#D89B74", "#A26484", "#5872D2",
    "#4F56B7", "#77601B", "#C399D0", "#53DDD0", "#C34E58", "#EC8A97",
    "#F5B391", "#44A1B1", "#8B3F93", "#6CA359", "#5F79B0", "#B26235",
    "#B2B04F", "#984260", "#DDB2EA", "#D9668E",
)  # fmt: skip

_N_SLOTS = len(BASE_COLORS)
_GOLDEN_ANGLE = 137.50776405003785


def _preferred_slot(label: str) -> int:
    """Return the stable preferred slot of ``label`` in :data:`BASE_COLORS`."""
    return zlib.crc32(label.encode("utf-8")) % _N_SLOTS


def _clean_labels(labels: Iterable[str]) -> list[str]:
    """Return the sorted, de-duplicated labels without ``"O"``, ``None`` or empty strings."""
    return sorted(
        {str(lab) for lab in labels if lab is not None and lab not in ("", OUTSIDE_LABEL)}
    )


def _oklch_to_hex(lightness: float, chroma: float, hue_deg: float) -> str | None:
    """Convert an OKLCH colour to ``#RRGGBB``; return ``None`` when it is outside the sRGB gamut."""
    h = math.radians(hue_deg)
    a, b = chroma * math.cos(h), chroma * math.sin(h)
    l_ = (lightness + 0.3963377774 * a + 0.2158037573 * b) ** 3
    m_ = (lightness - 0.1055613458 * a - 0.0638541728 * b) ** 3
    s_ = (lightness - 0.0894841775 * a - 1.2914855480 * b) ** 3
    rgb_linear = (
        4.0767416621 * l_ - 3.3077115913 * m_ + 0.2309699292 * s_,
        -1.2684380046 * l_ + 2.6097574011 * m_ - 0.3413193965 * s_,
        -0.0041960863 * l_ - 0.7034186147 * m_ + 1.7076147010 * s_,
    )
    if any(c < -1e-6 or c > 1 + 1e-6 for c in rgb_linear):
        return None
    out = []
    for c in rgb_linear:
        c = min(max(c, 0.0), 1.0)
        srgb = 12.92 * c if c <= 0.0031308 else 1.055 * c ** (1 / 2.4) - 0.055
        out.append(round(srgb * 255))
    return "#{:02X}{:02X}{:02X}".format(*out)


def _extra_color(index: int) -> str:
    """Return the ``index``-th overflow colour (used only beyond ``len(BASE_COLORS)`` labels).

    Hue follows the golden angle; lightness (0.50-0.85) and chroma (0.05-0.15) follow additive
    low-discrepancy sequences, so consecutive colours differ and the sequence does not repeat.
    """
    hue = (index * _GOLDEN_ANGLE) % 360.0
    lightness = 0.50 + 0.35 * ((index * 0.7548776662466927) % 1.0)
    chroma = 0.05 + 0.10 * ((index * 0.5698402909980532) % 1.0)
    while chroma > 0.005:
        color = _oklch_to_hex(lightness, chroma, hue)
        if color is not None:
            return color
        chroma -= 0.01
    return _oklch_to_hex(lightness, 0.0, hue) or NEUTRAL_COLOR


#: Smallest CIEDE2000 difference wanted between two colours of one palette.
MIN_DELTA_E = 20.0


def _pick_slot(preferred: int, used: set[int], taken: list[str]) -> int:
    """A free slot for the next label (labels come in sorted order, ``taken[-1]`` is the colour
    of its neighbour in a sorted legend).

    The first free slot from ``preferred`` on (linear probing) whose colour is at least
    :data:`MIN_DELTA_E` from every colour ``taken``; when there is none (many labels), the free
    slot farthest from them among those at least :data:`MIN_DELTA_E` from the legend neighbour.
    """
    from .color_distance import delta_e

    best, best_key = -1, (False, -1.0)
    for k in range(_N_SLOTS):
        slot = (preferred + k) % _N_SLOTS
        if slot in used:
            continue
        color = BASE_COLORS[slot]
        d = min((delta_e(color, c) for c in taken), default=math.inf)
        if d >= MIN_DELTA_E:
            return slot
        key = (delta_e(color, taken[-1]) >= MIN_DELTA_E, d)
        if key > best_key:
            best, best_key = slot, key
    return best


def _closest(colors: list[str]) -> float:
    from .color_distance import delta_e

    return min(delta_e(a, b) for i, a in enumerate(colors) for b in colors[i + 1:])


def _separated_slots() -> tuple[int, ...]:
    """Slots of :data:`BASE_COLORS` pairwise at least :data:`MIN_DELTA_E` apart (greedy, in
    table order): 12 slots."""
    from .color_distance import delta_e

    out: list[int] = []
    for i, color in enumerate(BASE_COLORS):
        if all(delta_e(color, BASE_COLORS[j]) >= MIN_DELTA_E for j in out):
            out.append(i)
    return tuple(out)


_SEPARATED = _separated_slots()


def _separated_palette(names: list[str]) -> dict[str, str]:
    """Colours from :data:`_SEPARATED` only (each label probing from its preferred slot's place
    in that list): used when the hash-preferred colours of a small label set come too close."""
    result: dict[str, str] = {}
    used: set[int] = set()
    for name in names:
        k = _preferred_slot(name) % len(_SEPARATED)
        while _SEPARATED[k] in used:
            k = (k + 1) % len(_SEPARATED)
        used.add(_SEPARATED[k])
        result[name] = BASE_COLORS[_SEPARATED[k]]
    return result


def palette(labels: Iterable[str]) -> dict[str, str]:
    """Return a hex colour for each label, stable across sessions and independent of input order.

    Parameters
    ----------
    labels : Iterable[str]
        Entity labels (``"Library"``, not ``"B-Library"``).  Duplicates are ignored; ``"O"``,
        ``None`` and empty strings are dropped (they have no colour).

    Returns
    -------
    dict[str, str]
        ``{label: "#RRGGBB"}`` with keys in sorted order.  All colours are distinct.  Up to
        ``len(BASE_COLORS)`` (40) labels get colours from the curated table; further labels get
        deterministic, distinct overflow colours.

    Notes
    -----
    Each label's preferred slot is ``zlib.crc32(label) % len(BASE_COLORS)``.  Labels are processed
    in sorted order; a label whose slot is taken, or whose colour is within CIEDE2000
    :data:`MIN_DELTA_E` (20) of a colour already given, moves to the next free slot that is not
    (linear probing; when no slot is far enough, the farthest one).  A label therefore keeps its
    colour across corpora unless it collides with a label that sorts before it.  Up to 12 labels
    are always pairwise at least ΔE 20 apart: when the rule above leaves two closer, the labels
    take colours from the 12 table entries that are (:data:`_SEPARATED`).

    Examples
    --------
    >>> palette([])
    {}
    >>> palette(["O"])
    {}
    >>> len(set(palette([f"L{i}" for i in range(40)]).values()))
    40
    """
    names = _clean_labels(labels)
    result: dict[str, str] = {}
    used_slots: set[int] = set()
    overflow: list[str] = []
    for name in names:
        if len(used_slots) == _N_SLOTS:
            overflow.append(name)
            continue
        slot = _pick_slot(_preferred_slot(name), used_slots, list(result.values()))
        used_slots.add(slot)
        result[name] = BASE_COLORS[slot]
    if 1 < len(result) <= len(_SEPARATED) and _closest(list(result.values())) < MIN_DELTA_E:
        result = _separated_palette(names)
    taken = {c.upper() for c in result.values()}
    index = 0
    for name in overflow:
        color = _extra_color(index)
        index += 1
        while color.upper() in taken:
            if index < 64 * (len(overflow) + 1):
                color = _extra_color(index)
            else:  # practically unreachable: fall back to a hashed RGB value
                color = "#{:06X}".format(zlib.crc32(f"{name}\x00{index}".encode()) & 0xFFFFFF)
            index += 1
        taken.add(color.upper())
        result[name] = color
    return dict(sorted(result.items()))


def label_color(label: str, labels: Iterable[str] | None = None) -> str:
    """Return the colour of one label.

    Parameters
    ----------
    label : str
        The entity label.
    labels : Iterable[str], optional
        All labels shown together with ``label``.  When given, the colour is the one ``label``
        gets in ``palette(labels)`` (``label`` is added if missing), i.e. collisions are resolved
        exactly as in the charts and the span view.  When omitted, the label's preferred colour is
        returned.

    Returns
    -------
    str
        ``"#RRGGBB"``.  ``"O"`` and empty labels get :data:`NEUTRAL_COLOR`.
    """
    if label is None or label in ("", OUTSIDE_LABEL):
        return NEUTRAL_COLOR
    if labels is None:
        return BASE_COLORS[_preferred_slot(label)]
    return palette([*labels, label])[label]


def _channel_to_linear(value: int) -> float:
    c = value / 255.0
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def _parse_hex(color: str) -> tuple[int, int, int]:
    """Parse ``#RGB`` or ``#RRGGBB`` (the ``#`` is optional)."""
    text = color.strip().lstrip("#")
    if len(text) == 3:
        text = "".join(ch * 2 for ch in text)
    if len(text) != 6:
        raise ValueError(f"not a hex colour: {color!r}")
    try:
        return int(text[0:2], 16), int(text[2:4], 16), int(text[4:6], 16)
    except ValueError:
        raise ValueError(f"not a hex colour: {color!r}") from None


def relative_luminance(color: str) -> float:
    """Return the WCAG 2 relative luminance (0 = black, 1 = white) of a hex colour.

    Parameters
    ----------
    color : str
        ``"#RRGGBB"`` or ``"#RGB"``.

    Returns
    -------
    float
    """
    r, g, b = (_channel_to_linear(v) for v in _parse_hex(color))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(color_a: str, color_b: str) -> float:
    """Return the WCAG 2 contrast ratio (1 to 21) between two hex colours.

    Parameters
    ----------
    color_a, color_b : str
        Hex colours.

    Returns
    -------
    float
    """
    la, lb = relative_luminance(color_a), relative_luminance(color_b)
    light, dark = max(la, lb), min(la, lb)
    return (light + 0.05) / (dark + 0.05)


def text_color_for(background: str) -> str:
    """Return ``"#000000"`` or ``"#ffffff"``, whichever contrasts more with ``background``.

    Parameters
    ----------
    background : str
        Hex background colour.

    Returns
    -------
    str
        ``"#000000"`` or ``"#ffffff"``.  For any background the chosen one reaches a WCAG contrast
        ratio of at least 4.58.
    """
    black, white = "#000000", "#ffffff"
    if contrast_ratio(background, black) >= contrast_ratio(background, white):
        return black
    return white


def color_scale(labels: Iterable[str], *, extra: Mapping[str, str] | None = None) -> alt.Scale:
    """Return the Altair colour scale that maps labels to their palette colours.

    Every chart uses this scale so that charts and the span view agree exactly.

    Parameters
    ----------
    labels : Iterable[str]
        Labels that may appear in the chart (``"O"`` is dropped).
    extra : Mapping[str, str], optional
        Additional ``{value: colour}`` entries appended after the labels, e.g. a neutral grey for
        "no label".

    Returns
    -------
    alt.Scale
        ``domain`` = sorted labels (then the ``extra`` keys), ``range`` = their colours.
    """
    import altair as alt

    colors = palette(labels)
    domain = list(colors)
    rng = list(colors.values())
    for key, value in (extra or {}).items():
        if key not in colors:
            domain.append(key)
            rng.append(value)
    return alt.Scale(domain=domain, range=rng)
