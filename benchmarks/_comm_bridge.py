"""A kernel-like comm between a page and a Python widget, for the browser benchmarks.

In a notebook a widget lives in the kernel: its messages are handled on the kernel's asyncio loop,
and whatever Python sends (a custom message, a changed trait) is pushed to the browser at once
over the kernel's WebSocket, in order.  :class:`Kernel` reproduces that shape without Jupyter:

* a thread runs an asyncio loop (the "kernel"); the widget is built and driven on it
  (:meth:`Kernel.call`), so the widget's ``call_soon``/``call_later`` work (coalesced page
  requests, counts after the page, chart re-renders) runs there as in a kernel;
* the page opens one WebSocket (tornado, as Jupyter's server uses) to that loop: front-end
  messages and saved traits go up it, ``widget.send`` and trait changes are pushed down it the
  moment Python makes them (no polling);
* a trait set by the front end is not echoed back (ipywidgets does not send a value back to the
  view that set it).

Each pushed page (and edit) reply carries ``py_ms`` (and ``py_cpu_ms``, the kernel thread's CPU
time): the time from the request's arrival in Python to its reply being sent, so a benchmark can
split a round trip into transport, Python and drawing.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import threading
import time
from collections.abc import Callable
from typing import Any

import tornado.web
import tornado.websocket

__all__ = ["BRIDGE_JS", "Kernel", "as_json"]


def as_json(x: Any) -> Any:
    """``x`` as it would travel over a comm (JSON round trip)."""
    return json.loads(json.dumps(x, default=str))


# The page side: connect, mount the span view on the harness, forward both ways.  `__bxNet`
# records page requests and edits sent and their replies received (performance.now() ms) for the
# breakdown (an edit whose reply carries the rows is the request the drawn rows answer).
BRIDGE_JS = """([url, state]) => new Promise((resolve, reject) => {
  const ws = new WebSocket(url);
  window.__bxNet = {sent: {}, recv: {}, py: {}, cpu: {}};
  ws.onerror = reject;
  ws.onmessage = (e) => {
    const it = JSON.parse(e.data);
    if ('msg' in it) {
      if (it.msg && (it.msg.kind === 'page' || it.msg.kind === 'edit')) {
        window.__bxNet.recv[it.msg.id] = performance.now();
        window.__bxNet.py[it.msg.id] = it.py_ms;
        window.__bxNet.cpu[it.msg.id] = it.py_cpu_ms;
      }
      bxHarness.receive(it.msg);
    } else bxHarness.set(it.trait, it.value);
  };
  ws.onopen = () => {
    bxHarness.onSave = (name, value) => ws.send(JSON.stringify({trait: name, value}));
    bxHarness.mount(state, (msg) => {
      const timed = msg.kind === 'page' || msg.kind === 'edit';
      if (timed) window.__bxNet.sent[msg.id] = performance.now();
      ws.send(JSON.stringify({msg}));
    });
    window.__bxSocket = ws;
    resolve(true);
  };
})"""


class _Socket(tornado.websocket.WebSocketHandler):
    def initialize(self, kernel: Kernel) -> None:
        self.kernel = kernel

    def check_origin(self, origin: str) -> bool:
        return True  # the harness page is served from another local port

    def open(self) -> None:
        self.kernel._socket = self

    def on_message(self, message: str | bytes) -> None:
        self.kernel._receive(json.loads(message))

    def on_close(self) -> None:
        if self.kernel._socket is self:
            self.kernel._socket = None


class Kernel:
    """A thread with an asyncio loop and a WebSocket endpoint, standing in for a kernel.

    Parameters
    ----------
    traits : tuple of str
        The widget traits mirrored to the page.
    """

    def __init__(self, traits: tuple[str, ...]) -> None:
        self.traits = traits
        self.widget: Any = None
        self._socket: _Socket | None = None
        self._from_front: tuple[str, Any] | None = None
        self._arrived: dict[str, tuple[float, float]] = {}
        ready: concurrent.futures.Future = concurrent.futures.Future()
        self._thread = threading.Thread(target=self._serve, args=(ready,), daemon=True,
                                         name="bench-kernel")
        self._thread.start()
        self.port: int = ready.result(timeout=10)

    def _serve(self, ready: concurrent.futures.Future) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        self.loop = loop

        async def start() -> int:
            app = tornado.web.Application([(r"/comm", _Socket, {"kernel": self})])
            server = app.listen(0, address="127.0.0.1")
            self._server = server
            return next(iter(server._sockets.values())).getsockname()[1]

        try:
            ready.set_result(loop.run_until_complete(start()))
        except BaseException as exc:  # reported to the constructor
            ready.set_exception(exc)
            return
        loop.run_forever()

    @property
    def url(self) -> str:
        """The WebSocket address the page connects to."""
        return f"ws://127.0.0.1:{self.port}/comm"

    def call(self, fn: Callable[..., Any], *args: Any, timeout: float = 600) -> Any:
        """Run ``fn(*args)`` on the kernel's loop and return its result (as a cell would)."""
        async def run() -> Any:
            return fn(*args)

        return asyncio.run_coroutine_threadsafe(run(), self.loop).result(timeout)

    def attach(self, widget: Any) -> dict:
        """Wire ``widget`` to the socket (kernel thread); returns its traits for mounting."""
        def wire() -> dict:
            self.widget = widget
            self._arrived.clear()
            widget.send = self._send
            widget.observe(self._on_change)
            return {name: as_json(getattr(widget, name)) for name in self.traits}

        return self.call(wire)

    def detach(self) -> None:
        """Stop forwarding the widget's messages."""
        def unwire() -> None:
            if self.widget is not None:
                self.widget.unobserve(self._on_change)
            self.widget = None

        self.call(unwire)

    def close(self) -> None:
        """Stop the loop and its thread."""
        def stop() -> None:
            self._server.stop()
            self.loop.stop()

        self.loop.call_soon_threadsafe(stop)
        self._thread.join(5)

    # ------------------------------------------------------------------ on the kernel's loop
    def _push(self, item: dict) -> None:
        if self._socket is not None:
            self._socket.write_message(json.dumps(item, default=str))

    def _send(self, content: Any, buffers: Any = None) -> None:
        item = {"msg": as_json(content)}
        if isinstance(content, dict) and content.get("kind") in ("page", "edit"):
            t = self._arrived.pop(str(content.get("id")), None)
            if t is not None:
                item["py_ms"] = (time.perf_counter() - t[0]) * 1000
                item["py_cpu_ms"] = (time.thread_time() - t[1]) * 1000
        self._push(item)

    def _on_change(self, change: dict) -> None:
        name = change["name"]
        if name not in self.traits:
            return
        value = as_json(change["new"])
        if self._from_front == (name, json.dumps(value, sort_keys=True)):
            return  # the view that set it has it: no echo
        self._push({"trait": name, "value": value})

    def _receive(self, item: dict) -> None:
        widget = self.widget
        if widget is None:
            return
        if "msg" in item:
            msg = item["msg"]
            if isinstance(msg, dict) and msg.get("kind") in ("page", "edit"):
                self._arrived[str(msg.get("id"))] = (time.perf_counter(), time.thread_time())
            widget.handle_request(msg)
        elif item.get("trait") in self.traits:
            name, value = item["trait"], item["value"]
            self._from_front = (name, json.dumps(value, sort_keys=True))
            try:
                widget.set_state({name: value})  # as a kernel's comm applies a front-end change
            finally:
                self._from_front = None
