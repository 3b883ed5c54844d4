"""The shared ileti conformance suite, run against the Efecell plugin and its emulator."""

from __future__ import annotations

from ileti_conformance import ProviderConformance


class TestEfecellConformance(ProviderConformance):
    provider = "efecell"
