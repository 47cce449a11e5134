"""Route the front end's messages to our widgets through the kernel's main shell.

ipykernel 7 runs comm messages in *subshells* when JupyterLab asks for it (the default
"one subshell per comm target").  The kernel picks the subshell of a comm message with the comm's
``_reply_subshell_for(data, default)``: by default the subshell the comm last published from, else
the one named in the message.  After a notebook tab is closed or reloaded on a live kernel, that
subshell may be gone (the front end deleted it with the old tab, or a new tab still names it): the
kernel then logs ``Cannot handle comm_msg …: Unknown subshell_id`` and drops the message, and a
span view waits for its page forever.

Our widgets' message handlers share state with the main thread (the corpus, the coalescers and the
background work scheduled on the main event loop), so they must run there anyway.
:func:`route_to_main_shell` pins a widget's comm to the main shell: a message is never dropped
for a stale subshell id, and never handled concurrently with the main thread.
"""

from __future__ import annotations

from typing import Any

__all__ = ["main_shell", "route_to_main_shell"]


def main_shell(data: Any, default: str | None) -> None:
    """``_reply_subshell_for`` of a pinned comm: always the main shell (``None``)."""
    return None


def route_to_main_shell(widget: Any) -> None:
    """Make the kernel handle every message to ``widget`` in its main shell.

    Harmless outside a kernel (no comm) and with kernels without subshells (the hook is unused).

    Parameters
    ----------
    widget : ipywidgets.Widget
        An open widget (its ``comm`` exists once it is constructed in a kernel).
    """
    comm = getattr(widget, "comm", None)
    if comm is not None:
        comm._reply_subshell_for = main_shell
