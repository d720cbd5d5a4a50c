"""The generator's small helpers: seeded GUIDs and cheap bounded draws, shared by every table."""

from __future__ import annotations

import random
from typing import Any

Obj = dict[str, Any]
"""A stored directory object (the full object, not a projection)."""
Links = dict[str, Any]
"""Object id -> the ids it points to (members, memberOf, owners): lists, or tuples once built."""


def below(rng: random.Random, n: int) -> int:
    """A uniform int in [0, n): random() arithmetic, several times cheaper than randrange."""
    return int(rng.random() * n)


def guid(rng: random.Random) -> str:
    """A random (version 4, variant 'a') GUID from the seeded generator."""
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:32]}"
