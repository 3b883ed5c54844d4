"""Routing and failover across providers, without ever sending a message twice.

A :class:`Router` holds one :class:`~ileti.Client` per provider and sends
each message through the first provider that takes it. It moves on to the
next provider only when the failure proves that nothing was sent
(:func:`failover_verdict`, the one place that rule is written). A
``DeliveryUnknown`` (the request may have left) is raised, never failed
over, unless the caller opts in to settling it first (``settle=``): then the
first provider is asked, by report, whether it has the message, and the
router moves on only when the gateway proves it has none.

Each provider has a :class:`CircuitBreaker`: when too many of its recent
calls failed, it is skipped (no timeout per message) for a cool-down, then
one probe decides whether it is used again.
"""

from __future__ import annotations

import contextlib
import enum
import logging
import random
import threading
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from ileti.client import Client, as_batch
from ileti.errors import (
    AccountInactive,
    AuthenticationError,
    CircuitOpen,
    ConfigurationError,
    DeliveryUnknown,
    Forbidden,
    IletiError,
    InsufficientCredit,
    InvalidContent,
    InvalidSender,
    MessageTooLong,
    NoProviderLeft,
    NotSupported,
    ProviderError,
    ProviderUnavailable,
    RateLimited,
    TransportError,
    UnknownMessage,
    ValidationError,
)
from ileti.health import (
    BreakerState,
    CircuitBreaker,
    Health,
    HealthFile,
    default_health_path,
)
from ileti.models import (
    Balance,
    Batch,
    BatchItem,
    DeliveryReport,
    Message,
    Sender,
    SendResult,
)

__all__ = [
    "BreakerState",
    "CircuitBreaker",
    "CircuitOpen",
    "Health",
    "HealthFile",
    "NoProviderLeft",
    "Router",
    "Settle",
    "Strategy",
    "Verdict",
    "default_health_path",
    "failover_verdict",
    "parse_routes",
]

if TYPE_CHECKING:
    from ileti.campaign import Campaign

_log = logging.getLogger("ileti.routing")


# -- the rule ------------------------------------------------------------------------


class Verdict(enum.Enum):
    """What a failed send through one provider allows the router to do."""

    #: nothing was sent and the failure is the provider's (down, refused the
    #: account, a limit of its own): try the next provider
    NEXT = "next"
    #: nothing was sent, but the message itself is at fault (a wrong number,
    #: a refusal of this content or recipient): another provider would only
    #: repeat it, or route around a refusal that must stand; raise
    RAISE = "raise"
    #: the request may have left: never sent elsewhere blindly
    UNKNOWN = "unknown"


#: errors that prove nothing was sent and are the provider's, not the message's
_NEXT: tuple[type[IletiError], ...] = (
    TransportError,  # the request never left (refused connection, DNS, connect timeout)
    AuthenticationError,
    InsufficientCredit,
    AccountInactive,
    Forbidden,
    RateLimited,
    ProviderUnavailable,  # a definite answer: "not now"
    NotSupported,  # this provider lacks the option (scheduling, flash, ...)
    MessageTooLong,  # more parts than this provider allows
    InvalidSender,  # the sender name is not registered here
    InvalidContent,  # characters this provider cannot carry
    ConfigurationError,  # this provider is not set up: nothing could leave
)

#: failures that say something about a provider's health (not about one message)
_UNHEALTHY: tuple[type[IletiError], ...] = (
    TransportError,
    AuthenticationError,
    InsufficientCredit,
    AccountInactive,
    Forbidden,
    RateLimited,
    ProviderUnavailable,
    ConfigurationError,
    DeliveryUnknown,
)


def failover_verdict(exc: BaseException) -> Verdict:
    """The one failover rule: may a message that failed with ``exc`` go
    through another provider?

    Only a failure that proves nothing was sent, and that is the provider's
    and not the message's, gives :attr:`Verdict.NEXT`. A send that was
    partly accepted (a provider that makes one request per text) is
    :attr:`Verdict.UNKNOWN` as a whole: part of it went out.
    """
    if not isinstance(exc, IletiError):
        return Verdict.UNKNOWN  # not ours: anything may have happened
    if exc.partial is not None:
        return Verdict.UNKNOWN
    if isinstance(exc, DeliveryUnknown):
        return Verdict.UNKNOWN
    if isinstance(exc, _NEXT):
        return Verdict.NEXT
    if isinstance(exc, ValidationError | ProviderError):
        # InvalidRecipient, Rejected (the gateway refused this message: an
        # opt-out or a blocked content must not be routed around), ...
        return Verdict.RAISE
    return Verdict.UNKNOWN  # a plugin failure may come after the request left


def counts_against(exc: BaseException) -> bool:
    """Whether ``exc`` is a failure of the provider (for its circuit breaker)."""
    return isinstance(exc, _UNHEALTHY) or not isinstance(exc, IletiError)


# -- the router ----------------------------------------------------------------------

#: per thread: who is told just before a send's request leaves (the async router)
_leaving = threading.local()


def _announce(client_ref: str) -> None:
    leave: Callable[[str], None] | None = getattr(_leaving, "leave", None)
    if leave is not None:
        leave(client_ref)


@contextlib.contextmanager
def announcing(leave: Callable[[str], None]) -> Iterator[None]:
    """Call ``leave(client_ref)`` just before each request of this thread's
    router sends leaves (it may raise to stop the send before it leaves)."""
    _leaving.leave = leave
    try:
        yield
    finally:
        _leaving.leave = None


class Strategy(enum.StrEnum):
    #: the providers in the order given (priority); the next on failover
    ORDERED = "ordered"
    #: the first provider drawn at random by weight, the rest by weight after it
    WEIGHTED = "weighted"
    #: the provider where the text costs fewest credits (each provider's own
    #: text profile); ties and failover in the order given
    CHEAPEST = "cheapest"


def parse_routes(text: str) -> list[tuple[str, int | None]]:
    """``"efecell,modexi"`` (ordered) or ``"efecell:3,modexi:1"`` (weights):
    each provider id with its weight, or ``None`` when none is given."""
    routes: list[tuple[str, int | None]] = []
    for raw in text.split(","):
        name, sep, weight = raw.strip().partition(":")
        name = name.strip()
        if not name:
            raise ConfigurationError(
                f"provider list {text!r} has an empty entry: give ids separated by commas, "
                "e.g. efecell,modexi (or efecell:3,modexi:1 with weights)",
                setting="provider",
            )
        value: int | None = None
        if sep:
            try:
                value = int(weight)
            except ValueError:
                value = -1
            if value < 1:
                raise ConfigurationError(
                    f"weight {weight!r} of {name} is not a whole number >= 1 "
                    "(e.g. efecell:3,modexi:1)",
                    setting="provider",
                )
        if any(name == seen for seen, _ in routes):
            raise ConfigurationError(
                f"provider {name} is listed twice in {text!r}", setting="provider"
            )
        routes.append((name, value))
    return routes


def _failing_over(provider: str, exc: IletiError) -> None:
    said = exc.message.rstrip(".")
    if "nothing was sent" not in said:
        said += "; nothing was sent"
    _log.warning("%s: %s: failing over", provider, said)


def _skipped(route: _Route) -> CircuitOpen:
    health = route.breaker.health()
    return CircuitOpen(
        f"skipped: its circuit is open for {health.retry_in:.0f} s more",
        provider=route.client.provider,
    )


@attrs.define
class _Route:
    client: Client
    weight: int
    sender: str | None
    breaker: CircuitBreaker


#: how the router settles a DeliveryUnknown before failing over (opt-in)
@attrs.frozen
class Settle:
    """Settle a ``DeliveryUnknown`` by report before failing over.

    The first provider is asked, after ``wait`` seconds (so that a request
    that was still on its way has arrived), for the message by its client
    reference; the router fails over only when the gateway answers that it
    has no such message, within ``deadline`` seconds. Only a provider that
    declares ``report_by_client_ref`` can prove that; with any other the
    ``DeliveryUnknown`` is raised as it is.
    """

    deadline: float = 30.0
    wait: float = 2.0


class Router:
    """Send through several providers, failing over only when nothing was sent.

    >>> router = Router.from_env("efecell,modexi")              # doctest: +SKIP
    >>> result = router.send("0532 111 22 33", "Merhaba")       # doctest: +SKIP
    >>> result.provider                                         # doctest: +SKIP
    'efecell'

    ``clients`` are the providers in priority order. ``strategy`` is
    ``"ordered"`` (default), ``"weighted"`` (``weights``: provider id ->
    whole number >= 1) or ``"cheapest"``. ``senders`` maps a provider id to
    the sender name used there when the call gives none. ``settle``
    (a :class:`Settle`) opts in to settling a ``DeliveryUnknown`` by report
    before failing over. ``breaker`` holds the keyword arguments of each
    provider's :class:`CircuitBreaker`.
    """

    def __init__(
        self,
        clients: Sequence[Client],
        *,
        strategy: Strategy | str = Strategy.ORDERED,
        weights: Mapping[str, int] | None = None,
        senders: Mapping[str, str] | None = None,
        settle: Settle | None = None,
        breaker: Mapping[str, Any] | None = None,
        health_file: HealthFile | None = None,
        rng: random.Random | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not clients:
            raise ConfigurationError("a router needs at least one client", setting="clients")
        try:
            self.strategy = Strategy(strategy)
        except ValueError:
            raise ConfigurationError(
                f"strategy={strategy!r}: use one of {', '.join(s.value for s in Strategy)}",
                setting="strategy",
            ) from None
        names = [c.provider for c in clients]
        for mapping, what in ((weights or {}, "weights"), (senders or {}, "senders")):
            stray = sorted(set(mapping) - set(names))
            if stray:
                raise ConfigurationError(
                    f"{what} names {', '.join(stray)}, not among the router's providers "
                    f"({', '.join(names)})",
                    setting=what,
                )
        if len(set(names)) != len(names):
            raise ConfigurationError(
                f"a provider is given twice ({', '.join(names)})", setting="clients"
            )
        weights = dict(weights or {})
        if weights and self.strategy is Strategy.ORDERED:
            self.strategy = Strategy.WEIGHTED
        for name, weight in weights.items():
            if not isinstance(weight, int) or isinstance(weight, bool) or weight < 1:
                raise ConfigurationError(
                    f"weights[{name!r}]={weight!r}: give a whole number >= 1", setting="weights"
                )
        self._routes = [
            _Route(
                c,
                weights.get(c.provider, 1),
                (senders or {}).get(c.provider),
                CircuitBreaker(c.provider, **dict(breaker or {})),
            )
            for c in clients
        ]
        self._by_name = {r.client.provider: r for r in self._routes}
        self._health_file = health_file
        if health_file is not None:
            kept = health_file.load()
            for r in self._routes:
                if r.client.provider in kept:
                    r.breaker.restore(kept[r.client.provider])
        self.settle = settle
        self._rng = rng or random.Random()  # spreading load, not secrets
        self._sleep = sleep

    @classmethod
    def from_env(
        cls,
        providers: str | Sequence[str],
        *,
        config_file: Path | str | None = None,
        env: Mapping[str, str] | None = None,
        strategy: Strategy | str | None = None,
        weights: Mapping[str, int] | None = None,
        senders: Mapping[str, str] | None = None,
        settle: Settle | None = None,
        breaker: Mapping[str, Any] | None = None,
        health_file: HealthFile | None = None,
        **client_options: Any,
    ) -> Router:
        """One :meth:`Client.from_env` per provider (each with its own
        settings); ``providers`` is a list of ids or the text
        ``"efecell,modexi"`` / ``"efecell:3,modexi:1"`` (weights)."""
        if isinstance(providers, str):
            parsed = parse_routes(providers)
        else:
            parsed = [(p, None) for p in providers]
        given = {name: w for name, w in parsed if w is not None}
        if given and weights:
            raise ConfigurationError(
                "weights are given twice: in the provider list and as weights=", setting="weights"
            )
        if given:
            weights = {name: w or 1 for name, w in parsed}
        clients = [
            Client.from_env(name, config_file=config_file, env=env, **client_options)
            for name, _ in parsed
        ]
        return cls(
            clients,
            strategy=strategy or (Strategy.WEIGHTED if weights else Strategy.ORDERED),
            weights=weights,
            senders=senders,
            settle=settle,
            breaker=breaker,
            health_file=health_file,
        )

    # -- what it holds ---------------------------------------------------------------

    @property
    def providers(self) -> list[str]:
        return [r.client.provider for r in self._routes]

    def client(self, provider: str) -> Client:
        """The client of one of the router's providers."""
        return self._route(provider).client

    def _route(self, provider: str) -> _Route:
        try:
            return self._by_name[provider]
        except KeyError:
            raise ConfigurationError(
                f"{provider} is not one of the router's providers ({', '.join(self.providers)})",
                setting="provider",
            ) from None

    def health(self) -> dict[str, Health]:
        """Each provider's circuit breaker: closed (in use), open (skipped),
        or half-open (one probe call decides)."""
        return {r.client.provider: r.breaker.health() for r in self._routes}

    def close(self) -> None:
        for r in self._routes:
            r.client.close()

    def __enter__(self) -> Router:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Router({self.providers!r}, strategy={self.strategy.value!r})"

    # -- sending ---------------------------------------------------------------------

    def send(
        self,
        to: str | Iterable[str],
        text: str,
        *,
        sender: str | None = None,
        schedule: datetime | None = None,
        validity: timedelta | None = None,
        encoding: str | None = None,
        flash: bool = False,
        client_ref: str | None = None,
        fold_turkish: bool = False,
        keep_duplicates: bool = False,
    ) -> SendResult:
        """:meth:`Client.send` through the first provider that takes it;
        ``result.provider`` says which."""
        return self.send_message(
            Message(
                recipients=to,
                text=text,
                sender=sender,
                schedule=schedule,
                validity=validity,
                encoding=encoding,
                flash=flash,
                client_ref=client_ref,
                fold_turkish=fold_turkish,
                keep_duplicates=keep_duplicates,
            )
        )

    def send_message(self, message: Message) -> SendResult:
        """Send a :class:`ileti.Message` (see :meth:`send`)."""

        def one(route: _Route) -> SendResult:
            client = route.client
            client._loaded.require("send")
            outgoing = client.prepare(attrs.evolve(message, sender=message.sender or route.sender))
            _announce(outgoing.client_ref)
            return client.send_prepared(outgoing)

        def cost(route: _Route) -> tuple[int, Any]:
            preview = route.client.preview(
                message.text,
                encoding=message.encoding,
                recipients=message.recipients,
                fold_turkish=message.fold_turkish,
            )
            return (0, preview.credits)

        return self._through(one, cost)

    def send_multi(
        self,
        items: Batch | Iterable[BatchItem | tuple[str, str]],
        *,
        sender: str | None = None,
        schedule: datetime | None = None,
        validity: timedelta | None = None,
        encoding: str | None = None,
        flash: bool = False,
        fold_turkish: bool = False,
    ) -> SendResult:
        """:meth:`Client.send_multi` through the first provider that takes
        the whole batch (a batch is never split across providers)."""
        batch = as_batch(
            items,
            sender=sender,
            schedule=schedule,
            validity=validity,
            encoding=encoding,
            flash=flash,
            fold_turkish=fold_turkish,
        )

        def one(route: _Route) -> SendResult:
            client = route.client
            client._loaded.require("send_multi")
            prepared = client.prepare_batch(
                attrs.evolve(batch, sender=batch.sender or route.sender)
            )
            _announce(prepared.client_ref)
            return client.send_prepared_batch(prepared)

        def cost(route: _Route) -> tuple[int, Any]:
            total = sum(
                route.client.preview(
                    item.text, encoding=batch.encoding, fold_turkish=batch.fold_turkish
                ).credits
                for item in batch.items
            )
            return (0, total)

        return self._through(one, cost)

    def _order(self, cost: Callable[[_Route], tuple[int, Any]]) -> list[_Route]:
        routes = list(self._routes)
        if self.strategy is Strategy.WEIGHTED:
            ordered = []
            while routes:
                pick = self._rng.choices(routes, weights=[r.weight for r in routes])[0]
                routes.remove(pick)
                ordered.append(pick)
            return ordered
        if self.strategy is Strategy.CHEAPEST:

            def key(route: _Route) -> tuple[int, Any]:
                try:
                    return cost(route)
                except IletiError:  # it cannot carry the text: last, its send says why
                    return (1, 0)

            return sorted(routes, key=key)  # stable: ties keep the given order
        return routes

    def _through(
        self,
        one: Callable[[_Route], SendResult],
        cost: Callable[[_Route], tuple[int, Any]],
    ) -> SendResult:
        errors: list[IletiError] = []
        for route in self._order(cost):
            if not route.breaker.allow():
                errors.append(_skipped(route))
                continue
            try:
                result = one(route)
            except IletiError as exc:
                self._record(route, failed=counts_against(exc))
                if not self._fails_over(route.client, exc):
                    raise
                errors.append(exc)
                continue
            self._record(route, failed=False)
            return result
        raise NoProviderLeft.of(errors)

    # -- for the campaign engine, which sends its chunks itself ------------------------

    def pick(self, tried: Collection[str] = ()) -> str:
        """The provider the next request goes to: the first, in the strategy's
        order, that is not in ``tried`` and whose circuit lets a call through
        (a half-open circuit lets this one probe through). Raises
        :class:`NoProviderLeft` when there is none. ``cheapest`` needs a
        text to compare: here it keeps the given order."""
        errors: list[IletiError] = []
        for route in self._order(lambda route: (0, 0)):
            if route.client.provider in tried:
                continue
            if route.breaker.allow():
                return route.client.provider
            errors.append(_skipped(route))
        raise NoProviderLeft.of(errors)

    def sender(self, provider: str) -> str | None:
        """The sender name the router uses at ``provider`` when a send gives none."""
        return self._route(provider).sender

    def outcome(self, provider: str, exc: BaseException | None = None) -> bool:
        """Record how a request through ``provider`` ended (``exc`` when it
        failed) on its circuit breaker; True when the failure proves that
        nothing was sent and lets the request go to another provider
        (:func:`failover_verdict`). A ``DeliveryUnknown`` never does here:
        the caller settles it by report later."""
        route = self._route(provider)
        self._record(route, failed=exc is not None and counts_against(exc))
        if exc is None or failover_verdict(exc) is not Verdict.NEXT:
            return False
        assert isinstance(exc, IletiError)  # the verdict is NEXT for ileti's errors only
        _failing_over(provider, exc)
        return True

    def campaign(self, source: Any, **options: Any) -> Campaign:
        """Create a durable campaign that fails over between the router's
        providers: see :meth:`ileti.Campaign.create`. Rows are checked with
        the first provider's text profile; each request goes to the first
        provider (in the router's order) whose circuit is closed, and to the
        next only when the failure proves that nothing was sent."""
        from ileti.campaign import Campaign

        return Campaign.create(self, source, **options)

    def _record(self, route: _Route, *, failed: bool) -> None:
        route.breaker.record(failed=failed)
        if self._health_file is not None:
            self._health_file.save(route.breaker)

    def _fails_over(self, client: Client, exc: IletiError) -> bool:
        """:func:`failover_verdict`, and the opt-in settling of a ``DeliveryUnknown``."""
        verdict = failover_verdict(exc)
        if verdict is Verdict.NEXT:
            _failing_over(client.provider, exc)
            return True
        if (
            isinstance(exc, DeliveryUnknown)
            and exc.partial is None
            and self.settle is not None
            and self._absent(client, exc)
        ):
            _log.warning(
                "%s: the send's outcome was unknown; its report proves it has no such "
                "message: failing over",
                client.provider,
            )
            return True
        return False

    def _absent(self, client: Client, exc: DeliveryUnknown) -> bool:
        """Whether the gateway proves it has no message of ``exc`` (see :class:`Settle`)."""
        assert self.settle is not None
        ref = exc.client_ref
        if (
            not ref
            or not exc.reference_sent
            or not client.supports("query_report")
            or not bool(getattr(client.info, "report_by_client_ref", False))
        ):
            return False
        end = time.monotonic() + self.settle.deadline
        self._sleep(min(self.settle.wait, self.settle.deadline))
        remaining = end - time.monotonic()
        if remaining <= 0:
            return False
        try:
            with client.deadline(remaining):
                client.report(ref)
        except UnknownMessage:
            return True
        except IletiError:
            return False
        return False  # the gateway has it: it was sent, the DeliveryUnknown stands

    # -- reads -----------------------------------------------------------------------

    def report(
        self, message: SendResult | str | int, *, provider: str | None = None
    ) -> DeliveryReport:
        """The report of a send: pass its :class:`SendResult` (which names the
        provider), or a message id with ``provider=``."""
        if isinstance(message, SendResult):
            return self._route(message.provider).client.report(message)
        if provider is None:
            raise ConfigurationError(
                "a message id alone does not say which provider sent it: pass the SendResult, "
                "or provider= (one of " + ", ".join(self.providers) + ")",
                setting="provider",
            )
        return self._route(provider).client.report(message)

    def balance(self, provider: str | None = None) -> Balance:
        """The balance at ``provider`` (default: the first)."""
        return self._route(provider or self.providers[0]).client.balance()

    def balances(self) -> dict[str, Balance]:
        """The balance at each provider."""
        return {name: self._route(name).client.balance() for name in self.providers}

    def senders(self, provider: str | None = None) -> list[Sender]:
        """The sender names at ``provider`` (default: the first)."""
        return self._route(provider or self.providers[0]).client.senders()
