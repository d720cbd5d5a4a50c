"""Graph's metadata as data: paths, types, properties and permissions, per cloud.

Generated from Microsoft's own v1.0 metadata; filled by the knowledge issue. Nothing here does
I/O beyond reading this package's files, and nothing is loaded at ``%load_ext``.
"""
