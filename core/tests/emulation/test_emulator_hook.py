"""One way to get a provider's emulator: ``LoadedProvider.emulator``."""

from __future__ import annotations

from typing import Any

import attrs
import pytest

from ileti.emulation import EmulatorBase, VirtualClock
from ileti.errors import NotSupported
from ileti.host import load_provider
from ileti.plugin import hookimpl


def test_the_emulator_comes_through_the_hook_on_the_clock_given() -> None:
    clock = VirtualClock()
    emulator = load_provider("testprov").emulator(clock)
    assert isinstance(emulator, EmulatorBase)
    assert emulator.clock is clock
    assert emulator.default_sender


def test_a_hook_that_returns_something_else_is_named() -> None:
    class Plugin:
        @hookimpl
        def provider_emulator(self, clock: Any) -> Any:
            return object()

    loaded = attrs.evolve(load_provider("testprov"), plugin=Plugin())
    with pytest.raises(TypeError, match="returned object, not an instance of an"):
        loaded.emulator()


def test_a_plugin_without_an_emulator_says_so() -> None:
    with pytest.raises(NotSupported, match="ships no emulator"):
        load_provider("testprov-min").emulator()
