"""The kernel helper of the end-to-end tests sends a call again when its reply is lost.

CI once failed with playwright's "Resulting promise was garbage collected" while a JupyterLab test
read a value from the kernel.  ``kernel`` now treats a lost reply (that error, or the marker the
page script returns when the kernel future is dropped or times out) as "send it again".
"""

from __future__ import annotations

import pytest
from lab_helpers import LOST_REPLY, kernel


class FakePage:
    def __init__(self, *answers) -> None:
        self.answers = list(answers)
        self.calls: list[list] = []

    def evaluate(self, script: str, arg):
        self.calls.append(arg)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def test_a_garbage_collected_reply_is_sent_again():
    page = FakePage(RuntimeError("Page.evaluate: Resulting promise was garbage collected."), "42\n")
    assert kernel(page, "print(42)") == "42\n"
    assert [c[0] for c in page.calls] == ["print(42)", "print(42)"]


def test_a_dropped_future_is_sent_again():
    page = FakePage(f"{LOST_REPLY} Error: Canceled future for execute_request", "ok")
    assert kernel(page, "x") == "ok"


def test_other_errors_are_not_hidden():
    page = FakePage(RuntimeError("ReferenceError: jupyterapp is not defined"))
    with pytest.raises(RuntimeError, match="jupyterapp"):
        kernel(page, "x")
    assert len(page.calls) == 1


def test_it_gives_up_with_the_last_reason():
    page = FakePage(*[f"{LOST_REPLY} timeout"] * 3)
    with pytest.raises(AssertionError, match=r"never answered 'x'.*timeout"):
        kernel(page, "x", attempts=3)
