"""Chart view (js/src/chart_view.js): an Altair spec rendered by the bundled vega-embed, offline."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

alt = pytest.importorskip("altair")


def bar_spec():
    data = alt.Data(
        values=[
            {"label": "Library", "count": 12},
            {"label": "Algorithm", "count": 7},
            {"label": "Application", "count": 3},
        ]
    )
    select = alt.selection_point(name="select", fields=["label"])
    chart = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X("label:N"),
            y=alt.Y("count:Q"),
            opacity=alt.condition(select, alt.value(1.0), alt.value(0.4)),
        )
        .add_params(select)
    )
    return chart.to_dict()


def transition_spec():
    data = alt.Data(
        values=[
            {"prev_tag": "O", "tag": "B-Library", "count": 12},
            {"prev_tag": "O", "tag": "I-Library", "count": 2},
            {"prev_tag": "B-Library", "tag": "I-Library", "count": 5},
        ]
    )
    select = alt.selection_point(name="select", fields=["prev_tag", "tag"])
    return (
        alt.Chart(data)
        .mark_rect()
        .encode(x="tag:N", y="prev_tag:N", color="count:Q")
        .add_params(select)
        .to_dict()
    )


def mount_chart(page, spec):
    page.evaluate("s => bxHarness.mountChart(s)", spec)
    page.wait_for_selector("#chart svg .mark-rect path")


def bar(page, label):
    return page.locator(f"#chart svg .mark-rect path[aria-label^='label: {label};']")


def test_spec_is_vega_lite_v6():
    assert "/v6" in bar_spec()["$schema"]


def test_bar_chart_renders_svg_marks_and_click_selects(harness, page_info):
    mount_chart(harness, bar_spec())
    assert harness.locator("#chart svg .mark-rect path").count() == 3
    assert harness.locator("#chart canvas").count() == 0  # svg renderer
    assert harness.locator("#chart .vega-actions").count() == 0  # actions off
    bar(harness, "Algorithm").click()
    harness.wait_for_function("bxHarness.chartGet('selection').length === 1")
    assert harness.evaluate("bxHarness.chartGet('selection')") == [{"label": "Algorithm"}]
    # shift-click adds (Vega-Lite toggle)
    bar(harness, "Library").click(modifiers=["Shift"])
    harness.wait_for_function("bxHarness.chartGet('selection').length === 2")
    assert harness.evaluate("bxHarness.chartGet('selection')") == [
        {"label": "Algorithm"},
        {"label": "Library"},
    ]
    # plain click replaces
    bar(harness, "Application").click()
    harness.wait_for_function("bxHarness.chartGet('selection').length === 1")
    assert harness.evaluate("bxHarness.chartGet('selection')") == [{"label": "Application"}]
    assert page_info.blocked == []
    assert page_info.errors == []


def test_selection_writes_are_debounced_and_not_echoed(harness):
    mount_chart(harness, bar_spec())
    # two clicks in the same task: well inside the debounce window however loaded the machine is
    harness.evaluate(
        """() => { for (const l of ['Algorithm', 'Library']) {
                     const p = document.querySelector(
                       `#chart svg .mark-rect path[aria-label^='label: ${l};']`);
                     const r = p.getBoundingClientRect();
                     const o = {bubbles: true, cancelable: true,
                                clientX: r.x + r.width / 2, clientY: r.y + r.height / 2,
                                view: window, pointerId: 1, isPrimary: true};
                     for (const t of ['pointerdown', 'mousedown', 'pointerup', 'mouseup'])
                       p.dispatchEvent(
                         new (t.startsWith('pointer') ? PointerEvent : MouseEvent)(t, o));
                     p.dispatchEvent(new MouseEvent('click', o));
                   } }"""
    )
    harness.wait_for_function("bxHarness.chartGet('selection').length === 1")
    harness.wait_for_timeout(400)
    saves = harness.evaluate("bxHarness.chartSaves()")
    assert saves == [
        {"name": "selection", "value": [{"label": "Library"}]}
    ]  # one write for the burst
    # Python clears the selection: the chart clears its highlight but writes nothing back
    harness.evaluate("bxHarness.chartSet('selection', [])")
    harness.wait_for_timeout(400)
    assert harness.evaluate("bxHarness.chartSaves()") == saves
    assert harness.evaluate("bxHarness.chartGet('selection')") == []
    # Python sets a selection: not echoed either
    harness.evaluate("bxHarness.chartSet('selection', [{label: 'Library'}])")
    harness.wait_for_timeout(300)
    assert harness.evaluate("bxHarness.chartSaves()") == saves


def test_multi_field_point_selection(harness):
    mount_chart(harness, transition_spec())
    cell = harness.locator("#chart svg .mark-rect path[aria-label*='prev_tag: B-Library']")
    cell.click()
    harness.wait_for_function("bxHarness.chartGet('selection').length === 1")
    assert harness.evaluate("bxHarness.chartGet('selection')") == [
        {"prev_tag": "B-Library", "tag": "I-Library"}
    ]


def test_new_spec_reembeds_and_cleanup_finalizes(harness):
    mount_chart(harness, bar_spec())
    spec = bar_spec()
    spec["datasets"] = spec.get("datasets", {})
    spec["data"] = {"values": [{"label": "Person", "count": 4}]}
    harness.evaluate("s => bxHarness.chartSet('_spec', s)", spec)
    harness.wait_for_function(
        "document.querySelectorAll('#chart svg .mark-rect path').length === 1"
    )
    assert harness.locator("#chart svg").count() == 1  # the previous view is gone
    harness.evaluate("bxHarness.unmountChart()")
    assert harness.locator("#chart svg").count() == 0


def test_selection_signal_shapes(harness):
    """The signal-value fallback handles the shapes Vega-Lite uses for point selections."""
    out = harness.evaluate(
        """async () => {
             const m = await import('/js/src/selection.js');
             return {
               projected: m.rowsFromSignal({prev_tag: ['O', 'B-X'], tag: ['I-X', 'I-X']}),
               vlPoint: m.rowsFromSignal({vlPoint: {or: [{label: 'Library'}, {label: 'Person'}]},
                                         label: ['Library', 'Person']}),
               empty: m.rowsFromSignal({}),
               nul: m.rowsFromSignal(null),
               store: m.rowsFromStore(
                 [{fields: [{field: 'label', channel: 'x', type: 'E'}], values: ['Library']}]),
               vgsidOnly: m.rowsFromStore(
                 [{unit: '', fields: [{field: '_vgsid_', type: 'E'}], values: [3]}]),
             };
           }"""
    )
    assert out["projected"] == [{"prev_tag": "O", "tag": "I-X"}, {"prev_tag": "B-X", "tag": "I-X"}]
    assert out["vlPoint"] == [{"label": "Library"}, {"label": "Person"}]
    assert out["empty"] == [] and out["nul"] == []
    assert out["store"] == [{"label": "Library"}]
    assert out["vgsidOnly"] == []
