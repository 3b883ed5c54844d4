"""The shared ileti conformance suite, run against the Ekomesaj plugin and its emulator,
once per API style: JSON (the default) and DataContract XML."""

from __future__ import annotations

from types import MappingProxyType

from ileti_conformance import ProviderConformance


class TestEkomesajConformance(ProviderConformance):
    provider = "ekomesaj"


class TestEkomesajXmlConformance(ProviderConformance):
    """Every check again with ``api_style="xml"``: ``/xml/syncreply/...``, both ways."""

    provider = "ekomesaj"
    settings = MappingProxyType({"api_style": "xml"})
