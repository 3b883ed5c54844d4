"""What every check stands on: the provider under test, its emulator served on
loopback, and real :class:`ileti.Client` objects pointed at it.
"""

from __future__ import annotations

import contextlib
import inspect
import itertools
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import attrs

from ileti.emulation import EmulatorBase, FaultProxy, ServedApp, VirtualClock, serve
from ileti.host import LoadedProvider, inspect_plugin, load_provider
from ileti.http import RetryPolicy, Timeout

if TYPE_CHECKING:
    from ileti.client import Client
    from ileti.emulation import EmulatedMessage

__all__ = [
    "EmulatorFactory",
    "Harness",
    "SetupError",
    "Target",
    "emulator_problems",
    "hook_emulator_factory",
]

#: builds a fresh emulator on a virtual clock
EmulatorFactory = Callable[[VirtualClock], Any]

#: retries without pauses: the checks count attempts, they never wait for them
FAST_RETRY = RetryPolicy(attempts=3, backoff=0.0, max_backoff=0.0, retry_after_cap=0.0)
DEFAULT_TIMEOUT = Timeout(connect=5.0, read=10.0)


class SetupError(Exception):
    """The provider or its emulator cannot be set up for the suite (a clear message)."""


def hook_emulator_factory(loaded: LoadedProvider) -> EmulatorFactory:
    """The plugin's own emulator, through its ``provider_emulator`` hook."""
    if not loaded.has_emulator:
        raise SetupError(
            f"provider {loaded.name!r} does not implement the provider_emulator hook, so the "
            "conformance suite has nothing to test against; implement it (return a new "
            "EmulatorBase subclass instance on the given clock) or set emulator_factory on "
            "your ProviderConformance subclass"
        )

    def factory(clock: VirtualClock) -> Any:
        return loaded.emulator(clock)

    return factory


@attrs.frozen
class Target:
    """The provider under test and how to build its emulator.

    ``settings`` are extra settings passed to every client on top of the
    emulator's ``credentials()``; ``sender`` is the sender name used by the
    checks (``None``: the emulator's ``default_sender``). ``installed`` is
    true when the provider was loaded by its entry point (so the ``ileti``
    command can load it too).
    """

    name: str
    loaded: LoadedProvider
    emulator_factory: EmulatorFactory
    settings: Mapping[str, Any] = attrs.field(factory=dict)
    sender: str | None = None
    installed: bool = False

    @classmethod
    def build(
        cls,
        name: str,
        *,
        plugin: Any = None,
        emulator_factory: EmulatorFactory | None = None,
        settings: Mapping[str, Any] | None = None,
        sender: str | None = None,
    ) -> Target:
        """An installed provider by name, or ``plugin`` loaded in-process."""
        from ileti.errors import IletiError

        try:
            loaded = load_provider(name) if plugin is None else inspect_plugin(name, plugin)
        except IletiError as exc:
            raise SetupError(f"cannot load provider {name!r}: {exc}") from exc
        factory = as_factory(emulator_factory) or hook_emulator_factory(loaded)
        return cls(name, loaded, factory, dict(settings or {}), sender, plugin is None)


def as_factory(factory: Any) -> EmulatorFactory | None:
    """A callable taking the clock; an emulator class is called with ``clock=``
    (``EmulatorBase.__init__`` takes it as a keyword)."""
    if factory is None:
        return None
    if isinstance(factory, type):
        emulator_class = factory

        def build(clock: VirtualClock) -> Any:
            return emulator_class(clock=clock)

        return build
    if not callable(factory):
        raise TypeError(f"an emulator factory takes a VirtualClock; {factory!r} is not callable")
    checked: EmulatorFactory = factory
    return checked


def call_factory(owner: object, attribute: str) -> EmulatorFactory | None:
    """Read an ``emulator_factory`` class attribute in any of its natural forms.

    Accepted: ``None``; an emulator class; any callable taking the clock; a staticmethod;
    a method ``def emulator_factory(self, clock)``; a plain function taking the
    clock assigned as a class attribute.
    """
    raw = inspect.getattr_static(type(owner), attribute, None)
    if raw is None:
        return None
    if isinstance(raw, staticmethod | classmethod):
        bound: EmulatorFactory = getattr(owner, attribute)
        return bound
    if inspect.isfunction(raw):
        params = [
            p
            for p in inspect.signature(raw).parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        ]
        if len(params) >= 2:  # (self, clock): a method
            method: EmulatorFactory = getattr(owner, attribute)
            return method
        return raw
    return as_factory(raw)


def emulator_problems(emulator: Any, clock: VirtualClock) -> list[str]:
    """How an emulator falls short of the protocol the suite relies on (empty: fine)."""
    problems: list[str] = []
    name = type(emulator).__name__
    if not isinstance(emulator, EmulatorBase):
        problems.append(f"{name} is not a subclass of ileti.emulation.EmulatorBase")
        return problems
    if emulator.clock is not clock:
        problems.append(f"{name} does not use the VirtualClock it was given")
    try:
        creds = emulator.credentials()
    except Exception as exc:
        problems.append(f"{name}.credentials() failed: {type(exc).__name__}: {exc}")
    else:
        if not isinstance(creds, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in creds.items()
        ):
            problems.append(f"{name}.credentials() must return a dict of str to str")
    credit = getattr(emulator, "credit", None)
    if not isinstance(credit, Decimal):
        problems.append(f"{name}.credit must be a Decimal, not {type(credit).__name__}")
    price = getattr(type(emulator), "price_per_part", None)
    if not isinstance(price, Decimal) or price <= 0:
        problems.append(f"{name}.price_per_part must be a positive Decimal class attribute")
    sender = getattr(emulator, "default_sender", None)
    if not isinstance(sender, str) or not sender:
        problems.append(f"{name}.default_sender must be a non-empty str")
    errors = getattr(emulator, "documented_errors", None)
    if not isinstance(errors, Mapping) or not errors:
        problems.append(
            f"{name}.documented_errors is empty: list the gateway's documented error codes "
            "with the ileti error each must raise"
        )
    return problems


class Harness:
    """One fresh emulator served on loopback, and clients for it.

    Everything it opens (server, proxies, clients) is closed by :meth:`close`.
    """

    def __init__(self, target: Target) -> None:
        self.target = target
        self.clock = VirtualClock()
        self.emulator: Any = target.emulator_factory(self.clock)
        if not isinstance(self.emulator, EmulatorBase):
            raise SetupError(
                f"the emulator factory of {target.name!r} returned {type(self.emulator).__name__}"
                ", not an ileti.emulation.EmulatorBase"
            )
        self._closers: list[Callable[[], None]] = []
        self.served: ServedApp = self.serve(self.emulator)
        self._counter = itertools.count(1)

    # -- what the checks read ---------------------------------------------------

    @property
    def name(self) -> str:
        return self.target.name

    @property
    def loaded(self) -> LoadedProvider:
        return self.target.loaded

    @property
    def info(self) -> Any:
        return self.target.loaded.info

    @property
    def capabilities(self) -> frozenset[str]:
        return self.target.loaded.capabilities

    @property
    def base_url(self) -> str:
        return self.served.base_url

    @property
    def sender(self) -> str | None:
        if self.target.sender is not None:
            return self.target.sender
        sender: str | None = getattr(self.emulator, "default_sender", None)
        return sender

    def credentials(self) -> dict[str, str]:
        return dict(self.emulator.credentials())

    def settings_values(self, base_url: str | None = None) -> dict[str, Any]:
        """Everything a client needs: credentials, extra settings, the base URL."""
        return {
            **self.credentials(),
            **self.target.settings,
            "base_url": base_url or self.base_url,
        }

    def messages(self) -> list[EmulatedMessage]:
        with self.emulator.lock:
            return list(self.emulator.messages)

    def received_count(self) -> int:
        with self.emulator.lock:
            return len(self.emulator.received)

    def top_up(self, amount: Decimal = Decimal(10) ** 9) -> None:
        """Give the emulated account plenty of credit for long property runs."""
        with self.emulator.lock, contextlib.suppress(AttributeError):
            self.emulator.credit = amount

    # -- numbers ----------------------------------------------------------------

    def numbers(self, count: int, *, undelivered: Sequence[int] = ()) -> list[str]:
        """Distinct Turkish mobile numbers in E.164; those at ``undelivered``
        positions end in 9 (the emulator protocol makes them undelivered)."""
        out = []
        for i in range(count):
            serial = next(self._counter) % 100_000
            last = 9 if i in undelivered else (serial % 9)
            out.append(f"+90532{serial:05d}{i % 10}{last}")
        return out

    # -- resources --------------------------------------------------------------

    def serve(self, app: Any) -> ServedApp:
        served = serve(app)
        self._closers.append(served.close)
        return served

    def proxy(self, upstream: str | None = None, **kw: Any) -> FaultProxy:
        """A :class:`FaultProxy` in front of the emulator (or ``upstream``)."""
        kw.setdefault("hang_seconds", 20.0)
        proxy = FaultProxy(upstream or self.base_url, **kw)
        self._closers.append(proxy.close)
        return proxy

    def client(
        self,
        *,
        base_url: str | None = None,
        timeout: Timeout | None = None,
        retry: RetryPolicy | None = None,
        extensions: Iterable[Any] = (),
        **overrides: Any,
    ) -> Client:
        """A real client for the provider, pointed at the emulator by default,
        reading "now" from the emulator's clock (``Context.clock``), as a
        gateway's clock is the one that counts."""
        from ileti.client import Client

        values = {**self.settings_values(base_url), **overrides}
        client = Client(
            self.target.loaded,
            timeout=timeout or DEFAULT_TIMEOUT,
            retry=retry or FAST_RETRY,
            extensions=extensions,
            clock=self.clock.now,
            **values,
        )
        self._closers.append(client.close)
        return client

    def close(self) -> None:
        while self._closers:
            closer = self._closers.pop()
            with contextlib.suppress(Exception):  # one failing close must not block the others
                closer()
