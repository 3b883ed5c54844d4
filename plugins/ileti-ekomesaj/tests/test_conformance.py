"""The shared ileti conformance suite, run against the Ekomesaj plugin and its emulator."""

from __future__ import annotations

from ileti_conformance import ProviderConformance


class TestEkomesajConformance(ProviderConformance):
    provider = "ekomesaj"
