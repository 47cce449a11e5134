"""The one background worker (bio_explorer/background.py): one run at a time, hand-on on the main
thread, version stamp, cancellation, progress, debounce on a running loop."""

from __future__ import annotations

import asyncio
import threading

from bio_explorer.background import Worker


def test_runs_once_and_hands_the_run_on_when_asked():
    version = [3]
    done = []
    go = threading.Event()

    def job(run):
        run.report(0.5)
        go.wait(10)
        return "value"

    w = Worker(job, version=lambda: version[0], on_done=done.append)
    assert w.idle() and w.progress == 0.0
    assert w.start()
    assert w.busy() and not w.start()  # one run at a time
    assert w.progress == 0.5
    go.set()
    assert w.wait(10)
    assert len(done) == 1 and done[0].value == "value" and done[0].version == 3
    assert w.result is done[0] and w.progress == 1.0 and w.idle()
    w.poll()
    assert len(done) == 1  # handed on once
    version[0] = 4
    assert w.result.version != version[0]  # a stale result is told by its version


def test_errors_are_kept_and_cancelled_runs_dropped():
    done = []
    go = threading.Event()

    def boom(run):
        raise ValueError("no")

    w = Worker(boom, version=lambda: 0, on_done=done.append)
    w.start()
    assert w.wait(10)
    assert isinstance(done[0].error, ValueError) and w.failure is done[0] and w.result is None

    def slow(run):
        go.wait(10)
        return "late"

    w2 = Worker(slow, version=lambda: 0, on_done=done.append)
    w2.start()
    w2.cancel(running=True)
    assert w2.run.cancelled
    go.set()
    assert w2.wait(10)
    assert len(done) == 1 and w2.result is None  # the cancelled run is never handed on


def test_schedule_debounces_on_the_loop_and_hands_on_there():
    done = []
    w = Worker(lambda run: run.version, version=lambda: 7, on_done=done.append)

    async def session() -> None:
        w.schedule(0.05)
        w.schedule(0.05)  # restarts the wait: still one run
        assert w.pending and w.timer is not None and w.thread is None
        for _ in range(200):
            await asyncio.sleep(0.02)
            if done:
                break

    asyncio.run(session())
    assert [r.value for r in done] == [7]
    assert w.idle()


def test_without_a_loop_a_scheduled_run_waits_for_wait():
    done = []
    w = Worker(lambda run: 1, version=lambda: 0, on_done=done.append)
    w.schedule(0.0)
    assert w.pending and w.thread is None and not done
    assert w.wait(10) and [r.value for r in done] == [1]
