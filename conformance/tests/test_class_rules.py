"""The shipped test class: standard checks cannot be overridden; a skip needs a
reason, which the report shows; what a subclass may set works in every form."""

from __future__ import annotations

from typing import Any

import pytest
from ileti_fakesms import PLUGIN, FakeSmsEmulator

import ileti.hookspecs
from ileti.emulation import VirtualClock
from ileti_conformance import FAULTS, HOOK_CHECKS, STANDARD_CHECKS, ProviderConformance
from ileti_conformance.harness import SetupError, Target, call_factory, emulator_problems

pytest_plugins = ["pytester"]


def test_the_standard_checks_are_the_test_methods() -> None:
    assert set(STANDARD_CHECKS) == {n for n in dir(ProviderConformance) if n.startswith("test_")}
    assert "test_send_fault" in STANDARD_CHECKS
    assert "test_canary_credentials_never_leak" in STANDARD_CHECKS


@pytest.mark.parametrize("check", ["test_send_round_trip", "test_send_fault"])
def test_redefining_a_standard_check_raises_at_class_creation(check: str) -> None:
    def replacement(self: Any) -> None:
        pass

    with pytest.raises(TypeError, match=f"redefines the standard conformance check.*{check}"):
        type("TestSneaky", (ProviderConformance,), {"provider": "fakesms", check: replacement})


def test_blanking_a_standard_check_raises() -> None:
    with pytest.raises(TypeError, match="cannot be overridden"):

        class TestSneaky(ProviderConformance):
            provider = "fakesms"
            test_garbage_answers_raise_only_ileti_errors = None  # type: ignore[assignment]


@pytest.mark.parametrize("helper", ["_ileti_conformance_guard", "_billing_problems", "_deliver"])
def test_replacing_the_machinery_raises(helper: str) -> None:
    def replacement(*args: Any) -> None:
        pass

    with pytest.raises(TypeError, match=f"redefines {helper}, part of the machinery"):
        type("TestSneaky", (ProviderConformance,), {"provider": "fakesms", helper: replacement})


def test_overriding_the_fixtures_is_allowed() -> None:
    class TestMine(ProviderConformance):
        provider = "fakesms"

        @pytest.fixture
        def ileti_target(self) -> Target:
            return Target.build("fakesms", plugin=PLUGIN)

    assert TestMine.provider == "fakesms"


def test_overriding_in_a_grandchild_raises_too() -> None:
    class Base(ProviderConformance):
        provider = "fakesms"

    with pytest.raises(TypeError, match="test_balance_round_trip"):

        class TestSneaky(Base):
            def test_balance_round_trip(self) -> None:
                pass


@pytest.mark.parametrize("reason", ["", "   ", None, 42])
def test_a_skip_without_a_reason_is_refused(reason: object) -> None:
    with pytest.raises(TypeError, match="requires a stated reason"):
        type(
            "TestLazy",
            (ProviderConformance,),
            {"provider": "fakesms", "conformance_skips": {"test_send_round_trip": reason}},
        )


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("test_no_such_check", "not a standard check"),
        ("send_round_trip", "not a standard check"),
        ("test_send_fault[meteor]", "has no parameter 'meteor'"),
        ("test_send_round_trip[hang]", "has no parameter 'hang'"),
    ],
)
def test_a_skip_must_name_a_real_check(key: str, message: str) -> None:
    with pytest.raises(TypeError, match=message):
        type(
            "TestTypo",
            (ProviderConformance,),
            {"provider": "fakesms", "conformance_skips": {key: "because"}},
        )


def test_skips_with_reasons_show_in_the_report(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_skips="""
        from ileti_conformance import ProviderConformance
        from ileti_fakesms import PLUGIN

        class TestFakeSms(ProviderConformance):
            provider = "fakesms"
            plugin = PLUGIN
            conformance_skips = {
                "test_send_fault[hang]": "the gateway's load balancer answers 504 itself",
                "test_senders_round_trip": "sender names are managed in the panel only",
            }
        """
    )
    result = pytester.runpytest(
        "-ra", "-p", "no:cacheprovider", "-k", "send_fault or senders_round_trip"
    )
    result.assert_outcomes(passed=len(FAULTS) - 1, skipped=2)
    for reason in (
        "the gateway's load balancer answers 504 itself",
        "sender names are managed in the panel only",
    ):
        result.stdout.fnmatch_lines([f"SKIPPED*TestFakeSms.conformance_skips: {reason}"])


def test_every_hook_is_exercised_by_a_check() -> None:
    hooks = {
        name
        for name, fn in vars(ileti.hookspecs).items()
        if callable(fn) and hasattr(fn, "ileti_spec")
    }
    assert hooks == set(HOOK_CHECKS), "a hookspec is not exercised by the conformance suite"
    for hook, checks in HOOK_CHECKS.items():
        assert checks, hook
        assert set(checks) <= set(STANDARD_CHECKS), hook


def test_every_check_says_which_hooks_it_exercises() -> None:
    """HOOK_CHECKS is read from each check's ``@_exercises(...)`` mark: a
    check without one would be missing from it."""
    from ileti_conformance._base import _HOOKS_MARK, _exercises

    for name in STANDARD_CHECKS:
        assert getattr(getattr(ProviderConformance, name), _HOOKS_MARK, ()), name
    with pytest.raises(TypeError, match="not hooks"):
        _exercises("sendd")
    with pytest.raises(TypeError, match="not hooks"):
        _exercises()


# -- what a subclass may set --------------------------------------------------------------


class _Holder:
    pass


def _factory(clock: VirtualClock) -> FakeSmsEmulator:
    return FakeSmsEmulator(clock=clock)


class _ByClass(_Holder):
    emulator_factory = FakeSmsEmulator


class _ByFunction(_Holder):
    emulator_factory = _factory


class _ByStatic(_Holder):
    emulator_factory = staticmethod(_factory)


class _ByMethod(_Holder):
    def emulator_factory(self, clock: VirtualClock) -> FakeSmsEmulator:
        return FakeSmsEmulator(clock=clock)


class _ByLambda(_Holder):
    emulator_factory = staticmethod(lambda clock: FakeSmsEmulator(clock=clock))


@pytest.mark.parametrize("holder", [_ByClass, _ByFunction, _ByStatic, _ByMethod, _ByLambda])
def test_emulator_factory_in_every_natural_form(holder: type[_Holder]) -> None:
    factory = call_factory(holder(), "emulator_factory")
    assert factory is not None
    clock = VirtualClock()
    emulator = factory(clock)
    assert isinstance(emulator, FakeSmsEmulator)
    assert emulator.clock is clock


def test_no_emulator_factory_means_the_hook() -> None:
    assert call_factory(_Holder(), "emulator_factory") is None
    target = Target.build("fakesms", plugin=PLUGIN)
    assert isinstance(target.emulator_factory(VirtualClock()), FakeSmsEmulator)


def test_a_plugin_without_an_emulator_needs_a_factory() -> None:
    from ileti.plugin import hookimpl

    class NoEmulator:
        @hookimpl
        def provider_info(self) -> Any:
            return PLUGIN.provider_info()

    with pytest.raises(SetupError, match="does not implement the provider_emulator hook"):
        Target.build("fakesms", plugin=NoEmulator())
    target = Target.build("fakesms", plugin=NoEmulator(), emulator_factory=FakeSmsEmulator)
    assert isinstance(target.emulator_factory(VirtualClock()), FakeSmsEmulator)


def test_an_unknown_provider_is_a_setup_error() -> None:
    with pytest.raises(SetupError, match="cannot load provider 'no-such-gateway'"):
        Target.build("no-such-gateway")


def test_emulator_protocol_problems_are_named() -> None:
    class Bare(FakeSmsEmulator):
        price_per_part = None  # type: ignore[assignment]
        default_sender = ""

    clock = VirtualClock()
    emulator = Bare(clock=clock)
    del emulator.credit
    problems = "\n".join(emulator_problems(emulator, clock))
    assert "Bare.credit must be a Decimal" in problems
    assert "price_per_part must be a positive Decimal" in problems
    assert "default_sender must be a non-empty str" in problems
    assert emulator_problems(FakeSmsEmulator(clock=clock), clock) == []
    other = emulator_problems(FakeSmsEmulator(clock=VirtualClock()), clock)
    assert other == ["FakeSmsEmulator does not use the VirtualClock it was given"]


def test_a_class_without_a_provider_errors_clearly(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_noname="""
        from ileti_conformance import ProviderConformance

        class TestNoName(ProviderConformance):
            pass
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider", "-k", "send_round_trip")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*does not name its provider: set provider = 'NAME'*"])


def test_settings_and_sender_attributes_reach_the_client(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_attrs="""
        from ileti_conformance import ProviderConformance
        from ileti_fakesms import PLUGIN, FakeSmsEmulator

        class Emulator(FakeSmsEmulator):
            def __init__(self, **kw):
                super().__init__(**kw)
                self.senders["MARKA"] = "approved"

        class TestAttrs(ProviderConformance):
            provider = "fakesms"
            plugin = PLUGIN
            emulator_factory = Emulator
            sender = "MARKA"
            settings = {"username": "conformance-user"}

            def test_sender_is_used(self, ileti_harness):
                client = ileti_harness.client()
                client.send(ileti_harness.numbers(1)[0], "x", sender=ileti_harness.sender)
                assert ileti_harness.messages()[-1].sender == "MARKA"
        """
    )
    result = pytester.runpytest(
        "-p", "no:cacheprovider", "-k", "sender_is_used or test_send_round_trip"
    )
    result.assert_outcomes(passed=2)


def test_checks_keep_plugin_state_out_of_the_users_folders(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_state="""
        import os
        from ileti_conformance import ProviderConformance
        from ileti_fakesms import PLUGIN

        class TestState(ProviderConformance):
            provider = "fakesms"
            plugin = PLUGIN

            def test_state_folders(self, tmp_path):
                for var in ("XDG_STATE_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME"):
                    assert os.environ[var].startswith(str(tmp_path)), var
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider", "-k", "state_folders")
    result.assert_outcomes(passed=1)
