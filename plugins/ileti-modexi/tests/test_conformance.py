"""The shared ileti conformance suite, run against the Modexi plugin and its emulator."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, ClassVar

from ileti_conformance import ProviderConformance


class TestModexiConformance(ProviderConformance):
    provider = "modexi"
    # Modexi needs a sender on every send; some checks send without naming one
    settings: ClassVar[Mapping[str, Any]] = MappingProxyType({"sender": "ILETI"})
