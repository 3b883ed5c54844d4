"""The standard checks every provider plugin must pass: :class:`ProviderConformance`.

Subclass it in a plugin's tests and name the provider::

    from ileti_conformance import ProviderConformance

    class TestEfecellConformance(ProviderConformance):
        provider = "efecell"

Every check drives the real :class:`ileti.Client` and transport over real
HTTP on loopback, against the plugin's own emulator (served with
:func:`ileti.emulation.serve`, behind a :class:`ileti.emulation.FaultProxy`
when a check injects faults).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from ileti_conformance._base import _HOOKS_MARK, FAULTS, _Checks
from ileti_conformance.checks_faults import FaultChecks
from ileti_conformance.checks_live import LiveChecks
from ileti_conformance.checks_round_trips import RoundTripChecks
from ileti_conformance.checks_secrets import SecretChecks
from ileti_conformance.checks_settings import SettingsChecks
from ileti_conformance.checks_text import TextChecks

__all__ = ["FAULTS", "HOOK_CHECKS", "STANDARD_CHECKS", "ProviderConformance"]


class ProviderConformance(
    RoundTripChecks, TextChecks, FaultChecks, SecretChecks, SettingsChecks, LiveChecks
):
    """The standard conformance checks. Subclass it and set :attr:`provider`.

    Attributes a subclass may set:

    ``provider``
        The provider id (the entry-point name), e.g. ``"efecell"``.
    ``plugin``
        A plugin object to load in-process with :func:`ileti.host.inspect_plugin`
        instead of the installed entry point (for plugins not installed).
    ``emulator_factory``
        A callable taking the :class:`ileti.emulation.VirtualClock` and returning
        a new emulator; default: the plugin's ``provider_emulator`` hook.
    ``settings``
        Extra settings for every client, on top of the emulator's ``credentials()``.
    ``sender``
        The sender name the checks use; default: the emulator's ``default_sender``.
    ``conformance_skips``
        ``{"check_name": "reason"}``: checks this provider cannot pass, each
        with the reason shown in the report (``pytest -ra``). A check may be
        named with its parameter, e.g. ``"test_send_fault[hang]"``.

    The fixtures ``ileti_target`` (a :class:`~ileti_conformance.harness.Target`)
    and ``ileti_harness`` (a fresh :class:`~ileti_conformance.harness.Harness`
    per check) may be overridden. The checks themselves (every ``test_*``
    method) and the suite's helpers (``_*``) may not: defining one in a
    subclass raises ``TypeError``.
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        clashes = sorted(name for name in vars(cls) if name in STANDARD_CHECKS)
        if clashes:
            raise TypeError(
                f"{cls.__name__} redefines the standard conformance check(s) "
                f"{', '.join(clashes)}; standard checks cannot be overridden. To skip one, "
                f"state why: conformance_skips = {{{clashes[0]!r}: 'the reason'}}"
            )
        machinery = sorted(name for name in vars(cls) if name in _MACHINERY)
        if machinery:
            raise TypeError(
                f"{cls.__name__} redefines {', '.join(machinery)}, part of the machinery of "
                "the standard conformance checks, which cannot be overridden; override the "
                "fixtures ileti_target or ileti_harness, or set the class attributes instead"
            )
        _validate_skips(cls)


#: the areas of the suite, one module each (``checks_*.py``): its bases
_AREAS: tuple[type, ...] = ProviderConformance.__bases__
#: the names of the standard checks, in the order they are defined
STANDARD_CHECKS: tuple[str, ...] = tuple(
    name for area in _AREAS for name in vars(area) if name.startswith("test_")
)
#: the suite's own machinery: overriding a helper could hollow a check out
_MACHINERY = frozenset(
    name
    for klass in (_Checks, *_AREAS, ProviderConformance)
    for name in vars(klass)
    if name.startswith("_") and not name.startswith("__")
)
_PROTECTED = frozenset(STANDARD_CHECKS) | _MACHINERY


def _hook_checks() -> Mapping[str, tuple[str, ...]]:
    found: dict[str, list[str]] = {}
    for name in STANDARD_CHECKS:
        for hook in getattr(getattr(ProviderConformance, name), _HOOKS_MARK, ()):
            found.setdefault(hook, []).append(name)
    return MappingProxyType({hook: tuple(checks) for hook, checks in found.items()})


#: which standard checks exercise each hook of :mod:`ileti.hookspecs`, read
#: from the checks' own ``@_exercises(...)`` marks (never kept by hand)
HOOK_CHECKS: Mapping[str, tuple[str, ...]] = _hook_checks()
_PARAMETRISED = {"test_send_fault": frozenset(FAULTS)}
_CHECK_KEY = re.compile(r"(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:\[(?P<param>[^\]]+)\])?")


def _validate_skips(cls: type[ProviderConformance]) -> None:
    skips = cls.conformance_skips
    if not isinstance(skips, Mapping):
        raise TypeError(f"{cls.__name__}.conformance_skips must be a dict of check name to reason")
    for key, reason in skips.items():
        match = _CHECK_KEY.fullmatch(key) if isinstance(key, str) else None
        name = match["name"] if match else None
        if name not in STANDARD_CHECKS:
            raise TypeError(
                f"{cls.__name__}.conformance_skips names {key!r}, which is not a standard "
                f"check; the checks are: {', '.join(STANDARD_CHECKS)}"
            )
        param = match["param"] if match else None
        if param is not None and param not in _PARAMETRISED.get(name, frozenset()):
            known = ", ".join(sorted(_PARAMETRISED.get(name, ()))) or "none"
            raise TypeError(
                f"{cls.__name__}.conformance_skips names {key!r}: {name} has no parameter "
                f"{param!r} (known: {known})"
            )
        if not isinstance(reason, str) or not reason.strip():
            raise TypeError(
                f"{cls.__name__}.conformance_skips[{key!r}] has no reason: skipping a standard "
                "check requires a stated reason, which the test report shows"
            )
