"""The Hypothesis profiles: ci by default, nightly on request, the user's own respected."""

from __future__ import annotations

import pytest
from hypothesis import settings
from hypothesis.errors import InvalidArgument

from ileti_conformance.profiles import (
    CI_PROFILE,
    NIGHTLY_PROFILE,
    check_settings,
    choose_profile,
    register_profiles,
)

pytest_plugins = ["pytester"]


@pytest.fixture(autouse=True)
def isolated_profiles(monkeypatch: pytest.MonkeyPatch) -> None:
    """Registrations made by a test do not outlive it."""
    monkeypatch.setattr(settings, "_profiles", dict(settings._profiles))


@pytest.mark.parametrize(
    ("env", "active", "chosen"),
    [
        ({}, "default", CI_PROFILE),
        ({"HYPOTHESIS_PROFILE": "ci"}, "default", CI_PROFILE),
        ({}, "ci", CI_PROFILE),  # Hypothesis loads its own "ci" on CI machines
        ({"HYPOTHESIS_PROFILE": "nightly"}, "default", "nightly"),
        ({"HYPOTHESIS_PROFILE": " nightly "}, "ci", "nightly"),
        ({"HYPOTHESIS_PROFILE": "mine"}, "default", "mine"),
        ({}, "mine", None),  # loaded by the user (conftest or --hypothesis-profile)
        ({"HYPOTHESIS_PROFILE": ""}, "default", CI_PROFILE),
    ],
)
def test_choose_profile(env: dict[str, str], active: str, chosen: str | None) -> None:
    assert choose_profile(env, active) == chosen


def test_ci_is_small_deterministic_and_has_no_deadline() -> None:
    ci = check_settings({})
    assert ci.max_examples == 25
    assert ci.derandomize
    assert ci.deadline is None
    assert ci.database is None


def test_nightly_runs_many_examples() -> None:
    nightly = check_settings({"HYPOTHESIS_PROFILE": "nightly"})
    assert nightly.max_examples == 1000
    assert not nightly.derandomize
    assert nightly.deadline is None
    assert settings.get_profile(NIGHTLY_PROFILE).max_examples == 1000


def test_a_users_profile_is_used_without_its_deadline() -> None:
    settings.register_profile("mine", max_examples=7, deadline=200)
    mine = check_settings({"HYPOTHESIS_PROFILE": "mine"})
    assert mine.max_examples == 7
    assert mine.deadline is None


def test_an_unknown_profile_is_named() -> None:
    with pytest.raises(InvalidArgument, match="HYPOTHESIS_PROFILE='nope' names no registered"):
        check_settings({"HYPOTHESIS_PROFILE": "nope"})


def test_a_users_nightly_and_hypothesis_ci_are_not_replaced() -> None:
    builtin_ci = settings.get_profile("ci")
    settings.register_profile("nightly", max_examples=3)
    register_profiles()
    assert settings.get_profile("nightly").max_examples == 3
    assert settings.get_profile("ci") is builtin_ci
    assert check_settings({"HYPOTHESIS_PROFILE": "nightly"}).max_examples == 3


@pytest.mark.parametrize("profile", ["nightly", CI_PROFILE])
def test_hypothesis_profile_option_knows_our_profiles(
    pytester: pytest.Pytester, profile: str
) -> None:
    pytester.makepyfile(
        test_profile=f"""
        from hypothesis import settings

        def test_loaded():
            assert settings.get_current_profile_name() == {profile!r}
        """
    )
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", f"--hypothesis-profile={profile}"
    )
    result.assert_outcomes(passed=1)
