"""The app for ``celery -A ileti_celery.worker worker``, configured from the
environment: ``ILETI_CELERY_BROKER`` (a Redis URL), ``ILETI_CAMPAIGN_STORE``
(the shared store's URL), ``ILETI_CELERY_VISIBILITY_TIMEOUT`` (seconds,
default 300) and each provider's settings (``ILETI_<PROVIDER>_…``)."""

from __future__ import annotations

import os

from ileti_celery import make_app

app = make_app(
    visibility_timeout=float(os.environ.get("ILETI_CELERY_VISIBILITY_TIMEOUT", "300")),
)
