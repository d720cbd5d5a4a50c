"""What a front end that cannot show the pager widget shows instead: the result's own table.

JupyterLab renders a widget view only in a trusted notebook, and someone else's notebook is not
trusted until it is run; nbconvert's HTML and GitHub have no widget manager. Each then picks the
next form of the output, so the pager publishes the result's HTML beside the widget.
"""

from __future__ import annotations

from graph_magic.notebook.display import Pager, make_result


def test_show_publishes_the_results_html_table_beside_the_widget(make_users):
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.utils.capture import capture_output

    InteractiveShell.instance()
    users = make_users(0, 120)
    result = make_result(
        method="GET",
        url="https://graph.microsoft.com/v1.0/users",
        status_code=200,
        data={"value": users},
        pages=1,
    )
    with capture_output() as captured:
        Pager(result).show()
    (output,) = captured.outputs
    assert "application/vnd.jupyter.widget-view+json" in output.data
    html = output.data["text/html"]
    assert html == result.caption_html() + result.body_html()
    assert "<table" in html
    assert users[0]["displayName"] in html
