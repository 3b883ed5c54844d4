"""What the transport writes: a small request in one write."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from urllib3.connection import HTTPConnection

from ileti.transport import _MERGE_LIMIT, _DeadlineHTTPConnection

# -- one write for a small request ---------------------------------------------------


class _Recording:
    """A socket that keeps what each ``sendall`` wrote."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []

    def sendall(self, data: Any) -> None:
        self.writes.append(bytes(data))

    def settimeout(self, timeout: float | None) -> None:
        pass

    def close(self) -> None:
        pass


def _writes(cls: type[HTTPConnection], body: bytes | None, **kw: Any) -> list[bytes]:
    conn = cls("sms.example", 80)
    sock = _Recording()
    conn.sock = sock
    conn.request("POST", "/v1/send", body=body, **kw)
    return sock.writes


_HEADERS = st.dictionaries(
    st.sampled_from(["Accept", "Content-Type", "Authorization", "Transfer-Encoding", "X-Ref"]),
    st.text("abcdefghijklmnopqrstuvwxyz0123456789 /;=-", min_size=1, max_size=20),
    max_size=4,
)


@settings(max_examples=300, deadline=None)
@given(
    body=st.none() | st.binary(max_size=400),
    headers=_HEADERS,
    chunked=st.booleans(),
)
def test_a_request_writes_what_urllib3_writes(
    body: bytes | None, headers: dict[str, str], chunked: bool
) -> None:
    ours = _writes(_DeadlineHTTPConnection, body, headers=headers, chunked=chunked)
    stock = _writes(HTTPConnection, body, headers=headers, chunked=chunked)
    assert b"".join(ours) == b"".join(stock)
    if body and not chunked and "Transfer-Encoding" not in headers:
        # the header block and the body: one write instead of two
        assert len(stock) == 2
        assert ours == [b"".join(stock)]
    else:
        assert len(ours) == len(stock) or len(ours) == len(stock) - 1


@pytest.mark.parametrize("size", [_MERGE_LIMIT, _MERGE_LIMIT + 1])
def test_a_large_body_is_written_after_its_header_block(size: int) -> None:
    body = bytes(range(256)) * (size // 256) + b"x" * (size % 256)
    ours = _writes(_DeadlineHTTPConnection, body)
    stock = _writes(HTTPConnection, body)
    assert b"".join(ours) == b"".join(stock)
    assert len(ours) == (1 if size <= _MERGE_LIMIT else 2)


def test_a_connection_is_reused_after_a_merged_write() -> None:
    conn = _DeadlineHTTPConnection("sms.example", 80)
    sock = _Recording()
    conn.sock = sock
    conn.request("POST", "/a", body=b"one")
    conn.send(b"raw bytes")  # nothing held back once the request is written
    assert len(sock.writes) == 2
    assert sock.writes[0].endswith(b"\r\n\r\none")
    assert sock.writes[1] == b"raw bytes"
