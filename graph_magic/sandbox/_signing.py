"""The sandbox's one token codec: seed-keyed HMAC signatures and base64url, written once.

Skiptokens, delta tokens, report download links and JWT access tokens all carry state a client
must hand back unchanged. Each kind signs under its own key, derived from the seed and the
kind's purpose, so a hand-edited token, a token of another kind or one from a sandbox with
another seed is refused as Graph refuses a foreign one, instead of silently misread.
"""

from __future__ import annotations

import base64
import hashlib
import hmac


def b64url_encode(data: bytes) -> str:
    """base64url without padding, as JWTs and Graph's opaque tokens write it."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """The bytes of unpadded base64url text; ``ValueError`` when it is not base64url."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Signer:
    """HMAC-SHA256 under the key for one token kind (``purpose``) of one seed."""

    def __init__(self, seed: int, purpose: str) -> None:
        self._key = hashlib.sha256(f"graph-magic-{purpose}/{seed}".encode()).digest()

    def sign(self, data: bytes, size: int = 32) -> bytes:
        """The first ``size`` bytes of the signature of ``data``."""
        return hmac.new(self._key, data, hashlib.sha256).digest()[:size]

    def verify(self, data: bytes, signature: bytes, size: int = 32) -> bool:
        """Whether ``signature`` is our ``size``-byte signature of ``data``."""
        return len(signature) == size and hmac.compare_digest(signature, self.sign(data, size))

    def derive(self, data: bytes) -> bytes:
        """A keyed digest of ``data`` (unguessable serials, such as a JWT's ``uti``)."""
        return hashlib.sha256(self._key + data).digest()

    def seal(self, data: bytes, size: int) -> str:
        """``data`` and its ``size``-byte signature as one base64url token."""
        return b64url_encode(data + self.sign(data, size))

    def unseal(self, token: str, size: int) -> bytes | None:
        """The data of a token :meth:`seal` made with this key, else None."""
        try:
            blob = b64url_decode(token)
        except ValueError:
            return None
        data, signature = blob[:-size], blob[-size:]
        if len(blob) <= size or not self.verify(data, signature, size):
            return None
        return data
