from __future__ import annotations

from collections.abc import Iterator

import pytest

# Hypothesis profiles ("ci", the default under .ci/test, and "nightly") are
# registered by the ileti-conformance pytest plugin: HYPOTHESIS_PROFILE picks one.


@pytest.fixture(autouse=True)
def _fresh_host(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test sees plugins as installed, with no provider blocked."""
    from ileti import host

    monkeypatch.delenv(host.DISABLE_ENV, raising=False)
    host.clear_caches()
    yield
    host.clear_caches()
