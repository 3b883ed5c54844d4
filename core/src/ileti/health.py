"""Provider health: a circuit breaker per provider, and the file that keeps
breakers between processes (:class:`HealthFile`).

Apart from :mod:`ileti.routing` so that reading the kept health (``ileti
providers``) does not import the client; :mod:`ileti.routing` re-exports
every name. Changes of state are logged on the ``ileti.routing`` logger.
"""

from __future__ import annotations

import enum
import json
import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import attrs

from ileti.errors import ConfigurationError

__all__ = ["BreakerState", "CircuitBreaker", "Health", "HealthFile", "default_health_path"]

_log = logging.getLogger("ileti.routing")


class BreakerState(enum.StrEnum):
    CLOSED = "closed"  # in use
    OPEN = "open"  # skipped until the cool-down ends
    HALF_OPEN = "half-open"  # one probe call decides


@attrs.frozen
class Health:
    """A provider's circuit breaker, as :meth:`Router.health` shows it."""

    provider: str
    state: BreakerState
    calls: int  # in the window
    failures: int  # in the window
    #: seconds until an open breaker lets a probe through (0 when not open)
    retry_in: float

    def to_dict(self) -> dict[str, object]:
        return {
            "provider": self.provider,
            "state": self.state.value,
            "calls": self.calls,
            "failures": self.failures,
            "retry_in": round(self.retry_in, 1),
        }


class CircuitBreaker:
    """Failure rate over the last ``window`` calls; open for ``cooldown``
    seconds when at least ``min_calls`` were made and ``failure_rate`` of
    them failed; then one probe: success closes it, failure opens it again.

    Thread-safe. ``clock`` is a monotonic clock in seconds (for tests).
    """

    def __init__(
        self,
        provider: str,
        *,
        window: int = 20,
        min_calls: int = 5,
        failure_rate: float = 0.5,
        cooldown: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if window < 1 or not 1 <= min_calls <= window:
            raise ConfigurationError(
                f"breaker window={window}, min_calls={min_calls}: give 1 <= min_calls <= window",
                setting="breaker",
            )
        if not 0 < failure_rate <= 1:
            raise ConfigurationError(
                f"breaker failure_rate={failure_rate}: give a rate in (0, 1]", setting="breaker"
            )
        if cooldown < 0:
            raise ConfigurationError(
                f"breaker cooldown={cooldown}: give seconds >= 0", setting="breaker"
            )
        self.provider = provider
        self._window: deque[bool] = deque(maxlen=window)  # True: a failure
        self._min_calls = min_calls
        self._rate = failure_rate
        self._cooldown = cooldown
        self._clock = clock
        self._state = BreakerState.CLOSED
        self._opened_at = 0.0
        self._probing = False
        self._lock = threading.Lock()

    @property
    def state(self) -> BreakerState:
        with self._lock:
            return self._current()

    def _current(self) -> BreakerState:
        if self._state is BreakerState.OPEN and self._clock() >= self._opened_at + self._cooldown:
            self._move(BreakerState.HALF_OPEN, "cool-down over: the next call is a probe")
        return self._state

    def _move(self, state: BreakerState, why: str) -> None:
        if state is self._state:
            return
        level = logging.WARNING if state is BreakerState.OPEN else logging.INFO
        _log.log(level, "%s: circuit %s -> %s (%s)", self.provider, self._state, state, why)
        self._state = state

    def allow(self) -> bool:
        """Whether a call may go to the provider now (an open breaker: no;
        a half-open one: yes for exactly one probe at a time)."""
        with self._lock:
            state = self._current()
            if state is BreakerState.CLOSED:
                return True
            if state is BreakerState.HALF_OPEN and not self._probing:
                self._probing = True
                return True
            return False

    def record(self, *, failed: bool) -> None:
        """The outcome of a call that :meth:`allow` let through."""
        with self._lock:
            state = self._current()
            if state is BreakerState.HALF_OPEN:
                self._probing = False
                if failed:
                    self._open("the probe failed")
                else:
                    self._window.clear()
                    self._move(BreakerState.CLOSED, "the probe succeeded")
                return
            self._window.append(failed)
            failures = sum(self._window)
            if (
                state is BreakerState.CLOSED
                and len(self._window) >= self._min_calls
                and failures >= self._rate * len(self._window)
            ):
                self._open(f"{failures} of the last {len(self._window)} calls failed")

    def _open(self, why: str) -> None:
        self._opened_at = self._clock()
        self._window.clear()
        self._move(BreakerState.OPEN, f"{why}; skipped for {self._cooldown:g} s")

    def snapshot(self) -> dict[str, Any]:
        """What :class:`HealthFile` keeps: the window of outcomes, and the
        wall-clock time the breaker opened (``None`` when closed)."""
        with self._lock:
            state = self._current()
            opened = None
            if state is not BreakerState.CLOSED:
                opened = time.time() - (self._clock() - self._opened_at)
            return {"window": [int(f) for f in self._window], "opened_at": opened}

    def restore(self, snapshot: Mapping[str, Any]) -> None:
        """Take up a :meth:`snapshot` another process left; what does not
        read as one is ignored (health is advice, never a reason to fail)."""
        window = snapshot.get("window")
        opened = snapshot.get("opened_at")
        with self._lock:
            if isinstance(window, list) and all(w in (0, 1) for w in window):
                self._window.clear()
                self._window.extend(bool(w) for w in window)
            if isinstance(opened, int | float) and not isinstance(opened, bool):
                self._state = BreakerState.OPEN
                self._opened_at = self._clock() - max(time.time() - opened, 0.0)
                self._probing = False

    def health(self) -> Health:
        with self._lock:
            state = self._current()
            retry_in = 0.0
            if state is BreakerState.OPEN:
                retry_in = max(self._opened_at + self._cooldown - self._clock(), 0.0)
            return Health(self.provider, state, len(self._window), sum(self._window), retry_in)


def default_health_path(env: Mapping[str, str] | None = None) -> Path:
    """``$XDG_STATE_HOME/ileti/health.json``, else under ``~/.local/state``."""
    env = os.environ if env is None else env
    base = env.get("XDG_STATE_HOME", "")
    root = Path(base) if base and Path(base).is_absolute() else Path.home() / ".local" / "state"
    return root / "ileti" / "health.json"


class HealthFile:
    """Circuit breakers kept between processes: each command-line run picks up
    where the last left (a gateway that failed five sends in a row is skipped
    by the next run too), and ``ileti providers`` shows them.

    One JSON file (mode 0600), rewritten whole under an exclusive lock beside
    it; a file that does not read is treated as empty.
    """

    def __init__(self, path: Path | str | None = None) -> None:
        self.path = Path(path) if path is not None else default_health_path()

    def load(self) -> dict[str, dict[str, Any]]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        if not isinstance(data, dict):
            return {}
        return {k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, dict)}

    def save(self, breaker: CircuitBreaker) -> None:
        import fcntl

        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            lock = os.open(f"{self.path}.lock", os.O_CREAT | os.O_RDWR, 0o600)
        except OSError as exc:
            _log.debug("health not kept: %s", exc)
            return
        try:
            fcntl.flock(lock, fcntl.LOCK_EX)
            data = self.load()
            data[breaker.provider] = breaker.snapshot()
            fresh = self.path.with_name(f".{self.path.name}.{os.getpid()}")
            fd = os.open(fresh, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(data, out)
            os.replace(fresh, self.path)
        except OSError as exc:
            _log.debug("health not kept: %s", exc)
        finally:
            os.close(lock)

    def health(self, provider: str, **breaker: Any) -> Health | None:
        """A provider's kept breaker, as it stands now (``None``: never used)."""
        snapshot = self.load().get(provider)
        if snapshot is None:
            return None
        kept = CircuitBreaker(provider, **breaker)
        kept.restore(snapshot)
        return kept.health()
