"""Per-API-key request rate limit: a token bucket per key, in this API process.

Each key may make ``per_minute`` requests in a burst, refilled at ``per_minute / 60``
requests per second. A request over the limit gets 429 with ``Retry-After`` (whole
seconds). With several API processes each keeps its own buckets, so the effective limit
is per process; put a gateway in front for a global one.
"""

from __future__ import annotations

import math
import threading
import time
from typing import Callable


class RateLimiter:
    """``take(key)`` -> seconds to wait before a token is free (0.0: allowed, and taken)."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0  # tokens per second
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, at)
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.capacity > 0

    def take(self, key: str) -> float:
        if not self.enabled:
            return 0.0
        with self._lock:
            now = self._clock()
            tokens, at = self._buckets.get(key, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - at) * self.rate)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                return 0.0
            self._buckets[key] = (tokens, now)
            return (1.0 - tokens) / self.rate

    @staticmethod
    def retry_after(wait_s: float) -> str:
        """The ``Retry-After`` header value: whole seconds, at least 1."""
        return str(max(1, math.ceil(wait_s)))
