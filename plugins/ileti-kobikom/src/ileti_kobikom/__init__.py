"""Kobikom provider plugin for ileti (XML over HTTP, pull delivery reports).

The plugin's hooks live in :mod:`ileti_kobikom.plugin` (the entry point), its
settings in :mod:`ileti_kobikom.settings`, the wire format in
:mod:`ileti_kobikom.wire`, the local report store in
:mod:`ileti_kobikom.store` and the gateway emulator in
:mod:`ileti_kobikom.emulator`. Importing this package imports none of them.
"""

from __future__ import annotations

__version__ = "0.1.0"
