"""The shared conformance suite (ileti-conformance) against the Innomobil emulator."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, ClassVar

from ileti_conformance import ProviderConformance


class TestInnomobilConformance(ProviderConformance):
    provider = "innomobil"
    # Innomobil needs a sender on every send; some checks send without naming one
    settings: ClassVar[Mapping[str, Any]] = MappingProxyType({"sender": "ILETI"})
