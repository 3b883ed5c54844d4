"""Settings of the Efecell provider.

========== ============================ ===================================
Field      Environment variable         Meaning
========== ============================ ===================================
api_key    ``ILETI_EFECELL_API_KEY``    the API key (panel: Settings → API Key)
base_url   ``ILETI_EFECELL_BASE_URL``   the gateway, ``https://api.efetech.net.tr``
sender     ``ILETI_EFECELL_SENDER``     sender name used when a call gives none
========== ============================ ===================================
"""

from __future__ import annotations

import attrs

from ileti.plugin import (
    ConfigurationError,
    InvalidSender,
    ProviderSettings,
    Secret,
    validate_base_url,
    validate_sender,
)

__all__ = ["DEFAULT_BASE_URL", "EfecellSettings"]

#: The document says ``http://api.efetech.net.tr/v2``; HTTPS works as well
#: (public clients use it), so it is the default. The ``/v2`` prefix is part
#: of each request path, not of the base URL.
DEFAULT_BASE_URL = "https://api.efetech.net.tr"


def _sender(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return validate_sender(value)
    except InvalidSender as exc:
        raise ConfigurationError(
            f"setting 'sender' is malformed: {exc.message}", setting="sender"
        ) from None


@attrs.frozen(kw_only=True)
class EfecellSettings(ProviderSettings):
    """How to reach and authenticate against Efecell."""

    #: the API key; sent as ``Authorization: Key <api_key>``
    api_key: Secret
    base_url: str = attrs.field(default=DEFAULT_BASE_URL, converter=validate_base_url)
    #: the sender name (originator) used when a send gives none; Efecell
    #: requires one on every send
    sender: str | None = attrs.field(default=None, converter=_sender)
