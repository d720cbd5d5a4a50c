"""The extension's own event-loop thread: run the async connector from synchronous code.

Inside Jupyter a magic runs while ipykernel's loop is already running, so ``asyncio.run`` fails
there, and patching asyncio (nest-asyncio) is not an option. Instead one daemon thread per
process owns one loop; :func:`run_sync` submits a coroutine to it and waits. The same call works
in a plain script and in terminal IPython. Ctrl-C while waiting cancels the task on the loop.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
import time
from collections.abc import Coroutine
from typing import Any, TypeVar

__all__ = ["get_loop", "run_sync", "shutdown"]

T = TypeVar("T")

_CANCEL_GRACE_SECONDS = 2.0
# How often a waiting caller wakes so a pending Ctrl-C (SIGINT) can be delivered.
_WAKE_SECONDS = 0.05


class _LoopThread:
    """A daemon thread running one asyncio loop forever, until :meth:`stop`."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        started = threading.Event()
        self.thread = threading.Thread(
            target=self._run, args=(started,), name="graph-magic-loop", daemon=True
        )
        self.thread.start()
        started.wait()

    def _run(self, started: threading.Event) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.call_soon(started.set)
        try:
            self.loop.run_forever()
        finally:
            self._drain()
            self.loop.close()

    def _drain(self) -> None:
        """Cancel what is still pending so no coroutine is left un-awaited at shutdown."""
        pending = asyncio.all_tasks(self.loop)
        for task in pending:
            task.cancel()
        if pending:
            self.loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        self.loop.run_until_complete(self.loop.shutdown_asyncgens())

    def stop(self, timeout: float) -> None:
        if self.loop.is_running():
            self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout)


# The process-wide loop thread: the one piece of module state in this module, created lazily by
# _loop_thread() and cleared by shutdown(). Guarded by _LOCK.
_LOCK = threading.Lock()
_THREAD: _LoopThread | None = None


def _loop_thread() -> _LoopThread:
    global _THREAD
    with _LOCK:
        if _THREAD is None or not _THREAD.thread.is_alive():
            _THREAD = _LoopThread()
        return _THREAD


def get_loop() -> asyncio.AbstractEventLoop:
    """The extension's loop (started on first use). The connector's httpx client lives here."""
    return _loop_thread().loop


def run_sync(coro: Coroutine[Any, Any, T], *, timeout: float | None = None) -> T:
    """Run ``coro`` on the extension's loop and return its result, from any synchronous code.

    Works whether or not the calling thread runs a loop of its own (ipykernel does). Calling it
    from the extension's loop thread itself would deadlock, so that raises RuntimeError.
    On KeyboardInterrupt the task is cancelled on the loop, given a moment to clean up, and the
    KeyboardInterrupt is re-raised. On ``timeout`` the task is cancelled and TimeoutError raised.
    """
    worker = _loop_thread()
    if threading.current_thread() is worker.thread:
        coro.close()
        raise RuntimeError("run_sync() called from the graph-magic loop thread; await instead")
    job = _Job(coro)
    try:
        worker.loop.call_soon_threadsafe(job.start)
        finished = _wait_waking(job.finished, timeout)
    except KeyboardInterrupt:
        job.stop(worker.loop)
        raise
    if not finished:
        job.stop(worker.loop)
        raise TimeoutError(f"the request did not finish within {timeout} seconds")
    return job.result.result()


def _wait_waking(event: threading.Event, timeout: float | None) -> bool:
    """Wait for ``event`` in short slices; False when ``timeout`` seconds passed first.

    One untimed wait can park the main thread where a SIGINT never gets to run its handler
    (seen on Python 3.13 under load), so Ctrl-C would not stop the cell. Waking every
    ``_WAKE_SECONDS`` gives the interpreter a point to run the handler and raise
    KeyboardInterrupt, on every Python.
    """
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        remaining = _WAKE_SECONDS if deadline is None else deadline - time.monotonic()
        if remaining <= 0:
            return False
        if event.wait(min(remaining, _WAKE_SECONDS)):
            return True


class _Job:
    """One coroutine submitted to the loop, cancellable whenever Ctrl-C lands.

    Unlike ``run_coroutine_threadsafe``, a KeyboardInterrupt that arrives while the submission is
    still being queued cannot orphan the task: ``start`` and ``cancel`` are both queued with
    ``call_soon_threadsafe``, which runs callbacks in order, so ``cancel`` always sees the task
    ``start`` created, or knows it never will be.
    """

    def __init__(self, coro: Coroutine[Any, Any, Any]) -> None:
        self.coro = coro
        self.result: concurrent.futures.Future[Any] = concurrent.futures.Future()
        self.finished = threading.Event()
        self.task: asyncio.Task[Any] | None = None
        self.cancelled = False

    def start(self) -> None:
        """On the loop: create the task (holding a strong reference to it)."""
        if self.cancelled:
            return
        self.task = asyncio.get_running_loop().create_task(self._run())
        self.task.add_done_callback(self._settle)

    async def _run(self) -> None:
        try:
            value = await self.coro
        except asyncio.CancelledError:
            raise
        except BaseException as exc:
            self.result.set_exception(exc)
        else:
            self.result.set_result(value)

    def _settle(self, task: asyncio.Task[Any]) -> None:
        """However the task ended, tell the waiting caller; cancelled before its first step too.

        A task cancelled before it ever ran never enters ``_run``, so only a done callback can
        report it; the coroutine it never awaited is closed rather than left for the warning.
        """
        if not self.result.done():
            self.result.cancel()
        self.coro.close()
        self.finished.set()

    def cancel(self) -> None:
        """On the loop: cancel the task, or make sure it never starts."""
        self.cancelled = True
        if self.task is not None:
            self.task.cancel()
        else:
            self.coro.close()
            self.result.cancel()
            self.finished.set()

    def stop(self, loop: asyncio.AbstractEventLoop) -> None:
        """From the caller's thread: cancel, then wait briefly for the task's cleanup to run."""
        if loop.is_closed():
            return
        loop.call_soon_threadsafe(self.cancel)
        self.finished.wait(_CANCEL_GRACE_SECONDS)


def shutdown(timeout: float = 5.0) -> None:
    """Stop the loop and join its thread (``%unload_ext``); the next run_sync starts a new one."""
    global _THREAD
    with _LOCK:
        worker, _THREAD = _THREAD, None
    if worker is not None:
        worker.stop(timeout)
