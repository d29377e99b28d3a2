"""Waiting for a lock from asyncio without blocking the loop or leaking the lock on cancellation."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Final

from partner_api._errors import TokenStoreError

# Polling starts fast (a renewal usually takes milliseconds) and backs off to this.
_LONGEST_POLL: Final = 0.05


async def poll_acquire(try_acquire: Callable[[], bool], timeout: float | None, what: str) -> None:
    """Call ``try_acquire`` (which must never block) until it succeeds; it runs on the loop's
    thread, so a cancelled wait cannot leave the lock taken by a worker thread."""
    deadline = None if timeout is None else time.monotonic() + timeout
    pause = 0.001
    while not try_acquire():
        if deadline is not None and time.monotonic() >= deadline:
            raise TokenStoreError(f"{what} was held by someone else for more than {timeout} s")
        await asyncio.sleep(pause)
        pause = min(pause * 2, _LONGEST_POLL)
