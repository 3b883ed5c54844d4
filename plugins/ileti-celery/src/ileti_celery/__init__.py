"""Run ileti campaigns on Celery workers.

One task per chunk of a campaign (one request's worth of rows), on a store
many runners share (``ileti-postgres``). The task body is
:meth:`ileti.campaign.Campaign.send_chunk`: it settles what dead runners
left, then claims and sends whatever of its chunk is still pending, so a
task delivered twice sends nothing twice. Tasks are acknowledged late
(``acks_late``): a worker that dies mid-task leaves its task to the broker,
which hands it to another worker after ``visibility_timeout``.

>>> from ileti_celery import make_app, enqueue                  # doctest: +SKIP
>>> app = make_app("redis://localhost/0", store="postgresql://…")  # doctest: +SKIP
>>> enqueue(campaign, app, rate=100)                            # doctest: +SKIP

Workers: ``celery -A ileti_celery.worker worker`` (settings from the
environment: ``ILETI_CELERY_BROKER``, ``ILETI_CAMPAIGN_STORE`` and each
provider's ``ILETI_<PROVIDER>_…``), or your own app with :func:`install`.
"""

from __future__ import annotations

import os
import sys
import threading
from typing import TYPE_CHECKING, Any

from celery import Celery

from ileti.campaign.store import CampaignBusy, CampaignStore, open_store
from ileti.errors import ConfigurationError, ValidationError
from ileti_celery.throttle import RedisThrottle

if TYPE_CHECKING:
    from celery import Task

    from ileti.campaign import Campaign
    from ileti.client import Client
    from ileti.routing import Router

__all__ = [
    "TASK_NAME",
    "WORKER_COMMAND",
    "WORKER_SETTINGS",
    "RedisThrottle",
    "enqueue",
    "install",
    "make_app",
]

#: the name the chunk task is registered under
TASK_NAME = "ileti.campaign.send_chunk"

#: broker settings for exactly-once chunks: acknowledge after the body ran,
#: hand a dead worker's task to another, take one task at a time
WORKER_SETTINGS: dict[str, Any] = {
    "task_acks_late": True,
    "task_reject_on_worker_lost": True,
    "worker_prefetch_multiplier": 1,
    "task_serializer": "json",
    "accept_content": ["json"],
    "broker_connection_retry_on_startup": True,
}


#: a worker of :mod:`ileti_celery.worker` that takes one task at a time and
#: talks to no other worker (add ``--hostname``, ``--loglevel`` as you like)
WORKER_COMMAND: tuple[str, ...] = (
    sys.executable,
    "-m",
    "celery",
    "-A",
    "ileti_celery.worker",
    "worker",
    "--pool=solo",
    "--without-gossip",
    "--without-mingle",
    "--without-heartbeat",
)


def make_app(
    broker: str | None = None,
    *,
    store: str | None = None,
    throttle: str | None = None,
    visibility_timeout: float = 300.0,
) -> Celery:
    """A Celery app that runs campaign chunks.

    ``broker`` defaults to ``$ILETI_CELERY_BROKER``; ``store`` (the campaign
    store's URL, read by workers only) to ``$ILETI_CAMPAIGN_STORE``;
    ``throttle`` (a Redis URL for the shared throttle) to the broker.
    ``visibility_timeout`` is how long (seconds) the broker waits before it
    gives a dead worker's task to another: longer than any chunk takes.
    """
    broker = broker or os.environ.get("ILETI_CELERY_BROKER")
    if not broker:
        raise ConfigurationError(
            "no Celery broker: pass broker='redis://…' or set ILETI_CELERY_BROKER",
            setting="broker",
        )
    app = Celery("ileti", broker=broker)
    app.conf.update(WORKER_SETTINGS)
    app.conf.broker_transport_options = {
        "visibility_timeout": visibility_timeout,
        # look for a dead worker's tasks every tenth of the timeout
        "unacked_restore_interval": max(1, int(visibility_timeout / 10)),
        "unacked_restore_throttle": 1,
    }
    install(app, store=store, throttle=throttle)
    return app


def install(
    app: Celery, *, store: str | None = None, throttle: str | None = None
) -> Task[Any, int]:
    """Register the chunk task on your own Celery app (a Django project's,
    say); returns it. Set :data:`WORKER_SETTINGS` on the app too."""
    if store is not None:
        app.conf.ileti_campaign_store = store
    if throttle is not None:
        app.conf.ileti_throttle = throttle

    task: Task[Any, int] = app.task(
        name=TASK_NAME,
        bind=True,
        acks_late=True,
        reject_on_worker_lost=True,
        # the body is idempotent (claims, then settles what a failure left),
        # so a failure (the database went away, say) is retried, not dropped
        autoretry_for=(Exception,),
        dont_autoretry_for=(CampaignBusy,),
        retry_backoff=True,
        retry_backoff_max=300,
        max_retries=8,
    )(send_chunk)
    return task


def send_chunk(
    task: Task[Any, int],
    campaign_id: str,
    chunk: int,
    rate: float | None = None,
    request_rate: float | None = None,
) -> int:
    """The task: send one chunk of a campaign (``Campaign.send_chunk``)."""
    try:
        return _send_chunk(task.app, campaign_id, chunk, rate, request_rate)
    except CampaignBusy as exc:  # being imported or cancelled right now
        raise task.retry(countdown=5, max_retries=None) from exc


def enqueue(
    campaign: Campaign,
    app: Celery,
    *,
    rate: float | None = None,
    request_rate: float | None = None,
) -> int:
    """Import the rest of the campaign's input here (alone), then queue one
    task per chunk; the number of tasks.

    Safe to call again (after a pause, say): chunks already sent send
    nothing. ``rate`` (messages/s) and ``request_rate`` (requests/s) hold
    for all workers together, per provider.
    """
    if not campaign.store.shared:
        raise ConfigurationError(
            f"Celery workers cannot share the campaign store {campaign.store.location}: "
            "use a store several runners can share (store='postgresql://…')",
            setting="store",
        )
    if campaign.record.status == "cancelled":
        raise ValidationError(f"campaign {campaign.id} was cancelled: it sends nothing more")
    campaign.import_rows()
    # running from now on (a pause is lifted: the user fixed its cause); the
    # worker that sends the last row says how it ended
    campaign.store.set_status(campaign.id, "running")
    last = campaign.store.last_chunk(campaign.id)
    for chunk in range(1, last + 1):
        app.send_task(TASK_NAME, args=(campaign.id, chunk, rate, request_rate))
    return last


# -- in the worker ------------------------------------------------------------------

_cache_lock = threading.Lock()
_stores: dict[str, CampaignStore] = {}
_clients: dict[str, Client | Router] = {}


def _store(app: Celery) -> CampaignStore:
    url = app.conf.get("ileti_campaign_store") or os.environ.get("ILETI_CAMPAIGN_STORE")
    if not url:
        raise ConfigurationError(
            "the worker has no campaign store: set ILETI_CAMPAIGN_STORE (or make_app(store=…))",
            setting="store",
        )
    with _cache_lock:
        if url not in _stores:
            _stores[url] = open_store(url)
        return _stores[url]


def _client(provider: str, route: list[str] | None = None) -> Client | Router:
    """The worker's client for a provider, or its router for a campaign
    created over several (each provider's settings from the environment)."""
    from ileti.client import Client
    from ileti.routing import Router

    key = ",".join(route) if route else provider
    with _cache_lock:
        if key not in _clients:
            _clients[key] = Router.from_env(route) if route else Client.from_env(provider)
        return _clients[key]


def _send_chunk(
    app: Celery, campaign_id: str, chunk: int, rate: float | None, request_rate: float | None
) -> int:
    from ileti.campaign import Campaign

    store = _store(app)
    record = store.get(campaign_id)  # read once: the provider, and the campaign itself
    provider = record.provider
    campaign = Campaign(_client(provider, record.spec.get("route")), store, record)
    throttle = None
    if rate or request_rate:
        url = app.conf.get("ileti_throttle") or app.conf.broker_url
        throttle = RedisThrottle(url, provider, messages=rate, requests=request_rate)
    return campaign.send_chunk(chunk, throttle=throttle)
