"""Ekomesaj (api2.ekomesaj.com) provider plugin for ileti.

Install it next to the core and use the provider id ``ekomesaj``::

    client = ileti.Client("ekomesaj", username="...", password="...")

The hooks live in :mod:`ileti_ekomesaj.plugin`, the wire format in
:mod:`ileti_ekomesaj.wire` and a stateful emulator of the gateway in
:mod:`ileti_ekomesaj.emulator`.
"""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"
