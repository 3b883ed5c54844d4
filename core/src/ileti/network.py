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
"""

from __future__ import annotations

import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

from ileti.errors import ConfigurationError

__all__ = ["ca_bundle_path", "proxy_for"]


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
