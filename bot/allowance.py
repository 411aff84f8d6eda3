"""How many messages one network address may send in a minute, across all its conversations, sockets and
sender ids: a new socket or a new REST sender is not a fresh allowance. Counted in this process's memory
(a minute of timestamps per address), so a restart forgives everyone.
"""
from __future__ import annotations

import time
from collections import deque
from functools import lru_cache
from typing import Callable, Optional

WINDOW_SECONDS = 60.0
#: addresses remembered at most: beyond this the quietest are forgotten, so a spoofed flood cannot fill memory
MAX_ADDRESSES = 50_000


class Allowance:
    def __init__(self, per_minute: Callable[[], int], clock: Callable[[], float] = time.monotonic) -> None:
        self._per_minute = per_minute
        self._clock = clock
        self._seen: dict[str, deque[float]] = {}

    def take(self, address: str) -> Optional[float]:
        """Count one message from ``address``: None when it is within the allowance, else the seconds until it
        is again (nothing is counted then, so waiting works)."""
        now = self._clock()
        times = self._seen.get(address)
        if times is None:
            if len(self._seen) >= MAX_ADDRESSES:
                self._forget_quietest(now)
            times = self._seen[address] = deque()
        while times and now - times[0] >= WINDOW_SECONDS:
            times.popleft()
        if len(times) >= self._per_minute():
            return max(WINDOW_SECONDS - (now - times[0]), 0.1)
        times.append(now)
        return None

    def _forget_quietest(self, now: float) -> None:
        for address in [a for a, t in self._seen.items() if not t or now - t[-1] >= WINDOW_SECONDS]:
            del self._seen[address]
        while len(self._seen) >= MAX_ADDRESSES:
            del self._seen[min(self._seen, key=lambda a: len(self._seen[a]))]


@lru_cache(maxsize=1)
def per_address() -> Allowance:
    """The server's one allowance per address (SIGNPOST_MAX_MESSAGES_PER_ADDRESS_PER_MINUTE), shared by every
    channel a browser or a tool can reach."""
    from core.settings import settings

    return Allowance(lambda: settings().max_messages_per_address_per_minute)
