"""Notebook 7 smoke test: ``jupyter notebook`` runs examples/quickstart.ipynb; the Explorer works.

Opens ``/notebooks/quickstart.ipynb``, runs all cells through ``window.jupyterapp`` (the server
runs with ``--JupyterNotebookApp.expose_app_in_browser=True``), waits for the span view and the
label chart's SVG marks, clicks a label chip and checks the DOM and the kernel's query.  Expected
sentence ids come from the bundled sample's spans, computed here.  Saves
``test-artifacts/notebook7.png``."""

from __future__ import annotations

import polars as pl
import pytest
from lab_helpers import kernel_value, open_and_run_all, screenshot, wait_kernel

import bio_explorer as bx

expect = pytest.importorskip("playwright.sync_api").expect
pytestmark = [pytest.mark.e2e, pytest.mark.browser]

LABEL = "Library"


def test_quickstart_in_notebook7(notebook_server, e2e_page, artifacts):
    base, token, _root = notebook_server
    sample = bx.sample()
    total = sample.sentences.height
    want = sample.spans.filter(pl.col("label") == LABEL)["sentence"].unique().sort().to_list()
    assert 0 < len(want) < total

    page = e2e_page
    page.set_default_timeout(60_000)
    try:
        open_and_run_all(page, f"{base}/notebooks/quickstart.ipynb?token={token}")
        assert page.evaluate("() => document.body.dataset.notebook") == "notebooks"  # Notebook 7
        view = page.locator(".bx-spanview").first
        page.wait_for_function(
            "n => document.querySelectorAll('.bx-spanview .bx-row').length === n", arg=total)
        labels_chart = page.locator(".bx-chartview").first
        labels_chart.locator("svg g.mark-rect path").first.wait_for()  # the label chart drew bars
        # at least one bar per label
        expect(labels_chart.locator("svg g.mark-rect path").nth(len(sample.labels()) - 1)
               ).to_be_attached()
        assert kernel_value(page, "view.query") == {}

        view.locator(f".bx-lchip[data-label='{LABEL}']").click()
        wait_kernel(page, "view.query", {"labels": [LABEL]})
        page.wait_for_function(
            "ids => { const r = [...document.querySelectorAll('.bx-spanview .bx-row')];"
            " return r.length === ids.length"
            " && r.every((x, i) => Number(x.dataset.sentence) === ids[i]); }",
            arg=want,
        )
        no_label = page.evaluate(
            "l => [...document.querySelectorAll('.bx-spanview .bx-row')]"
            ".filter(r => !r.querySelector(`.bx-span[data-label='${l}']`)).length", LABEL)
        assert no_label == 0
        assert not page.bx_blocked, page.bx_blocked
    finally:
        screenshot(page, artifacts / "notebook7.png")
