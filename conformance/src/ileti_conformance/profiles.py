"""Hypothesis settings for the conformance checks: a CI profile and a nightly one.

The suite's property checks make real HTTP requests, so they run with their
own, small example budget unless asked otherwise:

* ``HYPOTHESIS_PROFILE`` unset or ``ci``: the ``ileti-ci`` profile (few
  examples, derandomized, no deadline, no example database).
* ``HYPOTHESIS_PROFILE=nightly``: the ``nightly`` profile (many examples).
* ``HYPOTHESIS_PROFILE=<name>``: the profile of that name, which the user
  registered (e.g. in a ``conftest.py``).
* A profile the user loaded themselves (``--hypothesis-profile NAME`` or
  ``settings.load_profile(NAME)`` in a conftest) is respected as it is.

Hypothesis's own built-in ``ci`` profile is left untouched (other tests in
the same run may rely on it); when it is the active one (Hypothesis loads it
on CI machines) the conformance checks use ``ileti-ci``, which is the same
idea with a smaller budget. Whatever the profile, the checks run with no
deadline: each example is a round trip over HTTP.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from hypothesis import HealthCheck, Phase, settings
from hypothesis.errors import InvalidArgument

__all__ = [
    "CI_PROFILE",
    "ENV_VAR",
    "NIGHTLY_ALIAS",
    "NIGHTLY_PROFILE",
    "check_settings",
    "choose_profile",
    "register_profiles",
]

ENV_VAR = "HYPOTHESIS_PROFILE"
#: the suite's CI profile (selected by ``HYPOTHESIS_PROFILE`` unset or ``ci``)
CI_PROFILE = "ileti-ci"
#: the suite's nightly profile, also registered as ``nightly`` unless that name is taken
NIGHTLY_PROFILE = "ileti-nightly"
NIGHTLY_ALIAS = "nightly"

_SUPPRESSED = (
    HealthCheck.too_slow,
    HealthCheck.data_too_large,
    HealthCheck.large_base_example,
    HealthCheck.filter_too_much,
)

_CI = settings(
    max_examples=25,
    derandomize=True,
    # no explain phase: it replays a failing example many times over HTTP
    phases=(Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink),
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=_SUPPRESSED,
)
_NIGHTLY = settings(
    max_examples=1000,
    derandomize=False,
    deadline=None,
    print_blob=True,
    suppress_health_check=_SUPPRESSED,
)


def _registered(name: str) -> bool:
    try:
        settings.get_profile(name)
    except InvalidArgument:
        return False
    return True


def register_profiles() -> None:
    """Register ``ileti-ci``, ``ileti-nightly`` and, if free, ``nightly``.

    Idempotent. A ``nightly`` profile the user registered is never replaced.
    """
    settings.register_profile(CI_PROFILE, _CI)
    settings.register_profile(NIGHTLY_PROFILE, _NIGHTLY)
    if not _registered(NIGHTLY_ALIAS):
        settings.register_profile(NIGHTLY_ALIAS, _NIGHTLY)


def choose_profile(env: Mapping[str, str] | None = None, active: str | None = None) -> str | None:
    """The profile the conformance checks use; ``None`` means the active one.

    ``env`` defaults to ``os.environ``; ``active`` to the active profile's name.
    """
    environ = os.environ if env is None else env
    active = settings.get_current_profile_name() if active is None else active
    wanted = environ.get(ENV_VAR, "").strip()
    if wanted and wanted != "ci":
        return wanted
    if active not in ("default", "ci"):
        return None  # the user loaded a profile of their own: keep it
    return CI_PROFILE


def check_settings(env: Mapping[str, str] | None = None) -> settings:
    """The settings object for one property check (always without a deadline)."""
    register_profiles()
    name = choose_profile(env)
    if name is None:
        base = settings.default
    else:
        try:
            base = settings.get_profile(name)
        except InvalidArgument:
            raise InvalidArgument(
                f"{ENV_VAR}={name!r} names no registered Hypothesis profile; use 'ci' or "
                f"'nightly', or register {name!r} in a conftest.py"
            ) from None
    return settings(base, deadline=None)
