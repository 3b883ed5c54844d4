"""Serve a WSGI application on a loopback port, in a background thread."""

from __future__ import annotations

import atexit
import ipaddress
import socket
import socketserver
import threading
from types import TracebackType
from typing import TYPE_CHECKING, Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

__all__ = ["ServedApp", "free_port", "loopback_address", "refused_url", "serve"]


def loopback_address(host: str) -> tuple[str, socket.AddressFamily]:
    """The address to bind for ``host`` and its family; ``ValueError`` unless loopback.

    Accepted: ``localhost`` (bound as 127.0.0.1), any address in 127.0.0.0/8,
    and ``::1``. Host names are never resolved.
    """
    if host.lower() == "localhost":
        return "127.0.0.1", socket.AF_INET
    try:
        address = ipaddress.ip_address(host.removeprefix("[").removesuffix("]"))
    except ValueError:
        address = None
    if isinstance(address, ipaddress.IPv4Address) and address.is_loopback:
        return str(address), socket.AF_INET
    if isinstance(address, ipaddress.IPv6Address) and address == ipaddress.IPv6Address("::1"):
        return "::1", socket.AF_INET6
    raise ValueError(
        f"emulators only listen on loopback (127.0.0.0/8, ::1 or localhost), not {host!r}"
    )


def http_url(host: str, port: int) -> str:
    """``http://host:port`` with IPv6 brackets where needed."""
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


class _QuietHandler(WSGIRequestHandler):
    """wsgiref's handler without the per-request log line on stderr."""

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True
    block_on_close = False
    # socketserver's backlog of 5 resets connections when a client sends many at once
    request_queue_size = 128

    def server_bind(self) -> None:
        # HTTPServer.server_bind calls socket.getfqdn(), a DNS lookup that can stall
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)
        self.setup_environ()


class _ThreadingWSGIServerV6(_ThreadingWSGIServer):
    address_family = socket.AF_INET6


class ServedApp:
    """A WSGI application listening on loopback; close it (or use ``with``)."""

    def __init__(self, app: WSGIApplication, host: str, port: int) -> None:
        bind_host, family = loopback_address(host)
        server_class = _ThreadingWSGIServerV6 if family == socket.AF_INET6 else _ThreadingWSGIServer
        self.app = app
        self._server = server_class((bind_host, port), _QuietHandler)
        self._server.set_app(app)
        self.host: str = bind_host
        self.port: int = int(self._server.server_address[1])
        self.base_url: str = http_url(bind_host, self.port)
        self._closed = False
        self._close_lock = threading.Lock()
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"ileti-emulator:{self.port}",
            daemon=True,
        )
        self._thread.start()

    def close(self) -> None:
        """Stop accepting, close the listening socket and join the server thread."""
        with self._close_lock:
            if self._closed:
                return
            self._closed = True
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` has been called."""
        return self._closed

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the server stops (for a command line: Ctrl-C ends it).

        Returns whether the server has stopped.
        """
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def __enter__(self) -> ServedApp:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._closed else "serving"
        return f"<ServedApp {type(self.app).__name__} at {self.base_url} ({state})>"


def serve(app: WSGIApplication, host: str = "127.0.0.1", port: int = 0) -> ServedApp:
    """Serve ``app`` on ``host:port`` (port 0: any free port) in a daemon thread.

    Each connection is handled in its own daemon thread and answers one
    request, then closes. Only loopback hosts are accepted (``ValueError``).
    """
    return ServedApp(app, host, port)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


_reserved: list[socket.socket] = []
_reserved_lock = threading.Lock()


@atexit.register
def _release_reserved() -> None:
    with _reserved_lock:
        while _reserved:
            _reserved.pop().close()


def refused_url() -> str:
    """An ``http://127.0.0.1:PORT`` URL where a connection is refused.

    The port stays bound (never listening) until the interpreter exits, so no
    other server can take it and the kernel never picks it as the source port
    of an outgoing connection (which could otherwise connect to itself).
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind(("127.0.0.1", 0))
    except OSError:
        sock.close()
        raise
    with _reserved_lock:
        _reserved.append(sock)
    return http_url("127.0.0.1", int(sock.getsockname()[1]))
