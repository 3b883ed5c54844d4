"""Settings of the Frozen v1 provider.

Each field is a keyword of ``ileti.Client``, an environment variable
``ILETI_FROZEN_V1_<FIELD>`` or an entry of the config file's table
``[providers.frozen-v1]``; to see where each value came from:
``ileti config show -p frozen-v1``.

- ``api_key``: the API key, sent as ``Authorization: Bearer ...``. It is an
  :class:`ileti.settings.Secret`, so it never shows in a repr, a log line, an
  error or the output of the ``ileti`` command.
- ``base_url``: the gateway's scheme, host and port (:data:`DEFAULT_BASE_URL`).
"""

from __future__ import annotations

import attrs
from ileti.settings import ProviderSettings, Secret, validate_base_url

__all__ = ["DEFAULT_BASE_URL", "FrozenV1Settings"]

#: The real gateway. TODO: your provider's address (``.invalid`` never resolves,
#: so nothing can reach a real host by mistake before you change it).
DEFAULT_BASE_URL = "https://api.frozen-v1.invalid"


@attrs.frozen(kw_only=True)
class FrozenV1Settings(ProviderSettings):
    """How to reach and authenticate against Frozen v1."""

    #: the API key (required: no default)
    api_key: Secret
    base_url: str = attrs.field(default=DEFAULT_BASE_URL, converter=validate_base_url)
