"""Request rate limits: a token bucket per key (API key, or a sign-in client address).

Each key may make ``per_minute`` requests in a burst, refilled at ``per_minute / 60``
requests per second. A request over the limit gets 429 with ``Retry-After`` (whole
seconds).

Where the buckets live (``make_limiter``):

- ``COACHSCORE_REDIS_URL`` set, or ``COACHSCORE_QUEUE=celery`` with a ``redis://`` broker:
  in Redis (``RedisRateLimiter``), so every API node behind a load balancer shares one limit
  per key. The bucket is updated by one Lua script (atomic; Redis's own clock, so nodes'
  clocks may differ). When Redis cannot be reached the limiter **fails open**: the request
  is allowed and a warning is logged (at most once a minute); requests are served without a
  limit until Redis answers again, because a rate limit is not worth an outage of the API.
- otherwise: in this process (``RateLimiter``), the embedded default. With several API
  processes and no Redis each keeps its own buckets, so the limit is per process (a warning
  is logged at startup when ``COACHSCORE_QUEUE=celery``).
"""

from __future__ import annotations

import logging
import math
import threading
import time
from typing import TYPE_CHECKING, Any, Callable, Protocol

if TYPE_CHECKING:
    from service.settings import Settings

log = logging.getLogger("coachscore.ratelimit")


class Limiter(Protocol):
    capacity: float

    @property
    def enabled(self) -> bool: ...

    def take(self, key: str) -> float: ...


def retry_after(wait_s: float) -> str:
    """The ``Retry-After`` header value: whole seconds, at least 1."""
    return str(max(1, math.ceil(wait_s)))


class RateLimiter:
    """In-process buckets. ``take(key)`` -> seconds to wait before a token is free
    (0.0: allowed, and taken)."""

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

    retry_after = staticmethod(retry_after)


# KEYS[1] bucket hash; ARGV: capacity, refill rate (tokens/s). Returns the wait in seconds
# as a string (Lua numbers would be truncated to integers on the way out).
_TAKE = """
local cap = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local v = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(v[1]) or cap
local at = tonumber(v[2]) or now
tokens = math.min(cap, tokens + math.max(0, now - at) * rate)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = (1 - tokens) / rate end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(cap / rate * 1000) + 1000)
return tostring(wait)
"""


class RedisRateLimiter:
    """Buckets shared by every process that uses the same Redis and ``prefix``.

    Fails open: when Redis errors or times out, ``take`` returns 0.0, logs a warning (at most
    once per ``warn_every_s``) and does not try Redis again for ``retry_s`` seconds, so a
    Redis outage costs the API one short timeout, not one per request."""

    def __init__(self, per_minute: int, client: Any, prefix: str, *, retry_s: float = 5.0,
                 warn_every_s: float = 60.0) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self.prefix = prefix
        self._client = client
        self._script = client.register_script(_TAKE)
        self._retry_s, self._warn_every_s = retry_s, warn_every_s
        self._down_until = 0.0
        self._warned_at = -math.inf

    @property
    def enabled(self) -> bool:
        return self.capacity > 0

    def take(self, key: str) -> float:
        import redis

        if not self.enabled or time.monotonic() < self._down_until:
            return 0.0
        try:
            return float(self._script(keys=[f"{self.prefix}{key}"], args=[self.capacity, self.rate]))
        except redis.RedisError as e:
            self._down_until = time.monotonic() + self._retry_s
            if time.monotonic() - self._warned_at >= self._warn_every_s:
                self._warned_at = time.monotonic()
                log.warning("rate limit: Redis is unreachable (%s); allowing requests without a limit "
                            "until it answers", e)
            return 0.0

    retry_after = staticmethod(retry_after)


def redis_url_for(settings: Settings) -> str | None:
    """The Redis that holds the buckets: REDIS_URL, else a redis:// Celery broker, else None."""
    if settings.redis_url:
        return settings.redis_url
    if settings.queue == "celery" and settings.broker_url.startswith(("redis://", "rediss://")):
        return settings.broker_url
    return None


def make_limiter(per_minute: int, settings: Settings, name: str) -> Limiter:
    """The limiter for ``name`` ("api", "signin"): in Redis when one is configured (see the
    module doc), else in this process."""
    url = redis_url_for(settings)
    if url is None or per_minute <= 0:
        if settings.queue == "celery" and per_minute > 0:
            log.warning("rate limit %r is per API process: set COACHSCORE_REDIS_URL to share it "
                        "between API nodes", name)
        return RateLimiter(per_minute)
    import redis

    client = redis.Redis.from_url(url, socket_timeout=0.25, socket_connect_timeout=0.25)
    return RedisRateLimiter(per_minute, client, f"{settings.redis_prefix}rl:{name}:")
