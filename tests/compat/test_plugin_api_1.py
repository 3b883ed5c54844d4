"""A plugin written against plugin API 1 keeps passing the conformance suite.

``ileti_frozen_v1`` is what ``ileti new-plugin frozen-v1`` wrote when plugin
API 1 was current, kept exactly as written: its files are pinned by hash, so
it cannot be edited to follow a change of the contract. If a change of the
core makes it fail, the change is not additive: announce it (deprecate, then
raise ``ileti.plugin.PLUGIN_API``; docs/writing-a-plugin.md, "Compatibility")
instead of breaking third-party plugins silently.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import ileti_frozen_v1.plugin
import pytest

import ileti.plugin
from ileti import host
from ileti.errors import ConfigurationError
from ileti.plugin import OLDEST_PLUGIN_API, PLUGIN_API
from ileti_conformance import ProviderConformance

FROZEN = Path(ileti_frozen_v1.plugin.__file__).parent
#: sha256 of the frozen files, as ``ileti new-plugin`` wrote them
PINNED = "175b61a57ae3bc017f11a616a9c57a2496e0ce898050d25fe67bf78dfd64a411"


def _digest() -> str:
    h = hashlib.sha256()
    for path in sorted(FROZEN.glob("*.py")):
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def test_the_frozen_plugin_is_as_it_was_written() -> None:
    assert _digest() == PINNED, (
        "tests/compat/ileti_frozen_v1 changed: it must stay as plugin API 1's template "
        "wrote it (a change of the core that breaks it is a change of the contract)"
    )


def test_the_core_still_loads_plugin_api_1() -> None:
    assert OLDEST_PLUGIN_API <= 1 <= PLUGIN_API
    assert host.inspect_plugin("frozen-v1", ileti_frozen_v1.plugin).info.api == 1


@pytest.mark.parametrize(
    ("api", "says"),
    [(PLUGIN_API + 1, "upgrade ileti"), (0, "upgrade the plugin"), ("1", "whole number")],
)
def test_a_plugin_for_another_api_is_refused_saying_what_to_upgrade(
    api: object, says: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import attrs

    real = ileti_frozen_v1.plugin.provider_info
    monkeypatch.setattr(
        ileti_frozen_v1.plugin,
        "provider_info",
        ileti.plugin.hookimpl(lambda: attrs.evolve(real(), api=api)),
    )
    with pytest.raises(ConfigurationError, match=says):
        host.inspect_plugin("frozen-v1", ileti_frozen_v1.plugin)


class TestFrozenPluginApi1(ProviderConformance):
    provider = "frozen-v1"
    plugin = ileti_frozen_v1.plugin
    # A check added after the freeze may find a mistake the plugin always had
    # (the policy: that is the suite's job, not a break). Each is listed here
    # with what it found, and fixed in the template since.
    conformance_skips = {  # noqa: RUF012 - the suite reads it as a plain dict
        "test_emulator_knows_no_message_it_never_accepted": (
            "added after plugin API 1 was frozen: it found this template answering a report "
            "on an unknown id with 'not_found', read as Rejected; the template now answers "
            "'unknown_message' (UnknownMessage)"
        ),
    }
