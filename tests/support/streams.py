"""A response body a fake Graph serves piece by piece: size caps, dripping answers, deadlines."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx


class Stream(httpx.AsyncByteStream):
    """Serves ``chunks`` one at a time (``pause`` seconds apart), counting how many were served.

    ``served`` tells a test how much of an oversized or endless body the client read before it
    stopped.
    """

    def __init__(self, chunks: list[bytes], pause: float = 0.0) -> None:
        self.chunks = chunks
        self.pause = pause
        self.served = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks:
            self.served += 1
            yield chunk
            if self.pause:
                await asyncio.sleep(self.pause)
