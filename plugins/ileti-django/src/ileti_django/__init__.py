"""ileti in a Django project: a client from settings, the outbox in tests.

Settings (all optional)::

    ILETI = {
        "PROVIDER": "efecell",           # else $ILETI_PROVIDER, else the config file
        "OPTIONS": {"sender": "FIRMA"},  # provider settings; the rest from ILETI_EFECELL_*
        "TIMEOUT": 10,                   # seconds, or (connect, read)
        "MAX_IN_FLIGHT": 8,              # get_async_client(): calls in flight at once
        "PUSH_TOKEN": "...",             # push_view(): the push URL's secret last segment
    }

:func:`get_client` returns one :class:`ileti.Client` for the whole process
(it is thread-safe), made on first use and made again when the ``ILETI``
setting changes (``override_settings`` in tests). ``"PROVIDER": "outbox"``
sends into :func:`outbox`, the in-memory outbox, as Django's locmem e-mail
backend does for mail.
"""

from __future__ import annotations

import asyncio
import os
import threading
import weakref
from collections.abc import Callable, Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

import ileti
from ileti.async_client import DEFAULT_MAX_IN_FLIGHT
from ileti.push import OnReports, PushReceiver, PushRequest
from ileti.settings import PROVIDER_ENV, default_config_path, default_provider
from ileti.testing import Outbox, default_outbox

__all__ = ["SETTING", "get_async_client", "get_client", "outbox", "push_view", "reset"]

SETTING = "ILETI"
OUTBOX = "outbox"
_KEYS = frozenset({"PROVIDER", "OPTIONS", "TIMEOUT", "MAX_IN_FLIGHT", "PUSH_TOKEN"})

_lock = threading.Lock()
_client: ileti.Client | None = None
_async: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, ileti.AsyncClient] = (
    weakref.WeakKeyDictionary()
)


def _settings() -> Mapping[str, Any]:
    value = getattr(settings, SETTING, {})
    if not isinstance(value, Mapping):
        raise ImproperlyConfigured(
            f"settings.{SETTING} must be a dict such as {{'PROVIDER': 'efecell'}}"
        )
    unknown = sorted(set(value) - _KEYS)
    if unknown:
        raise ImproperlyConfigured(
            f"settings.{SETTING} has unknown keys {', '.join(unknown)} "
            f"(known: {', '.join(sorted(_KEYS))})"
        )
    options = value.get("OPTIONS", {})
    if not isinstance(options, Mapping):
        raise ImproperlyConfigured(f"settings.{SETTING}['OPTIONS'] must be a dict")
    return value


def _new_client() -> ileti.Client:
    conf = _settings()
    provider = conf.get("PROVIDER") or os.environ.get(PROVIDER_ENV, "").strip() or None
    if provider is None:
        try:
            provider = default_provider(config_file=default_config_path())
        except ileti.ConfigurationError:
            raise ImproperlyConfigured(
                f"no SMS provider named: set settings.{SETTING}['PROVIDER'] (e.g. 'efecell', "
                f"or 'outbox' in tests) or the environment variable {PROVIDER_ENV}"
            ) from None
    # OPTIONS are the real gateway's settings: the outbox stands in for any gateway
    # and takes none, so switching to it (even by $ILETI_PROVIDER) needs no other change
    options = {} if provider == OUTBOX else dict(conf.get("OPTIONS", {}))
    return ileti.Client.from_env(provider, timeout=conf.get("TIMEOUT"), **options)


def get_client() -> ileti.Client:
    """The process's :class:`ileti.Client`, from ``settings.ILETI``."""
    global _client
    with _lock:
        if _client is None:
            _client = _new_client()
        return _client


def get_async_client() -> ileti.AsyncClient:
    """An :class:`ileti.AsyncClient` for the running event loop (one per loop),
    from ``settings.ILETI``; for async views."""
    loop = asyncio.get_running_loop()
    with _lock:
        client = _async.get(loop)
        if client is None:
            max_in_flight = _settings().get("MAX_IN_FLIGHT", DEFAULT_MAX_IN_FLIGHT)
            client = ileti.AsyncClient.wrap(_new_client(), max_in_flight=max_in_flight)
            _async[loop] = client
        return client


def outbox() -> Outbox:
    """The in-memory outbox that ``"PROVIDER": "outbox"`` sends into."""
    return default_outbox()


def reset() -> None:
    """Forget the clients made so far (the next call makes new ones)."""
    global _client
    with _lock:
        old, _client = _client, None
        _async.clear()
    if old is not None:
        old.close()


def push_view(on_reports: OnReports) -> Callable[[HttpRequest], HttpResponse]:
    """A view receiving the delivery reports the provider pushes: mount it as
    ``path("sms/push/<str:token>", push_view(handle))``, set
    ``settings.ILETI["PUSH_TOKEN"]``, and give the provider the push URL
    ending with that token (its ``push_url`` setting). ``on_reports`` gets the
    normalised reports of each push (see :class:`ileti.push.PushReceiver`)."""

    def view(request: HttpRequest, **kwargs: Any) -> HttpResponse:
        token = _settings().get("PUSH_TOKEN")
        if not isinstance(token, str) or not token:
            raise ImproperlyConfigured(
                f"settings.{SETTING}['PUSH_TOKEN'] is needed to receive pushed reports: "
                "set it to ileti.push.new_token()'s value and end the push URL with it"
            )
        receiver = PushReceiver(get_client(), on_reports, token=token)
        headers = {k.lower(): str(v) for k, v in request.headers.items()}
        push = PushRequest(
            method=str(request.method),
            path=request.path,
            query={k: str(v) for k, v in request.GET.items()},
            headers=headers,
            body=request.body,
        )
        status, text = receiver.handle(push)
        return HttpResponse(text, status=status, content_type="text/plain; charset=utf-8")

    # a gateway posts no CSRF token: the secret token in the URL authenticates it
    exempt: Callable[[HttpRequest], HttpResponse] = csrf_exempt(view)
    return exempt


def _on_setting_changed(*, setting: str, **kwargs: Any) -> None:
    if setting == SETTING:
        reset()


setting_changed.connect(_on_setting_changed, dispatch_uid="ileti_django.reset")
