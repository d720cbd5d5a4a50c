"""The ``%%graph`` cell grammar, pure: cell text and a namespace in, request specs out."""

from graph_magic.notebook.cell.parser import RequestSpec, parse_cell

__all__ = ["RequestSpec", "parse_cell"]
