"""The whole suite passes on the well-behaved FakeSMS plugin, and on a
minimal one whose missing capabilities must raise NotSupported."""

from __future__ import annotations

from ileti_fakesms import PLUGIN, MinimalPlugin

from ileti_conformance import ProviderConformance


class TestFakeSmsConformance(ProviderConformance):
    provider = "fakesms"
    plugin = PLUGIN


class TestMinimalFakeSmsConformance(ProviderConformance):
    provider = "fakesms"
    plugin = MinimalPlugin()
