"""The secret search every test runs over the cassettes it wrote."""

from __future__ import annotations

import re
from pathlib import Path

SANDBOX_SECRETS = ("sandbox-secret", "sandbox-limited-secret")
JWT = re.compile(r"eyJ[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]*")
BEARER = re.compile(r"(?i)bearer\s+(?!\*\*\*)[A-Za-z0-9\-._~+/]{8,}")


def secrets_in(cassette: Path, *used: str) -> list[str]:
    """What in ``cassette`` is a secret: the values ``used`` (tokens, passwords the run sent),
    the sandbox's client secrets, any JWT or bearer value, any Authorization header."""
    text = cassette.read_text(encoding="utf-8")
    found = [value[:12] for value in (*used, *SANDBOX_SECRETS) if value and value in text]
    found += [match.group()[:12] for match in JWT.finditer(text)]
    found += [match.group()[:12] for match in BEARER.finditer(text)]
    if "authorization" in text.lower():
        found.append("authorization")
    return found
