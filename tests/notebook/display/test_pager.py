"""The widget pager, driven from Python the way a user drives it with clicks."""

from __future__ import annotations

import base64

import pandas as pd
import pytest

from graph_magic.notebook.display import Pager, make_result


@pytest.fixture
def first_page(make_users):
    """``first_page(n, more=...)``: a result holding the first ``n`` users of /users."""

    def build(count: int, *, more: bool = False):
        link = f"https://graph.microsoft.com/v1.0/users?$skiptoken={count}" if more else None
        return make_result(
            method="GET",
            url="https://graph.microsoft.com/v1.0/users",
            status_code=200,
            data={"value": make_users(0, count)},
            pages=1,
            more=more,
            next_link=link,
            truncated_reason="no_paginate" if more else None,
        )

    return build


def test_previous_and_next_move_through_the_rows(first_page):
    pager = Pager(first_page(120))
    assert pager.label.value == "rows 1-50 of 120"
    assert pager.prev_button.disabled
    assert "User 0<" in pager.table.value and "User 50<" not in pager.table.value
    pager.next_button.click()
    assert pager.label.value == "rows 51-100 of 120"
    assert "User 50<" in pager.table.value and "User 49<" not in pager.table.value
    pager.next_button.click()
    assert pager.label.value == "rows 101-120 of 120"
    assert pager.next_button.disabled
    pager.next_button.click()  # clamped at the end
    assert pager.label.value == "rows 101-120 of 120"
    pager.prev_button.click()
    assert pager.label.value == "rows 51-100 of 120"


def test_thousands_are_grouped_in_the_label(first_page):
    pager = Pager(first_page(2345))
    pager.go(1)
    assert pager.label.value == "rows 51-100 of 2,345"


def test_page_size_change_keeps_the_first_visible_row(first_page):
    pager = Pager(first_page(300))
    pager.go(3)  # rows 151-200
    pager.size_dropdown.value = 100
    assert pager.label.value == "rows 101-200 of 300"
    pager.size_dropdown.value = 10
    assert pager.label.value == "rows 101-110 of 300"


def test_fetch_buttons_only_when_a_next_link_remained(first_page, loader):
    done = Pager(first_page(60))
    assert done.more_box.layout.display == "none"
    assert done.load_all_button.disabled
    result = first_page(50, more=True)
    result.attach_loader(loader)
    pager = Pager(result)
    assert pager.more_box.layout.display is None
    assert not pager.next_page_button.disabled


def test_next_page_fetches_one_graph_page_and_calls_on_change(first_page, loader):
    result = first_page(50, more=True)
    seen = []
    result.attach_loader(loader, seen.append)
    pager = Pager(result)
    pager.next_page_button.click()
    assert loader.calls == [("https://graph.microsoft.com/v1.0/users?$skiptoken=50", 50)]
    assert result.rows == 100 and result.pages == 2
    assert result.next_link.endswith("$skiptoken=100")
    assert seen == [result]
    assert pager.label.value == "rows 1-50 of 100"
    assert result.frame["id"].tolist() == [f"u{n}" for n in range(100)]
    assert "users: 100 rows · 2 pages" in pager.caption.value
    assert repr(result).splitlines()[1] == "more available: nextLink kept"


def test_load_all_follows_every_next_link(first_page, loader):
    result = first_page(50, more=True)
    frames = []
    result.attach_loader(loader, lambda r: frames.append(r.frame))
    pager = Pager(result)
    pager.load_all_button.click()
    assert loader.calls[-1][1] is None
    assert result.rows == 250 and result.pages == 5
    assert not result.more and result.next_link is None and result.truncated_reason is None
    assert "more available" not in repr(result)
    assert pager.more_box.layout.display == "none"
    assert len(frames) == 1 and len(frames[0]) == 250


def test_after_load_all_the_caption_tells_the_whole_time_and_the_last_request(first_page, loader):
    result = first_page(50, more=True)
    result.elapsed, result.request_id = 1.0, "first-request"
    result.attach_loader(loader)
    pager = Pager(result)
    assert '<span class="gm-elapsed">1.00 s</span> · <span style' in pager.caption.value
    pager.next_page_button.click()  # the fake loader takes 0.25 s per fetch
    pager.load_all_button.click()
    caption = pager.caption.value
    assert "users: 250 rows · 5 pages" in caption
    assert '<span class="gm-elapsed">1.50 s</span> in 3 fetches' in caption
    assert (
        'first request-id <span class="gm-request-id">first-request</span></span> · '
        '<span style="white-space:nowrap">last request-id '
        '<span class="gm-request-id">request-2</span>'
    ) in caption
    assert "more available" not in caption


def test_auto_paginate_fetches_when_paging_past_the_last_row(first_page, loader):
    result = first_page(50, more=True)
    result.attach_loader(loader)
    pager = Pager(result)
    assert pager.next_button.disabled
    pager.auto_toggle.value = True
    assert not pager.next_button.disabled
    pager.next_button.click()
    assert result.rows == 100
    assert pager.label.value == "rows 51-100 of 100"


def test_a_failing_loader_shows_the_error_in_the_pager(first_page):
    def broken(next_link, limit):
        raise RuntimeError("connection reset")

    result = first_page(50, more=True)
    result.attach_loader(broken)
    pager = Pager(result)
    pager.next_page_button.click()
    assert "RuntimeError: connection reset" in pager.status.value
    assert result.rows == 50


def test_csv_download_link_holds_the_whole_frame(first_page):
    result = first_page(120)
    pager = Pager(result)
    assert pager.csv_link.value == ""
    pager.csv_button.click()
    link = pager.csv_link.value
    assert 'download="users.csv"' in link and "120 rows" in link
    # It looks like a button to press, not a line of text.
    assert 'class="gm-download"' in link
    assert "text-decoration:none" in link and "background:" in link
    encoded = link.split("base64,", 1)[1].split('"', 1)[0]
    text = base64.b64decode(encoded).decode("utf-8")
    from io import StringIO

    back = pd.read_csv(StringIO(text))
    assert back["id"].tolist() == result.frame["id"].tolist()


def test_show_publishes_the_deterministic_text_with_the_widget(first_page):
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.utils.capture import capture_output

    InteractiveShell.instance()
    result = first_page(120)
    with capture_output() as captured:
        Pager(result).show()
    (output,) = captured.outputs
    assert output.data["text/plain"] == repr(result)
    assert "application/vnd.jupyter.widget-view+json" in output.data


def test_result_wants_a_pager_when_rows_exceed_display_rows_or_more_can_load(first_page, loader):
    assert first_page(120).wants_pager()
    assert not first_page(50).wants_pager()
    truncated = first_page(50, more=True)
    assert not truncated.wants_pager()  # nothing attached to fetch with
    truncated.attach_loader(loader)
    assert truncated.wants_pager()
