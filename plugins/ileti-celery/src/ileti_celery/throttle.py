"""A throttle every worker shares, kept in Redis.

The same schedule as :class:`ileti.campaign.throttle.Throttle` (each take
reserves its share of time in turn, a whole batch at once), but the
reservation is one Lua script run atomically by Redis on Redis's clock, so
any number of workers on any number of machines stay within one rate per
provider.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import redis

__all__ = ["RedisThrottle"]

# KEYS: messages' free-at, requests' free-at, paused-until
# ARGV: messages in this request, messages/s (0: none), requests/s (0: none)
_TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1e6
local go = math.max(now, tonumber(redis.call('GET', KEYS[3]) or '0'))
local function reserve(key, n, rate)
  if rate <= 0 then return go end
  local free = tonumber(redis.call('GET', key) or '0')
  local start = math.max(go - 1 / rate, free)
  redis.call('SET', key, string.format('%.6f', start + n / rate), 'EX', 3600)
  return math.max(go, start)
end
go = math.max(go, reserve(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2])))
go = math.max(go, reserve(KEYS[2], 1, tonumber(ARGV[3])))
return string.format('%.6f', go - now)
"""

# KEYS: paused-until, the current pause; ARGV: retry-after, the longest pause
_SLOW_DOWN = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1e6
local most = tonumber(ARGV[2])
local pause = math.min(most, math.max(1, 2 * tonumber(redis.call('GET', KEYS[2]) or '0')))
redis.call('SET', KEYS[2], string.format('%.6f', pause), 'EX', 3600)
pause = math.max(pause, math.min(tonumber(ARGV[1]), most))
local until_ = math.max(tonumber(redis.call('GET', KEYS[1]) or '0'), now + pause)
redis.call('SET', KEYS[1], string.format('%.6f', until_), 'EX', 3600)
return string.format('%.6f', pause)
"""


class RedisThrottle:
    """``messages`` and ``requests`` per second for one provider, across
    every worker that uses the same Redis and ``provider``.

    Implements :class:`ileti.campaign.throttle.Throttling`.
    """

    MAX_PAUSE = 60.0

    def __init__(
        self,
        url: str,
        provider: str,
        *,
        messages: float | None = None,
        requests: float | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        for name, value in (("messages", messages), ("requests", requests)):
            if value is not None and value <= 0:
                raise ValueError(f"{name} must be a positive rate (or None for no limit)")
        self._redis = redis.Redis.from_url(url)
        prefix = f"ileti:throttle:{provider}"
        self._keys = (f"{prefix}:messages", f"{prefix}:requests", f"{prefix}:paused")
        self._pause_key = f"{prefix}:pause"
        self._messages = float(messages or 0)
        self._requests = float(requests or 0)
        self._take = self._redis.register_script(_TAKE)
        self._slow = self._redis.register_script(_SLOW_DOWN)
        self._sleep = sleep

    def reserve(self, n: int) -> float:
        """Reserve a request of ``n`` messages; the seconds to wait before it leaves."""
        wait = self._take(keys=self._keys, args=(n, self._messages, self._requests))
        return float(wait)

    def take(self, n: int) -> None:
        wait = self.reserve(n)
        if wait > 0:
            self._sleep(wait)

    def slow_down(self, retry_after: float | None = None) -> float:
        pause = self._slow(
            keys=(self._keys[2], self._pause_key), args=(retry_after or 0.0, self.MAX_PAUSE)
        )
        return float(pause)

    def relax(self) -> None:
        self._redis.set(self._pause_key, "0", ex=3600)
