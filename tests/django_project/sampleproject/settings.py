"""A small Django project using ileti through ileti-django (tests run it)."""

from __future__ import annotations

SECRET_KEY = "sample-project-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
ROOT_URLCONF = "sampleproject.urls"
INSTALLED_APPS = ["shop"]
DATABASES: dict[str, object] = {}
USE_TZ = True

# the provider comes from the environment (ILETI_PROVIDER, ILETI_EFECELL_API_KEY, ...);
# tests switch to the in-memory outbox with override_settings(ILETI={"PROVIDER": "outbox"})
ILETI = {"OPTIONS": {"sender": "ILETI"}, "TIMEOUT": 10}
