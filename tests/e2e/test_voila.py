"""Voila smoke test: ``voila`` serves examples/quickstart.ipynb and the page shows the Explorer."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.browser]
expect = pytest.importorskip("playwright.sync_api").expect


def test_voila_serves_the_explorer(voila_server, e2e_page, artifacts):
    base, _log = voila_server
    page = e2e_page
    page.set_default_timeout(90_000)
    page.goto(f"{base}/")
    page.locator(".bx-spanview .bx-row").first.wait_for()
    page.locator(".bx-explorer svg .mark-rect path").first.wait_for()  # a chart drew its bars
    # the bundled sample has 20 sentences
    expect(page.locator(".bx-spanview .bx-row")).to_have_count(20)
    expect(page.locator(".bx-spanview .bx-span").first).to_be_visible()
    page.screenshot(path=str(artifacts / "voila_quickstart.png"), full_page=True)
    assert not page.bx_errors, page.bx_errors
