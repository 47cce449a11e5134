"""Chart view (js/src/chart_view.js): an Altair spec rendered by the bundled vega-embed, offline."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

alt = pytest.importorskip("altair")
expect = pytest.importorskip("playwright.sync_api").expect


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
    expect(harness.locator("#chart svg .mark-rect path")).to_have_count(3)
    expect(harness.locator("#chart canvas")).to_have_count(0)  # svg renderer
    expect(harness.locator("#chart .vega-actions")).to_have_count(0)  # actions off
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
    expect(harness.locator("#chart svg")).to_have_count(1)  # the previous view is gone
    harness.evaluate("bxHarness.unmountChart()")
    expect(harness.locator("#chart svg")).to_have_count(0)


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


# --------------------------------------------------------------------------------------------------
# Real bio_explorer.charts specs: layout when the element is attached late, and selections set
# from Python. Data: the stackoverflow_ner dev file from ../shared/corpora.


@pytest.fixture(scope="module")
def so_dev(shared_corpora):
    bx = pytest.importorskip("bio_explorer")
    return bx.read(shared_corpora / "stackoverflow_ner" / "dev.txt")


def _approx(a, b, tol=1.5):
    return abs(a - b) <= tol


def _svg_width(page):
    return page.evaluate("bxHarness.chartWidths().svgAttr")


def _opacities(page, prefix_js):
    """{aria-label: opacity attribute} for the mark paths whose aria-label passes ``prefix_js``."""
    return page.evaluate(
        f"""() => Object.fromEntries(
              [...document.querySelectorAll('#chart svg .role-mark path')]
                .filter(p => p.hasAttribute('opacity')
                             && ({prefix_js})(p.getAttribute('aria-label')))
                .map(p => [p.getAttribute('aria-label'), p.getAttribute('opacity')]))"""
    )


@pytest.mark.parametrize("builder", ["label_chart", "anomaly_chart"])
def test_container_width_chart_waits_for_attachment_then_follows_resizes(
    harness, so_dev, builder, page_info
):
    charts = pytest.importorskip("bio_explorer.charts")
    spec = getattr(charts, builder)(so_dev).to_dict()
    assert spec["width"] == "container"
    harness.evaluate(
        "s => bxHarness.mountChart(s, {detached: true, width: '640px'})", spec
    )
    harness.wait_for_timeout(300)
    # not embedded while detached: measuring now would give a 0 px plot
    assert harness.evaluate("bxHarness.chartHolder().isConnected") is False
    assert harness.evaluate("bxHarness.chartHolder().querySelectorAll('svg').length") == 0
    harness.evaluate("bxHarness.attachChart()")
    harness.wait_for_selector("#chart-holder svg .mark-rect path")
    widths = harness.evaluate("bxHarness.chartWidths('.mark-rect path')")
    assert _approx(widths["svgAttr"], 640)
    assert widths["marks"] and min(widths["marks"]) > 0

    if builder == "label_chart":
        # bar lengths are proportional to the span counts (independent: Corpus.spans)
        spans = so_dev.spans
        per_label = spans.group_by("label").len().sort("label")
        counts = dict(zip(per_label["label"].to_list(), per_label["len"].to_list(), strict=True))
        drawn = harness.evaluate(
            """() => Object.fromEntries([...document.querySelectorAll(
                 '#chart svg .mark-rect path')].map(p => [
                   /; label: ([^;]+);/.exec(p.getAttribute('aria-label'))[1],
                   p.getBoundingClientRect().width]))"""
        )
        assert set(drawn) == set(counts)
        top = max(counts, key=counts.get)
        for label, w in drawn.items():
            assert _approx(w / drawn[top] * counts[top], counts[label], 0.05 * counts[top])

    # the container shrinks, then grows: the plot follows (debounced ResizeObserver)
    before = max(widths["marks"])
    harness.evaluate("bxHarness.resizeChart('420px')")
    harness.wait_for_function("Math.abs(bxHarness.chartWidths().svgAttr - 420) <= 1.5")
    narrow = harness.evaluate("bxHarness.chartWidths('.mark-rect path')")
    assert 0 < max(narrow["marks"]) < before
    harness.evaluate("bxHarness.resizeChart('900px')")
    harness.wait_for_function("Math.abs(bxHarness.chartWidths().svgAttr - 900) <= 1.5")
    wide = harness.evaluate("bxHarness.chartWidths('.mark-rect path')")
    assert max(wide["marks"]) > before
    assert harness.evaluate("bxHarness.chartSaves()") == []
    assert page_info.errors == []


def test_hidden_container_keeps_last_layout(harness, so_dev):
    charts = pytest.importorskip("bio_explorer.charts")
    harness.evaluate(
        "s => bxHarness.mountChart(s, {width: '500px'})", charts.label_chart(so_dev).to_dict()
    )
    harness.wait_for_selector("#chart-holder svg .mark-rect path")
    assert _approx(_svg_width(harness), 500)
    harness.evaluate("bxHarness.chartHolder().style.display = 'none'")  # e.g. a hidden tab
    harness.wait_for_timeout(300)
    assert _approx(_svg_width(harness), 500)  # not squashed to 0
    harness.evaluate("bxHarness.chartHolder().style.display = ''")
    harness.evaluate("bxHarness.resizeChart('700px')")
    harness.wait_for_function("Math.abs(bxHarness.chartWidths().svgAttr - 700) <= 1.5")


def test_fixed_width_chart_embeds_once_attached(harness, so_dev):
    charts = pytest.importorskip("bio_explorer.charts")
    spec = charts.transition_chart(so_dev).to_dict()
    assert isinstance(spec["width"], int)
    harness.evaluate("s => bxHarness.mountChart(s, {detached: true})", spec)
    harness.wait_for_timeout(200)
    assert harness.evaluate("bxHarness.chartHolder().querySelectorAll('svg').length") == 0
    harness.evaluate("bxHarness.attachChart()")
    harness.wait_for_selector("#chart-holder svg .mark-rect path")
    harness.evaluate("bxHarness.resizeChart('300px')")  # a fixed width does not follow
    harness.wait_for_timeout(250)
    assert harness.evaluate("bxHarness.chartWidths().svgAttr") > spec["width"]


def test_cleanup_while_waiting_never_embeds(harness):
    out = harness.evaluate(
        """async (spec) => {
             const mod = await import('/bio_explorer/static/chart_view.js');
             const fake = bxHarness.createFakeModel({_spec: spec, selection: []}, () => {});
             const el = document.createElement('div');
             el.style.width = '500px';
             const cleanup = mod.default.render({model: fake.model, el});
             cleanup();
             document.getElementById('chart').append(el);
             await new Promise(r => setTimeout(r, 400));
             const n = el.querySelectorAll('svg').length, kids = el.children.length;
             el.remove();
             return {svg: n, children: kids, listeners: fake.listenerCount()};
           }""",
        bar_spec(),
    )
    assert out == {"svg": 0, "children": 0, "listeners": 0}


def _label_opacity(page):
    return _opacities(page, "a => a && a.includes('; label: ')")


def _label_of(aria):
    return aria.split("; label: ")[1].split(";")[0]


def test_python_selection_is_shown_on_label_chart_without_echo(harness, so_dev):
    charts = pytest.importorskip("bio_explorer.charts")
    spec = charts.label_chart(so_dev).to_dict()
    dim = str(spec["layer"][0]["encoding"]["opacity"]["value"])  # the builder's dimmed opacity
    mount_chart(harness, spec)
    labels = sorted(so_dev.spans["label"].unique().to_list())
    assert "Library" in labels
    assert set(_label_opacity(harness).values()) == {"1"}  # nothing selected: nothing dimmed

    harness.evaluate("bxHarness.chartSet('selection', [{label: 'Library'}])")
    harness.wait_for_function(
        "[...document.querySelectorAll('#chart svg .mark-rect path')]"
        ".filter(p => p.getAttribute('opacity') === '1').length === 1"
    )
    shown = {_label_of(k): v for k, v in _label_opacity(harness).items()}
    assert shown == {label: "1" if label == "Library" else dim for label in labels}
    harness.wait_for_timeout(300)  # past the 150 ms debounce
    assert harness.evaluate("bxHarness.chartSaves()") == []
    assert harness.evaluate("bxHarness.chartGet('selection')") == [{"label": "Library"}]

    # several rows; a row naming an unknown field is ignored, not echoed "corrected"
    two = [{"label": labels[0]}, {"label": labels[1]}, {"nope": 1}]
    harness.evaluate("s => bxHarness.chartSet('selection', s)", two)
    harness.wait_for_function(
        "[...document.querySelectorAll('#chart svg .mark-rect path')]"
        ".filter(p => p.getAttribute('opacity') === '1').length === 2"
    )
    shown = {_label_of(k): v for k, v in _label_opacity(harness).items()}
    assert {k for k, v in shown.items() if v == "1"} == set(labels[:2])
    harness.wait_for_timeout(300)
    assert harness.evaluate("bxHarness.chartSaves()") == []

    # the store holds what a click writes: shift-clicking a Python-selected bar toggles it off
    bar_of = "#chart svg .mark-rect path[aria-label*='; label: {};']"
    harness.locator(bar_of.format(labels[0])).click(modifiers=["Shift"])
    harness.wait_for_function("bxHarness.chartSaves().length === 1")
    assert harness.evaluate("bxHarness.chartGet('selection')") == [{"label": labels[1]}]
    # a plain click replaces the Python selection
    harness.locator(bar_of.format("Library")).click()
    harness.wait_for_function("bxHarness.chartSaves().length === 2")
    assert harness.evaluate("bxHarness.chartGet('selection')") == [{"label": "Library"}]

    # Python clears it: everything opaque again, nothing written
    harness.evaluate("bxHarness.chartSet('selection', [])")
    harness.wait_for_function(
        "[...document.querySelectorAll('#chart svg .mark-rect path')]"
        ".every(p => p.getAttribute('opacity') === '1')"
    )
    harness.wait_for_timeout(300)
    assert len(harness.evaluate("bxHarness.chartSaves()")) == 2


def _cell(tag, prev):
    return f"Tag: {tag}; Previous tag: {prev};"


def test_python_selection_is_shown_on_transition_chart_without_echo(harness, so_dev):
    charts = pytest.importorskip("bio_explorer.charts")
    import polars as pl

    spec = charts.transition_chart(so_dev).to_dict()
    dim = str(spec["layer"][0]["encoding"]["opacity"]["value"])
    trans = so_dev.transitions()
    invalid = trans.filter(~pl.col("valid") & (pl.col("prev_tag") == "O"))
    assert invalid.height > 0  # the dev file has invalid I- tags after O
    prev, tag = invalid["prev_tag"][0], invalid["tag"][0]
    assert tag.startswith("I-")
    mount_chart(harness, spec)
    heat = "a => a && a.startsWith('Tag: ')"
    cells = _opacities(harness, heat)
    assert _cell(tag, prev) in "".join(cells)
    # key order differs from the spec's field order on purpose
    harness.evaluate(
        "s => bxHarness.chartSet('selection', s)", [{"tag": tag, "prev_tag": prev}]
    )
    harness.wait_for_function(
        f"[...document.querySelectorAll('#chart svg .role-mark path')]"
        f".filter(p => p.getAttribute('opacity') === '{dim}').length === {len(cells) - 1}"
    )
    shown = _opacities(harness, heat)
    opaque = [k for k, v in shown.items() if v == "1"]
    assert len(opaque) == 1 and opaque[0].startswith(_cell(tag, prev))
    assert set(shown.values()) == {"1", dim}
    harness.wait_for_timeout(300)
    assert harness.evaluate("bxHarness.chartSaves()") == []

    # a real click on another cell still reports (and replaces the Python selection)
    other = trans.filter(pl.col("valid")).sort("count", descending=True).row(0, named=True)
    harness.locator(
        f"#chart svg .role-mark path[aria-label^='{_cell(other['tag'], other['prev_tag'])}']"
    ).first.click()
    harness.wait_for_function("bxHarness.chartSaves().length === 1")
    assert harness.evaluate("bxHarness.chartGet('selection')") == [
        {"prev_tag": other["prev_tag"], "tag": other["tag"]}
    ]


def test_initial_selection_is_shown_and_survives_a_new_spec(harness):
    harness.evaluate(
        "s => bxHarness.mountChart(s, {selection: [{label: 'Algorithm'}]})", bar_spec()
    )
    harness.wait_for_function(
        "document.querySelector(\"#chart svg path[aria-label^='label: Algorithm;']\")"
        "?.getAttribute('opacity') === '1' && document.querySelector("
        "\"#chart svg path[aria-label^='label: Library;']\")?.getAttribute('opacity') === '0.4'"
    )
    spec = bar_spec()
    spec["data"] = {"values": [{"label": "Algorithm", "count": 2}, {"label": "Person", "count": 4}]}
    harness.evaluate("s => bxHarness.chartSet('_spec', s)", spec)
    harness.wait_for_function(
        "document.querySelector(\"#chart svg path[aria-label^='label: Person;']\")"
        "?.getAttribute('opacity') === '0.4'"
    )
    assert harness.evaluate(
        "document.querySelector(\"#chart svg path[aria-label^='label: Algorithm;']\")"
        ".getAttribute('opacity')"
    ) == "1"
    harness.wait_for_timeout(300)
    assert harness.evaluate("bxHarness.chartSaves()") == []


def test_selection_helpers(harness):
    out = harness.evaluate(
        """async () => {
             const m = await import('/js/src/selection.js');
             const vg = {signals: [
               {name: 'select_tuple_fields', value: [{field: 'prev_tag', channel: 'y', type: 'E'},
                                                     {field: 'tag', channel: 'x', type: 'E'}]}],
               marks: [{type: 'group', signals: [{name: 'select_tuple', on: [{events: [],
                 update: 'datum ? {unit: "view_1", fields: select_tuple_fields, values: [1]} : null'
               }]}]}]};
             const t = m.selectionTarget(vg, 'select');
             return {
               target: t,
               none: m.selectionTarget({signals: []}, 'select'),
               tuples: m.tuplesFromRows([{tag: 'I-X', prev_tag: 'O'}, {tag: 'B-X'}, {x: 1},
                                         {prev_tag: 'O', tag: 'I-X'}], t),
               same: m.sameRows([{a: 1, b: 2}, {a: 3}], [{a: 3}, {b: 2, a: 1}]),
               differ: m.sameRows([{a: 1}], [{a: 2}]),
             };
           }"""
    )
    assert out["target"] == {
        "unit": "view_1",
        "fields": [
            {"field": "prev_tag", "channel": "y", "type": "E"},
            {"field": "tag", "channel": "x", "type": "E"},
        ],
    }
    assert out["none"] is None
    assert out["tuples"] == [
        {"unit": "view_1", "fields": out["target"]["fields"], "values": ["O", "I-X"]},
        {"unit": "view_1", "fields": [{"field": "tag", "channel": "x", "type": "E"}],
         "values": ["B-X"]},
    ]
    assert out["same"] is True and out["differ"] is False


def test_click_on_the_selected_bar_deselects_it(harness, page_info):
    """Issue 16.6: clicking the one selected bar again clears the selection (and the filter)."""
    mount_chart(harness, bar_spec())
    bar(harness, "Algorithm").click()
    harness.wait_for_function("bxHarness.chartGet('selection').length === 1")
    bar(harness, "Algorithm").click()
    harness.wait_for_function("bxHarness.chartGet('selection').length === 0")
    saves = harness.evaluate("bxHarness.chartSaves()")
    assert saves[-1] == {"name": "selection", "value": []}
    # all bars shown unselected again, and a new click selects as usual
    bar(harness, "Library").click()
    harness.wait_for_function("bxHarness.chartGet('selection').length === 1")
    assert harness.evaluate("bxHarness.chartGet('selection')") == [{"label": "Library"}]
    # with two selected, a plain click on one of them selects just that one (no deselect)
    bar(harness, "Algorithm").click(modifiers=["Shift"])
    harness.wait_for_function("bxHarness.chartGet('selection').length === 2")
    bar(harness, "Algorithm").click()
    harness.wait_for_function("bxHarness.chartGet('selection').length === 1")
    harness.wait_for_timeout(300)
    assert harness.evaluate("bxHarness.chartGet('selection')") == [{"label": "Algorithm"}]
    assert page_info.errors == []
