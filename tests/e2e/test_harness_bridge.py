"""The built front end (tests/browser/harness.html) wired to the REAL Python Explorer.

The harness's fake model forwards every custom message to Python through ``page.expose_function``;
Python's replies and trait changes go back with ``bxHarness.receive`` / ``bxHarness.set``, and what
the front end saves (``bxHarness.saves`` / ``chartSaves()``) is applied to the Python widgets, as
the Jupyter comm would.  Corpus: ../shared/corpora/stackoverflow_ner/test.txt.
"""

from __future__ import annotations

import pytest

import bio_explorer as bx
from bio_explorer.explorer import Explorer

expect = pytest.importorskip("playwright.sync_api").expect
pytestmark = [pytest.mark.e2e, pytest.mark.browser]

SYNCED = ("query", "total_sentences", "matching_sentences", "page_size", "_labels",
          "_anomaly_kinds", "_sources", "_data_version", "_selection", "_status")


class Bridge:
    """Plays the Jupyter comm between the harness page and the Python widgets."""

    def __init__(self, page, explorer: Explorer) -> None:
        self.page, self.ex, self.view = page, explorer, explorer.span_view
        self.replies: list[dict] = []
        self.changes: list[tuple[str, object]] = []
        self.saves_seen = 0
        self.chart_saves_seen = 0
        self.view.send = lambda msg, buffers=None: self.replies.append(msg)
        self.view.observe(lambda ch: self.changes.append((ch["name"], ch["new"])), names=SYNCED)
        page.expose_function("bxPython", self._from_js)

    def _from_js(self, msg: dict) -> dict:
        with self.view._drain.hold():  # answer synchronously inside the callback
            self.view.handle_request(msg, [])
        return self._outbox()

    def _outbox(self) -> dict:
        replies, self.replies = self.replies, []
        traits, self.changes = self.changes, []
        return {"replies": replies, "traits": [[n, v] for n, v in traits]}

    def mount(self) -> None:
        traits = {name: getattr(self.view, name) for name in SYNCED}
        self.page.evaluate(
            """t => bxHarness.mount(t, (msg, h) => window.bxPython(msg).then(r => {
                   for (const [n, v] of r.traits) h.set(n, v);
                   for (const m of r.replies) h.receive(m);
               }))""",
            traits,
        )

    def mount_chart(self, name: str) -> None:
        # not awaited by evaluate(): with an exposed function on the page, chromium garbage
        # collects the promise of the module import ("Resulting promise was garbage collected")
        self.page.evaluate(
            """s => { window.bxMounted = null;
                      bxHarness.mountChart(s).then(() => { window.bxMounted = "ok"; },
                                                   e => { window.bxMounted = String(e); }); }""",
            self.ex.charts[name].spec,
        )
        self.page.wait_for_function("window.bxMounted !== null")
        assert self.page.evaluate("window.bxMounted") == "ok"
        self.page.locator("#chart svg .mark-rect path, #chart svg path").first.wait_for()
        self.chart_saves_seen = 0

    def pump(self, chart: str | None = None) -> None:
        """Apply what the front end saved to Python, then push Python's changes back."""
        saves = self.page.evaluate("bxHarness.saves")
        for s in saves[self.saves_seen:]:
            setattr(self.view, s["name"], s["value"])
        self.saves_seen = len(saves)
        if chart is not None:
            csaves = self.page.evaluate("bxHarness.chartSaves()")
            for s in csaves[self.chart_saves_seen:]:
                if s["name"] == "selection":
                    self.ex.charts[chart].selection = s["value"]
            self.chart_saves_seen = len(csaves)
        self.ex.flush()
        out = self._outbox()
        self.page.evaluate(
            """o => { for (const [n, v] of o.traits) bxHarness.set(n, v);
                      for (const m of o.replies) bxHarness.receive(m); }""",
            out,
        )


@pytest.fixture
def bridge(e2e_page, repo_server, shared_corpora):
    corpus = bx.read(shared_corpora / "stackoverflow_ner" / "test.txt")
    ex = Explorer(corpus)
    page = e2e_page
    page.set_default_timeout(20_000)
    page.goto(f"{repo_server}/tests/browser/harness.html")
    page.wait_for_function("window.bxHarness !== undefined")
    b = Bridge(page, ex)
    b.mount()
    page.locator("#app .bx-row").first.wait_for()
    return b


def _rows_all_have(page, selector: str) -> bool:
    return page.evaluate(
        """sel => { const rows = [...document.querySelectorAll('#app .bx-row')];
                    return rows.length > 0 && rows.every(r => r.querySelector(sel)); }""",
        selector,
    )


def test_label_bar_click_filters_real_span_view(bridge):
    page, ex = bridge.page, bridge.ex
    label = "Library"
    bridge.mount_chart("labels")
    bar = page.locator(f"#chart svg .mark-rect path[aria-label*='Label: {label};']").first
    bar.click()
    page.wait_for_function("bxHarness.chartSaves().some(s => s.name === 'selection')")
    bridge.pump(chart="labels")
    assert ex.span_view.query == {"labels": [label]}
    want = len(ex.corpus.filter(labels=[label]))
    page.wait_for_function(
        "n => document.querySelectorAll('#app .bx-row').length === Math.min(n, 50)", arg=want
    )
    assert _rows_all_have(page, f".bx-span[data-label='{label}']")
    assert page.evaluate("bxHarness.get('query')") == {"labels": [label]}
    assert page.evaluate("bxHarness.get('matching_sentences')") == want
    assert page.bx_blocked == []


def test_invalid_transition_cell_click(bridge):
    page, ex = bridge.page, bridge.ex
    bad = ex.corpus.transitions().filter(~ex.corpus.transitions()["valid"])
    prev, tag = bad["prev_tag"][0], bad["tag"][0]
    bridge.mount_chart("transitions")
    cell = page.locator(
        f"#chart svg .mark-rect path[aria-label*='{prev}'][aria-label*='{tag}']"
    ).first
    cell.click()
    page.wait_for_function("bxHarness.chartSaves().some(s => s.name === 'selection')")
    bridge.pump(chart="transitions")
    assert ex.span_view.query == {"transition": [prev, tag]}
    page.wait_for_function("document.querySelectorAll('#app .bx-row').length === 1")
    # every shown sentence contains the transition, and its tokens are highlighted
    shown = page.evaluate(
        "() => [...document.querySelectorAll('#app .bx-row')]"
        ".map(r => Number(r.dataset.sentence))"
    )
    tok = ex.corpus.tokens
    for sid in shown:
        tags = tok.filter(tok["sentence"] == sid)["tag"].cast(str).to_list()
        pairs = list(zip(["<s>", *tags], tags, strict=False))
        assert (prev, tag) in pairs
    expect(page.locator("#app .bx-tok.bx-hl").first).to_be_visible()
