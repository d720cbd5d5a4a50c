"""Which front end is listening: a Jupyter kernel that can show widgets, or text only."""

from __future__ import annotations


def widget_frontend_available() -> bool:
    """True inside a Jupyter kernel (a comm channel to a front end) with ipywidgets importable.

    A kernel cannot see whether the front end renders widgets; a kernel with comms is the best
    signal there is. Terminal IPython and plain scripts have no kernel and get text and HTML.
    """
    try:
        import ipywidgets  # noqa: F401
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None
