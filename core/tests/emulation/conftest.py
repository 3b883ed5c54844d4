"""Shared fixtures: a small HTTP client over http.client (no retries, no pooling)."""

from __future__ import annotations

import http.client
from collections.abc import Callable, Mapping
from typing import NamedTuple
from urllib.parse import urlsplit

import pytest


class Reply(NamedTuple):
    status: int
    headers: dict[str, str]
    body: bytes


def _fetch(
    base_url: str,
    method: str,
    path: str,
    body: bytes | str | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float = 5.0,
) -> Reply:
    parts = urlsplit(base_url)
    assert parts.hostname is not None
    assert parts.port is not None
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=dict(headers or {}))
        response = conn.getresponse()
        data = response.read()
        return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, data)
    finally:
        conn.close()


Fetch = Callable[..., Reply]


@pytest.fixture
def fetch() -> Fetch:
    """``fetch(base_url, method, path, body=None, headers=None, timeout=5.0) -> Reply``."""
    return _fetch
