"""ileti provider plugin for the Innomobil SMS gateway (``s.innomobil.com``).

Install it next to ``ileti`` and use the provider id ``innomobil``::

    import ileti

    client = ileti.Client("innomobil", username="...", password="...")
    client.send("0532 111 22 33", "Merhaba", sender="MYHEADER")

The hooks live in :mod:`ileti_innomobil.plugin`, the wire format in
:mod:`ileti_innomobil.wire` and the gateway emulator in
:mod:`ileti_innomobil.emulator`. Importing this package imports none of them.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
