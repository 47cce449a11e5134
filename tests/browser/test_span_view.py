"""Span view (js/src/span_view.js) in a real Chromium, through tests/browser/harness.html.

The harness mounts the built bundle with a fake anywidget model; its default `send` handler is a
generated fake backend speaking the protocol of docs/ARCHITECTURE.md ("manual" mode: nothing
answers, the test delivers replies with bxHarness.receive).
"""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.browser
sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

LIBRARY = "#4e79a7"


def mount(page, traits=None, mode="fake", **opts):
    page.evaluate("([t, m, o]) => bxHarness.mount(t, m, o)", [traits or {}, mode, opts])


def sent(page, kind=None, op=None):
    msgs = page.evaluate("bxHarness.sent")
    return [
        m for m in msgs if (kind is None or m["kind"] == kind) and (op is None or m.get("op") == op)
    ]


def wait_rows(page):
    page.wait_for_selector("#app .bx-row")


def sentence_ids(page):
    return page.eval_on_selector_all(
        "#app .bx-row", "rows => rows.map(r => Number(r.getAttribute('data-sentence')))"
    )


def expect_ids(page, ids):
    """Wait until the rows shown are the sentences ``ids``, in order."""
    rows = page.locator("#app .bx-row")
    expect(rows).to_have_count(len(ids))
    for i, sid in enumerate(ids):
        expect(rows.nth(i)).to_have_attribute("data-sentence", str(sid))


_CANON = """([name, want]) => {
  const canon = (x) => JSON.stringify(x, (k, v) => v && typeof v === 'object' && !Array.isArray(v)
    ? Object.fromEntries(Object.entries(v).sort()) : v);
  return canon(bxHarness.get(name) ?? null) === canon(want);
}"""


def expect_model(page, name, want, timeout=10_000):
    """Wait until the fake model's trait ``name`` equals ``want`` (then assert, for the diff)."""
    try:
        page.wait_for_function(_CANON, arg=[name, want], timeout=timeout)
    except sync_api.TimeoutError:
        pass
    assert page.evaluate("n => bxHarness.get(n) ?? null", name) == want


def page_reply(id_, sentences, offset=0, total=None):
    return {
        "kind": "page",
        "id": id_,
        "offset": offset,
        "limit": 50,
        "total": len(sentences) if total is None else total,
        "sentences": sentences,
    }


def sentence(n, tokens, spans=(), tags=None, **extra):
    return {
        "sentence": n,
        "source": "train.txt",
        "line": 10 * n + 1,
        "doc": 0,
        "tokens": list(tokens),
        "tags": tags or ["O"] * len(tokens),
        "spans": [list(s) for s in spans],
        "anomalies": [],
        "highlight": [],
        "edited": [],
        **extra,
    }


LABELS = [
    {"label": "Library", "color": LIBRARY, "count": 1},
    {"label": "Architecture", "color": "#edc948", "count": 0},
]


# ---- render
def test_first_page_is_requested_by_the_view(harness, page_info):
    mount(harness, mode="manual")
    reqs = sent(harness, "page")
    assert len(reqs) == 1
    req = reqs[0]
    assert req["offset"] == 0 and req["limit"] == 50 and req["query"] == {}
    assert isinstance(req["id"], str) and req["id"]
    assert page_info.blocked == []


def test_spans_render_with_label_colour_and_chip(harness, page_info):
    mount(harness, {"_labels": LABELS}, mode="manual")
    rid = sent(harness, "page")[0]["id"]
    s = sentence(
        3,
        ["PyTorch", "is", "a", "transformer", "library"],
        spans=[(0, 1, "Library"), (3, 4, "Architecture")],
        tags=["B-Library", "O", "O", "B-Architecture", "O"],
    )
    harness.evaluate("m => bxHarness.receive(m)", page_reply(rid, [s]))
    span = harness.locator("#app .bx-span[data-label='Library']")
    expect(span).to_have_count(1)
    expect(span.locator(".bx-chip")).to_have_text("Library")
    expect(span.locator(".bx-tok")).to_have_text("PyTorch")
    style = span.evaluate(
        """el => { const cs = getComputedStyle(el);
                   const chip = getComputedStyle(el.querySelector('.bx-chip'));
                   return {border: cs.borderTopColor, bg: cs.backgroundColor,
                           chipBg: chip.backgroundColor,
                           chipFg: chip.color}; }"""
    )
    assert style["border"] == "rgb(78, 121, 167)"
    assert style["chipBg"] == "rgb(78, 121, 167)"
    assert style["bg"].startswith("rgba(78, 121, 167, 0.1")  # translucent fill of the label colour
    assert style["chipFg"] == "rgb(255, 255, 255)"  # dark blue chip -> white text
    # a light label colour gets dark chip text
    yellow_fg = harness.eval_on_selector(
        "#app .bx-span[data-label='Architecture'] .bx-chip", "el => getComputedStyle(el).color"
    )
    assert yellow_fg == "rgb(17, 17, 17)"
    # gutter: sentence number and source:line
    expect(harness.locator("#app .bx-row .bx-num")).to_have_text("#3")
    expect(harness.locator("#app .bx-row .bx-src")).to_have_text("train.txt:31")
    # untagged tokens are plain tokens outside any span box
    expect(harness.locator("#app .bx-toks > .bx-tok")).to_have_text(["is", "a", "library"])
    assert page_info.blocked == []


def test_anomaly_highlight_and_edited_marks(harness):
    mount(harness, {"_labels": LABELS}, mode="manual")
    rid = sent(harness, "page")[0]["id"]
    s = sentence(
        0,
        ["PyTorch", "is", "great"],
        spans=[(0, 1, "Library")],
        anomalies=[[2, 3, "invalid_transition", None, "I-Library follows O"]],
        highlight=[1],
        edited=[0],
    )
    harness.evaluate("m => bxHarness.receive(m)", page_reply(rid, [s]))
    anom = harness.locator("#app .bx-tok.bx-anom")
    expect(anom).to_have_count(1)
    expect(anom).to_have_text("great")
    expect(anom).to_have_attribute("title", re.compile("I-Library follows O"))
    expect(anom).to_have_attribute("aria-describedby", re.compile(".+"))
    desc_id = anom.get_attribute("aria-describedby")
    expect(harness.locator(f"[id='{desc_id}']")).to_contain_text("I-Library follows O")
    expect(harness.locator("#app .bx-tok.bx-hl")).to_have_text("is")
    expect(harness.locator("#app .bx-tok.bx-edited")).to_have_count(1)
    # focusing the anomaly shows the tooltip element with the detail
    harness.click("#app .bx-row")
    anom.focus()
    tip = harness.locator("#app .bx-tip")
    expect(tip).to_be_visible()
    expect(tip).to_contain_text("I-Library follows O")


def test_tags_toggle_shows_raw_tags(harness):
    mount(harness, {"_labels": LABELS}, mode="manual")
    rid = sent(harness, "page")[0]["id"]
    s = sentence(
        0, ["New", "York", "rocks"], spans=[(0, 2, "Library")], tags=["B-Library", "I-Library", "O"]
    )
    harness.evaluate("m => bxHarness.receive(m)", page_reply(rid, [s]))
    expect(harness.locator("#app .bx-row")).to_have_count(1)
    expect(harness.locator("#app .bx-tag")).to_have_count(0)
    harness.click("#app button:has-text('Tags')")
    expect(harness.locator("#app .bx-tag")).to_have_text(["B-Library", "I-Library", "O"])


# ---- filters
def test_label_chip_click_requests_filtered_page_and_sets_query(harness, page_info):
    mount(harness)
    wait_rows(harness)
    before = len(sent(harness, "page"))
    harness.click("#app .bx-lchip[data-label='Library']")
    harness.wait_for_function(f"bxHarness.sent.filter(m => m.kind === 'page').length > {before}")
    req = sent(harness, "page")[-1]
    assert req["query"] == {"labels": ["Library"]}
    assert req["offset"] == 0
    assert harness.evaluate("bxHarness.get('query')") == {"labels": ["Library"]}
    assert {"name": "query", "value": {"labels": ["Library"]}} in harness.evaluate(
        "bxHarness.saves"
    )
    # the page now shows only sentences with a Library span, and the chip is pressed
    harness.wait_for_function(
        """() => [...document.querySelectorAll('#app .bx-row')].every(
              r => r.querySelector(".bx-span[data-label='Library']"))"""
    )
    chip = harness.locator("#app .bx-lchip[data-label='Library']")
    expect(chip).to_have_attribute("aria-pressed", "true")
    # clicking again removes the condition (a new, empty query object)
    chip.click()
    harness.wait_for_function("Object.keys(bxHarness.get('query')).length === 0")
    assert page_info.blocked == []


def test_matching_count_and_clear(harness):
    mount(harness)
    wait_rows(harness)
    expect(harness.locator("#app .bx-count-line")).to_have_text("1,234 of 1,234 sentences")
    harness.click("#app .bx-lchip[data-label='Person']")
    harness.wait_for_function(
        "document.querySelector('#app .bx-count-line').textContent.startsWith('1,234') === false"
    )
    harness.click("#app button:has-text('Clear')")
    harness.wait_for_function("Object.keys(bxHarness.get('query')).length === 0")
    assert sent(harness, "page")[-1]["query"] == {}


def test_search_box_is_debounced_and_writes_text(harness):
    mount(harness)
    wait_rows(harness)
    before = len(sent(harness, "page"))
    # five keystrokes in one task (well inside the 40 ms debounce, however loaded the machine is)
    harness.evaluate(
        """() => { const s = document.querySelector('#app .bx-search'); s.focus();
                   for (const v of ['t', 'to', 'tor', 'torc', 'torch']) {
                     s.value = v; s.dispatchEvent(new Event('input', {bubbles: true})); } }"""
    )
    assert len(sent(harness, "page")) == before  # nothing sent while typing
    harness.wait_for_function("bxHarness.get('query').text === 'torch'")
    harness.wait_for_timeout(300)
    reqs = sent(harness, "page")[before:]
    assert len(reqs) == 1, reqs  # one request for the whole word, not one per key
    assert reqs[0]["query"] == {"text": "torch"}
    # toggles
    harness.click("#app button[aria-label='Regular expression']")
    harness.wait_for_function("bxHarness.get('query').regex === true")
    harness.click("#app button[data-where='span']")
    harness.wait_for_function("bxHarness.get('query').where === 'span'")
    assert sent(harness, "page")[-1]["query"] == {"text": "torch", "regex": True, "where": "span"}


def test_anomaly_and_source_filters(harness):
    mount(harness)
    wait_rows(harness)
    harness.select_option("#app select[aria-label='Source file']", "dev.txt")
    harness.wait_for_function(
        "JSON.stringify(bxHarness.get('query')) === JSON.stringify({source: ['dev.txt']})"
    )
    src = harness.locator("#app .bx-src-name")
    expect(src.first).to_have_text("dev.txt")
    expect(src.filter(has_not_text="dev.txt")).to_have_count(0)
    harness.click("#app button.bx-dropdown")
    harness.click("#app .bx-pop-anom label:has-text('invalid_transition')")
    harness.wait_for_function(
        "(bxHarness.get('query').anomaly || []).includes('invalid_transition')"
    )
    assert sent(harness, "page")[-1]["query"] == {
        "source": ["dev.txt"],
        "anomaly": ["invalid_transition"],
    }


def test_source_select_hidden_with_one_source(harness):
    mount(harness, {"_sources": ["only.txt"]})
    wait_rows(harness)
    expect(harness.locator("#app select[aria-label='Source file']")).to_be_hidden()


# ---- protocol
def test_stale_reply_is_dropped(harness):
    mount(harness, mode="manual")
    first = sent(harness, "page")[0]["id"]
    harness.evaluate("bxHarness.set('query', {labels: ['Library']})")  # Python changes the filter
    harness.wait_for_function("bxHarness.sent.filter(m => m.kind === 'page').length === 2")
    second = sent(harness, "page")[1]
    assert second["id"] != first and second["query"] == {"labels": ["Library"]}
    newest = page_reply(second["id"], [sentence(7, ["newest"])])
    stale = page_reply(first, [sentence(1, ["stale"])])
    # the newest reply first, then the stale one: the stale one must not overwrite it
    harness.evaluate("m => bxHarness.receive(m)", newest)
    expect_ids(harness, [7])
    harness.evaluate("m => bxHarness.receive(m)", stale)
    # a reply to an id never sent is dropped too
    harness.evaluate("m => bxHarness.receive(m)", page_reply("bogus", [sentence(9, ["x"])]))
    # then a marker reply to the newest id: once it shows, the two above were handled (and
    # dropped) before it
    harness.evaluate("m => bxHarness.receive(m)", page_reply(second["id"], [sentence(8, ["m"])]))
    expect_ids(harness, [8])


def test_stale_reply_arriving_first_is_not_shown(harness):
    mount(harness, mode="manual")
    first = sent(harness, "page")[0]["id"]
    harness.click("#app button[data-where='span']")
    harness.wait_for_function("bxHarness.sent.filter(m => m.kind === 'page').length === 2")
    second = sent(harness, "page")[1]["id"]
    harness.evaluate("m => bxHarness.receive(m)", page_reply(first, [sentence(1, ["stale"])]))
    harness.evaluate("m => bxHarness.receive(m)", page_reply(second, [sentence(2, ["fresh"])]))
    expect_ids(harness, [2])
    expect(harness.locator("#app .bx-row[data-sentence='1']")).to_have_count(0)


def test_error_reply_is_shown(harness):
    mount(harness, mode="manual")
    rid = sent(harness, "page")[0]["id"]
    bar = harness.locator("#app [role='alert']")
    expect(bar).to_be_hidden()
    harness.evaluate(
        "m => bxHarness.receive(m)",
        {"kind": "error", "id": rid, "message": "regex parse error: unclosed group"},
    )
    expect(bar).to_be_visible()
    expect(bar).to_contain_text("regex parse error: unclosed group")
    # a later successful page for the latest request clears a page error
    harness.evaluate("m => bxHarness.receive(m)", page_reply(rid, [sentence(0, ["ok"])]))
    expect(bar).to_be_hidden()


def test_regex_error_from_backend_is_shown(harness):
    mount(harness)
    wait_rows(harness)
    harness.click("#app button[aria-label='Regular expression']")
    harness.fill("#app .bx-search", "(unclosed")
    harness.press("#app .bx-search", "Enter")
    bar = harness.locator("#app .bx-error")
    expect(bar).to_be_visible()
    expect(bar).to_contain_text(re.compile(r"\(unclosed|group", re.IGNORECASE))


def test_data_version_bump_rerequests_current_page(harness):
    mount(harness)
    wait_rows(harness)
    harness.click("#app button[aria-label='Next page']")
    harness.wait_for_function(
        "document.querySelector('#app .bx-position').textContent.includes('51')"
    )
    n = len(sent(harness, "page"))
    harness.evaluate("bxHarness.set('_data_version', 99)")
    harness.wait_for_function(f"bxHarness.sent.filter(m => m.kind === 'page').length === {n + 1}")
    assert sent(harness, "page")[-1]["offset"] == 50


def test_paging_prev_next(harness):
    mount(harness)
    wait_rows(harness)
    pos = harness.locator("#app .bx-position")
    expect(pos).to_have_text("sentences 1–50 of 1,234")
    expect(harness.locator("#app button[aria-label='Previous page']")).to_be_disabled()
    harness.click("#app button[aria-label='Next page']")
    harness.wait_for_function(
        "document.querySelector('#app .bx-position').textContent === 'sentences 51–100 of 1,234'"
    )
    assert sent(harness, "page")[-1]["offset"] == 50
    expect(harness.locator("#app .bx-row").first).to_have_attribute("data-sentence", "50")
    harness.click("#app button[aria-label='Previous page']")
    harness.wait_for_function(
        "document.querySelector('#app .bx-position').textContent === 'sentences 1–50 of 1,234'"
    )


# ---- untrusted text
XSS = ["<img src=x onerror=alert(1)>", "</div><script>window.__pwned=1</script>", "{{x}}"]


def test_untrusted_text_renders_as_text(harness, page_info):
    mount(harness, mode="manual")
    rid = sent(harness, "page")[0]["id"]
    long_token = "x" * 10_000
    tokens = [*XSS, long_token, "end"]
    s = sentence(
        0,
        tokens,
        spans=[(0, 1, "<b>Lib</b>")],
        anomalies=[[1, 2, "<i>kind</i>", "<u>L</u>", "<img src=y onerror=alert(2)>"]],
        source="<img src=z onerror=alert(3)>.txt",
    )
    harness.evaluate("m => bxHarness.receive(m)", page_reply(rid, [s]))
    harness.evaluate(
        "m => bxHarness.receive(m)",
        {
            "kind": "error",
            "id": "e1",
            "message": "<img src=w onerror=alert(4)><script>window.__pwned=2</script>",
        },
    )
    harness.evaluate(
        "() => bxHarness.set('_labels', [{label: '<svg onload=alert(5)>', "
        "color: 'red;background:url(//evil)', count: 1}])"
    )
    expect(harness.locator(".bx-row .bx-tok")).to_have_text(tokens)
    expect(harness.locator(".bx-chip").first).to_have_text("<b>Lib</b>")
    expect(harness.locator(".bx-src")).to_have_text("<img src=z onerror=alert(3)>.txt:1")
    expect(harness.locator(".bx-error-text")).to_contain_text("<img src=w onerror=alert(4)>")
    expect(harness.locator(".bx-lchip-name").first).to_have_text("<svg onload=alert(5)>")
    counts = harness.evaluate(
        """() => ({img: document.querySelectorAll('#app img').length,
                   script: document.querySelectorAll('#app script').length,
                   svg: document.querySelectorAll('#app svg').length,
                   b: document.querySelectorAll('#app b, #app i, #app u').length})"""
    )
    assert counts == {"img": 0, "script": 0, "svg": 0, "b": 0}
    assert harness.evaluate("window.__pwned") is None
    # the long token wraps inside the row instead of overflowing the widget
    overflow = harness.evaluate(
        """() => { const rows = document.querySelector('#app .bx-rows');
                   const tok = [...rows.querySelectorAll('.bx-tok')]
                     .find(t => t.textContent.length === 10000);
                   return {rowsOver: rows.scrollWidth - rows.clientWidth,
                           tokRight: tok.getBoundingClientRect().right,
                           rowsRight: rows.getBoundingClientRect().right,
                           height: tok.getBoundingClientRect().height}; }"""
    )
    assert overflow["rowsOver"] <= 0
    assert overflow["tokRight"] <= overflow["rowsRight"] + 1
    assert overflow["height"] < 200  # clamped to a few lines
    assert page_info.dialogs == []
    assert page_info.errors == []
    assert page_info.blocked == []


# ---- keyboard
def test_slash_focuses_search_only_inside_widget(harness):
    mount(harness)
    wait_rows(harness)
    # focus outside the widget: '/' is not stolen
    harness.evaluate("document.activeElement && document.activeElement.blur()")
    search = harness.locator("#app .bx-search")
    harness.keyboard.press("/")
    expect(search).not_to_be_focused()
    harness.click("#app .bx-row[data-index='2'] .bx-gutter")
    harness.keyboard.press("/")
    expect(search).to_be_focused()
    expect(search).to_have_value("")  # the '/' was not typed into the box


def test_j_k_move_active_sentence(harness):
    mount(harness)
    wait_rows(harness)
    third = int(harness.locator("#app .bx-row[data-index='2']").get_attribute("data-sentence"))
    harness.click("#app .bx-row[data-index='2'] .bx-gutter")
    active = harness.locator("#app .bx-row.bx-active")
    expect(active).to_have_attribute("data-index", "2")
    harness.keyboard.press("j")
    expect(active).to_have_attribute("data-index", "3")
    expect(harness.locator("#app .bx-row[data-index='3']")).to_be_focused()  # focus ring
    harness.keyboard.press("k")
    harness.keyboard.press("k")
    expect(active).to_have_attribute("data-index", "1")
    # clicking a sentence sets _selection with null start/end (j / k move only the focus)
    expect_model(harness, "_selection", {"sentence": third, "start": None, "end": None})
    harness.keyboard.press("Escape")
    expect_model(harness, "_selection", None)


def test_j_past_last_row_loads_next_page(harness):
    mount(harness, {"page_size": 3})
    wait_rows(harness)
    harness.click("#app .bx-row[data-index='2'] .bx-gutter")
    harness.keyboard.press("j")
    harness.wait_for_function(
        "document.querySelector('#app .bx-position').textContent.startsWith('sentences 4–6')"
    )
    assert sent(harness, "page")[-1]["offset"] == 3


def test_tab_reaches_controls_with_visible_focus(harness):
    mount(harness)
    wait_rows(harness)
    harness.focus("#app .bx-search")
    seen = []
    for _ in range(40):
        harness.keyboard.press("Tab")
        info = harness.evaluate(
            """() => { const a = document.activeElement; const cs = getComputedStyle(a);
                       return {cls: a.className, tag: a.tagName,
                               outline: cs.outlineStyle, width: cs.outlineWidth,
                               inside: !!a.closest('#app')}; }"""
        )
        if not info["inside"]:
            break
        seen.append(info)
        assert info["outline"] != "none" and info["width"] != "0px", info
    classes = " ".join(i["cls"] for i in seen)
    for needed in ("bx-lchip", "bx-row", "bx-span"):
        assert needed in classes, classes


# ---- edits
def first_span(page):
    return page.locator("#app .bx-row .bx-span").first


def test_click_span_opens_menu_and_relabel_sends_edit(harness, page_info):
    mount(harness)
    wait_rows(harness)
    span = first_span(harness)
    label = span.get_attribute("data-label")
    start, end = int(span.get_attribute("data-start")), int(span.get_attribute("data-end"))
    sent_id = int(span.evaluate("el => el.closest('.bx-row').dataset.sentence"))
    span.click()
    menu = harness.locator("#app .bx-pop-span")
    menu.wait_for(state="visible")
    expect_model(harness, "_selection", {"sentence": sent_id, "start": start, "end": end})
    items = menu.locator("[role='menuitemradio']")
    names = items.evaluate_all("xs => xs.map(x => x.textContent)")
    target = next(
        n for n in ("Library", "Person", "Algorithm") if not n.startswith(label) and n != label
    )
    menu.locator(f"[role='menuitemradio']:has-text('{target}')").click()
    harness.wait_for_function("bxHarness.sent.some(m => m.kind === 'edit' && m.op === 'relabel')")
    edit = sent(harness, "edit", "relabel")[0]
    assert {k: edit[k] for k in ("sentence", "start", "end", "label")} == {
        "sentence": sent_id,
        "start": start,
        "end": end,
        "label": target,
    }
    assert isinstance(edit["id"], str) and edit["id"]
    assert len(names) >= 2
    expect(menu).to_be_hidden()
    # Python bumps _data_version -> the view re-requests and shows the new label;
    # the header counts the edit
    harness.wait_for_function(
        f"""() => document.querySelector(
                  "#app .bx-row[data-sentence='{sent_id}'] .bx-span[data-start='{start}']")
                  ?.dataset.label === {target!r}"""
    )
    expect(harness.locator("#app .bx-unsaved")).to_have_text("1 unsaved edit")
    expect(harness.locator("#app .bx-status")).to_have_text(re.compile("^Relabelled"))
    assert page_info.blocked == []


def test_digit_key_picks_label_and_delete_key(harness):
    mount(harness)
    wait_rows(harness)
    first_label = harness.evaluate("bxHarness.get('_labels')[0].label")
    span = harness.locator(f"#app .bx-span:not([data-label='{first_label}'])").first
    sid = int(span.evaluate("el => el.closest('.bx-row').dataset.sentence"))
    start = int(span.get_attribute("data-start"))
    span.click()
    harness.locator("#app .bx-pop-span").wait_for(state="visible")
    harness.keyboard.press("1")
    harness.wait_for_function("bxHarness.sent.some(m => m.kind === 'edit')")
    edit = sent(harness, "edit")[0]
    assert (edit["op"], edit["sentence"], edit["start"], edit["label"]) == (
        "relabel",
        sid,
        start,
        first_label,
    )
    harness.wait_for_function("bxHarness.get('_data_version') >= 1")
    first_span(harness).click()
    harness.locator("#app .bx-pop-span").wait_for(state="visible")
    harness.keyboard.press("Delete")
    harness.wait_for_function("bxHarness.sent.some(m => m.kind === 'edit' && m.op === 'delete')")
    d = sent(harness, "edit", "delete")[0]
    assert set(d) == {"kind", "id", "op", "sentence", "start", "view"}
    # the page on screen, so that the reply can carry its rows (see test_relabel_glitches.py)
    shown = harness.evaluate("[...document.querySelectorAll('#app .bx-row')]"
                             ".map(r => Number(r.dataset.sentence))")
    assert d["view"]["sentences"] == shown and d["view"]["offset"] == 0


def test_resize_and_apply_all(harness):
    mount(harness)
    wait_rows(harness)
    # a span with more than one token can shrink
    multi = harness.locator("#app .bx-span").filter(has=harness.locator(".bx-tok >> nth=1")).first
    start, end = int(multi.get_attribute("data-start")), int(multi.get_attribute("data-end"))
    multi.click()
    harness.click("#app .bx-pop-span button[aria-label='Shrink: drop the last token']")
    harness.wait_for_function("bxHarness.sent.some(m => m.op === 'resize')")
    r = sent(harness, "edit", "resize")[0]
    assert (r["start"], r["new_start"], r["new_end"]) == (start, start, end - 1)
    harness.wait_for_function("bxHarness.get('_data_version') >= 1")
    # apply to all: preview first, then relabel_all
    span = first_span(harness)
    text = span.evaluate(
        "el => [...el.querySelectorAll('.bx-tok')].map(t => t.textContent).join(' ')"
    )
    # the menu item shows N = the payload's span_counts entry for this span
    n = harness.evaluate(
        """t => bxHarness.backend.corpus.flatMap(s => s.spans.map(([a, b]) => s.tokens.slice(a, b)
             .join(' '))).filter(x => x === t).length""",
        text,
    )
    span.click()
    item = harness.locator("#app .bx-pop-span .bx-mi-applyall")
    want = (f"Apply to all {n:,} occurrences of this text…" if n > 1
            else "Only tagged occurrence — find untagged ones…")
    expect(item).to_have_text(want)
    expect(item).to_have_attribute("data-count", str(n))
    item.click()
    harness.wait_for_selector("#app .bx-ptable")
    p = sent(harness, "edit", "preview_all")[0]
    assert set(p) == {"kind", "id", "op", "sentence", "start", "end", "label"}
    harness.select_option("#app .bx-pop select", "Person")
    harness.wait_for_function("bxHarness.sent.filter(m => m.op === 'preview_all').length === 2")
    harness.wait_for_selector("#app .bx-pop button.bx-primary:not([disabled])")
    harness.click("#app .bx-pop button.bx-primary")
    harness.wait_for_function("bxHarness.sent.some(m => m.op === 'relabel_all')")
    ra = sent(harness, "edit", "relabel_all")[0]
    assert ra["text"] == text and ra["to_label"] == "Person" and ra["from_label"] is None
    assert ra["include_untagged"] in (True, False)


def test_apply_all_item_shows_count_from_payload(harness):
    mount(harness, mode="manual", sentences=5)
    rid = sent(harness, "page")[0]["id"]
    s = sentence(0, ["Torch", "and", "NumPy", "and", "Keras"],
                 spans=[(0, 1, "Library"), (2, 3, "Library"), (4, 5, "Library")],
                 span_counts=[12345, 1, 2])
    old = sentence(1, ["Torch"], spans=[(0, 1, "Library")])  # a payload without span_counts
    harness.evaluate("m => bxHarness.receive(m)", page_reply(rid, [s, old]))
    item = harness.locator("#app .bx-pop-span .bx-mi-applyall")

    def open_menu(sentence_id, start, want):
        harness.keyboard.press("Escape")
        expect(harness.locator("#app .bx-pop-span")).to_be_hidden()
        harness.click(f"#app .bx-row[data-sentence='{sentence_id}'] .bx-span[data-start='{start}']")
        expect(item).to_be_visible()
        expect(item).to_have_text(want)

    open_menu(0, 0, "Apply to all 12,345 occurrences of this text…")
    expect(item).to_have_attribute("title", re.compile("12,345 spans"))
    open_menu(0, 4, "Apply to all 2 occurrences of this text…")
    # the only span with its text: still enabled (the preview can tag untagged occurrences)
    open_menu(0, 2, "Only tagged occurrence — find untagged ones…")
    expect(item).to_be_enabled()
    item.click()
    harness.wait_for_function("bxHarness.sent.some(m => m.op === 'preview_all')")
    assert sent(harness, "edit", "preview_all")[0]["start"] == 2
    open_menu(1, 0, "Apply to all occurrences of this text…")  # no count: no N
    expect(item).not_to_have_attribute("data-count", re.compile(".*"))


def test_shift_click_range_adds_span(harness):
    mount(harness, mode="manual", sentences=5)
    rid = sent(harness, "page")[0]["id"]
    s = sentence(0, ["the", "Torch", "library", "rocks"], spans=[(3, 4, "Library")])
    harness.evaluate("m => bxHarness.receive(m)", page_reply(rid, [s]))
    harness.click("#app .bx-tok[data-pos='1']")
    harness.click("#app .bx-tok[data-pos='2']", modifiers=["Shift"])
    menu = harness.locator("#app .bx-pop-add")
    menu.wait_for(state="visible")
    expect(menu).to_contain_text("Torch library")
    menu.locator("[role='menuitemradio']:has-text('Library')").click()
    harness.wait_for_function("bxHarness.sent.some(m => m.op === 'add')")
    a = sent(harness, "edit", "add")[0]
    assert {k: a[k] for k in ("sentence", "start", "end", "label")} == {
        "sentence": 0,
        "start": 1,
        "end": 3,
        "label": "Library",
    }


def test_drag_over_tokens_adds_span(harness):
    mount(harness, mode="manual", sentences=5)
    rid = sent(harness, "page")[0]["id"]
    s = sentence(0, ["the", "Torch", "library", "rocks"])
    harness.evaluate("m => bxHarness.receive(m)", page_reply(rid, [s]))
    b0 = harness.locator("#app .bx-tok[data-pos='0']").bounding_box()
    b2 = harness.locator("#app .bx-tok[data-pos='2']").bounding_box()
    harness.mouse.move(b0["x"] + 2, b0["y"] + b0["height"] / 2)
    harness.mouse.down()
    harness.mouse.move(b2["x"] + b2["width"] / 2, b2["y"] + b2["height"] / 2, steps=5)
    harness.mouse.up()
    harness.locator("#app .bx-pop-add").wait_for(state="visible")
    harness.keyboard.press("1")
    harness.wait_for_function("bxHarness.sent.some(m => m.op === 'add')")
    a = sent(harness, "edit", "add")[0]
    assert (a["start"], a["end"]) == (0, 3)


def test_undo_redo_shortcuts_and_buttons(harness):
    mount(harness)
    wait_rows(harness)
    expect(harness.locator("#app button[aria-label='Undo']")).to_be_disabled()
    # make an edit so that _status.can_undo becomes true
    first_span(harness).click()
    harness.locator("#app .bx-pop-span").wait_for(state="visible")
    harness.keyboard.press("Delete")
    harness.wait_for_function("bxHarness.get('_status').can_undo === true")
    harness.click("#app .bx-row[data-index='0'] .bx-gutter")
    harness.keyboard.press("Control+z")
    harness.wait_for_function("bxHarness.sent.some(m => m.op === 'undo')")
    assert set(sent(harness, "edit", "undo")[0]) - {"view"} == {"kind", "id", "op"}
    harness.wait_for_function("bxHarness.get('_status').can_redo === true")
    harness.keyboard.press("Control+Shift+z")
    harness.wait_for_function("bxHarness.sent.some(m => m.op === 'redo')")
    harness.wait_for_function("bxHarness.get('_status').can_undo === true")
    # Ctrl+Z inside the search box is the text field's own undo, not a corpus undo
    n = len(sent(harness, "edit", "undo"))
    harness.focus("#app .bx-search")
    harness.keyboard.press("Control+z")
    harness.wait_for_timeout(50)
    assert len(sent(harness, "edit", "undo")) == n
    harness.click("#app button:has-text('Save')")
    harness.wait_for_function("bxHarness.sent.some(m => m.op === 'save')")
    harness.wait_for_function(
        "document.querySelector('#app .bx-unsaved').textContent === 'No unsaved edits'"
    )


def test_edit_error_reply_is_shown(harness):
    mount(harness, mode="manual")
    rid = sent(harness, "page")[0]["id"]
    s = sentence(0, ["PyTorch", "rocks"], spans=[(0, 1, "Library")])
    harness.evaluate("m => bxHarness.receive(m)", page_reply(rid, [s]))
    harness.click("#app .bx-span")
    harness.keyboard.press("Delete")
    harness.wait_for_function("bxHarness.sent.some(m => m.op === 'delete')")
    d = sent(harness, "edit", "delete")[0]
    harness.evaluate(
        "m => bxHarness.receive(m)",
        {"kind": "edit", "id": d["id"], "ok": False, "message": "span moved"},
    )
    bar = harness.locator("#app .bx-error")
    expect(bar).to_be_visible()
    expect(bar).to_contain_text("span moved")


# ---- lifecycle, theme, timing
def test_cleanup_removes_listeners(harness):
    mount(harness)
    wait_rows(harness)
    assert harness.evaluate("bxHarness.listenerCount()") > 0
    harness.evaluate("bxHarness.unmount()")
    # unmount() drops the model too; re-check through a fresh fake model kept by the test
    n = harness.evaluate(
        """async () => {
             const { createFakeModel } = await import('/tests/browser/harness.js');
             const view = (await import('/bio_explorer/static/span_view.js')).default;
             const fm = createFakeModel(
               {query: {}, page_size: 5, _labels: [], _status: {}}, () => {});
             const el = document.createElement('div'); document.body.append(el);
             const cleanup = view.render({model: fm.model, el});
             const during = fm.listenerCount();
             cleanup();
             return {during, after: fm.listenerCount(), children: el.children.length};
           }"""
    )
    assert n["during"] > 0 and n["after"] == 0 and n["children"] == 0


def test_dark_theme_follows_jp_variables_and_color_scheme(harness):
    mount(harness)
    wait_rows(harness)
    view = harness.locator("#app .bx-spanview")
    expect(view).to_have_css("background-color", "rgb(255, 255, 255)")
    harness.evaluate("document.getElementById('wrap').classList.add('dark')")
    # --jp-layout-color0 of the dark wrapper
    expect(view).to_have_css("background-color", "rgb(17, 17, 17)")
    harness.evaluate("document.getElementById('wrap').classList.remove('dark')")
    harness.emulate_media(color_scheme="dark")
    # no --jp-*: the built-in dark fallback
    expect(view).to_have_css("background-color", "rgb(22, 24, 29)")


def test_render_time_is_measured(harness):
    mount(harness)
    wait_rows(harness)
    stats = harness.evaluate("bxHarness.measureRender(50, 9)")
    assert stats["median"] > 0
    expect(harness.locator("#app .bx-row")).to_have_count(50)
    print(
        f"\nrender of a 50-sentence page: median {stats['median']:.2f} ms (min {stats['min']:.2f})"
    )
