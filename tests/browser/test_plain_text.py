"""Issue 16.8: a "Plain text" display: WikiANN-style ``en:`` prefixes hidden, punctuation attached.

The corpus is written in WikiANN's format (every token carries ``en:``); the real ``SpanView`` is
bridged into the page.  Tokens stay as read (filters, edits and ``corpus.tokens`` are unchanged).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

import bio_explorer as bx

pytestmark = pytest.mark.browser

WIKIANN = """en:Paris B-LOC
en:is O
en:the O
en:capital O
en:of O
en:France B-LOC
en:( O
en:Europe B-LOC
en:) O
en:. O

en:John B-PER
en:Smith I-PER
en:'s O
en:car O
en:, O
en:he O
en:said O
en:. O
"""


def test_plain_text_hides_prefix_and_joins_punctuation(tmp_path, connect_widget):
    path = tmp_path / "wikiann_en.txt"
    path.write_text(WIKIANN, encoding="utf-8")
    c = bx.read(path)
    view = bx.SpanView(c, journal=False)
    assert view._token_prefix == "en:"
    page = connect_widget(view)
    first = page.locator("#app .bx-row[data-sentence='0'] .bx-toks")
    # (each span box starts with its label chip: "LOC" before "en:Paris")
    expect(first).to_have_text("LOCen:Paris en:is en:the en:capital en:of LOCen:France en:( "
                               "LOCen:Europe en:) en:.")
    button = page.get_by_role("button", name="Plain text")
    expect(button).to_have_attribute("title", lambda_re("“en:” prefix"))
    button.click()
    expect(button).to_have_attribute("aria-pressed", "true")
    expect(first).to_have_text("LOCParis is the capital of LOCFrance (LOCEurope).")
    second = page.locator("#app .bx-row[data-sentence='1'] .bx-toks")
    expect(second).to_have_text("PERJohn Smith's car, he said.")
    assert c.tokens["token"][0] == "en:Paris"  # display only
    button.click()
    expect(first).to_contain_text("en:Paris")


def lambda_re(text):
    import re

    return re.compile(re.escape(text))
