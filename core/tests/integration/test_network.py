"""Networks as companies have them: an HTTP proxy (by setting or by the standard
variables) and a custom CA bundle, tested with a forward proxy on loopback."""

from __future__ import annotations

import json
import shutil
import socket
import socketserver
import ssl
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from wsgiref.simple_server import WSGIServer, make_server

import pytest

import ileti
from ileti.emulation import refused_url
from ileti.errors import ConfigurationError, DeliveryUnknown, IletiError, TransportError
from ileti.http import HttpRequest, HttpResponse
from ileti.transport import Transport


class ForwardProxy:
    """A minimal HTTP forward proxy on loopback (absolute-form requests only),
    recording each request line; it forwards only to loopback hosts."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.auth: list[str | None] = []
        proxy = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                head = b""
                while b"\r\n\r\n" not in head:
                    chunk = self.request.recv(65536)
                    if not chunk:
                        return
                    head += chunk
                raw_head, _, rest = head.partition(b"\r\n\r\n")
                lines = raw_head.decode("latin-1").split("\r\n")
                method, target, version = lines[0].split(" ", 2)
                headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
                length = int({k.lower(): v for k, v in headers.items()}.get("content-length", 0))
                while len(rest) < length:
                    rest += self.request.recv(65536)
                proxy.lines.append(f"{method} {target}")
                lower = {k.lower(): v for k, v in headers.items()}
                proxy.auth.append(lower.get("proxy-authorization"))
                url = urlsplit(target)
                if url.hostname not in ("127.0.0.1", "localhost"):
                    self.request.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
                    return
                out = [f"{method} {url.path}{'?' + url.query if url.query else ''} {version}"]
                out += [
                    f"{k}: {v}" for k, v in headers.items() if not k.lower().startswith("proxy-")
                ]
                with socket.create_connection((url.hostname, url.port or 80), timeout=10) as up:
                    up.sendall(("\r\n".join(out) + "\r\n\r\n").encode("latin-1") + rest)
                    while chunk := up.recv(65536):
                        self.request.sendall(chunk)

        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def proxy() -> Iterator[ForwardProxy]:
    p = ForwardProxy()
    yield p
    p.close()


@pytest.fixture(autouse=True)
def _no_proxy_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("http_proxy", "https_proxy", "no_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)


def make(base_url: str, emulator: Any, **kw: Any) -> ileti.Client:
    return ileti.Client("testprov", base_url=base_url, **emulator.credentials(), **kw)


def test_through_a_proxy_given_as_a_keyword(
    base_url: str, emulator: Any, proxy: ForwardProxy
) -> None:
    with make(base_url, emulator, proxy=proxy.url) as client:
        assert client.send("05321112233", "Merhaba").accepted
        assert client.balance().amount == 99
    assert [line.split()[0] for line in proxy.lines] == ["POST", "GET"]
    assert all(line.split()[1].startswith(base_url + "/") for line in proxy.lines)
    assert [m.text for m in emulator.messages] == ["Merhaba"]


def test_the_standard_variables(
    base_url: str, emulator: Any, proxy: ForwardProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    with make(base_url, emulator) as client:
        client.balance()
    assert len(proxy.lines) == 1
    with make(base_url, emulator, proxy=False) as client:  # False: no proxy at all
        client.balance()
    monkeypatch.setenv("NO_PROXY", "example.com, 127.0.0.1")
    with make(base_url, emulator) as client:
        client.balance()
    assert len(proxy.lines) == 1


def test_proxy_credentials_are_secrets(
    base_url: str, emulator: Any, proxy: ForwardProxy, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    authed = proxy.url.replace("http://", "http://corp:Proxy-Parola-77@")
    with make(base_url, emulator, proxy=authed) as client:
        client.balance()
        assert "Proxy-Parola-77" not in repr(client.transport)
    assert proxy.auth == ["Basic Y29ycDpQcm94eS1QYXJvbGEtNzc="]  # corp:Proxy-Parola-77
    assert "Proxy-Parola-77" not in caplog.text


def test_a_proxy_that_is_down_sends_nothing(base_url: str, emulator: Any) -> None:
    client = make(base_url, emulator, proxy=refused_url(), retry=ileti.RetryPolicy(attempts=1))
    with pytest.raises(TransportError, match="nothing was sent"):
        client.send("05321112233", "x")
    assert emulator.messages == []


@pytest.mark.parametrize("bad", ["ftp://proxy:21", "http://"])
def test_a_bad_proxy_is_a_configuration_error(base_url: str, emulator: Any, bad: str) -> None:
    with pytest.raises(ConfigurationError, match="proxy"):
        make(base_url, emulator, proxy=bad)


def _self_signed(folder: Path) -> tuple[Path, Path]:
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return cert, key


@pytest.fixture
def tls_url(emulator: Any, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """The emulator over HTTPS on loopback, with a certificate no system trusts."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    cert, key = _self_signed(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = make_server("127.0.0.1", 0, emulator, server_class=_ThreadingServer)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield f"https://127.0.0.1:{server.server_port}", cert
    server.shutdown()
    server.server_close()
    thread.join()


class _ThreadingServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True


def test_a_custom_ca_bundle(tls_url: tuple[str, Path], emulator: Any, tmp_path: Path) -> None:
    url, cert = tls_url
    with make(url, emulator, ca_bundle=cert) as client:
        assert client.balance().amount == 100
    untrusted = make(url, emulator, retry=ileti.RetryPolicy(attempts=1))
    with pytest.raises(TransportError, match="TLS handshake failed"):
        untrusted.send("05321112233", "x")
    assert emulator.messages == []
    with pytest.raises(ConfigurationError, match="ca_bundle"):
        make(url, emulator, ca_bundle=tmp_path / "missing.pem")


class Tracing:
    """A transport of the application's: the standard one, with a trace."""

    def __init__(self, inner: Transport) -> None:
        self.inner = inner
        self.trace: list[tuple[str, str, str]] = []

    @property
    def requests_started(self) -> int:
        return self.inner.requests_started

    def send(self, request: HttpRequest, *, client_ref: str | None = None) -> HttpResponse:
        self.trace.append(("send", request.method, request.path))
        return self.inner.send(request, client_ref=client_ref)

    def read(self, request: HttpRequest, *, replayable: bool = True) -> HttpResponse:
        self.trace.append(("read", request.method, request.path))
        return self.inner.read(request, replayable=replayable)

    def close(self) -> None:
        self.inner.close()


class Canned:
    """A fake transport for unit tests: answers from memory, no network."""

    requests_started = 0

    def __init__(self, *answers: HttpResponse | IletiError) -> None:
        self.answers = list(answers)
        self.requests: list[HttpRequest] = []

    def _next(self, request: HttpRequest) -> HttpResponse:
        self.requests.append(request)
        self.requests_started += 1
        answer = self.answers.pop(0)
        if isinstance(answer, IletiError):
            raise answer
        return answer

    def send(self, request: HttpRequest, *, client_ref: str | None = None) -> HttpResponse:
        return self._next(request)

    def read(self, request: HttpRequest, *, replayable: bool = True) -> HttpResponse:
        return self._next(request)

    def close(self) -> None:
        pass


def test_a_transport_of_your_own(base_url: str, emulator: Any) -> None:
    tracing = Tracing(Transport("testprov", base_url, secrets=[emulator.KEY]))
    with make(base_url, emulator, transport=tracing) as client:
        assert client.transport is tracing
        client.send("05321112233", "Merhaba")
        client.balance()
    assert [t[0] for t in tracing.trace] == ["send", "read"]
    assert [m.text for m in emulator.messages] == ["Merhaba"]


def test_a_fake_transport_in_unit_tests() -> None:
    answer = HttpResponse(200, {"content-type": "application/json"},
                          b'{"id": "P9", "results": [{"ok": true}]}')  # fmt: skip
    unknown = DeliveryUnknown("the fake timed out", client_ref="ref-1")
    canned = Canned(answer, unknown)
    client = ileti.Client("testprov", api_key="k", transport=canned)
    assert client.send("05321112233", "x").message_id == "P9"
    assert json.loads(canned.requests[0].body or b"")["to"] == ["905321112233"]
    with pytest.raises(DeliveryUnknown):
        client.send("05321112233", "y", client_ref="ref-1")


def test_what_a_transport_must_have(base_url: str, emulator: Any) -> None:
    with pytest.raises(ConfigurationError, match="lacks what ileti.network.HttpTransport has"):
        make(base_url, emulator, transport=object())
    tracing = Tracing(Transport("testprov", base_url))
    for extra in ({"proxy": "http://proxy:1"}, {"timeout": 3}, {"ca_bundle": "x.pem"}):
        with pytest.raises(ConfigurationError, match="cannot be combined with transport="):
            make(base_url, emulator, transport=tracing, **extra)
