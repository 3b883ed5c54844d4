"""Settings: a missing or malformed setting is named."""

from __future__ import annotations

import contextlib
from decimal import Decimal

import attrs
import pytest

from ileti.errors import (
    ConfigurationError,
)
from ileti_conformance._base import (
    _Checks,
    _exercises,
)
from ileti_conformance.harness import Harness


class SettingsChecks(_Checks):
    """Settings: a missing or malformed setting is named."""

    # =================================================================== settings

    @_exercises("provider_info")
    def test_missing_setting_is_named(self, ileti_harness: Harness) -> None:
        """Each required setting, left out, gives a ConfigurationError naming it;
        so does a setting the provider does not know."""
        h = ileti_harness
        from ileti.client import Client

        settings_type = h.info.settings_type
        full = h.settings_values()
        Client(h.loaded, **full).close()
        required = [f.name for f in attrs.fields(settings_type) if f.default is attrs.NOTHING]
        for name in required:
            values = {k: v for k, v in full.items() if k != name}
            with pytest.raises(ConfigurationError) as caught:
                Client(h.loaded, **values)
            assert caught.value.setting == name, (
                f"without {name!r}: ConfigurationError names {caught.value.setting!r}"
            )
            assert name in str(caught.value), f"the message does not name {name!r}"
        with pytest.raises(ConfigurationError) as caught:
            Client(h.loaded, **full, no_such_setting="x")
        assert caught.value.setting == "no_such_setting"

    @_exercises("provider_info")
    def test_malformed_setting_is_named(self, ileti_harness: Harness) -> None:
        """A malformed base_url (or a malformed number or flag) gives a
        ConfigurationError naming the setting."""
        h = ileti_harness
        from ileti.client import Client

        full = h.settings_values()
        for bad in (
            "not a url",
            "ftp://gateway.example.com",
            "http://",
            "http://user:pass@gateway.example.com",
            "https://gateway.example.com:99999",
            "https://gateway.example.com/api?key=1",
        ):
            with pytest.raises(ConfigurationError) as caught:
                Client(h.loaded, **{**full, "base_url": bad})
            assert caught.value.setting == "base_url", (
                f"base_url={bad!r}: ConfigurationError names {caught.value.setting!r}"
            )
            assert "base_url" in str(caught.value)
        settings_type = h.info.settings_type
        with contextlib.suppress(Exception):  # unresolvable annotations: no typed fields
            attrs.resolve_types(settings_type)
        for f in attrs.fields(settings_type):
            if f.type in (int, float, Decimal, bool, "int", "float", "Decimal", "bool"):
                with pytest.raises(ConfigurationError) as caught:
                    Client(h.loaded, **{**full, f.name: "certainly-not-a-number"})
                assert caught.value.setting == f.name
