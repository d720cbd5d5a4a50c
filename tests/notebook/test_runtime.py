"""runtime.py: run_sync from plain code, from inside a running loop, Ctrl-C and shutdown."""

from __future__ import annotations

import asyncio
import signal
import threading

import pytest

from graph_magic.notebook import runtime


async def _where() -> tuple[str, asyncio.AbstractEventLoop]:
    await asyncio.sleep(0)
    return threading.current_thread().name, asyncio.get_running_loop()


def test_run_sync_from_plain_code_runs_on_the_loop_thread() -> None:
    name, loop = runtime.run_sync(_where())
    assert name == "graph-magic-loop"
    assert loop is runtime.get_loop()
    assert runtime.run_sync(_where())[1] is loop  # one loop, reused


async def test_run_sync_inside_a_running_loop() -> None:
    # What a magic sees under ipykernel: this thread's loop is running, asyncio.run would fail.
    outer = asyncio.get_running_loop()
    name, loop = runtime.run_sync(_where())
    assert name == "graph-magic-loop"
    assert loop is not outer


def test_exceptions_propagate() -> None:
    async def boom() -> None:
        raise ValueError("bad")

    with pytest.raises(ValueError, match="bad"):
        runtime.run_sync(boom())


def test_timeout_cancels_the_task() -> None:
    cancelled = threading.Event()

    async def forever() -> None:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise

    with pytest.raises(TimeoutError):
        runtime.run_sync(forever(), timeout=0.05)
    assert cancelled.is_set()


def test_keyboard_interrupt_cancels_the_task_and_reraises() -> None:
    started = threading.Event()
    cleaned_up = threading.Event()

    async def long_request() -> None:
        started.set()
        try:
            await asyncio.Event().wait()
        finally:
            await asyncio.sleep(0)  # cleanup that needs the loop, like closing a stream
            cleaned_up.set()

    main = threading.main_thread().ident
    assert main == threading.get_ident()

    def interrupt_when_started() -> None:
        started.wait(5)
        signal.pthread_kill(main, signal.SIGINT)  # a real Ctrl-C, delivered to this thread

    helper = threading.Thread(target=interrupt_when_started)
    helper.start()
    with pytest.raises(KeyboardInterrupt):
        runtime.run_sync(long_request())
    helper.join()
    assert cleaned_up.is_set()  # the task's finally ran before run_sync re-raised
    assert runtime.run_sync(_where())[0] == "graph-magic-loop"  # the loop is still usable


def test_run_sync_on_the_loop_thread_refuses_instead_of_deadlocking() -> None:
    async def nested() -> None:
        runtime.run_sync(_where())

    with pytest.raises(RuntimeError, match="loop thread"):
        runtime.run_sync(nested())


def test_shutdown_stops_the_thread_and_a_new_loop_starts_on_demand() -> None:
    loop = runtime.get_loop()
    thread = next(t for t in threading.enumerate() if t.name == "graph-magic-loop")
    runtime.shutdown()
    assert not thread.is_alive()
    assert loop.is_closed()
    assert runtime.run_sync(_where())[1] is not loop
    assert thread.daemon


def test_run_sync_in_an_ipython_cell_with_top_level_await() -> None:
    # Terminal IPython runs an awaiting cell on its own loop in this thread; run_sync still works.
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    shell.user_ns["runtime"] = runtime
    shell.user_ns["where"] = _where
    result = shell.run_cell(
        "import asyncio\nawait asyncio.sleep(0)\nthread_name, _ = runtime.run_sync(where())"
    )
    result.raise_error()
    assert shell.user_ns["thread_name"] == "graph-magic-loop"
