"""ileti provider plugin for the Efecell (Efetech) SMS gateway, API v2.

Installed, it registers the provider id ``efecell`` in the entry-point group
``ileti.providers``; use it through :class:`ileti.Client`::

    client = ileti.Client("efecell", api_key="...")
    client.send("0532 111 22 33", "Merhaba", sender="MYHEADER")

The hook implementations are in :mod:`ileti_efecell.plugin`, the wire format
in :mod:`ileti_efecell.wire`, the gateway emulator in
:mod:`ileti_efecell.emulator`. Importing this package imports none of them.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
