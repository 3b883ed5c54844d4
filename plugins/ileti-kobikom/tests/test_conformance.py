"""The shared conformance suite (ileti-conformance) against the Kobikom emulator.

Clients use the default report store, which the autouse fixture in
``conftest.py`` puts in each test's own folder: the suite reports with one
client on messages another client sent, as clients sharing a store do.
"""

from __future__ import annotations

from ileti_conformance import ProviderConformance


class TestKobikomConformance(ProviderConformance):
    provider = "kobikom"
