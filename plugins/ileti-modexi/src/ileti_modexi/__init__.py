"""Modexi provider for ileti: ``ileti.Client("modexi", username=..., password=...)``.

The hooks live in :mod:`ileti_modexi.plugin`, the wire format in
:mod:`ileti_modexi.wire` and the gateway emulator in
:mod:`ileti_modexi.emulator`. Importing this package imports none of them.
"""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"
