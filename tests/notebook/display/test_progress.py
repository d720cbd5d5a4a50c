"""ProgressReporter: silent for quick scans, then a bar or a line, then gone."""

from __future__ import annotations

import io

from graph_magic.notebook.display import ProgressReporter


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class FakeHandle:
    def __init__(self, obj) -> None:
        self.shown = obj
        self.updates: list = []

    def update(self, obj, **kwargs) -> None:
        self.updates.append((obj, kwargs))


class FakeDisplay:
    """Stands in for IPython's display(..., display_id=True) and records the handles."""

    def __init__(self) -> None:
        self.handles: list[FakeHandle] = []

    def __call__(self, obj, *, display_id: bool = False) -> FakeHandle:
        assert display_id is True
        handle = FakeHandle(obj)
        self.handles.append(handle)
        return handle


def test_nothing_is_shown_before_the_delay():
    clock, shown = FakeClock(), FakeDisplay()
    progress = ProgressReporter(500, delay=1.0, clock=clock, mode="widget", display_fn=shown)
    clock.now += 0.9
    progress.update(100, 1)
    progress.close()
    assert shown.handles == []


def test_a_real_bar_with_its_counts_beside_it_updated_in_place_and_removed():
    clock, shown = FakeClock(), FakeDisplay()
    progress = ProgressReporter(500, delay=1.0, clock=clock, mode="widget", display_fn=shown)
    progress.update(100, 1)
    clock.now += 1.5
    progress.update(200, 2)
    (handle,) = shown.handles
    bar, label = handle.shown.children
    assert type(bar).__name__ == "IntProgress" and type(label).__name__ == "Label"
    assert (bar.value, bar.max) == (200, 500)
    progress.update(300, 3)
    assert len(shown.handles) == 1 and bar.value == 300
    # The counts are on screen next to the bar, not only in a tooltip.
    assert label.value == "fetching: 300 of 500 items · 3 pages"
    progress.close()
    assert handle.updates == [({}, {"raw": True})]
    assert bar.comm is None and label.comm is None and handle.shown.comm is None


def test_a_label_with_items_and_pages_when_the_total_is_unknown():
    clock, shown = FakeClock(), FakeDisplay()
    progress = ProgressReporter(None, delay=0.5, clock=clock, mode="widget", display_fn=shown)
    clock.now += 1
    progress.update(1200, 12)
    (handle,) = shown.handles
    assert type(handle.shown).__name__ == "Label"
    assert handle.shown.value == "fetching: 1,200 items · 12 pages"
    progress.close()
    progress.update(1300, 13)  # after close nothing changes
    assert handle.shown.value == "fetching: 1,200 items · 12 pages"


def test_text_fallback_writes_one_line_and_erases_it():
    clock, stream = FakeClock(), io.StringIO()
    progress = ProgressReporter(None, delay=1.0, clock=clock, mode="stream", stream=stream)
    progress.update(10, 1)
    assert stream.getvalue() == ""
    clock.now += 2
    progress.update(999, 1)
    progress.update(1998, 2)
    progress.close()
    text = stream.getvalue()
    assert "\rfetching: 999 items · 1 page" in text
    assert "\rfetching: 1,998 items · 2 pages" in text
    assert text.endswith("\r" + " " * len("fetching: 1,998 items · 2 pages") + "\r")
