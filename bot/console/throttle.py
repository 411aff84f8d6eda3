"""Slowing down password guessing without a lock anyone could turn on an advisor: after a few failed logins
from one address, that address waits longer before each next try (doubling, up to five minutes); a name
being guessed from many addresses waits too, but never more than half a minute, so an advisor can always log
in from their own desk. Names are counted whether or not they exist, so the answer never says which do.

Kept in this process's memory: a restart forgives everyone.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable, Optional

ADDRESS_FREE_TRIES = 5
ADDRESS_MAX_WAIT = 300.0
NAME_FREE_TRIES = 10
NAME_MAX_WAIT = 30.0
#: a key quiet this long is forgotten
FORGET_AFTER = 3600.0
MAX_KEYS = 50_000


@dataclass
class _Record:
    failures: int = 0
    not_before: float = 0.0
    last: float = 0.0


class LoginThrottle:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._records: dict[tuple[str, str], _Record] = {}

    @staticmethod
    def _keys(address: str, name: str) -> tuple[tuple[str, str], tuple[str, str]]:
        return ("address", address), ("name", name.strip().lower()[:100])

    def wait(self, address: str, name: str) -> Optional[float]:
        """Seconds until this address may try this name again, or None when it may now."""
        now = self._clock()
        waits = [r.not_before - now for key in self._keys(address, name)
                 if (r := self._records.get(key)) is not None and r.not_before > now]
        return max(waits) if waits else None

    def failed(self, address: str, name: str) -> None:
        now = self._clock()
        if len(self._records) >= MAX_KEYS:
            self._records = {k: r for k, r in self._records.items() if now - r.last < FORGET_AFTER}
        for key, free, longest in zip(self._keys(address, name), (ADDRESS_FREE_TRIES, NAME_FREE_TRIES),
                                      (ADDRESS_MAX_WAIT, NAME_MAX_WAIT)):
            record = self._records.setdefault(key, _Record())
            if now - record.last >= FORGET_AFTER:
                record.failures = 0
            record.failures += 1
            record.last = now
            if record.failures >= free:
                record.not_before = now + min(2.0 ** (record.failures - free), longest)

    def succeeded(self, address: str, name: str) -> None:
        for key in self._keys(address, name):
            self._records.pop(key, None)
