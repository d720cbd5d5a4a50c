"""The IPython side of graph-magic: the magic, its options and commands, the session, running a
cell, and what a cell shows. It asks the connector for everything that goes on the wire."""
