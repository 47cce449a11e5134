"""Issue 6 in JupyterLab: "apply to all occurrences" from a span's menu, then Save.

The notebook explores a temp COPY of ``stackoverflow_ner/test.txt`` (never the shared file),
filtered to the sentences mentioning "Arduino": 7 occurrences, 4 labelled ``Device`` and 3 not
(``Application`` / ``Language``).  The test clicks a ``Device`` "Arduino" span, opens "Apply to all
occurrences of this text…", checks the preview, applies, and asserts that exactly those 3 span boxes
changed in the DOM (every other span on the page is untouched), that the kernel's corpus recorded
the bulk edit, and, after clicking Save, that the file on disk differs from the original only in
the tag field of those 3 lines.  Saves ``test-artifacts/jupyterlab_relabel_all.png``.
"""

from __future__ import annotations

import re
import shutil

import polars as pl
import pytest
from lab_helpers import kernel_value, open_and_run_all, screenshot, wait_kernel, write_notebook

import bio_explorer as bx

expect = pytest.importorskip("playwright.sync_api").expect
pytestmark = [pytest.mark.e2e, pytest.mark.browser, pytest.mark.shared]

TEXT, LABEL = "Arduino", "Device"
TAG_FIELD = 1  # stackoverflow_ner: token, NER tag, token again, markdown tag (TAB-separated)

# every span box on the page: (sentence, start, end, label)
_SPANS = """() => [...document.querySelectorAll('.bx-spanview .bx-row')].flatMap(r =>
  [...r.querySelectorAll('.bx-span')].map(s => [Number(r.dataset.sentence),
    Number(s.dataset.start), Number(s.dataset.end), s.dataset.label]))"""


def test_relabel_all_then_save_in_jupyterlab(shared_corpora, lab_server, e2e_page, artifacts):
    base, token, root = lab_server
    original = shared_corpora / "stackoverflow_ner" / "test.txt"
    copy = root / "so_test.txt"
    shutil.copyfile(original, copy)
    original_bytes = original.read_bytes()

    # independent expectations: the occurrences of TEXT and their labels, from the spans frame
    c = bx.read(copy)
    occ = c.spans.filter(pl.col("text") == TEXT)
    assert occ.height == 7 and (occ["label"] == LABEL).sum() == 4
    changes = c.relabel_all(TEXT, to_label=LABEL, include_untagged=True).changes
    changed = {(r["sentence"], r["start"], r["end"]) for r in changes.iter_rows(named=True)}
    assert changed == {(s, b, e) for s, b, e, lab in
                       occ.select("sentence", "start", "end", "label").rows() if lab != LABEL}
    lines = changes["line"].sort().to_list()  # 1-based file lines of the (one-token) occurrences
    assert len(lines) == len(changed) == 3
    n_sentences = occ["sentence"].n_unique()

    write_notebook(
        root / "relabel.ipynb",
        "import bio_explorer as bx\nimport polars as pl\n"
        f"ex = bx.explore({str(copy)!r}, query={{'text': {TEXT!r}, 'case': True}})\n"
        "c = ex.corpus\nex",
    )
    page = e2e_page
    page.set_default_timeout(60_000)
    try:
        open_and_run_all(page, f"{base}/lab/tree/relabel.ipynb?token={token}")
        view = page.locator(".bx-spanview").first
        page.wait_for_function(
            "n => document.querySelectorAll('.bx-spanview .bx-row').length === n", arg=n_sentences)
        before = {tuple(s) for s in page.evaluate(_SPANS)}
        assert {(s, b, e) for s, b, e, lab in before if lab != LABEL} >= changed

        # click a span already labelled LABEL → its menu → "Apply to all occurrences…"
        view.locator(f".bx-span[aria-label='{LABEL}: {TEXT}']").first.click()
        menu = view.locator(".bx-pop-span")
        menu.wait_for(state="visible")
        menu.locator("text=/Apply to all .*occurrences/").first.click()
        apply_btn = menu.locator("button.bx-primary")
        page.wait_for_function("b => !b.disabled && /Apply to all/.test(b.textContent)",
                               arg=apply_btn.element_handle())
        expect(apply_btn).to_have_text(re.compile(rf"^\D*\b{len(changed)}\b\D*$"))
        expect(menu.locator(".bx-ptable tbody .bx-pnum").first).to_be_visible()
        nums = menu.locator(".bx-ptable tbody .bx-pnum").all_text_contents()
        preview = sorted(int(t.strip("#")) for t in nums)
        assert {s for s, _b, _e in changed} <= set(preview), preview
        assert kernel_value(page, "c.unsaved") == 0  # a preview changes nothing
        apply_btn.click()

        # the kernel's corpus: one bulk edit over exactly those occurrences
        wait_kernel(page, "c.unsaved", 1)
        edits = kernel_value(
            page, "sorted(c.edits.select('op', 'sentence', 'start', 'end').unique().rows())")
        assert edits == sorted(("relabel_all", s, b, e) for s, b, e in changed)
        labels_now = kernel_value(
            page, f"sorted(c.spans.filter(pl.col('text') == {TEXT!r})['label'].unique())")
        assert labels_now == [LABEL]

        # the DOM: exactly the changed boxes now carry LABEL, everything else as before
        want = {(s, b, e, LABEL) if (s, b, e) in changed else (s, b, e, lab)
                for s, b, e, lab in before}
        page.wait_for_function(
            f"n => {_SPANS}().filter(s => s[3] === {LABEL!r}).length === n",
            arg=sum(1 for *_x, lab in want if lab == LABEL))
        after = {tuple(s) for s in page.evaluate(_SPANS)}
        assert after == want, (after ^ want)
        edited = page.evaluate(
            "() => [...document.querySelectorAll('.bx-spanview .bx-tok.bx-edited')].map(t =>"
            " [Number(t.closest('.bx-row').dataset.sentence), Number(t.dataset.pos)])")
        assert {tuple(x) for x in edited} == {(s, b) for s, b, _e in changed}
        expect(view.locator(".bx-unsaved")).to_contain_text("1 unsaved edit")

        # Save → only the tag field of the edited lines differs from the original copy
        view.locator("button.bx-primary:has-text('Save')").click()
        wait_kernel(page, "c.unsaved", 0)
        page.wait_for_function(
            "() => !document.querySelector('.bx-spanview .bx-tok.bx-edited')")
        saved = copy.read_bytes()
        old_lines = original_bytes.splitlines(keepends=True)
        new_lines = saved.splitlines(keepends=True)
        assert len(new_lines) == len(old_lines)
        diff = [i + 1 for i, (a, b) in enumerate(zip(old_lines, new_lines, strict=True)) if a != b]
        assert diff == lines, diff
        for ln in diff:
            a = old_lines[ln - 1].split(b"\t")
            b = new_lines[ln - 1].split(b"\t")
            assert len(a) == len(b)
            assert [x for i, x in enumerate(a) if i != TAG_FIELD] == \
                [x for i, x in enumerate(b) if i != TAG_FIELD], (ln, a, b)
            assert b[TAG_FIELD] == f"B-{LABEL}".encode(), (ln, b)
        assert not page.bx_blocked, page.bx_blocked
    finally:
        screenshot(page, artifacts / "jupyterlab_relabel_all.png")
