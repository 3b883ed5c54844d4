"""ileti provider plugin for Frozen v1.

Installed, it registers the provider id ``frozen-v1``
in the entry-point group ``ileti.providers``; use it through
:class:`ileti.Client`::

    client = ileti.Client("frozen-v1", api_key="...")
    client.send("0532 111 22 33", "Merhaba", sender="ILETI")

The hooks are in :mod:`ileti_frozen_v1.plugin`,
the wire format in :mod:`ileti_frozen_v1.wire`,
the gateway's emulator in :mod:`ileti_frozen_v1.emulator`.
Importing this package imports none of them.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
