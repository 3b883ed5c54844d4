from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("nightly", max_examples=2000, deadline=None)
settings.register_profile("dev", max_examples=100, deadline=None)
if os.environ.get("HYPOTHESIS_PROFILE") in ("ci", "nightly", "dev"):
    settings.load_profile(os.environ["HYPOTHESIS_PROFILE"])


@pytest.fixture(autouse=True)
def _fresh_host(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test sees plugins as installed, with no provider blocked."""
    from ileti import host

    monkeypatch.delenv(host.DISABLE_ENV, raising=False)
    host.clear_caches()
    yield
    host.clear_caches()
