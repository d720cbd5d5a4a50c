"""Which front end is listening: a Jupyter kernel that can show widgets, or text only."""

from __future__ import annotations


def widget_frontend_available() -> bool:
    """True inside a Jupyter kernel (a comm channel to a front end) with ipywidgets importable.

    A kernel cannot see whether the front end renders widgets; a kernel with comms is the best
    signal there is. Terminal IPython and plain scripts have no kernel and get text and HTML.
    """
    from IPython import get_ipython

    shell = get_ipython()
    if shell is None or getattr(shell, "kernel", None) is None:
        return False  # no kernel: no need to import ipywidgets (0.3 s) just to say no
    try:
        import ipywidgets  # noqa: F401
    except ImportError:
        return False
    return True
