"""Networks as companies have them: an HTTP(S) proxy and a custom CA bundle.

``Client(..., proxy=..., ca_bundle=...)``:

* ``proxy``: the proxy's URL (``http://proxy.example:3128``, with
  ``user:password@`` if it asks for them), or ``False`` for no proxy at all.
  When it is ``None`` (the default) the standard variables decide, as curl
  and requests read them: ``HTTPS_PROXY`` / ``HTTP_PROXY`` (by the gateway's
  scheme; lower-case names too) unless ``NO_PROXY`` names the gateway's host.
* ``ca_bundle``: a PEM file of the certificate authorities to trust instead
  of the system's (a company's TLS-inspecting proxy, a private gateway).
  TLS is verified either way.

``Client(..., transport=...)`` brings a transport of your own: any object
with :class:`HttpTransport`'s methods (a wrapper around
:class:`ileti.transport.Transport` that adds tracing, a fake that answers
from memory in unit tests).
"""

from __future__ import annotations

import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable
from urllib.parse import urlsplit

from ileti.errors import ConfigurationError

if TYPE_CHECKING:
    from ileti.http import HttpRequest, HttpResponse

__all__ = ["HttpTransport", "ca_bundle_path", "proxy_for"]


@runtime_checkable
class HttpTransport(Protocol):
    """What a client needs from its transport; :class:`ileti.transport.Transport`
    is the standard one.

    A transport of your own takes on the rules the standard one keeps (see
    the user guide's transport table): ``send`` must never replay a request
    that may have left and must raise :class:`ileti.DeliveryUnknown` when its
    fate is unknown; ``read`` may retry; both raise only
    :class:`ileti.IletiError` and return the answer whatever its status (the
    plugin reads it). ``requests_started`` counts requests whose bytes may
    have left (the client uses it to tell a plugin bug before any request
    from one after). The easy way to keep all that: wrap a ``Transport``.
    """

    @property
    def requests_started(self) -> int:
        """Requests whose bytes may have reached the provider."""
        ...

    def send(self, request: HttpRequest, *, client_ref: str | None = None) -> HttpResponse:
        """Make a request that sends messages."""
        ...

    def read(self, request: HttpRequest, *, replayable: bool = True) -> HttpResponse:
        """Make a request that sends nothing (report, balance, senders)."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...


def proxy_for(base_url: str, proxy: str | bool | None) -> str | None:
    """The proxy URL to use for a gateway at ``base_url``, or ``None``."""
    if proxy is False:
        return None
    if isinstance(proxy, str):
        return _checked(proxy, "proxy")
    if proxy is not None and proxy is not True:
        raise ConfigurationError("proxy must be a URL, None (the environment) or False (none)")
    parts = urlsplit(base_url)
    found = urllib.request.getproxies_environment()
    if _bypassed(parts.hostname or "", found.get("no", "")):
        return None
    chosen = found.get(parts.scheme)
    return _checked(chosen, f"{parts.scheme.upper()}_PROXY") if chosen else None


def _bypassed(host: str, no_proxy: str) -> bool:
    """Whether ``NO_PROXY`` (comma separated hosts, domains, or ``*``) names ``host``."""
    host = host.lower().strip("[]")
    for entry in no_proxy.replace(" ", ",").split(","):
        name = entry.strip().lower().lstrip(".").strip("[]")
        if name.count(":") == 1:  # host:port (an IPv6 address has more colons)
            name = name.partition(":")[0]
        if entry.strip() == "*" or (name and (host == name or host.endswith("." + name))):
            return True
    return False


def _checked(url: str, where: str) -> str:
    parts = urlsplit(url if "://" in url else "http://" + url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(
            f"{where} is not a proxy URL: use http://host:port (or https://)", setting="proxy"
        )
    return parts.geturl()


def ca_bundle_path(path: str | Path | None) -> str | None:
    """The CA bundle as a path string, checked to be a readable file."""
    if path is None:
        return None
    file = Path(path).expanduser()
    if not file.is_file():
        raise ConfigurationError(
            f"ca_bundle {str(file)!r} is not a file: give the path of a PEM file of "
            "certificate authorities",
            setting="ca_bundle",
        )
    return str(file)
